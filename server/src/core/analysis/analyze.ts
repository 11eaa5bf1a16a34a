// The analysis of one profile: the global peak and the phase that holds it, and the per-phase table.
// Pure: takes a Profile, returns values. Used by the CLI, the language server and the report.

import type { Bytes, MemorySeries, Ms, Phase, ProcessInfo, Profile, RunStatus, SeriesKind, Warning } from '../model';
import { sampleIndexAt, valueAt } from '../model';
import { bytes, formatBytes, ms } from '../units';
import type { AllocationSite } from '../heap/allocation-site';
import { peakSiteOf } from '../heap/allocation-site';
import type { ArenaRow, ArenasAtPeak } from './arenas';
import { arenaEventsPerPhase, arenaRows, arenasAtPeak, freedRightAfterTest } from './arenas';
import type { JobsView } from './jobs';
import { parallelJobs } from './jobs';
import type { DurationRow } from './durations';
import { DurationsTable } from './durations';
import { ancestorsOf, selfAndAncestors } from './phase-ancestry';
import { type ProcessKind, processKind } from './process-kind';

export type { ArenaRow, ArenasAtPeak } from './arenas';
export type { JobRow, JobsView } from './jobs';
export type { DurationRow } from './durations';

export interface Peak {
  bytes: Bytes;
  atMs: Ms;
  /** Series id, e.g. `rss-tree`. */
  series: string;
  seriesName: string;
  seriesKind: SeriesKind;
  /** The process holding the most memory at the peak, where per-process series exist. */
  pid?: number;
  /** Names of the phases holding the peak, outermost first; empty when no phase covers it. */
  phasePath: string[];
  /** Index in `Profile.phases` of the innermost phase holding the peak. */
  phaseIndex?: number;
  /**
   * Set when the peak falls after the last phase of its process (at exit, or while it wrote its
   * output): the path of that last phase. The peak is then "at exit, after X", never the bare process.
   */
  afterPhasePath?: string[];
  /**
   * Set when phases placed by guess (durations without time stamps, see `placedByGuess`) cover the
   * peak inside the phase named: they are not given it, and the headline says what was not timed.
   */
  untimedInside?: 'passes' | 'phases';
}

/** What a peak measures: the live heap (what the program holds) or retained memory (what the OS gave it). */
export type PeakMeasure = 'live-heap' | 'retained';

/** One row per phase path: spans with the same path (tsc's 308 Parse spans) add up into one row. */
export interface PhaseRow {
  name: string;
  path: string[];
  /** How many spans the row sums up. */
  count: number;
  pid?: number;
  startMs: Ms;
  /** Sum of the spans' durations. */
  durationMs: Ms;
  /** Duration minus the time covered by child phases. */
  selfMs: Ms;
  /** Memory of `memSeries` at the start of the first span and at the end of the last. */
  memStartBytes: Bytes | null;
  memEndBytes: Bytes | null;
  /** Sum over the spans of (memory at end − memory at start): what the phase itself added. */
  memDeltaBytes: Bytes | null;
  /** The highest sample of `memSeries` inside the spans (not only at their boundaries). */
  memPeakBytes: Bytes | null;
  /** Memory at the boundaries as the compiler itself reported it (first start, last end, summed change), and what it measures. */
  reportedStartBytes: Bytes | null;
  reportedEndBytes: Bytes | null;
  reportedDeltaBytes: Bytes | null;
  reportedKind: SeriesKind | null;
  /** memPeakBytes / the global peak. */
  shareOfPeak: number | null;
  /** The sampled series memStart/End/Delta/Peak come from: the phase's process RSS, else the peak's series; null when there is none. */
  memSeries: string | null;
  /** True when the global peak falls inside one of this row's spans. */
  holdsPeak: boolean;
  /** Arenas created and freed while this row's spans were the innermost phase of their process. */
  arenasCreated: number;
  arenasFreed: number;
  /**
   * True when a span of this path was placed by guess (`placedByGuess`): its duration is the source's
   * total, its start, end and the memory sampled inside it are not measured.
   */
  placedByGuess: boolean;
  /** The parts of the phase known only by duration (`Phase.durations`), summed over the spans. */
  durations?: DurationRow[];
}

