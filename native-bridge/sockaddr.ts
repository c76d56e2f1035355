/**
 * sockaddr_in / sockaddr_in6 filled and read by hand in Buffers (faster than
 * koffi struct marshalling). Layouts (Linux, same on x86_64 and arm64):
 *   sockaddr_in  (16 bytes): sa_family u16 host order @0, port u16 BE @2, addr 4 bytes @4, zero @8
 *   sockaddr_in6 (28 bytes): sa_family u16 host order @0, port u16 BE @2, flowinfo u32 @4, addr 16 bytes @8, scope_id u32 @24
 */
import { AF_INET, AF_INET6 } from './constants';
import type { SocketAddress } from '../common/capture-record';

export const SOCKADDR_IN_SIZE = 16;
export const SOCKADDR_IN6_SIZE = 28;
/** Big enough for either family; used for accept4/getsockname output. */
export const SOCKADDR_STORAGE_SIZE = 128;

const IPV4_RE = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/** Four bytes of a dotted-quad IPv4 address, or null when it is not one. */
export function parseIPv4(host: string): number[] | null {
  if (!IPV4_RE.test(host)) return null;
  return host.split('.').map(Number);
}

/** Sixteen bytes of an IPv6 address (RFC 4291 §2.2 text forms, incl. "::" and an embedded IPv4 tail), or null. */
export function parseIPv6(host: string): number[] | null {
  let text = host;
  if (text.startsWith('[') && text.endsWith(']')) text = text.slice(1, -1);
  if (text.includes('%')) return null; // zone ids are not supported for listeners
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const parseGroups = (part: string): number[] | null => {
    if (part === '') return [];
    const groups: number[] = [];
    const pieces = part.split(':');
    for (let i = 0; i < pieces.length; i++) {
      const piece = pieces[i]!;
      if (i === pieces.length - 1 && piece.includes('.')) {
        const v4 = parseIPv4(piece);
        if (!v4) return null;
        groups.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(piece)) return null;
        groups.push(parseInt(piece, 16));
      }
    }
    return groups;
  };
  const head = parseGroups(halves[0]!);
  const tail = halves.length === 2 ? parseGroups(halves[1]!) : [];
  if (!head || !tail) return null;
  let groups: number[];
  if (halves.length === 2) {
    const missing = 8 - head.length - tail.length;
    if (missing < 1) return null;
    groups = [...head, ...new Array<number>(missing).fill(0), ...tail];
  } else {
    if (head.length !== 8) return null;
    groups = head;
  }
  const bytes: number[] = [];
  for (const g of groups) bytes.push(g >> 8, g & 0xff);
  return bytes;
}

/** RFC 5952 text form: lowercase, longest run of two or more zero groups as "::", IPv4-mapped as ::ffff:a.b.c.d. */
export function formatIPv6(bytes: Uint8Array | number[]): string {
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((bytes[i]! << 8) | bytes[i + 1]!);
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    return `::ffff:${bytes[12]}.${bytes[13]}.${bytes[14]}.${bytes[15]}`;
  }
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) { bestStart = i; bestLength = j - i; }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}

/**
 * Build the sockaddr for an IP literal and port. `localhost` means 127.0.0.1.
 * Throws a TypeError naming the problem for anything else (no name lookup:
 * a listener address must be explicit).
 */
export function encodeSockaddr(host: string, port: number): { family: typeof AF_INET | typeof AF_INET6; buffer: Buffer } {
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new TypeError(`port must be a whole number from 0 to 65535, got ${port}`);
  }
  const v4 = parseIPv4(host === 'localhost' ? '127.0.0.1' : host);
  if (v4) {
    const b = Buffer.alloc(SOCKADDR_IN_SIZE);
    b.writeUInt16LE(AF_INET, 0); // sa_family is host order; both supported ABIs are little-endian
    b.writeUInt16BE(port, 2);
    b.set(v4, 4);
    return { family: AF_INET, buffer: b };
  }
  const v6 = parseIPv6(host);
  if (v6) {
    const b = Buffer.alloc(SOCKADDR_IN6_SIZE);
    b.writeUInt16LE(AF_INET6, 0);
    b.writeUInt16BE(port, 2);
    b.set(v6, 8);
    return { family: AF_INET6, buffer: b };
  }
  throw new TypeError(`host must be an IPv4 or IPv6 address (or localhost), got "${host}"`);
}

/** Read a sockaddr filled by the kernel. Unknown families decode as address "" port 0. */
export function decodeSockaddr(b: Buffer): SocketAddress {
  const family = b.readUInt16LE(0);
  if (family === AF_INET) {
    return { family: 'IPv4', address: `${b[4]}.${b[5]}.${b[6]}.${b[7]}`, port: b.readUInt16BE(2) };
  }
  if (family === AF_INET6) {
    return { family: 'IPv6', address: formatIPv6(b.subarray(8, 24)), port: b.readUInt16BE(2) };
  }
  return { family: 'IPv4', address: '', port: 0 };
}
