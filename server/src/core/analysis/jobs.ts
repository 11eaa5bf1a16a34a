// The parallel-build view: the jobs of a build (one compile each: a translation unit, a crate, a tsc
// project, a bundler run), each with its own peak RSS and live heap, and which of them overlapped at
// the tree's peak with what each held then. It answers "what `-j` can my CI runner afford, and which
// crate or file needs the memory" (docs/parallel-builds.md).
//
// A job is one process of the build: a process whose phases are not nested inside another process's
// phase (the phase naming it is its translation unit or crate where there is one, else its outermost
// phase), or a compiler the profile has no phase of (cc1 under `--no-cc`, rustc without its collector).
// Pure: takes a profile, returns values. Imports no other analysis, so analyze.ts can call it.

import type { Bytes, MemorySeries, Ms, Phase, Profile, ProcessInfo, SeriesKind } from '../model';
import { sampleIndexAt } from '../model';
import { bytes, ms } from '../units';
import { ancestorsOf, selfAndAncestors } from './phase-ancestry';
import { recordedProcessName } from './recorded-process-name';

/** One job: a process of the build that compiled one thing. */
export interface JobRow {
  /** What it compiled: its translation unit or crate, else its outermost phase, else its process's name. */
  name: string;
  pid: number;
  /** The process's recorded name, e.g. "cc1 main.c", "rustc tokenizer". */
  process: string;
  /** The category of the phase naming it (`translation-unit`, `crate`, `process` …), or `compiler` without one. */
  kind: string;
  /** Index in `Profile.phases` of the phase naming it; absent for a compiler with no phase. */
  phaseIndex?: number;
  /** That phase's path, outermost first; empty without one. */
  phasePath: string[];
  /** Its time span: its process's life, widened to its phases. */
  startMs: Ms;
  endMs: Ms;
  /** Its process's own peak RSS: the kernel's high-water mark (VmHWM) where read, else the sampled maximum. */
  peakRssBytes: Bytes | null;
  peakRssSource: 'vmhwm' | 'sampled' | null;
  /** The peak of its process's live heap (allocator, or V8 after full GCs); null when none was measured (unknown). */
  liveHeapPeakBytes: Bytes | null;
  /** True when it was running at the tree's peak. */
  runningAtPeak: boolean;
  /** Its process's sampled RSS at the peak's tick; null when it was not running or not sampled then. */
  rssAtPeakBytes: Bytes | null;
  /** Its live heap at the peak; null when not running or none was measured. */
  liveHeapAtPeakBytes: Bytes | null;
}

/** The instant the overlap is taken at: the tree's peak (of RSS where sampled). */
export interface JobsInstant {
  atMs: Ms;
  bytes: Bytes;
  series: string;
  seriesName: string;
  seriesKind: SeriesKind;
}

export interface JobsView {
  /** Every job, most memory first (peak RSS, then live heap, then name). */
  jobs: JobRow[];
  /** The instant of the overlap; null when the profile has no memory series. */
  peak: JobsInstant | null;
  /** The jobs running at the peak, most held first (indices into `jobs`), and what they held together. */
  atPeak: { jobs: number[]; heldBytes: Bytes | null; shareOfPeak: number | null };
  /** The most jobs that ran at once (from their spans). */
  maxConcurrent: number;
  /** The sum of the `maxConcurrent` largest job peaks: what that many jobs at once need at worst. */
  largestTogetherBytes: Bytes | null;
}

/** Categories of a phase that stands for one compile. */
const JOB_CATEGORIES: ReadonlySet<string> = new Set(['translation-unit', 'crate']);

/** Compilers proper (not drivers): gcc's cc1 family, clang's -cc1, rustc compiling a crate. */
function isCompilerProcess(q: ProcessInfo): boolean {
  const base = q.argv[0]?.split('/').pop() ?? '';
  if (/^(cc1|cc1plus|cc1obj|cc1objplus|f951|lto1)$/.test(base)) return true;
  if (/^clang(\+\+)?(-\d+)?$/.test(base)) return q.argv[1] === '-cc1';
  // Cargo's probes (`rustc - --crate-name ___ --print=file-names`, `rustc -vV`) compile nothing.
  return base === 'rustc' && q.argv.includes('--crate-name') && !q.argv.some((a) => a.startsWith('--print'));
}

