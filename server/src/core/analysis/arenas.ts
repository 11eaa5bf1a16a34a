// Arena lifetimes against the peak: which arenas are live at the global peak, with their bytes and
// share of it; each arena's last use; the arenas held past their last use (alive at the peak although
// their last use came before it), each with what freeing it right after that use would have saved at
// the peak, ranked; and where (in which phase) each arena was created and freed.
// Pure: takes a Profile and the peak from analyze.ts, returns values.

import type { Arena, Bytes, MemorySeries, Ms, Profile, SeriesKind } from '../model';
import { valueAt } from '../model';
import { bytes as asBytes, ms } from '../units';
import { partitionPoint } from '../../../../common/bisect';

/** The peak as arenas need it (a subset of analyze.ts's Peak, so that this module does not import it). */
export interface PeakRef {
  bytes: Bytes;
  atMs: Ms;
  /** The peak's series id. */
  series: string;
  pid?: number;
}

/** Finds the innermost phase index covering a time for a process (analyze.ts's innermostPhaseAt). */
export type PhaseAt = (tMs: Ms, pid?: number) => number | undefined;

/** An arena's identity and lifetime as the profile has them (endMs null: alive at the end), and what the analysis finds. */
export interface ArenaRow extends Pick<Arena, 'id' | 'name' | 'category' | 'pid' | 'startMs' | 'endMs'> {
  /** The maximum of its bytes series. */
  peakBytes: Bytes;
  /** Its bytes at the global peak's time; 0 when it was not alive then (or there is no peak). */
  bytesAtPeak: Bytes;
  /** bytesAtPeak / the global peak's bytes; null without a peak. */
  shareOfPeak: number | null;
  /** How many uses were recorded. */
  uses: number;
  /** Time of its last recorded use; null when no use was recorded. */
  lastUseMs: Ms | null;
  /** The phase of its last use: the one the use names, else the innermost phase of its process at that time. */
  lastUsePhase: string | null;
  /** Alive at the peak although its last recorded use came before the peak. Never true for an arena with no recorded use. */
  heldPastLastUse: boolean;
  /** What freeing it right after its last use would have saved at the peak: bytesAtPeak when held past its last use, else 0. */
  potentialSavingBytes: Bytes;
  /** Phase paths (joined with " › ") where it was created and freed; null when no phase covers that moment (or never freed). */
  createdInPhase: string | null;
  freedInPhase: string | null;
}

export interface ArenasAtPeak {
  atMs: Ms;
  /** Arenas alive at the peak's time. */
  count: number;
  /** Their bytes at that time, summed. */
  bytes: Bytes;
  /** bytes / the global peak's bytes. */
  shareOfPeak: number;
  /** Of them, held past their last use, and what freeing those after their last use would save. */
  heldPastLastUse: number;
  potentialSavingBytes: Bytes;
  /**
   * A heap series (js-heap or allocator-heap) at the same moment, when the profile has one: arenas
   * usually count heap bytes, and their share of the heap is the more telling figure when the peak is RSS.
   */
  heap: { series: string; seriesName: string; seriesKind: SeriesKind; bytes: Bytes; shareOfHeap: number } | null;
  /**
   * What freeing every arena right after its last use would do to the peak, series by series (the
   * peak's series, and the heap series above): the series minus those arenas' bytes from their last
   * use on, at every sample. Unlike `potentialSavingBytes` (what they hold at today's peak), this
   * accounts for the peak moving elsewhere once they are freed.
   */
  ifFreedAfterLastUse: {
    series: string;
    seriesName: string;
    peakBytes: Bytes;
    predictedPeakBytes: Bytes;
    dropBytes: Bytes;
  }[];
}

/** An arena freed within this long of its last use was always freed right after it. */
export const FREED_AT_ONCE_MS = 1;
/**
 * An arena freed within this long of its last use, with nothing of its process happening in between
 * (no other arena's event, no phase beginning or ending), was freed right after it too. That is
 * `used(); free()` in a row: a garbage collector's pause or the scheduler can put tens of milliseconds
 * between two such statements on a busy machine, and a memory peak is likely in such a pause.
 */
export const FREED_RIGHT_AFTER_MS = 50;

/**
 * Tells whether an arena was freed right after its last use (see FREED_RIGHT_AFTER_MS): the times of
 * what each process did (arena events, phase boundaries), sorted, to look between two moments.
 */
export type FreedRightAfter = (a: Arena, lastUseMs: Ms) => boolean;

