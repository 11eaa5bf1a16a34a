// The profile model: what one profiled build (or one imported trace) is, in memory.
//
// Units are part of every name: `...Ms` is milliseconds, `...Bytes` is bytes. Every time in a
// profile is milliseconds since `run.startEpochMs` (the moment the build was spawned, or the
// earliest event of an imported trace). The on-disk form is in `profile-file.ts` and documented in
// docs/profile-format.md.
//
// This module imports only the unit types (units.ts): it is shared by the CLI, the language server
// and (as types) the webview.

import type { Bytes, EpochMs, Ms } from './units';
import { bytes as asBytes, ms } from './units';

/** Branded numbers (units.ts): only `ms(n)`, `bytes(n)`, `epochMs(n)` and the conversions there make them. */
export type { Bytes, EpochMs, Ms };

/** `incomplete`: recovered from the journal of a tool that stopped before the build ended (docs/journal.md). */
export type RunStatus = 'ok' | 'failed' | 'cancelled' | 'killed' | 'incomplete';

/** What held the build's processes, strongest first (docs/processes.md). */
export type ContainmentKind = 'cgroup' | 'subreaper' | 'process-group' | 'none';

/** Where a memory series comes from: they measure different things and must not be mixed up. */
export type SeriesKind =
  | 'rss-tree' // sum of the RSS of every process of the build (process-tree sampler)
  | 'rss-process' // RSS of one process (process-tree sampler)
  | 'js-heap' // V8 used heap of one Node process, garbage included (Node preload)
  | 'js-live-heap' // V8 heap in use right after a full GC of one Node process: its live objects (Node preload)
  | 'allocator-heap' // live bytes allocated through the allocator (cmi's heap library, massif, heaptrack, dhat)
  | 'compiler-reported'; // what a compiler says of itself (e.g. rustc's RSS at pass boundaries)

export interface HostFacts {
  platform: string;
  arch: string;
  cpus: number;
  totalMemoryBytes: Bytes;
  node: string;
}

export interface SamplerFacts {
  /** `procfs` (Linux, /proc), `ps` (macOS and other Unix), `powershell` (Windows), `none`. */
  kind: 'procfs' | 'ps' | 'powershell' | 'none';
  /** The interval actually used. */
  intervalMs: Ms;
  /** The interval asked for, when the platform forced a coarser one. */
  requestedIntervalMs?: Ms;
  ticks: number;
  /** The longest time between two consecutive ticks (ms): the interval, unless the machine was busy. */
  maxGapMs?: Ms;
}

export interface RunFacts {
  /** The command as argv, as the user gave it (before any instrumentation was added). */
  command: string[];
  cwd: string;
  /** ISO 8601 time of the spawn. */
  startedAt: string;
  /** Epoch time (ms, fractional) that every `...Ms` time of the profile is relative to. */
  startEpochMs: EpochMs;
  wallMs: Ms;
  exitCode: number | null;
  signal: string | null;
  status: RunStatus;
  /** Why the status is what it is, in words (e.g. "cancelled by the user", "timed out after 60000 ms"). */
  statusReason?: string;
  /** Versions of the tools involved, e.g. `{ rustc: "1.95.0", typescript: "6.0.3", node: "v20.20.2" }`. */
  tools: Record<string, string>;
  host?: HostFacts;
  sampler?: SamplerFacts;
  /**
   * The allocator settings the build ran with, as set in its environment (e.g. mimalloc's purge delay
   * 0, jemalloc's decays 0), so that RSS follows the live heap. Absent: the allocators' own defaults.
   * Two profiles with different settings do not compare RSS.
   */
  allocatorSettings?: { mode: 'eager-purge'; env: Record<string, string> };
  /** What held the build's processes so that all could be stopped (absent in imported profiles). */
  containment?: ContainmentKind;
  /** What contributed data: e.g. `["sampler:procfs", "node-preload", "rustc-time-passes"]`. */
  sources: string[];
  /** Set for profiles made by importing files rather than running a build. */
  importedFrom?: string[];
}

