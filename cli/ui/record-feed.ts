/**
 * The browser inspector's record history and its binary event streams
 * (common/browser-protocol.ts, UI_PATHS.events, RECORDS_CONTENT_TYPE).
 *
 * Every batch the capture engine delivers gets the next sequence number
 * (1, 2, …) and becomes a ready records frame (KeptFrame: the frame and
 * batch headers, then the batch's own arrays, not copied), kept in a bounded
 * history (oldest dropped first, counted). A subscriber is a
 * ResponseStream plus a cursor (the next sequence number it needs): on
 * subscribe it gets the current status frame, then every kept frame after
 * its `?after=` sequence number (all of them without one, so a reload shows
 * everything captured), then live frames. Frames are read from the history
 * as the client takes them, in pieces of at most WRITE_PIECE_BYTES: a
 * subscriber whose stream holds more than STREAM_HIGH_WATER_BYTES unsent is
 * paused and pumped again on a timer, so a slow reader costs a cursor, not a
 * copy of the history, and a frame of any size (a huge kept body) reaches
 * the page without ever passing the engine's stream queue limit. A stream
 * that still passes MAX_SUBSCRIBER_QUEUE_BYTES is ended: the page fetches
 * again with `?after=<last sequence number>` and the replay resumes, so
 * nothing is lost.
 *
 * Status frames (EngineStatus as UTF-8 JSON, sequence number 0) and a ping
 * frame every HEARTBEAT_INTERVAL_MS (proxies close silent connections) go to
 * every stream, between records frames, never inside one.
 *
 * Pacing (capture first): while the capture engine publishes more than
 * FLOOD_RECORDS_PER_SECOND records, each stream is sent at most
 * PACED_BYTES_PER_SECOND, in bursts of PACE_TICK_MS worth that end between
 * frames (an overrun is owed by the next bursts). The page's work
 * (receiving, decoding, storing, drawing) runs on the same CPUs as the
 * engine, and following 40,000 requests a second took a third of a core
 * from it (bench/README.md, ui-browser-load); paced, the page follows about
 * 11,000 small requests a second and the rest waits in the history, to be sent at full
 * speed once the flood has eased (within about 3 s: up to two rate windows,
 * then up to a tick). Nothing is dropped by pacing: a stream
 * whose backlog passes PACE_MAX_BACKLOG_SHARE of the history is no longer
 * paced (a long flood would otherwise push its records out of the history
 * before they were sent), so the page then costs capture CPU again. A stream
 * left behind (paced, or a slow reader) gets a backlog frame, at most twice
 * every PACE_TICK_MS, saying how many captured records it has not been sent, and
 * one saying 0 when it has caught up, so the page can say it is behind.
 */
import { encodeBacklogFrame, encodeFrame, encodeRecordsFrameParts, encodeStatusFrame, FRAME_TYPE } from '../../common/browser-protocol';
import type { EngineStatus } from '../../common/inspector-api';
import type { RecordBatch } from '../../common/record-batch';
import type { ResponseStream } from '../../server/http-handler';

/** Total size of kept frames; past it the oldest batches are dropped (a reload then misses them). */
export const MAX_FEED_HISTORY_BYTES = 256 * 1024 * 1024;
/** Unsent bytes in a stream past which the feed stops writing to it until the client catches up. */
export const STREAM_HIGH_WATER_BYTES = 4 * 1024 * 1024;
/** Unsent bytes past which a stream is ended (below the engine's own MAX_STREAM_QUEUE_BYTES, 32 MiB, server/http-handler.ts). */
export const MAX_SUBSCRIBER_QUEUE_BYTES = 16 * 1024 * 1024;
/**
 * A records frame is written in pieces of at most this size, each only while
 * the stream holds less than STREAM_HIGH_WATER_BYTES, so the unsent bytes stay
 * under high water + one piece + status frames: far below the engine's
 * MAX_STREAM_QUEUE_BYTES (server/http-handler.ts), whatever the size of the frame.
 */
export const WRITE_PIECE_BYTES = 1024 * 1024;
/** How often paused subscribers are offered more frames. */
export const PUMP_INTERVAL_MS = 10;
/** Idle streams get a ping frame this often (many proxies close a connection silent for 30–60 s). */
export const HEARTBEAT_INTERVAL_MS = 15_000;
/**
 * Capture publishing more records than this in a RATE_WINDOW_MS window (the
 * current or the one before) is a flood: streams are paced. Counted in
 * records, not bytes: a few large uploads are no flood (the page's cost is
 * mostly per request and per update). The 5,000 a second the UI is built to
 * follow live (bench/ui-browser-load.ts, part A) stay well below it; load
 * tests (40,000 a second and more) are far above.
 */