export function freedRightAfterTest(p: Profile): FreedRightAfter {
  let byPid: Map<number | undefined, Float64Array> | undefined;
  const eventsOf = (pid: number | undefined): Float64Array => {
    if (!byPid) {
      const lists = new Map<number | undefined, number[]>();
      const add = (pid: number | undefined, t: Ms | null) => {
        if (t === null) return;
        let l = lists.get(pid);
        if (!l) lists.set(pid, (l = []));
        l.push(t);
      };
      for (const a of p.arenas) {
        add(a.pid, a.startMs);
        add(a.pid, a.endMs);
        for (const t of a.tMs) add(a.pid, ms(t));
        for (const u of a.uses) add(a.pid, u.tMs);
      }
      for (const ph of p.phases) {
        add(ph.pid, ph.startMs);
        add(ph.pid, ph.endMs);
      }
      byPid = new Map([...lists].map(([k, l]) => [k, Float64Array.from(l).sort()]));
    }
    return byPid.get(pid) ?? new Float64Array(0);
  };
  return (a, lastUseMs) => {
    if (a.endMs === null) return false;
    const gap = a.endMs - lastUseMs;
    if (gap <= FREED_AT_ONCE_MS) return true;
    if (gap > FREED_RIGHT_AFTER_MS) return false;
    // Anything strictly between the use and the free (the arena's own events are at those moments).
    const times = eventsOf(a.pid);
    const i = partitionPoint(0, times.length, (k) => times[k]! <= lastUseMs);
    return i >= times.length || times[i]! >= a.endMs;
  };
}

/** Whether the arena is alive at `tMs` (created at or before it, not yet freed). */
export function aliveAt(a: Arena, tMs: Ms): boolean {
  return a.startMs <= tMs && (a.endMs === null || a.endMs > tMs);
}

/** The arena's bytes at `tMs` (the last sample at or before it), 0 before its first sample or once freed. */
export function arenaBytesAt(a: Arena, tMs: Ms): Bytes {
  if (!aliveAt(a, tMs)) return asBytes(0);
  const v = valueAt({ tMs: a.tMs, bytes: a.bytes } as MemorySeries, tMs);
  return v ?? asBytes(0);
}

function maxOf(xs: Float64Array): Bytes {
  let m = 0;
  for (let i = 0; i < xs.length; i++) if (xs[i]! > m) m = xs[i]!;
  return asBytes(m);
}

/**
 * The arena rows, ranked: held past their last use first (largest saving first), then the others by
 * bytes at the peak, then by their own peak.
 */
export function arenaRows(
  p: Profile,
  peak: PeakRef | null,
  phaseAt: PhaseAt,
  phasePathOf: (index: number) => string[],
  freedRightAfter: FreedRightAfter,
): ArenaRow[] {
  const pathAt = (tMs: Ms, pid?: number): string | null => {
    const i = phaseAt(tMs, pid);
    return i === undefined ? null : phasePathOf(i).join(' › ');
  };
  const rows: ArenaRow[] = p.arenas.map((a) => {
    let last: Arena['uses'][number] | undefined;
    for (const u of a.uses) if (!last || u.tMs >= last.tMs) last = u;
    let lastUsePhase: string | null = null;
    if (last) {
      if (last.phase !== undefined) lastUsePhase = last.phase;
      else {
        const i = phaseAt(last.tMs, a.pid);
        lastUsePhase = i === undefined ? null : p.phases[i]!.name;
      }
    }
    const bytesAtPeak = peak ? arenaBytesAt(a, peak.atMs) : asBytes(0);
    // An arena freed right after its last use (see FREED_RIGHT_AFTER_MS): a peak falling between the
    // two calls shows nothing that freeing it earlier could save.
    const held = !!peak && !!last && aliveAt(a, peak.atMs) && last.tMs < peak.atMs && !freedRightAfter(a, last.tMs);
    return {
      id: a.id,
      name: a.name,
      category: a.category,
      ...(a.pid !== undefined ? { pid: a.pid } : {}),
      startMs: a.startMs,
      endMs: a.endMs,
      peakBytes: maxOf(a.bytes),
      bytesAtPeak,
      shareOfPeak: peak && peak.bytes > 0 ? bytesAtPeak / peak.bytes : null,
      uses: a.uses.length,
      lastUseMs: last ? last.tMs : null,
      lastUsePhase,
      heldPastLastUse: held,
      potentialSavingBytes: held ? bytesAtPeak : asBytes(0),
      createdInPhase: pathAt(a.startMs, a.pid),
      freedInPhase: a.endMs === null ? null : pathAt(a.endMs, a.pid),
    };
  });
  return rows
    .map((r, i) => ({ r, i }))
    .sort(
      (x, y) =>
        Number(y.r.heldPastLastUse) - Number(x.r.heldPastLastUse) ||
        y.r.potentialSavingBytes - x.r.potentialSavingBytes ||
        y.r.bytesAtPeak - x.r.bytesAtPeak ||
        y.r.peakBytes - x.r.peakBytes ||
        x.i - y.i,
    )
    .map((x) => x.r);
}

