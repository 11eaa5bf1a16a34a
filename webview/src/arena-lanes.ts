// The arena lanes, under the phase lanes on the chart's x scale: one lane per group of arenas (the
// groups compare matches across runs: category and name with numbers folded), named in the gutter and
// drawing all of the group's arenas, and, for an unfolded group, one named lane per arena. Groups
// holding arenas past their last use come first, and in a group its held arenas; those groups start
// unfolded. Every arena has a lane: the lanes scroll (a box of at most ARENA_BOX_H pixels) and only the
// lanes in the box are drawn, each indexed by start time (with a running maximum of end times) so a zoom
// step visits only the arenas in the window. A singleton group is one lane, named after its arena.

import { partitionPoint } from '../../common/bisect';
import type { TimelineArena, TimelineArenaGroup, TimelineModel } from '../../protocol/timeline';
import { cssVar, el } from './dom';
import { formatBytes } from './format';
import type { Viewport } from './lanes';
import { TextFitter } from './text-fit';

/** Height of one arena lane, a group's or an arena's (CSS pixels). */
export const ARENA_ROW_H = 16;
/** The scroll box's height at most: 15 lanes, the rest scrolled to. */
const ARENA_BOX_H = 15 * ARENA_ROW_H;
/** Groups fold when all lanes unfolded would be more than this many (except those holding arenas past their last use). */
const UNFOLD_ALL_MAX_ROWS = 60;

/** A lane: a group's (all its arenas on one row) or one arena's. */
export type ArenaRowRef = { kind: 'group'; group: number } | { kind: 'arena'; group: number; arena: number };

interface GroupIndex {
  /** The group's arenas (indices into model.arenas) by start, with the running maximum of their ends. */
  idx: Int32Array;
  start: Float64Array;
  maxEnd: Float64Array;
}

export type ArenaHit = { kind: 'arena'; arena: TimelineArena } | { kind: 'group'; group: TimelineArenaGroup };

export class ArenaLanes {
  /** The section: a heading line and the scroll box with the canvas. */
  readonly root: HTMLElement;
  readonly canvas: HTMLCanvasElement;
  readonly box: HTMLElement;
  private readonly spacer: HTMLElement;
  private readonly heading: HTMLElement;
  /** The names of the lanes in the box, as text (the canvas has none): for screen readers and tests. */
  private readonly names: HTMLUListElement;
  private readonly ctx: CanvasRenderingContext2D;
  private readonly text: TextFitter;
  private readonly index: GroupIndex[];
  private readonly folded: boolean[];
  private rows: ArenaRowRef[] = [];
  /** The lane of each arena (index into `rows`), -1 in a folded group. */
  private laneOfArena: Int32Array;
  private readonly arenaPeakMax: number;
  private colors!: Record<string, string>;
  private cssWidth = 0;
  private lastView: Viewport | null = null;
  private lastSelection: [number, number] | null = null;
  /** Called when the lanes in the box change (scroll, fold): the owner redraws and updates its lists. */
  onChange: (() => void) | undefined;

  constructor(private readonly model: TimelineModel) {
    const groups = model.arenaGroups;
    this.index = groups.map((g) => {
      const ids = [...g.arenas].sort((x, y) => model.arenas[x]!.startMs - model.arenas[y]!.startMs);
      const idx = Int32Array.from(ids);
      const start = new Float64Array(ids.length);
      const maxEnd = new Float64Array(ids.length);
      let m = -Infinity;
      ids.forEach((i, k) => {
        const a = model.arenas[i]!;
        start[k] = a.startMs;
        m = Math.max(m, a.endMs ?? model.run.endMs);
        maxEnd[k] = m;
      });
      return { idx, start, maxEnd };
    });
    const all = groups.reduce((n, g) => n + (g.arenas.length > 1 ? g.arenas.length + 1 : 1), 0);
    this.folded = groups.map((g) => g.arenas.length > 1 && all > UNFOLD_ALL_MAX_ROWS && g.held === 0);
    this.arenaPeakMax = model.arenas.reduce((m, a) => Math.max(m, a.peakBytes), 0);
    this.laneOfArena = new Int32Array(model.arenas.length);

    this.canvas = el('canvas', {
      class: 'cmi-arena-canvas',
      role: 'img',
      'aria-label': 'Arena lifetimes by group: created, last used, freed',
    });
    this.ctx = this.canvas.getContext('2d')!;
    this.text = new TextFitter(this.ctx);
    this.spacer = el('div', { class: 'cmi-arena-spacer' });
    this.box = el('div', { class: 'cmi-arena-box' }, this.canvas, this.spacer);
    const held = model.arenas.filter((a) => a.heldPastLastUse).length;
    this.heading = el(
      'div',
      { class: 'cmi-arena-heading' },
      `Arenas (${model.arenas.length}) in ${groups.length} group${groups.length === 1 ? '' : 's'}${held ? ` · ${held} held past their last use, shown first` : ''} · click a group's name to fold or unfold it`,
    );
    this.names = el('ul', { class: 'cmi-sr', id: 'cmi-arena-lane-names', 'aria-label': 'Arena lanes in view' });
    this.root = el('div', { class: 'cmi-arenas' }, this.heading, this.box, this.names);
    this.box.addEventListener(
      'scroll',
      () => {
        this.listNames();
        this.onChange?.();
      },
      { passive: true },
    );
    this.layout();
    this.readColors();
  }

