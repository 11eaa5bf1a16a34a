// The example compiler (examples/workspace: tinyc) profiled both ways, with its AST arenas reported
// through the arena API: by default every arena is held past its last reader (instantiate_chunks), and
// the saving the profile names is close to the drop of the heap actually measured with --free-asts;
// with --free-asts no arena is held past its last use.
//
// What is measured, and why: tinyc runs under `node --expose-gc`, so its heap meter forces a full GC
// at every phase boundary and at ~8 checkpoints inside long phases, and the V8 heap right after each
// full GC (recorded by the preload from v8.GCProfiler) is the live heap. Neither RSS nor the heap
// sampled without GCs moves with --free-asts (V8 and the allocator keep what was freed), so they
// can't measure the drop. The arena bytes are tinyc's own estimate of its nodes' size.
//   - At the default run's live peak (in render_chunks) the held arenas' saving is compared with the
//     live heap of the --free-asts run at the same point (the end of render_chunks): within ±35 %.
//   - Freeing the arenas also moves the peak (to link › deconflict, where the ASTs are still read):
//     the peak predicted by subtracting the held arenas from the default run's live heap at every
//     sample is compared with the --free-asts run's measured live peak: within ±35 % of the drop.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyze } from '../server/src/core/analysis/analyze';
import { summaryText } from '../server/src/core/analysis/summary';
import { profileBuild } from '../server/src/core/profile-build';
import type { Arena, Profile } from '../server/src/core/model';

const ROOT = path.resolve(__dirname, '..');
const WS = path.join(ROOT, 'examples', 'workspace');
const MiB = 2 ** 20;
let tmp: string;
let held: Profile;
let freed: Profile;

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'cmi-example-compiler-'));
  if (!existsSync(path.join(WS, 'node_modules', 'typescript')))
    execFileSync('npm', ['ci', '--no-audit', '--no-fund', '--silent'], { cwd: WS, stdio: 'inherit' });
  execFileSync(process.execPath, [path.join(WS, 'node_modules', 'typescript', 'lib', 'tsc.js'), '-p', '.'], {
    cwd: WS,
    stdio: 'inherit',
  });
  if (!existsSync(path.join(ROOT, 'dist', 'preload.js')))
    execFileSync(process.execPath, ['scripts/build.mjs', '--quiet'], { cwd: ROOT, stdio: 'inherit' });
  const run = (extra: string[]) =>
    profileBuild({
      argv: ['node', '--expose-gc', 'out/main.js', ...extra, '--out', path.join(tmp, extra.join('') || 'held')],
      cwd: WS,
      noTraceFile: true,
    });
  held = await run([]);
  freed = await run(['--free-asts']);
}, 300_000);

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** The live heap: the V8 heap right after each full GC of tinyc's process (times ascend). */
function liveHeap(p: Profile): { tMs: number; bytes: number }[] {
  const heap = p.series.find((s) => s.kind === 'js-heap' && s.name.includes('main'))!;
  const out: { tMs: number; bytes: number }[] = [];
  for (const m of p.markers) {
    if (m.kind !== 'gc' || m.name !== 'MarkSweepCompact' || m.durMs === undefined) continue;
    const end = m.tMs + m.durMs;
    // the sample the collector put at the end of the GC (same arithmetic up to rounding)
    let best = -1;
    for (let i = 0; i < heap.tMs.length; i++) if (Math.abs(heap.tMs[i]! - end) < 0.01) best = i;
    if (best >= 0) out.push({ tMs: end, bytes: heap.bytes[best]! });
  }
  return out.sort((a, b) => a.tMs - b.tMs);
}

function bytesAt(a: Arena, tMs: number): number {
  let b = 0;
  for (let i = 0; i < a.tMs.length && a.tMs[i]! <= tMs; i++) b = a.bytes[i]!;
  return b;
}
const lastUse = (a: Arena) => Math.max(...a.uses.map((u) => u.tMs));
const alive = (a: Arena, tMs: number) => a.startMs <= tMs && (a.endMs === null || a.endMs > tMs);
/** Arenas alive at `tMs` whose last use was before it. */
const heldPast = (p: Profile, tMs: number) =>
  p.arenas.filter((a) => alive(a, tMs) && a.uses.length > 0 && lastUse(a) < tMs);
