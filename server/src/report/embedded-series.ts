// The full-resolution samples embedded in the HTML report, compactly: delta-encoded integers (times
// in microseconds, bytes in units of the largest power of two up to 4096 dividing them all), the
// scheme of the profile file. Pure, no Node imports: encoded by the CLI, decoded in the page.

export interface EmbeddedSeries {
  id: string;
  tUsDeltas: number[];
  bytesScale: number;
  bytesDeltas: number[];
}

export function encodeSeries(id: string, tMs: ArrayLike<number>, bytes: ArrayLike<number>): EmbeddedSeries {
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
  return { id, tUsDeltas: tOut, bytesScale: scale, bytesDeltas: bOut };
}

export function decodeSeries(e: EmbeddedSeries): { id: string; tMs: Float64Array; bytes: Float64Array } {
  const n = Math.min(e.tUsDeltas.length, e.bytesDeltas.length);
  const tMs = new Float64Array(n);
  const bytes = new Float64Array(n);
  let t = 0;
  let b = 0;
  for (let i = 0; i < n; i++) {
    t += e.tUsDeltas[i]!;
    b += e.bytesDeltas[i]!;
    tMs[i] = t / 1000;
    bytes[i] = b * e.bytesScale;
  }
  return { id: e.id, tMs, bytes };
}
