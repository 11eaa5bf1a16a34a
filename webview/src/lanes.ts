// The lanes under the chart, on one canvas aligned to the chart's x scale: phases as nested lanes (one
// group per process) and the markers (GC …); the arenas have lanes of their own (arena-lanes.ts). Drawing is synchronous over the visible window:
// each lane is indexed by start time (with a running maximum of end times) so only visible spans are
// visited, spans narrower than a pixel are merged into one block (a run of them skipped by binary
// search). Labels are measured once per text.

import { partitionPoint } from '../../common/bisect';
import type { TimelineMarker, TimelineModel, TimelinePhase } from '../../protocol/timeline';
import { cssVar } from './dom';
import { TextFitter } from './text-fit';

export const LANE_H = 18;
const MARKER_H = 14;
const GROUP_GAP = 6;
/** Spacing of the hatching of spans placed by guess (CSS px). */
const HATCH = 6;

type Row =
  | { kind: 'phase'; y: number; h: number; group: number; depth: number; lane: PhaseLane }
  | { kind: 'markers'; y: number; h: number };

interface PhaseLane {
  /** Indices into model.phases, ascending start. */
  idx: Int32Array;
  start: Float64Array;
  /** Running maximum of the end times: lets a binary search find the first span reaching the window. */
  maxEnd: Float64Array;
}

export type Hit = { kind: 'phase'; phase: TimelinePhase } | { kind: 'marker'; marker: TimelineMarker };

export interface Viewport {
  xMin: number;
  xMax: number;
  left: number;
  right: number;
}

export class Lanes {
  readonly canvas: HTMLCanvasElement;
  private readonly ctx: CanvasRenderingContext2D;
  private readonly text: TextFitter;
  private readonly rows: Row[] = [];
  private readonly height: number;
  private readonly markers: TimelineMarker[];
  private colors!: Record<string, string>;
  /** Phases drawn at least a pixel wide in the last draw (for the accessible list). */
  visible: TimelinePhase[] = [];

  constructor(private readonly model: TimelineModel) {
    this.canvas = document.createElement('canvas');
    this.canvas.className = 'cmi-lanes';
    this.ctx = this.canvas.getContext('2d')!;
    this.text = new TextFitter(this.ctx);
    this.markers = [...model.markers].sort((a, b) => a.tMs - b.tMs);
    let y = 0;
    // Phases are sorted by group, depth, start: each lane is one contiguous run.
    let i = 0;
    model.groups.forEach((g, gi) => {
      if (gi > 0) y += GROUP_GAP;
      for (let d = 0; d < g.depth; d++) {
        const from = i;
        while (i < model.phases.length && model.phases[i]!.group === gi && model.phases[i]!.depth === d) i++;
        const n = i - from;
        const lane: PhaseLane = { idx: new Int32Array(n), start: new Float64Array(n), maxEnd: new Float64Array(n) };
        let m = -Infinity;
        for (let k = 0; k < n; k++) {
          const p = model.phases[from + k]!;
          lane.idx[k] = from + k;
          lane.start[k] = p.startMs;
          m = Math.max(m, p.endMs);
          lane.maxEnd[k] = m;
        }
        this.rows.push({ kind: 'phase', y, h: LANE_H, group: gi, depth: d, lane });
        y += LANE_H;
      }
    });
    if (this.markers.length) {
      y += 4;
      this.rows.push({ kind: 'markers', y, h: MARKER_H });
      y += MARKER_H;
    }
    this.height = y + 4;
    this.readColors();
  }

  readColors(): void {
    this.colors = {
      fg: cssVar('--cmi-fg', '#1f2328'),
      muted: cssVar('--cmi-muted', '#59636e'),
      text: cssVar('--cmi-phase-text', '#1f2328'),
      merged: cssVar('--cmi-merged', '#9aa4ae'),
      peak: cssVar('--cmi-peak', '#cf222e'),
      gc: cssVar('--cmi-gc', '#8c959f'),
      grid: cssVar('--cmi-grid', 'rgba(128,128,128,0.18)'),
      selection: cssVar('--cmi-selection', 'rgba(9,105,218,0.14)'),
      bg: cssVar('--cmi-bg', '#ffffff'),
    };
    for (let k = 1; k <= 6; k++) this.colors[`phase${k}`] = cssVar(`--cmi-phase-${k}`, '#a8c7fa');
  }

  /** Sizes the canvas to `cssWidth` CSS pixels (device-pixel sharp). */
  resize(cssWidth: number): void {
    const dpr = window.devicePixelRatio || 1;
    this.canvas.style.height = `${this.height}px`;
    this.canvas.style.width = `${cssWidth}px`;
    this.canvas.width = Math.round(cssWidth * dpr);
    this.canvas.height = Math.round(this.height * dpr);
    this.ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  }

