// The rustc/Cargo collector: every rustc invocation of a `cargo ...` or `rustc ...` command becomes
// a phase named after its crate, with its `-Z time-passes` passes nested below it.
//
// How: cargo runs every rustc through RUSTC_WRAPPER = <distDir>/rustc-wrapper.sh (a direct `rustc`
// command is rewritten to run the wrapper with rustc as its first argument, the same path). The
// wrapper execs rustc in place with `-Z time-passes -Z time-passes-format=json` (text format when the
// compiler is too old for JSON) and RUSTC_BOOTSTRAP=1 for that compile only, and writes per invocation
// `<pid>-<start>.args` (argv) and `<pid>-<start>.tp` (header, time-stamped time-passes lines, end
// stamp) into a directory of the run's workDir; cargo still gets every other stderr line at once.
//
// Time stamps: the wrapper's filter stamps each `time:` line with the wall clock ($EPOCHREALTIME, us)
// when it reads it, i.e. the END of that pass, late by the filter's read latency (well under 1 ms
// unless the machine is saturated); a pass's start is its end minus its reported duration. The
// invocation spans from the wrapper's start stamp (just before exec) to the end stamp (rustc's
// stderr closed, i.e. it exited). currentPhase() (the progress report) follows the files when asked;
// nothing reads them while the build runs otherwise.
//
// Cache: a cargo build runs with a private CARGO_TARGET_DIR under the run's workDir, so that every
// crate compiles (a profile of a no-op build says nothing) and the user's target/ is neither touched
// nor invalidated (our flags and env would change cargo's fingerprints). CARGO_TARGET_DIR from the
// environment is overridden too (often a shared cache across projects); only `--target-dir` on the
// command itself is respected, with a warning that fresh crates are not compiled and so not profiled.

import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Contribution, EpochMs, Ms, Phase, ProcessInfo, Warning } from '../model';
import { epochMs, epochToProfileMs, ms } from '../units';
import { inferNesting } from '../importers/rustc-time-passes/nesting';
import { parseTimePasses, type RustcInvocation } from '../importers/rustc-time-passes/parse';
import { invocationPhases } from '../importers/rustc-time-passes/phases';
import type { CollectContext, InstrumentContext, Instrumentation } from './instrumentation';
import { matchProcess, readRecordArgs, readSlice, recordNames, sampledEndBoundMs } from './wrapper-records';

export const RUSTC_WRAPPER_FILE = 'rustc-wrapper.sh';

export interface RustcInstrumentationOptions {
  /** Force a time-passes format; by default JSON when the compiler supports it, else text. */
  timePassesFormat?: 'json' | 'text';
}

export function rustcInstrumentation(options: RustcInstrumentationOptions = {}): Instrumentation {
  return new RustcInstrumentation(options);
}

/** `cargo` or `rustc` when the command runs one of them (`cargo +nightly build`, `/usr/bin/rustc`, `cargo.exe`). */
export function rustCommandKind(argv: readonly string[]): 'cargo' | 'rustc' | undefined {
  const exe = argv[0] ? path.basename(argv[0].replace(/\\/g, '/')).replace(/\.exe$/i, '') : '';
  return exe === 'cargo' || exe === 'rustc' ? exe : undefined;
}

/** What the argv of a rustc invocation says about the crate. */
export interface RustcCrateInfo {
  crateName?: string;
  crateTypes: string[];
  edition?: string;
  optLevel?: string;
  target?: string;
  /** `--out-dir`: for a build script, the folder cargo runs it from (`.../build/<package>-<hash>`). */
  outDir?: string;
}

export function rustcCrateInfo(args: readonly string[]): RustcCrateInfo {
  const info: RustcCrateInfo = { crateTypes: [] };
  let input: string | undefined;
  // Value of `--opt value` or `--opt=value`; advances i past a separate value.
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const optionValue = (opt: string): string | undefined => {
      if (a === opt) return args[++i];
      if (a.startsWith(`${opt}=`)) return a.slice(opt.length + 1);
      return undefined;
    };
    let v: string | undefined;
    if ((v = optionValue('--crate-name')) !== undefined) info.crateName = v;
    else if ((v = optionValue('--crate-type')) !== undefined) info.crateTypes.push(...v.split(',').filter(Boolean));
    else if ((v = optionValue('--edition')) !== undefined) info.edition = v;
    else if ((v = optionValue('--target')) !== undefined) info.target = v;
    else if ((v = optionValue('--out-dir')) !== undefined) info.outDir = v;
    else if (a === '-C' || a.startsWith('-C')) {
      const c = a === '-C' ? (args[++i] ?? '') : a.slice(2);
      if (c.startsWith('opt-level=')) info.optLevel = c.slice(10);
    } else if (a === '-O') info.optLevel = '2';
    else if (!a.startsWith('-') && a.endsWith('.rs')) input = a;
  }
  // rustc names a crate after its root file when --crate-name is absent.
  if (!info.crateName && input) info.crateName = path.basename(input, '.rs').replace(/-/g, '_');
  return info;
}

