/**
 * Requests per second over a sliding window, for the server bar. Counts go
 * into fixed time buckets (a ring), so adding and reading are O(buckets) no
 * matter how many requests arrive.
 */

/** The window the rate is averaged over: long enough to be steady, short enough to fall to 0 soon after traffic stops. */
export const RATE_WINDOW_MS = 2000;
/** Bucket width: the resolution at which old counts leave the window. */
export const RATE_BUCKET_MS = 100;

export class RateMeter {
  private readonly buckets: Float64Array;
  /** Bucket number (time / bucketMs) each slot currently holds. */
  private readonly slots: Float64Array;
  /** When counting began (or resumed after reset), so a young meter is not averaged over time it did not see. */
  private startedAt: number | null = null;

  constructor(private readonly windowMs = RATE_WINDOW_MS, private readonly bucketMs = RATE_BUCKET_MS) {
    const n = Math.max(1, Math.ceil(windowMs / bucketMs));
    this.buckets = new Float64Array(n);
    this.slots = new Float64Array(n).fill(-1);
  }

  add(count: number, now: number): void {
    if (this.startedAt === null) this.startedAt = now;
    const b = Math.floor(now / this.bucketMs);
    const slot = b % this.buckets.length;
    if (this.slots[slot] !== b) {
      this.slots[slot] = b;
      this.buckets[slot] = 0;
    }
    this.buckets[slot]! += count;
  }

  /** Requests per second over the window ending at `now`. */
  rate(now: number): number {
    if (this.startedAt === null) return 0;
    const current = Math.floor(now / this.bucketMs);
    const oldest = current - this.buckets.length + 1;
    let sum = 0;
    for (let i = 0; i < this.buckets.length; i++) {
      const b = this.slots[i]!;
      if (b >= oldest && b <= current) sum += this.buckets[i]!;
    }
    // A meter that started inside the window averages over the time it saw (at least one bucket).
    const span = Math.min(this.windowMs, Math.max(this.bucketMs, now - this.startedAt));
    return (sum * 1000) / span;
  }

  reset(): void {
    this.buckets.fill(0);
    this.slots.fill(-1);
    this.startedAt = null;
  }
}
