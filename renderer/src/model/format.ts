/**
 * Display formatting shared by the list, the details and the server bar.
 * Pure functions; nothing here throws.
 */
import type { SocketAddress } from '../../../common/capture-record';

const KIB = 1024;
const MIB = 1024 * 1024;

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

/** Local wall-clock time with milliseconds, e.g. "14:03:07.123" (the list's time column). */
export function formatClock(ms: number): string {
  if (!Number.isFinite(ms)) return '';
  const d = new Date(ms);
  return `${pad(d.getHours(), 2)}:${pad(d.getMinutes(), 2)}:${pad(d.getSeconds(), 2)}.${pad(d.getMilliseconds(), 3)}`;
}

/**
 * A whole count with its thousands grouped, e.g. "123,456". By hand: it runs
 * on every update of a counter, and Intl's toLocaleString cost more than the
 * rest of the counter's render put together in a profile under load.
 */
export function formatCount(n: number): string {
  if (!Number.isSafeInteger(n)) return String(n);
  const digits = String(Math.abs(n));
  let out = '';
  for (let end = digits.length; end > 0; end -= 3) out = `${digits.slice(Math.max(0, end - 3), end)}${out ? `,${out}` : ''}`;
  return n < 0 ? `-${out}` : out;
}

/** "0 B", "512 B", "1.5 KiB", "3.2 MiB": binary units, one decimal above a KiB. */
export function formatBytes(n: number): string {
  if (!Number.isFinite(n) || n < 0) return '';
  if (n < KIB) return `${n} B`;
  if (n < MIB) return `${(n / KIB).toFixed(1)} KiB`;
  return `${(n / MIB).toFixed(1)} MiB`;
}

/** A duration between two capture timestamps: sub-millisecond precision matters on loopback. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return '';
  if (ms < 1) return `${(ms * 1000).toFixed(0)} µs`;
  if (ms < 1000) return `${ms.toFixed(ms < 10 ? 2 : 1)} ms`;
  return `${(ms / 1000).toFixed(2)} s`;
}

/** host:port with IPv6 addresses in brackets, as they appear in URLs (RFC 3986 §3.2.2). */
export function formatHostPort(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

export function formatAddress(a: SocketAddress): string {
  return formatHostPort(a.address, a.port);
}

/** The list's connection cell: "#12", or "#12·3" for the third request on connection 12. */
export function connectionLabel(connectionId: number, requestOnConnection: number): string {
  return requestOnConnection > 1 ? `#${connectionId}·${requestOnConnection}` : `#${connectionId}`;
}
