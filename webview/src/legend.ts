// The memory chart's legend: an HTML list above the chart, outside its height, collapsible and
// scrollable. One row per group the host sends (protocol/timeline.ts `seriesGroups`): the build's
// totals, then one row per process, grouped by kind (compilers, drivers, build tools …). By default
// it shows the totals and the TOP_PROCESSES largest processes that are not helpers, and folds the
// rest into "other processes (N)", whose series are not drawn until the user turns them on. Folding
// is a view choice: every series stays in the model, and a click shows or hides any of them.
//
// Colours: one per row, none repeated among the rows in view (the theme's palette, then hues spaced
// by the golden angle); the measures of one process (live heap, RSS, V8 heap) share its colour and
// differ by dash.

import type { TimelineModel, TimelineSeries, TimelineSeriesGroup, TimelineSeriesKind } from '../../protocol/timeline';
import { el } from './dom';
import { formatBytes } from './format';

/** Processes shown by default (beside the totals): the largest by peak, helpers excepted. */
export const TOP_PROCESSES = 8;

/** Line dashes by measure; the first measure of a row (its live heap where it has one) is solid. */
const DASHES: Record<TimelineSeriesKind, number[]> = {
  'allocator-heap': [],
  'js-live-heap': [],
  'rss-tree': [6, 3],
  'rss-process': [6, 3],
  'js-heap': [2, 2],
  'compiler-reported': [8, 3, 2, 3],
};
const MEASURE_ORDER: TimelineSeriesKind[] = [
  'allocator-heap',
  'js-live-heap',
  'rss-tree',
  'rss-process',
  'js-heap',
  'compiler-reported',
];
/** A series' measure, as its chip in a process's row names it. */
const MEASURE_NAMES: Record<TimelineSeriesKind, string> = {
  'allocator-heap': 'live heap',
  'js-live-heap': 'live V8 heap',
  'rss-tree': 'RSS',
  'rss-process': 'RSS',
  'js-heap': 'V8 heap',
  'compiler-reported': 'reported',
};

export interface LegendOptions {
  /** Series ids hidden among those shown by default, and shown among those folded (the kept view). */
  hidden: ReadonlySet<string>;
  shown: ReadonlySet<string>;
  /** A chip was clicked: show or hide that series. */
  onToggle: (index: number, visible: boolean) => void;
}

export class Legend {
  readonly root: HTMLDetailsElement;
  /** Per series: its group's index in `groups`. */
  private readonly groupOf: number[];
  private readonly groups: TimelineSeriesGroup[];
  /** Per group: whether it is shown by default (else folded into "other processes"). */
  private readonly open: boolean[];
  /** Per group: its colour's index in the palette order (rows in view first). */
  private readonly colorSlot: number[];
  private readonly dash: number[][];
  private readonly visible: boolean[];
  /** Series of a program its process replaced by exec. */
  private readonly earlier: Set<number>;
  private readonly chips: HTMLButtonElement[] = [];
  private readonly swatches: HTMLElement[] = [];
  private readonly summary: HTMLElement;
  private palette: string[] = [];

  constructor(
    private readonly model: TimelineModel,
    private readonly opts: LegendOptions,
  ) {
    this.groups = legendGroups(model);
    this.groupOf = new Array(model.series.length).fill(0);
    this.groups.forEach((g, gi) => {
      for (const i of g.series) this.groupOf[i] = gi;
    });
    // The peak's series is always in view, whatever its process's rank.
    const peakIds = new Set([model.peak?.series, model.retainedPeak?.series]);
    this.open = this.groups.map(
      (g) =>
        g.kind === 'tree' ||
        (g.rank < TOP_PROCESSES && g.kind !== 'helper' && g.kind !== 'instrumentation') ||
        g.series.some((i) => peakIds.has(model.series[i]!.id)),
    );
    const order = [...this.groups.keys()].sort((a, b) => Number(this.open[b]) - Number(this.open[a]) || a - b);
    this.colorSlot = new Array(this.groups.length);
    order.forEach((gi, slot) => {
      this.colorSlot[gi] = slot;
    });
    this.earlier = new Set(this.groups.flatMap((g) => g.beforeExec ?? []));
    this.dash = model.series.map(() => []);
    for (const g of this.groups) {
      const measures = [...g.series].sort(
        (a, b) =>
          Number(this.earlier.has(a)) - Number(this.earlier.has(b)) ||
          MEASURE_ORDER.indexOf(model.series[a]!.kind) - MEASURE_ORDER.indexOf(model.series[b]!.kind),
      );
      measures.forEach((i, k) => {
        this.dash[i] = k === 0 ? [] : DASHES[model.series[i]!.kind];
      });
    }
    this.visible = model.series.map((s, i) =>
      this.isOpenByDefault(i) ? !opts.hidden.has(s.id) : opts.shown.has(s.id),
    );

    this.summary = el('summary', { class: 'cmi-legend-summary' });
    const rows = el('div', { class: 'cmi-legend-rows', role: 'list', 'aria-label': 'Memory series' });
    const folded = this.groups.map((_, gi) => gi).filter((gi) => !this.open[gi]);
    rows.append(...this.rowsOf(this.groups.map((_, gi) => gi).filter((gi) => this.open[gi])));
    if (folded.length) {
      const n = folded.length;
      const other = el(
        'details',
        { class: 'cmi-legend-other' },
        el('summary', {}, `other processes (${n})`),
        el('div', { class: 'cmi-legend-rows', role: 'list' }, ...this.rowsOf(folded)),
      );
      // Opened at once when the kept view shows one of them.
      if (folded.some((gi) => this.groups[gi]!.series.some((i) => this.visible[i]))) other.open = true;
      rows.append(other);
    }
    this.root = el('details', { class: 'cmi-legend', open: '' }, this.summary, rows);
    this.updateSummary();
  }