/** The argument of `--target-dir` on a cargo command line (before `--`), if any. */
function cargoTargetDirArg(argv: readonly string[]): string | undefined {
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') return undefined;
    if (a === '--target-dir') return argv[i + 1];
    if (a.startsWith('--target-dir=')) return a.slice(13);
  }
  return undefined;
}

/** Runs a short probe command; resolves with its stdout, or undefined when it fails. */
function probe(
  file: string,
  args: string[],
  ctx: InstrumentContext,
  extraEnv: Record<string, string> = {},
): Promise<string | undefined> {
  if (ctx.recovering) return Promise.resolve(undefined);
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(ctx.env)) if (v !== undefined) env[k] = v;
  Object.assign(env, extraEnv);
  return new Promise((resolve) => {
    execFile(file, args, { cwd: ctx.cwd, env, encoding: 'utf8', timeout: 20_000, windowsHide: true }, (err, stdout) =>
      resolve(err ? undefined : stdout),
    );
  });
}

/** Follows one invocation's .tp file while the build runs. */
interface LiveFile {
  crate: string;
  sizeBytes: number;
  ended: boolean;
}

class RustcInstrumentation implements Instrumentation {
  readonly name = 'rustc';
  /** The command is a cargo or rustc command. */
  private applies = false;
  /** The wrapper is in place. */
  private active = false;
  private dir = '';
  private wrapperPath = '';
  private readonly tools: Record<string, string> = {};
  private readonly warnings: Warning[] = [];
  private readonly live = new Map<string, LiveFile>();
  private lastScanMs = -Infinity;

  constructor(private readonly options: RustcInstrumentationOptions) {}

