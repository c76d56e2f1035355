/**
 * The capture engine: an HTTP/1.1 server on raw Linux syscalls.
 *
 * One level-triggered epoll set holds the listeners and every client socket.
 * The readiness source (koffi's libuv poll, or a worker fallback) calls
 * onReady when epfd has events; onReady drains them with epoll_wait(…, 0), so
 * the Node event loop stays free for timers and messages.
 *
 * Each request becomes a capture record (common/record-batch RecordParts),
 * handed to the CaptureBatcher once its answer has been written. Well-formed
 * requests get the canned response; malformed ones get their 4xx, are still
 * recorded with an error code, and their connection is closed.
 *
 * A listener with a handler (server/http-handler.ts) serves instead: its
 * requests go to the handler, whose answer may be a stream that stays open,
 * and nothing on it is recorded or counted as captured traffic.
 */
import type { CaptureErrorCode, HeaderPair, SocketAddress } from '../common/capture-record';
import { CAPTURE_ERROR_STATUS } from '../common/capture-record';
import {
  DEFAULT_CANNED_RESPONSE, formatFieldErrors, validateCannedResponse, type CannedResponse, type Validated,
} from '../common/canned-response';
import type { RecordParts } from '../common/record-batch';
import type { EngineStats } from '../common/wire-messages';
import {
  close as closeFd, decodeSockaddr, epoll_create1, epoll_ctl, epoll_wait, epollEventFd, epollEventMask, getsockname,
  openListener, setsockoptInt, shutdown, tryAccept4, tryRead, trySend, createReadinessSource, SyscallError,
  EPOLL_CTL_ADD, EPOLL_CTL_DEL, EPOLL_CTL_MOD, EPOLL_EVENT_SIZE, EPOLLERR, EPOLLHUP, EPOLLIN, EPOLLOUT, SHUT_WR, SOL_SOCKET, SO_SNDBUF, IPPROTO_TCP, TCP_NODELAY,
  SOCKADDR_STORAGE_SIZE, EMFILE, ENFILE, ENOBUFS, ENOMEM, ECONNABORTED,
  type ReadinessKind, type ReadinessSource,
} from '../native-bridge';
import { parseRequestHead } from './http/request-parser';
import { ChunkedDecoder } from './http/chunked-decoder';
import { DEFAULT_HEAD_LIMITS, type HeadLimits, type HeadSketch, type RequestHead } from './http/parse-types';
import {
  buildHandlerHead, buildWholeResponse, encodeChunk, DEFAULT_HANDLER_MAX_BODY_BYTES, LAST_CHUNK, MAX_STREAM_QUEUE_BYTES,
  type HandlerResult, type RequestAdmission, type RequestHandler, type ResponseStream, type StreamCloseReason,
} from './http-handler';
import { makeHandlerRequest } from './handler-request';
import { buildErrorResponse, httpDate, buildResponseVariants, CONTINUE_100, type ResponseVariants } from './response-bytes';
import { CaptureBatcher, DEFAULT_BATCH_INTERVAL_MS, DEFAULT_BATCH_MAX_RECORDS } from './capture-batcher';
import type { CaptureSink } from './capture-sink';
import {
  Connection, MIN_BUFFER_BYTES, type ListenerPolicy, type OpenStream, appendPending, bodyReceived, captureBody, captureRaw, hasPartialHead, onlyLineEnds, type InFlightRequest,
} from './connection';
import {
  DEFAULT_BODY_TIMEOUT_MS, DEFAULT_CAPTURE_BODY_BYTES, DEFAULT_HEAD_TIMEOUT_MS, DEFAULT_IDLE_TIMEOUT_MS, DEFAULT_MAX_BODY_BYTES,
  DEFAULT_MAX_CONNECTIONS,
} from './engine-defaults';

export * from './engine-defaults';

/** Bytes read per read(2). Larger reads amortise the FFI call; a short read means the socket is drained. */
export const READ_CHUNK_BYTES = 64 * 1024;
/** A streamed body's capture buffer starts this large and grows up to captureBodyBytes. */
export const INITIAL_BODY_CAPTURE_BYTES = 64 * 1024;
/** epoll events taken per epoll_wait. */
export const MAX_EVENTS = 512;
/** epoll_wait rounds per readiness callback before yielding to the event loop (the rest is reported again). */
export const MAX_DRAIN_ROUNDS = 8;
/** How long accepting pauses after EMFILE-like failures or at the connection cap. */
export const ACCEPT_BACKOFF_MS = 100;
/** Past this much unsent output a connection is not read until it drains (a client that never reads). */
export const MAX_OUTPUT_QUEUE_BYTES = 4 * 1024 * 1024;
/** Queued output smaller than this is merged into one send (pipelined answers: one syscall, not one each). */
export const COALESCE_SEND_BYTES = 16 * 1024;
/** Lingering close (RFC 9112 §9.6): how long and how much to drain after our last answer. */
export const LINGER_MS = 2_000;
export const LINGER_MAX_BYTES = 1024 * 1024;
/** A partial head without a new line ending is re-parsed only when it grows past another multiple of this. */
export const HEAD_RESCAN_STEP = 1024;
/** How often stop({ drainMs }) looks whether closing connections have written everything. */
export const DRAIN_POLL_MS = 10;
/** How often timeouts are checked. */
export const SWEEP_INTERVAL_MS = 250;

export interface ListenAddress {
  host: string;
  port: number;
  /** Serve this listener's requests with `handler` instead of capturing them (server/http-handler.ts). */
  handler?: RequestHandler;
  /** Handler listeners only: largest request body (413 past it); DEFAULT_HANDLER_MAX_BODY_BYTES when unset. */
  maxBodyBytes?: number;
  /** Handler listeners only: asked at each complete head, before the body is read (server/http-handler.ts). */
  admit?: RequestAdmission;
}

export interface EngineOptions {
  listen: ListenAddress[];
  sink: CaptureSink;
  response?: CannedResponse;
  captureBodyBytes?: number;
  maxBodyBytes?: number;
  headLimits?: Partial<HeadLimits>;
  maxConnections?: number;
  headTimeoutMs?: number;
  bodyTimeoutMs?: number;
  idleTimeoutMs?: number;
  batchIntervalMs?: number;
  batchMaxRecords?: number;
  readiness?: ReadinessKind | 'auto';
  /** SO_SNDBUF for accepted sockets (the kernel default when unset); small values exercise partial sends. */
  socketSendBufferBytes?: number;
  /** Unexpected internal problems (a bug contained to one connection, a throwing sink). */
  onInternalError?: (err: unknown) => void;
}

/**
 * Merge the unsent rest of c.out[0] with the buffers after it, as many as fit
 * in COALESCE_SEND_BYTES (the caller checked that the next one does), into one
 * buffer at c.out[0]. A large buffer is sent on its own, never copied.
 */