/** A memory series: samples of one quantity over time. Times ascend (ties allowed). */
export interface MemorySeries {
  /** Unique within the profile, stable across runs of the same build where possible (e.g. `rss-tree`, `rss:1234`, `js-heap:1234`). */
  id: string;
  /** Human label with its source, e.g. "RSS of the process tree", "V8 heap of tsc (pid 1234)". */
  name: string;
  kind: SeriesKind;
  /** Which tool measured it, e.g. "procfs sampler", "node preload". */
  source: string;
  pid?: number;
  unit: 'bytes';
  tMs: Float64Array;
  bytes: Float64Array;
}

export interface SourceLocation {
  file: string;
  /** 1-based. */
  line?: number;
  /** 1-based. */
  column?: number;
}

export interface Phase {
  name: string;
  /** Index of the parent in `Profile.phases`, or null for a root. Parents come before their children. */
  parent: number | null;
  startMs: Ms;
  endMs: Ms;
  pid?: number;
  /** What kind of span: `crate`, `rustc-pass`, `tsc`, `measure`, `process`, ... */
  category?: string;
  source?: SourceLocation;
  /** Memory at the boundaries as the compiler reports it (not sampled). */
  memStartBytes?: Bytes;
  memEndBytes?: Bytes;
  /** What `memStartBytes`/`memEndBytes` measure. */
  memKind?: SeriesKind;
  /** Free-form details from the source (file path of a tsc check, rustc crate type ...). */
  args?: Record<string, string | number | boolean>;
  /**
   * Parts of this phase known only by their durations (a compiler's totals without time stamps, such as
   * gcc's `-ftime-report` without the plugin): listed inside the phase as a table, never placed in time,
   * never given the peak, never matched by compare against phases that were timed.
   */
  durations?: PhaseDuration[];
}

/** One row of a phase's table of durations (see `Phase.durations`). */
export interface PhaseDuration {
  name: string;
  /** Total wall time the source reports for it. */
  ms: Ms;
  /** Nesting in the table: 0 for a top row, 1 for a row inside the previous row of depth 0, ... */
  depth?: number;
  /** Times it ran, where the source counts them. */
  count?: number;
  /** Memory the source attributes to it, and what that figure is (`GGC allocated` for gcc). */
  bytes?: Bytes;
  bytesMeaning?: string;
}

export interface Marker {
  name: string;
  /** `gc`, `mark`, `instant`, ... */
  kind: string;
  tMs: Ms;
  durMs?: Ms;
  pid?: number;
  detail?: string;
}

export interface ProcessInfo {
  pid: number;
  ppid: number | null;
  argv: string[];
  /** First seen by the sampler (or spawn time for the root). */
  startMs: Ms;
  /** Last seen alive, or null when it was still alive at the end. */
  endMs: Ms | null;
  /** The process's own peak RSS: the kernel's high-water mark (VmHWM) where known, else the sampled maximum. */
  peakRssBytes: Bytes | null;
  /** How `peakRssBytes` was obtained. */
  peakRssSource?: 'vmhwm' | 'sampled';
  exitCode?: number | null;
  /** `build` for the user's processes; `instrumentation` for what the profiler added (excluded from the tree sum). */
  role?: 'build' | 'instrumentation';
  /** Short label, e.g. "rustc regex_syntax", "tsc". */
  label?: string;
}

/** An arena: a region of memory with a lifetime (filled in by the arena importers and inference). */
export interface Arena {
  id: string;
  name: string;
  category: string;
  pid?: number;
  startMs: Ms;
  /** null when alive at the end of the profile. */
  endMs: Ms | null;
  /** Bytes over time: growth and frees. */
  tMs: Float64Array;
  bytes: Float64Array;
  /** Times the arena was used, with the phase that used it where known. */
  uses: { tMs: Ms; phase?: string }[];
}

export interface Warning {
  /** Stable code, e.g. `sampler-coarse`, `unclosed-phase`, `preload-missing`. */
  code: string;
  message: string;
  /** Where in an input the problem is. */
  file?: string;
  line?: number;
  byteOffset?: number;
}