export const FLOOD_RECORDS_PER_SECOND = 8000;
/** What one stream is sent per second during a flood (`serve --ui-feed-rate` sets both, in KiB). */
export const PACED_BYTES_PER_SECOND = 2 * 1024 * 1024;
/**
 * A paced stream gets its share in bursts this far apart: a few large writes
 * wake the browser far less often than one per batch (a batch every 16 ms).
 * Backlog frames on a stream are at least half of it apart.
 */
export const PACE_TICK_MS = 1000;
/** The window the capture rate is measured over. */
export const RATE_WINDOW_MS = 1000;
/** A stream is paced only while its unsent frames are less than this share of the history bound. */
export const PACE_MAX_BACKLOG_SHARE = 0.5;

/** A Buffer over the array's bytes (no copy). */
const asBuffer = (a: Uint8Array): Buffer => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

const PING = asBuffer(encodeFrame(FRAME_TYPE.ping, 0, new Uint8Array(0)));

export interface FeedOptions {
  status: EngineStatus;
  maxHistoryBytes?: number;
  highWaterBytes?: number;
  maxQueueBytes?: number;
  heartbeatMs?: number;
  pumpIntervalMs?: number;
  floodRecordsPerSecond?: number;
  pacedBytesPerSecond?: number;
  paceTickMs?: number;
  rateWindowMs?: number;
  /** Milliseconds from any fixed point (performance.now by default); tests drive it by hand. */
  now?: () => number;
}

export interface FeedStats {
  /** Batches published so far (the last sequence number). */
  published: number;
  /** Batches dropped from the history to stay within its bound, and their frame bytes. */
  dropped: number;
  droppedBytes: number;
  keptBatches: number;
  keptBytes: number;
  subscribers: number;
  /** Streams ended for holding too many unsent bytes. */
  endedForBackpressure: number;
  /** True while capture publishes faster than the flood rate (streams are paced). */
  flooded: boolean;
  /** Records published so far. */
  publishedRecords: number;
  /**
   * Batches past the frame format's MAX_FRAME_PAYLOAD_BYTES: numbered, never
   * sent. It is above what the CLI can capture in one batch, so 0 unless
   * those limits change without each other.
   */
  oversized: number;
}

interface Subscriber {
  stream: ResponseStream;
  /** Sequence number of the next frame this stream needs. */
  next: number;
  /** Bytes of frame `next` already written (a frame goes out in pieces), and that frame while it is. */
  offset: number;
  current?: KeptFrame | null;
  /** Status and ping frames waiting for the end of the records frame being written; BACKLOG_NEWS marks backlog news, counted when it goes out. */
  control: Array<Buffer | typeof BACKLOG_NEWS>;
  /** Bytes this stream may still be sent in the current burst, and when its next burst may begin. */
  allowance: number;
  nextBurstAt: number;
  /** The last backlog told to this stream (0: none, or caught up) and when. */
  toldBacklog: number;
  toldAt: number;
}

/** The frame for one status (sequence number 0: it does not move the page's cursor). */
export function statusFrame(status: EngineStatus): Buffer {
  return asBuffer(encodeStatusFrame(status));
}

/**
 * A kept records frame: the parts of encodeRecordsFrameParts (headers, then
 * views of the batch's own arrays: keeping a batch costs no copy) and their
 * total length.
 */
export interface KeptFrame {
  readonly parts: readonly Buffer[];
  readonly length: number;
}

const EMPTY_FRAME: KeptFrame = { parts: [], length: 0 };

/** The kept frame for one batch (RangeError past the frame format's limit). */
export function keptFrame(seq: number, batch: RecordBatch): KeptFrame {
  const parts = encodeRecordsFrameParts(seq, batch).map(asBuffer);
  let length = 0;
  for (const p of parts) length += p.length;
  return { parts, length };
}

/** Bytes [from, to) of `frame` to `stream`, a write per part they touch (no copy). */
function writeRange(stream: ResponseStream, frame: KeptFrame, from: number, to: number): void {
  let at = 0;
  for (const part of frame.parts) {
    const end = at + part.length;
    if (end > from && at < to) {
      const a = Math.max(from, at) - at;
      const b = Math.min(to, end) - at;
      stream.write(a === 0 && b === part.length ? part : part.subarray(a, b));
    }
    at = end;
    if (at >= to) return;
  }
}

/**
 * The `after` query value as a sequence number: digits only, else null (then
 * the whole history is replayed).
 */
