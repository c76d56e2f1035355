/**
 * Listeners that serve instead of capture.
 *
 * A listener given a RequestHandler (ListenAddress.handler) answers each
 * well-formed request with what the handler returns: a whole response, or a
 * streamed one that stays open until the handler ends it or the client goes.
 * Nothing on such a listener is captured: no records, not even for malformed
 * requests (those still get their 4xx and are closed). The capture listeners
 * of the same engine are unaffected.
 *
 * Handlers are our own code (the browser inspector's API and static files),
 * called synchronously on the engine's event loop: they must be quick and
 * must not block. A handler that throws is answered 500 and reported as an
 * internal error.
 */
import type { HeaderPair, SocketAddress } from '../common/capture-record';
import { reasonFor, statusForbidsBody } from '../common/canned-response';

/** Largest request body a handler listener accepts unless the listener says otherwise (413 past it). */
export const DEFAULT_HANDLER_MAX_BODY_BYTES = 1024 * 1024;
/**
 * Unsent stream output past which a stream is closed with reason 'overflow'
 * (a client that stopped reading). The writer can check queuedBytes earlier.
 */
export const MAX_STREAM_QUEUE_BYTES = 32 * 1024 * 1024;

/** A complete request as a handler sees it. Strings are latin1 views of the wire bytes. */
export interface HandlerRequest {
  readonly method: string;
  /** The request-target exactly as sent, e.g. `/api/init?x=1`. */
  readonly target: string;
  /** The target's path (before `?`), not percent-decoded. */
  readonly path: string;
  /** The target's query (after `?`, without it); '' when there is none. */
  readonly query: string;
  readonly version: 10 | 11;
  /** Header fields in wire order and case. */
  readonly headers: readonly HeaderPair[];
  /** The request body (decoded when chunked); empty when there is none. */
  readonly body: Buffer;
  readonly peer: SocketAddress;
  readonly listener: SocketAddress;
  /** The first value of the header `name` (case-insensitive), or null when absent. */
  header(name: string): string | null;
  /** How many fields named `name` (case-insensitive) the request has. */
  headerCount(name: string): number;
}

/** A whole answer. Content-Length, Date and Connection are added by the engine; do not set them. */
export interface WholeResponse {
  kind: 'whole';
  status: number;
  /** Defaults to the status's standard reason phrase. */
  reason?: string;
  headers?: ReadonlyArray<readonly [string, string]>;
  body?: Buffer | string;
}

/** Why a stream ended. */
export type StreamCloseReason = 'ended' | 'client-closed' | 'overflow' | 'engine-stopped';

/** The writing end of a streamed response (chunked transfer coding, RFC 9112 §7.1). */
export interface ResponseStream {
  /** Queue bytes for the client; returns false (and writes nothing) once the stream is closed. Empty writes are ignored. */
  write(chunk: Buffer | string): boolean;
  /** Send the last chunk and close the connection once it is written. Safe to call twice. */
  end(): void;
  readonly closed: boolean;
  /** Bytes written to this stream that the kernel has not taken yet. */
  readonly queuedBytes: number;
  /** Called once, when the stream closes for any reason (synchronously if it already has). */
  onClose(listener: (reason: StreamCloseReason) => void): void;
}

/**
 * A streamed answer: the head is sent at once with `Transfer-Encoding:
 * chunked` (to an HTTP/1.0 client, which cannot take chunked, RFC 9112 §7.1:
 * with no framing, the body ending at the close), then `open` is called with
 * the stream. The connection serves no
 * further request; it closes when the stream ends. Date, Transfer-Encoding
 * and Connection are added by the engine.
 */
export interface StreamedResponse {
  kind: 'stream';
  status: number;
  reason?: string;
  headers?: ReadonlyArray<readonly [string, string]>;
  open(stream: ResponseStream): void;
}

export type HandlerResult = WholeResponse | StreamedResponse;
export type RequestHandler = (request: HandlerRequest) => HandlerResult;
/**
 * Asked when a request's head is complete, before its body is read (the
 * request's `body` is empty then): null admits it (its body is read and the
 * handler answers), a response refuses it. A refused request's body is never
 * read into memory: the answer goes out with `Connection: close` and what
 * follows is drained and dropped (RFC 9112 §9.6). For access checks, so a
 * client without credentials cannot make the engine hold a large body.
 */
export type RequestAdmission = (request: HandlerRequest) => WholeResponse | null;

