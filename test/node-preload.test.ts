// The Node preload and its instrumentation, end to end: the preload is bundled here with esbuild (as
// scripts/build.mjs does) into a folder whose path has a space, prepare() sets up the environment, the
// test spawns real processes (TypeScript 6's tsc on test/workspaces/tsc-small, small Node programs),
// and collect() reads what the preload wrote.
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  symlinkSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import * as esbuild from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CollectContext, InstrumentContext, Instrumentation } from '../server/src/core/collect/instrumentation';
import { findTscCommand } from '../server/src/core/collect/node-preload/find-tsc-command';
import { nodePreloadInstrumentation, quoteNodeOption } from '../server/src/core/collect/node-preload/instrumentation';
import { tscDiagnosticsFlagToAdd } from '../server/src/core/collect/node-preload/tsc-flags';
import { parseTscDiagnostics } from '../server/src/core/importers/tsc-diagnostics';
import type { Contribution, Phase, ProcessInfo } from '../server/src/core/model';
import { epochMs, epochToProfileMs, ms } from '../server/src/core/units';

const ROOT = path.resolve(__dirname, '..');
const TSC = path.join(ROOT, 'node_modules', 'typescript', 'lib', 'tsc.js');
const TS_VERSION = (
  JSON.parse(readFileSync(path.join(ROOT, 'node_modules', 'typescript', 'package.json'), 'utf8')) as { version: string }
).version;
const SMALL = path.join(ROOT, 'test', 'workspaces', 'tsc-small');

let tmp: string;
let distDir: string;

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'cmi-preload-test-'));
  distDir = path.join(tmp, 'dist with space');
  await esbuild.build({
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    bundle: true,
    sourcemap: false,
    minify: false,
    logLevel: 'error',
    entryPoints: [path.join(ROOT, 'server', 'src', 'core', 'collect', 'node-preload', 'writer', 'main.ts')],
    outfile: path.join(distDir, 'preload.js'),
  });
});

afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

interface Profiled {
  c: Contribution;
  stdout: string;
  exit: { code: number | null; signal: NodeJS.Signals | null };
  /** The spawned process, with its lifetime as the test measured it (ms since start). */
  proc: ProcessInfo;
  ctx: CollectContext;
  collectAgain: () => Promise<Contribution>;
}