  async prepare(ctx: InstrumentContext): Promise<void> {
    const kind = rustCommandKind(ctx.argv);
    if (!kind) return;
    this.applies = true;

    if (process.platform === 'win32') {
      // The wrapper is a bash script: cargo could not run it, and the build would fail.
      this.warnings.push({
        code: 'rustc-unsupported-platform',
        message: 'rustc passes are not recorded on Windows yet (the RUSTC_WRAPPER is a bash script)',
      });
      return;
    }
    const wrapper = path.join(ctx.distDir, RUSTC_WRAPPER_FILE);
    if (!fs.existsSync(wrapper)) {
      this.warnings.push({
        code: 'rustc-wrapper-missing',
        message: `${wrapper} is missing (run \`npm run build\`): rustc was not profiled`,
      });
      return;
    }
    this.wrapperPath = ensureExecutable(wrapper, ctx.workDir);
    this.dir = path.join(ctx.workDir, 'rustc-time-passes');
    fs.mkdirSync(this.dir, { recursive: true });

    // The rustc that will run: cargo's is $RUSTC or the `rustc` on PATH (a rustup proxy honours
    // `+toolchain` and rust-toolchain.toml in cwd, as cargo's does).
    const toolchain = ctx.argv[1]?.startsWith('+') ? [ctx.argv[1]] : [];
    const rustc = kind === 'rustc' ? ctx.argv[0]! : ctx.env.RUSTC || 'rustc';
    const rustcToolchain = kind === 'rustc' || !ctx.env.RUSTC ? toolchain : [];
    const [version, jsonProbe, cargoVersion] = await Promise.all([
      probe(rustc, [...rustcToolchain, '-vV'], ctx),
      // Does this rustc know -Z time-passes-format=json? (It rejects unknown -Z options.)
      this.options.timePassesFormat
        ? Promise.resolve(undefined)
        : probe(rustc, [...rustcToolchain, '-Z', 'time-passes-format=json', '--print', 'sysroot'], ctx, {
            RUSTC_BOOTSTRAP: '1',
          }),
      kind === 'cargo' ? probe(ctx.argv[0]!, [...toolchain, '-V'], ctx) : Promise.resolve(undefined),
    ]);
    const release = /^release: (\S+)/m.exec(version ?? '')?.[1];
    if (release) this.tools.rustc = release;
    else if (!ctx.recovering)
      this.warnings.push({
        code: 'rustc-version-unknown',
        message: `\`${rustc} ${[...rustcToolchain, '-vV'].join(' ')}\` failed: the rustc version is unknown`,
      });
    const cargoRelease = /^cargo (\S+)/.exec(cargoVersion ?? '')?.[1];
    if (cargoRelease) this.tools.cargo = cargoRelease;

    const format = this.options.timePassesFormat ?? (jsonProbe !== undefined || !release ? 'json' : 'text');
    if (format === 'text' && !this.options.timePassesFormat) {
      this.warnings.push({
        code: 'rustc-text-format',
        message:
          `rustc ${release} does not support -Z time-passes-format=json: using the text format ` +
          '(durations to the millisecond, RSS to the megabyte, passes under 5 ms with unchanged RSS omitted)',
      });
    }

    ctx.env.CMI_RUSTC_DIR = this.dir;
    ctx.env.CMI_RUSTC_TP_FORMAT = format;
    delete ctx.env.CMI_RUSTC_INNER_WRAPPER;
    if (kind === 'rustc') {
      ctx.argv = [this.wrapperPath, ...ctx.argv];
    } else {
      const userWrapper = ctx.env.RUSTC_WRAPPER || ctx.env.CARGO_BUILD_RUSTC_WRAPPER;
      if (userWrapper && path.basename(userWrapper) !== RUSTC_WRAPPER_FILE) {
        ctx.env.CMI_RUSTC_INNER_WRAPPER = userWrapper;
        this.warnings.push({
          code: 'rustc-chained-wrapper',
          message:
            `your RUSTC_WRAPPER (${userWrapper}) runs between the profiler's wrapper and rustc; a caching wrapper ` +
            '(sccache, cachepot) can answer from its cache and hide the compile work, so the passes shown may be a replay or missing',
        });
      }
      ctx.env.RUSTC_WRAPPER = this.wrapperPath;
      delete ctx.env.CARGO_BUILD_RUSTC_WRAPPER;
      const userTargetDir = cargoTargetDirArg(ctx.argv);
      if (userTargetDir) {
        this.warnings.push({
          code: 'rustc-user-target-dir',
          message: `the build uses your --target-dir ${userTargetDir}: crates that were already up to date there were not compiled, so they are not in the profile`,
        });
      } else {
        ctx.env.CARGO_TARGET_DIR = path.join(ctx.workDir, 'cargo-target');
      }
    }
    this.active = true;
  }

  /** Follows the invocations' files, at most every 50 ms: only when asked (currentPhase), never per tick. */
  private follow(): void {
    const nowMs = performance.now();
    if (!this.active || nowMs - this.lastScanMs < 50) return;
    this.lastScanMs = nowMs;
    let names: string[];
    try {
      names = fs.readdirSync(this.dir);
    } catch {
      return;
    }
    for (const name of names) {
      if (!name.endsWith('.tp')) continue;
      let file = this.live.get(name);
      if (file?.ended) continue;
      const full = path.join(this.dir, name);
      let sizeBytes: number;
      try {
        sizeBytes = fs.statSync(full).size;
      } catch {
        continue;
      }
      if (!file) {
        const head = readSlice(full, 0, 512);
        let crate = /^# cmi-rustc-wrapper \d+ .*?\bcrate=(\S*)/.exec(head)?.[1];
        if (crate === undefined) continue; // the header is not written yet
        // No --crate-name (a direct `rustc file.rs`): named after the file, as rustc does.
        if (!crate) crate = rustcCrateInfo(readRecordArgs(full).slice(1)).crateName ?? '?';
        file = { crate, sizeBytes: 0, ended: false };
        this.live.set(name, file);
      }
      if (sizeBytes !== file.sizeBytes) {
        file.sizeBytes = sizeBytes;
        file.ended = readSlice(full, Math.max(0, sizeBytes - 64), 64).includes('\n# end');
      }
    }
  }

