// Decimation of a memory series for drawing: over a window [startMs, endMs] split into `columns`
// pixel columns, keep the minimum and the maximum sample of every column (in time order), plus the
// sample in force at the window's start and the first one after its end, so the line runs to both
// edges. The peak is never lost, whatever the zoom; the output has at most 2 × columns + 2 points.
// One binary search for the window, one pass over it.
//
// Pure and without Node imports: it runs in the extension host and in the page of the HTML report.

import { partitionPoint } from '../../../../common/bisect';

export interface Decimated {
  tMs: number[];
  bytes: number[];
}

type Samples = ArrayLike<number>;

/** Index of the first sample with time ≥ tMs (tMs ascending); length when there is none. */
export function lowerBound(tMs: Samples, t: number): number {
  return partitionPoint(0, tMs.length, (i) => tMs[i]! < t);
}

/** Index of the first sample with time > tMs; length when there is none. */
export function upperBound(tMs: Samples, t: number): number {
  return partitionPoint(0, tMs.length, (i) => tMs[i]! <= t);
}

export function decimate(tMs: Samples, bytes: Samples, startMs: number, endMs: number, columns: number): Decimated {
  const kept = decimatedIndices(tMs, bytes, startMs, endMs, columns);
  return { tMs: kept.map((i) => tMs[i]!), bytes: kept.map((i) => bytes[i]!) };
}

/** The indices of the samples decimate() keeps, in order (for callers that carry more per sample). */
export function decimatedIndices(
  tMs: Samples,
  bytes: Samples,
  startMs: number,
  endMs: number,
  columns: number,
): number[] {
  const out: number[] = [];
  const n = tMs.length;
  if (n === 0 || !(endMs >= startMs)) return out;
  const cols = Math.max(1, Math.floor(columns));
  const first = lowerBound(tMs, startMs); // first sample inside
  const end = upperBound(tMs, endMs); // one past the last sample inside
  const push = (i: number) => void out.push(i);
  if (first > 0) push(first - 1); // the value in force at the window's start
  if (end - first <= 2 * cols) {
    for (let i = first; i < end; i++) push(i);
  } else {
    const span = endMs - startMs;
    const scale = span > 0 ? cols / span : 0;
    let col = -1;
    let minI = -1;
    let maxI = -1;
    const flush = () => {
      if (minI < 0) return;
      if (minI === maxI) push(minI);
      else if (minI < maxI) {
        push(minI);
        push(maxI);
      } else {
        push(maxI);
        push(minI);
      }
    };
    for (let i = first; i < end; i++) {
      let c = Math.floor((tMs[i]! - startMs) * scale);
      if (c >= cols) c = cols - 1;
      if (c !== col) {
        flush();
        col = c;
        minI = maxI = i;
      } else {
        const b = bytes[i]!;
        if (b < bytes[minI]!) minI = i;
        if (b > bytes[maxI]!) maxI = i;
      }
    }
    flush();
  }
  if (end < n) push(end); // the line runs on past the window's end
  return out;
}
