// The process-tree sampler against real processes: test/programs/alloc.c allocates a known amount,
// holds it, and exits. What a user checks: the tree's peak against the kernel's high-water mark and
// `/usr/bin/time`, each process's own peak, one series per process that drops to zero when it exits,
// and the coarse `ps` fallback saying that it is coarse.

import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { processLabel } from '../server/src/core/collect/sampler/process-label';
import {
  ProcessTreeSampler,
  type ProcessTreeSamplerOptions,
  type SamplerResult,
} from '../server/src/core/collect/sampler/process-tree-sampler';
import type { MemorySeries } from '../server/src/core/model';
import { epochMs, ms } from '../server/src/core/units';
import { killTree } from '../server/src/core/collect/sampler/process-tree';

const MiB = 1024 * 1024;
const linux = process.platform === 'linux';
const hasCc = spawnSync('cc', ['--version']).status === 0;
const hasTime = fs.existsSync('/usr/bin/time');

let dir: string;
let alloc: string;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cmi-sampler-'));
  alloc = path.join(dir, 'alloc');
  if (!hasCc) return;
  const cc = spawnSync('cc', ['-O0', '-o', alloc, path.join(__dirname, 'programs', 'alloc.c')], { encoding: 'utf8' });
  if (cc.status !== 0) throw new Error(`cc failed: ${cc.stderr}`);
});
afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Runs argv detached (as the runner does) under a sampler until the root exits. */
async function sampled(
  argv: string[],
  opts: Partial<ProcessTreeSamplerOptions> = {},
): Promise<SamplerResult & { rootPid: number }> {
  const startEpochMs = epochMs(performance.timeOrigin + performance.now());
  const child = spawn(argv[0]!, argv.slice(1), { detached: true, stdio: 'ignore' });
  const rootPid = child.pid!;
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const sampler = new ProcessTreeSampler({ rootPid, intervalMs: ms(10), startEpochMs, ...opts });
  sampler.start();
  try {
    expect(await exited).toBe(0);
  } finally {
    await killTree(rootPid, { graceMs: ms(100) }); // nothing left when it passes; a failed run leaves nothing either
  }
  return { ...(await sampler.stop()), rootPid };
}

/** `/usr/bin/time -f %M`: the maximum RSS of the command, in bytes. */
function maxRssByTime(argv: string[]): number {
  const r = spawnSync('/usr/bin/time', ['-f', '%M', ...argv], { encoding: 'utf8' });
  expect(r.status).toBe(0);
  return Number(r.stderr.trim().split('\n').pop()) * 1024;
}

const peakOf = (s: MemorySeries) => s.bytes.reduce((a, b) => Math.max(a, b), 0);
const seriesById = (r: SamplerResult, id: string) => {
  const s = r.series.find((x) => x.id === id);
  if (!s) throw new Error(`no series ${id} in ${r.series.map((x) => x.id).join(', ')}`);
  return s;
};

/** What must hold of every result: times ascend, every process series ends at zero or at the end. */
function expectWellFormed(r: SamplerResult): void {
  for (const s of r.series) {
    expect(s.tMs.length, s.id).toBe(s.bytes.length);
    for (let i = 1; i < s.tMs.length; i++) expect(s.tMs[i]!, s.id).toBeGreaterThanOrEqual(s.tMs[i - 1]!);
  }
  for (const p of r.processes) {
    const s = seriesById(r, `rss:${p.pid}`);
    expect(s.kind).toBe('rss-process');
    expect(s.name).toBe(`RSS of ${p.label} (pid ${p.pid})`);
    if (p.endMs !== null) expect(s.bytes[s.bytes.length - 1]).toBe(0); // dropped to zero when it exited
  }
}