  currentPhase(): string | undefined {
    this.follow();
    const crates = [...this.live.values()].filter((f) => !f.ended).map((f) => f.crate);
    return crates.length ? crates.join(', ') : undefined;
  }

  async collect(ctx: CollectContext): Promise<Contribution> {
    if (!this.applies) return {};
    const warnings = [...this.warnings];
    const base: Contribution = { warnings, tools: { ...this.tools }, sources: ['rustc-time-passes'] };
    if (!this.active) return base;

    const recorded: { inv: RustcInvocation; argv: string[]; file: string }[] = [];
    for (const name of recordNames(this.dir, '.tp')) {
      const file = path.join(this.dir, name);
      try {
        const parsed = parseTimePasses(fs.readFileSync(file, 'utf8'), name);
        warnings.push(...parsed.warnings.filter((w) => w.code !== 'rustc-incomplete')); // said below, with the crate
        const inv = parsed.invocations[0];
        if (!inv) continue;
        recorded.push({ inv, argv: readRecordArgs(file), file: name });
      } catch (e) {
        warnings.push({
          code: 'rustc-unreadable',
          message: `could not read ${name}: ${(e as Error).message}`,
          file: name,
        });
      }
    }
    if (!recorded.length) {
      warnings.push({
        code: 'rustc-nothing-compiled',
        message:
          'no rustc invocation compiled anything (everything was up to date, or the build failed before compiling)',
      });
      return base;
    }

    const toProfileMs = clockMapping(
      recorded.map((r) => r.inv),
      ctx,
      warnings,
    );
    const phases: Phase[] = [];
    const processes: (Partial<ProcessInfo> & { pid: number })[] = [];
    const rustcPids = new Set<number>();
    const units: CrateUnit[] = [];
    let reconstructed = 0;

    for (const { inv, argv, file } of recorded) {
      const info = rustcCrateInfo(argv.slice(1));
      const crate = inv.crateName || info.crateName || '?';
      if (!inv.complete) {
        warnings.push({
          code: 'rustc-incomplete',
          message: `rustc ${crate}${inv.pid !== undefined ? ` (pid ${inv.pid})` : ''} did not finish (it was stopped or crashed): ${inv.passes.length} pass(es) recorded`,
          file,
        });
      }
      const proc = inv.pid === undefined ? undefined : invocationProcess(ctx.processes, inv, toProfileMs);
      // The stamps are upper bounds of the times; so is the process's end as the sampler saw it (its
      // last sight plus a gap between ticks). A filter starved of CPU stamps the last lines, or the
      // end, late by up to hundreds of ms on a saturated machine: none may pass the process's end.
      let passes = inv.passes;
      let endEpochMs = inv.endEpochMs;
      const boundMs = sampledEndBoundMs(proc, ctx);
      if (boundMs !== undefined) {
        const capEpochMs = epochMs(boundMs - toProfileMs(epochMs(0)));
        if (passes.some((p) => p.endEpochMs !== undefined && p.endEpochMs > capEpochMs)) {
          passes = passes.map((p) =>
            p.endEpochMs !== undefined && p.endEpochMs > capEpochMs ? { ...p, endEpochMs: capEpochMs } : p,
          );
        }
        if (endEpochMs !== undefined && endEpochMs > capEpochMs) endEpochMs = capEpochMs;
      }
      const tree = inferNesting(passes);
      const totalNode = tree.total === null ? undefined : tree.nodes[tree.total];
      const treeSpan = totalNode ? { s: totalNode.startMs, e: totalNode.endMs } : spanOf(tree.nodes);

      // Where the invocation starts and ends: the wrapper's stamps, else the sampler's view of the process.
      let startMs = inv.startEpochMs !== undefined ? toProfileMs(epochMs(inv.startEpochMs)) : proc?.startMs;
      let endMs = endEpochMs !== undefined ? toProfileMs(epochMs(endEpochMs)) : (proc?.endMs ?? undefined);
      let treeOffsetMs: Ms;
      if (tree.originEpochMs !== undefined) {
        treeOffsetMs = toProfileMs(epochMs(tree.originEpochMs));
      } else {
        if (tree.nodes.length) reconstructed++;
        // No stamps: rustc's "total" ends just before the process does.
        treeOffsetMs = ms(endMs !== undefined ? endMs - treeSpan.e : startMs !== undefined ? startMs - treeSpan.s : 0);
      }
      startMs = ms(Math.min(startMs ?? Infinity, treeOffsetMs + treeSpan.s));
      endMs = ms(Math.max(endMs ?? -Infinity, treeOffsetMs + treeSpan.e));
      // The crate's phase is its process, from the wrapper's start (the sampler may see the wrapper a
      // few ms before its stamp) to the process's exit (seen up to a tick after the end stamp, or later
      // while cargo has not reaped it): a phase shorter than the process would get an outer phase of
      // the process itself (addProcessRootPhases) in some runs and not in others.
      if (proc) {
        startMs = ms(Math.min(startMs, proc.startMs));
        endMs = ms(Math.max(endMs, proc.endMs ?? ctx.endMs));
      }
      if (!Number.isFinite(startMs)) startMs = endMs = ms(0); // nothing at all (rustc failed at once)

      const args: Record<string, string | number | boolean> = {};
      // rustc's default crate type is bin (a `#![crate_type]` attribute in the source is not seen here).
      args.crateType = info.crateTypes.length ? info.crateTypes.join(',') : 'bin';
      if (crate.startsWith('build_script_')) args.buildScript = true;
      if (inv.packageName) args.package = inv.packageName;
      if (info.edition) args.edition = info.edition;
      if (info.optLevel) args.optLevel = info.optLevel;
      if (info.target) args.target = info.target;
      if (!inv.complete) args.incomplete = true;

      const local = invocationPhases(tree, {
        name: crate,
        startMs,
        endMs: endMs!,
        treeOffsetMs,
        ...(inv.pid !== undefined ? { pid: inv.pid } : {}),
        args,
      });
      if (inv.pid !== undefined) processes.push(...addLinkerPhase(local, crate, inv.pid, proc, ctx.processes));
      units.push({
        startMs,
        endMs: endMs!,
        phases: local,
        crate,
        ...(inv.packageName ? { packageName: inv.packageName } : {}),
        ...(crate.startsWith('build_script_') && info.outDir ? { buildScriptOutDir: info.outDir } : {}),
        ...(info.crateTypes.length ? { crateTypes: info.crateTypes } : {}),
      });

      if (inv.pid !== undefined) {
        rustcPids.add(inv.pid);
        const label =
          crate.startsWith('build_script_') && inv.packageName
            ? `rustc ${crate} (${inv.packageName})`
            : `rustc ${crate}`;
        // The wrapper's start stamp is the process's start (it execs rustc in place); the sampler may
        // have first seen it a few ticks later on a busy machine.
        const stampedStartMs = inv.startEpochMs !== undefined ? toProfileMs(epochMs(inv.startEpochMs)) : undefined;
        if (proc)
          processes.push({
            pid: inv.pid,
            label,
            role: 'build',
            ...(stampedStartMs !== undefined && stampedStartMs < proc.startMs ? { startMs: stampedStartMs } : {}),
          });
        // The sampler missed it (shorter than a tick): add it from the wrapper's record.
        else
          processes.push({
            pid: inv.pid,
            ppid: null,
            argv,
            startMs,
            endMs: endMs!,
            peakRssBytes: null,
            label,
            role: 'build',
          });
      }
      if (inv.filterPid !== undefined && ctx.processes.some((p) => p.pid === inv.filterPid)) {
        processes.push({ pid: inv.filterPid, label: `rustc-wrapper filter (${crate})`, role: 'instrumentation' });
      }
    }
    // The wrapper's other processes: its process substitution (exits at once; when its argv could not
    // be read, a sampler shows the 15-character kernel name), probes seen before they exec'd rustc.
    for (const p of ctx.processes) {
      if (rustcPids.has(p.pid) || processes.some((q) => q.pid === p.pid)) continue;
      if (isWrapperProcess(p)) {
        processes.push({ pid: p.pid, label: 'rustc-wrapper', role: 'instrumentation' });
      }
    }

    const roots = nestBuildScripts(units, ctx, processes, warnings);
    roots.sort((a, b) => a.startMs - b.startMs);
    for (const { phases: local } of roots) {
      const offset = phases.length;
      for (const p of local) phases.push({ ...p, parent: p.parent === null ? null : p.parent + offset });
    }
    if (reconstructed) {
      warnings.push({
        code: 'rustc-timeline-reconstructed',
        message: `${reconstructed} rustc invocation(s) have no time stamps (the wrapper needs bash 5 for $EPOCHREALTIME): their pass times were reconstructed from durations and end order`,
      });
    }
    return { ...base, phases, processes };
  }
}

