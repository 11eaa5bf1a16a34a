// The comparison of two profiles, base and head: wall time, each series' peak, where the global peak
// is on each side, every phase matched by its path, the arena groups, and the environment facts that
// differ. Each side is a set of runs (`profile.repeat`, from `cmi profile --runs N`) or a single run;
// a difference no larger than the spread of the runs is marked as noise. Pure: the peak, the phase
// rows and the arena rows come from analysis/analyze.ts.

import type {
  ArenaDelta,
  Comparison,
  Delta,
  DurationDelta,
  PeakMove,
  PhaseDelta,
  RunSetInfo,
  SeriesPeakDelta,
  Stat,
} from '../../../../protocol/compare';
import type { Analysis } from '../analysis/analyze';
import { analyze, retainedSeries } from '../analysis/analyze';
import type { Profile, RepeatStats } from '../model';
import { allocatorMode, envDifferences, envFacts, environmentWarnings } from './env-facts';
import { arenaGroupKey, pathKey, seriesKeys, statsForCompare } from './repeat';

export interface CompareOptions {
  /** The files the profiles were read from, recorded in the comparison. */
  baseSource?: string;
  headSource?: string;
}

/** Relative change below which an arena group counts as unchanged (allocation estimates jitter a little). */
const ARENA_CHANGE_FRACTION = 0.01;

/** Whether a series' figures change with the allocator settings: RSS, and the allocator's own count (not V8's). */
export function dependsOnAllocatorSettings(kind: string): boolean {
  return kind.startsWith('rss') || kind === 'allocator-heap';
}

/** base against head: Δ = head − base on the medians; noise when |Δ| ≤ the larger spread of the two sides. */
export function delta(base: Stat | null, head: Stat | null): Delta {
  if (!base || !head) return { base, head, delta: null, deltaPct: null, noise: false };
  const d = head.median - base.median;
  const spread = Math.max(base.max - base.min, head.max - head.min);
  const judged = base.n > 1 || head.n > 1;
  return {
    base,
    head,
    delta: d,
    deltaPct: base.median !== 0 ? d / base.median : null,
    noise: judged && Math.abs(d) <= spread,
  };
}

/** A Delta beyond noise with a difference at all. */
export function significant(d: Delta): boolean {
  return d.delta !== null && d.delta !== 0 && !d.noise;
}

// The live heap first: it is what a change to the program moves; RSS beside it.
const KIND_ORDER = ['allocator-heap', 'js-live-heap', 'rss-tree', 'rss-process', 'js-heap', 'compiler-reported'];

