// The order and the nesting of one track's spans. Events may come in any order (clang and tsc write X
// events when they end), so nesting is inferred from interval containment: the spans are sorted into
// nesting order (earlier start first, then the longer one), and each is placed in the innermost open
// span that holds it. Works on the builder's columns (see span-columns.ts), times in ms.

/** Intervals that differ by less than this are treated as equal when nesting (float noise in tsc's µs). */
const NEST_EPS_MS = 0.0005;

/**
 * The parent of each span, by containment, the spans taken in nesting order (`order`, see spanOrder):
 * `parents[k]` gets the position in `order` of the parent of span `order[k]`, or -1 for a root.
 * Returns how many spans overlap a span of their track without nesting in it (placed beside it).
 */
export function nestSpans(
  startMs: Float64Array,
  endMs: Float64Array,
  nameIds: Int32Array,
  order: Uint32Array,
  parents: Int32Array,
): number {
  const n = order.length;
  let overlaps = 0;
  // The open phases, innermost last: their index in this track's sorted order.
  const stack = new Uint32Array(n);
  let depth = 0;
  for (let k = 0; k < n; k++) {
    const i = order[k]!;
    const start = startMs[i]!;
    const end = endMs[i]!;
    // Of no length where a span of the same name begins: it came just before it (sorted longer
    // first, it comes after it here), its sibling, and holds nothing.
    let before = false;
    while (depth) {
      const top = order[stack[depth - 1]!]!;
      // Inside the top one; but a span of the same name beginning where the top one ends is its
      // next sibling: the same work done item after item (tsc checks file after file, LLVM runs a
      // pass function after function), one of them too short for the clock. Zero-length passes
      // of other names at the end of their parent stay inside it.
      // (Names compared by id, and only where it matters: a name has one id.)
      if (start >= startMs[top]! - NEST_EPS_MS && end <= endMs[top]! + NEST_EPS_MS) {
        if (start < endMs[top]! - NEST_EPS_MS) {
          before = end - start <= NEST_EPS_MS && start <= startMs[top]! + NEST_EPS_MS && nameIds[i] === nameIds[top];
          break;
        }
        if (nameIds[i] !== nameIds[top]) break;
      }
      if (start < endMs[top]! - NEST_EPS_MS) overlaps++;
      depth--;
    }
    if (before) parents[k] = depth > 1 ? stack[depth - 2]! : -1;
    else {
      parents[k] = depth ? stack[depth - 1]! : -1;
      stack[depth++] = k;
    }
  }
  return overlaps;
}

/**
 * Whether span `a` comes before span `b` in nesting order: earlier start first, then the longer one,
 * then file order (the order a stable sort by start and end gives).
 */
function spanBefore(startMs: Float64Array, endMs: Float64Array, a: number, b: number): boolean {
  const sa = startMs[a]!;
  const sb = startMs[b]!;
  if (sa !== sb) return sa < sb;
  const ea = endMs[a]!;
  const eb = endMs[b]!;
  if (ea !== eb) return ea > eb;
  return a < b;
}

/** Runs this long are sorted by insertion before they are merged. */
const SORT_RUN = 32;

/**
 * The spans' indices in nesting order. A merge sort of indices with the keys in typed arrays (rather
 * than Array.prototype.sort with a comparator over millions of objects); it is nearly linear on the
 * usual input, nearly sorted already (clang writes children just before their parent).
 */
export function spanOrder(startMs: Float64Array, endMs: Float64Array, n: number): Uint32Array {
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  let sorted = true;
  for (let i = 1; i < n && sorted; i++) sorted = !spanBefore(startMs, endMs, i, i - 1);
  if (sorted) return order;
  for (let lo = 0; lo < n; lo += SORT_RUN) {
    const hi = Math.min(lo + SORT_RUN, n);
    for (let i = lo + 1; i < hi; i++) {
      const x = order[i]!;
      let j = i - 1;
      while (j >= lo && spanBefore(startMs, endMs, x, order[j]!)) {
        order[j + 1] = order[j]!;
        j--;
      }
      order[j + 1] = x;
    }
  }
  const tmp = new Uint32Array(n);
  for (let width = SORT_RUN; width < n; width *= 2) {
    for (let lo = 0; lo + width < n; lo += 2 * width) {
      mergeRuns(order, tmp, lo, lo + width, Math.min(lo + 2 * width, n), startMs, endMs);
    }
  }
  return order;
}

/** Merges the sorted runs order[lo, mid) and order[mid, hi), moving only the part where they overlap. */
function mergeRuns(
  order: Uint32Array,
  tmp: Uint32Array,
  lo: number,
  mid: number,
  hi: number,
  startMs: Float64Array,
  endMs: Float64Array,
): void {
  const firstRight = order[mid]!;
  const lastLeft = order[mid - 1]!;
  if (!spanBefore(startMs, endMs, firstRight, lastLeft)) return; // in order already
  // The left run's elements before the right run's first stay where they are ...
  let a = lo;
  let b = mid;
  while (a < b) {
    const m = (a + b) >>> 1;
    if (spanBefore(startMs, endMs, firstRight, order[m]!)) b = m;
    else a = m + 1;
  }
  const from = a;
  // ... and so do the right run's elements after the left run's last.
  a = mid;
  b = hi;
  while (a < b) {
    const m = (a + b) >>> 1;
    if (spanBefore(startMs, endMs, order[m]!, lastLeft)) a = m + 1;
    else b = m;
  }
  const to = a;
  const leftLen = mid - from;
  for (let k = 0; k < leftLen; k++) tmp[k] = order[from + k]!;
  let i = 0;
  let j = mid;
  let k = from;
  while (i < leftLen && j < to) {
    if (spanBefore(startMs, endMs, order[j]!, tmp[i]!)) order[k++] = order[j++]!;
    else order[k++] = tmp[i++]!;
  }
  while (i < leftLen) order[k++] = tmp[i++]!;
}