/** The wrapper must be executable: make it so, or run a private executable copy. */
function ensureExecutable(wrapper: string, workDir: string): string {
  try {
    fs.accessSync(wrapper, fs.constants.X_OK);
    return wrapper;
  } catch {
    try {
      fs.chmodSync(wrapper, 0o755);
      return wrapper;
    } catch {
      const copy = path.join(workDir, RUSTC_WRAPPER_FILE);
      fs.copyFileSync(wrapper, copy);
      fs.chmodSync(copy, 0o755);
      return copy;
    }
  }
}

function spanOf(nodes: { startMs: Ms; endMs: Ms }[]): { s: Ms; e: Ms } {
  if (!nodes.length) return { s: ms(0), e: ms(0) };
  return { s: ms(Math.min(...nodes.map((n) => n.startMs))), e: ms(Math.max(...nodes.map((n) => n.endMs))) };
}

/**
 * Maps the wrapper's wall-clock stamps to profile time. The stamps are CLOCK_REALTIME epoch ms; the
 * profile's startEpochMs is meant to be the same clock, but a runner may derive it from a monotonic
 * clock (performance.timeOrigin + now()), which parts from the wall clock when the wall clock is
 * stepped (NTP steps >= 128 ms, a manual change) during a long-lived process. The sampler's first
 * sight of each rustc process (same pid as the wrapper, seen a tick or a busy event loop late)
 * checks the mapping: a median disagreement beyond max(250 ms, 5 ticks) is such a step, and the
 * stamps are shifted onto the sampler's clock.
 */