/** Header names the engine writes itself; a handler setting one is a bug (500). */
const ENGINE_OWNED_HEADERS = new Set(['content-length', 'transfer-encoding', 'connection', 'date']);
/** RFC 9110 §5.1 token and §5.5 field-value (no CR, LF or NUL). */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
const REASON = /^[\t\x20-\x7e\x80-\xff]*$/;

/** A handler's answer that cannot be sent as it is (a bug in the handler). */
export class HandlerResponseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HandlerResponseError';
  }
}

/**
 * The head of a handler's answer as bytes. `connection` is 'keep-alive' only
 * for an HTTP/1.0 client that asked for it (RFC 9112 §9.3), 'close' to close,
 * null to say nothing (HTTP/1.1 persistence). `framing` is the body length,
 * 'chunked', or 'until-close' (no framing field: the body ends when the
 * connection closes, RFC 9112 §6.3 rule 8). Throws HandlerResponseError for a status, reason or header field
 * that would break the message.
 */
export function buildHandlerHead(
  status: number, reason: string | undefined, headers: ReadonlyArray<readonly [string, string]> | undefined,
  framing: number | 'chunked' | 'until-close', connection: 'close' | 'keep-alive' | null, date: string,
): Buffer {
  if (!Number.isInteger(status) || status < 200 || status > 599) throw new HandlerResponseError(`status ${status} is not a final status`);
  const phrase = reason ?? reasonFor(status);
  if (!REASON.test(phrase)) throw new HandlerResponseError('reason phrase has a control character');
  let head = `HTTP/1.1 ${status} ${phrase}\r\n`;
  for (const [name, value] of headers ?? []) {
    if (!TOKEN.test(name)) throw new HandlerResponseError(`header name ${JSON.stringify(name)} is not a token`);
    if (!FIELD_VALUE.test(value)) throw new HandlerResponseError(`header ${name} has a control character in its value`);
    if (ENGINE_OWNED_HEADERS.has(name.toLowerCase())) throw new HandlerResponseError(`header ${name} is set by the engine`);
    head += `${name}: ${value}\r\n`;
  }
  head += `Date: ${date}\r\n`;
  if (framing === 'chunked') head += 'Transfer-Encoding: chunked\r\n';
  // RFC 9110 §8.6: no Content-Length in a 204; in a 304 only the length a 200 would have had, which only the handler
  // knows, so none (a handler's 304 carries no content anyway).
  else if (framing !== 'until-close' && !statusForbidsBody(status)) head += `Content-Length: ${framing}\r\n`;
  if (connection !== null) head += `Connection: ${connection}\r\n`;
  return Buffer.from(`${head}\r\n`, 'latin1');
}

/**
 * A whole answer as the bytes to send: its head (buildHandlerHead, which may
 * throw HandlerResponseError) and, unless the request was HEAD (RFC 9110
 * §9.3.2) or the status has no content (RFC 9110 §6.4.1: 204, 304), its body.
 */
export function buildWholeResponse(
  res: WholeResponse, isHead: boolean, connection: 'close' | 'keep-alive' | null, date: string,
): Buffer[] {
  const payload = res.body === undefined ? EMPTY : typeof res.body === 'string' ? Buffer.from(res.body, 'utf8') : res.body;
  const head = buildHandlerHead(res.status, res.reason, res.headers, payload.length, connection, date);
  return isHead || payload.length === 0 || statusForbidsBody(res.status) ? [head] : [head, payload];
}

const EMPTY = Buffer.alloc(0);

/** Data up to this size is copied into one buffer with its chunk framing; larger data is not copied. */
export const CHUNK_COPY_MAX_BYTES = 16 * 1024;

/**
 * One chunk of the chunked transfer coding (RFC 9112 §7.1): size in hex,
 * CRLF, data, CRLF, as the buffers to send in order: one buffer for small
 * data, else three, so that a large piece (a megabyte of records) is never
 * copied just to frame it.
 */
export function encodeChunk(data: Buffer): Buffer[] {
  const size = Buffer.from(`${data.length.toString(16)}\r\n`, 'latin1');
  return data.length <= CHUNK_COPY_MAX_BYTES ? [Buffer.concat([size, data, CRLF])] : [size, data, CRLF];
}

const CRLF = Buffer.from('\r\n', 'latin1');
/** The last chunk with no trailer section (RFC 9112 §7.1). */
export const LAST_CHUNK = Buffer.from('0\r\n\r\n', 'latin1');
