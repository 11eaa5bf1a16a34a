// The rustc/Cargo collector on real builds: `cargo build -j2` of test/workspaces/cargo-std (tokenizer
// with a build script, parser, calc) and a direct `rustc` compile, run the way the build runner
// runs them (prepare, spawn with the prepared argv/env, onTick while it runs, collect), with the
// process list from a small /proc poller standing in for the runner's sampler.
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { InstrumentContext } from '../server/src/core/collect/instrumentation';
import { rustcInstrumentation, type RustcInstrumentationOptions } from '../server/src/core/collect/rustc';
import {
  addProcessRootPhases,
  type Contribution,
  type EpochMs,
  type Ms,
  type Phase,
  type ProcessInfo,
  type Profile,
} from '../server/src/core/model';
import { epochMs, epochToProfileMs, ms } from '../server/src/core/units';

const workspace = path.join(__dirname, 'workspaces', 'cargo-std');
const scriptsDir = path.join(__dirname, '..', 'server', 'src', 'collect-scripts');
const cargoBin = path.join(os.homedir(), '.cargo', 'bin');
const PATH = [process.env.PATH, fs.existsSync(cargoBin) ? cargoBin : undefined].filter(Boolean).join(path.delimiter);
const hasCargo = spawnSync('cargo', ['-V'], { env: { ...process.env, PATH } }).status === 0;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cmi-rustc-test-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Every process below `rootPid`, polled from /proc every 10 ms (argv re-read when it changes, as after an exec). */
class ProcPoller {
  readonly seen = new Map<number, ProcessInfo>();
  /** The longest gap between two polls, as the runner gives its sampler's (tickGapMs). */
  maxGapMs = ms(0);
  private lastMs: Ms | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly rootPid: number,
    private readonly startEpochMs: EpochMs,
  ) {}

  start(onTick: (nowMs: Ms) => void): void {
    this.timer = setInterval(() => {
      const nowMs = epochToProfileMs(epochMs(Date.now()), this.startEpochMs);
      if (this.lastMs !== undefined) this.maxGapMs = ms(Math.max(this.maxGapMs, nowMs - this.lastMs));
      this.lastMs = nowMs;
      this.poll(nowMs);
      onTick(nowMs);
    }, 10);
  }

  stop(): ProcessInfo[] {
    clearInterval(this.timer);
    return [...this.seen.values()];
  }

  private poll(nowMs: Ms): void {
    const parentOf = new Map<number, number>();
    for (const name of fs.readdirSync('/proc')) {
      if (!/^\d+$/.test(name)) continue;
      try {
        const stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
        parentOf.set(Number(name), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
      } catch {
        // exited meanwhile
      }
    }
    const inTree = (pid: number): boolean => {
      for (let p: number | undefined = pid, hops = 0; p !== undefined && hops < 64; p = parentOf.get(p), hops++)
        if (p === this.rootPid) return true;
      return false;
    };
    for (const pid of parentOf.keys()) {
      if (!inTree(pid)) continue;
      let argv: string[];
      try {
        argv = fs
          .readFileSync(`/proc/${pid}/cmdline`, 'utf8')
          .split('\0')
          .filter((a, i, all) => a !== '' || i < all.length - 1);
      } catch {
        continue;
      }
      const known = this.seen.get(pid);
      if (known) {
        known.endMs = nowMs;
        if (argv.length) known.argv = argv;
      } else {
        this.seen.set(pid, {
          pid,
          ppid: parentOf.get(pid) ?? null,
          argv,
          startMs: nowMs,
          endMs: nowMs,
          peakRssBytes: null,
        });
      }
    }
  }
}

interface Run {
  contribution: Contribution;
  ctx: InstrumentContext;
  processes: ProcessInfo[];
  stdout: string;
  stderr: string;
  exitCode: number | null;
  currentPhases: Set<string>;
  /** The longest gap between two polls of the processes. */
  tickGapMs: Ms;
  /** Collects again, e.g. with other processes. */
  collect: (processes: ProcessInfo[]) => Promise<Contribution>;
}

