/**
 * Turns the stream of record batches into what the list shows, at most once
 * per frame. Batches are queued on arrival (cheap: no decoding), and each
 * frame spends at most FRAME_BUDGET_MS decoding summaries into the store and
 * testing records against the filter, then tells its listeners once. A burst
 * of 20,000 records or a filter change over 150,000 is spread over frames
 * instead of blocking the page. The scheduler and the clock are injected, so
 * this runs under node:test as well as in the page.
 */
import type { RecordBatch } from '../../../common/record-batch';
import { FilteredView } from './filtered-view';
import { parseFilter } from './filter';
import { RateMeter } from './rate-meter';
import { RecordStore } from './record-store';

/** Work per frame; the rest waits for the next frame (a 60 Hz frame is 16.7 ms). */
export const FRAME_BUDGET_MS = 8;
/** Records tested against the filter between clock checks. */
export const FILTER_SLICE = 4096;
/**
 * Listeners hear of new records at most this often (25 times a second). At
 * thousands of requests per second every frame would replace the whole list
 * window, and nobody reads rows that fast; layout and paint at 60 Hz would
 * only take time from everything else. A lone request still shows at once.
 */
export const MIN_NOTIFY_INTERVAL_MS = 40;
/**
 * When at least BUSY_RECORDS records wait to be announced, the update replaces
 * every visible row anyway (the list shows about 25): then listeners hear at
 * most every BUSY_NOTIFY_INTERVAL_MS (10 times a second). Each update costs a
 * render, a layout and a paint of the whole window; at 5,000 requests per
 * second this is most of the page's work, and rows changing 25 times a second
 * are no more readable than 10.
 */
export const BUSY_RECORDS = 100;
export const BUSY_NOTIFY_INTERVAL_MS = 100;
/**
 * A flood (FLOOD_RECORDS waiting after BUSY_NOTIFY_INTERVAL_MS: 30,000
 * requests a second and more): listeners hear at most every
 * FLOOD_NOTIFY_INTERVAL_MS (4 times a second). Measured with the browser
 * inspector on a 2-core machine under wrk: the page's CPU is taken from the
 * capture engine, and each update's render, layout and paint is most of it;
 * the rows are a blur at that rate either way, and the count still moves.
 */
export const FLOOD_RECORDS = 3000;
export const FLOOD_NOTIFY_INTERVAL_MS = 250;

export interface FeedClock {
  /**
   * Run `frame` once, soon (the page uses requestAnimationFrame), or on the
   * first frame after `delayMs` (when only an announcement waits for its
   * interval: frame after frame until then would keep the browser drawing).
   */
  schedule(frame: () => void, delayMs?: number): void;
  now(): number;
}

export class TrafficFeed {
  readonly store = new RecordStore();
  readonly view = new FilteredView(this.store);
  readonly rate = new RateMeter();
  /** Changes whenever what the list shows changes (for useSyncExternalStore). */
  version = 0;
  /** Problems with the current filter text, for a hint under the box. */
  filterProblems: string[] = [];
  /** Records received since the page started (never reset, not even by clear()): differences of it count arrivals. */
  received = 0;
  /** The last backlog the server told (browser mode, InspectorApi.onBacklog) and `received` then. */
  private backlogTold = 0;
  private receivedAtBacklog = 0;
  /** Batches that could not be decoded (a bug on the sending side), with the last reason. */
  rejectedBatches = 0;
  lastRejection: string | null = null;

  private pending: RecordBatch[] = [];
  private scheduled = false;
  /** The frame scheduled waits on a timer (only an announcement was due); `frameToken` retires one overtaken. */
  private scheduledDelayed = false;
  private frameToken = 0;
  /** New records are in the store that listeners have not been told of. */
  private unannounced = false;
  /** Records added to the store since listeners were last told. */
  private unannouncedRecords = 0;
  private lastNotify = -Infinity;
  private filterKey = '';
  private readonly listeners = new Set<() => void>();

  constructor(private readonly clock: FeedClock) {}

  /** A batch arrived: count it and queue it for the next frame. */
  receive(batch: RecordBatch): void {
    if (batch.count === 0) return;
    this.received += batch.count;
    this.rate.add(batch.count, this.clock.now());
    this.pending.push(batch);
    this.wake();
  }

  /**
   * The server has `records` captured that it has not sent yet (it paces the page in a flood). Kept here,
   * not in a component, so news that arrives before the counter is drawn is not lost.
   */
  noteBacklog(records: number): void {
    this.backlogTold = records;
    this.receivedAtBacklog = this.received;
  }

  /** Records still to come from the server: the last backlog told less what arrived since, never below 0. */
  get toCome(): number {
    return Math.max(0, this.backlogTold - (this.received - this.receivedAtBacklog));
  }

  setFilter(text: string): void {
    const parsed = parseFilter(text);
    this.filterProblems = parsed.problems;
    if (parsed.key !== this.filterKey) {
      this.filterKey = parsed.key;
      this.view.setPredicate(parsed.predicate);
    }
    this.version++;
    this.notify();
    // The new filter's rows are wanted now, not when a waiting announcement is due.
    this.wake(0, true);
  }

  /** Forget every record, including batches not yet shown. */
  clear(): void {
    this.pending = [];
    this.store.clear();
    this.rate.reset();
    this.version++;
    this.notify();
  }

  /** Records received and not yet in the store. */
  get backlog(): number {
    let n = 0;
    for (const b of this.pending) n += b.count;
    return n;
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private notify(): void {
    this.unannounced = false;
    this.unannouncedRecords = 0;
    this.lastNotify = this.clock.now();
    for (const l of this.listeners) l();
  }

  /** Ask for a frame after `delayMs`; `urgent` overtakes one that waits on a timer. */
  private wake(delayMs = 0, urgent = false): void {
    if (this.scheduled && !(urgent && this.scheduledDelayed)) return;
    this.scheduled = true;
    this.scheduledDelayed = delayMs > 0;
    const token = ++this.frameToken;
    this.clock.schedule(() => {
      if (token === this.frameToken) this.frame();
    }, delayMs);
  }

  /** One frame's work: batches first (so counts stay current), then the filter, then (at most every MIN_NOTIFY_INTERVAL_MS) listeners. */
  private frame(): void {
    this.scheduled = false;
    this.scheduledDelayed = false;
    const start = this.clock.now();
    // At least one batch per frame, so progress never stalls on a slow clock.
    while (this.pending.length > 0) {
      const result = this.store.append(this.pending.shift()!);
      if (result.ok) this.unannouncedRecords += result.added;
      else {
        this.rejectedBatches++;
        this.lastRejection = result.reason;
      }
      this.unannounced = true;
      if (this.clock.now() - start >= FRAME_BUDGET_MS) break;
    }
    while (!this.view.complete) {
      this.unannounced = true;
      this.view.advance(FILTER_SLICE);
      if (this.clock.now() - start >= FRAME_BUDGET_MS) break;
    }
    const waiting = this.unannouncedRecords;
    const interval = waiting >= FLOOD_RECORDS ? FLOOD_NOTIFY_INTERVAL_MS : waiting >= BUSY_RECORDS ? BUSY_NOTIFY_INTERVAL_MS : MIN_NOTIFY_INTERVAL_MS;
    if (this.unannounced && this.clock.now() - this.lastNotify >= interval) {
      this.version++;
      this.notify();
    }
    // Frames continue while there is work; news that waits for its turn to be told waits with a timer.
    if (this.pending.length > 0 || !this.view.complete) this.wake();
    else if (this.unannounced) this.wake(Math.max(0, this.lastNotify + interval - this.clock.now()));
  }
}