export function parseAfterSeq(value: string | null): number | null {
  if (value === null) return null;
  const v = value.trim();
  return /^\d{1,15}$/.test(v) ? Number(v) : null;
}

export class RecordFeed {
  private readonly frames: KeptFrame[] = [];
  /** Per kept frame (same index as `frames`): records and frame bytes published before it. */
  private readonly recordsBefore: number[] = [];
  private readonly bytesBefore: number[] = [];
  private publishedRecords = 0;
  private publishedBytes = 0;
  /** Records published in the current rate window (started at windowStart) and in the one before. */
  private windowStart = -Infinity;
  private windowRecords = 0;
  private previousWindowRecords = 0;
  /** Index in `frames` of the oldest kept frame (dropping advances it; the array is compacted now and then). */
  private head = 0;
  /** Sequence number of frames[head]. */
  private firstSeq = 1;
  private nextSeq = 1;
  private keptBytes = 0;
  private dropped = 0;
  private droppedBytes = 0;
  private endedForBackpressure = 0;
  private oversized = 0;
  private currentStatus: EngineStatus;
  private readonly subscribers = new Set<Subscriber>();
  private pumpTimer: NodeJS.Timeout | null = null;
  /** When the pump timer fires (to bring it forward when a sooner pump is needed). */
  private pumpDue = Infinity;
  private readonly heartbeat: NodeJS.Timeout;
  private closed = false;

  private readonly maxHistoryBytes: number;
  private readonly highWaterBytes: number;
  private readonly maxQueueBytes: number;
  private readonly pumpIntervalMs: number;
  private readonly floodRecordsPerSecond: number;
  private readonly pacedBytesPerSecond: number;
  private readonly paceTickMs: number;
  private readonly rateWindowMs: number;
  /** A paced stream's largest allowance: one tick's worth. */
  private readonly burstBytes: number;
  private readonly now: () => number;

  constructor(options: FeedOptions) {
    this.currentStatus = options.status;
    this.maxHistoryBytes = options.maxHistoryBytes ?? MAX_FEED_HISTORY_BYTES;
    this.highWaterBytes = options.highWaterBytes ?? STREAM_HIGH_WATER_BYTES;
    this.maxQueueBytes = options.maxQueueBytes ?? MAX_SUBSCRIBER_QUEUE_BYTES;
    this.pumpIntervalMs = options.pumpIntervalMs ?? PUMP_INTERVAL_MS;
    this.floodRecordsPerSecond = options.floodRecordsPerSecond ?? FLOOD_RECORDS_PER_SECOND;
    this.pacedBytesPerSecond = options.pacedBytesPerSecond ?? PACED_BYTES_PER_SECOND;
    this.paceTickMs = options.paceTickMs ?? PACE_TICK_MS;
    this.rateWindowMs = options.rateWindowMs ?? RATE_WINDOW_MS;
    this.burstBytes = Math.max(1, Math.floor((this.pacedBytesPerSecond * this.paceTickMs) / 1000));
    this.now = options.now ?? (() => performance.now());
    this.heartbeat = setInterval(() => this.ping(), options.heartbeatMs ?? HEARTBEAT_INTERVAL_MS);
    this.heartbeat.unref();
  }

  get status(): EngineStatus {
    return this.currentStatus;
  }

  stats(): FeedStats {
    return {
      published: this.nextSeq - 1,
      dropped: this.dropped,
      droppedBytes: this.droppedBytes,
      keptBatches: this.frames.length - this.head,
      keptBytes: this.keptBytes,
      subscribers: this.subscribers.size,
      endedForBackpressure: this.endedForBackpressure,
      oversized: this.oversized,
      flooded: this.flooded(),
      publishedRecords: this.publishedRecords,
    };
  }