/** Series times are stored to the microsecond: a process seen within that of the peak's tick was running. */
const TIME_RESOLUTION_MS = 0.001;

const LIVE_KINDS: readonly SeriesKind[] = ['allocator-heap', 'js-live-heap'];

/**
 * The jobs of a parallel build with what each held; null for a build of fewer than two jobs. `peak`
 * is the instant the overlap is taken at (the tree's RSS peak; see analyze.ts).
 */
export function parallelJobs(p: Profile, peak: JobsInstant | null, depths: readonly number[]): JobsView | null {
  const phasesOf = new Map<number, number[]>();
  p.phases.forEach((ph, i) => {
    if (ph.pid !== undefined) pushTo(phasesOf, ph.pid, i);
  });
  const seriesOf = new Map<number, MemorySeries[]>();
  for (const s of p.series) if (s.pid !== undefined) pushTo(seriesOf, s.pid, s);
  const procOf = new Map<number, ProcessInfo>();
  for (const q of p.processes) if (!procOf.has(q.pid)) procOf.set(q.pid, q);

  const rows: JobRow[] = [];
  for (const [pid, own] of phasesOf) {
    const proc = procOf.get(pid);
    if (proc?.role === 'instrumentation') continue;
    const top = own.reduce((m, i) => Math.min(m, depths[i]!), Infinity);
    const outermost = own.filter((i) => depths[i] === top);
    // Phases nested in another process's phase (a linker under its crate) are part of that job.
    if (outermost.some((i) => ancestorsOf(p.phases, i).some((a) => otherPid(p.phases[a]!, pid)))) continue;
    const byStart = (a: number, b: number) => p.phases[a]!.startMs - p.phases[b]!.startMs;
    const named = own.filter((i) => JOB_CATEGORIES.has(p.phases[i]!.category ?? ''));
    const namedTop = named.reduce((m, i) => Math.min(m, depths[i]!), Infinity);
    const phaseIndex = named.length
      ? named.filter((i) => depths[i] === namedTop).sort(byStart)[0]!
      : outermost.sort(byStart)[0]!;
    const ph = p.phases[phaseIndex]!;
    rows.push(
      jobRow(p, pid, proc, seriesOf.get(pid) ?? [], peak, {
        name: ph.name,
        kind: ph.category ?? 'phase',
        phaseIndex,
        phasePath: selfAndAncestors(p.phases, phaseIndex)
          .map((i) => p.phases[i]!.name)
          .reverse(),
        startMs: own.reduce((m, i) => Math.min(m, p.phases[i]!.startMs), Infinity),
        endMs: own.reduce((m, i) => Math.max(m, p.phases[i]!.endMs), -Infinity),
      }),
    );
  }
  for (const q of procOf.values()) {
    if (phasesOf.has(q.pid) || q.role === 'instrumentation' || !isCompilerProcess(q)) continue;
    rows.push(
      jobRow(p, q.pid, q, seriesOf.get(q.pid) ?? [], peak, {
        name: crateName(q) ?? recordedProcessName(p.processes, q.pid) ?? `pid ${q.pid}`,
        kind: 'compiler',
        phasePath: [],
        startMs: q.startMs,
        endMs: q.endMs ?? p.run.wallMs,
      }),
    );
  }
  if (rows.length < 2) return null;

  rows.sort(
    (a, b) =>
      (b.peakRssBytes ?? -1) - (a.peakRssBytes ?? -1) ||
      (b.liveHeapPeakBytes ?? -1) - (a.liveHeapPeakBytes ?? -1) ||
      a.name.localeCompare(b.name) ||
      a.pid - b.pid,
  );
  const running = rows
    .map((_, i) => i)
    .filter((i) => rows[i]!.runningAtPeak)
    .sort((a, b) => (rows[b]!.rssAtPeakBytes ?? -1) - (rows[a]!.rssAtPeakBytes ?? -1) || a - b);
  const held = running.map((i) => rows[i]!.rssAtPeakBytes).filter((x): x is Bytes => x !== null);
  const heldBytes = held.length ? bytes(held.reduce((s, x) => s + x, 0)) : null;
  const maxConcurrent = mostAtOnce(rows);
  const peaks = rows.map((r) => r.peakRssBytes).filter((x): x is Bytes => x !== null);
  return {
    jobs: rows,
    peak: peak && {
      atMs: peak.atMs,
      bytes: peak.bytes,
      series: peak.series,
      seriesName: peak.seriesName,
      seriesKind: peak.seriesKind,
    },
    atPeak: {
      jobs: running,
      heldBytes,
      shareOfPeak: heldBytes !== null && peak && peak.bytes > 0 ? heldBytes / peak.bytes : null,
    },
    maxConcurrent,
    largestTogetherBytes: peaks.length ? bytes(peaks.slice(0, maxConcurrent).reduce((s, x) => s + x, 0)) : null,
  };
}

