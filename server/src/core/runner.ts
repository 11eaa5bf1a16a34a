// The build runner: spawns the build with its instrumentation, samples the process tree, keeps the
// output, stops the whole tree on cancel or timeout, and always returns the profile recorded so far,
// marked with how the build ended.

import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { CollectContext, InstrumentContext, Instrumentation } from './collect/instrumentation';
import { collectAll } from './collect/instrumentation';
import { processLabel } from './collect/sampler/process-label';
import { ProcessTreeSampler } from './collect/sampler/process-tree-sampler';
import type { Bytes, EpochMs, HostFacts, Ms, Profile, RunFacts, RunStatus } from './model';
import { addProcessRootPhases, emptyProfile, mergeContribution } from './model';
import { containmentWarning } from './containment/container';
import { openContainer } from './containment/open-container';
import { createJournalDir, JournalWriter } from './journal/writer';
import { bytes, epochMs, epochToProfileMs, ms } from './units';

export interface LiveProgress {
  elapsedMs: Ms;
  treeRssBytes: Bytes;
  peakTreeRssBytes: Bytes;
  processCount: number;
  /** The innermost phase an instrumentation knows to be running. */
  phase?: string;
}

export interface RunOptions {
  argv: string[];
  cwd: string;
  /** Added to (and overriding) the current environment. */
  env?: Record<string, string | undefined>;
  /** Sampler interval, default 10 ms. */
  intervalMs?: Ms;
  /** Stop the tree after this long (0 or absent: no limit). The profile is marked `killed`. */
  timeoutMs?: Ms;
  /** Abort to cancel: the tree is stopped and the profile marked `cancelled` (by `reason`, if a string). */
  signal?: AbortSignal;
  /** Abort to SIGKILL the whole build at once (a second Ctrl-C); the profile is still returned. */
  killNowSignal?: AbortSignal;
  instrumentations?: Instrumentation[];
  /** Sampler backend; `auto` picks /proc on Linux. */
  sampler?: 'auto' | 'procfs' | 'ps' | 'none';
  onOutput?: (stream: 'stdout' | 'stderr', text: string) => void;
  /** Called at most every `progressEveryMs` (default 250 ms). */
  onProgress?: (p: LiveProgress) => void;
  progressEveryMs?: Ms;
  /** At every sampler tick, the last one included: the tree's RSS then (a live timeline). Cheap: it runs every few ms. */
  onSample?: (tMs: Ms, treeRssBytes: Bytes) => void;
  /** Where preload.js and rustc-wrapper.sh are; found automatically next to the bundle or in <repo>/dist. */
  distDir?: string;
  /** Grace period between SIGTERM and SIGKILL when stopping the tree. */
  killGraceMs?: Ms;
  /**
   * Keep a journal of the run in this folder as it goes (docs/journal.md): a tool killed mid-build
   * leaves the profile so far there (core/journal/recover.ts). The instrumentations' workDir is its
   * `work/`. On any normal end the runner removes `work/` and the caller removes the folder once the
   * profile is written (removeJournal).
   */
  journalDir?: string;
}

export interface RunResult {
  profile: Profile;
  /** The last few MiB of each stream. */
  stdout: string;
  stderr: string;
}

/** The command could not be started at all (as opposed to a build that failed). */
export class SpawnError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SpawnError';
  }
}

const OUTPUT_KEEP_CHARS = 4 * 1024 * 1024;
/** After the build's root and its leftovers are gone, how long its output pipes may stay open. */
const PIPE_GRACE_MS = 1500;

/** Finds the folder with the bundled helper scripts: beside this bundle, or <repo>/dist from sources. */
export function findDistDir(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'preload.js'))) return dir;
    if (existsSync(path.join(dir, 'dist', 'preload.js'))) return path.join(dir, 'dist');
    if (path.dirname(dir) === dir) throw new Error('cannot find dist/preload.js: run `npm run build` first');
  }
}

function nowEpochMs(): EpochMs {
  return epochMs(performance.timeOrigin + performance.now());
}