function coalesceOutput(c: Connection): void {
  const first = c.out[0]!;
  const parts = [c.outOffset === 0 ? first : first.subarray(c.outOffset)];
  let size = parts[0]!.length;
  let n = 1;
  while (n < c.out.length && size + c.out[n]!.length <= COALESCE_SEND_BYTES) {
    size += c.out[n]!.length;
    parts.push(c.out[n]!);
    n++;
  }
  c.out.splice(0, n, Buffer.concat(parts, size));
  c.outOffset = 0;
}

/** A bad engine option, refused before anything is opened. */
export class EngineConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EngineConfigError';
  }
}

interface Listener {
  fd: number;
  address: SocketAddress;
  policy: ListenerPolicy;
}

const now = (): number => performance.timeOrigin + performance.now();

/** Shared empty offsets for records whose head did not parse. */
const NO_OFFSETS: number[] = [];

function positiveInteger(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
    throw new EngineConfigError(`${name} must be a positive whole number, got ${String(value)}`);
  }
  return value;
}

export class Engine {
  readonly listeners: SocketAddress[];
  readonly readinessKind: ReadinessKind;

  private readonly epfd: number;
  private readonly listenerByFd = new Map<number, Listener>();
  private readonly connections = new Map<number, Connection>();
  private readonly readiness: ReadinessSource;
  private readonly batcher: CaptureBatcher;
  private readonly events = Buffer.alloc(MAX_EVENTS * EPOLL_EVENT_SIZE);
  private readonly scratch = Buffer.allocUnsafe(READ_CHUNK_BYTES);
  private readonly peerBuffer = Buffer.alloc(SOCKADDR_STORAGE_SIZE);
  private readonly sweepTimer: NodeJS.Timeout;
  private acceptResumeTimer: NodeJS.Timeout | null = null;

  private response: CannedResponse;
  private variants: ResponseVariants;
  private variantsSecond: number;

  private readonly captureBodyBytes: number;
  private readonly maxBodyBytes: number;
  private readonly headLimits: HeadLimits;
  private readonly maxConnections: number;
  private readonly headTimeoutMs: number;
  private readonly bodyTimeoutMs: number;
  private readonly idleTimeoutMs: number;
  private readonly socketSendBufferBytes: number | null;
  private readonly onInternalError: (err: unknown) => void;

  private nextRecordId = 1;
  private nextConnectionId = 1;
  private stopped = false;
  /** The stop in progress or done: every stop() call returns it. */
  private stopping: Promise<void> | null = null;
  private readonly counters = {
    connectionsAccepted: 0, connectionsWithoutRequest: 0, requests: 0, malformedRequests: 0,
    bytesRead: 0, bytesSent: 0, partialSends: 0, bytesDiscardedAfterClose: 0, acceptPauses: 0, internalErrors: 0,
    handledRequests: 0, streamsOpened: 0,
  };

  /**
   * Open every listener and start serving. Throws EngineConfigError for a bad
   * option and SyscallError (e.g. EADDRINUSE) when a listener cannot be
   * opened; nothing stays open after a throw.
   */
  static start(options: EngineOptions): Engine {
    return new Engine(options);
  }

  private constructor(options: EngineOptions) {
    if (!Array.isArray(options.listen) || options.listen.length === 0) {
      throw new EngineConfigError('at least one listen address is needed');
    }
    if (!options.sink || typeof options.sink.deliver !== 'function') {
      throw new EngineConfigError('a capture sink with deliver(batch) is needed');
    }
    const checked = validateCannedResponse(options.response ?? DEFAULT_CANNED_RESPONSE);
    if (!checked.ok) throw new EngineConfigError(`invalid response: ${formatFieldErrors(checked.errors)}`);
    this.response = checked.value;
    this.variantsSecond = Math.floor(Date.now() / 1000);
    this.variants = buildResponseVariants(this.response, Date.now());

    this.captureBodyBytes = options.captureBodyBytes === 0 ? 0
      : positiveInteger('captureBodyBytes', options.captureBodyBytes, DEFAULT_CAPTURE_BODY_BYTES);
    this.maxBodyBytes = positiveInteger('maxBodyBytes', options.maxBodyBytes, DEFAULT_MAX_BODY_BYTES);
    this.maxConnections = positiveInteger('maxConnections', options.maxConnections, DEFAULT_MAX_CONNECTIONS);
    this.headTimeoutMs = positiveInteger('headTimeoutMs', options.headTimeoutMs, DEFAULT_HEAD_TIMEOUT_MS);
    this.bodyTimeoutMs = positiveInteger('bodyTimeoutMs', options.bodyTimeoutMs, DEFAULT_BODY_TIMEOUT_MS);
    this.idleTimeoutMs = positiveInteger('idleTimeoutMs', options.idleTimeoutMs, DEFAULT_IDLE_TIMEOUT_MS);
    this.socketSendBufferBytes = options.socketSendBufferBytes === undefined ? null
      : positiveInteger('socketSendBufferBytes', options.socketSendBufferBytes, 0);
    const hl = options.headLimits ?? {};
    this.headLimits = {
      maxRequestLineBytes: positiveInteger('maxRequestLineBytes', hl.maxRequestLineBytes, DEFAULT_HEAD_LIMITS.maxRequestLineBytes),
      maxHeaderSectionBytes: positiveInteger('maxHeaderSectionBytes', hl.maxHeaderSectionBytes, DEFAULT_HEAD_LIMITS.maxHeaderSectionBytes),
      maxHeaderCount: positiveInteger('maxHeaderCount', hl.maxHeaderCount, DEFAULT_HEAD_LIMITS.maxHeaderCount),
    };
    this.onInternalError = options.onInternalError ?? ((err) => process.emitWarning(`sockeye engine: ${String(err)}`));
    this.batcher = new CaptureBatcher(
      options.sink,
      positiveInteger('batchIntervalMs', options.batchIntervalMs, DEFAULT_BATCH_INTERVAL_MS),
      positiveInteger('batchMaxRecords', options.batchMaxRecords, DEFAULT_BATCH_MAX_RECORDS),
      (err) => this.internalError(err),
    );

    const opened: number[] = [];
    let epfd = -1;
    try {
      epfd = epoll_create1();
      const listeners: SocketAddress[] = [];
      for (const { host, port, handler, maxBodyBytes, admit } of options.listen) {
        if (handler !== undefined && typeof handler !== 'function') throw new EngineConfigError('a listener handler must be a function');
        if (admit !== undefined && (typeof admit !== 'function' || !handler)) throw new EngineConfigError('admit must be a function, on a listener with a handler');
        const handlerMaxBody = handler ? positiveInteger('maxBodyBytes', maxBodyBytes, DEFAULT_HANDLER_MAX_BODY_BYTES) : 0;
        let fd: number;
        try {
          // An IPv6 wildcard listener is dual-stack; an explicit ::1 is IPv6 only anyway.
          fd = openListener(host, port);
        } catch (err) {
          if (err instanceof TypeError) throw new EngineConfigError(err.message);
          throw err;
        }
        opened.push(fd);
        const address = getsockname(fd);
        listeners.push(address);
        const policy: ListenerPolicy = handler
          // A handler needs the whole body, so a handler listener keeps all it accepts.
          ? { handler, admit: admit ?? null, maxBodyBytes: handlerMaxBody, captureBodyBytes: handlerMaxBody }
          : { handler: null, admit: null, maxBodyBytes: this.maxBodyBytes, captureBodyBytes: this.captureBodyBytes };
        this.listenerByFd.set(fd, { fd, address, policy });
        epoll_ctl(epfd, EPOLL_CTL_ADD, fd, EPOLLIN);
      }
      this.listeners = listeners;
      this.readiness = createReadinessSource(epfd, options.readiness ?? 'auto');
    } catch (err) {
      for (const fd of opened) closeFd(fd);
      if (epfd >= 0) closeFd(epfd);
      throw err;
    }
    this.epfd = epfd;
    this.readinessKind = this.readiness.kind;
    this.readiness.start(() => this.onReady());
    this.sweepTimer = setInterval(() => this.sweep(), SWEEP_INTERVAL_MS);
    this.sweepTimer.unref();
  }