/** The arenas live at the peak, summed; null without a peak or without arenas. */
export function arenasAtPeak(
  p: Profile,
  peak: PeakRef | null,
  rows: ArenaRow[],
  freedRightAfter: FreedRightAfter,
): ArenasAtPeak | null {
  if (!peak || p.arenas.length === 0) return null;
  let count = 0;
  let bytes = 0;
  for (const a of p.arenas) {
    if (!aliveAt(a, peak.atMs)) continue;
    count++;
    bytes += arenaBytesAt(a, peak.atMs);
  }
  const held = rows.filter((r) => r.heldPastLastUse);
  // The heap the arenas live in: of the peak's process where there is one, its live heap rather than
  // its heap with garbage, else the largest then.
  let heap: ArenasAtPeak['heap'] = null;
  let heapRank: [number, number, number] = [-1, -1, -1];
  for (const s of p.series) {
    if (s.kind !== 'js-heap' && s.kind !== 'js-live-heap' && s.kind !== 'allocator-heap') continue;
    const v = valueAt(s, peak.atMs);
    if (v === undefined || v <= 0) continue;
    const rank: [number, number, number] = [
      Number(peak.pid !== undefined && s.pid === peak.pid),
      Number(s.kind !== 'js-heap'),
      v,
    ];
    if (heap && !ranksAbove(rank, heapRank)) continue;
    heap = { series: s.id, seriesName: s.name, seriesKind: s.kind, bytes: v, shareOfHeap: bytes / v };
    heapRank = rank;
  }
  const ifFreedAfterLastUse: ArenasAtPeak['ifFreedAfterLastUse'] = [];
  for (const id of [peak.series, heap?.series]) {
    const series = id === undefined ? undefined : p.series.find((x) => x.id === id);
    if (!series || ifFreedAfterLastUse.some((x) => x.series === series.id)) continue;
    const predicted = peakWithoutHeldArenas(series, p.arenas, freedRightAfter);
    if (predicted) ifFreedAfterLastUse.push({ series: series.id, seriesName: series.name, ...predicted });
  }
  return {
    ifFreedAfterLastUse,
    atMs: peak.atMs,
    count,
    bytes: asBytes(bytes),
    shareOfPeak: peak.bytes > 0 ? bytes / peak.bytes : 0,
    heldPastLastUse: held.length,
    potentialSavingBytes: asBytes(held.reduce((s, r) => s + r.potentialSavingBytes, 0)),
    heap,
  };
}

/** Lexicographic order: whether `a` comes strictly before `b`. */
function ranksAbove(a: readonly number[], b: readonly number[]): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! > b[i]!;
  return false;
}

/**
 * The peak of `series` if every arena had been freed right after its last use: a sweep over the
 * changes of the bytes those arenas hold from their last use on, evaluated at every sample. Arenas
 * already freed right after it (FREED_RIGHT_AFTER_MS) count as they are.
 */
export function peakWithoutHeldArenas(
  series: MemorySeries,
  arenas: Arena[],
  freedRightAfter: FreedRightAfter,
): { peakBytes: Bytes; predictedPeakBytes: Bytes; dropBytes: Bytes } | null {
  if (series.tMs.length === 0) return null;
  const changes: [Ms, Bytes][] = [];
  for (const a of arenas) {
    let lastUse = ms(-Infinity);
    for (const u of a.uses) if (u.tMs > lastUse) lastUse = u.tMs;
    if (lastUse === -Infinity || !aliveAt(a, lastUse) || freedRightAfter(a, lastUse)) continue;
    let held = arenaBytesAt(a, lastUse);
    changes.push([lastUse, held]);
    for (let i = 0; i < a.tMs.length; i++) {
      if (a.tMs[i]! <= lastUse || (a.endMs !== null && a.tMs[i]! >= a.endMs)) continue;
      changes.push([ms(a.tMs[i]!), asBytes(a.bytes[i]! - held)]);
      held = asBytes(a.bytes[i]!);
    }
    if (a.endMs !== null) changes.push([a.endMs, asBytes(-held)]);
  }
  changes.sort((x, y) => x[0] - y[0]);
  let held = 0;
  let c = 0;
  let peakBytes = -Infinity;
  let predictedPeakBytes = -Infinity;
  for (let i = 0; i < series.tMs.length; i++) {
    while (c < changes.length && changes[c]![0] <= series.tMs[i]!) held += changes[c++]![1];
    const v = series.bytes[i]!;
    if (v > peakBytes) peakBytes = v;
    if (v - held > predictedPeakBytes) predictedPeakBytes = v - held;
  }
  const dropBytes = asBytes(peakBytes - predictedPeakBytes);
  return { peakBytes: asBytes(peakBytes), predictedPeakBytes: asBytes(predictedPeakBytes), dropBytes };
}

/** How many arenas were created and freed inside each phase (the innermost phase of their process at that moment). */
export function arenaEventsPerPhase(
  p: Profile,
  phaseAt: PhaseAt,
): { created: Map<number, number>; freed: Map<number, number> } {
  const created = new Map<number, number>();
  const freed = new Map<number, number>();
  for (const a of p.arenas) {
    const c = phaseAt(a.startMs, a.pid);
    if (c !== undefined) created.set(c, (created.get(c) ?? 0) + 1);
    if (a.endMs !== null) {
      const f = phaseAt(a.endMs, a.pid);
      if (f !== undefined) freed.set(f, (freed.get(f) ?? 0) + 1);
    }
  }
  return { created, freed };
}