const peakOf = (s: { tMs: number; bytes: number }[]) => s.reduce((m, x) => (x.bytes > m.bytes ? x : m));
const phaseEnd = (p: Profile, name: string) =>
  p.phases.find((ph) => ph.name === name && ph.category === 'measure')!.endMs;

describe('tinyc, the example compiler, profiled with and without --free-asts', () => {
  it('reports one AST arena per module, read by the linker and instantiate_chunks', () => {
    for (const p of [held, freed]) {
      expect(p.run.status).toBe('ok');
      expect(p.arenas).toHaveLength(300);
      expect(new Set(p.arenas.map((a) => a.category))).toEqual(new Set(['ast']));
      expect(p.arenas.every((a) => a.endMs !== null)).toBe(true);
      const phases = new Set(p.arenas.flatMap((a) => a.uses.map((u) => u.phase)));
      expect([...phases].sort()).toEqual(['generate › instantiate_chunks', 'link › bind', 'link › resolve']);
    }
    const total = held.arenas.reduce((n, a) => n + Math.max(...a.bytes), 0);
    expect(total / MiB).toBeGreaterThan(80); // tinyc says ~96.6 MiB in arenas
  });

  it('default: the arenas are held past their last use, and their saving is close to the drop measured with --free-asts', () => {
    const liveHeld = liveHeap(held);
    const liveFree = liveHeap(freed);
    expect(liveHeld.length).toBeGreaterThan(20);
    const peak = peakOf(liveHeld);
    const past = heldPast(held, peak.tMs);
    expect(past).toHaveLength(300);
    expect(new Set(past.map((a) => a.uses.at(-1)!.phase))).toEqual(new Set(['generate › instantiate_chunks']));
    const saving = past.reduce((n, a) => n + bytesAt(a, peak.tMs), 0);

    // The drop at the same point of the run: the live heap at the end of render_chunks, both ways.
    const at = (s: typeof liveHeld, tMs: number) => s.filter((x) => x.tMs <= tMs).at(-1)!.bytes;
    const dropThere = at(liveHeld, phaseEnd(held, 'render_chunks')) - at(liveFree, phaseEnd(freed, 'render_chunks'));
    expect(saving / dropThere).toBeGreaterThan(0.65);
    expect(saving / dropThere).toBeLessThan(1.35);

    // The peak drop: freeing the held arenas moves the peak to link, where they are still read.
    const predicted = peakOf(
      liveHeld.map((x) => ({
        tMs: x.tMs,
        bytes: x.bytes - heldPast(held, x.tMs).reduce((n, a) => n + bytesAt(a, x.tMs), 0),
      })),
    );
    const predictedDrop = peak.bytes - predicted.bytes;
    const measuredDrop = peak.bytes - peakOf(liveFree).bytes;
    expect(measuredDrop / MiB).toBeGreaterThan(15);
    expect(Math.abs(predictedDrop - measuredDrop)).toBeLessThan(0.35 * measuredDrop);
    expect(saving).toBeGreaterThanOrEqual(predictedDrop); // the saving at the peak bounds the drop of the peak
  });

  it('the analysis (cmi summary) reports them held past their last use by default, and none with --free-asts', () => {
    const a = analyze(held);
    const rows = a.arenas.filter((r) => r.heldPastLastUse);
    expect(rows.length).toBeGreaterThan(20);
    expect(new Set(rows.map((r) => r.lastUsePhase))).toEqual(new Set(['generate › instantiate_chunks']));
    expect(a.arenasAtPeak!.potentialSavingBytes / MiB).toBeGreaterThan(20);
    expect(summaryText(a)).toMatch(
      /Arenas held past their last use \(\d+; freeing each right after its last use would save up to [\d.]+ MiB at the peak\)/,
    );
    const f = analyze(freed);
    expect(f.arenas.filter((r) => r.heldPastLastUse)).toEqual([]);
    expect(summaryText(f)).not.toContain('Arenas held past their last use (');
  });

  it('--free-asts: no arena is held past its last use, at the live peak or at any sample', () => {
    const liveFree = liveHeap(freed);
    expect(heldPast(freed, peakOf(liveFree).tMs)).toHaveLength(0);
    for (const x of liveFree) expect(heldPast(freed, x.tMs).length).toBeLessThanOrEqual(1); // the one being instantiated
  });
});
