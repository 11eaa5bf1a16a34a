// The phase tree of the side bar: the per-phase table (analyze()'s rows: spans with the same path add
// up) with two memory columns side by side, the live heap and RSS, each the highest sample inside the
// row's spans. analyze() gives a row one figure, from the headline's measure; a user comparing a
// phase's live heap with what the OS lent it wants both. Pure: takes a profile and its analysis.

import type { Bytes, MemorySeries, Ms, Profile } from '../model';
import { ms } from '../units';
import { type Analysis, isLiveHeapKind, maxInRange, phasePath } from './analyze';

export interface PhaseTreeNode {
  name: string;
  path: string[];
  /** Index of the parent path's row; null for a root. */
  parentRow: number | null;
  count: number;
  pid?: number;
  startMs: Ms;
  /** The end of the last span. */
  endMs: Ms;
  durationMs: Ms;
  selfMs: Ms;
  liveHeapPeakBytes: Bytes | null;
  rssPeakBytes: Bytes | null;
  holdsPeak: boolean;
}

const key = (path: readonly string[]) => path.join('\u0000');

function maxOf(a: Bytes | null, b: Bytes | undefined): Bytes | null {
  if (b === undefined) return a;
  return a === null || b > a ? b : a;
}

function largestPerPid(series: MemorySeries[]): Map<number, MemorySeries> {
  const byPid = new Map<number, MemorySeries>();
  for (const s of series) {
    if (s.pid === undefined || s.bytes.length === 0) continue;
    const had = byPid.get(s.pid);
    if (!had || s.bytes.length > had.bytes.length) byPid.set(s.pid, s);
  }
  return byPid;
}

/**
 * The rows of `a.phases`, in the same order, with their parent row and both memory peaks. A phase's
 * live heap is its process's (allocator or V8 after full GCs), else, for phases of no process, the
 * one live-heap series of the profile when there is exactly one; its RSS is its process's, else the
 * whole tree's. Rows for which no span has a figure keep null: unknown, never guessed.
 */
export function phaseTree(p: Profile, a: Analysis): PhaseTreeNode[] {
  const nonEmpty = p.series.filter((s) => s.bytes.length > 0);
  const live = nonEmpty.filter((s) => isLiveHeapKind(s.kind));
  const liveByPid = largestPerPid(live);
  const rssByPid = largestPerPid(nonEmpty.filter((s) => s.kind === 'rss-process'));
  const treeRss = nonEmpty.find((s) => s.kind === 'rss-tree');
  const onlyLive = live.length === 1 ? live[0] : undefined;

  const rowOf = new Map<string, number>();
  const nodes: PhaseTreeNode[] = a.phases.map((r, i) => {
    rowOf.set(key(r.path), i);
    return {
      name: r.name,
      path: r.path,
      parentRow: null,
      count: r.count,
      ...(r.pid !== undefined ? { pid: r.pid } : {}),
      startMs: r.startMs,
      endMs: r.startMs,
      durationMs: r.durationMs,
      selfMs: r.selfMs,
      liveHeapPeakBytes: null,
      rssPeakBytes: null,
      holdsPeak: r.holdsPeak,
    };
  });
  for (const n of nodes) {
    if (n.path.length > 1) n.parentRow = rowOf.get(key(n.path.slice(0, -1))) ?? null;
  }
  p.phases.forEach((ph, i) => {
    const row = rowOf.get(key(phasePath(p.phases, i)));
    if (row === undefined) return;
    const n = nodes[row]!;
    if (ph.endMs > n.endMs) n.endMs = ms(ph.endMs);
    const liveSeries =
      (ph.pid !== undefined ? liveByPid.get(ph.pid) : undefined) ?? (ph.pid === undefined ? onlyLive : undefined);
    const rssSeries = (ph.pid !== undefined ? rssByPid.get(ph.pid) : undefined) ?? treeRss;
    if (liveSeries) n.liveHeapPeakBytes = maxOf(n.liveHeapPeakBytes, maxInRange(liveSeries, ph.startMs, ph.endMs));
    if (rssSeries) n.rssPeakBytes = maxOf(n.rssPeakBytes, maxInRange(rssSeries, ph.startMs, ph.endMs));
  });
  return nodes;
}

/** The innermost row holding the headline peak: the deepest row with `holdsPeak`; null when none does. */
export function peakRowOf(nodes: readonly PhaseTreeNode[]): number | null {
  let best: number | null = null;
  nodes.forEach((n, i) => {
    if (n.holdsPeak && (best === null || n.path.length > nodes[best]!.path.length)) best = i;
  });
  return best;
}
