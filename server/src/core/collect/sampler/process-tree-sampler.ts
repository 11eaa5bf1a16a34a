// The process-tree sampler: the RSS of every process of a build over time, per process and summed.
//
// This file is the scheduler: it picks a backend, runs its ticks on a fixed grid, sums the tree at
// each tick, and reports every process at the end. How the tree is read is the backend's business:
//
// - Linux (`procfs`, procfs-backend.ts): each known process's /proc/<pid>/status is read through an
//   fd held open, and new members are found among the pids handed out since the last tick; VmHWM,
//   the kernel's high-water mark, makes each process's own peak exact even between ticks.
// - Elsewhere (table-backend.ts): `ps` (Unix) or PowerShell/CIM (Windows) every 250/1000 ms at best,
//   with a warning that short processes and short peaks may be missed.
//
// The tree sum is only known at ticks. A tick never throws: a sampler that cannot read anything
// degrades to `none` with a warning, and the build runs on.
//
// RSS counts shared pages (libraries, copy-on-write pages after fork) in every process that maps them,
// so the tree sum can exceed the memory actually used; it is the figure `/usr/bin/time` and the OOM
// killer reason about, per process.

import type { Bytes, EpochMs, MemorySeries, Ms, ProcessInfo, SamplerFacts, Warning } from '../../model';
import { bytes, epochMs, epochToProfileMs, ms } from '../../units';
import { processLabel } from './process-label';
import { procAvailable } from './proc-files';
import { ProcfsBackend } from './procfs-backend';
import type { SamplerBackend } from './sampler-backend';
import { StepRecorder } from './step-recorder';
import { POWERSHELL_MIN_INTERVAL_MS, PS_MIN_INTERVAL_MS, TableBackend } from './table-backend';
import { TrackedProcesses } from './tracked-processes';

export type SamplerBackendName = 'auto' | 'procfs' | 'ps' | 'none';

export interface ProcessTreeSamplerOptions {
  rootPid: number;
  /** Requested interval; `ps` uses at least 250 ms, PowerShell at least 1000 ms. */
  intervalMs: Ms;
  /** Epoch time (ms) that every time recorded is relative to. */
  startEpochMs: EpochMs;
  /** `auto`: procfs on Linux, PowerShell on Windows, ps elsewhere. `ps` also works on Linux. */
  backend?: SamplerBackendName;
  /** Processes the profiler added (wrappers): recorded, but left out of the tree sum. */
  isInstrumentation?: (pid: number, argv: string[]) => boolean;
  /** Called after every tick, with the tick's time (ms since start). */
  onTick?: (nowMs: Ms) => void;
  /** Keeps each tick on disk as it is taken (core/journal/writer.ts). Cheap: one short line a tick. */
  journal?: { tick(nowMs: Ms, treeBytes: Bytes, processes: TrackedProcesses): void };
}

export interface SamplerResult {
  /** `rss-tree` first, then one `rss-process` series per process, in order of appearance. */
  series: MemorySeries[];
  processes: ProcessInfo[];
  facts: SamplerFacts;
  warnings: Warning[];
}

export interface SamplerLive {
  nowMs: Ms;
  treeRssBytes: Bytes;
  peakTreeRssBytes: Bytes;
  /** Build processes alive at the last tick. */
  processCount: number;
}

/** Wall clock in epoch ms, with sub-ms resolution and without jumps from NTP adjustments. */
const epochNowMs = (): EpochMs => epochMs(performance.timeOrigin + performance.now());

export class ProcessTreeSampler {
  private readonly opts: ProcessTreeSamplerOptions;
  private kind: SamplerFacts['kind'];
  /** `source` of the series: the backend chosen at the start (kind may fall to `none` later). */
  private readonly source: string;
  private readonly intervalMs: Ms;
  private readonly requestedIntervalMs: Ms;
  private readonly warnings: Warning[] = [];
  /** How the tree is read; undefined for `none`, and once a backend gave up. */
  private backend: SamplerBackend | undefined;
  /** The processes the backend tracked (kept when it gives up). */
  private readonly processes: TrackedProcesses;
  private readonly tree = new StepRecorder(4096);

  private ticks = 0;
  private nowMs: Ms = ms(0);
  /** The longest time between two consecutive ticks. */
  private maxGapMs: Ms = ms(0);
  private treeRssBytes: Bytes = bytes(0);
  private peakTreeRssBytes: Bytes = bytes(0);
  private processCount = 0;