export interface Profile {
  run: RunFacts;
  processes: ProcessInfo[];
  series: MemorySeries[];
  phases: Phase[];
  markers: Marker[];
  arenas: Arena[];
  warnings: Warning[];
  /** Set when the build was run several times (`cmi profile --runs N`): this profile is the representative run, these are the statistics of all (compare/repeat.ts). */
  repeat?: RepeatStats;
}

/** Median, minimum and maximum of one quantity over the runs that had it. */
export interface RunStat {
  median: number;
  min: number;
  max: number;
  n: number;
}

/** Statistics over repeated runs of one build (compare/repeat.ts; file format: docs/profile-format.md). */
export interface RepeatStats {
  runs: number;
  /** Index (in `perRun`) of the run this profile is: the one whose primary peak is the median. */
  representative: number;
  perRun: { wallMs: Ms; status: RunStatus; peakBytes: Bytes | null }[];
  wallMs: RunStat;
  /** Per phase path (rows aggregated as by analyze.ts): the summed duration, the peak inside, the summed memory change. */
  phases: {
    path: string[];
    durationMs: RunStat;
    memPeakBytes: RunStat | null;
    memDeltaBytes: RunStat | null;
    /** Set when a run placed a span of this path by guess (durations only, `args.reconstructed`). */
    placedByGuess?: boolean;
    /** The rows of its table of durations (`Phase.durations`), by their path inside the table. */
    durations?: { path: string[]; ms: RunStat }[];
  }[];
  /** Per series key (kind plus a pid-free identity, e.g. `rss-tree`, `js-heap:tsc`): its peak. */
  series: { key: string; kind: SeriesKind; name: string; peakBytes: RunStat }[];
  /** Per arena group (category plus normalised name): bytes at the global peak and the sum of the arenas' own peaks. */
  arenaGroups: {
    category: string;
    name: string;
    count: number;
    bytesAtPeak: RunStat;
    peakBytes: RunStat;
    heldPastLastUse: number;
  }[];
}

/** A part of a profile produced by one collector or importer; merged into the profile by `mergeContribution`. */
export interface Contribution {
  /** `parent` indices are local to this array. */
  phases?: Phase[];
  series?: MemorySeries[];
  markers?: Marker[];
  arenas?: Arena[];
  warnings?: Warning[];
  tools?: Record<string, string>;
  /** Labels/roles for processes the sampler saw, or processes the sampler missed. */
  processes?: (Partial<ProcessInfo> & { pid: number })[];
  sources?: string[];
  /** The allocator settings the build ran with (RunFacts.allocatorSettings), from the collector that set them. */
  allocatorSettings?: RunFacts['allocatorSettings'];
}

export function emptyProfile(run: RunFacts): Profile {
  return { run, processes: [], series: [], phases: [], markers: [], arenas: [], warnings: [] };
}

/** Adds a contribution to a profile in place, re-basing its phase parents. */
export function mergeContribution(profile: Profile, c: Contribution): void {
  if (c.phases?.length) {
    const base = profile.phases.length;
    for (const p of c.phases) profile.phases.push({ ...p, parent: p.parent === null ? null : p.parent + base });
  }
  if (c.series) profile.series.push(...c.series);
  if (c.markers) profile.markers.push(...c.markers);
  if (c.arenas) profile.arenas.push(...c.arenas);
  if (c.warnings) profile.warnings.push(...c.warnings);
  if (c.tools) Object.assign(profile.run.tools, c.tools);
  if (c.sources) for (const s of c.sources) if (!profile.run.sources.includes(s)) profile.run.sources.push(s);
  if (c.allocatorSettings) profile.run.allocatorSettings = c.allocatorSettings;
  for (const p of c.processes ?? []) {
    const known = profile.processes.find((q) => q.pid === p.pid);
    if (known) Object.assign(known, definedOnly(p));
    else
      profile.processes.push({
        ppid: null,
        argv: [],
        startMs: ms(0),
        endMs: null,
        peakRssBytes: null,
        ...definedOnly(p),
        pid: p.pid,
      });
  }
}

function definedOnly<T extends object>(o: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}