describe.skipIf(!linux || !hasCc)('ProcessTreeSampler (procfs)', () => {
  it("measures the peak of one process as the kernel's high-water mark and /usr/bin/time do", async () => {
    // alloc writes the kernel's figures of its peak at the end of it, memory still held.
    const peakFile = path.join(dir, 'alloc-peak.txt');
    const argv = [alloc, '200', '400', peakFile];
    const r = await sampled(argv);
    expectWellFormed(r);

    const tree = seriesById(r, 'rss-tree');
    expect(tree).toMatchObject({
      kind: 'rss-tree',
      name: 'RSS of the process tree',
      source: 'procfs sampler',
      unit: 'bytes',
    });
    expect(r.facts).toMatchObject({ kind: 'procfs', intervalMs: 10 });
    expect(r.facts.requestedIntervalMs).toBeUndefined();
    expect(r.facts.ticks).toBeGreaterThan(30); // ~400 ms held at 10 ms
    expect(r.warnings).toEqual([]);

    const [root] = r.processes;
    expect(r.processes).toHaveLength(1);
    expect(root).toMatchObject({
      pid: r.rootPid,
      argv,
      startMs: 0,
      label: 'alloc',
      role: 'build',
      peakRssSource: 'vmhwm',
    });
    expect(root!.endMs).toBeGreaterThan(400);
    expect(tree.bytes[tree.bytes.length - 1]).toBe(0); // the tree is empty at the end

    // At 10 ms over a 400 ms hold, a sample falls on the peak. The samples read VmRSS: at most the
    // high-water mark, give or take the kernel's own rounding (the bench saw up to 0.09 % above the
    // VmHWM read at the end of the hold: the per-CPU RSS counters, pages reclaimed meanwhile).
    const treePeak = peakOf(tree);
    const [hwmKiB, maxRssKiB] = fs.readFileSync(peakFile, 'utf8').trim().split(' ').map(Number);
    const hwm = hwmKiB! * 1024;
    expect(treePeak).toBeGreaterThan(200 * MiB);
    expect(treePeak / hwm).toBeLessThanOrEqual(1.005);
    expect(treePeak / hwm).toBeGreaterThanOrEqual(0.97);
    // The process's own peak is the high-water mark the sampler read last, near its exit (after the
    // report, which may have touched a few more pages).
    expect(Math.abs(root!.peakRssBytes! / hwm - 1)).toBeLessThanOrEqual(0.005);
    // getrusage's ru_maxrss, read in the same instant, differs by a few hundred KiB at most (Linux 6.2
    // and later keep RSS in per-CPU counters, which /proc and getrusage total differently).
    expect(Math.abs(hwm - maxRssKiB! * 1024)).toBeLessThan(4 * MiB);

    if (!hasTime) {
      console.warn('/usr/bin/time is missing: skipping the comparison with it');
      return;
    }
    // /usr/bin/time prints ru_maxrss, of another run: within 0.5 % (the counters' slack, and the few
    // pages a run's environment and stack differ by).
    const timeBytes = maxRssByTime([alloc, '200']);
    expect(treePeak / timeBytes).toBeGreaterThanOrEqual(0.97);
    expect(treePeak / timeBytes).toBeLessThanOrEqual(1.005);
  });

  it('sums a tree of two processes running in parallel, with a series for each', async () => {
    const r = await sampled(['sh', '-c', '"$0" 120 600 & "$0" 80 600 & wait', alloc]);
    expectWellFormed(r);
    expect(r.processes.map((p) => p.label).sort()).toEqual(['alloc', 'alloc', 'sh']);
    const [sh, ...allocs] = r.processes;
    expect(sh!.pid).toBe(r.rootPid);
    const big = allocs.find((p) => p.argv[1] === '120')!;
    const small = allocs.find((p) => p.argv[1] === '80')!;
    expect(big.ppid).toBe(r.rootPid);
    expect(big.peakRssBytes! / MiB).toBeCloseTo(121, 0); // 120 MiB + the C runtime
    expect(small.peakRssBytes! / MiB).toBeCloseTo(81, 0);
    for (const p of allocs) {
      expect(peakOf(seriesById(r, `rss:${p.pid}`))).toBeGreaterThanOrEqual(p.peakRssBytes! * 0.97);
      expect(p.startMs).toBeGreaterThan(0);
      expect(p.endMs).toBeGreaterThan(p.startMs + 500);
    }

    const treePeak = peakOf(seriesById(r, 'rss-tree'));
    const sumOfPeaks = r.processes.reduce((a, p) => a + p.peakRssBytes!, 0);
    expect(treePeak).toBeGreaterThanOrEqual(0.97 * (big.peakRssBytes! + small.peakRssBytes!));
    expect(treePeak).toBeLessThanOrEqual(sumOfPeaks);
  });

  it('records instrumentation processes but leaves them out of the tree sum', async () => {
    const r = await sampled(['sh', '-c', '"$0" 120 600 & "$0" 80 600 & wait', alloc], {
      isInstrumentation: (_pid, argv) => argv[1] === '80',
    });
    const small = r.processes.find((p) => p.argv[1] === '80')!;
    expect(small.role).toBe('instrumentation');
    expect(peakOf(seriesById(r, `rss:${small.pid}`))).toBeGreaterThan(80 * MiB);
    const treePeak = peakOf(seriesById(r, 'rss-tree'));
    expect(treePeak).toBeGreaterThan(120 * MiB);
    expect(treePeak).toBeLessThan(130 * MiB);
  });

  it('finds processes started after quiet spells (ticks that skip the walk while no task is created)', async () => {
    const r = await sampled(['sh', '-c', 'sleep 0.3; "$0" 40 300 & sleep 0.4; "$0" 30 300; wait', alloc]);
    expectWellFormed(r);
    const allocs = r.processes.filter((p) => p.label === 'alloc').sort((a, b) => a.startMs - b.startMs);
    expect(allocs.map((p) => p.argv[1])).toEqual(['40', '30']);
    expect(allocs[0]!.peakRssBytes! / MiB).toBeCloseTo(41, 0);
    expect(allocs[1]!.peakRssBytes! / MiB).toBeCloseTo(31, 0);
    for (const p of allocs)
      expect(peakOf(seriesById(r, `rss:${p.pid}`))).toBeGreaterThanOrEqual(p.peakRssBytes! * 0.97);
  });

  it('takes up the children of a process that keeps starting threads, and none of its threads (as cargo under rustc)', async () => {
    // A Node process starts a worker thread every few ms (each one ends at once) while it runs three
    // allocs one after another, the last through a shell: new pids at every tick, nearly all threads,
    // whose parent (as the kernel shows a thread's) is the shell that started Node, a member too.
    const script = path.join(dir, 'churn.js');
    fs.writeFileSync(
      script,
      `const { Worker } = require('node:worker_threads');
const { spawn } = require('node:child_process');
const churn = setInterval(() => new Worker('', { eval: true }), 4);
const run = (argv) => new Promise((r) => spawn(argv[0], argv.slice(1), { stdio: 'ignore' }).on('exit', r));
(async () => {
  await run([process.argv[2], '30', '150']);
  await run([process.argv[2], '40', '150']);
  await run(['sh', '-c', '"$0" 50 150; true', process.argv[2]]);
  clearInterval(churn);
})();
`,
    );
    const r = await sampled(['sh', '-c', '"$0" "$1" "$2"; true', process.execPath, script, alloc]);
    expectWellFormed(r);
    expect(r.processes.map((p) => p.label).sort()).toEqual(['alloc', 'alloc', 'alloc', 'node churn', 'sh', 'sh']);
    const node = r.processes.find((p) => p.label === 'node churn')!;
    expect(node.ppid).toBe(r.rootPid);
    const sh = r.processes.find((p) => p.label === 'sh' && p.pid !== r.rootPid)!;
    const allocs = r.processes.filter((p) => p.label === 'alloc').sort((a, b) => a.startMs - b.startMs);
    expect(allocs.map((p) => p.argv[1])).toEqual(['30', '40', '50']);
    expect(allocs.map((p) => p.ppid)).toEqual([node.pid, node.pid, sh.pid]);
    expect(sh.ppid).toBe(node.pid);
    allocs.forEach((p, i) => expect(p.peakRssBytes! / MiB).toBeCloseTo(31 + 10 * i, 0));
  });

  it('does not take the threads of a process started since the last tick for processes', async () => {
    // Node starts its threads as it starts: with ticks 200 ms apart, its pid and theirs are all new
    // at the same tick (the one after the shell's sleep), before anything is known of it. Their
    // parent, as the kernel shows a thread's, is the shell, a member of the tree.
    const r = await sampled(['sh', '-c', 'sleep 0.3; "$0" -e "setTimeout(() => {}, 600)"; true', process.execPath], {
      intervalMs: ms(200),
    });
    expectWellFormed(r);
    // (sleep may or may not be seen by ticks this far apart)
    expect(
      r.processes
        .map((p) => p.label)
        .filter((l) => l !== 'sleep')
        .sort(),
    ).toEqual(['node -e', 'sh']);
  });

  it('reads a zombie of the tree once, not again at every tick that looks for new processes while it waits to be reaped', async () => {
    // The inner sh forks a child that exits at once, then execs alloc, which never reaps it: a zombie
    // for alloc's life (as the rustc wrapper's process substitution under rustc). The sleeps of the
    // outer sh hand out new pids, so the ticks look for new members again and again.
    const proto = ProcessTreeSampler.prototype as unknown as { track: (pid: number, ...rest: unknown[]) => unknown };
    const track = proto.track;
    const tracked: number[] = [];
    proto.track = function (this: unknown, pid: number, ...rest: unknown[]) {
      tracked.push(pid);
      return track.call(this, pid, ...rest);
    };
    let r: SamplerResult;
    try {
      r = await sampled([
        'sh',
        '-c',
        'sh -c \'(exit 0) & exec "$0" 40 400\' "$0" & for i in 1 2 3 4 5 6; do sleep 0.05; done; wait',
        alloc,
      ]);
    } finally {
      proto.track = track;
    }
    expectWellFormed(r);
    expect(r.processes.filter((p) => p.label === 'alloc')).toHaveLength(1);
    expect(r.processes.filter((p) => p.argv[0] === 'sleep').length).toBeGreaterThanOrEqual(3); // seen: the ticks looked
    // Every pid was taken up once (before, the zombie was opened, read and dropped at every walk).
    expect(tracked.length).toBe(new Set(tracked).size);
  });

  it('follows an exec: the argv and the peak are the new program’s', async () => {
    // sh execs alloc: same pid, new program. The shell's own memory is not alloc's peak.
    const r = await sampled(['sh', '-c', 'sleep 0.1; exec "$0" 50', alloc]);
    expect(r.processes).toHaveLength(2); // sh (then alloc), and sleep
    const root = r.processes.find((p) => p.pid === r.rootPid)!;
    expect(root.label).toBe('alloc');
    expect(root.argv).toEqual([alloc, '50']);
    expect(root.peakRssBytes! / MiB).toBeCloseTo(51, 0);
  });

  it('calls onTick at every tick and reports live figures', async () => {
    const seen: number[] = [];
    let live: ReturnType<ProcessTreeSampler['live']> | undefined;
    const startEpochMs = epochMs(performance.timeOrigin + performance.now());
    const child = spawn(alloc, ['100', '300'], { detached: true, stdio: 'ignore' });
    const sampler: ProcessTreeSampler = new ProcessTreeSampler({
      rootPid: child.pid!,
      intervalMs: ms(10),
      startEpochMs,
      onTick: (nowMs) => {
        seen.push(nowMs);
        if (!live || sampler.live().peakTreeRssBytes > live.peakTreeRssBytes) live = sampler.live();
      },
    });
    sampler.start();
    expect(sampler.knownPids()).toEqual([child.pid]);
    await new Promise((r) => child.once('exit', r));
    const r = await sampler.stop();
    expect(seen).toHaveLength(r.facts.ticks);
    // The longest gap between two ticks is the one the onTick times show.
    expect(r.facts.maxGapMs).toBeCloseTo(Math.max(...seen.slice(1).map((t, i) => t - seen[i]!)), 6);
    expect(r.facts.maxGapMs).toBeGreaterThan(0);
    expect(live!.peakTreeRssBytes).toBeGreaterThan(100 * MiB);
    expect(live!.processCount).toBe(1);
    // The timer keeps to its grid: ~30 ticks in 300 ms, not 20 for a slow event loop's drift.
    const spanMs = seen[seen.length - 1]! - seen[0]!;
    expect(seen.length).toBeGreaterThan(spanMs / 10 / 1.5);
  });
});