export interface SeriesRow {
  id: string;
  name: string;
  kind: SeriesKind;
  pid?: number;
  /** What the series' process is (process-kind.ts); absent for the tree's totals and series of no process. */
  processKind?: ProcessKind;
  samples: number;
  maxBytes: Bytes | null;
  maxAtMs: Ms | null;
}

export interface Analysis {
  status: RunStatus;
  statusReason?: string;
  exitCode: number | null;
  signal: string | null;
  command: string[];
  /** For imported profiles: the files they were read from. */
  importedFrom?: string[];
  wallMs: Ms;
  /**
   * The headline peak: of the live heap where a live-heap series exists (the allocator's, or V8's
   * after full GCs), else of retained memory (RSS, or the most telling heap there is).
   */
  peak: Peak | null;
  /** The peak of retained memory (RSS) beside a live-heap headline; null when the headline is already it or there is none. */
  retainedPeak: Peak | null;
  /**
   * Why a live heap that was measured does not lead: the processes it missed, with their RSS peaks
   * (e.g. "rustc (pid 4242) 312.0 MiB"); null when it leads or there is none.
   */
  liveHeapPartial: string | null;
  phases: PhaseRow[];
  series: SeriesRow[];
  /** Every arena, ranked: held past their last use first (largest saving first), then by bytes at the peak. */
  arenas: ArenaRow[];
  /** The arenas live at the peak; null without a peak or without arenas. */
  arenasAtPeak: ArenasAtPeak | null;
  /**
   * What is live at the peak, by allocation site, as the heap profiler saw it at its own peak (massif's
   * peak snapshot, heaptrack's peak, DHAT's t-gmax), biggest first: of the peak's process where it has
   * them. Empty without a heap profile.
   */
  peakSites: (AllocationSite & { pid?: number })[];
  /**
   * A parallel build's jobs (one compile each), their own peaks, and which overlapped at the tree's
   * RSS peak with what each held (jobs.ts); null for a build of fewer than two jobs.
   */
  jobs: JobsView | null;
  warnings: Warning[];
}

/** Sample times are stored to the microsecond (profile-file.ts): a sample within that of a phase's edge is inside it. */
const TIME_RESOLUTION_MS = 0.001;

/**
 * Series of the live heap: what the program holds, freed memory excluded. The allocator's count (cmi's
 * heap library, massif, heaptrack, DHAT) and V8's heap right after a full GC.
 */
const LIVE_HEAP_KINDS: readonly SeriesKind[] = ['allocator-heap', 'js-live-heap'];

/** The series whose maximum is the retained peak: the whole tree's RSS when sampled, else the most telling figure. */
const RETAINED_KIND_ORDER: readonly SeriesKind[] = ['rss-tree', 'rss-process', 'js-heap', 'compiler-reported'];

export function isLiveHeapKind(kind: SeriesKind): boolean {
  return LIVE_HEAP_KINDS.includes(kind);
}

export function peakMeasure(kind: SeriesKind): PeakMeasure {
  return isLiveHeapKind(kind) ? 'live-heap' : 'retained';
}

export function seriesMax(s: MemorySeries): { bytes: Bytes; atMs: Ms; index: number } | null {
  if (s.bytes.length === 0) return null;
  let best = 0;
  for (let i = 1; i < s.bytes.length; i++) if (s.bytes[i]! > s.bytes[best]!) best = i;
  return { bytes: bytes(s.bytes[best]!), atMs: ms(s.tMs[best]!), index: best };
}

function largest(candidates: MemorySeries[]): MemorySeries | undefined {
  if (candidates.length === 0) return undefined;
  return candidates.reduce((a, b) => ((seriesMax(b)?.bytes ?? 0) > (seriesMax(a)?.bytes ?? 0) ? b : a));
}

/**
 * The series of the headline peak: the largest live-heap series, else the retained one. A live heap
 * that misses processes holding much memory (rustc's allocator is its own, a statically linked one is
 * invisible) is no headline: then the retained series leads.
 */
