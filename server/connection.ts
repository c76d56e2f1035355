/**
 * Per-connection state of the engine. Plain data plus small helpers; the
 * event loop in engine.ts drives it.
 */
import type { HeaderPair, SocketAddress } from '../common/capture-record';
import type { RecordParts } from '../common/record-batch';
import type { RequestHead } from './http/parse-types';
import type { ChunkedDecoder } from './http/chunked-decoder';

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
  bodyLength: number;
  firstByte: number;
  headComplete: number;
  continueSent: boolean;
  /** Chunked framing: trailer fields, once the body is complete. */
  trailers: HeaderPair[] | null;
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
  outQueued = 0;
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

  constructor(
    readonly fd: number,
    readonly id: number,
    readonly listener: SocketAddress,
    readonly peer: SocketAddress,
    readonly accepted: number,
  ) {
    this.lastActivity = accepted;
  }
}
