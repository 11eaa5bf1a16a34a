// The live V8 heap of Node processes (the js-live-heap series: the heap in use right after each full
// GC) and precise heap mode (--precise-heap: a full GC forced at every phase boundary), on real
// builds profiled as `cmi profile` runs them:
//   - tinyc, the example compiler, with its plain command (`node out/main.js`, no --expose-gc): its RSS
//     peaks at exit, after its arenas are freed; its live heap peaks before that;
//   - the example's tsc build (TypeScript 6): its own full GCs, and one at each top-level phase
//     (Program, Bind, Check, Emit) in precise mode.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyze } from '../server/src/core/analysis/analyze';
import { type Marker, type MemorySeries, type Profile, valueAt } from '../server/src/core/model';
import { ms } from '../server/src/core/units';
import { profileBuild } from '../server/src/core/profile-build';
import { tinycDir } from './helpers';

const TSC = path.join(tinycDir, 'node_modules', 'typescript', 'lib', 'tsc.js');
let tmp: string;

beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'cmi-live-heap-'));
  if (!existsSync(path.join(tinycDir, 'node_modules', 'typescript')))
    execFileSync('npm', ['ci', '--no-audit', '--no-fund', '--silent'], { cwd: tinycDir, stdio: 'inherit' });
  if (!existsSync(path.join(tinycDir, 'out', 'main.js')))
    execFileSync(process.execPath, [TSC, '-p', '.'], { cwd: tinycDir, stdio: 'inherit' });
}, 120_000);

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const points = (s: MemorySeries) => Array.from(s.tMs, (tMs, i) => ({ tMs, bytes: s.bytes[i]! }));
const seriesOf = (p: Profile, kind: MemorySeries['kind'], label: string) =>
  p.series.find((s) => s.kind === kind && s.name.includes(`of ${label} (pid`));
const forcedGcs = (p: Profile, pid: number): Marker[] =>
  p.markers.filter(
    (m) =>
      m.kind === 'gc' && m.pid === pid && m.name === 'MarkSweepCompact (forced by the profiler at a phase boundary)',
  );

/** A forced GC that began within `afterMs` after `tMs`, or ended at most 50 ms before it (it then stands for it). */
function gcAt(gcs: Marker[], tMs: number, afterMs = 25): Marker | undefined {
  return gcs.find((m) => m.tMs <= tMs + afterMs && m.tMs + (m.durMs ?? 0) >= tMs - 50);
}

describe('the live V8 heap of the example compiler (node out/main.js, no --expose-gc)', () => {
  let p: Profile;
  beforeAll(async () => {
    p = await profileBuild({
      argv: ['node', 'out/main.js', '--out', path.join(tmp, 'tinyc')],
      cwd: tinycDir,
      noTraceFile: true,
    });
  }, 180_000);

  it('has a live-heap series below the V8 heap sampled around each point, peaking before the arenas are freed', () => {
    expect(p.run.status).toBe('ok');
    const live = seriesOf(p, 'js-live-heap', 'main')!;
    expect(live).toBeDefined();
    expect(live.name).toMatch(/^live V8 heap of main \(pid \d+\) \(after full GC\)$/);
    expect(live.id).toBe(`js-live-heap:${live.pid}`);
    const heap = points(seriesOf(p, 'js-heap', 'main')!);
    const rss = p.series.find((x) => x.kind === 'rss-process' && x.pid === live.pid)!;
    const livePoints = points(live);
    expect(livePoints.length).toBeGreaterThan(0);
    const fullGcs = p.markers.filter(
      (m) => m.kind === 'gc' && m.pid === live.pid && m.name.startsWith('MarkSweepCompact'),
    );
    expect(fullGcs).toHaveLength(livePoints.length);
    for (const l of livePoints) {
      // The GC that left this much alive ended at most at this point (its window's end); the V8 heap
      // sampled as it began (garbage included) held more, but for the memory V8 accounts outside its
      // heap (Buffers: the live point counts them, the sampled V8 heap does not; a few MiB here).
      const gc = fullGcs.filter((m) => m.tMs + m.durMs! <= l.tMs + 0.01).pop()!;
      const before = heap.find((h) => Math.abs(h.tMs - gc.tMs) < 0.01)!;
      expect(before.bytes + 8 * 2 ** 20).toBeGreaterThan(l.bytes);
      // And what the program holds fits in what the OS gave its process then.
      expect(valueAt(rss, ms(l.tMs))!).toBeGreaterThan(l.bytes);
    }
    const peak = livePoints.reduce((a, b) => (b.bytes > a.bytes ? b : a));
    // tinyc frees its 300 AST arenas after `write`, at the end of the run: its live heap peaked before.
    expect(p.arenas).toHaveLength(300);
    const firstFree = Math.min(...p.arenas.map((a) => a.endMs!));
    expect(peak.tMs).toBeLessThan(firstFree);
    // ...while its RSS peaked after the last arena was created (the heap kept growing while they lived).
    expect(Math.max(...heap.map((h) => h.bytes))).toBeGreaterThan(peak.bytes);
  });

  it('what the user reads: the live peak in a phase, never the bare process, with few GCs forced', () => {
    const a = analyze(p);
    expect(a.peak?.seriesKind).toBe('js-live-heap');
    expect(a.peak?.afterPhasePath).toBeUndefined();
    expect(a.peak?.phasePath.length).toBeGreaterThan(1);
    // The profiler forced at most a few full GCs (the sparse default, under 3 % of the time).
    expect(forcedGcs(p, a.peak!.pid!).length).toBeLessThanOrEqual(3);
  });
});

