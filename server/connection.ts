/**
 * Per-connection state of the engine and the helpers that own its buffers
 * (partial heads, raw and body captures); the event loop in engine.ts drives it.
 */
import type { SocketAddress } from '../common/capture-record';
import type { RecordParts } from '../common/record-batch';
import type { RequestHead } from './http/parse-types';
import type { ChunkedDecoder } from './http/chunked-decoder';
import type { RequestAdmission, RequestHandler, StreamCloseReason } from './http-handler';

/** How a listener treats its connections' requests (set per listener in engine.ts, shared by its connections). */
export interface ListenerPolicy {
  /** Set for a handler listener: requests are served by it and never captured. */
  readonly handler: RequestHandler | null;
  readonly admit: RequestAdmission | null;
  /** Body limits (413 past maxBodyBytes; bytes kept per record or handed to the handler). */
  readonly maxBodyBytes: number;
  readonly captureBodyBytes: number;
}

/** The engine's side of an open streamed response (engine.ts EngineStream). */
export interface OpenStream {
  /** Close the stream's listeners with `reason` (the connection is closing). */
  connectionClosed(reason: StreamCloseReason): void;
}

/** A request whose head is parsed and whose body is still arriving. */
export interface InFlightRequest {
  head: RequestHead;
  /** Head bytes then wire body bytes, up to head + capture limit. */
  raw: Buffer;
  rawKept: number;
  /** Wire bytes of this request so far (head + body framing). */
  rawLength: number;
  /** Content-Length framing: body bytes still to come. */
  remaining: number;
  decoder: ChunkedDecoder | null;
  /** Chunked framing: decoded body prefix. */
  body: Buffer | null;
  bodyKept: number;
  firstByte: number;
  headComplete: number;
}

/** A finished record whose answer is still partly queued; delivered once the answer is written. */
export interface AwaitingWrite {
  parts: RecordParts;
  /** The record is delivered once this many bytes of the connection's output have been sent. */
  outputEnd: number;
}

export class Connection {
  /** Bytes of a head that is not complete yet (or leftover pipelined bytes). */
  pending: Buffer | null = null;
  pendingLength = 0;
  /** When the first byte of the request being parsed arrived (0 = none yet). */
  requestFirstByte = 0;
  request: InFlightRequest | null = null;
  requestsSeen = 0;
  lastActivity: number;

  /** Output not yet accepted by the kernel, in order. */
  out: Buffer[] = [];
  outOffset = 0;
  /** Total bytes ever queued / sent; AwaitingWrite.outputEnd is in this scale. */
  outTotalQueued = 0;
  outTotalSent = 0;
  awaiting: AwaitingWrite[] = [];
  /** epoll interest currently registered. */
  interest = 0;

  /** No more requests are read: answer what is queued, then close. */
  closeAfterWrite = false;
  /** The close should linger (shutdown write side, drain input) so the client reads our last answer. */
  lingerOnClose = false;
  /** Write side shut; waiting for the client's EOF or the linger deadline. */
  lingering = false;
  lingerDeadline = 0;
  lingerDiscarded = 0;
  peerClosed = false;
  closed = false;
  /**
   * Complete requests wait unparsed in `pending` because the output queue is
   * over its cap; parsing resumes as the client reads (engine.ts resumeParsing).
   */
  parsePaused = false;

  /** A streamed response is open: no further request is read; the connection closes when it ends. */
  stream: OpenStream | null = null;
  /** A write to the open stream scheduled a flush that has not run yet. */
  flushScheduled = false;

  constructor(
    readonly fd: number,
    readonly id: number,
    readonly listener: SocketAddress,
    readonly peer: SocketAddress,
    readonly accepted: number,
    readonly policy: ListenerPolicy,
  ) {
    this.lastActivity = accepted;
  }
}

/** Smallest buffer allocated for a partial head or a body capture. */
export const MIN_BUFFER_BYTES = 4096;

/** Append src[from, to) to the connection's pending bytes (a partial head), growing the buffer; returns it. */
export function appendPending(c: Connection, src: Buffer, from: number, to: number): Buffer {
  const need = c.pendingLength + (to - from);
  if (!c.pending || c.pending.length < need) {
    const grown = Buffer.allocUnsafe(Math.max(need, (c.pending?.length ?? 0) * 2, MIN_BUFFER_BYTES));
    if (c.pending) c.pending.copy(grown, 0, 0, c.pendingLength);
    c.pending = grown;
  }
  src.copy(c.pending, c.pendingLength, from, to);
  c.pendingLength = need;
  return c.pending;
}

/** Count wire bytes of the request and keep them up to head + captureBodyBytes. */
export function captureRaw(req: InFlightRequest, captureBodyBytes: number, buf: Buffer, from: number, to: number): void {
  req.rawLength += to - from;
  const limit = req.head.headLength + captureBodyBytes;
  const take = Math.min(to - from, limit - req.rawKept);
  if (take <= 0) return;
  if (req.rawKept + take > req.raw.length) {
    const grown = Buffer.allocUnsafe(Math.min(limit, Math.max(req.rawKept + take, req.raw.length * 2)));
    req.raw.copy(grown, 0, 0, req.rawKept);
    req.raw = grown;
  }
  buf.copy(req.raw, req.rawKept, from, from + take);
  req.rawKept += take;
}

/** Keep decoded (de-chunked) body bytes up to captureBodyBytes. */
export function captureBody(req: InFlightRequest, captureBodyBytes: number, data: Uint8Array, from: number, to: number): void {
  const take = Math.min(to - from, captureBodyBytes - req.bodyKept);
  if (take <= 0) return;
  if (!req.body || req.bodyKept + take > req.body.length) {
    const size = Math.min(captureBodyBytes, Math.max(req.bodyKept + take, (req.body?.length ?? 0) * 2, MIN_BUFFER_BYTES));
    const grown = Buffer.allocUnsafe(size);
    req.body?.copy(grown, 0, 0, req.bodyKept);
    req.body = grown;
  }
  req.body.set(data.subarray(from, from + take), req.bodyKept);
  req.bodyKept += take;
}

/** True when buf[from, to) holds only CR and LF: the empty lines RFC 9112 §2.2 lets a server ignore. */
export function onlyLineEnds(buf: Uint8Array, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (buf[i] !== 0x0d && buf[i] !== 0x0a) return false;
  return true;
}

/** Bytes of a request head are waiting (empty lines alone do not count). */
export function hasPartialHead(c: Connection): boolean {
  return c.pendingLength > 0 && !onlyLineEnds(c.pending!, 0, c.pendingLength);
}

/** Decoded body bytes received so far: what the chunked decoder produced, or Content-Length minus what is still to come. */
export function bodyReceived(req: InFlightRequest): number {
  if (req.decoder) return req.decoder.decodedLength;
  return req.head.framing.kind === 'length' ? req.head.framing.length - req.remaining : 0;
}
