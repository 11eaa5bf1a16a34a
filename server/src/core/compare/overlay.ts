// The phase-aligned overlay of two profiles (protocol/overlay.ts): both memory curves over
// "phase-aligned time" x ∈ [0, 1], so that the same phase lines up whatever each run's speed.
//
// Alignment: the phases of depth ≤ 2 (top level, children, grandchildren) matched by path, the k-th
// span of a path with the k-th span of the same path on the other side (when both have the same count),
// give anchor pairs (base time, head time) at their starts and ends, plus the two runs' starts and ends.
// The longest chain of anchors ascending on both sides is kept (a pair that contradicts the others,
// e.g. phases reordered, is dropped). Between consecutive anchors each side maps linearly, and the
// stretch gets an x-width proportional to the mean of its two durations. So a matched phase occupies
// the same x-range on both sides, and time outside any matched phase maps by its neighbouring anchors.
//
// Pure: takes profiles and their comparison, returns the model. Imports nothing from vscode or Node.

import type { Comparison } from '../../../../protocol/compare';
import type { OverlayModel, OverlayPoint, OverlaySegment, OverlaySide } from '../../../../protocol/overlay';
import { partitionPoint } from '../../../../common/bisect';
import { decimatedIndices, upperBound } from '../analysis/decimate';
import { findPeak, innermostPhaseAt, phaseDepths, phasePath, placedByGuess, seriesMax } from '../analysis/analyze';
import type { MemorySeries, Ms, Profile, SeriesKind } from '../model';
import { ms } from '../units';
import { pathKey } from './repeat';

export interface OverlayOptions {
  /** Columns of the chart: each side keeps at most 2 × columns points (default 600). */
  columns?: number;
}

/** Phases deeper than this (0 = top level) don't anchor the alignment. */
const MAX_ANCHOR_DEPTH = 2;
/** A path with more spans than this (tsc's hundreds of Parse spans) anchors nothing: too fine to read. */
const MAX_SPANS_PER_PATH = 16;

/** One anchor: the same instant of the build (a matched phase's start or end) in each run's time. */
export interface Anchor {
  baseMs: Ms;
  headMs: Ms;
  /** Phase-aligned time, in [0, 1]. */
  x: number;
}

export interface PhaseAlignment {
  /** Ascending strictly on both sides; the first is both runs' start (x = 0), the last both ends (x = 1). */
  anchors: Anchor[];
  segments: OverlaySegment[];
  baseX(tMs: Ms): number;
  headX(tMs: Ms): number;
}

interface Span {
  path: string[];
  depth: number;
  startMs: Ms;
  endMs: Ms;
}

/** The spans of depth ≤ MAX_ANCHOR_DEPTH, grouped by path, each group in time order. */
function spansByPath(p: Profile): Map<string, Span[]> {
  const depths = phaseDepths(p.phases);
  const out = new Map<string, Span[]>();
  p.phases.forEach((ph, i) => {
    // A span placed by guess (durations only) is no instant of the build: it anchors nothing.
    if (depths[i]! > MAX_ANCHOR_DEPTH || !(ph.endMs >= ph.startMs) || placedByGuess(ph)) return;
    const path = phasePath(p.phases, i);
    const key = pathKey(path);
    const list = out.get(key) ?? [];
    list.push({ path, depth: depths[i]!, startMs: ph.startMs, endMs: ph.endMs });
    out.set(key, list);
  });
  for (const list of out.values()) list.sort((a, b) => a.startMs - b.startMs);
  return out;
}

/** Where a run ends: its wall time, or later when samples or phases run past it. */
function endOf(p: Profile): Ms {
  let end = p.run.wallMs;
  for (const s of p.series) if (s.tMs.length) end = ms(Math.max(end, s.tMs[s.tMs.length - 1]!));
  for (const ph of p.phases) end = ms(Math.max(end, ph.endMs));
  return end;
}

/** Indices of the longest chain strictly ascending in both coordinates (pairs sorted by a, then b). */
function longestChain(pairs: { a: number; b: number }[]): number[] {
  // Patience sorting on b over pairs sorted by a ascending and, for equal a, b descending (so two
  // pairs with the same a can't both be taken).
  const order = pairs.map((_, i) => i).sort((i, j) => pairs[i]!.a - pairs[j]!.a || pairs[j]!.b - pairs[i]!.b);
  const tails: number[] = [];
  const prev = new Array<number>(pairs.length).fill(-1);
  for (const i of order) {
    const b = pairs[i]!.b;
    const lo = partitionPoint(0, tails.length, (k) => pairs[tails[k]!]!.b < b);
    if (lo > 0) prev[i] = tails[lo - 1]!;
    tails[lo] = i;
  }
  const chain: number[] = [];
  for (let i = tails.length ? tails[tails.length - 1]! : -1; i >= 0; i = prev[i]!) chain.push(i);
  return chain.reverse();
}