describe('--precise-heap: a full GC at every phase boundary', () => {
  it('the example compiler: a live-heap point at the start and end of each of its phases, and at its end', async () => {
    const p = await profileBuild({
      argv: ['node', 'out/main.js', '--modules', '100', '--out', path.join(tmp, 'tinyc-precise')],
      cwd: tinycDir,
      noTraceFile: true,
      preciseHeap: true,
    });
    expect(p.run.status).toBe('ok');
    expect(p.run.sources).toContain('node-preload:precise-heap');
    expect(p.warnings.map((w) => w.code)).not.toContain('precise-heap-skipped');
    const live = seriesOf(p, 'js-live-heap', 'main')!;
    const gcs = forcedGcs(p, live.pid!);
    const liveTimes = points(live).map((l) => l.tMs);
    const phases = p.phases.filter((ph) => ph.category === 'measure');
    expect(phases.map((ph) => ph.name)).toContain('instantiate_chunks');
    for (const ph of phases) {
      for (const b of [ph.startMs, ph.endMs]) {
        const gc = gcAt(gcs, b);
        expect(gc, `${ph.name} at ${b.toFixed(1)} ms`).toBeDefined();
        // the point sits where that GC ended
        expect(liveTimes.some((t) => Math.abs(t - (gc!.tMs + gc!.durMs!)) < 0.01)).toBe(true);
      }
    }
    // What the user reads: the live peak after the arenas were last read, every arena held past it.
    const a = analyze(p);
    expect(a.peak?.seriesKind).toBe('js-live-heap');
    expect(a.peak?.phasePath.length).toBeGreaterThan(1);
    const held = a.arenas.filter((r) => r.heldPastLastUse);
    expect(held).toHaveLength(100);
    expect(new Set(held.map((r) => r.lastUsePhase))).toEqual(new Set(['generate › instantiate_chunks']));
    const predicted = a.arenasAtPeak?.ifFreedAfterLastUse.find((f) => f.series === a.peak!.series);
    expect(predicted?.dropBytes).toBeGreaterThan(5 * 2 ** 20);
    // The last one: at exit, after the last phase.
    const lastPhaseEnd = Math.max(...phases.map((ph) => ph.endMs));
    expect(gcs[gcs.length - 1]!.tMs).toBeGreaterThan(lastPhaseEnd);
    expect(liveTimes[liveTimes.length - 1]).toBeGreaterThan(lastPhaseEnd);
  }, 180_000);

  it('tsc: its own full GCs without it; with it, one where each top-level phase begins and one at exit', async () => {
    const run = (precise: boolean) =>
      profileBuild({
        argv: ['node', TSC, '-p', '.', '--outDir', path.join(tmp, `tsc-${precise}`)],
        cwd: tinycDir,
        noTraceFile: true,
        preciseHeap: precise,
      });
    const plain = await run(false);
    const plainLive = seriesOf(plain, 'js-live-heap', 'tsc')!;
    expect(plainLive.name).toMatch(/^live V8 heap of tsc \(pid \d+\) \(after full GC\)$/);
    expect(plainLive.tMs.length).toBeGreaterThanOrEqual(1); // ~100 MiB live: V8 collects the old generation on the way
    // Without it, few: only where a phase began with the heap well past the live heap last known.
    expect(forcedGcs(plain, plainLive.pid!).length).toBeLessThanOrEqual(3);

    const p = await run(true);
    expect(p.run.status).toBe('ok');
    const live = seriesOf(p, 'js-live-heap', 'tsc')!;
    const gcs = forcedGcs(p, live.pid!);
    for (const name of ['Program', 'Bind', 'Check', 'Emit']) {
      const first = p.phases.find((ph) => ph.name === name && ph.category === 'tsc')!;
      expect(first, name).toBeDefined();
      expect(gcAt(gcs, first.startMs), `${name} at ${first.startMs.toFixed(1)} ms`).toBeDefined();
    }
    // Not one per file: tsc marks Bind and Check once per source file.
    const check = p.phases.find((ph) => ph.name === 'Check' && ph.category === 'tsc')!;
    expect(check.args?.['Check spans']).toBeGreaterThan(50);
    expect(gcs.length).toBeLessThanOrEqual(6);
    const lastPhaseEnd = Math.max(...p.phases.filter((ph) => ph.category === 'tsc').map((ph) => ph.endMs));
    expect(gcs[gcs.length - 1]!.tMs).toBeGreaterThan(lastPhaseEnd); // at exit
    expect(live.tMs.length).toBeGreaterThanOrEqual(gcs.length);
  }, 300_000);
});