  /** The lanes from the folded state; sizes the box (at most ARENA_BOX_H, then it scrolls). */
  private layout(): void {
    const rows: ArenaRowRef[] = [];
    this.model.arenaGroups.forEach((g, gi) => {
      if (g.arenas.length === 1) return void rows.push({ kind: 'arena', group: gi, arena: g.arenas[0]! });
      rows.push({ kind: 'group', group: gi });
      if (!this.folded[gi]) for (const a of g.arenas) rows.push({ kind: 'arena', group: gi, arena: a });
    });
    this.rows = rows;
    this.laneOfArena.fill(-1);
    rows.forEach((r, i) => r.kind === 'arena' && (this.laneOfArena[r.arena] = i));
    const total = rows.length * ARENA_ROW_H;
    const h = Math.min(total, ARENA_BOX_H);
    this.canvas.style.height = `${h}px`;
    this.spacer.style.height = `${total - h}px`;
    this.box.style.height = `${h}px`;
    this.root.dataset.rows = String(rows.length);
    this.resize(this.cssWidth);
    this.listNames();
  }

  /** The lane's name as the gutter shows it (a group's with its fold state and count). */
  laneName(r: number): string {
    const row = this.rows[r]!;
    const g = this.model.arenaGroups[row.group]!;
    return row.kind === 'group'
      ? `${this.folded[row.group] ? '▸' : '▾'} ${g.arenas.length}× ${g.label}`
      : this.model.arenas[row.arena]!.name;
  }

  private listNames(): void {
    const [first, end] = this.visibleRows();
    const items: HTMLElement[] = [];
    for (let r = first; r < end; r++) {
      const row = this.rows[r]!;
      const held =
        row.kind === 'group'
          ? this.model.arenaGroups[row.group]!.held > 0
          : this.model.arenas[row.arena]!.heldPastLastUse;
      items.push(
        el('li', { 'data-lane': String(r), 'data-kind': row.kind, 'data-held': String(held) }, this.laneName(r)),
      );
    }
    this.names.replaceChildren(...items);
  }

  readColors(): void {
    this.colors = {
      fg: cssVar('--cmi-fg', '#1f2328'),
      muted: cssVar('--cmi-muted', '#59636e'),
      held: cssVar('--cmi-held', '#d4640b'),
      arena: cssVar('--cmi-arena', '#4c6ef5'),
      grid: cssVar('--cmi-grid', 'rgba(128,128,128,0.18)'),
      selection: cssVar('--cmi-selection', 'rgba(9,105,218,0.14)'),
    };
  }

  /** Sizes the canvas to `cssWidth` CSS pixels (device-pixel sharp). */
  resize(cssWidth: number): void {
    if (!(cssWidth > 0)) return;
    this.cssWidth = cssWidth;
    const dpr = window.devicePixelRatio || 1;
    const h = Math.min(this.rows.length * ARENA_ROW_H, ARENA_BOX_H);
    this.canvas.style.width = `${cssWidth}px`;
    this.canvas.width = Math.round(cssWidth * dpr);
    this.canvas.height = Math.round(h * dpr);
    this.ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  }

  /** All lanes, in order (for tests and the accessible list). */
  get lanes(): readonly ArenaRowRef[] {
    return this.rows;
  }