  /** The response answered from now on. Invalid input changes nothing and returns every problem. */
  setResponse(input: unknown): Validated<CannedResponse> {
    const checked = validateCannedResponse(input);
    if (!checked.ok) return checked;
    let variants: ResponseVariants;
    try {
      variants = buildResponseVariants(checked.value, Date.now());
    } catch (err) {
      // Validation and building disagree: a bug, but the old response stays in force.
      this.internalError(err);
      return { ok: false, errors: [{ field: '', message: `response could not be built: ${String(err)}` }] };
    }
    this.response = checked.value;
    this.variants = variants;
    this.variantsSecond = Math.floor(Date.now() / 1000);
    return checked;
  }

  getResponse(): CannedResponse {
    return this.response;
  }

  stats(): EngineStats {
    return {
      ...this.counters,
      connectionsOpen: this.connections.size,
      recordsDelivered: this.batcher.delivered,
      batchesDelivered: this.batcher.batches,
    };
  }

  /**
   * Stop serving: requests in progress are recorded as closed, every
   * descriptor the engine opened is closed, and the last batch is delivered
   * before the promise resolves. Safe to call twice. With `drainMs`,
   * connections that are closing with output still queued (an ended stream's
   * last chunk, a final answer) first get up to that long to write it.
   */
  stop(options: { drainMs?: number } = {}): Promise<void> {
    this.stopping ??= this.stopAfterDrain(options.drainMs ?? 0);
    return this.stopping;
  }

  private async stopAfterDrain(drainMs: number): Promise<void> {
    if (drainMs > 0) await this.drainClosing(drainMs);
    this.stopped = true;
    clearInterval(this.sweepTimer);
    if (this.acceptResumeTimer) clearTimeout(this.acceptResumeTimer);
    // Close the poll handle before its fd (koffi/libuv requirement).
    this.readiness.close();
    const t = now();
    for (const c of [...this.connections.values()]) this.closeConnection(c, t, 'connection-closed', 'the engine stopped');
    for (const l of this.listenerByFd.values()) closeFd(l.fd);
    this.listenerByFd.clear();
    closeFd(this.epfd);
    this.batcher.flush();
  }

  /** Wait (bounded) until no closing connection has output left to write; the event loop keeps serving meanwhile. */
  private async drainClosing(ms: number): Promise<void> {
    const deadline = Date.now() + ms;
    // Writes queued by streams ended just now are flushed on a microtask: look after those.
    await new Promise<void>((resolve) => setImmediate(resolve));
    const writing = (): boolean => {
      for (const c of this.connections.values()) if (c.closeAfterWrite && c.stream === null && c.out.length > 0) return true;
      return false;
    };
    while (writing() && Date.now() < deadline) await new Promise<void>((resolve) => setTimeout(resolve, DRAIN_POLL_MS));
  }

  // ───────────────────────────── event loop ─────────────────────────────

  private onReady(): void {
    if (this.stopped) return;
    for (let round = 0; round < MAX_DRAIN_ROUNDS; round++) {
      let n: number;
      try {
        n = epoll_wait(this.epfd, this.events, 0);
      } catch (err) {
        this.internalError(err);
        return;
      }
      if (n === 0) return;
      const t = now();
      for (let i = 0; i < n; i++) {
        const fd = epollEventFd(this.events, i);
        const mask = epollEventMask(this.events, i);
        const listener = this.listenerByFd.get(fd);
        if (listener) {
          this.acceptAll(listener, t);
          continue;
        }
        const c = this.connections.get(fd);
        if (!c) continue;
        try {
          if (mask & EPOLLOUT) this.onWritable(c, t);
          if (!c.closed && mask & (EPOLLIN | EPOLLHUP | EPOLLERR)) this.onReadable(c, t);
        } catch (err) {
          this.internalError(err);
          if (!c.closed) this.closeConnection(c, t, 'connection-closed', 'internal error');
        }
      }
      if (n < MAX_EVENTS) return;
    }
  }

  /** Keep the Date field current (called from the sweep timer): variants are rebuilt once per second. */
  private refreshVariants(t: number): void {
    const second = Math.floor(t / 1000);
    if (second !== this.variantsSecond) {
      this.variantsSecond = second;
      try {
        this.variants = buildResponseVariants(this.response, t);
      } catch (err) {
        this.internalError(err); // keep answering with the bytes built last
      }
    }
  }

  private acceptAll(l: Listener, t: number): void {
    while (this.connections.size < this.maxConnections) {
      let fd: number | null;
      try {
        fd = tryAccept4(l.fd, this.peerBuffer);
      } catch (err) {
        if (err instanceof SyscallError) {
          if (err.errno === ECONNABORTED) continue;
          if (err.errno === EMFILE || err.errno === ENFILE || err.errno === ENOBUFS || err.errno === ENOMEM) {
            this.pauseAccepting();
            return;
          }
        }
        this.internalError(err);
        return;
      }
      if (fd === null) return;
      const peer = decodeSockaddr(this.peerBuffer);
      const c = new Connection(fd, this.nextConnectionId++, l.address, peer, t, l.policy);
      this.counters.connectionsAccepted++;
      this.connections.set(fd, c);
      try {
        // Answers are written whole; Nagle would only delay the tail of a large or pipelined answer.
        setsockoptInt(fd, IPPROTO_TCP, TCP_NODELAY, 1);
        if (this.socketSendBufferBytes !== null) setsockoptInt(fd, SOL_SOCKET, SO_SNDBUF, this.socketSendBufferBytes);
        epoll_ctl(this.epfd, EPOLL_CTL_ADD, fd, EPOLLIN);
        c.interest = EPOLLIN;
      } catch (err) {
        this.internalError(err);
        this.connections.delete(fd);
        closeFd(fd);
      }
    }
    this.pauseAccepting();
  }