export function primarySeries(p: Profile): MemorySeries | undefined {
  const live = p.series.filter((s) => isLiveHeapKind(s.kind) && s.bytes.length > 0);
  if (live.length && liveHeapBlindSpots(p).length === 0) return largest(live);
  return retainedSeries(p) ?? largest(live);
}

/** Share of the RSS peak above which the processes a live heap misses make it partial. */
const BLIND_SHARE = 0.1;

/**
 * The build's processes without a live-heap series of their own (allocator or V8) whose RSS peaks
 * add up to more than a tenth of the tree's RSS peak, biggest first; empty when the live heap sees
 * the build, or there is no live heap or no RSS to judge by.
 */
export function liveHeapBlindSpots(p: Profile): ProcessInfo[] {
  const seen = new Set(p.series.filter((s) => isLiveHeapKind(s.kind) && s.pid !== undefined).map((s) => s.pid));
  if (seen.size === 0) return [];
  const rss = retainedSeries(p);
  const rssPeak = rss && (rss.kind === 'rss-tree' || rss.kind === 'rss-process') ? seriesMax(rss)?.bytes : undefined;
  if (!rssPeak) return [];
  const blind = p.processes
    .filter((q) => q.role !== 'instrumentation' && !seen.has(q.pid) && (q.peakRssBytes ?? 0) > 0)
    .sort((a, b) => (b.peakRssBytes ?? 0) - (a.peakRssBytes ?? 0));
  const total = blind.reduce((sum, q) => sum + (q.peakRssBytes ?? 0), 0);
  return total > BLIND_SHARE * rssPeak ? blind : [];
}

/** The series of the retained peak: the tree's RSS, else a process's, else the most telling figure there is. */
export function retainedSeries(p: Profile): MemorySeries | undefined {
  for (const kind of RETAINED_KIND_ORDER) {
    const found = largest(p.series.filter((s) => s.kind === kind && s.bytes.length > 0));
    if (found) return found;
  }
  return undefined;
}

export function phaseDepths(phases: Phase[]): number[] {
  const depth = new Array<number>(phases.length);
  for (let i = 0; i < phases.length; i++) {
    const parent = phases[i]!.parent;
    depth[i] = parent === null || parent >= i || parent < 0 ? 0 : (depth[parent] ?? 0) + 1;
  }
  return depth;
}

export function phasePath(phases: Phase[], index: number): string[] {
  return selfAndAncestors(phases, index)
    .map((i) => phases[i]!.name)
    .reverse();
}

/**
 * Whether a phase's start and end were laid out by the tool from durations alone (gcc's
 * -ftime-report, esbuild --timing, tsc --diagnostics, rollup --perf, Voyd's totals: the importer
 * marks them `args.reconstructed`). Such a phase never receives a peak: its place in time is a
 * guess, so the peak goes to the timed phase around it.
 */
export function placedByGuess(ph: Phase): boolean {
  return ph.args?.reconstructed === true;
}

/**
 * The innermost timed phase that contains `tMs`: of process `pid` when given (else of no process in
 * particular), never of another process.
 */
export function innermostPhaseAt(
  p: Profile,
  tMs: Ms,
  pid?: number,
  depths = phaseDepths(p.phases),
): number | undefined {
  const containing: number[] = [];
  for (let i = 0; i < p.phases.length; i++) {
    const ph = p.phases[i]!;
    if (placedByGuess(ph)) continue;
    if (ph.startMs - TIME_RESOLUTION_MS <= tMs && tMs <= ph.endMs + TIME_RESOLUTION_MS) containing.push(i);
  }
  const pick = (list: number[]) =>
    list.reduce<number | undefined>((best, i) => {
      if (best === undefined) return i;
      const d = depths[i]! - depths[best]!;
      return d > 0 || (d === 0 && p.phases[i]!.startMs > p.phases[best]!.startMs) ? i : best;
    }, undefined);
  if (pid === undefined) return pick(containing);
  // Another process's phase never holds this process's peak (under make -j2, the compile that ended
  // 0.5 ms before the peak is not the one running beside it); phases with no process can.
  const own = pick(containing.filter((i) => p.phases[i]!.pid === pid));
  return own ?? pick(containing.filter((i) => p.phases[i]!.pid === undefined));
}