/** Runs `argv` in `cwd` as the build runner would, with the rustc instrumentation. */
async function profiled(
  argv: string[],
  cwd: string,
  opts: {
    env?: Record<string, string | undefined>;
    options?: RustcInstrumentationOptions;
    killWhen?: (phase: string, nowMs: number) => boolean;
  } = {},
): Promise<Run> {
  const workDir = fs.mkdtempSync(path.join(tmp, 'work-'));
  const env: Record<string, string | undefined> = { ...process.env, PATH, CARGO_TERM_COLOR: 'never', ...opts.env };
  for (const k of ['RUSTC_WRAPPER', 'CARGO_BUILD_RUSTC_WRAPPER', 'CARGO_TARGET_DIR', 'RUSTFLAGS', 'CARGO_BUILD_JOBS'])
    if (!(opts.env && k in opts.env)) delete env[k];
  const ctx: InstrumentContext = {
    argv: [...argv],
    env,
    cwd,
    workDir,
    startEpochMs: epochMs(0),
    intervalMs: ms(10),
    distDir: scriptsDir,
  };
  const inst = rustcInstrumentation(opts.options);
  await inst.prepare(ctx);
  ctx.startEpochMs = epochMs(Date.now());
  // Its own process group, so that the whole tree can be killed as the runner does.
  const child = spawn(ctx.argv[0]!, ctx.argv.slice(1), {
    cwd,
    env: ctx.env as NodeJS.ProcessEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const currentPhases = new Set<string>();
  const poller = new ProcPoller(child.pid!, ctx.startEpochMs);
  poller.start((nowMs) => {
    inst.onTick?.(nowMs);
    const phase = inst.currentPhase?.();
    if (!phase) return;
    currentPhases.add(phase);
    if (opts.killWhen?.(phase, nowMs)) process.kill(-child.pid!, 'SIGKILL');
  });
  // 'close': the process exited and its stdout/stderr ended (cargo waits for the wrapper's filter).
  const exitCode = await new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  const processes = poller.stop();
  const endMs = epochToProfileMs(epochMs(Date.now()), ctx.startEpochMs);
  const tickGapMs = poller.maxGapMs;
  const collect = (procs: ProcessInfo[]) =>
    inst.collect({ ...ctx, processes: procs, endMs, stdout, stderr, tickGapMs });
  const contribution = await collect(processes);
  return { contribution, ctx, processes, stdout, stderr, exitCode, currentPhases, tickGapMs, collect };
}

const crates = (c: Contribution) => c.phases!.filter((p) => p.category === 'crate');
function pathOf(phases: Phase[], i: number): string {
  return [phases[i]!.name, ...ancestorNames(phases, i)].reverse().join(' › ');
}
/** The phases as the runner leaves them: the processes as merged, and an outer phase for a process that its phases do not span. */
function asRunnerSees(run: Run, c: Contribution = run.contribution): Profile {
  const profile = { phases: [...c.phases!], processes: run.processes.map((p) => ({ ...p })) } as unknown as Profile;
  for (const q of c.processes ?? []) {
    const known = profile.processes.find((p) => p.pid === q.pid);
    if (known) Object.assign(known, q);
  }
  addProcessRootPhases(profile, ms(Math.max(...run.processes.map((p) => p.endMs ?? 0))));
  return profile;
}
function ancestorNames(phases: Phase[], i: number): string[] {
  const out: string[] = [];
  for (let p = phases[i]!.parent; p !== null; p = phases[p]!.parent) out.push(phases[p]!.name);
  return out;
}
/** Every file below `dir` with its modification time. */
function listing(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return (fs.readdirSync(dir, { recursive: true }) as string[])
    .sort()
    .map((f) => `${f} ${fs.statSync(path.join(dir, f)).mtimeMs}`);
}

describe.skipIf(process.platform !== 'linux' || !hasCargo)('rustc collector on real builds', () => {
  it('cargo build -j2: one phase per crate, its passes nested, placed at its rustc process; the user target/ untouched; cargo still prints the warning', async () => {
    const userTarget = path.join(workspace, 'target');
    const before = listing(userTarget);
    const run = await profiled(['cargo', 'build', '-j2'], workspace);
    expect(run.exitCode, run.stderr).toBe(0);
    const { contribution: c } = run;

    // One crate phase per rustc invocation: the three crates, and the compile of tokenizer's build script.
    const crateNames = crates(c).map((p) => p.name);
    expect(crateNames.sort()).toEqual(['calc', 'compile', 'parser', 'tokenizer']);
    const byName = new Map(crates(c).map((p) => [p.name, p]));
    expect(pathOf(c.phases!, c.phases!.indexOf(byName.get('compile')!))).toBe('tokenizer › build script › compile');
    expect(byName.get('compile')!.args).toMatchObject({
      buildScript: true,
      package: 'tokenizer',
      crateType: 'bin',
    });
    expect(byName.get('tokenizer')!.args).toMatchObject({ crateType: 'lib', package: 'tokenizer', edition: '2021' });
    expect(byName.get('calc')!.args).toMatchObject({ crateType: 'bin', package: 'calc' });
    // Dependencies compile before their dependents.
    expect(byName.get('parser')!.startMs).toBeGreaterThan(byName.get('tokenizer')!.startMs);
    expect(byName.get('tokenizer')!.startMs).toBe(byName.get('compile')!.startMs); // it starts with its build script
    expect(byName.get('calc')!.startMs).toBeGreaterThanOrEqual(byName.get('parser')!.endMs - 1);

    const phases = c.phases!;
    for (const crate of crates(c)) {
      const own = phases.filter((p) => p.pid === crate.pid);
      expect(own.length, crate.name).toBeGreaterThan(40);
      const above = [crate.name, ...ancestorNames(phases, phases.indexOf(crate))];
      const tc = phases.findIndex((p) => p.name === 'type_check_crate' && p.pid === crate.pid);
      expect(ancestorNames(phases, tc), crate.name).toEqual(above);
      const late = phases.findIndex((p) => p.name === 'late_resolve_crate' && p.pid === crate.pid);
      expect(ancestorNames(phases, late), crate.name).toEqual(['resolve_crate', ...above]);
      expect(phases[tc]).toMatchObject({ category: 'rustc-pass', memKind: 'compiler-reported' });
      expect(phases[tc]!.memEndBytes!).toBeGreaterThan(phases[tc]!.memStartBytes!);
      // The crate phase is its rustc process: same pid, and the lifetime the poller saw (10 ms
      // ticks, later when the event loop is busy; an exited rustc stays visible until cargo reaps it).
      const proc = run.processes.find((p) => p.pid === crate.pid)!;
      expect(path.basename(proc.argv[0]!), crate.name).toBe('rustc');
      expect(proc.argv).toContain(crate.name === 'compile' ? 'build_script_build' : crate.name);
      // The crate phase holds its whole process (so that no outer phase of the process is added).
      expect(crate.startMs, crate.name).toBeLessThanOrEqual(proc.startMs);
      expect(crate.endMs, crate.name).toBeGreaterThanOrEqual(proc.endMs!);
      const ownStartMs =
        crate.name === 'tokenizer'
          ? Math.min(...phases.filter((p) => p.pid === crate.pid && p !== crate).map((p) => p.startMs))
          : crate.startMs;
      expect(Math.abs(ownStartMs - proc.startMs), crate.name).toBeLessThan(250);
      expect(Math.abs(crate.endMs - proc.endMs!), crate.name).toBeLessThan(250);
      expect(crate.endMs - crate.startMs).toBeGreaterThan(50);
    }
    // Children inside parents, parents first.
    phases.forEach((p, i) => {
      if (p.parent === null) return;
      expect(p.parent).toBeLessThan(i);
      expect(p.startMs).toBeGreaterThanOrEqual(phases[p.parent]!.startMs - 1e-6);
      expect(p.endMs).toBeLessThanOrEqual(phases[p.parent]!.endMs + 1e-6);
    });

    // Processes: each rustc labelled with its crate; the wrapper's filters are instrumentation.
    const labels = c
      .processes!.filter((p) => p.role === 'build' && p.label!.startsWith('rustc '))
      .map((p) => p.label)
      .sort();
    expect(labels).toEqual(['rustc build_script_build (tokenizer)', 'rustc calc', 'rustc parser', 'rustc tokenizer']);
    for (const p of c.processes!.filter((q) => q.role === 'instrumentation')) {
      expect(run.processes.find((q) => q.pid === p.pid)!.argv.join(' ')).toContain('rustc-wrapper.sh');
    }
    expect(c.tools).toEqual({ rustc: expect.stringMatching(/^1\.\d+/), cargo: expect.stringMatching(/^1\.\d+/) });
    expect(c.sources).toEqual(['rustc-time-passes']);
    expect(c.warnings).toEqual([]);
    expect([...run.currentPhases].join(' | ')).toMatch(/tokenizer|parser|calc/);

    // Cargo's own output is intact: the warning reaches its stderr, time-passes lines do not.
    expect(run.stderr).toContain('warning: unused variable: `column_width`');
    expect(run.stderr).toMatch(/Compiling calc v0\.1\.0/);
    expect(run.stderr).not.toContain('time: ');
    // The build went to a private target dir; the workspace's own target/ was not created or touched.
    expect(fs.existsSync(path.join(run.ctx.env.CARGO_TARGET_DIR!, 'debug', 'calc'))).toBe(true);
    expect(listing(userTarget)).toEqual(before);
  });

  it('5 clean builds: the same phase paths every run; the build script and the link are phases of their crate', async () => {
    const runs: Run[] = [];
    for (let i = 0; i < 5; i++) runs.push(await profiled(['cargo', 'build', '-j2'], workspace));
    const pathSets = runs.map((run) => {
      expect(run.exitCode, run.stderr).toBe(0);
      const { phases } = asRunnerSees(run);
      expect(phases.filter((p) => p.category === 'process').map((p) => p.name)).toEqual([]); // no outer process phase
      return [...new Set(phases.map((_, i) => pathOf(phases, i)))].sort();
    });
    for (const set of pathSets.slice(1)) expect(set).toEqual(pathSets[0]);
    expect(pathSets[0]).toEqual(
      expect.arrayContaining([
        'tokenizer › build script',
        'tokenizer › build script › compile',
        'tokenizer › build script › run',
        'tokenizer › build script › compile › type_check_crate',
        'tokenizer › resolve_crate › finalize_imports',
        'calc › link',
        'calc › link › link_crate › link_binary › run_linker › linker',
      ]),
    );
    expect(pathSets[0]!.filter((p) => p.includes('build_script_build'))).toEqual([]);

    for (const run of runs) {
      const phases = run.contribution.phases!;
      const find = (path: string) => {
        const i = phases.findIndex((_, j) => pathOf(phases, j) === path);
        expect(i, path).toBeGreaterThanOrEqual(0);
        return phases[i]!;
      };
      const within = (inner: Phase, outer: Phase) => {
        expect(inner.startMs).toBeGreaterThanOrEqual(outer.startMs);
        expect(inner.endMs).toBeLessThanOrEqual(outer.endMs);
      };
      const tokenizer = find('tokenizer');
      const script = find('tokenizer › build script');
      const compile = find('tokenizer › build script › compile');
      const scriptRun = find('tokenizer › build script › run');
      within(script, tokenizer);
      within(compile, script);
      within(scriptRun, script);
      // The run comes after its compile and before the library's compile, which needs its output
      // (cargo's files are stamped to a kernel clock tick, a few ms).
      const libProc = run.processes.find((p) => p.pid === tokenizer.pid)!;
      expect(scriptRun.startMs).toBeGreaterThanOrEqual(compile.endMs - 10);
      expect(scriptRun.endMs).toBeLessThanOrEqual(libProc.startMs + 10);
      expect(scriptRun.endMs - scriptRun.startMs).toBeLessThan(500);
      expect(path.basename(run.processes.find((p) => p.pid === compile.pid)!.argv[0]!)).toBe('rustc');
      // When the sampler saw the run (it lasts a few ms), the phase is that process.
      const seenRun = run.processes.find((p) => p.argv[0]?.endsWith('/build-script-build'));
      expect(scriptRun.pid).toBe(seenRun?.pid);

      const calc = find('calc');
      const link = find('calc › link');
      within(link, calc);
      expect(link.pid).toBe(calc.pid);
      expect(link.endMs - link.startMs).toBeGreaterThan(1);
      const runLinker = find('calc › link › link_crate › link_binary › run_linker');
      const linker = find('calc › link › link_crate › link_binary › run_linker › linker');
      expect([linker.startMs, linker.endMs]).toEqual([runLinker.startMs, runLinker.endMs]);
      if (linker.pid !== undefined) {
        // The linker: a process below calc's rustc, alive during rustc's run_linker.
        const chain: string[] = [];
        for (
          let p = run.processes.find((q) => q.pid === linker.pid);
          p && p.pid !== calc.pid;
          p = run.processes.find((q) => q.pid === p!.ppid)
        )
          chain.push(path.basename(p.argv[0]!));
        expect(chain.length).toBeGreaterThan(0);
        expect(run.processes.find((q) => q.pid === calc.pid)).toBeDefined();
        const proc = run.processes.find((q) => q.pid === linker.pid)!;
        expect(proc.startMs).toBeGreaterThanOrEqual(runLinker.startMs - 1);
        expect(proc.endMs!).toBeLessThanOrEqual(runLinker.endMs + run.tickGapMs + 10);
        expect(chain[0]).toMatch(/^(rust-lld|ld|ld\.lld|ld\.bfd|ld\.gold|mold|cc|gcc|clang|collect2)$/);
      }
    }
    // Fed a sighting of the build script's run, the run phase takes its pid.
    const run = runs[0]!;
    const scriptRun = run.contribution.phases!.find((p) => p.category === 'build-script-run')!;
    const fake: ProcessInfo = {
      pid: 4_000_000,
      ppid: null,
      argv: [String(scriptRun.args!.program)],
      startMs: ms(scriptRun.startMs + 1),
      endMs: ms(scriptRun.endMs),
      peakRssBytes: null,
    };
    // Without the real sighting, when the sampler happened to see the script's run (a few ms long).
    const unseen = run.processes.filter((q) => q.argv[0] !== String(scriptRun.args!.program));
    const again = await run.collect([...unseen, fake]);
    expect(again.phases!.find((p) => p.category === 'build-script-run')!.pid).toBe(4_000_000);
    expect(again.processes).toContainEqual({ pid: 4_000_000, label: 'build-script-build (tokenizer)', role: 'build' });
  }, 120_000);

  it('a direct `rustc file.rs` goes through the same wrapper and gives the same kind of phase', async () => {
    const out = path.join(tmp, 'wordfreq');
    const source = path.join(workspace, 'standalone', 'wordfreq.rs');
    const run = await profiled(['rustc', '--edition', '2021', '-o', out, source], tmp);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.ctx.argv).toEqual([
      path.join(scriptsDir, 'rustc-wrapper.sh'),
      'rustc',
      '--edition',
      '2021',
      '-o',
      out,
      source,
    ]);
    const [crate] = crates(run.contribution);
    expect(crates(run.contribution)).toHaveLength(1);
    expect(crate).toMatchObject({ name: 'wordfreq', args: { crateType: 'bin', edition: '2021' } }); // named after the file
    expect(run.processes.find((p) => p.pid === crate!.pid)!.argv[0]).toMatch(/rustc$/);
    const phases = run.contribution.phases!;
    expect(
      ancestorNames(
        phases,
        phases.findIndex((p) => p.name === 'run_linker'),
      ),
    ).toEqual(['link_binary', 'link_crate', 'link', 'wordfreq']);
    expect(run.contribution.tools).toEqual({ rustc: expect.stringMatching(/^1\./) }); // no cargo here
    for (const phase of run.currentPhases) expect(phase).toBe('wordfreq'); // named after the file, as rustc does

    // Had the filter been starved of CPU at the end, its last stamps would come after the process's
    // end: as if the process had ended 40 ms earlier. Nothing passes that end (plus a gap between
    // polls, as the runner gives the sampler's), and the
    // passes nest as before.
    const rustcProc = run.processes.find((p) => p.pid === crate!.pid)!;
    const earlier = run.processes.map((p) => (p === rustcProc ? { ...p, endMs: ms(p.endMs! - 40) } : p));
    const capped = await run.collect(earlier);
    const cap = rustcProc.endMs! - 40 + Math.max(10, run.tickGapMs) + 1e-6;
    for (const p of capped.phases!) expect(p.endMs, p.name).toBeLessThanOrEqual(cap);
    expect(
      ancestorNames(
        capped.phases!,
        capped.phases!.findIndex((p) => p.name === 'run_linker'),
      ),
    ).toEqual(['link_binary', 'link_crate', 'link', 'wordfreq']);
    // The program was compiled normally.
    const r = spawnSync(out, [], { input: 'to be or not to be', encoding: 'utf8' });
    expect(r.stdout).toContain('6 words, 4 distinct');
  });

  it('the text format (for compilers without -Z time-passes-format=json) works the same, in whole MB', async () => {
    const out = path.join(tmp, 'wordfreq-text');
    const run = await profiled(['rustc', '-o', out, path.join(workspace, 'standalone', 'wordfreq.rs')], tmp, {
      options: { timePassesFormat: 'text' },
    });
    expect(run.exitCode, run.stderr).toBe(0);
    const phases = run.contribution.phases!;
    expect(phases[0]).toMatchObject({ name: 'wordfreq', category: 'crate' });
    expect(
      ancestorNames(
        phases,
        phases.findIndex((p) => p.name === 'type_check_crate'),
      ),
    ).toEqual(['wordfreq']);
    const passes = phases.filter((p) => p.category === 'rustc-pass');
    expect(passes.length).toBeGreaterThan(20);
    for (const p of passes)
      expect([p.name, p.memStartBytes! % 1_000_000, p.memEndBytes! % 1_000_000]).toEqual([p.name, 0, 0]);
  });

  it("chains the user's own RUSTC_WRAPPER, warns that a cache can hide work, and respects an explicit --target-dir", async () => {
    const log = path.join(tmp, 'user-wrapper.log');
    const userWrapper = path.join(tmp, 'user-wrapper.sh');
    fs.writeFileSync(userWrapper, `#!/bin/sh\necho "$*" >> '${log}'\nexec "$@"\n`, { mode: 0o755 });
    const targetDir = path.join(tmp, 'explicit-target');
    const run = await profiled(['cargo', 'build', '-p', 'tokenizer', '--target-dir', targetDir], workspace, {
      env: { RUSTC_WRAPPER: userWrapper },
    });
    expect(run.exitCode, run.stderr).toBe(0);
    expect(
      crates(run.contribution)
        .map((p) => p.name)
        .sort(),
    ).toEqual(['compile', 'tokenizer']);
    expect(fs.readFileSync(log, 'utf8')).toMatch(/--crate-name tokenizer .*-Z time-passes -Z time-passes-format=json/);
    expect(run.contribution.warnings!.map((w) => w.code).sort()).toEqual([
      'rustc-chained-wrapper',
      'rustc-user-target-dir',
    ]);
    expect(run.ctx.env.CARGO_TARGET_DIR).toBeUndefined();
    expect(fs.existsSync(path.join(targetDir, 'debug', 'libtokenizer.rlib'))).toBe(true);
  });

  it('a build killed half-way keeps what was recorded, the killed rustc marked incomplete', async () => {
    // 300 ms into parser's compile (it takes over a second).
    let parserSeenMs: number | undefined;
    const killWhen = (phase: string, nowMs: number) =>
      phase.includes('parser') && nowMs - (parserSeenMs ??= nowMs) > 300;
    const run = await profiled(['cargo', 'build', '-j2'], workspace, { killWhen });
    expect(run.exitCode).toBeNull(); // killed by a signal
    const c = run.contribution;
    const names = crates(c).map((p) => p.name);
    expect(names).toContain('parser');
    expect(names).not.toContain('calc');
    const parser = crates(c).find((p) => p.name === 'parser')!;
    expect(parser.args).toMatchObject({ incomplete: true });
    expect(c.phases!.filter((p) => p.pid === parser.pid).length).toBeGreaterThan(1); // it got through some passes
    const incomplete = c.warnings!.filter((w) => w.code === 'rustc-incomplete').map((w) => w.message);
    expect(incomplete).toContainEqual(
      expect.stringMatching(/^rustc parser \(pid \d+\) did not finish \(it was stopped or crashed\)/),
    );
  });

  it('leaves other commands alone', async () => {
    const inst = rustcInstrumentation();
    const ctx: InstrumentContext = {
      argv: ['make', 'all'],
      env: { PATH },
      cwd: tmp,
      workDir: tmp,
      startEpochMs: epochMs(0),
      intervalMs: ms(10),
      distDir: scriptsDir,
    };
    await inst.prepare(ctx);
    expect(ctx.argv).toEqual(['make', 'all']);
    expect(ctx.env).toEqual({ PATH });
    expect(await inst.collect({ ...ctx, processes: [], endMs: ms(0), stdout: '', stderr: '' })).toEqual({});
  });
});