  private started = false;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;
  /** performance.now() of the next scheduled tick. */
  private nextDueMs = 0;
  /** The tick in flight (table backends are asynchronous). */
  private inFlight: Promise<void> | undefined;
  private reportedTickError = false;

  constructor(opts: ProcessTreeSamplerOptions) {
    this.opts = opts;
    this.requestedIntervalMs = ms(Math.max(1, opts.intervalMs));
    const requested = opts.backend ?? 'auto';
    const platform = process.platform;

    if (requested === 'none') this.kind = 'none';
    else if ((requested === 'auto' || requested === 'procfs') && platform === 'linux' && procAvailable())
      this.kind = 'procfs';
    else if (platform === 'win32') this.kind = 'powershell';
    else this.kind = 'ps';
    if (requested === 'procfs' && this.kind !== 'procfs') {
      this.warnings.push({
        code: 'sampler-coarse',
        message: `The procfs sampler needs Linux /proc, which ${platform} lacks; using ${this.kind} instead.`,
      });
    }

    this.source = `${this.kind} sampler`;
    const floorMs =
      this.kind === 'ps' ? PS_MIN_INTERVAL_MS : this.kind === 'powershell' ? POWERSHELL_MIN_INTERVAL_MS : 0;
    this.intervalMs = ms(Math.max(this.requestedIntervalMs, floorMs));
    if (this.kind === 'procfs') this.backend = new ProcfsBackend(opts.rootPid, opts.isInstrumentation);
    if (this.kind === 'ps' || this.kind === 'powershell') {
      this.backend = new TableBackend(this.kind, opts.rootPid, opts.isInstrumentation);
      const tool = this.kind === 'ps' ? '`ps`' : 'PowerShell (Win32_Process)';
      this.warnings.push({
        code: 'sampler-coarse',
        message:
          `On ${platform} memory is sampled with ${tool} every ${this.intervalMs} ms` +
          (this.intervalMs > this.requestedIntervalMs ? ` (asked: ${this.requestedIntervalMs} ms)` : '') +
          ': processes shorter than that and peaks shorter than that may be missed, and per-process peaks are sampled maxima, not the kernel high-water mark.',
      });
    }
    this.processes = this.backend?.processes ?? new TrackedProcesses(opts.rootPid, opts.isInstrumentation);
  }