  /** The lanes in the scroll box now: [first, end). */
  visibleRows(): [number, number] {
    const top = this.box.scrollTop;
    const first = Math.max(0, Math.floor(top / ARENA_ROW_H));
    const h = Math.min(this.rows.length * ARENA_ROW_H, ARENA_BOX_H);
    return [first, Math.min(this.rows.length, Math.ceil((top + h) / ARENA_ROW_H))];
  }

  /** The lane of an arena (index into `lanes`), or -1 when its group is folded. */
  laneOf(arena: number): number {
    return this.laneOfArena[arena] ?? -1;
  }

  toggle(group: number): void {
    if (this.model.arenaGroups[group]!.arenas.length < 2) return;
    this.folded[group] = !this.folded[group];
    this.layout();
    this.onChange?.();
  }

  isFolded(group: number): boolean {
    return this.folded[group]!;
  }

  draw(v: Viewport, selection: [number, number] | null): void {
    this.lastView = v;
    this.lastSelection = selection;
    const ctx = this.ctx;
    const { xMin, xMax, left, right } = v;
    const k = (right - left) / (xMax - xMin || 1);
    const px = (t: number) => left + (t - xMin) * k;
    const h = Math.min(this.rows.length * ARENA_ROW_H, ARENA_BOX_H);
    ctx.clearRect(0, 0, this.cssWidth, h);
    ctx.font = '11px system-ui, sans-serif';
    ctx.textBaseline = 'middle';
    const top = this.box.scrollTop;
    const [first, end] = this.visibleRows();
    for (let r = first; r < end; r++) {
      const row = this.rows[r]!;
      const y = r * ARENA_ROW_H - top;
      const g = this.model.arenaGroups[row.group]!;
      // The gutter: the lane's name.
      if (row.kind === 'group') {
        ctx.fillStyle = g.held ? this.colors.held! : this.colors.fg!;
        ctx.fillText(this.text.fit(this.laneName(r), left - 8), 2, y + ARENA_ROW_H / 2);
      } else {
        const a = this.model.arenas[row.arena]!;
        ctx.fillStyle = a.heldPastLastUse ? this.colors.held! : this.colors.muted!;
        const indent = g.arenas.length > 1 ? 12 : 2;
        ctx.fillText(this.text.fit(a.name, left - 8 - indent), indent, y + ARENA_ROW_H / 2);
      }
      ctx.save();
      ctx.beginPath();
      ctx.rect(left, y, right - left, ARENA_ROW_H);
      ctx.clip();
      if (row.kind === 'group') this.drawGroup(row.group, y, xMin, xMax, px);
      else this.drawArena(this.model.arenas[row.arena]!, y, px, xMin, xMax, true);
      ctx.restore();
      if (row.kind === 'group' && r > 0) {
        ctx.fillStyle = this.colors.grid!;
        ctx.fillRect(0, y, right, 1);
      }
    }
    ctx.fillStyle = this.colors.grid!;
    ctx.fillRect(left - 1, 0, 1, h);
    if (selection) {
      const a = Math.max(left, px(selection[0]));
      const b = Math.min(right, px(selection[1]));
      if (b > a) {
        ctx.fillStyle = this.colors.selection!;
        ctx.fillRect(a, 0, b - a, h);
      }
    }
  }

  /** Redraws with the last viewport (after a scroll or a fold). */
  redraw(): void {
    if (this.lastView) this.draw(this.lastView, this.lastSelection);
  }

  /** A group's lane: all its arenas in the window, those within a pixel of the last one drawn skipped. */
  private drawGroup(group: number, y: number, xMin: number, xMax: number, px: (t: number) => number): void {
    const { idx, start, maxEnd } = this.index[group]!;
    const lo = partitionPoint(0, idx.length, (k) => maxEnd[k]! < xMin);
    const end = this.model.run.endMs;
    let lastA = -Infinity;
    let lastB = -Infinity;
    // Held arenas are drawn after the others, so that they are never covered.
    const held: TimelineArena[] = [];
    for (let k = lo; k < idx.length && start[k]! <= xMax; k++) {
      const ar = this.model.arenas[idx[k]!]!;
      if ((ar.endMs ?? end) < xMin) continue;
      if (ar.heldPastLastUse) {
        held.push(ar);
        continue;
      }
      const a = px(ar.startMs);
      const b = px(ar.endMs ?? end);
      if (a >= lastA - 0.5 && b <= lastB + 1 && b - a < 1) continue;
      lastA = a;
      lastB = Math.max(b, a + 1);
      this.drawArena(ar, y, px, xMin, xMax, false);
    }
    for (const ar of held) this.drawArena(ar, y, px, xMin, xMax, false);
  }