  /**
   * Stop watching the listeners for a back-off period: with no descriptors
   * left (EMFILE) or at the connection cap, a level-triggered listener would
   * otherwise wake us in a tight loop.
   */
  private pauseAccepting(): void {
    if (this.acceptResumeTimer || this.stopped) return;
    this.counters.acceptPauses++;
    // The listeners are watched exactly when no resume timer is pending.
    for (const l of this.listenerByFd.values()) epoll_ctl(this.epfd, EPOLL_CTL_DEL, l.fd, 0);
    this.acceptResumeTimer = setTimeout(() => {
      this.acceptResumeTimer = null;
      if (this.stopped) return;
      for (const l of this.listenerByFd.values()) epoll_ctl(this.epfd, EPOLL_CTL_ADD, l.fd, EPOLLIN);
    }, ACCEPT_BACKOFF_MS);
  }

  private onReadable(c: Connection, t: number): void {
    let n: number | null;
    try {
      n = tryRead(c.fd, this.scratch, READ_CHUNK_BYTES);
    } catch (err) {
      // ECONNRESET and friends: the client is gone.
      const code = err instanceof SyscallError ? err.code : 'error';
      this.closeConnection(c, t, 'connection-reset', `read failed: ${code}`);
      return;
    }
    if (n === null) return;
    if (n === 0) {
      c.peerClosed = true;
      if (c.lingering || c.out.length === 0) this.closeConnection(c, t, 'connection-closed', 'client closed the connection mid-request');
      else this.setInterest(c, EPOLLOUT); // finish writing, then close
      return;
    }
    this.counters.bytesRead += n;
    c.lastActivity = t;
    if (c.lingering || c.closeAfterWrite) {
      // After our final answer input is drained and dropped (RFC 9112 §9.6), and counted.
      this.counters.bytesDiscardedAfterClose += n;
      c.lingerDiscarded += n;
      if (c.lingerDiscarded > LINGER_MAX_BYTES) this.closeConnection(c, t, null, null);
      return;
    }
    let buf: Buffer = this.scratch;
    let end = n;
    if (c.pendingLength > 0) {
      const before = c.pendingLength;
      buf = appendPending(c, this.scratch, 0, n);
      end = c.pendingLength;
      if (c.request === null && !this.headMayHaveChanged(buf, before, end)) {
        // Still partial (see headMayHaveChanged); a request starts with its first byte that is not a line end.
        if (c.requestFirstByte === 0 && !onlyLineEnds(buf, 0, end)) c.requestFirstByte = t;
        return;
      }
      c.pendingLength = 0;
    }
    this.processBytes(c, buf, 0, end, t);
    this.flushAndResume(c, t);
  }

  /**
   * The head parser is stateless and rescans from the start, so a head sent a
   * byte at a time would cost O(n²). Its answer for a partial head can only
   * change when a line ends (a new LF) or a size limit is crossed, so the
   * engine re-parses only on a new LF or every HEAD_RESCAN_STEP bytes (which
   * also catches the limits, within one step). A bad byte mid-line is then
   * reported a little later, with the same error. Header count and section
   * limits bound the number of LF-triggered rescans.
   */
  private headMayHaveChanged(buf: Buffer, before: number, after: number): boolean {
    const lf = buf.indexOf(0x0a, before);
    if (lf !== -1 && lf < after) return true;
    return Math.floor(before / HEAD_RESCAN_STEP) !== Math.floor(after / HEAD_RESCAN_STEP);
  }

  /** Parse and answer every request in buf[pos, end). Bytes of an incomplete head are kept in c.pending. */
  private processBytes(c: Connection, buf: Buffer, pos: number, end: number, t: number): void {
    while (pos < end && !c.closeAfterWrite) {
      const req = c.request;
      if (req) {
        pos = this.continueBody(c, req, buf, pos, end, t);
        continue;
      }
      if (this.outputQueued(c) > MAX_OUTPUT_QUEUE_BYTES && !c.closed) {
        // A client that pipelines tiny requests but does not read: one 64 KiB read could
        // otherwise queue thousands of answers. Keep the rest unparsed until it reads.
        this.keepUnparsed(c, buf, pos, end);
        c.parsePaused = true;
        return;
      }
      if (c.requestFirstByte === 0) c.requestFirstByte = t;
      const result = parseRequestHead(buf, pos, end, this.headLimits);
      if (result.kind === 'partial') {
        this.keepUnparsed(c, buf, pos, end);
        // RFC 9112 §2.2: empty lines before a request line are ignored. They stay in
        // pending (the next request's raw bytes keep them) but start no request.
        if (onlyLineEnds(c.pending!, 0, c.pendingLength)) c.requestFirstByte = 0;
        return;
      }
      if (result.kind === 'error') {
        this.rejectRequest(c, buf, pos, end, result.sketch ?? null, result.code, result.detail, t);
        return;
      }
      pos = this.startRequest(c, result.head, buf, pos, end, t);
    }
    // A request that closes the connection was answered; what the client sent after it is
    // never answered (RFC 9112 §9.6) but is kept, so no byte that arrived goes unrecorded.
    if (pos < end && c.closeAfterWrite && !onlyLineEnds(buf, pos, end)) this.recordAfterClose(c, buf, pos, end, t);
  }

  /** Keep buf[pos, end) (a partial head, or requests not parsed yet) at the start of c.pending. */
  private keepUnparsed(c: Connection, buf: Buffer, pos: number, end: number): void {
    if (buf === c.pending && pos === 0) {
      c.pendingLength = end; // already at the start of c.pending
    } else if (buf === c.pending) {
      // Earlier records of this read may still point into c.pending: move the rest to a fresh buffer.
      const fresh = Buffer.allocUnsafe(Math.max(MIN_BUFFER_BYTES, end - pos));
      buf.copy(fresh, 0, pos, end);
      c.pending = fresh;
      c.pendingLength = end - pos;
    } else {
      appendPending(c, buf, pos, end);
    }
  }

  private outputQueued(c: Connection): number {
    return c.outTotalQueued - c.outTotalSent;
  }

  /**
   * Flush, then parse requests held back by the output cap once the client has
   * read enough; repeats while the kernel takes everything. Ends when parsing is
   * paused again with output over the cap, or nothing is held back.
   */
  private flushAndResume(c: Connection, t: number): void {
    this.flushOutput(c, t);
    while (c.parsePaused && !c.closed && this.outputQueued(c) <= MAX_OUTPUT_QUEUE_BYTES) {
      this.resumeParsing(c, t);
      this.flushOutput(c, t);
    }
  }