class Tail {
  private text = '';
  add(chunk: string): void {
    this.text += chunk;
    if (this.text.length > OUTPUT_KEEP_CHARS * 1.5) this.text = this.text.slice(this.text.length - OUTPUT_KEEP_CHARS);
  }
  toString(): string {
    return this.text.length > OUTPUT_KEEP_CHARS ? this.text.slice(this.text.length - OUTPUT_KEEP_CHARS) : this.text;
  }
}

function hostFacts(): HostFacts {
  return {
    platform: process.platform,
    arch: process.arch,
    cpus: os.cpus().length,
    totalMemoryBytes: bytes(os.totalmem()),
    node: process.version,
  };
}

export async function runBuild(opts: RunOptions): Promise<RunResult> {
  if (opts.argv.length === 0) throw new SpawnError('no command to run');
  const intervalMs = opts.intervalMs && opts.intervalMs > 0 ? opts.intervalMs : ms(10);
  const instrumentations = opts.instrumentations ?? [];
  const distDir = opts.distDir ?? findDistDir();
  const workDir = opts.journalDir ? journalWorkDir(opts.journalDir) : mkdtempSync(path.join(os.tmpdir(), 'cmi-run-'));
  let journal: JournalWriter | undefined;
  const ctx: InstrumentContext = {
    argv: [...opts.argv],
    env: { ...process.env, ...opts.env },
    cwd: opts.cwd,
    workDir,
    startEpochMs: epochMs(0),
    intervalMs,
    distDir,
  };
  const warnings: Profile['warnings'] = [];
  const active: Instrumentation[] = [];
  let sampler: ProcessTreeSampler | undefined;
  // If cmi dies, the supervisor stops the build and removes workDir, unless it is a journal's work/:
  // that must survive cmi (docs/journal.md).
  const container = openContainer({
    distDir,
    graceMs: opts.killGraceMs ?? ms(2000),
    ...(process.env.CMI_KEEP_WORKDIR || opts.journalDir ? {} : { removeOnToolDeath: workDir }),
    knownPids: () => sampler?.knownPids() ?? [],
  });
  try {
    for (const inst of instrumentations) {
      try {
        await inst.prepare(ctx);
        active.push(inst);
      } catch (e) {
        warnings.push({
          code: 'instrumentation-failed',
          message: `${inst.name}: could not prepare (${(e as Error).message}); the build runs without it`,
        });
      }
    }
    if (opts.signal?.aborted) throw new SpawnError('cancelled before the build started');

    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(ctx.env)) if (v !== undefined) env[k] = v;
    ctx.startEpochMs = nowEpochMs();
    const startedAt = new Date(ctx.startEpochMs).toISOString();
    const launch = container.launch(ctx.argv, env);
    const child = spawn(launch.file, launch.args, {
      cwd: ctx.cwd,
      env: launch.env,
      stdio: launch.stdio,
      // Its own process group on POSIX, so the whole tree can be signalled; no console window on Windows.
      detached: process.platform !== 'win32',
      windowsHide: true,
    });
    const spawned = await new Promise<Error | null>((resolve) => {
      child.once('spawn', () => resolve(null));
      child.once('error', (e) => resolve(e));
    });
    const start = spawned || child.pid === undefined ? undefined : await container.started(child);
    if (!start || 'errorCode' in start) {
      const code = start?.errorCode ?? (spawned as NodeJS.ErrnoException | null)?.code;
      throw new SpawnError(
        code === 'ENOENT'
          ? `cannot run \`${opts.argv[0]}\`: command not found (cwd ${opts.cwd})`
          : `cannot run \`${opts.argv.join(' ')}\`: ${spawned?.message ?? code ?? 'no process id'}`,
      );
    }
    // The build's own root: under the supervisor, its child.
    const rootPid = start.rootPid;

    const stdout = new Tail();
    const stderr = new Tail();
    child.stdout!.setEncoding('utf8');
    child.stderr!.setEncoding('utf8');
    child.stdout!.on('data', (s: string) => {
      stdout.add(s);
      journal?.outputChunk('stdout', s);
      opts.onOutput?.('stdout', s);
    });
    child.stderr!.on('data', (s: string) => {
      stderr.add(s);
      journal?.outputChunk('stderr', s);
      opts.onOutput?.('stderr', s);
    });

    const distPrefix = distDir + path.sep;
    let lastProgress = -Infinity;
    const progressEvery = opts.progressEveryMs ?? 250;
    sampler = new ProcessTreeSampler({
      rootPid,
      intervalMs,
      startEpochMs: ctx.startEpochMs,
      backend: opts.sampler ?? 'auto',
      // Processes running our own scripts (the rustc wrapper) are not part of the build's memory.
      isInstrumentation: (_pid, argv) => argv.some((a) => a.startsWith(distPrefix) && !a.endsWith('preload.js')),
      ...(opts.journalDir ? { journal: { tick: (t, b, p) => journal?.tick(t, b, p) } } : {}),
      onTick: (nowMs) => {
        if (opts.onSample) opts.onSample(nowMs, sampler!.live().treeRssBytes);
        for (const inst of active) {
          try {
            inst.onTick?.(nowMs);
          } catch {
            // A collector's tick must never stop the sampler; collect() reports what it lost.
          }
        }
        if (opts.onProgress && nowMs - lastProgress >= progressEvery) {
          lastProgress = nowMs;
          const live = sampler!.live();
          let phase: string | undefined;
          for (const inst of active) phase ??= inst.currentPhase?.();
          opts.onProgress({
            elapsedMs: nowMs,
            treeRssBytes: live.treeRssBytes,
            peakTreeRssBytes: live.peakTreeRssBytes,
            processCount: live.processCount,
            ...(phase ? { phase } : {}),
          });
        }
      },
    });
    if (opts.journalDir) {
      journal = new JournalWriter(opts.journalDir, {
        argv: [...opts.argv],
        cwd: opts.cwd,
        startEpochMs: ctx.startEpochMs,
        startedAt,
        rootPid,
        toolPid: process.pid,
        host: hostFacts(),
        intervalMs,
        sampler: sampler.backendKind(),
        distDir,
        instrumentations: active.map((i) => i.name),
      });
    }
    sampler.start();

    // How the run ends: exit, cancellation or timeout.
    let stoppedBy: { status: RunStatus; reason: string } | undefined;
    const stopTree = (status: RunStatus, reason: string) => {
      if (stoppedBy) return;
      stoppedBy = { status, reason };
      container.stop();
    };
    // A reason given as a string names who cancelled (cmi passes the signal it got: `SIGHUP`).
    const onAbort = () => {
      const by = opts.signal?.reason;
      stopTree('cancelled', typeof by === 'string' ? `cancelled by ${by}` : 'cancelled by the user');
    };
    const onKillNow = () => {
      stopTree('cancelled', 'cancelled by the user');
      container.killNow();
    };
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    opts.killNowSignal?.addEventListener('abort', onKillNow, { once: true });
    if (opts.killNowSignal?.aborted) onKillNow();
    const timer =
      opts.timeoutMs && opts.timeoutMs > 0
        ? setTimeout(() => stopTree('killed', `timed out after ${opts.timeoutMs} ms`), opts.timeoutMs)
        : undefined;

    const exit = await container.rootExit();
    const endEpochMs = nowEpochMs();
    if (timer) clearTimeout(timer);

    // Processes that outlive the root (daemons, stragglers) would be orphans: stop them too. A
    // cancel stopped everything itself: what it stopped is no news.
    const leftovers = await container.stopLeftovers();
    opts.signal?.removeEventListener('abort', onAbort);
    opts.killNowSignal?.removeEventListener('abort', onKillNow);
    if (leftovers.length && !stoppedBy) {
      const named = leftovers.slice(0, 8).map((p) => `${p.name} (pid ${p.pid})`);
      warnings.push({
        code: 'daemons-stopped',
        message: `${leftovers.length} process(es) started by the build were still running after it ended and were stopped: ${named.join(', ')}${leftovers.length > 8 ? ', …' : ''}`,
      });
    }
    // The pipes close once every holder has exited. A holder that could not be stopped (or one the
    // process group did not contain) must not keep us open: after a grace period they are closed.
    let pipeWait: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      Promise.all([once(child.stdout!), once(child.stderr!)]),
      new Promise((r) => (pipeWait = setTimeout(r, PIPE_GRACE_MS))),
    ]);
    clearTimeout(pipeWait); // or it would keep the CLI alive after its work is done
    child.stdout!.destroy();
    child.stderr!.destroy();
    const sampled = await sampler.stop();
    journal?.close();

    let status: RunStatus;
    let statusReason: string | undefined;
    if (stoppedBy) {
      status = stoppedBy.status;
      statusReason = stoppedBy.reason;
    } else if (exit.signal) {
      status = 'killed';
      statusReason = `killed by ${exit.signal}${exit.signal === 'SIGKILL' ? ' (possibly the out-of-memory killer: see `dmesg`)' : ''}`;
    } else if (exit.code === 0) status = 'ok';
    else {
      status = 'failed';
      statusReason = `exited with code ${exit.code}`;
    }

    const run: RunFacts = {
      command: [...opts.argv],
      cwd: opts.cwd,
      startedAt,
      startEpochMs: ctx.startEpochMs,
      wallMs: epochToProfileMs(endEpochMs, ctx.startEpochMs),
      exitCode: exit.code,
      signal: exit.signal,
      status,
      ...(statusReason ? { statusReason } : {}),
      tools: {},
      host: hostFacts(),
      sampler: sampled.facts,
      sources: [`sampler:${sampled.facts.kind}`],
      containment: container.kind,
    };
    const profile = emptyProfile(run);
    // A build shorter than the sampler's first look (a few ms, or a busy machine) still has its
    // process: spawned at 0, ended at the exit, its memory unknown.
    if (sampled.facts.kind !== 'none' && !sampled.processes.some((p) => p.pid === rootPid)) {
      sampled.processes.unshift({
        pid: rootPid,
        ppid: child.pid === rootPid ? process.pid : child.pid!,
        argv: [...ctx.argv],
        startMs: ms(0),
        endMs: run.wallMs,
        peakRssBytes: null,
        exitCode: exit.code,
        role: 'build',
        label: processLabel(ctx.argv),
      });
      warnings.push({
        code: 'root-not-sampled',
        message: `the build's process (pid ${rootPid}) ended before the sampler's first look at it (${run.wallMs.toFixed(1)} ms): its memory was not recorded`,
      });
    }
    const weak = containmentWarning(container.kind);
    if (weak) warnings.push(weak);
    mergeContribution(profile, {
      series: sampled.series,
      processes: sampled.processes,
      warnings: [...warnings, ...sampled.warnings],
    });

    const collectCtx: CollectContext = {
      ...ctx,
      processes: profile.processes,
      endMs: run.wallMs,
      stdout: stdout.toString(),
      stderr: stderr.toString(),
      ...(sampled.facts.maxGapMs !== undefined ? { tickGapMs: sampled.facts.maxGapMs } : {}),
    };
    await collectAll(profile, active, collectCtx);
    addProcessRootPhases(profile, run.wallMs);
    return { profile, stdout: stdout.toString(), stderr: stderr.toString() };
  } finally {
    journal?.close();
    await container.dispose();
    if (!process.env.CMI_KEEP_WORKDIR) rmSync(workDir, { recursive: true, force: true });
  }
}

/** The journal's work/ folder, made ready; a SpawnError when the journal can't be kept there. */
function journalWorkDir(dir: string): string {
  try {
    return createJournalDir(dir);
  } catch (e) {
    throw new SpawnError(`cannot keep the run's journal: ${(e as Error).message}`);
  }
}

function once(stream: NodeJS.ReadableStream & { closed?: boolean; readableEnded?: boolean }): Promise<void> {
  return new Promise((resolve) => {
    if (stream.closed || stream.readableEnded) return resolve();
    stream.once('close', () => resolve());
    stream.once('end', () => resolve());
  });
}