function clockMapping(invocations: RustcInvocation[], ctx: CollectContext, warnings: Warning[]): (t: EpochMs) => Ms {
  const naive = (t: EpochMs): Ms => epochToProfileMs(t, ctx.startEpochMs);
  const deltas: number[] = [];
  for (const inv of invocations) {
    if (inv.pid === undefined || inv.startEpochMs === undefined) continue;
    const proc = invocationProcess(ctx.processes, inv, naive);
    if (proc) deltas.push(proc.startMs - naive(epochMs(inv.startEpochMs)));
  }
  if (!deltas.length) return naive;
  deltas.sort((a, b) => a - b);
  const median = deltas[deltas.length >> 1]!;
  const toleranceMs = Math.max(250, 5 * ctx.intervalMs);
  if (Math.abs(median) <= toleranceMs) return naive;
  const shiftMs = median - ctx.intervalMs / 2;
  warnings.push({
    code: 'rustc-clock-adjusted',
    message: `the wrapper's wall-clock stamps disagreed with the process sampler by ${median.toFixed(1)} ms (median over ${deltas.length} rustc processes): shifted onto the sampler's clock`,
  });
  return (t) => ms(naive(t) + shiftMs);
}

/** The sampled process of an invocation (matchProcess, with the wrapper's start stamp on the profile's clock). */
function invocationProcess(
  processes: readonly ProcessInfo[],
  inv: RustcInvocation,
  toProfileMs: (t: EpochMs) => Ms,
): ProcessInfo | undefined {
  if (inv.pid === undefined) return undefined;
  return matchProcess(
    processes,
    inv.pid,
    inv.startEpochMs === undefined ? undefined : toProfileMs(epochMs(inv.startEpochMs)),
  );
}

/** One rustc invocation's phases (root first, parents before children) and what places it in its package. */
interface CrateUnit {
  startMs: Ms;
  endMs: Ms;
  phases: Phase[];
  crate: string;
  packageName?: string;
  crateTypes?: string[];
  /** A build script's compile: its `--out-dir`, where cargo then runs it from. */
  buildScriptOutDir?: string;
}

/** The wrapper's own processes (its filter, forked before it exec'd rustc, is rustc's child). */
function isWrapperProcess(p: ProcessInfo): boolean {
  return p.argv.some((a) => path.basename(a) === RUSTC_WRAPPER_FILE) || p.argv[0] === RUSTC_WRAPPER_FILE.slice(0, 15);
}