  /** Parse the requests the output cap held back in c.pending (processBytes may pause again). */
  private resumeParsing(c: Connection, t: number): void {
    c.parsePaused = false;
    const end = c.pendingLength;
    c.pendingLength = 0;
    this.processBytes(c, c.pending!, 0, end, t);
  }

  /** A head is complete: answer it now if its body is here too, else keep reading the body. Returns the next position. */
  private startRequest(c: Connection, head: RequestHead, buf: Buffer, pos: number, end: number, t: number): number {
    if (c.policy.admit && this.refuseAtHead(c, c.policy.admit, head, buf, pos, t)) return end;
    const bodyStart = pos + head.headLength;
    const framing = head.framing;
    if (framing.kind === 'none' || (framing.kind === 'length' && framing.length === 0)) {
      this.finishRequest(c, head, buf, pos, bodyStart, head.headLength, 0, null, 0, null, c.requestFirstByte, t, t);
      return bodyStart;
    }
    if (framing.kind === 'length') {
      const length = framing.length;
      if (length > c.policy.maxBodyBytes) {
        this.rejectRequest(c, buf, pos, end, head, 'body-too-large', `Content-Length ${length} is over the ${c.policy.maxBodyBytes}-byte limit`, t);
        return end;
      }
      if (end - bodyStart >= length) {
        const total = head.headLength + length;
        this.finishRequest(c, head, buf, pos, pos + total, total, length, null, 0, null, c.requestFirstByte, t, t);
        return bodyStart + length;
      }
    }
    const req: InFlightRequest = {
      head,
      raw: Buffer.allocUnsafe(head.headLength + Math.min(c.policy.captureBodyBytes, INITIAL_BODY_CAPTURE_BYTES)),
      rawKept: 0,
      rawLength: 0,
      remaining: framing.kind === 'length' ? framing.length : 0,
      decoder: framing.kind === 'chunked' ? new ChunkedDecoder() : null,
      body: null,
      bodyKept: 0,
      firstByte: c.requestFirstByte,
      headComplete: t,
    };
    captureRaw(req, c.policy.captureBodyBytes, buf, pos, bodyStart);
    c.request = req;
    // RFC 9110 §10.1.1: an HTTP/1.1 client waiting on 100-continue gets the interim answer before it sends the body.
    if (head.expectContinue && head.version === 11 && bodyStart === end) {
      this.queueOutput(c, CONTINUE_100);
    }
    return this.continueBody(c, req, buf, bodyStart, end, t);
  }

  /** Feed body bytes of the in-flight request; returns the next position in buf. */
  private continueBody(c: Connection, req: InFlightRequest, buf: Buffer, pos: number, end: number, t: number): number {
    if (req.decoder === null) {
      const take = Math.min(req.remaining, end - pos);
      captureRaw(req, c.policy.captureBodyBytes, buf, pos, pos + take);
      req.remaining -= take;
      if (req.remaining === 0) this.finishInFlight(c, req, t, null);
      return pos + take;
    }
    const result = req.decoder.feed(buf, pos, end, (data, from, to) => captureBody(req, c.policy.captureBodyBytes, data, from, to));
    captureRaw(req, c.policy.captureBodyBytes, buf, pos, pos + result.consumed);
    if (result.kind === 'error') {
      c.request = null;
      this.rejectRequest(c, req.raw, 0, req.rawKept, req.head, result.code, result.detail, t, req);
      return end;
    }
    if (req.decoder.decodedLength > c.policy.maxBodyBytes) {
      c.request = null;
      this.rejectRequest(c, req.raw, 0, req.rawKept, req.head, 'body-too-large', `chunked body is over the ${c.policy.maxBodyBytes}-byte limit`, t, req);
      return end;
    }
    if (result.kind === 'complete') this.finishInFlight(c, req, t, result.trailers);
    return pos + result.consumed;
  }

  private finishInFlight(c: Connection, req: InFlightRequest, t: number, trailers: HeaderPair[] | null): void {
    c.request = null;
    const chunked = req.decoder !== null;
    this.finishRequest(
      c, req.head, req.raw, 0, req.rawKept, req.rawLength, bodyReceived(req),
      chunked ? req.body : null, chunked ? req.bodyKept : 0, trailers, req.firstByte, req.headComplete, t,
    );
  }

  /**
   * A well-formed request is complete: queue the canned answer and its record.
   * raw[rawFrom, rawTo) are the captured wire bytes (possibly a prefix);
   * `body` is the decoded prefix for chunked bodies (null: body is in raw).
   */
  private finishRequest(
    c: Connection, head: RequestHead, raw: Buffer, rawFrom: number, rawTo: number, rawLength: number,
    bodyLength: number, body: Buffer | null, bodyKept: number, trailers: HeaderPair[] | null,
    firstByte: number, headComplete: number, t: number,
  ): void {
    if (c.policy.handler) {
      const whole = body === null ? raw.subarray(rawFrom + head.headLength, rawFrom + head.headLength + bodyLength) : body.subarray(0, bodyKept);
      // The request owns its body: raw may be the shared read buffer.
      this.serveRequest(c, c.policy.handler, head, raw, rawFrom, Buffer.from(whole), t);
      return;
    }
    const v = this.variants;
    const keepAlive = head.keepAlive && !v.alwaysClose;
    const answer = head.isHead
      ? keepAlive ? (head.version === 10 ? v.headKeepAlive10 : v.headKeepAlive) : v.headClose
      : keepAlive ? (head.version === 10 ? v.keepAlive10 : v.keepAlive) : v.close;
    this.queueOutput(c, answer);
    c.requestsSeen++;
    c.requestFirstByte = 0;
    this.counters.requests++;
    const capturedRawTo = Math.min(rawTo, rawFrom + head.headLength + c.policy.captureBodyBytes);
    this.queueRecord(c, {
      id: this.nextRecordId++, connectionId: c.id, requestOnConnection: c.requestsSeen, listener: c.listener, peer: c.peer,
      raw, rawFrom, rawTo: capturedRawTo, rawLength,
      headLength: head.headLength,
      bodyInRaw: body === null,
      body, bodyFrom: 0,
      bodyKept: body === null ? Math.min(bodyLength, c.policy.captureBodyBytes, capturedRawTo - rawFrom - head.headLength) : bodyKept,
      bodyLength,
      status: v.status,
      error: null, errorDetail: null,
      accepted: c.accepted, firstByte, headComplete, bodyComplete: t, responseWritten: null,
      methodStart: head ? head.methodStart : -1, methodEnd: head ? head.methodEnd : -1,
      targetStart: head ? head.targetStart : -1, targetEnd: head ? head.targetEnd : -1, version: head ? head.version : 0,
      headerCount: head ? head.headerCount : 0, headerOffsets: head ? head.headerOffsets : NO_OFFSETS,
      trailers,
    });
    if (!keepAlive) this.closeAfterAnswer(c, false);
  }

