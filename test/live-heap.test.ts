// The live-heap library (native/cmi-heap.c, dist/libcmi-heap.so) and its collector on real
// processes: test/programs/live-heap.c, compiled here, prints what it knows it allocated (the usable
// bytes of its own blocks live at its peak), and the profile's series must show it, per process,
// through threads, fork and exec; RSS against the live heap when glibc keeps freed pages; clang
// against valgrind DHAT; and the degraded cases (no compiler, no directory, node).
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LIVE_HEAP_DIR_ENV, PAGE_OFFSETS } from '../server/src/core/collect/live-heap/page-layout';
import { parseDhat, summarizeDhat } from '../server/src/core/importers/dhat';
import type { MemorySeries, Profile } from '../server/src/core/model';
import { sampleIndexAt } from '../server/src/core/model';
import type { ProfileBuildOptions } from '../server/src/core/profile-build';
import { profileBuildWithOutput } from '../server/src/core/profile-build';
import { ms } from '../server/src/core/units';
import { distDir, repoRoot } from './helpers';

const LIB = path.join(distDir, 'libcmi-heap.so');
/** What the C library itself holds besides the program's blocks (stdio's buffer, dlerror state …). */
const BASELINE_SLACK = 64 * 1024;

const hasClang = spawnSync('clang++', ['--version']).status === 0;
const hasValgrind = spawnSync('valgrind', ['--version']).status === 0;

