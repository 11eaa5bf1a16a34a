// Decimation for the timeline keeps the true minimum and maximum of every window at every zoom level,
// with a bounded number of points: a property test against the raw samples, with a seeded PRNG so a
// failure reproduces.
import { describe, expect, it } from 'vitest';
import { decimate } from '../server/src/core/analysis/decimate';

/** mulberry32: small, seeded, good enough for test inputs. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomSeries(rand: () => number): { tMs: Float64Array; bytes: Float64Array } {
  const n = Math.floor(rand() * 3000);
  const tMs = new Float64Array(n);
  const bytes = new Float64Array(n);
  let t = rand() * 10;
  let b = rand() * 1e8;
  for (let i = 0; i < n; i++) {
    // Ties in time happen (several samples in one tick); spikes happen.
    t += rand() < 0.1 ? 0 : rand() * 5;
    b = Math.max(0, b + (rand() - 0.5) * 1e6 + (rand() < 0.01 ? 5e7 : 0) - (rand() < 0.01 ? 5e7 : 0));
    tMs[i] = t;
    bytes[i] = Math.round(b);
  }
  return { tMs, bytes };
}

describe('decimate', () => {
  it('keeps the true max and min of the window, in time order, with at most 2 × columns + 2 points', () => {
    const rand = prng(20240601);
    let checkedWindows = 0;
    for (let iter = 0; iter < 2000; iter++) {
      const s = randomSeries(rand);
      const last = s.tMs.length ? s.tMs[s.tMs.length - 1]! : 10;
      const a = rand() * (last + 20) - 10;
      const startMs = rand() < 0.1 ? a : Math.min(a, a + (rand() - 0.5) * last);
      const endMs = rand() < 0.05 ? startMs : startMs + rand() * (last - startMs + 10);
      const columns = 1 + Math.floor(rand() * (rand() < 0.5 ? 8 : 400));
      const d = decimate(s.tMs, s.bytes, startMs, endMs, columns);

      expect(d.tMs.length).toBe(d.bytes.length);
      expect(d.tMs.length).toBeLessThanOrEqual(2 * columns + 2);
      for (let i = 1; i < d.tMs.length; i++) expect(d.tMs[i]!).toBeGreaterThanOrEqual(d.tMs[i - 1]!);

      let rawMax = -Infinity;
      let rawMin = Infinity;
      for (let i = 0; i < s.tMs.length; i++) {
        if (s.tMs[i]! < startMs || s.tMs[i]! > endMs) continue;
        rawMax = Math.max(rawMax, s.bytes[i]!);
        rawMin = Math.min(rawMin, s.bytes[i]!);
      }
      let dMax = -Infinity;
      let dMin = Infinity;
      for (let i = 0; i < d.tMs.length; i++) {
        if (d.tMs[i]! < startMs || d.tMs[i]! > endMs) continue;
        dMax = Math.max(dMax, d.bytes[i]!);
        dMin = Math.min(dMin, d.bytes[i]!);
      }
      expect(dMax).toBe(rawMax);
      expect(dMin).toBe(rawMin);
      if (rawMax > -Infinity) checkedWindows++;

      // The edges: the value in force at the start and the first sample after the end are kept.
      let before = -1;
      for (let i = 0; i < s.tMs.length && s.tMs[i]! < startMs; i++) before = i;
      if (before >= 0) expect(d.tMs[0]).toBe(s.tMs[before]);
      const after = s.tMs.findIndex((t) => t > endMs);
      if (after >= 0) expect(d.tMs[d.tMs.length - 1]).toBe(s.tMs[after]);
    }
    expect(checkedWindows).toBeGreaterThan(1000);
  });

  it('returns every point of a window that needs no decimation, and nothing for an empty series', () => {
    const tMs = new Float64Array([0, 1, 2, 3]);
    const bytes = new Float64Array([10, 40, 20, 30]);
    expect(decimate(tMs, bytes, 0, 3, 100)).toEqual({ tMs: [0, 1, 2, 3], bytes: [10, 40, 20, 30] });
    expect(decimate(tMs, bytes, 1.5, 2.5, 100)).toEqual({ tMs: [1, 2, 3], bytes: [40, 20, 30] });
    expect(decimate(new Float64Array(0), new Float64Array(0), 0, 1, 10)).toEqual({ tMs: [], bytes: [] });
  });

  it('decimates a million samples quickly to a bounded size, keeping the spike', () => {
    const n = 1_000_000;
    const tMs = new Float64Array(n);
    const bytes = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      tMs[i] = i * 0.01;
      bytes[i] = 1e8 + (i % 1000) * 1000;
    }
    bytes[654_321] = 9e9;
    const d = decimate(tMs, bytes, 0, n * 0.01, 1200);
    expect(d.tMs.length).toBeLessThanOrEqual(2 * 1200 + 2);
    expect(Math.max(...d.bytes)).toBe(9e9);
    expect(d.tMs[d.bytes.indexOf(9e9)]).toBe(tMs[654_321]);
  });
});