  private phaseColor(p: TimelinePhase): string {
    const key = p.category ?? p.name;
    let h = 0;
    for (let i = 0; i < key.length; i++) h = (h * 31 + key.charCodeAt(i)) | 0;
    return this.colors[`phase${(Math.abs(h) % 6) + 1}`]!;
  }

  draw(v: Viewport, selection: [number, number] | null, peakPhaseRows: Set<number>): void {
    const ctx = this.ctx;
    const { xMin, xMax, left, right } = v;
    const w = this.canvas.width / (window.devicePixelRatio || 1);
    const k = (right - left) / (xMax - xMin || 1);
    const px = (t: number) => left + (t - xMin) * k;
    ctx.clearRect(0, 0, w, this.height);
    ctx.font = '11px system-ui, sans-serif';
    ctx.textBaseline = 'middle';
    this.visible = [];
    let lastGroup = -1;
    for (const row of this.rows) {
      if (row.kind === 'phase') {
        if (row.group !== lastGroup) {
          lastGroup = row.group;
          ctx.fillStyle = this.colors.fg!;
          ctx.fillText(this.text.fit(this.model.groups[row.group]!.label, left - 10), 2, row.y + row.h / 2);
        }
        ctx.save();
        ctx.beginPath();
        ctx.rect(left, row.y, right - left, row.h);
        ctx.clip();
        this.drawPhaseLane(row, xMin, xMax, px, peakPhaseRows);
        ctx.restore();
      } else {
        ctx.fillStyle = this.colors.muted!;
        ctx.fillText('GC / markers', 2, row.y + row.h / 2);
        this.drawMarkers(row, xMin, xMax, px, left, right);
      }
    }
    // Lane grid line at the plot's left edge, and the selection.
    ctx.fillStyle = this.colors.grid!;
    ctx.fillRect(left - 1, 0, 1, this.height);
    if (selection) {
      const a = Math.max(left, px(selection[0]));
      const b = Math.min(right, px(selection[1]));
      if (b > a) {
        ctx.fillStyle = this.colors.selection!;
        ctx.fillRect(a, 0, b - a, this.height);
      }
    }
  }

  private drawPhaseLane(
    row: Extract<Row, { kind: 'phase' }>,
    xMin: number,
    xMax: number,
    px: (t: number) => number,
    peakRows: Set<number>,
  ): void {
    const ctx = this.ctx;
    const { idx, start, maxEnd } = row.lane;
    // First span whose running max end reaches the window.
    const lo = partitionPoint(0, idx.length, (k) => maxEnd[k]! < xMin);
    const y = row.y + 1;
    const h = row.h - 2;
    const kPx = (px(xMax) - px(xMin)) / (xMax - xMin || 1);
    let mergeA = -1;
    let mergeB = -1;
    const flushMerged = () => {
      if (mergeA < 0) return;
      ctx.fillStyle = this.colors.merged!;
      ctx.fillRect(mergeA, y, Math.max(1, mergeB - mergeA), h);
      mergeA = mergeB = -1;
    };
    for (let j = lo; j < idx.length && start[j]! <= xMax; j++) {
      const p = this.model.phases[idx[j]!]!;
      if (p.endMs < xMin) continue;
      const a = px(p.startMs);
      const b = px(p.endMs);
      if (b - a < 1) {
        if (mergeA >= 0 && a <= mergeB + 1) mergeB = Math.max(mergeB, b);
        else {
          flushMerged();
          mergeA = a;
          mergeB = Math.max(b, a + 1);
        }
        // The spans starting and ending within a pixel of this one are merged too: skip over them by
        // binary search (at a wide zoom, tens of spans a pixel).
        const tNext = p.startMs + 1 / kPx;
        const lo2 = partitionPoint(j + 1, idx.length, (k) => start[k]! <= tNext);
        // lo2 - 1: the last span starting within the pixel; those between j and it are skipped.
        if (lo2 - 2 > j && maxEnd[lo2 - 2]! <= tNext) {
          mergeB = Math.max(mergeB, px(maxEnd[lo2 - 2]!));
          j = lo2 - 2;
        }
        continue;
      }
      flushMerged();
      this.visible.push(p);
      ctx.fillStyle = this.phaseColor(p);
      if (p.guessedBy) this.drawGuessed(a, b, y, h);
      else ctx.fillRect(a, y, b - a, h);
      if (peakRows.has(p.row)) {
        ctx.strokeStyle = this.colors.peak!;
        ctx.lineWidth = 1.5;
        ctx.strokeRect(a + 0.75, y + 0.75, b - a - 1.5, h - 1.5);
      } else if (b - a > 3) {
        ctx.fillStyle = this.colors.bg!;
        ctx.fillRect(b - 1, y, 1, h);
      }
      if (b - a > 24) {
        const ta = Math.max(a, px(xMin)) + 3;
        const tb = Math.min(b, px(xMax)) - 3;
        if (tb - ta > 12) {
          ctx.fillStyle = this.colors.text!;
          ctx.fillText(this.text.fit(p.name, tb - ta), ta, y + h / 2);
        }
      }
    }
    flushMerged();
  }