describe.skipIf(!linux || !hasCc || spawnSync('ps', ['-V']).error !== undefined)(
  'ProcessTreeSampler (ps fallback)',
  () => {
    it('gives a coarse series and says that it is coarse', async () => {
      const argv = [alloc, '100', '1500'];
      const r = await sampled(argv, { backend: 'ps' });
      expectWellFormed(r);
      expect(r.facts).toMatchObject({ kind: 'ps', intervalMs: 250, requestedIntervalMs: 10 });
      expect(r.facts.ticks).toBeGreaterThanOrEqual(5);
      expect(r.facts.ticks).toBeLessThan(12);
      expect(r.warnings.map((w) => w.code)).toEqual(['sampler-coarse']);
      expect(r.warnings[0]!.message).toMatch(/linux.*`ps` every 250 ms \(asked: 10 ms\).*may be missed/);

      const tree = seriesById(r, 'rss-tree');
      expect(tree.source).toBe('ps sampler');
      const [root] = r.processes;
      expect(root).toMatchObject({ pid: r.rootPid, label: 'alloc', peakRssSource: 'sampled' });
      const timeBytes = hasTime ? maxRssByTime(argv) : 101 * MiB;
      expect(peakOf(tree) / timeBytes).toBeGreaterThanOrEqual(0.97);
      expect(peakOf(tree) / timeBytes).toBeLessThanOrEqual(1.005);
    });
  },
);

describe('processLabel', () => {
  it('names a process by its program and what it works on', () => {
    expect(
      processLabel(['/home/u/.rustup/toolchains/stable/bin/rustc', '--crate-name', 'regex_syntax', '--edition=2021']),
    ).toBe('rustc regex_syntax');
    expect(processLabel(['node', '--max-old-space-size=4096', '/p/node_modules/typescript/bin/tsc', '-p', '.'])).toBe(
      'node tsc',
    );
    expect(processLabel(['node', '-r', './preload.js', 'build.mjs'])).toBe('node build');
    expect(processLabel(['/usr/lib/gcc/x86_64-linux-gnu/12/cc1', '-quiet', 'src/parser.c', '-o', '/tmp/x.s'])).toBe(
      'cc1 parser.c',
    );
    expect(processLabel(['C:\\Program Files\\nodejs\\node.exe', 'x.js'])).toBe('node x');
    expect(processLabel([], 'kworker')).toBe('kworker');
  });
});
