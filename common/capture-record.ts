/**
 * The captured request: the plain-data record every process agrees on.
 *
 * A record is made for every request the engine saw, malformed or not. Header
 * names and values are decoded as latin1 so that every byte maps to exactly one
 * character: nothing the client sent is lost or re-encoded.
 */

/** A header field exactly as it arrived: name in its original case, value with surrounding OWS removed. */
export type HeaderPair = [name: string, value: string];

/** Which address family a socket address belongs to. */
export type AddressFamily = 'IPv4' | 'IPv6';

export interface SocketAddress {
  family: AddressFamily;
  address: string;
  port: number;
}

/**
 * Why a request is malformed or did not complete. Each code that is answered
 * maps to one status in CAPTURE_ERROR_STATUS; the others (client went away,
 * timeouts closed without answer) have status null.
 */
export const CAPTURE_ERROR_STATUS = {
  'bad-request-line': 400,
  'bad-method': 400,
  'bad-target': 400,
  'bad-version': 400,
  'unsupported-version': 505,
  'bad-header-name': 400,
  'bad-header-value': 400,
  'whitespace-before-colon': 400,
  'obs-fold': 400,
  'bare-cr': 400,
  'missing-host': 400,
  'duplicate-host': 400,
  'te-and-cl': 400,
  'conflicting-content-length': 400,
  'bad-content-length': 400,
  'bad-transfer-encoding': 400,
  'te-in-http10': 400,
  'unsupported-transfer-coding': 501,
  'bad-chunk': 400,
  'expectation-failed': 417,
  'request-line-too-long': 414,
  'header-section-too-large': 431,
  'too-many-headers': 431,
  'body-too-large': 413,
  'head-timeout': 408,
  'body-timeout': 408,
  'connection-closed': null,
  'connection-reset': null,
  /** Bytes that arrived after a request that closed the connection (RFC 9112 §9.6): kept, never answered. */
  'after-close': null,
} as const satisfies Record<string, number | null>;

export type CaptureErrorCode = keyof typeof CAPTURE_ERROR_STATUS;

export function isCaptureErrorCode(value: unknown): value is CaptureErrorCode {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(CAPTURE_ERROR_STATUS, value);
}

/**
 * Wall-clock times in milliseconds since the Unix epoch, with sub-millisecond
 * precision. A stage the request never reached is null.
 */
export interface CaptureTimestamps {
  /** The connection that carried the request was accepted. */
  accepted: number;
  /** The first byte of this request was read. */
  firstByte: number;
  headComplete: number | null;
  bodyComplete: number | null;
  /** The last byte of the answer was handed to the kernel. */
  responseWritten: number | null;
}

export interface CaptureRecord {
  /** Engine-wide sequence number, from 1. */
  id: number;
  /** Engine-wide connection number, from 1. */
  connectionId: number;
  /** 1 for the first request on its connection, 2 for the next, and so on. */
  requestOnConnection: number;
  listener: SocketAddress;
  peer: SocketAddress;
  /** Empty strings where the request line could not be parsed. */
  method: string;
  target: string;
  /** "HTTP/1.1", "HTTP/1.0", or "" when the request line is malformed. */
  version: string;
  /** Header fields in wire order and case, duplicates kept. */
  headers: HeaderPair[];
  /** Trailer fields of a chunked body, in wire order and case. */
  trailers: HeaderPair[];
  /**
   * The exact bytes received for this request: head, then the body as framed
   * on the wire (chunk sizes included), truncated after `rawLength` exceeds the
   * capture limit.
   */
  raw: Uint8Array;
  /** Total bytes of this request on the wire, whether or not all were kept. */
  rawLength: number;
  /** Bytes of `raw` that belong to the head (request line and header section). */
  headLength: number;
  /** The decoded body (chunked framing removed), its first bytes only. */
  body: Uint8Array;
  /** Full decoded body length. */
  bodyLength: number;
  /** True when `body` holds fewer bytes than `bodyLength`. */
  bodyTruncated: boolean;
  /** Status answered, or null when nothing was answered. */
  status: number | null;
  error: CaptureErrorCode | null;
  /** What exactly was wrong, for people; null when error is null. */
  errorDetail: string | null;
  timestamps: CaptureTimestamps;
}