  /** Whether series i is drawn. */
  isVisible(i: number): boolean {
    return this.visible[i]!;
  }

  /** Sets whether series i is drawn (its chip follows). */
  setVisible(i: number, visible: boolean): void {
    this.visible[i] = visible;
    this.chips[i]?.setAttribute('aria-pressed', String(visible));
    this.updateSummary();
  }

  /** Whether series i is drawn by default: its process is not folded, and it is not of a program before an exec. */
  isOpenByDefault(i: number): boolean {
    return this.open[this.groupOf[i]!]! && !this.earlier.has(i);
  }

  color(i: number): string {
    return colorAt(this.palette, this.colorSlot[this.groupOf[i]!]!);
  }

  dashOf(i: number): number[] {
    return this.dash[i]!;
  }

  /** Takes the theme's palette: the swatches follow (the chart's datasets are the caller's). */
  setPalette(palette: string[]): void {
    this.palette = palette;
    this.swatches.forEach((s, i) => {
      if (s) s.style.borderTopColor = this.color(i);
    });
  }

  private updateSummary(): void {
    const shown = this.visible.filter(Boolean).length;
    this.summary.textContent = `Memory series: ${shown} of ${this.model.series.length} drawn`;
  }

  /** The rows of these groups, the kind's name on the first row of each kind. */
  private rowsOf(gis: number[]): HTMLElement[] {
    let lastKind = '';
    return gis.map((gi) => {
      const g = this.groups[gi]!;
      const kind = g.kind === lastKind ? '' : g.kindTitle;
      lastKind = g.kind;
      const chips = g.series.map((i) => this.chip(i, g));
      return el(
        'div',
        { class: 'cmi-legend-row', role: 'listitem', 'data-kind': g.kind, 'data-rank': String(g.rank) },
        el('span', { class: 'cmi-legend-kind' }, kind),
        el('span', { class: 'cmi-legend-label' }, g.kind === 'tree' ? '' : g.label),
        el('span', { class: 'cmi-legend-chips' }, ...chips),
      );
    });
  }

  private chip(i: number, g: TimelineSeriesGroup): HTMLButtonElement {
    const s: TimelineSeries = this.model.series[i]!;
    const swatch = el('span', { class: 'cmi-swatch', 'aria-hidden': 'true' });
    if (this.dash[i]!.length) swatch.classList.add(this.dash[i]![0]! > 3 ? 'cmi-dashed' : 'cmi-dotted');
    const measure = g.kind === 'tree' ? s.name : MEASURE_NAMES[s.kind];
    const text = `${this.earlier.has(i) ? `${measure} before exec` : measure} ${s.maxBytes === null ? '' : formatBytes(s.maxBytes)}`;
    const b = el(
      'button',
      {
        type: 'button',
        class: 'cmi-legend-item',
        'data-series': s.id,
        'aria-pressed': String(this.visible[i]),
        title: `${s.name} · ${s.source}`,
      },
      swatch,
      text.trim(),
    );
    b.addEventListener('click', () => {
      const v = !this.visible[i];
      this.setVisible(i, v);
      this.opts.onToggle(i, v);
    });
    this.chips[i] = b;
    this.swatches[i] = swatch;
    return b;
  }
}

/**
 * The model's groups, or, from a host that sends none, one group per series (all shown) so that an
 * older model still draws.
 */
function legendGroups(model: TimelineModel): TimelineSeriesGroup[] {
  if (model.seriesGroups?.length) return model.seriesGroups;
  return model.series.map((s, i) => ({
    kind: 'tree',
    kindTitle: '',
    label: s.name,
    peakBytes: s.maxBytes,
    rank: -1,
    series: [i],
  }));
}

/** The n-th colour: the theme's palette, then hues spaced by the golden angle (none repeats). */
export function colorAt(palette: readonly string[], n: number): string {
  if (n < palette.length) return palette[n]!;
  const k = n - palette.length;
  return `hsl(${Math.round((k * 137.508 + 20) % 360)}, 62%, 46%)`;
}
