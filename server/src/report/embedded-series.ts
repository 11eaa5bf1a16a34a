// The full-resolution samples embedded in the HTML report, compactly: delta-encoded integers (times
// in microseconds, bytes in units of the largest power of two up to 4096 dividing them all), the
// scheme of the profile file. Pure, no Node imports: encoded by the CLI, decoded in the page.

import { decodeSamples, encodeSamples } from '../core/sample-codec';

export interface EmbeddedSeries {
  id: string;
  tUsDeltas: number[];
  bytesScale: number;
  bytesDeltas: number[];
}

export function encodeSeries(id: string, tMs: ArrayLike<number>, bytes: ArrayLike<number>): EmbeddedSeries {
  const e = encodeSamples(tMs, bytes);
  return { id, tUsDeltas: e.tUs, bytesScale: e.bytesScale, bytesDeltas: e.bytes };
}

export function decodeSeries(e: EmbeddedSeries): { id: string; tMs: Float64Array; bytes: Float64Array } {
  return { id: e.id, ...decodeSamples({ tUs: e.tUsDeltas, bytesScale: e.bytesScale, bytes: e.bytesDeltas }) };
}