  /**
   * A handler listener's request: ask the handler and queue its answer. Never
   * recorded. A handler that throws or answers something unsendable gets 500.
   */
  private serveRequest(c: Connection, handler: RequestHandler, head: RequestHead, raw: Buffer, rawFrom: number, body: Buffer, t: number): void {
    if (c.closed) return;
    c.requestsSeen++;
    c.requestFirstByte = 0;
    this.counters.handledRequests++;
    const date = httpDate(t);
    let result: HandlerResult;
    let headBytes: Buffer;
    try {
      result = handler(makeHandlerRequest(head, raw, rawFrom, body, c.peer, c.listener));
      if (result.kind === 'stream') {
        // The stream ends the connection: RFC 9112 §7.1 chunked framing (an HTTP/1.0 client cannot take it: the close ends the body).
        headBytes = buildHandlerHead(result.status, result.reason, result.headers, head.version === 11 ? 'chunked' : 'until-close', 'close', date);
      } else {
        const keepAlive = head.keepAlive;
        const connection = keepAlive ? (head.version === 10 ? 'keep-alive' : null) : 'close';
        for (const b of buildWholeResponse(result, head.isHead, connection, date)) this.queueOutput(c, b);
        if (!keepAlive) this.closeAfterAnswer(c, false);
        return;
      }
    } catch (err) {
      this.internalError(err);
      this.queueOutput(c, buildErrorResponse(500, 'the request handler failed', t, head.isHead));
      this.closeAfterAnswer(c, false);
      return;
    }
    this.queueOutput(c, headBytes);
    this.closeAfterAnswer(c, false);
    if (head.isHead) return; // nothing to stream to HEAD
    const stream = new EngineStream(this, c, head.version === 11);
    c.stream = stream;
    this.counters.streamsOpened++;
    try {
      result.open(stream);
    } catch (err) {
      this.internalError(err);
      stream.end();
    }
  }

  /**
   * A handler listener's admission check at a complete head: true when it
   * refused the request (answered, and closing: the body is never read).
   */
  private refuseAtHead(c: Connection, admit: RequestAdmission, head: RequestHead, buf: Buffer, pos: number, t: number): boolean {
    let bytes: Buffer[];
    try {
      const refusal = admit(makeHandlerRequest(head, buf, pos, EMPTY, c.peer, c.listener));
      if (refusal === null) return false;
      bytes = buildWholeResponse(refusal, head.isHead, 'close', httpDate(t));
    } catch (err) {
      this.internalError(err);
      bytes = [buildErrorResponse(500, 'the request check failed', t, head.isHead)];
    }
    for (const b of bytes) this.queueOutput(c, b);
    c.requestsSeen++;
    c.requestFirstByte = 0;
    this.counters.handledRequests++;
    this.closeAfterAnswer(c, true);
    return true;
  }

  /** EngineStream.write: queue one chunk and flush soon (small writes in one tick share a send). */
  writeStream(c: Connection, data: Buffer, chunked: boolean): void {
    if (chunked) for (const part of encodeChunk(data)) this.queueOutput(c, part);
    else this.queueOutput(c, data);
    if (this.outputQueued(c) > MAX_STREAM_QUEUE_BYTES) {
      this.closeConnection(c, now(), null, null, 'overflow');
      return;
    }
    this.scheduleFlush(c);
  }

  /** EngineStream.end: the last chunk; the connection closes once it is written. */
  endStream(c: Connection, chunked: boolean): void {
    c.stream = null;
    if (chunked) this.queueOutput(c, LAST_CHUNK);
    this.scheduleFlush(c);
  }

  queuedBytes(c: Connection): number {
    return this.outputQueued(c);
  }

  /** A stream's onClose listener threw: contained, reported like any internal error. */
  streamListenerFailed(err: unknown): void {
    this.internalError(err);
  }

  private scheduleFlush(c: Connection): void {
    if (c.flushScheduled) return;
    c.flushScheduled = true;
    queueMicrotask(() => {
      c.flushScheduled = false;
      if (c.closed || this.stopped) return;
      try {
        this.flushOutput(c, now());
      } catch (err) {
        this.internalError(err);
      }
    });
  }

  /**
   * A malformed or refused request: record it with its error code, answer the
   * matching status, and close (RFC 9112 §6.3: framing we cannot trust means
   * no later byte on this connection may be read as a request).
   */
  private rejectRequest(
    c: Connection, buf: Buffer, pos: number, end: number, head: HeadSketch | null, code: CaptureErrorCode,
    detail: string, t: number, req: InFlightRequest | null = null,
  ): void {
    const status = CAPTURE_ERROR_STATUS[code] ?? 400;
    // RFC 9110 §9.3.2: even a refusal of HEAD carries no content.
    this.queueOutput(c, buildErrorResponse(status, detail, t, head?.isHead ?? false));
    c.requestsSeen++;
    if (c.policy.handler) {
      // Handler listeners are not captured traffic: answered, closed, never recorded.
      c.requestFirstByte = 0;
      this.closeAfterAnswer(c, true);
      return;
    }
    this.counters.requests++;
    this.counters.malformedRequests++;
    const headLength = head ? head.headLength : 0;
    // Bytes after a complete head are (a start of) its body; without a complete head there is no body.
    const bodied = headLength > 0;
    const rawTo = Math.min(end, pos + Math.max(headLength, this.headLimits.maxHeaderSectionBytes) + c.policy.captureBodyBytes);
    const chunkedBody = req?.decoder ? req.body : null;
    this.queueRecord(c, {
      id: this.nextRecordId++, connectionId: c.id, requestOnConnection: c.requestsSeen, listener: c.listener, peer: c.peer,
      raw: buf, rawFrom: pos, rawTo, rawLength: req ? req.rawLength : end - pos,
      headLength,
      bodyInRaw: chunkedBody === null,
      body: chunkedBody, bodyFrom: 0,
      bodyKept: chunkedBody ? req!.bodyKept : bodied ? Math.max(0, Math.min(rawTo - pos - headLength, req ? bodyReceived(req) : Infinity)) : 0,
      bodyLength: req ? bodyReceived(req) : bodied ? Math.max(0, rawTo - pos - headLength) : 0,
      status,
      error: code, errorDetail: detail,
      accepted: c.accepted, firstByte: req ? req.firstByte : c.requestFirstByte || t,
      headComplete: head ? (req ? req.headComplete : t) : null, bodyComplete: null, responseWritten: null,
      methodStart: head ? head.methodStart : -1, methodEnd: head ? head.methodEnd : -1,
      targetStart: head ? head.targetStart : -1, targetEnd: head ? head.targetEnd : -1, version: head ? head.version : 0,
      headerCount: head ? head.headerCount : 0, headerOffsets: head ? head.headerOffsets : NO_OFFSETS,
      trailers: null,
    });
    c.requestFirstByte = 0;
    this.closeAfterAnswer(c, true);
  }