export function compareProfiles(base: Profile, head: Profile, opts: CompareOptions = {}): Comparison {
  const ba = analyze(base);
  const ha = analyze(head);
  const bs = statsForCompare(base, ba);
  const hs = statsForCompare(head, ha);
  const warnings: string[] = [];

  // Series: the global peak's series first (by its key on the head side), then by kind, heap beside RSS.
  const bKeys = seriesKeys(base);
  const hKeys = seriesKeys(head);
  // The figure the comparison leads with (and the gate judges): the head's headline peak where the base
  // measured it too, else the base's, else their retained peaks. A live heap seen on one side only
  // (a Node process that ran a full GC in one run and not in the other) is no comparison.
  const bValues = new Set(bKeys.values());
  const hValues = new Set(hKeys.values());
  const keyOf = (keys: Map<string, string>, series: string | undefined) =>
    series === undefined ? undefined : keys.get(series);
  const candidates = [
    keyOf(hKeys, ha.peak?.series),
    keyOf(bKeys, ba.peak?.series),
    keyOf(hKeys, retainedSeries(head)?.id),
    keyOf(bKeys, retainedSeries(base)?.id),
  ];
  const primaryKey =
    candidates.find((k) => k !== undefined && bValues.has(k) && hValues.has(k)) ??
    candidates.find((k) => k !== undefined);
  const seriesByKey = new Map<string, { kind: string; name: string; b?: Stat; h?: Stat }>();
  for (const s of bs.series) seriesByKey.set(s.key, { kind: s.kind, name: s.name, b: s.peakBytes });
  for (const s of hs.series)
    seriesByKey.set(s.key, { ...(seriesByKey.get(s.key) ?? {}), kind: s.kind, name: s.name, h: s.peakBytes });
  const peaks: SeriesPeakDelta[] = [...seriesByKey]
    .map(([key, s]) => ({ key, kind: s.kind, name: s.name, peak: delta(s.b ?? null, s.h ?? null) }))
    .sort(
      (x, y) =>
        Number(y.key === primaryKey) - Number(x.key === primaryKey) ||
        kindRank(x.kind) - kindRank(y.kind) ||
        x.key.localeCompare(y.key),
    );

  // Eager purge returns freed pages that the allocators' defaults keep: RSS across the two says
  // more about the settings than about the change, so it is shown but not compared. The allocator's
  // live heap moves too: glibc then maps blocks of 64 KiB and more apart, and their usable size
  // (what cmi's heap library counts) rounds up to whole pages (+6 % on a heap of 64 KiB blocks).
  const bMode = allocatorMode(base);
  const hMode = allocatorMode(head);
  const allocatorSettingsDiffer = bMode !== hMode ? { base: bMode, head: hMode } : undefined;
  if (allocatorSettingsDiffer) {
    for (const p of peaks) if (dependsOnAllocatorSettings(p.kind)) p.peak = notCompared(p.peak);
    warnings.push(
      `the two sides ran with different allocator settings (base: ${bMode}, head: ${hMode}): their RSS and allocator heaps are not compared, since eager purge returns freed memory that the defaults keep (and glibc's settings change the usable size of big blocks); profile both with or both without \`--allocator-defaults\``,
    );
  }

  const peakMove = movedPeak(ba, ha);

  // Phases matched by path, in the head's order.
  const bPhases = new Map(bs.phases.map((r) => [pathKey(r.path), r]));
  const hPhases = new Map(hs.phases.map((r) => [pathKey(r.path), r]));
  const phases: PhaseDelta[] = [];
  for (const [k, h] of hPhases) {
    const b = bPhases.get(k);
    if (!b) continue;
    // A phase's peak and growth are sampled: the RSS of its process, else the peak's series.
    const phaseMem = (d: Delta) => (allocatorSettingsDiffer ? notCompared(d) : d);
    const heap =
      b.memDeltaBytes && h.memDeltaBytes ? { heapChange: phaseMem(delta(b.memDeltaBytes, h.memDeltaBytes)) } : {};
    const guessed = guessedSide(b.placedByGuess, h.placedByGuess);
    const durations = durationDeltas(b.durations, h.durations);
    const row: PhaseDelta = {
      path: h.path,
      time: delta(b.durationMs, h.durationMs),
      memPeak: phaseMem(delta(b.memPeakBytes, h.memPeakBytes)),
      ...heap,
      ...(guessed ? { placedByGuess: guessed } : {}),
      ...(durations.length ? { durations } : {}),
    };
    // A span laid out by guess against a timed one: its time and the memory sampled inside it are not
    // measured on one side, so no difference is claimed.
    if (guessed === 'base' || guessed === 'head') {
      row.time = notCompared(row.time);
      row.memPeak = notCompared(row.memPeak);
      if (row.heapChange) row.heapChange = notCompared(row.heapChange);
    }
    phases.push(row);
  }
  const unmatched = {
    baseOnly: bs.phases.filter((r) => !hPhases.has(pathKey(r.path))).map((r) => r.path),
    headOnly: hs.phases.filter((r) => !bPhases.has(pathKey(r.path))).map((r) => r.path),
  };

  const arenas = arenaDeltas(bs, hs);

  const baseInfo = runSetInfo(base, bs, opts.baseSource);
  const headInfo = runSetInfo(head, hs, opts.headSource);
  const envDiffs = envDifferences(baseInfo.facts, headInfo.facts);

  if (bs.runs === 1 || hs.runs === 1) {
    warnings.push(
      bs.runs === 1 && hs.runs === 1
        ? "one run on each side: noise can't be judged (profile with `cmi profile --runs N` to see the spread)"
        : `one run on the ${bs.runs === 1 ? 'base' : 'head'} side: noise is judged by the other side's spread only`,
    );
  }
  for (const [side, info] of [
    ['base', baseInfo],
    ['head', headInfo],
  ] as const) {
    const bad = info.statuses.filter((s) => s !== 'ok');
    if (bad.length)
      warnings.push(
        `${bad.length} of ${info.runs} ${side} run${info.runs === 1 ? '' : 's'} did not end ok (${bad.join(', ')})`,
      );
  }
  if (!ba.peak || !ha.peak)
    warnings.push(
      `no memory recorded on the ${!ba.peak && !ha.peak ? 'base nor the head' : !ba.peak ? 'base' : 'head'} side: peaks can't be compared`,
    );
  else if (ba.peak.seriesKind !== ha.peak.seriesKind)
    warnings.push(`the peaks measure different things: ${ba.peak.seriesName} against ${ha.peak.seriesName}`);
  warnings.push(...environmentWarnings(envDiffs));

  return {
    base: baseInfo,
    head: headInfo,
    wall: delta(bs.wallMs, hs.wallMs),
    peaks,
    peakMove,
    phases,
    unmatched,
    arenas,
    envDifferences: envDiffs,
    ...(allocatorSettingsDiffer ? { allocatorSettingsDiffer } : {}),
    warnings,
  };
}

