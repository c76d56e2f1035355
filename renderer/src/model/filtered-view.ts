/**
 * The list's view of the store through the filter: positions of matching
 * records, in order. New records are tested as they arrive (work in
 * proportion to the new records only); a filter change starts over and is
 * scanned in slices across frames (advance), so typing in the filter box never
 * blocks the page even with 150,000 records.
 */
import type { Predicate } from './filter';
import type { RecordStore } from './record-store';

const INITIAL_CAPACITY = 1024;

/** Index of `value` in the first `length` entries of an ascending array, or -1 (binary search). */
function indexInSorted(values: ArrayLike<number>, length: number, value: number): number {
  let lo = 0;
  let hi = length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const v = values[mid]!;
    if (v === value) return mid;
    if (v < value) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

export class FilteredView {
  private predicate: Predicate | null = null;
  private matches = new Int32Array(INITIAL_CAPACITY);
  private matchCount = 0;
  /** Store positions below this have been tested. */
  private scanned = 0;
  private generation: number;

  constructor(private readonly store: RecordStore) {
    this.generation = store.generation;
  }

  /** Use a new predicate (null: everything); results rebuild through advance(). */
  setPredicate(predicate: Predicate | null): void {
    this.predicate = predicate;
    this.restart();
  }

  private restart(): void {
    this.matchCount = 0;
    this.scanned = 0;
    this.generation = this.store.generation;
    if (this.matches.length > INITIAL_CAPACITY * 64) this.matches = new Int32Array(INITIAL_CAPACITY);
  }

  private sync(): void {
    if (this.generation !== this.store.generation) this.restart();
  }

  /** Rows in the view (so far, while a rebuild is in progress). */
  get length(): number {
    this.sync();
    return this.predicate === null ? this.store.length : this.matchCount;
  }

  /** True when every stored record has been tested. */
  get complete(): boolean {
    this.sync();
    return this.predicate === null || this.scanned >= this.store.length;
  }

  /** Share of the store tested, 0..1 (for a "filtering…" hint). */
  get progress(): number {
    return this.store.length === 0 || this.complete ? 1 : this.scanned / this.store.length;
  }

  /** Store position of a row. */
  at(row: number): number {
    return this.predicate === null ? row : this.matches[row]!;
  }

  /** Row of a store position, or -1 when filtered out (binary search: positions ascend). */
  rowOf(position: number): number {
    this.sync();
    if (this.predicate === null) return position >= 0 && position < this.store.length ? position : -1;
    return indexInSorted(this.matches, this.matchCount, position);
  }

  /**
   * Test up to `budget` more records; returns true when the view is complete.
   * Call after every append (the new records) and each frame during a rebuild.
   */
  advance(budget: number): boolean {
    this.sync();
    const p = this.predicate;
    const total = this.store.length;
    if (p === null) {
      this.scanned = total;
      return true;
    }
    const end = Math.min(total, this.scanned + budget);
    for (let i = this.scanned; i < end; i++) {
      if (!p(this.store, i)) continue;
      if (this.matchCount === this.matches.length) {
        const next = new Int32Array(this.matches.length * 2);
        next.set(this.matches);
        this.matches = next;
      }
      this.matches[this.matchCount++] = i;
    }
    this.scanned = end;
    return end >= total;
  }
}
