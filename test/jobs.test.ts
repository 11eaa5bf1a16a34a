// The parallel-build view (server/src/core/analysis/jobs.ts): each job's own peak RSS and live heap,
// and which jobs overlapped at the tree's peak with what each held. On real builds through `cmi
// profile` (`make -B -j2` of test/workspaces/c-multi with gcc, `cargo build -j2` of cargo-std), their
// HTML report in the real browser, and small hand-made profiles for the edge cases (a live heap that
// is unknown, a single job, a linker under its crate, processes that are no jobs).
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyze } from '../server/src/core/analysis/analyze';
import { summaryText } from '../server/src/core/analysis/summary';
import type { MemorySeries, Phase, ProcessInfo, Profile } from '../server/src/core/model';
import { emptyProfile } from '../server/src/core/model';
import { readProfile } from '../server/src/core/profile-file';
import { bytes, ms } from '../server/src/core/units';
import { reportHtml } from '../server/src/report/html';
import { launchOfflineChromium } from './browser';
import { blankRunFacts, cliPath, repoRoot } from './helpers';

const MiB = 1024 * 1024;
const tmp = mkdtempSync(path.join(os.tmpdir(), 'cmi-jobs-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const env = { ...process.env, PATH: `${os.homedir()}/.cargo/bin:${process.env.PATH}` };
const hasCargo = spawnSync('cargo', ['-V'], { env }).status === 0;

interface JobsJson {
  count: number;
  maxConcurrent: number;
  largestTogetherBytes: number | null;
  peak: { atMs: number; bytes: number; series: string } | null;
  atPeak: { count: number; pids: number[]; heldBytes: number | null; shareOfPeak: number | null };
  rows: {
    name: string;
    pid: number;
    process: string;
    kind: string;
    startMs: number;
    endMs: number;
    peakRssBytes: number | null;
    peakRssSource: string | null;
    liveHeapPeakBytes: number | null;
    runningAtPeak: boolean;
    rssAtPeakBytes: number | null;
  }[];
}
interface SummaryJson {
  peak: { atMs: number; pid: number | null; seriesKind: string } | null;
  retainedPeak: { atMs: number; pid: number | null; series: string } | null;
  jobs: JobsJson | null;
}

/** `cmi profile --json` of a build in a copy of a test workspace: the summary and the profile. */
async function profileWorkspace(workspace: string, argv: string[]) {
  const ws = path.join(tmp, workspace);
  cpSync(path.join(repoRoot, 'test', 'workspaces', workspace), ws, { recursive: true });
  const out = path.join(tmp, `${workspace}.json`);
  const r = spawnSync(process.execPath, [cliPath, 'profile', '--json', '--out', out, '--', ...argv], {
    cwd: ws,
    env,
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  if (r.status !== 0) throw new Error(`cmi profile ${argv.join(' ')}: ${r.stderr}`);
  return { summary: JSON.parse(r.stdout) as SummaryJson, profile: await readProfile(out), out };
}

/** The peak the jobs are set against: the tree's RSS peak (beside a live-heap headline, or the headline). */
const rssPeakOf = (s: SummaryJson) => s.retainedPeak ?? s.peak!;

describe('make -B -j2 of a C project (gcc, cmi profile)', () => {
  const SOURCES = ['hashtab.c', 'lexer.c', 'main.c', 'parser.c', 'strbuf.c', 'vm.c'];
  let summary: SummaryJson;
  let profile: Profile;
  let out = '';
  beforeAll(async () => {
    ({ summary, profile, out } = await profileWorkspace('c-multi', ['make', '-B', '-j2']));
  });

  it('has one job per .c file, on the cc1 that compiled it, with that process peak RSS', () => {
    const jobs = summary.jobs!;
    expect(jobs.rows.map((r) => r.name).sort()).toEqual(SOURCES);
    for (const r of jobs.rows) {
      const proc = profile.processes.find((q) => q.pid === r.pid)!;
      expect(path.basename(proc.argv[0]!), r.name).toBe('cc1');
      expect(proc.argv).toContain(r.name);
      expect(r.kind).toBe('translation-unit');
      expect(r.peakRssBytes, r.name).toBe(proc.peakRssBytes);
      expect(r.peakRssSource).toBe(proc.peakRssSource);
      // cc1 allocates through the C library: the live-heap library saw it, below its RSS.
      expect(r.liveHeapPeakBytes, r.name).toBeGreaterThan(0);
      expect(r.liveHeapPeakBytes!).toBeLessThan(r.peakRssBytes!);
    }
    // Most memory first.
    const peaks = jobs.rows.map((r) => r.peakRssBytes!);
    expect(peaks).toEqual([...peaks].sort((a, b) => b - a));
    expect(jobs.maxConcurrent).toBe(2);
    expect(jobs.largestTogetherBytes).toBe(peaks[0]! + peaks[1]!);
  });

  it("sets the jobs against the tree's RSS peak: the peak's process is among those running then", () => {
    const jobs = summary.jobs!;
    const peak = rssPeakOf(summary);
    expect(jobs.peak).toMatchObject({ atMs: peak.atMs, series: 'rss-tree' });
    expect(jobs.atPeak.pids).toContain(peak.pid);
    expect(jobs.atPeak.count).toBeGreaterThanOrEqual(1);
    expect(jobs.atPeak.count).toBeLessThanOrEqual(2);
    let held = 0;
    for (const pid of jobs.atPeak.pids) {
      const r = jobs.rows.find((x) => x.pid === pid)!;
      expect(r.runningAtPeak).toBe(true);
      expect(r.startMs).toBeLessThanOrEqual(peak.atMs);
      expect(r.endMs).toBeGreaterThanOrEqual(peak.atMs);
      // What it held is its process's RSS sample at the peak's tick, within its own peak.
      const rss = profile.series.find((s) => s.kind === 'rss-process' && s.pid === pid)!;
      const i = rss.tMs.findIndex((t) => Math.abs(t - peak.atMs) < 0.001);
      expect(i, `a sample of ${r.name} at the peak`).toBeGreaterThanOrEqual(0);
      expect(r.rssAtPeakBytes).toBe(rss.bytes[i]);
      expect(r.rssAtPeakBytes!).toBeLessThanOrEqual(r.peakRssBytes!);
      held += r.rssAtPeakBytes!;
    }
    expect(jobs.atPeak.heldBytes).toBe(held);
    // The jobs hold most of the tree at its peak; make, the drivers and the shells the rest.
    expect(held).toBeLessThanOrEqual(jobs.peak!.bytes);
    for (const r of jobs.rows.filter((x) => !jobs.atPeak.pids.includes(x.pid))) {
      expect(r.runningAtPeak).toBe(false);
      expect(r.rssAtPeakBytes).toBeNull();
    }
  });

  it('says it in the text summary: the overlap at the peak, the largest job, a table', () => {
    const r = spawnSync(process.execPath, [cliPath, 'summary', out], { encoding: 'utf8' });
    const jobs = summary.jobs!;
    expect(r.stdout).toContain('Jobs of the parallel build (6; at most 2 at once):');
    const n = jobs.atPeak.count;
    expect(r.stdout).toMatch(
      new RegExp(
        `^ {2}${n} jobs? (overlapped|was running) at the peak holding [\\d.+ ]+MiB.*; the largest single job peaks at [\\d.]+ MiB \\(${jobs.rows[0]!.name.replace('.', '\\.')}\\)$`,
        'm',
      ),
    );
    for (const name of SOURCES) expect(r.stdout).toMatch(new RegExp(`^ {2}${name.replace('.', '\\.')} +\\d+ `, 'm'));
  });

  describe('in the HTML report (the real browser)', () => {
    let context: BrowserContext;
    let page: Page;
    const errors: string[] = [];
    beforeAll(async () => {
      context = await launchOfflineChromium(tmp, { width: 1400, height: 1000 }, errors);
      const file = path.join(tmp, 'c-multi.html');
      writeFileSync(file, reportHtml(profile));
      page = await context.newPage();
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(`file://${file}`);
      await page.waitForSelector('.cmi-tables[data-ready="true"]');
    });
    afterAll(async () => {
      await context?.close();
    });

    it('lists the jobs, those running at the peak marked, and a click selects a job span', async () => {
      const jobs = summary.jobs!;
      const section = page.locator('#cmi-jobs');
      expect(await section.locator('h2').textContent()).toBe('Jobs of the parallel build (6)');
      expect(await section.locator('p').first().textContent()).toMatch(
        /^\d jobs? (overlapped|was running) at the peak/,
      );
      const rows = section.locator('tbody tr');
      expect(await rows.count()).toBe(6);
      const first = await rows.first().locator('td').allTextContents();
      expect(first[0]).toBe(`${jobs.rows[0]!.name} [translation-unit]`);
      expect(await section.locator('tbody tr.cmi-hot').count()).toBe(jobs.atPeak.count);
      const hot = await section.locator('tbody tr.cmi-hot td:nth-child(5)').allTextContents();
      for (const t of hot) expect(t).toMatch(/^[\d.]+ MiB ◀ running$/);

      await rows.first().click();
      await page.waitForSelector('#cmi-selection:not([hidden])');
      const text = (await page.locator('#cmi-selection').textContent())!;
      const r = jobs.rows[0]!;
      const fmt = (t: number) => (t >= 1000 ? `${(t / 1000).toFixed(2)} s` : `${t.toFixed(1)} ms`);
      expect(text.startsWith(`Selection ${fmt(r.startMs)} → ${fmt(r.endMs)}`), text).toBe(true);
      expect(errors).toEqual([]);
    });
  });
});

describe.skipIf(!hasCargo)('cargo build -j2 of a std-only workspace (cmi profile)', () => {
  let summary: SummaryJson;
  let profile: Profile;
  beforeAll(async () => {
    ({ summary, profile } = await profileWorkspace('cargo-std', ['cargo', 'build', '-j2']));
  });

  it('has one job per crate (its build script is inside it), none for cargo probes', () => {
    const jobs = summary.jobs!;
    expect(jobs.rows.map((r) => r.name).sort()).toEqual(['calc', 'parser', 'tokenizer']);
    for (const r of jobs.rows) {
      expect(r.kind).toBe('crate');
      const proc = profile.processes.find((q) => q.pid === r.pid)!;
      expect(proc.label, r.name).toMatch(/^rustc /);
      expect(r.peakRssBytes).toBe(proc.peakRssBytes);
      // rustc allocates through its own jemalloc: its live heap was not measured, and is not guessed.
      expect(r.liveHeapPeakBytes, r.name).toBeNull();
    }
    expect(jobs.atPeak.pids).toContain(rssPeakOf(summary).pid);
  });
});

// ---- small hand-made profiles -------------------------------------------------------------------

function series(
  id: string,
  kind: MemorySeries['kind'],
  pid: number | undefined,
  points: [number, number][],
): MemorySeries {
  return {
    id,
    name: id,
    kind,
    source: 'test',
    ...(pid !== undefined ? { pid } : {}),
    unit: 'bytes',
    tMs: Float64Array.from(points.map((p) => p[0])),
    bytes: Float64Array.from(points.map((p) => p[1] * MiB)),
  };
}
function proc(pid: number, argv: string[], startMs: number, endMs: number, peakMiB: number | null): ProcessInfo {
  return {
    pid,
    ppid: 1,
    argv,
    startMs: ms(startMs),
    endMs: ms(endMs),
    peakRssBytes: peakMiB === null ? null : bytes(peakMiB * MiB),
    ...(peakMiB !== null ? { peakRssSource: 'vmhwm' as const } : {}),
    role: 'build',
  };
}
function phase(
  name: string,
  pid: number,
  startMs: number,
  endMs: number,
  parent: number | null = null,
  category?: string,
): Phase {
  return { name, pid, startMs: ms(startMs), endMs: ms(endMs), parent, ...(category ? { category } : {}) };
}

/** Two crates overlapping in 10–20 ms, a linker under the first; the tree peaks at 15 ms. */
function twoCrates(): Profile {
  const p = emptyProfile(blankRunFacts({ wallMs: ms(40) }));
  p.processes = [
    proc(10, ['rustc', '--crate-name', 'big'], 0, 20, 127),
    proc(11, ['rustc', '--crate-name', 'small'], 10, 30, 76),
    proc(12, ['rust-lld'], 18, 20, 40),
    proc(13, ['rustc', '-', '--crate-name', '___', '--print=file-names'], 0, 1, 20),
    { ...proc(14, ['bash', 'cc-wrapper.sh'], 0, 40, 3), role: 'instrumentation' },
  ];
  p.phases = [
    phase('big', 10, 0, 20, null, 'crate'),
    phase('link', 12, 18, 20, 0),
    phase('small', 11, 10, 30, null, 'crate'),
  ];
  p.series = [
    series('rss-tree', 'rss-tree', undefined, [
      [0, 10],
      [10, 60],
      [15, 200],
      [20, 80],
      [30, 0],
    ]),
    series('rss:10', 'rss-process', 10, [
      [0, 10],
      [10, 50],
      [15, 120],
      [20, 127],
    ]),
    series('rss:11', 'rss-process', 11, [
      [10, 10],
      [15, 70],
      [20, 76],
      [30, 60],
    ]),
    series('live-heap:11', 'allocator-heap', 11, [
      [10, 1],
      [15, 30],
      [25, 50],
    ]),
  ];
  return p;
}

describe('the jobs of hand-made profiles', () => {
  it('one row per job, its live heap unknown where none was measured; linkers, probes and the profiler are no jobs', () => {
    const jobs = analyze(twoCrates()).jobs!;
    expect(jobs.jobs.map((r) => [r.name, r.pid, r.peakRssBytes! / MiB, r.liveHeapPeakBytes])).toEqual([
      ['big', 10, 127, null],
      ['small', 11, 76, 50 * MiB],
    ]);
    expect(jobs.peak).toMatchObject({ atMs: 15, bytes: 200 * MiB, series: 'rss-tree' });
    expect(jobs.atPeak.jobs.map((i) => jobs.jobs[i]!.name)).toEqual(['big', 'small']);
    expect(jobs.jobs.map((r) => r.rssAtPeakBytes! / MiB)).toEqual([120, 70]);
    expect(jobs.jobs[1]!.liveHeapAtPeakBytes).toBe(30 * MiB);
    expect(jobs.jobs[0]!.liveHeapAtPeakBytes).toBeNull();
    expect(jobs.atPeak.heldBytes).toBe(190 * MiB);
    expect(jobs.atPeak.shareOfPeak).toBeCloseTo(0.95, 6);
    expect(jobs.maxConcurrent).toBe(2);
    expect(jobs.largestTogetherBytes).toBe((127 + 76) * MiB);
    const text = summaryText(analyze(twoCrates()));
    expect(text).toContain(
      '2 jobs overlapped at the peak holding 120.0 + 70.0 MiB (190.0 MiB of 200.0 MiB); the largest single job peaks at 127.0 MiB (big)',
    );
    expect(text).toMatch(/^ {2}big +10 +127\.0 MiB +unknown +120\.0 MiB ◀ /m);
  });

  it('a job that ended before the peak held nothing then', () => {
    const p = twoCrates();
    p.series[0] = series('rss-tree', 'rss-tree', undefined, [
      [0, 10],
      [10, 60],
      [25, 300],
      [30, 0],
    ]);
    const jobs = analyze(p).jobs!;
    expect(jobs.atPeak.jobs.map((i) => jobs.jobs[i]!.name)).toEqual(['small']);
    expect(jobs.jobs[0]).toMatchObject({ name: 'big', runningAtPeak: false, rssAtPeakBytes: null });
    expect(summaryText(analyze(p))).toContain('1 job was running at the peak holding 76.0 MiB; the largest');
  });

  it('no view for a build of one job', () => {
    const p = twoCrates();
    p.phases = [phase('big', 10, 0, 20, null, 'crate'), phase('link', 12, 18, 20, 0)];
    p.processes = p.processes.filter((q) => q.pid !== 11);
    expect(analyze(p).jobs).toBeNull();
    expect(summaryText(analyze(p))).not.toContain('Jobs of the parallel build');
  });

  it('compilers without phases are jobs (cc1 under --no-cc), their peak sampled when VmHWM is unknown', () => {
    const p = emptyProfile(blankRunFacts({ wallMs: ms(40) }));
    p.processes = [
      proc(20, ['/usr/lib/gcc/x86_64-linux-gnu/12/cc1', 'a.c'], 0, 20, 30),
      { ...proc(21, ['/usr/lib/gcc/x86_64-linux-gnu/12/cc1', 'b.c'], 5, 25, null), label: 'cc1 b.c' },
      proc(22, ['gcc', '-c', 'a.c'], 0, 22, 3),
    ];
    p.series = [
      series('rss:21', 'rss-process', 21, [
        [5, 4],
        [10, 22],
        [20, 12],
      ]),
    ];
    const jobs = analyze(p).jobs!;
    expect(jobs.jobs.map((r) => [r.name, r.kind, r.peakRssBytes! / MiB, r.peakRssSource])).toEqual([
      ['cc1', 'compiler', 30, 'vmhwm'],
      ['cc1 b.c', 'compiler', 22, 'sampled'],
    ]);
    // The peak is the only series there is (b.c's RSS at 10 ms), and a.c ran then too, not sampled.
    expect(jobs.atPeak.jobs.map((i) => jobs.jobs[i]!.pid)).toEqual([21, 20]);
    expect(jobs.jobs[0]!.rssAtPeakBytes).toBeNull();
  });

  it('shows ten rows in the text and says how many more', () => {
    const p = emptyProfile(blankRunFacts({ wallMs: ms(100) }));
    for (let i = 0; i < 12; i++) {
      p.processes.push(proc(100 + i, ['cc1plus', `f${i}.cc`], i, i + 10, 10 + i));
      p.phases.push(phase(`f${i}.cc`, 100 + i, i, i + 10, null, 'translation-unit'));
    }
    const all = summaryText(analyze(p));
    const text = all.slice(all.indexOf('Jobs of the parallel build')).split('\n\n')[0]!;
    expect(text).toContain('Jobs of the parallel build (12; at most 10 at once):');
    expect(text).toMatch(/^ {2}f11\.cc +111 +21\.0 MiB +unknown /m);
    expect(text).not.toMatch(/^ {2}f1\.cc /m);
    expect(text).toContain('  … and 2 more (see --json)');
    expect(text).toContain('no memory peak to set them against; the largest single job peaks at 21.0 MiB (f11.cc)');
  });
});