/** Piecewise-linear map from one side's time to x through the anchors (clamped to [0, 1]). */
function mapper(times: readonly Ms[], xs: readonly number[]): (tMs: Ms) => number {
  const n = times.length;
  return (t) => {
    if (!(t > times[0]!)) return xs[0]!;
    if (t >= times[n - 1]!) return xs[n - 1]!;
    const hi = upperBound(times, t); // times[hi - 1] <= t < times[hi]
    const lo = hi - 1;
    const f = (t - times[lo]!) / (times[hi]! - times[lo]!);
    return xs[lo]! + f * (xs[hi]! - xs[lo]!);
  };
}

export function alignPhases(base: Profile, head: Profile): PhaseAlignment {
  const b = spansByPath(base);
  const h = spansByPath(head);
  // Candidate anchors, each remembering the spans it bounds.
  const pairs: { a: Ms; b: Ms }[] = [];
  const matched: { path: string[]; depth: number; base: Span; head: Span; startPair: number; endPair: number }[] = [];
  for (const [key, bs] of b) {
    const hs = h.get(key);
    if (!hs || hs.length !== bs.length || bs.length > MAX_SPANS_PER_PATH) continue;
    bs.forEach((bSpan, k) => {
      const hSpan = hs[k]!;
      pairs.push({ a: bSpan.startMs, b: hSpan.startMs }, { a: bSpan.endMs, b: hSpan.endMs });
      matched.push({
        path: bSpan.path,
        depth: bSpan.depth,
        base: bSpan,
        head: hSpan,
        startPair: pairs.length - 2,
        endPair: pairs.length - 1,
      });
    });
  }
  const baseEnd = endOf(base);
  const headEnd = endOf(head);
  // The runs' starts and ends bound everything; anchors outside them can't be kept.
  const startPair = pairs.push({ a: ms(0), b: ms(0) }) - 1;
  const endPair = pairs.push({ a: baseEnd, b: headEnd }) - 1;
  const usable = pairs.map(
    (p, i) => i === startPair || i === endPair || (p.a > 0 && p.b > 0 && p.a < baseEnd && p.b < headEnd),
  );
  // Identical pairs (a parent and its first child starting together) are one anchor.
  const keyOf = (p: { a: number; b: number }) => `${p.a}:${p.b}`;
  const canonical = new Map<string, number>();
  const alias = pairs.map((p, i) => {
    if (!usable[i]) return -1;
    const k = keyOf(p);
    if (!canonical.has(k)) canonical.set(k, i);
    return canonical.get(k)!;
  });
  const unique = [...canonical.values()];
  const chain = longestChain(unique.map((i) => pairs[i]!)).map((j) => unique[j]!);
  const kept = new Map<number, number>(); // pair index → anchor index
  chain.forEach((pairIndex, k) => kept.set(pairIndex, k));

  // x of each anchor: the cumulative mean duration of the stretches before it.
  const anchors: Anchor[] = chain.map((i) => ({ baseMs: pairs[i]!.a, headMs: pairs[i]!.b, x: 0 }));
  let total = 0;
  const cumulative = anchors.map((an, k) =>
    k === 0 ? 0 : (total += (an.baseMs - anchors[k - 1]!.baseMs + an.headMs - anchors[k - 1]!.headMs) / 2),
  );
  anchors.forEach(
    (an, k) => (an.x = total > 0 ? cumulative[k]! / total : anchors.length > 1 ? k / (anchors.length - 1) : 0),
  );
  if (anchors.length) anchors[anchors.length - 1]!.x = 1;

  const xs = anchors.map((a) => a.x);
  const baseX = mapper(
    anchors.map((a) => a.baseMs),
    xs,
  );
  const headX = mapper(
    anchors.map((a) => a.headMs),
    xs,
  );

  const segments: OverlaySegment[] = [];
  for (const m of matched) {
    const s = kept.get(alias[m.startPair]!);
    const e = kept.get(alias[m.endPair]!);
    if (s === undefined || e === undefined) continue;
    segments.push({
      path: m.path,
      name: m.path[m.path.length - 1] ?? '',
      depth: m.depth,
      startX: anchors[s]!.x,
      endX: anchors[e]!.x,
      baseMs: [m.base.startMs, m.base.endMs],
      headMs: [m.head.startMs, m.head.endMs],
    });
  }
  segments.sort((x, y) => x.startX - y.startX || x.depth - y.depth);
  return { anchors, segments, baseX, headX };
}

