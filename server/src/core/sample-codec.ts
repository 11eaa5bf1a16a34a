// The compact form of a series' samples, shared by the profile file and the HTML report: times as
// whole-microsecond deltas, bytes as deltas in units of `bytesScale`, the largest power of two up to
// 4096 that divides every value (page-granular RSS becomes small integers). Pure: no Node imports,
// so the report's page decodes with the same code.

export interface EncodedSamples {
  tUs: number[];
  bytesScale: number;
  bytes: number[];
}

export function encodeSamples(tMs: ArrayLike<number>, bytes: ArrayLike<number>): EncodedSamples {
  const n = tMs.length;
  let scale = 4096;
  for (let i = 0; i < n && scale > 1; i++) {
    const b = Math.round(bytes[i]!);
    while (scale > 1 && b % scale !== 0) scale >>= 1;
  }
  const tOut = new Array<number>(n);
  const bOut = new Array<number>(n);
  let prevT = 0;
  let prevB = 0;
  for (let i = 0; i < n; i++) {
    const t = Math.round(tMs[i]! * 1000);
    const b = Math.round(bytes[i]!) / scale;
    tOut[i] = t - prevT;
    bOut[i] = b - prevB;
    prevT = t;
    prevB = b;
  }
  return { tUs: tOut, bytesScale: scale, bytes: bOut };
}

/** The prefix sums back to ms and bytes; `n` samples (the shorter of the two arrays). */
export function decodeSamples(e: EncodedSamples): { tMs: Float64Array; bytes: Float64Array } {
  const n = Math.min(e.tUs.length, e.bytes.length);
  const scale = typeof e.bytesScale === 'number' && e.bytesScale > 0 ? e.bytesScale : 1;
  const tMs = new Float64Array(n);
  const bytes = new Float64Array(n);
  let t = 0;
  let b = 0;
  for (let i = 0; i < n; i++) {
    t += e.tUs[i]!;
    b += e.bytes[i]!;
    tMs[i] = t / 1000;
    bytes[i] = b * scale;
  }
  return { tMs, bytes };
}