/** The headline peak (of the live heap where there is one; see `Analysis.peak`). */
export function findPeak(p: Profile, depths = phaseDepths(p.phases)): Peak | null {
  const primary = primarySeries(p);
  return primary ? peakOf(p, primary, depths) : null;
}

/** The retained (RSS) peak, when the headline peak is of the live heap; else null. */
export function findRetainedPeak(p: Profile, headline: Peak | null, depths = phaseDepths(p.phases)): Peak | null {
  if (!headline || !isLiveHeapKind(headline.seriesKind)) return null;
  const retained = retainedSeries(p);
  return retained ? peakOf(p, retained, depths) : null;
}

/** The maximum of one series, with the process and the phases holding it. */
export function peakOf(p: Profile, primary: MemorySeries, depths = phaseDepths(p.phases)): Peak | null {
  const max = seriesMax(primary);
  if (!max) return null;
  let pid = primary.pid;
  if (pid === undefined) {
    // Which process held the most at that moment, in the same measure where there are per-process series of it?
    const perProcess = primary.kind === 'rss-tree' ? 'rss-process' : primary.kind;
    let most = -1;
    for (const s of p.series) {
      if (s.kind !== perProcess || s.pid === undefined) continue;
      const v = valueAt(s, max.atMs) ?? -1;
      if (v > most) {
        most = v;
        pid = s.pid;
      }
    }
  }
  let phaseIndex = innermostPhaseAt(p, max.atMs, pid, depths);
  const after = pid === undefined ? undefined : lastPhaseBefore(p, max.atMs, pid, phaseIndex, depths);
  if (after === undefined && phaseIndex !== undefined) phaseIndex = endedJustBefore(p, max.atMs, phaseIndex, depths);
  const untimed = phaseIndex === undefined ? undefined : untimedInside(p, phaseIndex);
  return {
    bytes: max.bytes,
    atMs: max.atMs,
    series: primary.id,
    seriesName: primary.name,
    seriesKind: primary.kind,
    ...(pid !== undefined ? { pid } : {}),
    phasePath: phaseIndex === undefined ? [] : phasePath(p.phases, phaseIndex),
    ...(phaseIndex !== undefined ? { phaseIndex } : {}),
    ...(after !== undefined ? { afterPhasePath: phasePath(p.phases, after) } : {}),
    ...(untimed ? { untimedInside: untimed } : {}),
  };
}

/**
 * What phase `i` holds that was not timed: parts known only by duration (its `durations` table when
 * it has no timed child, as gcc's report without the plugin), or children placed by guess; gcc's
 * passes, or another format's phases; else none.
 */
function untimedInside(p: Profile, i: number): Peak['untimedInside'] {
  const ph = p.phases[i]!;
  const gcc = (q: Phase) => q.category === 'translation-unit' || !!q.category?.startsWith('gcc-');
  if (ph.durations?.length && !p.phases.some((q, j) => j > i && q.parent === i && !placedByGuess(q)))
    return gcc(ph) ? 'passes' : 'phases';
  for (let j = i + 1; j < p.phases.length; j++) {
    const ph = p.phases[j]!;
    if (ph.parent === i && placedByGuess(ph)) return ph.category?.startsWith('gcc-') ? 'passes' : 'phases';
  }
  return undefined;
}

/**
 * When `tMs` falls in a gap between two child phases of phase `covering` (no child covers it, one
 * ended before it and one begins after it): the phase that ended last before it, deepest on ties.
 * What is alive in the gap is what that phase left. Else `covering` itself.
 */