  /** Bytes after a request that closed the connection: one record, not answered. */
  private recordAfterClose(c: Connection, buf: Buffer, pos: number, end: number, t: number): void {
    if (c.policy.handler) return;
    c.requestsSeen++;
    this.counters.requests++;
    this.counters.malformedRequests++;
    this.queueRecord(c, {
      id: this.nextRecordId++, connectionId: c.id, requestOnConnection: c.requestsSeen, listener: c.listener, peer: c.peer,
      raw: buf, rawFrom: pos, rawTo: Math.min(end, pos + this.headLimits.maxHeaderSectionBytes + c.policy.captureBodyBytes),
      rawLength: end - pos, headLength: 0,
      bodyInRaw: true, body: null, bodyFrom: 0, bodyKept: 0, bodyLength: 0,
      status: null,
      error: 'after-close', errorDetail: 'sent after a request that closed the connection; not answered',
      accepted: c.accepted, firstByte: t, headComplete: null, bodyComplete: null, responseWritten: null,
      methodStart: -1, methodEnd: -1, targetStart: -1, targetEnd: -1, version: 0, headerCount: 0, headerOffsets: NO_OFFSETS,
      trailers: null,
    });
  }

  private closeAfterAnswer(c: Connection, linger: boolean): void {
    c.closeAfterWrite = true;
    c.lingerOnClose = c.lingerOnClose || linger;
    c.pendingLength = 0;
    c.request = null;
  }

  // ───────────────────────────── output ─────────────────────────────

  private queueOutput(c: Connection, bytes: Buffer): void {
    c.out.push(bytes);
    c.outTotalQueued += bytes.length;
  }

  /** The record is delivered once everything queued so far (its answer included) is written. */
  private queueRecord(c: Connection, parts: RecordParts): void {
    c.awaiting.push({ parts, outputEnd: c.outTotalQueued });
  }

  /** Write what is queued; deliver records whose answers are out; arrange EPOLLOUT or closing. */
  private flushOutput(c: Connection, t: number): void {
    // One send per queued buffer, small ones merged first. Merging everything queued into one buffer
    // copied the whole queue again whenever a piece was added behind a partial send: a streamed
    // response (megabytes queued, added to piece by piece) was copied over and over.
    while (c.out.length > 0) {
      if (c.out.length > 1 && c.out[0]!.length - c.outOffset + c.out[1]!.length <= COALESCE_SEND_BYTES) coalesceOutput(c);
      const data = c.out[0]!;
      let sent: number | null;
      try {
        sent = trySend(c.fd, c.outOffset === 0 ? data : data.subarray(c.outOffset), data.length - c.outOffset);
      } catch (err) {
        // EPIPE / ECONNRESET: the client is gone; its records are still delivered, without a write time.
        const code = err instanceof SyscallError ? err.code : 'error';
        this.closeConnection(c, t, 'connection-reset', `send failed: ${code}`);
        return;
      }
      if (sent === null) break;
      // The client is taking our output: that is activity (a stream's writes come from its writer, not from reads).
      if (sent > 0) c.lastActivity = t;
      this.counters.bytesSent += sent;
      c.outTotalSent += sent;
      c.outOffset += sent;
      if (c.outOffset < data.length) {
        this.counters.partialSends++;
        break;
      }
      c.out.shift();
      c.outOffset = 0;
    }
    this.deliverWritten(c, t);
    if (c.out.length > 0) {
      // Partial send: wait for EPOLLOUT; stop reading while too much is queued (a client that never reads).
      this.detachAwaiting(c);
      this.setInterest(c, this.outputQueued(c) > MAX_OUTPUT_QUEUE_BYTES || c.parsePaused || c.closeAfterWrite || c.peerClosed ? EPOLLOUT : EPOLLIN | EPOLLOUT);
      return;
    }
    if (c.peerClosed) {
      this.closeConnection(c, t, 'connection-closed', 'client closed the connection mid-request');
    } else if (c.closeAfterWrite && c.stream === null) {
      this.finishClose(c, t);
    } else if (c.interest !== EPOLLIN) {
      // (An open stream with nothing queued also waits here: reading shows when its client goes.)
      // Everything is written (so every record was delivered): read again.
      this.setInterest(c, EPOLLIN);
    }
  }

  private onWritable(c: Connection, t: number): void {
    c.lastActivity = t;
    this.flushAndResume(c, t);
  }

  private deliverWritten(c: Connection, t: number): void {
    let i = 0;
    for (; i < c.awaiting.length; i++) {
      const a = c.awaiting[i]!;
      if (a.outputEnd > c.outTotalSent) break;
      a.parts.responseWritten = t;
      this.batcher.add(a.parts);
    }
    if (i > 0) c.awaiting.splice(0, i);
  }

  /** Records still waiting for their answer must not point into the shared read buffer: copy their bytes. */
  private detachAwaiting(c: Connection): void {
    for (const a of c.awaiting) {
      const p = a.parts;
      if (p.raw === this.scratch || p.raw === c.pending) {
        p.raw = Buffer.from(p.raw.subarray(p.rawFrom, p.rawTo));
        p.rawTo -= p.rawFrom;
        p.rawFrom = 0;
      }
    }
  }

  /** Our last answer is out: close now, or linger so the client can read it (RFC 9112 §9.6). */
  private finishClose(c: Connection, t: number): void {
    if (!c.lingerOnClose) {
      this.closeConnection(c, t, null, null);
      return;
    }
    try {
      shutdown(c.fd, SHUT_WR);
    } catch {
      this.closeConnection(c, t, null, null);
      return;
    }
    c.lingering = true;
    c.lingerDeadline = t + LINGER_MS;
    this.setInterest(c, EPOLLIN);
  }

  private setInterest(c: Connection, events: number): void {
    if (c.interest === events || c.closed) return;
    epoll_ctl(this.epfd, EPOLL_CTL_MOD, c.fd, events);
    c.interest = events;
  }