let tmp = '';
let prog = '';

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cmi-live-heap-'));
  prog = path.join(tmp, 'live-heap');
  execFileSync('cc', ['-O1', '-pthread', '-o', prog, path.join(repoRoot, 'test', 'programs', 'live-heap.c')]);
});
afterAll(() => {
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

/** Only the live-heap collector (and the sampler): what the tests look at. */
const ONLY_LIVE_HEAP: Partial<ProfileBuildOptions> = {
  noNodePreload: true,
  noRustc: true,
  noCc: true,
  noBundlers: true,
  noTraceFile: true,
};

async function profile(argv: string[], extra: Partial<ProfileBuildOptions> = {}) {
  return profileBuildWithOutput({ argv, cwd: tmp, intervalMs: ms(5), ...ONLY_LIVE_HEAP, ...extra });
}

/** The `expect pid=… peak=…` lines the program printed, in order. */
function expectations(stdout: string): { pid: number; peak: number }[] {
  return [...stdout.matchAll(/^expect pid=(\d+) peak=(\d+)$/gm)].map((m) => ({
    pid: Number(m[1]),
    peak: Number(m[2]),
  }));
}

function series(p: Profile, id: string): MemorySeries {
  const s = p.series.find((x) => x.id === id);
  if (!s) throw new Error(`no series ${id}; have ${p.series.map((x) => x.id).join(', ')}`);
  return s;
}

const peakOf = (s: MemorySeries) => Math.max(...s.bytes);
const lastOf = (s: MemorySeries) => s.bytes[s.bytes.length - 1]!;

/** The series' peak is what the program allocated, plus at most what the C library holds itself. */
function expectPeak(s: MemorySeries, expected: number) {
  expect(peakOf(s), s.id).toBeGreaterThanOrEqual(expected);
  expect(peakOf(s), s.id).toBeLessThanOrEqual(expected + BASELINE_SLACK);
}

describe.runIf(process.platform === 'linux')('live heap: the library', () => {
  it('was built by scripts/build.mjs', () => {
    expect(fs.existsSync(LIB)).toBe(true);
  });

  it('lays its page out as page-layout.ts reads it', () => {
    const probe = path.join(tmp, 'offsets.c');
    const fields = Object.keys(PAGE_OFFSETS);
    const cName: Record<string, string> = { peakNs: 'peak_ns', startNs: 'start_ns', argvLen: 'argv_len' };
    fs.writeFileSync(
      probe,
      `#include <stdio.h>\n#include <stddef.h>\n#include "cmi-heap-page.h"\nint main(void) {\n${fields
        .map((f) => `  printf("${f} %zu\\n", offsetof(struct cmi_page, ${cName[f] ?? f}));`)
        .join('\n')}\n  return 0;\n}\n`,
    );
    execFileSync('cc', ['-I', path.join(repoRoot, 'native'), '-o', `${probe}.bin`, probe]);
    const printed = Object.fromEntries(
      execFileSync(`${probe}.bin`, { encoding: 'utf8' })
        .trim()
        .split('\n')
        .map((l) => [l.split(' ')[0]!, Number(l.split(' ')[1])]),
    );
    expect(printed).toEqual(PAGE_OFFSETS);
  });

  it('never prints into the build nor fails when its directory is missing or read-only', () => {
    for (const dir of [path.join(tmp, 'missing'), '/proc/1']) {
      const r = spawnSync(prog, ['hold', '1000', '100'], {
        env: { ...process.env, LD_PRELOAD: LIB, [LIVE_HEAP_DIR_ENV]: dir },
        encoding: 'utf8',
      });
      expect(r.status, dir).toBe(0);
      expect(r.stderr, dir).toBe('');
      expect(r.stdout, dir).toMatch(/^expect pid=\d+ peak=\d+\n$/);
    }
  });
});

describe.runIf(process.platform === 'linux')('live heap: series of real processes', () => {
  it('threads allocating and freeing at once: the peak is every block held at the barrier', async () => {
    const { profile: p, stdout } = await profile([prog, 'threads', '4', '20000', '200']);
    const [e] = expectations(stdout);
    const s = series(p, `live-heap:${e!.pid}`);
    expect(s.kind).toBe('allocator-heap');
    expect(s.name).toBe(`live heap of live-heap (pid ${e!.pid}) (allocator)`);
    expect(s.source).toBe('cmi heap library');
    expectPeak(s, e!.peak);
    // Every block freed again: the counts of the four threads cancel out exactly.
    expect(lastOf(s)).toBeLessThan(BASELINE_SLACK);
    // The exact peak is placed within the run.
    const at = s.tMs[s.bytes.indexOf(peakOf(s))]!;
    expect(at).toBeGreaterThanOrEqual(0);
    expect(at).toBeLessThanOrEqual(p.run.wallMs);
    // One process: no tree sum.
    expect(p.series.some((x) => x.id === 'live-heap-tree')).toBe(false);
  });

  it('fork: the child starts from its parent live bytes, both sides then allocate their own', async () => {
    const { profile: p, stdout } = await profile([prog, 'fork', '5000', '1000']);
    const es = expectations(stdout);
    expect(es).toHaveLength(2);
    for (const e of es) expectPeak(series(p, `live-heap:${e.pid}`), e.peak);
    const tree = series(p, 'live-heap-tree');
    expect(tree.kind).toBe('allocator-heap');
    // Both alive at once at some tick: the sum exceeds either process.
    expect(peakOf(tree)).toBeGreaterThan(Math.max(...es.map((e) => e.peak)));
  });

  it('exec: one pid, two images, two series (#2 for the program it became)', async () => {
    const { profile: p, stdout } = await profile([prog, 'exec', '3000', '1000']);
    const [first, second] = expectations(stdout);
    expect(second!.pid).toBe(first!.pid);
    const before = series(p, `live-heap:${first!.pid}`);
    const after = series(p, `live-heap:${first!.pid}#2`);
    expectPeak(before, first!.peak);
    expectPeak(after, second!.peak);
    expect(after.tMs[0]!).toBeGreaterThanOrEqual(before.tMs[before.tMs.length - 1]!);
    expect(p.series.filter((x) => x.pid === first!.pid && x.kind === 'allocator-heap')).toHaveLength(2);
  });

  it("a shell build `sh -c 'prog; prog'`: a series for each program, and their sum", async () => {
    const { profile: p, stdout } = await profile(['sh', '-c', `${prog} hold 2000 1000; ${prog} hold 4000 1000`]);
    const es = expectations(stdout);
    expect(es).toHaveLength(2);
    for (const e of es) {
      const mine = p.series.filter((x) => x.pid === e.pid && x.name.startsWith('live heap of live-heap '));
      expect(mine, `pid ${e.pid}`).toHaveLength(1);
      expectPeak(mine[0]!, e.peak);
    }
    expect(peakOf(series(p, 'live-heap-tree'))).toBeGreaterThanOrEqual(es[1]!.peak);
  });

  it('glibc keeps the pages of freed small chunks: RSS stays flat while the live heap falls', async () => {
    const { profile: p, stdout } = await profile([prog, 'fragment', '200000', '200']);
    const [e] = expectations(stdout);
    const live = series(p, `live-heap:${e!.pid}`);
    const rss = series(p, `rss:${e!.pid}`);
    expectPeak(live, e!.peak);
    // 63 blocks of 64 freed: the live heap falls near 1/64 of its peak and stays there (400 ms) …
    const peakAt = live.bytes.indexOf(peakOf(live));
    const after = [...live.tMs].filter((_, i) => i > peakAt && live.bytes[i]! < peakOf(live) * 0.1);
    expect(after.length).toBeGreaterThan(0);
    // Halfway through the hold (equal values are stored as the two ends of their run).
    const t = ms((after[0]! + live.tMs[live.tMs.length - 1]!) / 2);
    expect(live.bytes[sampleIndexAt(live, t)]!).toBeLessThan(peakOf(live) * 0.1);
    // … while RSS at that moment, the freed chunks still in the middle of the heap, keeps almost all of it.
    expect(rss.bytes[sampleIndexAt(rss, t)]!).toBeGreaterThan(peakOf(rss) * 0.8);
  });

  it('an allocator linked into the executable: no series rather than a wrong one', async () => {
    const own = path.join(tmp, 'own-malloc');
    execFileSync('cc', ['-O1', '-o', own, path.join(repoRoot, 'test', 'programs', 'own-malloc.c')]);
    const { profile: p, stdout } = await profile([own]);
    expect(stdout).toMatch(/^allocated \d+ bytes$/m);
    expect(p.series.some((s) => s.kind === 'rss-process')).toBe(true);
    expect(p.series.filter((s) => s.kind === 'allocator-heap')).toEqual([]);
  });

  it('node publishes nothing (its heap is V8’s), the build goes on', async () => {
    const { profile: p } = await profile([process.execPath, '-e', 'globalThis.b = Buffer.alloc(8e6, 1)']);
    expect(p.run.status).toBe('ok');
    expect(p.series.filter((s) => s.kind === 'allocator-heap')).toEqual([]);
  });

  it('--no-live-heap leaves LD_PRELOAD alone', async () => {
    const { profile: p, stdout } = await profile(['sh', '-c', 'echo "[$LD_PRELOAD]"'], { noLiveHeap: true });
    expect(stdout.trim()).toBe('[]');
    expect(p.series.filter((s) => s.kind === 'allocator-heap')).toEqual([]);
  });

  it("keeps the user's LD_PRELOAD after the library", async () => {
    const { stdout } = await profile(['sh', '-c', 'echo "[$LD_PRELOAD]"'], { env: { LD_PRELOAD: 'libm.so.6' } });
    expect(stdout.trim()).toBe(`[${LIB}:libm.so.6]`);
  });
});

describe.runIf(process.platform === 'linux')('live heap: without a C compiler at build time', () => {
  it('builds no library, and `cmi profile` warns and records RSS only', async () => {
    const noCcDist = path.join(tmp, 'dist-no-cc');
    const empty = path.join(tmp, 'empty-path');
    fs.mkdirSync(empty);
    const out = execFileSync(process.execPath, [path.join(repoRoot, 'scripts', 'build-native.mjs'), noCcDist], {
      cwd: repoRoot,
      env: { ...process.env, PATH: empty, CC: '' },
      encoding: 'utf8',
    });
    expect(out).toContain('no C compiler');
    expect(fs.existsSync(path.join(noCcDist, 'libcmi-heap.so'))).toBe(false);
    const { profile: p } = await profile([prog, 'hold', '1000', '1000'], { distDir: noCcDist });
    expect(p.run.status).toBe('ok');
    expect(p.warnings.find((w) => w.code === 'live-heap-unavailable')?.message).toMatch(
      /^No live heap: .*libcmi-heap\.so was not built .*RSS only/,
    );
    expect(p.series.some((s) => s.kind === 'rss-process')).toBe(true);
    expect(p.series.filter((s) => s.kind === 'allocator-heap')).toEqual([]);
  });
});

describe.runIf(process.platform === 'linux' && hasClang && hasValgrind)('live heap: clang against DHAT', () => {
  it("clang++'s live-heap peak is within 5 % of DHAT's t-gmax on the same compile", async () => {
    const src = path.join(repoRoot, 'test', 'programs', 'live-heap-templates.cpp');
    const dhatOut = path.join(tmp, 'dhat.out');
    execFileSync(
      'valgrind',
      ['--tool=dhat', `--dhat-out-file=${dhatOut}`, 'clang++', '-O1', '-c', src, '-o', path.join(tmp, 'a.o')],
      { stdio: 'ignore' },
    );
    const dhatPeak = summarizeDhat(parseDhat(fs.readFileSync(dhatOut, 'utf8'), dhatOut)).peakBytes;
    expect(dhatPeak).toBeGreaterThan(1e6);
    const { profile: p } = await profile(['clang++', '-O1', '-c', src, '-o', path.join(tmp, 'b.o')]);
    const clang = p.series.filter((s) => s.kind === 'allocator-heap' && / of clang\+\+ /.test(s.name));
    expect(clang.length).toBeGreaterThan(0);
    const ours = Math.max(...clang.map(peakOf));
    // Usable bytes (ours) ≥ requested bytes (DHAT's) for the same blocks.
    expect(ours / dhatPeak).toBeGreaterThanOrEqual(0.98);
    expect(ours / dhatPeak).toBeLessThanOrEqual(1.05);
  });
});
