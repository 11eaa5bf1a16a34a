// The side bar's phase tree: on a real build (the example compiler, tinyc, under the Node preload:
// V8's live heap after full GCs and the process tree's RSS), the rows are the timeline's phase rows
// with a live-heap and an RSS column, the peak's row is the headline peak's phase, and the view's
// table (webview/side-bar/phase-table.ts) opens on the peak's path and sorts siblings by a column.
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PhaseTree } from '../protocol/side-bar';
import { analyze } from '../server/src/core/analysis/analyze';
import { phaseTree } from '../server/src/core/analysis/phase-tree';
import type { Profile } from '../server/src/core/model';
import { buildPhaseTree, storedProfile } from '../server/src/lsp/side-bar-handler';
import { buildTimelineModel } from '../server/src/report/timeline-model';
import { nextSort, peakPathRows, shownRows } from '../webview/side-bar/phase-table';
import { profileTinycBothWays } from './helpers';

let tmp: string;
let held: Profile;
let tree: PhaseTree;

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'cmi-side-bar-'));
  ({ held } = await profileTinycBothWays(tmp));
  tree = buildPhaseTree('/profiles/tinyc.cmi-profile.json', held);
}, 180_000);
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const pathOf = (t: PhaseTree, row: number): string[] => {
  const names: string[] = [];
  for (let r: number | null = row; r !== null; r = t.rows[r]!.parentRow) names.unshift(t.rows[r]!.name);
  return names;
};

describe('the phase tree of a real build', () => {
  it("has the timeline's phase rows, in the same order, so that a row index selects the same phase", () => {
    const model = buildTimelineModel(held, analyze(held));
    expect(tree.rows.map((r) => [r.name, r.parentRow])).toEqual(model.phaseRows.map((r) => [r.name, r.parentRow]));
    expect(tree.rows.length).toBeGreaterThan(5);
  });

  it("puts the peak in the row of the headline peak's phase, whose live heap is the peak", () => {
    const a = analyze(held);
    expect(a.peak?.seriesKind).toBe('js-live-heap');
    expect(tree.peakRow).not.toBeNull();
    expect(pathOf(tree, tree.peakRow!)).toEqual(a.peak!.phasePath);
    expect(tree.rows[tree.peakRow!]!.liveHeapPeakBytes).toBe(a.peak!.bytes);
    expect(tree.peakText).toMatch(/live heap in /);
  });

  it('gives both memory columns; no row has more live heap than the peak, and a parent holds at least its children', () => {
    const a = analyze(held);
    const withLive = tree.rows.filter((r) => r.liveHeapPeakBytes !== null);
    const withRss = tree.rows.filter((r) => r.rssPeakBytes !== null);
    expect(withLive.length).toBe(tree.rows.length);
    expect(withRss.length).toBe(tree.rows.length);
    for (const r of tree.rows) {
      expect(r.liveHeapPeakBytes!).toBeLessThanOrEqual(a.peak!.bytes);
      expect(r.rssPeakText).toMatch(/^\d+(\.\d+)? (KiB|MiB|GiB)$/);
      if (r.parentRow !== null) {
        const p = tree.rows[r.parentRow]!;
        expect(p.rssPeakBytes!).toBeGreaterThanOrEqual(r.rssPeakBytes!);
        expect(p.liveHeapPeakBytes!).toBeGreaterThanOrEqual(r.liveHeapPeakBytes!);
      }
    }
    // The live heap is what the program holds; V8's process lends it more: RSS is above it at the root.
    const root = tree.rows.find((r) => r.parentRow === null)!;
    expect(root.rssPeakBytes!).toBeGreaterThan(root.liveHeapPeakBytes!);
  });

  it('a phase tree node ends at its last span', () => {
    for (const n of phaseTree(held, analyze(held))) expect(n.endMs).toBeGreaterThanOrEqual(n.startMs);
  });

  it('lists the profile in the history with its command, status and peak', () => {
    const s = storedProfile('/profiles/tinyc.cmi-profile.json', held);
    expect(s.title).toMatch(/out\/main\.js/);
    expect(s.status).toBe('ok');
    expect(s.peakMeasure).toBe('live-heap');
    expect(s.peakText).toMatch(/MiB$/);
  });
});

describe("the phase view's table", () => {
  it("opens on the peak's path: the peak's row is shown, with each of its ancestors open", () => {
    const open = new Set(peakPathRows(tree));
    const shown = shownRows(tree, open, { column: 'duration', descending: true });
    const peak = shown.find((s) => s.row === tree.peakRow);
    expect(peak).toBeDefined();
    expect(peak!.depth).toBe(pathOf(tree, tree.peakRow!).length - 1);
    // Closed, the tree shows only its roots.
    expect(shownRows(tree, new Set(), { column: 'duration', descending: true }).every((s) => s.depth === 0)).toBe(true);
  });

  it('sorts siblings by the column clicked, keeping children under their parent', () => {
    const all = new Set(tree.rows.map((_, i) => i));
    for (const column of ['duration', 'self', 'liveHeap', 'rss'] as const) {
      const sort = nextSort({ column: 'name', descending: false }, column);
      expect(sort.descending).toBe(true);
      const shown = shownRows(tree, all, sort);
      expect(shown.length).toBe(tree.rows.length);
      const value = (row: number) => {
        const r = tree.rows[row]!;
        return { duration: r.durationMs, self: r.selfMs, liveHeap: r.liveHeapPeakBytes, rss: r.rssPeakBytes }[column]!;
      };
      // Among the children of each row (and among the roots), in the order shown: largest first.
      const byParent = new Map<number | null, number[]>();
      for (const s of shown) {
        const p = tree.rows[s.row]!.parentRow;
        byParent.set(p, [...(byParent.get(p) ?? []), s.row]);
        if (p !== null)
          expect(shown.findIndex((x) => x.row === p)).toBeLessThan(shown.findIndex((x) => x.row === s.row));
      }
      for (const rows of byParent.values()) {
        const values = rows.map(value);
        expect(values).toEqual([...values].sort((a, b) => b - a));
      }
      // Clicking again reverses it.
      expect(nextSort(sort, column).descending).toBe(false);
    }
  });

  it('sorting by self time changes the order from sorting by time', () => {
    const all = new Set(tree.rows.map((_, i) => i));
    const byTime = shownRows(tree, all, { column: 'duration', descending: true }).map((s) => s.row);
    const bySelf = shownRows(tree, all, { column: 'self', descending: true }).map((s) => s.row);
    const byName = shownRows(tree, all, { column: 'name', descending: false }).map((s) => s.row);
    expect(new Set(bySelf)).toEqual(new Set(byTime));
    expect(bySelf).not.toEqual(byTime);
    expect(byName).not.toEqual(byTime);
  });
});
