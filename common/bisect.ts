// Binary search, once for every side (engine, report host, views): over an index range on which a
// predicate is true and then false, the first index where it is false. Pure; imports nothing.

/** The first i in [lo, hi) with `before(i)` false, given `before` is true then false over the range; hi when it stays true. */
export function partitionPoint(lo: number, hi: number, before: (i: number) => boolean): number {
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (before(mid)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
