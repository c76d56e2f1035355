/**
 * A small seeded pseudo-random generator for property tests, so that a failing
 * case can be replayed from its seed. mulberry32 (Tommy Ettinger's public-domain
 * 32-bit generator); not for anything that needs real randomness.
 */
export class TestRandom {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** An integer in [min, max]. */
  range(min: number, max: number): number {
    return min + this.int(max - min + 1);
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }

  /** `length` bytes, each drawn from `alphabet` when given, else uniformly. */
  bytes(length: number, alphabet?: Uint8Array): Uint8Array {
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i++) out[i] = alphabet ? alphabet[this.int(alphabet.length)]! : this.int(256);
    return out;
  }

  /** Sorted distinct cut points in (0, length), at most `count` of them. */
  cuts(length: number, count: number): number[] {
    const set = new Set<number>();
    for (let i = 0; i < count && length > 1; i++) set.add(this.range(1, length - 1));
    return [...set].sort((a, b) => a - b);
  }

  /** A copy of `input` with 1 to 3 bytes flipped, inserted or deleted; inserted bytes favour `special`. */
  mutate(input: Uint8Array, special: readonly number[]): Uint8Array {
    const out = [...input];
    const n = this.range(1, 3);
    for (let i = 0; i < n; i++) {
      const at = this.int(out.length + 1);
      const op = this.int(4);
      if (op === 0 && at < out.length) out[at] = out[at]! ^ (1 << this.int(8));
      else if (op === 1) out.splice(at, 0, this.int(256));
      else if (op === 2 && at < out.length) out.splice(at, 1);
      else out.splice(at, 0, this.pick(special));
    }
    return Uint8Array.from(out);
  }
}
