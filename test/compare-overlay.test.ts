// The phase-aligned overlay (server/src/core/compare/overlay.ts) on real profiles: the example
// compiler tinyc with and without --free-asts (as in compare.test.ts), profiled once. The same phase
// must span the same x on both sides, each side's peak must survive decimation, and freeing the ASTs
// must show as the head's curve below the base's over the generate phases.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OverlayModel, OverlayPoint } from '../protocol/overlay';
import { analyze, retainedSeries, seriesMax } from '../server/src/core/analysis/analyze';
import { compareProfiles } from '../server/src/core/compare/compare';
import { alignPhases, buildOverlayModel, decimateByX } from '../server/src/core/compare/overlay';
import type { Profile } from '../server/src/core/model';
import { ms } from '../server/src/core/units';
import { profileTinycBothWays, repoRoot } from './helpers';

let tmp: string;
let held: Profile;
let freed: Profile;
let model: OverlayModel;

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'cmi-overlay-'));
  if (!existsSync(path.join(repoRoot, 'dist', 'preload.js')))
    execFileSync(process.execPath, ['scripts/build.mjs', '--quiet'], { cwd: repoRoot, stdio: 'inherit' });
  ({ held, freed } = await profileTinycBothWays(tmp));
  model = buildOverlayModel(held, freed, compareProfiles(held, freed), { columns: 200 });
}, 300_000);
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const segment = (m: OverlayModel, ...path: string[]) =>
  m.segments.find((s) => s.path.join(' › ').endsWith(path.join(' › ')));
/** The value in force at x on one side's curve (the last point at or before x). */
function at(points: OverlayPoint[], x: number): number {
  let v = points[0]!.bytes;
  for (const p of points) {
    if (p.x > x) break;
    v = p.bytes;
  }
  return v;
}