/** Accumulates samples into growable typed arrays without an array of objects per sample. */
export class SeriesBuilder {
  private t: Float64Array;
  private v: Float64Array;
  private n = 0;

  constructor(initialCapacity = 1024) {
    this.t = new Float64Array(initialCapacity);
    this.v = new Float64Array(initialCapacity);
  }

  get length(): number {
    return this.n;
  }

  push(tMs: Ms, bytes: Bytes): void {
    if (this.n === this.t.length) {
      const t = new Float64Array(this.n * 2);
      const v = new Float64Array(this.n * 2);
      t.set(this.t);
      v.set(this.v);
      this.t = t;
      this.v = v;
    }
    this.t[this.n] = tMs;
    this.v[this.n] = bytes;
    this.n++;
  }

  lastBytes(): Bytes | undefined {
    return this.n ? asBytes(this.v[this.n - 1]!) : undefined;
  }

  build(meta: Omit<MemorySeries, 'tMs' | 'bytes' | 'unit'>): MemorySeries {
    return { ...meta, unit: 'bytes', tMs: this.t.slice(0, this.n), bytes: this.v.slice(0, this.n) };
  }
}

/** Index of the last sample at or before `tMs`, or -1. Samples must ascend in time. */
export function sampleIndexAt(s: MemorySeries, tMs: Ms): number {
  let lo = 0;
  let hi = s.tMs.length - 1;
  let best = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (s.tMs[mid]! <= tMs) {
      best = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return best;
}

/** The value of a step series at `tMs` (the last sample at or before it), or undefined before the first. */
export function valueAt(s: MemorySeries, tMs: Ms): Bytes | undefined {
  const i = sampleIndexAt(s, tMs);
  return i < 0 ? undefined : asBytes(s.bytes[i]!);
}

/**
 * Gives every process that has phases but no single phase spanning its life (nor tsc's phases, whatever
 * they span) a root phase for the process itself (category `process`, named after its label), spanning from its start to its end,
 * with that process's root phases under it. So the time a process spends outside its compiler's
 * phases (start-up, exit, writing its report) still has a phase path, e.g. `tsc` rather than none.
 * Keeps parents before children.
 */
export function addProcessRootPhases(p: Profile, endMs: Ms): void {
  const rootsByPid = new Map<number, number[]>();
  p.phases.forEach((ph, i) => {
    if (ph.parent === null && ph.pid !== undefined) rootsByPid.set(ph.pid, [...(rootsByPid.get(ph.pid) ?? []), i]);
  });
  const wrappers: Phase[] = [];
  const wrapperOf = new Map<number, number>();
  for (const [pid, roots] of rootsByPid) {
    const proc = p.processes.find((q) => q.pid === pid);
    if (!proc) continue;
    const startMs = ms(Math.min(proc.startMs, ...roots.map((i) => p.phases[i]!.startMs)));
    const stopMs = ms(Math.max(proc.endMs ?? endMs, ...roots.map((i) => p.phases[i]!.endMs)));
    const lifeMs = stopMs - startMs;
    const single = roots.length === 1 ? p.phases[roots[0]!]! : undefined;
    // A program's own outermost phase (tsc's `Build`) covers 94 % of its process in one run and 96 % in
    // the next: it is always put under its process, so that identical builds give identical paths.
    if (single && single.category !== 'tsc' && single.endMs - single.startMs >= 0.95 * lifeMs) continue;
    wrapperOf.set(pid, wrappers.length);
    wrappers.push({
      name: proc.label ?? proc.argv[0] ?? `pid ${pid}`,
      parent: null,
      startMs,
      endMs: stopMs,
      pid,
      category: 'process',
    });
  }
  if (!wrappers.length) return;
  const shift = wrappers.length;
  p.phases = [
    ...wrappers,
    ...p.phases.map((ph) => ({
      ...ph,
      parent:
        ph.parent !== null
          ? ph.parent + shift
          : ph.pid !== undefined && wrapperOf.has(ph.pid)
            ? wrapperOf.get(ph.pid)!
            : null,
    })),
  ];
}