/** The processes below `pid` (the linker rustc spawns: cc, collect2, ld / rust-lld), during `proc`'s life. */
function descendants(processes: readonly ProcessInfo[], pid: number, proc: ProcessInfo | undefined): ProcessInfo[] {
  const during = (p: ProcessInfo) =>
    !proc || (p.startMs >= proc.startMs && (proc.endMs === null || p.startMs <= proc.endMs + 1));
  const out: ProcessInfo[] = [];
  let parents = new Set([pid]);
  for (let depth = 0; depth < 8 && parents.size; depth++) {
    const next = processes.filter(
      (p) => p.ppid !== null && parents.has(p.ppid) && during(p) && !out.includes(p) && !isWrapperProcess(p),
    );
    out.push(...next);
    parents = new Set(next.map((p) => p.pid));
  }
  return out;
}

/**
 * The linker rustc runs for a crate, as a phase `linker` inside rustc's `run_linker` pass: timed by
 * that pass (rustc's own clock for spawning the linker and waiting for it, exact where the sampler sees
 * each process only to a tick), its pid the linker process that held the most memory (ld or rust-lld
 * rather than the cc driver and collect2 that wait for it). Always there when rustc linked, whether or
 * not the sampler saw the linker, so that the same build has the same phases. Returns the labels of
 * the linker processes (`rust-lld (link calc)`).
 */
function addLinkerPhase(
  local: Phase[],
  crate: string,
  pid: number,
  proc: ProcessInfo | undefined,
  processes: readonly ProcessInfo[],
): (Partial<ProcessInfo> & { pid: number })[] {
  const at = local.findIndex((p) => p.name === 'run_linker' && p.category === 'rustc-pass');
  if (at < 0) return [];
  const runLinker = local[at]!;
  const linkers = descendants(processes, pid, proc);
  const program = (p: ProcessInfo) => path.basename(p.argv[0] ?? '?');
  const heaviest = linkers.reduce<ProcessInfo | undefined>(
    (best, p) => (!best || (p.peakRssBytes ?? 0) >= (best.peakRssBytes ?? 0) ? p : best),
    undefined,
  );
  local.push({
    name: 'linker',
    parent: at,
    startMs: runLinker.startMs,
    endMs: runLinker.endMs,
    category: 'linker',
    ...(heaviest ? { pid: heaviest.pid } : {}),
    args: linkers.length
      ? { processes: linkers.map(program).join(' › ') }
      : { processes: 'not sampled (shorter than a tick)' },
  });
  return linkers.map((p) => ({ pid: p.pid, label: `${program(p)} (link ${crate})`, role: 'build' }));
}

/** The times cargo recorded around a build script's run: `invoked.timestamp` just before, `root-output` just after. */
interface RunFiles {
  startMs: Ms;
  endMs: Ms;
}

/** Cargo's files of the runs of `packageName`'s build scripts in `buildDir` (`.../build`), in profile time. */
function buildScriptRunFiles(buildDir: string, packageName: string, ctx: CollectContext): RunFiles[] {
  const pattern = new RegExp(`^${packageName.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}-[0-9a-f]{16}$`);
  let names: string[];
  try {
    names = fs.readdirSync(buildDir).filter((n) => pattern.test(n));
  } catch {
    return [];
  }
  const toMs = (file: string): Ms | undefined => {
    try {
      return epochToProfileMs(epochMs(fs.statSync(file).mtimeMs), ctx.startEpochMs);
    } catch {
      return undefined;
    }
  };
  const out: RunFiles[] = [];
  for (const name of names) {
    const dir = path.join(buildDir, name);
    const startMs = toMs(path.join(dir, 'invoked.timestamp'));
    const ends = ['root-output', 'stderr'].map((f) => toMs(path.join(dir, f))).filter((t) => t !== undefined);
    if (startMs === undefined || !ends.length) continue;
    out.push({ startMs, endMs: ms(Math.max(startMs, ...ends)) });
  }
  return out.sort((a, b) => a.startMs - b.startMs);
}

/**
 * Puts each build script inside the crate of its package: `tokenizer › build script`, with the
 * compile of build.rs (`› compile`, its rustc passes below) and its run (`› run`: the process cargo
 * starts as `<out-dir>/build-script-build`). The run is timed by the files cargo writes around it
 * (`invoked.timestamp` just before it starts, `root-output` and `stderr` as soon as it exits; the
 * kernel stamps them to a clock tick, a few ms) joined with the sampler's sight of the process, which
 * gives its pid when it lived long enough to be seen. The package's crate (its library, else its
 * first crate) then starts with its build script. Returns the root units.
 */