  /**
   * Close the connection. A request in progress becomes a record with
   * `error` (client reset, closed early, timeout, engine stop); records whose
   * answers were queued are delivered without a write time.
   */
  private closeConnection(
    c: Connection, t: number, error: CaptureErrorCode | null, detail: string | null, streamReason: StreamCloseReason = 'client-closed',
  ): void {
    if (c.closed) return;
    c.closed = true;
    if (c.stream) {
      const stream = c.stream;
      c.stream = null;
      stream.connectionClosed(this.stopped ? 'engine-stopped' : streamReason);
    }
    // Requests held back by the output cap still become records of their own (answers never written).
    // A handler listener's are dropped: nobody could read their answers, and a handler must not act on them.
    if (c.parsePaused && !c.policy.handler) this.resumeParsing(c, t);
    for (const a of c.awaiting) {
      if (a.outputEnd <= c.outTotalSent) a.parts.responseWritten = t;
      this.batcher.add(a.parts);
    }
    c.awaiting.length = 0;
    if (error !== null && !c.lingering && !c.closeAfterWrite) {
      this.recordAbandoned(c, t, error, detail ?? error);
    } else if (c.requestsSeen === 0 && !hasPartialHead(c)) {
      this.counters.connectionsWithoutRequest++;
    }
    this.connections.delete(c.fd);
    try {
      closeFd(c.fd); // closing removes it from the epoll set
    } catch (err) {
      this.internalError(err);
    }
  }

  /** A request cut off before it completed: record what arrived. Nothing is answered. */
  private recordAbandoned(c: Connection, t: number, error: CaptureErrorCode, detail: string): void {
    const req = c.request;
    if (c.policy.handler) {
      c.request = null;
      c.pendingLength = 0;
      return;
    }
    if (!req && !hasPartialHead(c)) {
      if (c.requestsSeen === 0) this.counters.connectionsWithoutRequest++;
      return;
    }
    c.requestsSeen++;
    this.counters.requests++;
    this.counters.malformedRequests++;
    const head = req ? req.head : null;
    const raw = req ? req.raw : c.pending!;
    const rawTo = req ? req.rawKept : c.pendingLength;
    const chunked = req?.decoder ? req : null;
    this.batcher.add({
      id: this.nextRecordId++, connectionId: c.id, requestOnConnection: c.requestsSeen, listener: c.listener, peer: c.peer,
      raw, rawFrom: 0, rawTo, rawLength: req ? req.rawLength : c.pendingLength,
      headLength: head ? head.headLength : 0,
      bodyInRaw: !chunked,
      body: chunked ? req!.body : null, bodyFrom: 0,
      bodyKept: chunked ? req!.bodyKept : head ? Math.max(0, rawTo - head.headLength) : 0,
      bodyLength: req ? bodyReceived(req) : 0,
      status: null,
      error, errorDetail: detail,
      accepted: c.accepted, firstByte: req ? req.firstByte : c.requestFirstByte || t,
      headComplete: req ? req.headComplete : null, bodyComplete: null, responseWritten: null,
      methodStart: head ? head.methodStart : -1, methodEnd: head ? head.methodEnd : -1,
      targetStart: head ? head.targetStart : -1, targetEnd: head ? head.targetEnd : -1, version: head ? head.version : 0,
      headerCount: head ? head.headerCount : 0, headerOffsets: head ? head.headerOffsets : NO_OFFSETS,
      trailers: null,
    });
    c.request = null;
    c.pendingLength = 0;
  }

  // ───────────────────────────── timeouts ─────────────────────────────

  private sweep(): void {
    if (this.stopped) return;
    const t = now();
    this.refreshVariants(t);
    for (const c of [...this.connections.values()]) {
      try {
        if (c.lingering) {
          if (t >= c.lingerDeadline) this.closeConnection(c, t, null, null);
        } else if (c.stream && c.out.length === 0) {
          // An open stream that is all written waits for its writer, however long.
        } else if (c.closeAfterWrite || c.out.length > 0) {
          // Waiting on the client to read: bounded by the idle timeout.
          if (t - c.lastActivity > this.idleTimeoutMs) this.closeConnection(c, t, 'connection-closed', 'client stopped reading');
        } else if (c.request) {
          if (t - c.lastActivity > this.bodyTimeoutMs) this.timeOut(c, t, 'body-timeout', `no body bytes for ${this.bodyTimeoutMs} ms`);
        } else if (c.requestFirstByte !== 0) {
          if (t - c.requestFirstByte > this.headTimeoutMs) this.timeOut(c, t, 'head-timeout', `head not complete after ${this.headTimeoutMs} ms`);
        } else if (t - c.lastActivity > this.idleTimeoutMs) {
          this.closeConnection(c, t, null, null);
        }
      } catch (err) {
        this.internalError(err);
      }
    }
  }

  /** RFC 9110 §15.5.9: 408 for a request that did not arrive in time; recorded, then closed. */
  private timeOut(c: Connection, t: number, code: 'head-timeout' | 'body-timeout', detail: string): void {
    const req = c.request;
    if (req) {
      c.request = null;
      this.rejectRequest(c, req.raw, 0, req.rawKept, req.head, code, detail, t, req);
    } else {
      const pending = c.pending!;
      const length = c.pendingLength;
      c.pendingLength = 0;
      this.rejectRequest(c, pending, 0, length, null, code, detail, t);
      this.detachAwaiting(c);
    }
    this.flushOutput(c, t);
  }

  private internalError(err: unknown): void {
    this.counters.internalErrors++;
    this.onInternalError(err);
  }
}

const EMPTY = Buffer.alloc(0);

/** The ResponseStream a handler's StreamedResponse is given (one per streaming connection). */
class EngineStream implements ResponseStream, OpenStream {
  private listeners: Array<(reason: StreamCloseReason) => void> = [];
  private closedWith: StreamCloseReason | null = null;

  constructor(private readonly engine: Engine, private readonly c: Connection, private readonly chunked: boolean) {}

  get closed(): boolean {
    return this.closedWith !== null;
  }

  get queuedBytes(): number {
    return this.closedWith === null ? this.engine.queuedBytes(this.c) : 0;
  }

  write(chunk: Buffer | string): boolean {
    if (this.closedWith !== null) return false;
    const data = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    // A zero-size chunk would be the last chunk (RFC 9112 §7.1): never write one by accident.
    if (data.length > 0) this.engine.writeStream(this.c, data, this.chunked);
    return this.closedWith === null;
  }

  end(): void {
    if (this.closedWith !== null) return;
    this.engine.endStream(this.c, this.chunked);
    this.connectionClosed('ended');
  }

  onClose(listener: (reason: StreamCloseReason) => void): void {
    if (this.closedWith !== null) this.notify(listener, this.closedWith);
    else this.listeners.push(listener);
  }

  connectionClosed(reason: StreamCloseReason): void {
    if (this.closedWith !== null) return;
    this.closedWith = reason;
    const listeners = this.listeners;
    this.listeners = [];
    for (const l of listeners) this.notify(l, reason);
  }

  private notify(listener: (reason: StreamCloseReason) => void, reason: StreamCloseReason): void {
    try {
      listener(reason);
    } catch (err) {
      this.engine.streamListenerFailed(err);
    }
  }
}