  /**
   * Take one batch from the capture engine: number it, encode it once, keep
   * it and send it to every subscriber that is caught up. Returns its
   * sequence number. The batch is kept, not copied: it must not change
   * afterwards (the capture engine hands over each batch for good). A batch
   * past the frame format's limit is counted and left out (FeedStats.oversized);
   * the page's cursor simply passes its number.
   */
  publishBatch(batch: RecordBatch): number {
    let frame: KeptFrame;
    try {
      frame = keptFrame(this.nextSeq, batch);
    } catch (err) {
      // Past the frame format's own limit (MAX_FRAME_PAYLOAD_BYTES): RangeError, never anything else.
      if (!(err instanceof RangeError)) throw err;
      frame = EMPTY_FRAME;
    }
    if (frame.length === 0) {
      // An empty placeholder keeps the history one entry per sequence number (empty writes send nothing).
      this.oversized++;
      frame = EMPTY_FRAME;
    }
    const seq = this.nextSeq++;
    this.frames.push(frame);
    this.recordsBefore.push(this.publishedRecords);
    this.bytesBefore.push(this.publishedBytes);
    this.publishedRecords += batch.count;
    this.publishedBytes += frame.length;
    this.keptBytes += frame.length;
    this.countRate(batch.count);
    // Oldest first; the newest frame is always kept, even alone past the bound.
    while (this.keptBytes > this.maxHistoryBytes && this.frames.length - this.head > 1) {
      const old = this.frames[this.head]!;
      this.frames[this.head] = EMPTY_FRAME;
      this.head++;
      this.firstSeq++;
      this.keptBytes -= old.length;
      this.dropped++;
      this.droppedBytes += old.length;
    }
    if (this.head > 1024 && this.head * 2 > this.frames.length) {
      this.frames.splice(0, this.head);
      this.recordsBefore.splice(0, this.head);
      this.bytesBefore.splice(0, this.head);
      this.head = 0;
    }
    for (const s of this.subscribers) this.pump(s);
    return seq;
  }

  /** Make `status` current and send it to every subscriber. */
  publishStatus(status: EngineStatus): void {
    this.currentStatus = status;
    this.sendControl(statusFrame(status));
  }

  /**
   * Serve one event stream: the current status, the kept history after
   * `after` (the request's `after` query value, raw; null or unparseable =
   * everything), then live frames until the stream closes.
   */
  subscribe(stream: ResponseStream, after: string | null): void {
    if (this.closed) {
      stream.end();
      return;
    }
    const last = parseAfterSeq(after);
    const sub: Subscriber = {
      stream,
      next: last === null ? this.firstSeq : Math.min(last + 1, this.nextSeq),
      offset: 0,
      control: [],
      allowance: this.burstBytes,
      nextBurstAt: this.now() + this.paceTickMs,
      toldBacklog: 0,
      toldAt: -Infinity,
    };
    stream.write(statusFrame(this.currentStatus));
    if (stream.closed) return;
    this.subscribers.add(sub);
    stream.onClose(() => this.subscribers.delete(sub));
    this.pump(sub);
  }

  /** End every stream and stop the timers (the UI engine is stopping). */
  close(): void {
    this.closed = true;
    clearInterval(this.heartbeat);
    if (this.pumpTimer) clearTimeout(this.pumpTimer);
    this.pumpTimer = null;
    this.pumpDue = Infinity;
    for (const s of [...this.subscribers]) s.stream.end();
    this.subscribers.clear();
  }

  /** Write frames from the subscriber's cursor while its stream takes them; schedule the rest. */
  private pump(sub: Subscriber): void {
    const { stream } = sub;
    if (stream.closed) {
      this.subscribers.delete(sub);
      return;
    }
    for (;;) {
      // Frames dropped from the history while this stream was behind are gone (a frame being
      // written stays readable in sub.current).
      if (sub.offset === 0 && sub.next < this.firstSeq) sub.next = this.firstSeq;
      if (sub.offset === 0 && sub.control.length > 0) {
        const queued = sub.control.splice(0);
        for (const frame of queued) {
          if (frame === BACKLOG_NEWS) this.tellBacklog(sub);
          else stream.write(frame);
        }
      }
      if (stream.closed) return;
      if (sub.next >= this.nextSeq) {
        if (sub.toldBacklog > 0) this.tellBacklog(sub);
        return;
      }
      const queued = stream.queuedBytes;
      if (queued > this.maxQueueBytes) {
        this.endedForBackpressure++;
        this.subscribers.delete(sub);
        stream.end();
        return;
      }
      if (queued > this.highWaterBytes) {
        this.behind(sub);
        this.schedulePump(this.pumpIntervalMs);
        return;
      }
      const flooded = this.flooded();
      // Past the backlog bound the stream is sent as capture publishes (what it is sent then is not owed).
      const paced = flooded && this.unsentBytes(sub) < this.maxHistoryBytes * PACE_MAX_BACKLOG_SHARE;
      if (paced && sub.offset === 0 && sub.allowance <= 0) {
        // At most a burst per tick, in few large writes (never a dribble). A burst finishes the frame it
        // started, so a paced stream waits between frames (status and backlog news need not wait); what it
        // overran is owed by the next bursts.
        const now = this.now();
        if (now < sub.nextBurstAt) {
          this.behind(sub);
          this.schedulePump(sub.nextBurstAt - now);
          return;
        }
        sub.allowance += this.burstBytes;
        sub.nextBurstAt = now + this.paceTickMs;
        if (sub.allowance <= 0) continue;
      } else if (!flooded) {
        // Unpaced, the current tick counts as this stream's first burst should a flood begin.
        sub.allowance = this.burstBytes;
        sub.nextBurstAt = this.now() + this.paceTickMs;
      }
      const frame = sub.offset === 0 ? this.frameAt(sub.next) : sub.current!;
      const end = Math.min(frame.length, sub.offset + WRITE_PIECE_BYTES);
      if (paced) sub.allowance -= end - sub.offset;
      if (end > sub.offset) writeRange(stream, frame, sub.offset, end);
      if (end >= frame.length) {
        sub.next++;
        sub.offset = 0;
        sub.current = null;
      } else {
        sub.offset = end;
        sub.current = frame;
      }
    }
  }

