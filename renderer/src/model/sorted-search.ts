/** Index of `value` in the first `length` entries of an ascending array, or -1 (binary search). */
export function indexInSorted(values: ArrayLike<number>, length: number, value: number): number {
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