function endedJustBefore(p: Profile, tMs: Ms, covering: number, depths: number[]): number {
  const parent = p.phases[covering]!;
  let before: number | undefined;
  let later = false;
  for (let i = covering + 1; i < p.phases.length; i++) {
    const ph = p.phases[i]!;
    if (ph.pid !== parent.pid || placedByGuess(ph) || depths[i]! <= depths[covering]! || !descendsFrom(p, i, covering))
      continue;
    if (ph.startMs > tMs + TIME_RESOLUTION_MS) later = true;
    else if (ph.endMs < tMs - TIME_RESOLUTION_MS) {
      const b = before === undefined ? undefined : p.phases[before]!;
      if (!b || ph.endMs > b.endMs || (ph.endMs === b.endMs && depths[i]! > depths[before!]!)) before = i;
    } else return covering; // a child covers it after all
  }
  return later && before !== undefined ? before : covering;
}

function descendsFrom(p: Profile, i: number, ancestor: number): boolean {
  return ancestorsOf(p.phases, i).includes(ancestor);
}

/**
 * When `tMs` falls after every phase of process `pid` but its outermost (the process's own span, or
 * none at all): the last of those phases to end, deepest on ties. Undefined when a phase below the
 * outermost still covers `tMs`, or the process has no such phase.
 */
function lastPhaseBefore(
  p: Profile,
  tMs: Ms,
  pid: number,
  covering: number | undefined,
  depths: number[],
): number | undefined {
  if (covering !== undefined && (depths[covering]! > 0 || p.phases[covering]!.pid !== pid)) return undefined;
  let last: number | undefined;
  for (let i = 0; i < p.phases.length; i++) {
    const ph = p.phases[i]!;
    if (ph.pid !== pid || i === covering || depths[i] === 0 || placedByGuess(ph)) continue;
    if (ph.endMs > tMs + TIME_RESOLUTION_MS) return undefined;
    if (
      last === undefined ||
      ph.endMs > p.phases[last]!.endMs ||
      (ph.endMs === p.phases[last]!.endMs && depths[i]! > depths[last]!)
    )
      last = i;
  }
  if (last === undefined && covering === undefined) {
    // No outermost span: the process's own phases are all roots.
    for (let i = 0; i < p.phases.length; i++) {
      const ph = p.phases[i]!;
      if (ph.pid !== pid || placedByGuess(ph)) continue;
      if (ph.endMs > tMs + TIME_RESOLUTION_MS) return undefined;
      if (last === undefined || ph.endMs > p.phases[last]!.endMs) last = i;
    }
  }
  return last;
}

function partialText(p: Profile): string | null {
  const blind = liveHeapBlindSpots(p);
  if (!blind.length) return null;
  const named = blind
    .slice(0, 3)
    .map((q) => `${q.label ?? q.argv[0] ?? 'process'} (pid ${q.pid}) ${formatBytes(q.peakRssBytes ?? 0)}`);
  const more = blind.length > 3 ? ` and ${blind.length - 3} more` : '';
  return `the live heap was not seen in ${named.join(', ')}${more} (an allocator of their own, or one linked into the program): the peak is of RSS`;
}

function peakSites(p: Profile, peak: Peak | null): Analysis['peakSites'] {
  const all = p.markers.flatMap((m) => {
    const site = peakSiteOf(m);
    return site ? [{ ...site, ...(m.pid !== undefined ? { pid: m.pid } : {}) }] : [];
  });
  const own = peak?.pid === undefined ? [] : all.filter((s) => s.pid === peak.pid);
  return (own.length ? own : all).sort((a, b) => b.bytes - a.bytes);
}

/** The highest sample within [startMs, endMs], counting the value in force at startMs. */
export function maxInRange(s: MemorySeries, startMs: Ms, endMs: Ms): Bytes | undefined {
  let i = sampleIndexAt(s, startMs);
  let best: number | undefined = i >= 0 ? s.bytes[i] : undefined;
  for (i = Math.max(i + 1, 0); i < s.tMs.length && s.tMs[i]! <= endMs + TIME_RESOLUTION_MS; i++) {
    if (best === undefined || s.bytes[i]! > best) best = s.bytes[i]!;
  }
  return best === undefined ? undefined : bytes(best);
}

function maxDefined(...xs: (Bytes | undefined)[]): Bytes | undefined {
  const d = xs.filter((x): x is Bytes => x !== undefined);
  return d.length ? bytes(Math.max(...d)) : undefined;
}