  /** One arena: creation → free shaded by its peak, the part held past its last use in the held colour, its last use marked. */
  private drawArena(
    ar: TimelineArena,
    y: number,
    px: (t: number) => number,
    xMin: number,
    xMax: number,
    label: boolean,
  ): void {
    const ctx = this.ctx;
    const stop = ar.endMs ?? this.model.run.endMs;
    if (stop < xMin || ar.startMs > xMax) return;
    const a = px(ar.startMs);
    const b = Math.max(a + 1, px(stop));
    const y0 = y + 2;
    const h = ARENA_ROW_H - 4;
    const share = this.arenaPeakMax > 0 ? ar.peakBytes / this.arenaPeakMax : 0;
    ctx.globalAlpha = 0.2 + 0.8 * Math.sqrt(share);
    ctx.fillStyle = this.colors.arena!;
    ctx.fillRect(a, y0, b - a, h);
    ctx.globalAlpha = 1;
    if (ar.heldPastLastUse && ar.lastUseMs !== null) {
      const h0 = px(ar.lastUseMs);
      ctx.fillStyle = this.colors.held!;
      ctx.globalAlpha = 0.55;
      ctx.fillRect(h0, y0, b - h0, h);
      ctx.globalAlpha = 1;
      ctx.strokeStyle = this.colors.held!;
      ctx.lineWidth = 1.5;
      ctx.strokeRect(a + 0.75, y0 + 0.75, b - a - 1.5, h - 1.5);
    }
    if (ar.lastUseMs !== null) {
      ctx.fillStyle = this.colors.fg!;
      ctx.fillRect(px(ar.lastUseMs) - 1, y + 1, 2, ARENA_ROW_H - 2);
    }
    if (label && b - a > 60) {
      const text = `${formatBytes(ar.peakBytes)}${ar.heldPastLastUse ? `, held: saves ${formatBytes(ar.potentialSavingBytes)}` : ''}`;
      const ta = Math.max(a, px(xMin)) + 4;
      const tb = Math.min(b, px(xMax)) - 4;
      if (tb - ta > 24) {
        ctx.fillStyle = this.colors.fg!;
        ctx.fillText(this.text.fit(text, tb - ta), ta, y + ARENA_ROW_H / 2);
      }
    }
  }

  /** What is under a point of the canvas (CSS pixels): in the gutter a group's name, in the plot an arena. */
  hitTest(x: number, y: number, v: Viewport): ArenaHit | { kind: 'fold'; group: number } | undefined {
    const r = Math.floor((y + this.box.scrollTop) / ARENA_ROW_H);
    const row = this.rows[r];
    if (!row) return undefined;
    const g = this.model.arenaGroups[row.group]!;
    if (x < v.left) return row.kind === 'group' ? { kind: 'fold', group: row.group } : undefined;
    if (x > v.right) return undefined;
    const kx = (v.xMax - v.xMin) / (v.right - v.left || 1);
    const t = v.xMin + (x - v.left) * kx;
    const tol = 3 * kx;
    const end = this.model.run.endMs;
    const covers = (a: TimelineArena) => a.startMs - tol <= t && t <= (a.endMs ?? end) + tol;
    if (row.kind === 'arena') {
      const a = this.model.arenas[row.arena]!;
      return covers(a) ? { kind: 'arena', arena: a } : undefined;
    }
    // A group's lane: the held arena there if any, else the largest.
    let best: TimelineArena | undefined;
    for (const i of g.arenas) {
      const a = this.model.arenas[i]!;
      if (!covers(a)) continue;
      if (
        !best ||
        (a.heldPastLastUse && !best.heldPastLastUse) ||
        (a.heldPastLastUse === best.heldPastLastUse && a.peakBytes > best.peakBytes)
      )
        best = a;
    }
    return best ? { kind: 'arena', arena: best } : { kind: 'group', group: g };
  }
}