  /**
   * A span placed by guess (durations only): its colour faded, hatched, with a dashed outline, so that
   * it never reads as a measured span. The fill style is the phase's colour.
   */
  private drawGuessed(a: number, b: number, y: number, h: number): void {
    const ctx = this.ctx;
    ctx.save();
    ctx.globalAlpha = 0.45;
    ctx.fillRect(a, y, b - a, h);
    ctx.globalAlpha = 1;
    ctx.beginPath();
    ctx.rect(a, y, b - a, h);
    ctx.clip();
    ctx.strokeStyle = this.colors.muted!;
    ctx.lineWidth = 1;
    ctx.beginPath();
    // Diagonal hatching every HATCH px, on absolute x so neighbouring spans' lines meet.
    for (let x = Math.floor((a - h) / HATCH) * HATCH; x < b; x += HATCH) {
      ctx.moveTo(x, y + h);
      ctx.lineTo(x + h, y);
    }
    ctx.stroke();
    ctx.setLineDash([3, 2]);
    ctx.strokeRect(a + 0.5, y + 0.5, b - a - 1, h - 1);
    ctx.restore();
  }

  private drawMarkers(
    row: Extract<Row, { kind: 'markers' }>,
    xMin: number,
    xMax: number,
    px: (t: number) => number,
    left: number,
    right: number,
  ): void {
    const ctx = this.ctx;
    ctx.fillStyle = this.colors.gc!;
    let lastX = -Infinity;
    for (
      let lo = lowerBoundBy(this.markers, xMin, (m) => m.tMs + (m.durMs ?? 0)), j = lo;
      j < this.markers.length;
      j++
    ) {
      const m = this.markers[j]!;
      if (m.tMs > xMax) break;
      const a = Math.max(left, px(m.tMs));
      const b = Math.min(right, px(m.tMs + (m.durMs ?? 0)));
      if (b - a < 1 && a < lastX + 1) continue;
      ctx.fillRect(a, row.y + 2, Math.max(1.5, b - a), row.h - 4);
      lastX = Math.max(a, b);
    }
  }

  /** What is under a point of the canvas (CSS pixels), with a tolerance of a few pixels for thin spans. */
  hitTest(x: number, y: number, v: Viewport): Hit | undefined {
    if (x < v.left || x > v.right) return undefined;
    const k = (v.xMax - v.xMin) / (v.right - v.left || 1);
    const t = v.xMin + (x - v.left) * k;
    const tol = 3 * k;
    for (const row of this.rows) {
      if (y < row.y || y >= row.y + row.h) continue;
      if (row.kind === 'phase') {
        const { idx, start } = row.lane;
        // The last span starting at or before t + tol, and those just before it.
        const lo = partitionPoint(0, idx.length, (k) => start[k]! <= t + tol);
        let best: TimelinePhase | undefined;
        for (let j = lo - 1; j >= 0 && j >= lo - 64; j--) {
          const p = this.model.phases[idx[j]!]!;
          if (p.startMs - tol <= t && t <= p.endMs + tol) {
            if (!best || (p.startMs <= t && t <= p.endMs && !(best.startMs <= t && t <= best.endMs))) best = p;
            if (p.startMs <= t && t <= p.endMs) break;
          }
        }
        return best ? { kind: 'phase', phase: best } : undefined;
      }
      let best: TimelineMarker | undefined;
      for (const m of this.markers) {
        if (m.tMs - tol <= t && t <= m.tMs + (m.durMs ?? 0) + tol) best = m;
        if (m.tMs > t + tol) break;
      }
      return best ? { kind: 'marker', marker: best } : undefined;
    }
    return undefined;
  }
}

function lowerBoundBy<T>(xs: T[], v: number, key: (x: T) => number): number {
  // Markers are sorted by start; ends are not monotonic, so step back over long markers.
  return Math.max(0, partitionPoint(0, xs.length, (k) => key(xs[k]!) < v) - 8);
}