/** The kinds tried, in order, for the series drawn on both sides. */
const KIND_ORDER: SeriesKind[] = ['rss-tree', 'allocator-heap', 'rss-process', 'js-heap', 'compiler-reported'];

/** The largest series of a kind (by its maximum). */
function largestOfKind(p: Profile, kind: SeriesKind): MemorySeries | undefined {
  const candidates = p.series.filter((s) => s.kind === kind && s.bytes.length > 0);
  return candidates.length
    ? candidates.reduce((a, b) => ((seriesMax(b)?.bytes ?? 0) > (seriesMax(a)?.bytes ?? 0) ? b : a))
    : undefined;
}

/** One series per side, of the same kind: the process tree's RSS where both have it, else the kind of a side's peak, else any kind both have. */
export function overlaySeries(base: Profile, head: Profile): { base: MemorySeries; head: MemorySeries } | null {
  const peakKinds = [findPeak(head)?.seriesKind, findPeak(base)?.seriesKind].filter(
    (k): k is SeriesKind => k !== undefined,
  );
  for (const kind of ['rss-tree' as SeriesKind, ...peakKinds, ...KIND_ORDER]) {
    const b = largestOfKind(base, kind);
    const h = largestOfKind(head, kind);
    if (b && h) return { base: b, head: h };
  }
  return null;
}

/** Minimum and maximum per column of x (x ascending, in [0, 1]), in order: at most 2 × columns points, the maximum kept (decimate()'s rule). */
export function decimateByX(
  xs: ArrayLike<number>,
  tMs: ArrayLike<number>,
  bytes: ArrayLike<number>,
  columns: number,
): OverlayPoint[] {
  return decimatedIndices(xs, bytes, 0, 1, columns).map((i) => ({ x: xs[i]!, tMs: tMs[i]!, bytes: bytes[i]! }));
}

function side(
  label: string,
  p: Profile,
  runs: number,
  s: MemorySeries | undefined,
  toX: (t: Ms) => number,
  columns: number,
): OverlaySide {
  const command = p.run.command.join(' ');
  if (!s) return { label, command, runs, seriesName: '', points: [], peak: null };
  const xs = Float64Array.from(s.tMs, (t) => toX(ms(t)));
  const max = seriesMax(s);
  let peak: OverlaySide['peak'] = null;
  if (max) {
    const global = findPeak(p);
    let phase: string[];
    if (global && global.series === s.id && global.atMs === max.atMs) phase = global.phasePath;
    else {
      const i = innermostPhaseAt(p, max.atMs, s.pid);
      phase = i === undefined ? [] : phasePath(p.phases, i);
    }
    peak = { x: xs[max.index]!, tMs: max.atMs, bytes: max.bytes, phasePath: phase };
  }
  return { label, command, runs, seriesName: s.name, points: decimateByX(xs, s.tMs, s.bytes, columns), peak };
}

export function buildOverlayModel(
  base: Profile,
  head: Profile,
  comparison: Comparison,
  opts: OverlayOptions = {},
): OverlayModel {
  const columns = opts.columns ?? 600;
  const align = alignPhases(base, head);
  const series = overlaySeries(base, head);
  const warnings = [...comparison.warnings];
  if (!series) warnings.push('the two profiles have no memory series of the same kind: no curves to overlay');
  else if (series.base.kind !== findPeak(base)?.seriesKind || series.head.kind !== findPeak(head)?.seriesKind) {
    warnings.push(`the curves are ${series.head.name}, not the series each peak is measured on`);
  }
  if (base.phases.some(placedByGuess) || head.phases.some(placedByGuess))
    warnings.push(
      'phases placed by guess (their source gives durations only) anchor nothing; their times are totals, not compared with timed spans',
    );
  if (!align.segments.length)
    warnings.push('no phase is matched on both sides: the curves are aligned by their start and end only');
  const runsLabel = (name: string, runs: number) => (runs > 1 ? `${name} (median run of ${runs})` : name);
  return {
    title: `Phase-aligned memory: ${comparison.base.command.join(' ')} → ${comparison.head.command.join(' ')}`,
    base: side(runsLabel('base', comparison.base.runs), base, comparison.base.runs, series?.base, align.baseX, columns),
    head: side(runsLabel('head', comparison.head.runs), head, comparison.head.runs, series?.head, align.headX, columns),
    segments: align.segments,
    phases: comparison.phases,
    arenas: comparison.arenas,
    peakMove: comparison.peakMove,
    wall: comparison.wall,
    warnings,
  };
}