/** Which side placed a phase path by guess, if any. */
function guessedSide(base: boolean | undefined, head: boolean | undefined): PhaseDelta['placedByGuess'] {
  return base && head ? 'both' : base ? 'base' : head ? 'head' : undefined;
}

type DurationStats = RepeatStats['phases'][number]['durations'];

/** A phase's durations rows matched by their path in the table: the head's order, then the base's own. */
function durationDeltas(base: DurationStats, head: DurationStats): DurationDelta[] {
  const b = new Map((base ?? []).map((d) => [pathKey(d.path), d]));
  const h = new Map((head ?? []).map((d) => [pathKey(d.path), d]));
  const keys = [...new Set([...h.keys(), ...b.keys()])];
  return keys.map((k) => ({
    path: (h.get(k) ?? b.get(k))!.path,
    time: delta(b.get(k)?.ms ?? null, h.get(k)?.ms ?? null),
  }));
}

/** Both sides shown, no difference claimed. */
function notCompared(d: Delta): Delta {
  return { ...d, delta: null, deltaPct: null, noise: false };
}

function kindRank(kind: string): number {
  const i = KIND_ORDER.indexOf(kind);
  return i < 0 ? KIND_ORDER.length : i;
}

function runSetInfo(p: Profile, stats: RepeatStats, source?: string): RunSetInfo {
  return {
    command: p.run.command,
    cwd: p.run.cwd,
    runs: stats.runs,
    statuses: stats.perRun.map((r) => r.status),
    ...(source !== undefined ? { source } : {}),
    facts: envFacts(p),
  };
}

function movedPeak(ba: Analysis, ha: Analysis): PeakMove {
  const place = (a: Analysis) =>
    a.peak
      ? { phasePath: a.peak.phasePath, atMs: a.peak.atMs, bytes: a.peak.bytes, seriesName: a.peak.seriesName }
      : null;
  const base = place(ba);
  const head = place(ha);
  return { base, head, moved: !!base && !!head && pathKey(base.phasePath) !== pathKey(head.phasePath) };
}

/** Arena groups (category plus normalised name, repeat.ts) on both sides: changed ones first, by |Δ bytes at the peak|. */
function arenaDeltas(bs: RepeatStats, hs: RepeatStats): ArenaDelta[] {
  const b = new Map(bs.arenaGroups.map((g) => [arenaGroupKey(g.category, g.name), g]));
  const h = new Map(hs.arenaGroups.map((g) => [arenaGroupKey(g.category, g.name), g]));
  const keys = [...new Set([...h.keys(), ...b.keys()])];
  const out = keys.map((k): ArenaDelta => {
    const bg = b.get(k);
    const hg = h.get(k);
    const g = (hg ?? bg)!;
    const bytesAtPeak = delta(bg?.bytesAtPeak ?? null, hg?.bytesAtPeak ?? null);
    const peakBytes = delta(bg?.peakBytes ?? null, hg?.peakBytes ?? null);
    const count = { base: bg?.count ?? 0, head: hg?.count ?? 0 };
    const heldPastLastUse = { base: bg?.heldPastLastUse ?? 0, head: hg?.heldPastLastUse ?? 0 };
    const moved = (d: Delta) => significant(d) && Math.abs(d.deltaPct ?? 1) >= ARENA_CHANGE_FRACTION;
    const change = !bg
      ? 'added'
      : !hg
        ? 'removed'
        : count.base !== count.head ||
            heldPastLastUse.base !== heldPastLastUse.head ||
            moved(bytesAtPeak) ||
            moved(peakBytes)
          ? 'changed'
          : 'unchanged';
    return { name: g.name, category: g.category, count, change, bytesAtPeak, peakBytes, heldPastLastUse };
  });
  const rank = (a: ArenaDelta) => (a.change === 'unchanged' ? 1 : 0);
  return out.sort(
    (x, y) =>
      rank(x) - rank(y) ||
      Math.abs(y.bytesAtPeak.delta ?? y.bytesAtPeak.base?.median ?? y.bytesAtPeak.head?.median ?? 0) -
        Math.abs(x.bytesAtPeak.delta ?? x.bytesAtPeak.base?.median ?? x.bytesAtPeak.head?.median ?? 0),
  );
}
