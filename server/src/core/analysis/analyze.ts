// The analysis of one profile: the global peak and the phase that holds it, and the per-phase table.
// Pure: takes a Profile, returns values. Used by the CLI, the language server and the report.

import type { Bytes, MemorySeries, Ms, Phase, Profile, RunStatus, SeriesKind, Warning } from '../model';
import { sampleIndexAt, valueAt } from '../model';
import { bytes, ms } from '../units';
import type { ArenaRow, ArenasAtPeak } from './arenas';
import { arenaEventsPerPhase, arenaRows, arenasAtPeak, freedRightAfterTest } from './arenas';

export type { ArenaRow, ArenasAtPeak } from './arenas';

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
}

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
}

export interface SeriesRow {
  id: string;
  name: string;
  kind: SeriesKind;
  pid?: number;
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
  peak: Peak | null;
  phases: PhaseRow[];
  series: SeriesRow[];
  /** Every arena, ranked: held past their last use first (largest saving first), then by bytes at the peak. */
  arenas: ArenaRow[];
  /** The arenas live at the peak; null without a peak or without arenas. */
  arenasAtPeak: ArenasAtPeak | null;
  warnings: Warning[];
}

/** Sample times are stored to the microsecond (profile-file.ts): a sample within that of a phase's edge is inside it. */
const TIME_RESOLUTION_MS = 0.001;

/** The series whose maximum is "the peak": the whole tree's RSS when sampled, else the most telling heap. */
const PEAK_KIND_ORDER: SeriesKind[] = ['rss-tree', 'allocator-heap', 'rss-process', 'js-heap', 'compiler-reported'];

export function seriesMax(s: MemorySeries): { bytes: Bytes; atMs: Ms; index: number } | null {
  if (s.bytes.length === 0) return null;
  let best = 0;
  for (let i = 1; i < s.bytes.length; i++) if (s.bytes[i]! > s.bytes[best]!) best = i;
  return { bytes: bytes(s.bytes[best]!), atMs: ms(s.tMs[best]!), index: best };
}

export function primarySeries(p: Profile): MemorySeries | undefined {
  for (const kind of PEAK_KIND_ORDER) {
    const candidates = p.series.filter((s) => s.kind === kind && s.bytes.length > 0);
    if (candidates.length === 0) continue;
    return candidates.reduce((a, b) => ((seriesMax(b)?.bytes ?? 0) > (seriesMax(a)?.bytes ?? 0) ? b : a));
  }
  return undefined;
}

export function phaseDepths(phases: Phase[]): number[] {
  const depth = new Array<number>(phases.length);
  for (let i = 0; i < phases.length; i++) {
    const parent = phases[i]!.parent;
    depth[i] = parent === null || parent >= i ? 0 : depth[parent]! + 1;
  }
  return depth;
}

export function phasePath(phases: Phase[], index: number): string[] {
  const names: string[] = [];
  for (let i: number | null = index; i !== null && names.length <= phases.length; i = phases[i]!.parent)
    names.push(phases[i]!.name);
  return names.reverse();
}

/** The innermost phase that contains `tMs`, preferring phases of process `pid`. */
export function innermostPhaseAt(
  p: Profile,
  tMs: Ms,
  pid?: number,
  depths = phaseDepths(p.phases),
): number | undefined {
  const containing: number[] = [];
  for (let i = 0; i < p.phases.length; i++) {
    const ph = p.phases[i]!;
    if (ph.startMs - TIME_RESOLUTION_MS <= tMs && tMs <= ph.endMs + TIME_RESOLUTION_MS) containing.push(i);
  }
  const pick = (list: number[]) =>
    list.reduce<number | undefined>((best, i) => {
      if (best === undefined) return i;
      const d = depths[i]! - depths[best]!;
      return d > 0 || (d === 0 && p.phases[i]!.startMs > p.phases[best]!.startMs) ? i : best;
    }, undefined);
  if (pid !== undefined) {
    const own = pick(containing.filter((i) => p.phases[i]!.pid === pid));
    if (own !== undefined) return own;
  }
  return pick(containing);
}

export function findPeak(p: Profile, depths = phaseDepths(p.phases)): Peak | null {
  const primary = primarySeries(p);
  if (!primary) return null;
  const max = seriesMax(primary)!;
  let pid = primary.pid;
  if (pid === undefined) {
    // Which process held the most at that moment?
    let most = -1;
    for (const s of p.series) {
      if (s.kind !== 'rss-process' || s.pid === undefined) continue;
      const v = valueAt(s, max.atMs) ?? -1;
      if (v > most) {
        most = v;
        pid = s.pid;
      }
    }
  }
  const phaseIndex = innermostPhaseAt(p, max.atMs, pid, depths);
  return {
    bytes: max.bytes,
    atMs: max.atMs,
    series: primary.id,
    seriesName: primary.name,
    seriesKind: primary.kind,
    ...(pid !== undefined ? { pid } : {}),
    phasePath: phaseIndex === undefined ? [] : phasePath(p.phases, phaseIndex),
    ...(phaseIndex !== undefined ? { phaseIndex } : {}),
  };
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
  const primary = peak ? p.series.find((s) => s.id === peak.series) : undefined;
  const processSeries = new Map<number, MemorySeries>();
  for (const s of p.series) if (s.kind === 'rss-process' && s.pid !== undefined) processSeries.set(s.pid, s);

  const children = new Map<number, number[]>();
  p.phases.forEach((ph, i) => {
    if (ph.parent !== null) {
      const list = children.get(ph.parent) ?? [];
      list.push(i);
      children.set(ph.parent, list);
    }
  });

  // Ancestors of the phase holding the peak hold it too.
  const holding = new Set<number>();
  for (let i = peak?.phaseIndex ?? null; i !== null && i !== undefined; i = p.phases[i]!.parent) holding.add(i);

  const phaseAt = (tMs: Ms, pid?: number) => innermostPhaseAt(p, tMs, pid, depths);
  const arenaEvents = arenaEventsPerPhase(p, phaseAt);

  const rows = new Map<string, PhaseRow>();
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
    const row = rows.get(key);
    if (!row) {
      rows.set(key, {
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
      });
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
    }
  });
  const phases = [...rows.values()];
  if (peak) for (const r of phases) r.shareOfPeak = r.memPeakBytes === null ? null : r.memPeakBytes / peak.bytes;

  const series: SeriesRow[] = p.series.map((s) => {
    const m = seriesMax(s);
    return {
      id: s.id,
      name: s.name,
      kind: s.kind,
      ...(s.pid !== undefined ? { pid: s.pid } : {}),
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
    phases,
    series,
    arenas,
    arenasAtPeak: arenasAtPeak(p, peak, arenas, freedRightAfter),
    warnings: p.warnings,
  };
}