  /** Starts sampling: the first tick runs now. Idempotent. */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.nextDueMs = performance.now();
    this.runTick();
  }

  /** Stops, takes a last sample, and returns everything recorded. Never throws. */
  async stop(): Promise<SamplerResult> {
    if (!this.stopped) {
      this.stopped = true;
      if (this.timer) clearTimeout(this.timer);
      await this.inFlight;
      if (this.started) await this.tick(); // so that every series reaches the end of the run
      this.backend?.close();
    }
    return this.result();
  }

  live(): SamplerLive {
    return {
      nowMs: this.nowMs,
      treeRssBytes: this.treeRssBytes,
      peakTreeRssBytes: this.peakTreeRssBytes,
      processCount: this.processCount,
    };
  }

  /** The backend in use: `none` once it gave up. */
  backendKind(): SamplerFacts['kind'] {
    return this.kind;
  }

  /**
   * The processes of the tree (build and instrumentation) alive at the last tick, including those
   * that were reparented after their parent exited: what is left to stop.
   */
  knownPids(): number[] {
    return [...this.processes.alive.keys()];
  }

  // -------------------------------------------------------------------------------------------
  // Scheduling: a self-rescheduling timer on a fixed grid (start + k·interval), so a late tick does
  // not push every later tick back; ticks missed while the event loop was busy are skipped, not
  // run in a burst.

  private runTick(): void {
    this.timer = undefined;
    if (this.stopped) return;
    const done = () => {
      this.inFlight = undefined;
      this.schedule();
    };
    const pending = this.tick();
    if (pending) this.inFlight = pending.then(done);
    else done();
  }

  private schedule(): void {
    if (this.stopped) return;
    const now = performance.now();
    this.nextDueMs += this.intervalMs;
    if (this.nextDueMs <= now)
      this.nextDueMs += Math.ceil((now - this.nextDueMs) / this.intervalMs + 1e-9) * this.intervalMs;
    this.timer = setTimeout(() => this.runTick(), this.nextDueMs - now);
    this.timer.unref(); // the sampler alone never keeps the process alive
  }

  /** One tick: synchronous for procfs and none, a promise for the table backends. */
  private tick(): Promise<void> | undefined {
    const nowMs = epochToProfileMs(epochNowMs(), this.opts.startEpochMs);
    const pending = this.backend?.query?.();
    if (!pending) {
      this.sample(nowMs);
      return undefined;
    }
    return pending.then((gaveUp) => {
      if (gaveUp !== undefined) this.stopBackend(gaveUp);
      this.sample(nowMs);
    });
  }

  /** The backend's tick, then the tree's sum. */
  private sample(nowMs: Ms): void {
    this.guarded(() => {
      this.backend?.tick(this.ticks + 1, nowMs);
      this.endTick(nowMs);
    });
  }

  /** The backend gave up: the ticks go on, with nothing to sample. */
  private stopBackend(why: string): void {
    this.backend = undefined;
    this.kind = 'none';
    this.warnings.push({
      code: 'sampler-unavailable',
      message: `Memory sampling stopped: ${why}; the profile has no RSS after ${Math.round(this.nowMs)} ms.`,
    });
  }

  private guarded(f: () => void): void {
    try {
      f();
    } catch (e) {
      if (this.reportedTickError) return;
      this.reportedTickError = true;
      this.warnings.push({
        code: 'sampler-error',
        message: `A sampler tick failed (${(e as Error).message}); later samples may be missing.`,
      });
    }
  }

  /** Sums the tree, records it, and calls onTick. */
  private endTick(nowMs: Ms): void {
    let treeSum = 0;
    let count = 0;
    for (const p of this.processes.alive.values()) {
      if (p.role !== 'build') continue;
      treeSum += p.rssBytes;
      count++;
    }
    const treeBytes = bytes(treeSum);
    if (this.ticks && nowMs - this.nowMs > this.maxGapMs) this.maxGapMs = ms(nowMs - this.nowMs);
    this.ticks++;
    this.nowMs = nowMs;
    this.treeRssBytes = treeBytes;
    this.processCount = count;
    if (treeBytes > this.peakTreeRssBytes) this.peakTreeRssBytes = treeBytes;
    this.tree.sample(nowMs, treeBytes);
    this.opts.journal?.tick(nowMs, treeBytes, this.processes);
    if (this.opts.onTick) {
      try {
        this.opts.onTick(nowMs);
      } catch {
        // The caller's tick is the caller's business; sampling goes on.
      }
    }
  }

  private result(): SamplerResult {
    const source = this.source;
    this.tree.flush();
    const series: MemorySeries[] = [
      this.tree.builder.build({ id: 'rss-tree', name: 'RSS of the process tree', kind: 'rss-tree', source }),
    ];
    const processes: ProcessInfo[] = [];
    for (const p of this.processes.all) {
      if (p.tick === 0) continue; // never sampled: nothing to say about it
      p.rss.flush();
      const label = processLabel(p.argv, p.comm);
      series.push(
        p.rss.builder.build({
          id: p.seriesId,
          name: `RSS of ${label} (pid ${p.pid})`,
          kind: 'rss-process',
          source,
          pid: p.pid,
        }),
      );
      const fromHwm = p.hwmBytes > 0 && p.hwmBytes >= p.maxSampledBytes;
      processes.push({
        pid: p.pid,
        ppid: p.ppid,
        argv: p.argv,
        startMs: p.startMs,
        endMs: this.processes.alive.get(p.pid) === p ? null : p.endMs,
        peakRssBytes: fromHwm ? p.hwmBytes : p.maxSampledBytes,
        peakRssSource: fromHwm ? 'vmhwm' : 'sampled',
        role: p.role,
        label,
      });
    }
    const facts: SamplerFacts = { kind: this.kind, intervalMs: this.intervalMs, ticks: this.ticks };
    if (this.ticks > 1) facts.maxGapMs = this.maxGapMs;
    if (this.intervalMs > this.requestedIntervalMs) facts.requestedIntervalMs = this.requestedIntervalMs;
    return { series, processes, facts, warnings: [...this.warnings] };
  }
}