/** prepare() → spawn → wait for exit → collect(), as the build runner does. */
async function profile(
  argv: string[],
  opts: { cwd?: string; whileRunning?: (child: ChildProcess, nodeDir: string, inst: Instrumentation) => void } = {},
): Promise<Profiled> {
  const inst = nodePreloadInstrumentation();
  const workDir = mkdtempSync(path.join(tmp, 'work-'));
  const ctx: InstrumentContext = {
    argv: [...argv],
    env: { ...process.env },
    cwd: opts.cwd ?? ROOT,
    workDir,
    startEpochMs: epochMs(0),
    intervalMs: ms(10),
    distDir,
  };
  await inst.prepare(ctx);
  ctx.startEpochMs = epochMs(performance.timeOrigin + performance.now());
  const child = spawn(ctx.argv[0]!, ctx.argv.slice(1), {
    cwd: ctx.cwd,
    env: ctx.env as NodeJS.ProcessEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  child.stdout!.setEncoding('utf8').on('data', (s: string) => (stdout += s));
  child.stderr!.resume();
  opts.whileRunning?.(child, path.join(workDir, 'node'), inst);
  let endMs = ms(0);
  child.once(
    'exit',
    () => (endMs = epochToProfileMs(epochMs(performance.timeOrigin + performance.now()), ctx.startEpochMs)),
  );
  // 'close' comes after 'exit' and after the output streams are drained.
  const exit = await new Promise<Profiled['exit']>((resolve) =>
    child.once('close', (code, signal) => resolve({ code, signal })),
  );
  const proc: ProcessInfo = {
    pid: child.pid!,
    ppid: process.pid,
    argv: ctx.argv,
    startMs: ms(0),
    endMs,
    peakRssBytes: null,
  };
  const collectCtx: CollectContext = { ...ctx, processes: [proc], endMs, stdout, stderr: '' };
  return {
    c: await inst.collect(collectCtx),
    stdout,
    exit,
    proc,
    ctx: collectCtx,
    collectAgain: () => inst.collect(collectCtx),
  };
}

/** The phase tree as "path ×count" lines, in order of first appearance. */
function phaseTree(phases: Phase[]): string {
  const pathOf = (i: number): string =>
    phases[i]!.parent === null ? phases[i]!.name : `${pathOf(phases[i]!.parent!)} › ${phases[i]!.name}`;
  const counts = new Map<string, number>();
  phases.forEach((_, i) => counts.set(pathOf(i), (counts.get(pathOf(i)) ?? 0) + 1));
  return [...counts].map(([p, n]) => `${p} ×${n}`).join('\n');
}

/** The header record the preload wrote for the profiled process. */
function headerOf(r: Profiled): { tsc?: Record<string, unknown> } {
  const dir = path.join(r.ctx.workDir, 'node');
  const file = readdirSync(dir).find((f) => f.startsWith(`node-${r.proc.pid}`))!;
  return JSON.parse(readFileSync(path.join(dir, file), 'utf8').split('\n')[0]!) as { tsc?: Record<string, unknown> };
}
const sumMs = (phases: Phase[], name: string) =>
  phases.filter((p) => p.name === name).reduce((s, p) => s + p.endMs - p.startMs, 0);

/** Calls `onFound` once a file in `dir` contains `needle` (polling while `child` runs). */
function whenFileContains(child: ChildProcess, dir: string, needle: string, onFound: () => void): void {
  const poll = setInterval(() => {
    if (child.exitCode !== null || child.signalCode !== null) return clearInterval(poll);
    for (const f of readdirSync(dir)) {
      if (readFileSync(path.join(dir, f), 'utf8').includes(needle)) {
        clearInterval(poll);
        onFound();
        return;
      }
    }
  }, 20);
}

describe('node preload: TypeScript 6 tsc', () => {
  it('records tsc phases whose durations agree with the table tsc printed in the same run', async () => {
    const out = path.join(tmp, 'out-1');
    const r = await profile([process.execPath, TSC, '-p', SMALL, '--extendedDiagnostics', '--outDir', out]);
    expect(r.exit).toEqual({ code: 0, signal: null });
    const phases = r.c.phases!;
    expect(phaseTree(phases)).toBe(
      [
        'Program ×1',
        'Program › I/O Read ×73',
        'Program › Parse ×73',
        'Program › ResolveModule ×10',
        // One Bind and one Check: tsc's spans of the pass, one per source file, merged (their count and
        // summed time in args). Its Check spans are 146: the emitter asks the checker again for each
        // file (program.emit → getEmitResolver) before its Emit begins.
        'Bind ×1',
        'Check ×1',
        'Emit ×1',
        'Emit › printTime ×1',
        'Emit › printTime › transformTime ×30',
        'Emit › printTime › I/O Write ×45',
      ].join('\n'),
    );
    const bind = phases.find((p) => p.name === 'Bind')!;
    const check = phases.find((p) => p.name === 'Check')!;
    expect(bind.args).toMatchObject({ 'Bind spans': 73 });
    expect(check.args).toMatchObject({ 'Check spans': 146 });
    // tsc prints seconds with 2 decimals. Bind and Check count the time inside tsc's spans, not the
    // moments between two files.
    const table = parseTscDiagnostics(r.stdout);
    const spansMs = (p: Phase) => Number(p.args![`${p.name} ms`]);
    expect(Math.abs(spansMs(bind) - table.timesMs.Bind!), 'Bind').toBeLessThanOrEqual(15);
    expect(Math.abs(spansMs(check) - table.timesMs.Check!), 'Check').toBeLessThanOrEqual(15);
    expect(check.endMs - check.startMs).toBeGreaterThanOrEqual(spansMs(check) - 0.01);
    for (const name of ['Parse', 'Emit', 'Program']) {
      expect(Math.abs(sumMs(phases, name) - table.timesMs[name]!), name).toBeLessThanOrEqual(15);
    }
    // Every phase lies within the life of the process.
    for (const p of phases) {
      expect(p).toMatchObject({ pid: r.proc.pid, category: 'tsc' });
      expect(p.startMs).toBeGreaterThanOrEqual(r.proc.startMs);
      expect(p.endMs).toBeGreaterThanOrEqual(p.startMs);
      expect(p.endMs).toBeLessThanOrEqual(r.proc.endMs!);
    }
    // Heap at the boundaries of the top-level phases, from the same series as the heap curve.
    const top = phases.filter((p) => p.parent === null);
    expect(top[0]).toMatchObject({ name: 'Program', memKind: 'js-heap' });
    expect(top[0]!.memEndBytes!).toBeGreaterThan(top[0]!.memStartBytes!);
    for (const name of ['Bind', 'Check', 'Emit'])
      expect(top.find((p) => p.name === name)!.memStartBytes, name).toBeGreaterThan(1e6);

    const heap = r.c.series!.find((s) => s.id === `js-heap:${r.proc.pid}`)!;
    expect(heap).toMatchObject({
      name: `V8 heap of tsc (pid ${r.proc.pid})`,
      kind: 'js-heap',
      source: 'node preload',
      pid: r.proc.pid,
      unit: 'bytes',
    });
    expect(heap.tMs.length).toBeGreaterThan(50);
    for (let i = 1; i < heap.tMs.length; i++) expect(heap.tMs[i]!).toBeGreaterThanOrEqual(heap.tMs[i - 1]!);
    expect(Math.max(...heap.bytes)).toBeGreaterThan(30 * 1024 * 1024);

    expect(r.c.markers!.filter((m) => m.kind === 'gc').length).toBeGreaterThan(0);
    expect(r.c.tools).toEqual({ node: process.version, typescript: TS_VERSION });
    expect(r.c.sources).toEqual(['node-preload']);
    expect(r.c.processes).toEqual([
      expect.objectContaining({ pid: r.proc.pid, label: 'tsc', role: 'build', exitCode: 0 }),
    ]);
    expect(r.c.warnings).toEqual([]);
    // tsc times every comment and source-map mapping: ~50,000 spans here, kept as totals on the phase
    // they ran in (printTime, transformTime ...), which add up to tsc's own totals.
    for (const [measure, minSpans] of [
      ['commentTime', 10_000],
      ['Source Map', 10_000],
    ] as const) {
      const spans = phases.reduce((n, p) => n + (Number(p.args?.[`${measure} spans`]) || 0), 0);
      const ms = phases.reduce((n, p) => n + (Number(p.args?.[`${measure} ms`]) || 0), 0);
      expect(spans, measure).toBeGreaterThan(minSpans);
      // Each of these tens of thousands of sub-millisecond spans is timed by the hook a few hundred
      // nanoseconds apart from tsc's own clock reads, so the totals may drift apart by up to ~1 µs
      // per span on a busy machine (seen: 22 ms over ~50,000 spans).
      expect(Math.abs(ms - table.timesMs[measure]!), measure).toBeLessThanOrEqual(15 + spans * 0.001);
    }
  });

  it("turns tsc's marks on without a flag when the command has none: its output stays as it was", async () => {
    const r = await profile([process.execPath, TSC, '-p', SMALL, '--outDir', path.join(tmp, 'out-2')]);
    expect(r.exit.code).toBe(0);
    for (const name of ['Program', 'Parse', 'Bind', 'Check', 'Emit'])
      expect(sumMs(r.c.phases!, name), name).toBeGreaterThan(0);
    expect(r.stdout).not.toMatch(/Check time/); // no statistics table: --diagnostics was not added
    expect(r.c.warnings!.filter((w) => w.code === 'tsc-flag-added')).toEqual([]);
    expect(headerOf(r).tsc).toMatchObject({ addedArgs: [], hooked: true, switchedOn: true });
  });

  it("adds --diagnostics when tsc's code does not read as expected, and says so", async () => {
    // A copy of TypeScript whose switch reads differently (a comment inside it): still a working tsc.
    const pkg = path.join(tmp, 'other-layout', 'typescript');
    const lib = path.join(pkg, 'lib');
    mkdirSync(lib, { recursive: true });
    const ts = path.dirname(path.dirname(TSC));
    copyFileSync(path.join(ts, 'package.json'), path.join(pkg, 'package.json'));
    copyFileSync(TSC, path.join(lib, 'tsc.js'));
    for (const f of readdirSync(path.join(ts, 'lib')))
      if (f.endsWith('.d.ts')) symlinkSync(path.join(ts, 'lib', f), path.join(lib, f));
    const anchor = 'function enableStatisticsAndTracing(system, compilerOptions, isBuildMode) {';
    const code = readFileSync(path.join(ts, 'lib', '_tsc.js'), 'utf8');
    expect(code.split(anchor).length).toBe(2);
    writeFileSync(path.join(lib, '_tsc.js'), code.replace(anchor, `${anchor} /* another layout */`));

    const r = await profile([
      process.execPath,
      path.join(lib, 'tsc.js'),
      '-p',
      SMALL,
      '--outDir',
      path.join(tmp, 'out-2b'),
    ]);
    expect(r.exit.code).toBe(0);
    for (const name of ['Program', 'Parse', 'Bind', 'Check', 'Emit'])
      expect(sumMs(r.c.phases!, name), name).toBeGreaterThan(0);
    expect(r.stdout).toMatch(/^Check time: +\d+\.\d\ds$/m); // the documented side effect
    expect(r.c.warnings!.find((w) => w.code === 'tsc-flag-added')!.message).toBe(
      `tsc (pid ${r.proc.pid}): --diagnostics was added to its arguments so that its phases could be measured: its statistics table is in the build's output`,
    );
    expect(headerOf(r).tsc).toMatchObject({ addedArgs: ['--diagnostics'], hooked: true, switchedOn: false });
  });

  it('leaves a readable partial profile when tsc is killed with SIGKILL half-way', async () => {
    const out = path.join(tmp, 'out-3');
    let liveAtKill: string | undefined;
    const r = await profile([process.execPath, TSC, '-p', SMALL, '--outDir', out], {
      // Kill once the records show that checking has begun; the progress report says so too.
      whileRunning: (child, nodeDir, inst) =>
        whenFileContains(child, nodeDir, '"beforeCheck"', () => {
          liveAtKill = inst.currentPhase!();
          child.kill('SIGKILL');
        }),
    });
    expect(r.exit.signal).toBe('SIGKILL');
    expect(liveAtKill).toBe('Check');
    const phases = r.c.phases!;
    expect(phases[0]).toMatchObject({ name: 'Program', parent: null });
    expect(phases[0]!.endMs).toBeGreaterThan(phases[0]!.startMs);
    expect(phases.filter((p) => p.name === 'Parse').length).toBe(73);
    expect(phases.some((p) => p.name === 'Emit')).toBe(false);
    expect(r.c.series![0]!.tMs.length).toBeGreaterThan(5);
    for (const p of phases) expect(p.endMs).toBeLessThanOrEqual(r.proc.endMs!);

    // A kill in the middle of a write leaves half a line: what comes before it is kept.
    const file = readdirSync(path.join(r.ctx.workDir, 'node'))[0]!;
    const full = path.join(r.ctx.workDir, 'node', file);
    const text = readFileSync(full, 'utf8');
    const lines = text.split('\n').filter(Boolean).length;
    truncateSync(full, Buffer.byteLength(text) - 40);
    const again = await r.collectAgain();
    expect(again.warnings).toContainEqual({
      code: 'preload-truncated',
      // The message names the process, not the internal records file (issue 19: no internal file names).
      message: `the Node process of pid ${/^node-(\d+)/.exec(file)![1]}: line ${lines} is incomplete (the process was probably killed): kept the ${lines - 1} line(s) before it`,
      file,
      line: lines,
    });
    expect(again.phases!.filter((p) => p.name === 'Parse').length).toBe(73);
  });
});

describe('node preload: any Node program', () => {
  const program = (body: string) => {
    const file = path.join(tmp, `program-${Math.random().toString(36).slice(2)}.js`);
    writeFileSync(file, body);
    return file;
  };
  const WORK = `
    const { performance } = require('node:perf_hooks');
    const keep = [];
    async function phase(name, n) {
      performance.mark(name + ':begin');
      for (let i = 0; i < n; i++) {
        keep.push({ i, s: 'item ' + i });
        if (i % 20000 === 0) await new Promise((r) => setImmediate(r));
      }
      performance.measure(name, name + ':begin');
    }
    async function work() {
      performance.mark('outer:begin');
      await phase('load', 200000);
      await phase('transform', 200000);
      keep.length = 0;
      performance.measure('outer', 'outer:begin');
    }`;

  it("records the program's performance measures as nested phases, its marks, and GC markers", async () => {
    const r = await profile([process.execPath, program(`${WORK}\nwork();`)]);
    expect(r.exit.code).toBe(0);
    expect(phaseTree(r.c.phases!)).toBe(['outer ×1', 'outer › load ×1', 'outer › transform ×1'].join('\n'));
    for (const p of r.c.phases!) expect(p).toMatchObject({ category: 'measure', pid: r.proc.pid });
    expect(r.c.markers!.filter((m) => m.kind === 'mark').map((m) => m.name)).toEqual([
      'outer:begin',
      'load:begin',
      'transform:begin',
    ]);
    const gcs = r.c.markers!.filter((m) => m.kind === 'gc');
    expect(gcs.length).toBeGreaterThan(0);
    expect(gcs[0]!.detail).toMatch(/^\w+: heap [\d.]+ \w+ → [\d.]+ \w+/); // e.g. "Scavenge: heap 4.4 MiB → 4.0 MiB"
    const label = path.basename(r.ctx.argv[1]!, '.js');
    expect(r.c.series!.filter((s) => s.kind === 'js-heap').map((s) => s.name)).toEqual([
      `V8 heap of ${label} (pid ${r.proc.pid})`,
    ]);
    // A point of the live heap for each full GC, V8's own and those forced at a phase boundary, if any.
    const fullGcs = gcs.filter((m) => m.name.startsWith('MarkSweepCompact'));
    const live = r.c.series!.filter((s) => s.kind === 'js-live-heap');
    expect(live.map((s) => [s.name, s.tMs.length])).toEqual(
      fullGcs.length ? [[`live V8 heap of ${label} (pid ${r.proc.pid}) (after full GC)`, fullGcs.length]] : [],
    );
    expect(r.c.tools).toEqual({ node: process.version });
  });

  it('flushes on SIGTERM and still dies by the signal', async () => {
    const file = program(
      `${WORK}\nwork().then(() => { performance.mark('ready'); console.log('ready'); setInterval(() => {}, 1000); });`,
    );
    const r = await profile([process.execPath, file], {
      whileRunning: (child) => child.stdout!.on('data', (s: string) => s.includes('ready') && child.kill('SIGTERM')),
    });
    expect(r.exit).toEqual({ code: null, signal: 'SIGTERM' });
    const ready = r.c.markers!.find((m) => m.name === 'ready')!;
    expect(ready).toBeDefined();
    const heap = r.c.series![0]!;
    expect(heap.tMs[heap.tMs.length - 1]!).toBeGreaterThanOrEqual(ready.tMs);
    const nodeDir = path.join(r.ctx.workDir, 'node');
    const lines = readFileSync(path.join(nodeDir, readdirSync(nodeDir)[0]!), 'utf8')
      .trim()
      .split('\n');
    expect(JSON.parse(lines[lines.length - 1]!)).toMatchObject({ t: 'exit', signal: 'SIGTERM' });
  });

  it('leaves a program that handles SIGTERM itself to do so', async () => {
    const file = program(
      `process.on('SIGTERM', () => { console.log('handled'); process.exit(7); }); console.log('ready'); setInterval(() => {}, 1000);`,
    );
    const r = await profile([process.execPath, file], {
      whileRunning: (child) => child.stdout!.on('data', (s: string) => s.includes('ready') && child.kill('SIGTERM')),
    });
    expect(r.exit).toEqual({ code: 7, signal: null });
    expect(r.stdout).toContain('handled');
    expect(r.c.processes![0]).toMatchObject({ exitCode: 7 });
  });

  it('does nothing in a process without CMI_NODE_DIR', async () => {
    const dir = mkdtempSync(path.join(tmp, 'none-'));
    const child = spawn(process.execPath, ['-e', 'console.log(typeof globalThis.onProfilerEvent)'], {
      env: {
        ...process.env,
        NODE_OPTIONS: `--require ${quoteNodeOption(path.join(distDir, 'preload.js'))}`,
        CMI_NODE_DIR: '',
      },
      cwd: dir,
    });
    let out = '';
    child.stdout.on('data', (s) => (out += s));
    await new Promise((resolve) => child.once('exit', resolve));
    expect(out.trim()).toBe('undefined');
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe('node preload instrumentation: setup', () => {
  it('chooses the diagnostics flag to add: the lean one for tsc 6, the extended one for --build and tsc 7, none when there is one', () => {
    expect(tscDiagnosticsFlagToAdd(['-p', '.'], true)).toEqual(['--diagnostics']);
    expect(tscDiagnosticsFlagToAdd(['-b', '.', '-v'], true)).toEqual(['--extendedDiagnostics']);
    expect(tscDiagnosticsFlagToAdd(['-p', '.'])).toEqual(['--extendedDiagnostics']);
    expect(tscDiagnosticsFlagToAdd(['-p', '.', '--extendedDiagnostics'], true)).toEqual([]);
    expect(tscDiagnosticsFlagToAdd(['--diagnostics', 'false'], true)).toEqual(['--diagnostics']);
    expect(tscDiagnosticsFlagToAdd(['-v'], true)).toEqual([]);
  });

  it("prepends the preload to the user's NODE_OPTIONS, quoted", async () => {
    const inst = nodePreloadInstrumentation();
    const ctx: InstrumentContext = {
      argv: ['make'],
      env: { NODE_OPTIONS: '--max-old-space-size=4096' },
      cwd: ROOT,
      workDir: mkdtempSync(path.join(tmp, 'w-')),
      startEpochMs: epochMs(0),
      intervalMs: ms(5),
      distDir,
    };
    await inst.prepare(ctx);
    expect(ctx.env.NODE_OPTIONS).toBe(`--require "${distDir}/preload.js" --max-old-space-size=4096`);
    expect(ctx.env.CMI_NODE_DIR).toBe(path.join(ctx.workDir, 'node'));
    expect(ctx.env.CMI_INTERVAL_MS).toBe('5');
    expect(ctx.argv).toEqual(['make']);
    expect(quoteNodeOption('C:\\a "b"\\preload.js')).toBe('"C:\\\\a \\"b\\"\\\\preload.js"');
  });

  it('refuses to prepare without a built preload (every Node process would fail to start)', async () => {
    const ctx: InstrumentContext = {
      argv: ['node'],
      env: {},
      cwd: ROOT,
      workDir: tmp,
      startEpochMs: epochMs(0),
      intervalMs: ms(10),
      distDir: path.join(tmp, 'nowhere'),
    };
    await expect(async () => nodePreloadInstrumentation().prepare(ctx)).rejects.toThrow(/preload\.js does not exist/);
  });

  it('recognizes the tsc of a command and its version', () => {
    const env = { PATH: process.env.PATH };
    expect(findTscCommand(['npx', 'tsc', '-p', '.'], ROOT, env)).toMatchObject({
      argIndex: 1,
      version: TS_VERSION,
      major: 6,
      native: false,
    });
    expect(findTscCommand(['node', 'node_modules/typescript/lib/tsc.js', '-p', '.'], ROOT, env)).toMatchObject({
      argIndex: 1,
      major: 6,
      native: false,
    });
    expect(findTscCommand(['make', 'tsc'], ROOT, env)).toBeUndefined();
    expect(findTscCommand(['node', 'build.js'], ROOT, env)).toBeUndefined();
  });

  it("lays out tsc 7's statistics table from stdout, ending when its process ended", async () => {
    const inst = nodePreloadInstrumentation();
    const ctx: InstrumentContext = {
      argv: ['tsc', '-p', '.'],
      env: {},
      cwd: tmp,
      workDir: mkdtempSync(path.join(tmp, 'w-')),
      startEpochMs: epochMs(0),
      intervalMs: ms(10),
      distDir,
    };
    await inst.prepare(ctx);
    const native: ProcessInfo = {
      pid: 4242,
      ppid: 1,
      argv: ['/p/node_modules/@typescript/typescript-linux-x64/lib/tsc', '-p', '.'],
      startMs: ms(3),
      endMs: ms(700),
      peakRssBytes: null,
    };
    const stdout = readFileSync(
      path.join(__dirname, 'fixtures', 'typescript', 'ts7-extendedDiagnostics.stdout.txt'),
      'utf8',
    );
    const c = await inst.collect({ ...ctx, processes: [native], endMs: ms(705), stdout, stderr: '' });
    expect(c.phases!.map((p) => `${p.name} ${p.startMs}–${p.endMs}`)).toEqual([
      'Config 195–196',
      'Parse 196–261',
      'Bind 261–289',
      'Check 289–587',
      'Emit 587–700',
    ]);
    expect(c.phases!.every((p) => p.pid === 4242 && p.category === 'tsc')).toBe(true);
    expect(c.warnings!.map((w) => w.code)).toEqual(['tsc-phases-reconstructed']);
    expect(c.processes).toEqual([{ pid: 4242, label: 'tsc' }]);
    expect(c.sources).toEqual(['tsc-diagnostics']);
  });
});