describe('the overlay of tinyc with and without --free-asts', () => {
  it('both runs ended ok and have phases matched by path', () => {
    expect(held.run.status).toBe('ok');
    expect(freed.run.status).toBe('ok');
    const names = model.segments.map((s) => s.path.join(' › '));
    expect(names).toEqual(
      expect.arrayContaining([
        'main › parse',
        'main › link',
        'main › generate',
        'main › generate › instantiate_chunks',
        'main › generate › render_chunks',
      ]),
    );
  });

  it('puts the same phase at the same x on both sides', () => {
    const align = alignPhases(held, freed);
    const inst = segment(model, 'generate', 'instantiate_chunks')!;
    expect(inst).toBeDefined();
    expect(inst.endX).toBeGreaterThan(inst.startX);
    // The real spans differ in time (freeing the ASTs makes the run faster) but map to the same x.
    expect(inst.baseMs).not.toEqual(inst.headMs);
    for (const s of model.segments) {
      expect(align.baseX(ms(s.baseMs[0]))).toBeCloseTo(s.startX, 12);
      expect(align.headX(ms(s.headMs[0]))).toBeCloseTo(s.startX, 12);
      expect(align.baseX(ms(s.baseMs[1]))).toBeCloseTo(s.endX, 12);
      expect(align.headX(ms(s.headMs[1]))).toBeCloseTo(s.endX, 12);
    }
    // Segments nest as the phases do: instantiate_chunks inside generate.
    const gen = segment(model, 'main', 'generate')!;
    expect(inst.startX).toBeGreaterThanOrEqual(gen.startX);
    expect(inst.endX).toBeLessThanOrEqual(gen.endX);
    // Width ∝ the mean of the two durations: x-width ratios follow mean-duration ratios.
    const mean = (s: typeof inst) => (s.baseMs[1] - s.baseMs[0] + s.headMs[1] - s.headMs[0]) / 2;
    const link = segment(model, 'main', 'link')!;
    expect((inst.endX - inst.startX) / (link.endX - link.startX)).toBeCloseTo(mean(inst) / mean(link), 6);
  });

  it("keeps x in [0, 1] and ascending along each side's curve, within 2 × columns points", () => {
    for (const side of [model.base, model.head]) {
      expect(side.points.length).toBeGreaterThan(50);
      expect(side.points.length).toBeLessThanOrEqual(400);
      for (let i = 1; i < side.points.length; i++) {
        expect(side.points[i]!.x).toBeGreaterThanOrEqual(side.points[i - 1]!.x);
        expect(side.points[i]!.tMs).toBeGreaterThanOrEqual(side.points[i - 1]!.tMs);
      }
      expect(side.points[0]!.x).toBeGreaterThanOrEqual(0);
      expect(side.points[side.points.length - 1]!.x).toBeLessThanOrEqual(1);
    }
  });

  it("marks each side's true peak of the drawn series, and the curve reaches it", () => {
    for (const [side, profile] of [
      [model.base, held],
      [model.head, freed],
    ] as const) {
      const series = retainedSeries(profile)!; // the overlay draws the tree's RSS where both sides have it
      expect(series.kind).toBe('rss-tree');
      expect(side.seriesName).toBe(series.name);
      const max = seriesMax(series)!;
      expect(side.peak!.bytes).toBe(max.bytes);
      expect(side.peak!.tMs).toBe(max.atMs);
      expect(Math.max(...side.points.map((p) => p.bytes))).toBe(max.bytes);
      expect(side.points.find((p) => p.bytes === max.bytes)!.x).toBe(side.peak!.x);
    }
    // The drawn peaks are the RSS peaks the analysis reports beside the live heap's.
    expect(model.base.peak!.phasePath).toEqual(analyze(held).retainedPeak!.phasePath);
    expect(model.head.peak!.phasePath).toEqual(analyze(freed).retainedPeak!.phasePath);
    expect(model.head.peak!.bytes).toBeLessThan(model.base.peak!.bytes);
  });

  it("draws the head's curve below the base's over the generate phases", () => {
    // Freed ASTs become garbage, not free pages, at once: over instantiate_chunks (where the head frees
    // them one by one) the two curves run level within a few MiB either way, so only the maximum in it
    // is compared; once they are all freed (render_chunks) the head's curve stays below the base's.
    const gens = model.segments.filter((s) => s.path.includes('generate'));
    expect(gens.length).toBeGreaterThanOrEqual(2);
    const render = gens.find((s) => s.path.at(-1) === 'render_chunks')!;
    expect(render).toBeDefined();
    const xs = Array.from({ length: 40 }, (_, k) => render.startX + ((k + 0.5) / 40) * (render.endX - render.startX));
    const below = xs.filter((x) => at(model.head.points, x) < at(model.base.points, x)).length;
    expect(below / xs.length).toBeGreaterThanOrEqual(0.9);
    for (const s of gens) {
      const maxIn = (pts: OverlayPoint[]) =>
        Math.max(...pts.filter((p) => p.x >= s.startX && p.x <= s.endX).map((p) => p.bytes));
      expect(maxIn(model.head.points), s.path.join(' › ')).toBeLessThan(maxIn(model.base.points));
    }
  });

  it('carries the per-phase delta table of the comparison', () => {
    const row = model.phases.find((p) => p.path.join(' › ') === 'main › generate › instantiate_chunks')!;
    expect(row.memPeak.delta).toBeLessThan(0);
    expect(row.time.delta).not.toBeNull();
  });

  it('maps any time monotonically, on random times of each side (property)', () => {
    const align = alignPhases(held, freed);
    let seed = 12345;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (const [toX, end] of [
      [align.baseX, held.run.wallMs],
      [align.headX, freed.run.wallMs],
    ] as const) {
      const ts = Array.from({ length: 2000 }, () => -100 + rand() * (end + 200)).sort((a, b) => a - b);
      let last = -Infinity;
      for (const t of ts) {
        const x = toX(ms(t));
        expect(x).toBeGreaterThanOrEqual(last);
        expect(x).toBeGreaterThanOrEqual(0);
        expect(x).toBeLessThanOrEqual(1);
        last = x;
      }
      expect(toX(ms(0))).toBe(0);
      expect(toX(ms(end + 1e6))).toBe(1);
    }
    // The anchors ascend strictly on both sides.
    for (let i = 1; i < align.anchors.length; i++) {
      expect(align.anchors[i]!.baseMs).toBeGreaterThan(align.anchors[i - 1]!.baseMs);
      expect(align.anchors[i]!.headMs).toBeGreaterThan(align.anchors[i - 1]!.headMs);
    }
  });

  it('drops anchors that contradict the others (phases in another order) and stays monotone', () => {
    // The head with two top-level phases swapped in name: their anchors cross the others'.
    const swapped: Profile = {
      ...freed,
      phases: freed.phases.map((p) => ({
        ...p,
        name: p.name === 'parse' ? 'link' : p.name === 'link' ? 'parse' : p.name,
      })),
    };
    const align = alignPhases(held, swapped);
    for (let i = 1; i < align.anchors.length; i++) {
      expect(align.anchors[i]!.baseMs).toBeGreaterThan(align.anchors[i - 1]!.baseMs);
      expect(align.anchors[i]!.headMs).toBeGreaterThan(align.anchors[i - 1]!.headMs);
    }
    expect(align.segments.map((s) => s.path.join(' › '))).toContain('main › generate');
  });
});

describe('decimation in x', () => {
  it('keeps the minimum and maximum of every column, in order', () => {
    const n = 10_000;
    const xs = Float64Array.from({ length: n }, (_, i) => i / (n - 1));
    const ts = Float64Array.from({ length: n }, (_, i) => i);
    const bytes = Float64Array.from({ length: n }, (_, i) => (i === 7777 ? 1e9 : Math.sin(i / 50) * 1e6 + 2e6));
    const pts = decimateByX(xs, ts, bytes, 100);
    expect(pts.length).toBeLessThanOrEqual(200);
    expect(Math.max(...pts.map((p) => p.bytes))).toBe(1e9);
    expect(pts.find((p) => p.bytes === 1e9)!.tMs).toBe(7777);
    for (let i = 1; i < pts.length; i++) expect(pts[i]!.x).toBeGreaterThanOrEqual(pts[i - 1]!.x);
  });
});
