// The phase view's tree as a table, without the DOM: which rows are shown, in what order, at what
// depth, given the rows whose children are open and the sort. Siblings are sorted among themselves
// (a child stays under its parent), as the JavaScript profiler's table view does. Pure.

import type { PhaseColumn, PhaseSort, PhaseTree, PhaseTreeRow } from '../../protocol/side-bar';

export interface ShownRow {
  row: number;
  depth: number;
  hasChildren: boolean;
  expanded: boolean;
}

/** The sort a tree opens with: by time, longest first. */
export const DEFAULT_SORT: PhaseSort = { column: 'duration', descending: true };

/** The children of each row, and the roots, in the tree's own order (first start first). */
export function childrenOf(tree: PhaseTree): { roots: number[]; children: number[][] } {
  const children: number[][] = tree.rows.map(() => []);
  const roots: number[] = [];
  tree.rows.forEach((r, i) => {
    const parent = r.parentRow;
    if (parent === null || parent < 0 || parent >= tree.rows.length || parent === i) roots.push(i);
    else children[parent]!.push(i);
  });
  const byStart = (a: number, b: number) => tree.rows[a]!.startMs - tree.rows[b]!.startMs || a - b;
  roots.sort(byStart);
  for (const c of children) c.sort(byStart);
  return { roots, children };
}

/** The rows to open so that the peak's row is shown: its ancestors. Empty without a peak. */
export function peakPathRows(tree: PhaseTree): number[] {
  const open: number[] = [];
  const seen = new Set<number>();
  let r = tree.peakRow === null ? null : (tree.rows[tree.peakRow]?.parentRow ?? null);
  while (r !== null && !seen.has(r) && tree.rows[r]) {
    seen.add(r);
    open.unshift(r);
    r = tree.rows[r]!.parentRow;
  }
  return open;
}

function value(r: PhaseTreeRow, column: PhaseColumn): number | null {
  switch (column) {
    case 'name':
      return r.startMs;
    case 'duration':
      return r.durationMs;
    case 'self':
      return r.selfMs;
    case 'liveHeap':
      return r.liveHeapPeakBytes;
    case 'rss':
      return r.rssPeakBytes;
  }
}

/** Compares two rows by the sort; rows without a figure go last either way; ties keep the tree's order. */
export function compareRows(tree: PhaseTree, sort: PhaseSort): (a: number, b: number) => number {
  return (a, b) => {
    const va = value(tree.rows[a]!, sort.column);
    const vb = value(tree.rows[b]!, sort.column);
    if (va === null || vb === null) return va === vb ? a - b : va === null ? 1 : -1;
    const d = sort.descending ? vb - va : va - vb;
    return d || tree.rows[a]!.startMs - tree.rows[b]!.startMs || a - b;
  };
}

/** The rows shown, top to bottom: the roots and the children of every open row, siblings sorted. */
export function shownRows(tree: PhaseTree, expanded: ReadonlySet<number>, sort: PhaseSort): ShownRow[] {
  const { roots, children } = childrenOf(tree);
  const cmp = compareRows(tree, sort);
  const out: ShownRow[] = [];
  const visit = (rows: number[], depth: number) => {
    for (const row of [...rows].sort(cmp)) {
      const kids = children[row]!;
      const open = kids.length > 0 && expanded.has(row);
      out.push({ row, depth, hasChildren: kids.length > 0, expanded: open });
      // A tree of 50,000 rows is at most a few dozen deep: recursion is fine.
      if (open) visit(kids, depth + 1);
    }
  };
  visit(roots, 0);
  return out;
}

/** The sort after a click on a column's header: the other direction on the same column, else the column's natural one. */
export function nextSort(current: PhaseSort, column: PhaseColumn): PhaseSort {
  if (current.column === column) return { column, descending: !current.descending };
  // Names sort by start (first first); figures largest first.
  return { column, descending: column !== 'name' };
}
