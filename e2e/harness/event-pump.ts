/**
 * Delivers engine events to the page in order, coalescing: while one
 * page.evaluate is in flight, new events queue up and the next call carries
 * them all, so a burst of thousands of batches costs a few round trips. The
 * page then hands them to the app one per task (see page-api.ts).
 * Playwright 1.65 serializes typed arrays in evaluate arguments (as typed
 * arrays in the page), so record batches arrive as valid RecordBatch objects.
 */
import type { Page } from 'playwright-core';
import { PAGE_HARNESS_KEY, type PageEvent, type PageHarness } from './page-api';

/**
 * Keep each evaluate payload small: the page deserializes it in one task, a
 * cost the app does not have (there each batch is its own MessagePort
 * message). At 1 MiB these harness-only tasks reached 100–190 ms under the
 * UI bench and were most of its long tasks; at 128 KiB (a dozen 5,000 req/s
 * batches) a 20,000-request burst still takes only a few dozen calls.
 */
const MAX_BYTES_PER_DELIVERY = 128 * 1024;
/** An idle wait gives up after this long (the page is hung or gone). */
const IDLE_TIMEOUT_MS = 30_000;

function sizeOf(event: PageEvent): number {
  return event.kind === 'records' ? event.batch.bytes.length + event.batch.ints.length * 4 + event.batch.floats.length * 8 : 64;
}

export class EventPump {
  private queue: PageEvent[] = [];
  private running = false;
  private closed = false;
  private idleWaiters: Array<() => void> = [];
  /** Deliveries that threw (a page that navigated away, a bug in deliver). */
  readonly errors: string[] = [];
  /** Counters for the bench and for debugging. */
  deliveries = 0;
  eventsDelivered = 0;

  constructor(private readonly page: Page) {}

  push(event: PageEvent): void {
    if (this.closed) return;
    this.queue.push(event);
    if (!this.running) void this.run();
  }

  private take(): PageEvent[] {
    let bytes = 0;
    let n = 0;
    while (n < this.queue.length && (n === 0 || bytes + sizeOf(this.queue[n]!) <= MAX_BYTES_PER_DELIVERY)) {
      bytes += sizeOf(this.queue[n]!);
      n++;
    }
    return this.queue.splice(0, n);
  }

  private async run(): Promise<void> {
    this.running = true;
    while (this.queue.length > 0 && !this.closed) {
      const events = this.take();
      try {
        // Awaits the page's dispatch too: the next call carries what queued meanwhile, and idle() means handed to the app.
        await this.page.evaluate(({ key, events }) =>
          (window as unknown as Record<string, PageHarness>)[key]!.deliver(events), { key: PAGE_HARNESS_KEY, events });
        this.deliveries++;
        this.eventsDelivered += events.length;
      } catch (err) {
        if (!this.closed) this.errors.push(err instanceof Error ? err.message : String(err));
      }
    }
    this.running = false;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  /** Resolves when everything pushed so far has been handed to the page. */
  idle(): Promise<void> {
    if (!this.running && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`page did not take its events within ${IDLE_TIMEOUT_MS} ms`)), IDLE_TIMEOUT_MS);
      this.idleWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  close(): void {
    this.closed = true;
    this.queue = [];
  }
}