  private frameAt(seq: number): KeptFrame {
    return this.frames[this.head + (seq - this.firstSeq)]!;
  }

  /** Index in the per-frame arrays of the next frame `sub` needs (a frame being written that has since left the history counts from the oldest kept one). */
  private indexOfNext(sub: Subscriber): number {
    return this.head + (Math.max(sub.next, this.firstSeq) - this.firstSeq);
  }

  /** Records published and not yet sent to `sub` (a frame sent in part counts as not sent). */
  private backlogOf(sub: Subscriber): number {
    return sub.next >= this.nextSeq ? 0 : this.publishedRecords - this.recordsBefore[this.indexOfNext(sub)]!;
  }

  /** Frame bytes published and not yet sent to `sub`. */
  private unsentBytes(sub: Subscriber): number {
    return sub.next >= this.nextSeq ? 0 : this.publishedBytes - this.bytesBefore[this.indexOfNext(sub)]! - sub.offset;
  }

  /**
   * `sub` waits with records unsent: tell it how many, at most twice a tick (once a tick could miss
   * every paced wait by a hair: the bursts themselves are a tick apart).
   */
  private behind(sub: Subscriber): void {
    if (this.now() - sub.toldAt >= this.paceTickMs / 2) this.tellBacklog(sub);
  }

  /**
   * Send `sub` its backlog now, or, inside a records frame, once that frame is written (counted then, so
   * that it is current when it arrives): the page subtracts what it receives after the news from it.
   */
  private tellBacklog(sub: Subscriber): void {
    sub.toldAt = this.now();
    if (sub.offset !== 0) {
      if (!sub.control.includes(BACKLOG_NEWS)) sub.control.push(BACKLOG_NEWS);
      return;
    }
    const n = this.backlogOf(sub);
    sub.toldBacklog = n;
    sub.stream.write(asBuffer(encodeBacklogFrame(n)));
  }

  /** Count `records` published now into the capture rate. */
  private countRate(records: number): void {
    this.rollWindow();
    this.windowRecords += records;
  }

  private rollWindow(): void {
    const now = this.now();
    if (now - this.windowStart < this.rateWindowMs) return;
    // The window just ended becomes "the one before" only if it ended less than a window ago.
    this.previousWindowRecords = now - this.windowStart < 2 * this.rateWindowMs ? this.windowRecords : 0;
    this.windowStart = now;
    this.windowRecords = 0;
  }

  /** Capture is publishing faster than the flood rate (this window or the one before). */
  private flooded(): boolean {
    this.rollWindow();
    const limit = (this.floodRecordsPerSecond * this.rateWindowMs) / 1000;
    return this.windowRecords > limit || this.previousWindowRecords > limit;
  }

  /** A status or ping frame for every stream: now, or after the records frame it is in the middle of. */
  private sendControl(frame: Buffer): void {
    for (const s of this.subscribers) {
      if (s.offset === 0) s.stream.write(frame);
      else s.control.push(frame);
    }
  }

  /** Pump every stream in `delayMs` (or sooner, if a pump is already due sooner). */
  private schedulePump(delayMs: number): void {
    if (this.closed) return;
    const due = this.now() + Math.max(1, delayMs);
    if (this.pumpTimer !== null) {
      if (this.pumpDue <= due) return;
      clearTimeout(this.pumpTimer);
    }
    this.pumpDue = due;
    this.pumpTimer = setTimeout(() => {
      this.pumpTimer = null;
      this.pumpDue = Infinity;
      for (const s of [...this.subscribers]) this.pump(s);
    }, Math.max(1, Math.ceil(delayMs)));
    this.pumpTimer.unref();
  }

  private ping(): void {
    this.sendControl(PING);
  }
}

/** A place in a stream's control queue for backlog news (the count is taken when it is written). */
const BACKLOG_NEWS = Symbol('backlog news');