function pushTo<T>(map: Map<number, T[]>, key: number, value: T): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

function otherPid(ph: Phase, pid: number): boolean {
  return ph.pid !== undefined && ph.pid !== pid;
}

function crateName(q: ProcessInfo): string | undefined {
  const i = q.argv.indexOf('--crate-name');
  return i >= 0 ? q.argv[i + 1] : undefined;
}

function jobRow(
  p: Profile,
  pid: number,
  proc: ProcessInfo | undefined,
  series: MemorySeries[],
  peak: JobsInstant | null,
  job: Pick<JobRow, 'name' | 'kind' | 'phaseIndex' | 'phasePath'> & { startMs: number; endMs: number },
): JobRow {
  const startMs = Math.min(job.startMs, proc?.startMs ?? Infinity);
  const endMs = Math.max(job.endMs, proc ? (proc.endMs ?? p.run.wallMs) : -Infinity);
  const rss = series.filter((s) => s.kind === 'rss-process');
  const live = series.filter((s) => LIVE_KINDS.includes(s.kind));
  let peakRssBytes = proc?.peakRssBytes ?? null;
  let peakRssSource: JobRow['peakRssSource'] = peakRssBytes === null ? null : (proc?.peakRssSource ?? 'sampled');
  if (peakRssBytes === null) {
    peakRssBytes = maxOf(rss);
    if (peakRssBytes !== null) peakRssSource = 'sampled';
  }
  const runningAtPeak =
    peak !== null && startMs - TIME_RESOLUTION_MS <= peak.atMs && peak.atMs <= endMs + TIME_RESOLUTION_MS;
  return {
    name: job.name,
    pid,
    process: recordedProcessName(p.processes, pid) ?? `pid ${pid}`,
    kind: job.kind,
    ...(job.phaseIndex !== undefined ? { phaseIndex: job.phaseIndex } : {}),
    phasePath: job.phasePath,
    startMs: ms(startMs),
    endMs: ms(endMs),
    peakRssBytes,
    peakRssSource,
    liveHeapPeakBytes: maxOf(live),
    runningAtPeak,
    rssAtPeakBytes: runningAtPeak ? sampledAt(rss, peak!.atMs) : null,
    liveHeapAtPeakBytes: runningAtPeak ? sampledAt(live, peak!.atMs) : null,
  };
}

function maxOf(series: MemorySeries[]): Bytes | null {
  let best: number | null = null;
  for (const s of series)
    for (let i = 0; i < s.bytes.length; i++) if (best === null || s.bytes[i]! > best) best = s.bytes[i]!;
  return best === null ? null : bytes(best);
}

/**
 * The value in force at `tMs`: of the series (a pid's, before and after an exec) whose last sample at
 * or before it is the latest; null before any sample.
 */
function sampledAt(series: MemorySeries[], tMs: Ms): Bytes | null {
  let best: { t: number; v: number } | null = null;
  for (const s of series) {
    const i = sampleIndexAt(s, ms(tMs + TIME_RESOLUTION_MS));
    if (i >= 0 && (best === null || s.tMs[i]! >= best.t)) best = { t: s.tMs[i]!, v: s.bytes[i]! };
  }
  return best === null ? null : bytes(best.v);
}

/** The most spans open at one instant (a span ending as another starts does not overlap it). */
function mostAtOnce(rows: readonly JobRow[]): number {
  const edges = rows.flatMap((r) => [
    [r.startMs, 1],
    [r.endMs, -1],
  ]) as [number, number][];
  edges.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let open = 0;
  let most = 0;
  for (const [, d] of edges) most = Math.max(most, (open += d));
  return most;
}
