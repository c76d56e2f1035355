/**
 * Listener sets for InspectorApi implementations (preload/inspector-bridge.ts,
 * renderer/src/browser-api.ts): subscribe/unsubscribe, notifying every
 * listener even when one throws, and the record batches that arrive before
 * the page subscribes. No DOM, no Node: runs in the preload and the page.
 */
import type { Unsubscribe } from './inspector-api';

/**
 * Batches that arrive before the page has subscribed to records are kept for
 * the first listener, up to this many; past it the oldest go and the loss is
 * reported when the listener comes.
 */
export const MAX_PENDING_BATCHES = 1024;

/** Call every listener with `value`; one that throws is reported and must not stop the others (nor the caller's loop). */
export function notifyAll<T>(listeners: Iterable<(value: T) => void>, value: T, report: (line: string) => void): void {
  for (const listener of listeners) {
    try {
      listener(value);
    } catch (err) {
      report(`listener failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
}

export function subscribe<T>(listeners: Set<T>, listener: T): Unsubscribe {
  listeners.add(listener);
  return () => void listeners.delete(listener);
}

/**
 * Listeners of values (record batches) that must not be lost before the
 * first one subscribes: until then values are kept, at most `maxPending`
 * (the oldest go first, counted), and handed to the first subscriber.
 */
export class PendingListeners<T> {
  private readonly listeners = new Set<(value: T) => void>();
  private pending: T[] = [];
  private dropped = 0;

  constructor(
    private readonly report: (line: string) => void,
    private readonly maxPending = MAX_PENDING_BATCHES,
  ) {}

  deliver(value: T): void {
    if (this.listeners.size > 0) {
      notifyAll(this.listeners, value, this.report);
      return;
    }
    if (this.pending.length === this.maxPending) {
      this.pending.shift();
      this.dropped++;
    }
    this.pending.push(value);
  }

  /** Add a listener; what waited for one is handed over now (and a loss reported once). */
  subscribe(listener: (value: T) => void): Unsubscribe {
    const unsubscribe = subscribe(this.listeners, listener);
    if (this.dropped > 0) this.report(`${this.dropped} record batch(es) arrived before the page subscribed and were dropped`);
    this.dropped = 0;
    const waiting = this.pending;
    this.pending = [];
    for (const value of waiting) notifyAll(this.listeners, value, this.report);
    return unsubscribe;
  }
}
