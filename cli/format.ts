/**
 * How a captured request is printed: one aligned text line, or one JSON
 * object. Pure functions of the record (and, for the text line, the local
 * time zone); nothing here writes.
 *
 * Captured bytes come from the network and are printed to a terminal, so no
 * control character reaches the output unescaped: the text line shows C0, DEL
 * and C1 characters as \xNN, and the JSON line escapes them as \u00NN.
 */
import type { CaptureRecord, SocketAddress } from '../common/capture-record';

/** Column widths of the text line. A longer value pushes the rest right rather than being cut. */
export const PEER_WIDTH = 21; // "255.255.255.255:65535"
export const METHOD_WIDTH = 7; // "OPTIONS", "CONNECT"
export const STATUS_WIDTH = 3;
export const SIZE_WIDTH = 9; // up to "9999999 B"
export const COLUMN_GAP = '  ';
/** Shown for a field the request never had (a malformed request line, no answer sent). */
export const MISSING = '-';

export interface LineStyle {
  /** ANSI colours for status and error; only for a terminal (the caller decides, e.g. stdout.isTTY and no NO_COLOR). */
  color: boolean;
}

const ANSI = { red: '\x1b[31m', green: '\x1b[32m', yellow: '\x1b[33m', cyan: '\x1b[36m', reset: '\x1b[0m' } as const;

/** Replace every C0 control, DEL and C1 control with \xNN so captured text cannot drive the terminal. */
export function escapeControls(text: string): string {
  return text.replace(/[\x00-\x1f\x7f-\x9f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** `addr:port`, with IPv6 addresses in brackets (RFC 3986 §3.2.2). */
export function formatHostPort(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

/** The line printed once the listener is open, e.g. `listening on http://127.0.0.1:8080`. */
export function formatListening(listener: SocketAddress): string {
  return `listening on http://${formatHostPort(listener.address, listener.port)}`;
}

/** HH:MM:SS.mmm in the local time zone. */
export function formatLocalTime(ms: number): string {
  const d = new Date(ms);
  const two = (n: number): string => String(n).padStart(2, '0');
  return `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}.${String(d.getMilliseconds()).padStart(3, '0')}`;
}

function statusColor(status: number): string {
  if (status >= 500) return ANSI.red;
  if (status >= 400) return ANSI.yellow;
  if (status >= 300) return ANSI.cyan;
  return ANSI.green;
}

/**
 * One line, no newline: time the request's first byte arrived, peer, method,
 * status, decoded body size, target, then `error-code: detail` when the
 * request was malformed or cut off. The fixed-width columns come first so
 * they stay aligned whatever the target's length.
 *
 *   14:03:07.123  127.0.0.1:50412        POST     200       5 B  /items?x=1
 *   14:03:07.200  127.0.0.1:50414        -        400       0 B  -  te-and-cl: both … present
 */
export function formatRecordLine(r: CaptureRecord, style: LineStyle = { color: false }): string {
  const paint = (color: string, text: string): string => (style.color ? `${color}${text}${ANSI.reset}` : text);
  const status = r.status === null ? MISSING.padStart(STATUS_WIDTH) : String(r.status).padStart(STATUS_WIDTH);
  const columns = [
    formatLocalTime(r.timestamps.firstByte),
    formatHostPort(r.peer.address, r.peer.port).padEnd(PEER_WIDTH),
    escapeControls(r.method || MISSING).padEnd(METHOD_WIDTH),
    r.status === null ? status : paint(statusColor(r.status), status),
    `${r.bodyLength} B`.padStart(SIZE_WIDTH),
    escapeControls(r.target || MISSING),
  ];
  if (r.error !== null) {
    const detail = r.errorDetail ? `: ${escapeControls(r.errorDetail)}` : '';
    columns.push(paint(ANSI.red, `${r.error}${detail}`));
  }
  return columns.join(COLUMN_GAP);
}

/**
 * The JSON form of a record: the CaptureRecord's plain fields as they are
 * (header characters are latin1, one per byte; timestamps are epoch ms), with
 * the bytes as base64 and the time as text.
 */
export type RecordJson = Omit<CaptureRecord, 'raw' | 'body'> & {
  /** ISO 8601 (UTC) time of the request's first byte. */
  time: string;
  /** Base64 of the captured decoded body (chunked framing removed). */
  body: string;
  /** Base64 of the exact bytes received, up to the capture limit. */
  raw: string;
  /** True when `raw` holds fewer bytes than `rawLength`. */
  rawTruncated: boolean;
};

const base64 = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');

export function recordToJson(r: CaptureRecord): RecordJson {
  return {
    id: r.id,
    connectionId: r.connectionId,
    requestOnConnection: r.requestOnConnection,
    time: new Date(r.timestamps.firstByte).toISOString(),
    listener: { ...r.listener },
    peer: { ...r.peer },
    method: r.method,
    target: r.target,
    version: r.version,
    headers: r.headers.map(([n, v]) => [n, v]),
    trailers: r.trailers.map(([n, v]) => [n, v]),
    body: base64(r.body),
    bodyLength: r.bodyLength,
    bodyTruncated: r.bodyTruncated,
    raw: base64(r.raw),
    rawLength: r.rawLength,
    rawTruncated: r.raw.byteLength < r.rawLength,
    headLength: r.headLength,
    status: r.status,
    error: r.error,
    errorDetail: r.errorDetail,
    timestamps: { ...r.timestamps },
  };
}

/**
 * One JSON object on one line, no newline. JSON.stringify already escapes
 * C0 controls; DEL and C1 controls (which latin1-decoded header bytes can
 * hold, and some terminals obey) are escaped too. They only occur inside
 * strings, so the result stays valid JSON.
 */
export function formatRecordJson(r: CaptureRecord): string {
  return JSON.stringify(recordToJson(r)).replace(/[\x7f-\x9f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