function nestBuildScripts(
  units: CrateUnit[],
  ctx: CollectContext,
  processes: (Partial<ProcessInfo> & { pid: number })[],
  warnings: Warning[],
): CrateUnit[] {
  const roots = units.filter((u) => !u.buildScriptOutDir || !u.packageName);
  const usedRuns = new Set<string>();
  for (const bs of units) {
    const outDir = bs.buildScriptOutDir;
    const pkg = bs.packageName;
    if (!outDir || !pkg) continue;

    // The run: cargo's files after this compile, and the process with the compile's output as argv[0].
    const exe = path.join(outDir, 'build-script-build');
    const runProc = ctx.processes.find((p) => p.argv[0] === exe && p.startMs >= bs.startMs);
    const files = buildScriptRunFiles(path.dirname(outDir), pkg, ctx).find(
      (f) => f.startMs >= bs.startMs && !usedRuns.has(`${pkg}:${f.startMs}`),
    );
    if (files) usedRuns.add(`${pkg}:${files.startMs}`);
    let run: { startMs: Ms; endMs: Ms } | undefined;
    if (files || runProc) {
      const starts = [files?.startMs, runProc?.startMs].filter((t) => t !== undefined);
      const ends = [files?.endMs, runProc ? (runProc.endMs ?? ctx.endMs) : undefined].filter((t) => t !== undefined);
      run = { startMs: ms(Math.min(...starts)), endMs: ms(Math.max(...ends)) };
    } else {
      warnings.push({
        code: 'rustc-build-script-run-unseen',
        message: `the build script of ${pkg} was compiled, but its run was not seen (cargo wrote no record of it in ${path.dirname(outDir)}, and the sampler did not see it)`,
      });
    }
    if (runProc) processes.push({ pid: runProc.pid, label: `build-script-build (${pkg})`, role: 'build' });

    // The package's crate: its library (crate named after the package), else its first other crate.
    const libName = pkg.replace(/-/g, '_');
    const siblings = roots.filter((u) => u.packageName === pkg);
    const isLib = (u: CrateUnit) => !u.crateTypes || u.crateTypes.some((t) => t !== 'bin');
    let target =
      siblings.find((u) => u.crate === libName && isLib(u)) ??
      siblings.find((u) => u.crate === libName) ??
      siblings.sort((a, b) => a.startMs - b.startMs)[0];
    if (!target) {
      // The build stopped before the package's crates compiled: a phase for the package alone.
      target = {
        startMs: bs.startMs,
        endMs: run?.endMs ?? bs.endMs,
        phases: [
          {
            name: libName,
            parent: null,
            startMs: bs.startMs,
            endMs: run?.endMs ?? bs.endMs,
            category: 'crate',
            args: { package: pkg },
          },
        ],
        crate: libName,
        packageName: pkg,
      };
      roots.push(target);
    }

    const startMs = ms(Math.min(bs.startMs, run?.startMs ?? Infinity));
    const endMs = ms(Math.max(bs.endMs, run?.endMs ?? -Infinity));
    const at = target.phases.length;
    target.phases.push({
      name: 'build script',
      parent: 0,
      startMs,
      endMs,
      category: 'build-script',
      args: { package: pkg },
    });
    for (const [i, p] of bs.phases.entries()) {
      target.phases.push({
        ...p,
        ...(i === 0 ? { name: 'compile' } : {}),
        parent: p.parent === null ? at : p.parent + at + 1,
      });
    }
    if (run) {
      target.phases.push({
        name: 'run',
        parent: at,
        startMs: run.startMs,
        endMs: run.endMs,
        category: 'build-script-run',
        ...(runProc ? { pid: runProc.pid } : {}),
        args: {
          program: exe,
          timing: files ? (runProc ? 'cargo files, sampled process' : 'cargo files') : 'sampled process',
        },
      });
    }
    const root = target.phases[0]!;
    target.startMs = ms(Math.min(target.startMs, startMs));
    target.endMs = ms(Math.max(target.endMs, endMs));
    target.phases[0] = { ...root, startMs: target.startMs, endMs: target.endMs };
  }
  return roots;
}