function addNullable(a: Bytes | null, b: Bytes | null): Bytes | null {
  return a === null ? b : b === null ? a : bytes(a + b);
}

/** Time covered by the union of intervals, clipped to [lo, hi]. */
function coveredMs(intervals: [Ms, Ms][], lo: Ms, hi: Ms): Ms {
  const clipped = intervals
    .map(([a, b]) => [Math.max(a, lo), Math.min(b, hi)] as [number, number])
    .filter(([a, b]) => b > a);
  clipped.sort((x, y) => x[0] - y[0]);
  let total = 0;
  let curA = -Infinity;
  let curB = -Infinity;
  for (const [a, b] of clipped) {
    if (a > curB) {
      if (curB > curA) total += curB - curA;
      curA = a;
      curB = b;
    } else if (b > curB) curB = b;
  }
  if (curB > curA) total += curB - curA;
  return ms(total);
}

export function analyze(p: Profile): Analysis {
  const depths = phaseDepths(p.phases);
  const peak = findPeak(p, depths);
  const retainedPeak = findRetainedPeak(p, peak, depths);
  const primary = peak ? p.series.find((s) => s.id === peak.series) : undefined;
  // A phase's figures come from its own process's series: of the headline's measure where the process
  // has one (its live heap), else its RSS; without either, from the headline's series.
  const processSeries = new Map<number, MemorySeries>();
  for (const s of p.series) if (s.kind === 'rss-process' && s.pid !== undefined) processSeries.set(s.pid, s);
  if (primary && isLiveHeapKind(primary.kind))
    for (const s of p.series) if (s.kind === primary.kind && s.pid !== undefined) processSeries.set(s.pid, s);
  const sameMeasure = new Set(
    p.series.filter((s) => primary && peakMeasure(s.kind) === peakMeasure(primary.kind)).map((s) => s.id),
  );

  const children = new Map<number, number[]>();
  p.phases.forEach((ph, i) => {
    if (ph.parent !== null) {
      const list = children.get(ph.parent) ?? [];
      list.push(i);
      children.set(ph.parent, list);
    }
  });

  // Ancestors of the phase holding the peak hold it too.
  const holding = new Set(selfAndAncestors(p.phases, peak?.phaseIndex));

  const phaseAt = (tMs: Ms, pid?: number) => innermostPhaseAt(p, tMs, pid, depths);
  const arenaEvents = arenaEventsPerPhase(p, phaseAt);

  const rows = new Map<string, PhaseRow>();
  const durations = new Map<PhaseRow, DurationsTable>();
  p.phases.forEach((ph, i) => {
    const created = arenaEvents.created.get(i) ?? 0;
    const freed = arenaEvents.freed.get(i) ?? 0;
    const path = phasePath(p.phases, i);
    const key = path.join('\u0000');
    const durationMs = ms(Math.max(0, ph.endMs - ph.startMs));
    const kids = (children.get(i) ?? []).map((c) => [p.phases[c]!.startMs, p.phases[c]!.endMs] as [Ms, Ms]);
    const selfMs = ms(durationMs - coveredMs(kids, ph.startMs, ph.endMs));
    const memSeries = (ph.pid !== undefined ? processSeries.get(ph.pid) : undefined) ?? primary;
    // Sampled figures, all from one series; without any series, what the compiler reported stands in.
    const memStart = (memSeries ? valueAt(memSeries, ph.startMs) : ph.memStartBytes) ?? null;
    const memEnd = (memSeries ? valueAt(memSeries, ph.endMs) : ph.memEndBytes) ?? null;
    const memPeak =
      (memSeries ? maxInRange(memSeries, ph.startMs, ph.endMs) : maxDefined(ph.memStartBytes, ph.memEndBytes)) ?? null;
    const memDelta = memStart !== null && memEnd !== null ? bytes(memEnd - memStart) : null;
    const repStart = ph.memStartBytes ?? null;
    const repEnd = ph.memEndBytes ?? null;
    const repDelta = repStart !== null && repEnd !== null ? bytes(repEnd - repStart) : null;
    let row = rows.get(key);
    if (!row) {
      row = {
        name: ph.name,
        path,
        count: 1,
        ...(ph.pid !== undefined ? { pid: ph.pid } : {}),
        startMs: ph.startMs,
        durationMs,
        selfMs,
        memStartBytes: memStart,
        memEndBytes: memEnd,
        memDeltaBytes: memDelta,
        memPeakBytes: memPeak,
        reportedStartBytes: repStart,
        reportedEndBytes: repEnd,
        reportedDeltaBytes: repDelta,
        reportedKind: repStart !== null || repEnd !== null ? (ph.memKind ?? 'compiler-reported') : null,
        shareOfPeak: null,
        memSeries: memSeries?.id ?? null,
        holdsPeak: holding.has(i),
        arenasCreated: created,
        arenasFreed: freed,
        placedByGuess: placedByGuess(ph),
      };
      rows.set(key, row);
    } else {
      row.count++;
      row.durationMs = ms(row.durationMs + durationMs);
      row.selfMs = ms(row.selfMs + selfMs);
      if (ph.startMs < row.startMs) {
        row.startMs = ph.startMs;
        row.memStartBytes = memStart;
        row.reportedStartBytes = repStart;
      } else {
        row.memEndBytes = memEnd ?? row.memEndBytes;
        row.reportedEndBytes = repEnd ?? row.reportedEndBytes;
      }
      row.memDeltaBytes = addNullable(row.memDeltaBytes, memDelta);
      row.reportedDeltaBytes = addNullable(row.reportedDeltaBytes, repDelta);
      if (memPeak !== null && (row.memPeakBytes === null || memPeak > row.memPeakBytes)) row.memPeakBytes = memPeak;
      if (row.pid !== ph.pid) delete row.pid;
      row.holdsPeak ||= holding.has(i);
      row.arenasCreated += created;
      row.arenasFreed += freed;
      row.placedByGuess ||= placedByGuess(ph);
    }
    if (ph.durations?.length) {
      const table = durations.get(row) ?? new DurationsTable();
      table.add(ph.durations);
      durations.set(row, table);
    }
  });
  for (const [row, table] of durations) {
    const list = table.result(row.durationMs);
    if (list) row.durations = list;
  }
  const phases = [...rows.values()];
  // A share of the peak only in the peak's own measure: a phase's RSS is no share of a live heap.
  if (peak)
    for (const r of phases)
      r.shareOfPeak =
        r.memPeakBytes === null || r.memSeries === null || !sameMeasure.has(r.memSeries)
          ? null
          : r.memPeakBytes / peak.bytes;

  const series: SeriesRow[] = p.series.map((s) => {
    const m = seriesMax(s);
    const proc = s.pid === undefined || s.kind === 'rss-tree' ? undefined : p.processes.find((q) => q.pid === s.pid);
    return {
      id: s.id,
      name: s.name,
      kind: s.kind,
      ...(s.pid !== undefined ? { pid: s.pid } : {}),
      ...(proc ? { processKind: processKind(proc) } : {}),
      samples: s.tMs.length,
      maxBytes: m?.bytes ?? null,
      maxAtMs: m?.atMs ?? null,
    };
  });

  // One index of what each process did, for both the rows and the predicted peak.
  const freedRightAfter = freedRightAfterTest(p);
  const arenas = arenaRows(p, peak, phaseAt, (i) => phasePath(p.phases, i), freedRightAfter);

  return {
    status: p.run.status,
    ...(p.run.statusReason ? { statusReason: p.run.statusReason } : {}),
    exitCode: p.run.exitCode,
    signal: p.run.signal,
    command: p.run.command,
    ...(p.run.importedFrom ? { importedFrom: p.run.importedFrom } : {}),
    wallMs: p.run.wallMs,
    peak,
    retainedPeak,
    liveHeapPartial: partialText(p),
    phases,
    series,
    arenas,
    arenasAtPeak: arenasAtPeak(p, peak, arenas, freedRightAfter),
    peakSites: peakSites(p, peak),
    // At the tree's RSS peak: what a CI runner's memory limit is about.
    jobs: parallelJobs(p, retainedPeak ?? peak, depths),
    warnings: p.warnings,
  };
}
