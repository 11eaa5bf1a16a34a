// The full-resolution samples embedded in the HTML report, compactly: the deltas of the profile
// file's scheme (times in whole microseconds, bytes in units of the largest power of two up to 4096
// dividing them all: see core/sample-codec.ts) written as zigzag varints, base64. For a million
// samples of RSS this is about a third of the same deltas as JSON text, and the page decodes it
// with atob and one loop instead of JSON.parse of millions of numbers. Pure, no Node imports:
// encoded by the CLI, decoded in the page.

import { encodeSamples } from '../core/sample-codec';
import { us, usToMs } from '../core/units';

export interface EmbeddedSeries {
  id: string;
  /** How many samples. */
  n: number;
  bytesScale: number;
  /** base64 of n time deltas then n byte deltas, each a zigzag varint (7 bits a byte, low first). */
  deltas: string;
}

/** Appends v (an integer, |v| < 2^52) as a zigzag varint. Arithmetic, not bit operations: values pass 2^31. */
function putVarint(out: number[], v: number): void {
  let z = v >= 0 ? v * 2 : -v * 2 - 1;
  while (z >= 128) {
    out.push((z % 128) + 128);
    z = Math.floor(z / 128);
  }
  out.push(z);
}

export function encodeSeries(id: string, tMs: ArrayLike<number>, bytes: ArrayLike<number>): EmbeddedSeries {
  const e = encodeSamples(tMs, bytes);
  const out: number[] = [];
  for (const v of e.tUs) putVarint(out, v);
  for (const v of e.bytes) putVarint(out, v);
  let bin = '';
  for (let i = 0; i < out.length; i += 8192) bin += String.fromCharCode(...out.slice(i, i + 8192));
  return { id, n: e.tUs.length, bytesScale: e.bytesScale, deltas: btoa(bin) };
}

export class EmbeddedSeriesError extends Error {}

export function decodeSeries(e: EmbeddedSeries): { id: string; tMs: Float64Array; bytes: Float64Array } {
  const bin = atob(e.deltas);
  const n = e.n;
  const scale = e.bytesScale > 0 ? e.bytesScale : 1;
  const tMs = new Float64Array(n);
  const bytes = new Float64Array(n);
  let at = 0;
  const next = (): number => {
    let z = 0;
    let mul = 1;
    for (;;) {
      if (at >= bin.length)
        throw new EmbeddedSeriesError(`the samples of series "${e.id}" end early (byte ${at} of ${bin.length})`);
      const c = bin.charCodeAt(at++);
      z += (c & 127) * mul;
      if (c < 128) break;
      mul *= 128;
    }
    return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
  };
  let t = 0;
  for (let i = 0; i < n; i++) tMs[i] = usToMs(us((t += next())));
  let b = 0;
  for (let i = 0; i < n; i++) bytes[i] = (b += next()) * scale;
  return { id: e.id, tMs, bytes };
}
