// Decimation over an index, for the report's in-page host: the same points as decimate()
// (core/analysis/decimate.ts), without scanning every sample of a wide window. The index keeps, per
// block of 32 samples and per block of 1,024, the position of the block's first minimum and first
// maximum; a pixel column's extremes are then its ragged ends plus whole blocks. A zoom step over a
// million samples costs a few thousand reads instead of a million. Pure, no Node imports.

import { partitionPoint } from '../../../common/bisect';
import { type Decimated, decimate, lowerBound, upperBound } from '../core/analysis/decimate';

const B1 = 32;
const B2 = 1024;
const PER2 = B2 / B1;

type Samples = ArrayLike<number>;

export class DecimationIndex {
  private readonly min1: Int32Array;
  private readonly max1: Int32Array;
  private readonly min2: Int32Array;
  private readonly max2: Int32Array;

  constructor(
    readonly tMs: Samples,
    readonly bytes: Samples,
  ) {
    const n = bytes.length;
    const n1 = Math.ceil(n / B1);
    this.min1 = new Int32Array(n1);
    this.max1 = new Int32Array(n1);
    for (let k = 0; k < n1; k++) {
      const from = k * B1;
      const to = Math.min(n, from + B1);
      let mn = from;
      let mx = from;
      for (let i = from + 1; i < to; i++) {
        const b = bytes[i]!;
        if (b < bytes[mn]!) mn = i;
        if (b > bytes[mx]!) mx = i;
      }
      this.min1[k] = mn;
      this.max1[k] = mx;
    }
    const n2 = Math.ceil(n1 / PER2);
    this.min2 = new Int32Array(n2);
    this.max2 = new Int32Array(n2);
    for (let k = 0; k < n2; k++) {
      const from = k * PER2;
      const to = Math.min(n1, from + PER2);
      let mn = this.min1[from]!;
      let mx = this.max1[from]!;
      for (let j = from + 1; j < to; j++) {
        if (bytes[this.min1[j]!]! < bytes[mn]!) mn = this.min1[j]!;
        if (bytes[this.max1[j]!]! > bytes[mx]!) mx = this.max1[j]!;
      }
      this.min2[k] = mn;
      this.max2[k] = mx;
    }
  }

  /** What decimate(tMs, bytes, startMs, endMs, columns) returns. */
  decimate(startMs: number, endMs: number, columns: number): Decimated {
    const { tMs, bytes } = this;
    const cols = Math.max(1, Math.floor(columns));
    const first = lowerBound(tMs, startMs);
    const end = upperBound(tMs, endMs);
    // Few samples per column: one pass is as fast.
    if (!(endMs >= startMs) || end - first <= 3 * B1 * cols || endMs === startMs)
      return decimate(tMs, bytes, startMs, endMs, columns);
    const out: Decimated = { tMs: [], bytes: [] };
    const push = (i: number) => {
      out.tMs.push(tMs[i]!);
      out.bytes.push(bytes[i]!);
    };
    if (first > 0) push(first - 1);
    const scale = cols / (endMs - startMs);
    // The column of sample i, exactly as decimate() computes it.
    const colOf = (i: number) => Math.min(cols - 1, Math.floor((tMs[i]! - startMs) * scale));
    let i = first;
    while (i < end) {
      const c = colOf(i);
      // One past the column's last sample: the first sample of a later column.
      const lo = c < cols - 1 ? partitionPoint(i + 1, end, (k) => colOf(k) <= c) : end;
      const [mn, mx] = this.extremes(i, lo);
      if (mn === mx) push(mn);
      else if (mn < mx) push(mn), push(mx);
      else push(mx), push(mn);
      i = lo;
    }
    if (end < tMs.length) push(end);
    return out;
  }

  /** The first minimum and the first maximum of bytes[from, to), in index order. */
  private extremes(from: number, to: number): [number, number] {
    const b = this.bytes;
    let mn = from;
    let mx = from;
    let i = from + 1;
    const take = (kMin: number, kMax: number) => {
      if (b[kMin]! < b[mn]!) mn = kMin;
      if (b[kMax]! > b[mx]!) mx = kMax;
    };
    // Samples up to a block of 32, blocks of 32 up to a block of 1,024, blocks of 1,024, and back down.
    for (; i < to && i % B1 !== 0; i++) take(i, i);
    for (; i + B1 <= to && i % B2 !== 0; i += B1) take(this.min1[i / B1]!, this.max1[i / B1]!);
    for (; i + B2 <= to; i += B2) take(this.min2[i / B2]!, this.max2[i / B2]!);
    for (; i + B1 <= to; i += B1) take(this.min1[i / B1]!, this.max1[i / B1]!);
    for (; i < to; i++) take(i, i);
    return [mn, mx];
  }
}
