// The timeline: the memory chart (chart.js, zoom and annotation plugins), the lanes under it on the
// same x scale, tooltips, zoom and pan in step (wheel, drag, keyboard), range selection (shift+drag),
// the accessible mirror of what is in view. It draws the model and the series windows it is sent,
// and asks the host for the decimated samples of the visible window whenever that window changes.
//
// A zoom or pan step sets the window, asks for its samples, and draws chart and lanes once, when they
// arrive (or at the next frame, with the samples it has, if they are late). Colours are the theme's
// (CSS variables): a theme change in VS Code (body class, variables) redraws both. The visible window
// and the hidden series are kept in the view state (view-state.ts).

import {
  Chart,
  Filler,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
  type ChartConfiguration,
  type Plugin,
  type Scale,
} from 'chart.js';
import { toFont } from 'chart.js/helpers';
import annotationPlugin from 'chartjs-plugin-annotation';
import zoomPlugin from 'chartjs-plugin-zoom';
import type {
  SeriesWindow,
  TimelineArena,
  TimelineArenaGroup,
  TimelineModel,
  TimelinePeak,
  TimelinePhase,
} from '../../protocol/timeline';
import { type ArenaHit, ArenaLanes } from './arena-lanes';
import { cssVar, el } from './dom';
import { byteTicks, formatBytes, formatMs } from './format';
import { type Hit, Lanes, type Viewport } from './lanes';
import { Legend } from './legend';
import { durationsTable, phaseRowPath } from './tables';
import type { ViewState } from './view-state';

Chart.register(LineController, LineElement, PointElement, LinearScale, Tooltip, Filler, zoomPlugin, annotationPlugin);

/** Width of the left gutter (y axis ticks, lane labels). */
const GUTTER = 150;

type Point = { x: number; y: number };

/** The theme's colours the chart uses (the lanes read theirs in Lanes.readColors). */
interface ChartTheme {
  fg: string;
  muted: string;
  grid: string;
  peak: string;
  bg: string;
  palette: string[];
}

function readTheme(): ChartTheme {
  return {
    fg: cssVar('--cmi-fg', '#1f2328'),
    muted: cssVar('--cmi-muted', '#59636e'),
    grid: cssVar('--cmi-grid', 'rgba(128,128,128,0.18)'),
    peak: cssVar('--cmi-peak', '#cf222e'),
    bg: cssVar('--cmi-bg', '#ffffff'),
    palette: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((i) => cssVar(`--cmi-series-${i}`, '#0969da')),
  };
}

/** The decimated samples of the window, of the series named (all without `seriesIds`). */
export type SeriesRequester = (
  startMs: number,
  endMs: number,
  columns: number,
  seriesIds?: string[],
) => Promise<SeriesWindow[]>;

export class Timeline {
  readonly root: HTMLElement;
  private chart!: Chart<'line', Point[]>;
  private readonly chartCanvas: HTMLCanvasElement;
  private readonly lanes: Lanes;
  /** The arena lanes (arena-lanes.ts); absent for a profile without arenas. */
  private readonly arenaLanes: ArenaLanes | undefined;
  private readonly legend: Legend;
  private readonly tooltip: HTMLElement;
  private readonly selectionBox: HTMLElement;
  private readonly phaseBox: HTMLElement;
  private readonly visiblePhases: HTMLUListElement;
  private readonly visibleArenas: HTMLUListElement;
  private selection: [number, number] | null = null;
  private readonly peakRows = new Set<number>();
  private requestSeq = 0;
  private firstRenderPending = true;
  private stepPending = false;
  /** The window last asked for (min:max:columns:visible series). */
  private lastWindowKey = '';
  private inFlight = false;
  private a11yTimer: ReturnType<typeof setTimeout> | undefined;
  /** A window set but not drawn yet (its samples are on their way). */
  private pendingWindow: [number, number] | null = null;
  /** The fallback frame that draws a pending window with the samples at hand. */
  private renderFrame = 0;
  /** What the lanes were last drawn for: an unchanged view (a tooltip on the chart) is not redrawn. */
  private lanesKey = '';
  private themeKey = '';
  /** What dispose() undoes (observers). */
  private readonly disposers: (() => void)[] = [];
  /** Called once, when the chart and the lanes have first been drawn with samples. */
  onFirstRender: (() => void) | undefined;
  /** Called when the user clicks a phase in the lanes (after it is selected). */
  onPhaseClick: ((phase: TimelinePhase) => void) | undefined;

  constructor(
    private readonly model: TimelineModel,
    private readonly requestSeries: SeriesRequester,
    /** The kept view state (restored from it, updated in it); `saveState` asks to keep it. */
    private readonly state: ViewState = { key: '' },
    private readonly saveState: () => void = () => {},
  ) {
    model.phaseRows.forEach((r, i) => r.holdsPeak && this.peakRows.add(i));
    const canvas = el('canvas', { role: 'img', 'aria-label': 'Memory over time' });
    const chartBox = el('div', { class: 'cmi-chart-box' }, canvas);
    this.legend = new Legend(model, {
      hidden: new Set(state.hiddenSeries ?? []),
      shown: new Set(state.shownSeries ?? []),
      onToggle: (i, visible) => this.setSeriesVisible(i, visible),
    });
    this.lanes = new Lanes(model);
    this.lanes.canvas.setAttribute('role', 'img');
    this.lanes.canvas.setAttribute('aria-label', 'Phases, markers and arenas over time');
    this.tooltip = el('div', { class: 'cmi-tooltip', role: 'tooltip', id: 'cmi-tooltip', hidden: '' });
    this.selectionBox = el('div', { class: 'cmi-selection', id: 'cmi-selection', 'aria-live': 'polite', hidden: '' });
    this.phaseBox = el('section', {
      class: 'cmi-phase-details',
      id: 'cmi-phase-details',
      'aria-live': 'polite',
      hidden: '',
    });
    this.visiblePhases = el('ul', { class: 'cmi-sr', id: 'cmi-visible-phases', 'aria-label': 'Phases in view' });
    this.arenaLanes = model.arenas.length ? new ArenaLanes(model) : undefined;
    if (this.arenaLanes)
      this.arenaLanes.onChange = () => {
        this.arenaLanes!.redraw();
        this.scheduleAccessibleLists();
      };
    this.visibleArenas = el('ul', {
      class: 'cmi-sr',
      id: 'cmi-visible-arenas',
      'aria-label': 'Arenas in view',
      'data-lanes': String(this.arenaLanes?.lanes.length ?? 0),
    });
    this.root = el(
      'div',
      { class: 'cmi-timeline', tabindex: '0', 'aria-label': 'Timeline: + and − zoom, arrows pan, 0 resets' },
      this.legend.root,
      chartBox,
      this.lanes.canvas,
      ...(this.arenaLanes ? [this.arenaLanes.root] : []),
      el(
        'p',
        { class: 'cmi-help' },
        'Wheel or + / − to zoom, drag or ← / → to pan, 0 to reset, shift+drag to select a range.',
      ),
      this.visiblePhases,
      this.visibleArenas,
    );
    document.body.append(this.tooltip);
    this.chartCanvas = canvas;
  }

  /** The section showing the selected range's figures (placed by the caller). */
  get selectionElement(): HTMLElement {
    return this.selectionBox;
  }

  /** The section showing the phase last clicked in the lanes (placed by the caller). */
  get phaseDetailsElement(): HTMLElement {
    return this.phaseBox;
  }

  private config(): ChartConfiguration<'line', Point[]> {
    const m = this.model;
    const theme = readTheme();
    this.themeKey = JSON.stringify(theme);
    const { muted, grid, peak: peakColor, bg, palette } = theme;
    Chart.defaults.color = muted;
    Chart.defaults.borderColor = grid;
    Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
    const peak = m.peak;
    const lanesPlugin: Plugin<'line'> = {
      id: 'cmiLanes',
      // chart.js resizes its canvas on its own schedule; the lanes follow it, or a resize (a split
      // editor, a full-page screenshot) would leave them cleared or at the old width.
      resize: () => {
        requestAnimationFrame(() => {
          this.resizeLanes();
          this.drawLanes();
        });
      },
      // Any update lays the scale out from the options, where a pending window is set (and where the
      // zoom plugin sets its pan): the scale is the window from then on.
      afterUpdate: () => {
        this.pendingWindow = null;
      },
      afterDatasetsDraw: (chart) => {
        if (!this.selection) return;
        const { left, right, top, bottom } = chart.chartArea;
        const x = chart.scales.x!;
        const a = Math.max(left, x.getPixelForValue(this.selection[0]));
        const b = Math.min(right, x.getPixelForValue(this.selection[1]));
        if (b <= a) return;
        chart.ctx.save();
        chart.ctx.fillStyle = cssVar('--cmi-selection', 'rgba(9,105,218,0.14)');
        chart.ctx.fillRect(a, top, b - a, bottom - top);
        chart.ctx.restore();
      },
      afterDraw: (chart) => {
        this.drawLanes();
        this.showPeakLabelBox(chart);
      },
    };
    const peakLabel = peak
      ? [
          `${peak.measure === 'live-heap' ? 'live heap peak' : 'peak'} ${formatBytes(peak.bytes)}`,
          ...(peak.afterPhasePath
            ? wrapPath('at exit, after ', peak.afterPhasePath)
            : peak.phasePath.length
              ? [...wrapPath('', peak.phasePath), ...(peak.untimedInside ? [`(${peak.untimedInside} not timed)`] : [])]
              : ['(no phase)']),
        ]
      : [];
    this.legend.setPalette(palette);
    return {
      type: 'line',
      data: {
        datasets: m.series.map((s, i) => ({
          label: `${s.name} · ${s.source}`,
          data: [],
          hidden: !this.legend.isVisible(i),
          borderColor: this.legend.color(i),
          backgroundColor: this.legend.color(i),
          borderDash: this.legend.dashOf(i),
          borderWidth: s.id === peak?.series ? 2 : 1.25,
          pointRadius: 0,
          pointHitRadius: 4,
          tension: 0,
          parsing: false,
          normalized: true,
          spanGaps: true,
        })),
      },
      plugins: [lanesPlugin],
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        interaction: { mode: 'nearest', axis: 'x', intersect: false },
        // On the right, room for the arena lanes' scroll bar: the lanes keep the chart's x scale.
        layout: { padding: { right: 8 + this.arenaScrollbarWidth(), top: 8 } },
        scales: {
          x: {
            type: 'linear',
            min: m.run.startMs,
            max: m.run.endMs,
            grid: { color: grid },
            border: { color: grid },
            ticks: { color: muted, callback: (v) => formatMs(Number(v)), maxRotation: 0, autoSkipPadding: 12 },
          },
          y: {
            type: 'linear',
            beginAtZero: true,
            grid: { color: grid },
            border: { color: grid },
            title: { display: true, text: 'memory', color: muted },
            afterDataLimits: (scale: Scale) => {
              const t = byteTicks(scale.max * 1.15); // headroom for the peak's label
              scale.min = 0;
              scale.max = t[t.length - 1]!;
            },
            afterBuildTicks: (scale: Scale) => {
              // Only ticks inside the axis: one above it would be drawn over the legend.
              scale.ticks = byteTicks(scale.max)
                .filter((value) => value <= scale.max * (1 + 1e-9))
                .map((value) => ({ value }));
            },
            afterFit: (scale: Scale) => {
              scale.width = GUTTER;
            },
            ticks: { color: muted, callback: (v) => formatBytes(Number(v)) },
          },
        },
        plugins: {
          // The legend is HTML, above the chart (legend.ts): hundreds of processes do not take its place.
          legend: { display: false },
          tooltip: {
            callbacks: {
              title: (items) => (items[0] ? formatMs(items[0].parsed.x) : ''),
              label: (item) => `${item.dataset.label ?? ''}: ${formatBytes(item.parsed.y)}`,
            },
          },
          annotation: {
            annotations: peak
              ? {
                  peakLine: {
                    type: 'line',
                    xMin: peak.atMs,
                    xMax: peak.atMs,
                    borderColor: peakColor,
                    borderWidth: 1,
                    borderDash: [4, 3],
                  },
                  peakPoint: {
                    type: 'point',
                    xValue: peak.atMs,
                    yValue: peak.bytes,
                    radius: 5,
                    backgroundColor: peakColor,
                    borderColor: bg,
                    borderWidth: 2,
                  },
                  peakLabel: {
                    type: 'label',
                    xValue: peak.atMs,
                    yValue: peak.bytes,
                    content: peakLabel,
                    color: peakColor,
                    backgroundColor: bg,
                    borderColor: peakColor,
                    borderWidth: 1,
                    borderRadius: 3,
                    padding: 4,
                    font: { weight: 'bold' },
                    // Kept inside the plot: right of the point, or left of it near the right edge, or
                    // below it near the top (peakLabelPlace).
                    position: { x: 'start', y: 'end' },
                    xAdjust: (ctx: { chart: Chart }) => peakLabelPlace(ctx.chart, peak, peakLabel).xAdjust,
                    yAdjust: (ctx: { chart: Chart }) => peakLabelPlace(ctx.chart, peak, peakLabel).yAdjust,
                  },
                }
              : {},
          },
          zoom: {
            limits: {
              x: {
                min: m.run.startMs,
                max: m.run.endMs,
                minRange: Math.max(1e-3, (m.run.endMs - m.run.startMs) / 1e7),
              },
            },
            pan: {
              enabled: true,
              mode: 'x',
              onPanStart: ({ event }) => !(event as unknown as { srcEvent?: MouseEvent }).srcEvent?.shiftKey,
              onPanComplete: () => this.fetchWindow(),
            },
            // The wheel is the view's own (wire()): one handler for the chart and the lanes, which draws
            // once the samples of the new window are there. Pinch stays the plugin's.
            zoom: {
              wheel: { enabled: false },
              pinch: { enabled: true },
              mode: 'x',
              onZoom: () => this.fetchWindow(),
              onZoomComplete: () => this.fetchWindow(),
            },
          },
        },
      },
    };
  }

  /** The width of the arena lanes' scroll bar (0 when they do not scroll). */
  private arenaScrollbarWidth(): number {
    const box = this.arenaLanes?.box;
    return box ? Math.max(0, box.offsetWidth - box.clientWidth) : 0;
  }

  /** Where the peak's label and the plot are, in canvas pixels, on the root (for tests and bug reports). */
  private showPeakLabelBox(chart: Chart): void {
    const { left, top, right, bottom } = chart.chartArea;
    const label = annotationPlugin.getAnnotations(chart).find((e) => e.options.id === 'peakLabel');
    const d = this.root.dataset;
    d.plotBox = [left, top, right, bottom].map((v) => v.toFixed(1)).join(' ');
    if (label) d.peakLabelBox = [label.x, label.y, label.x2, label.y2].map((v) => v.toFixed(1)).join(' ');
  }

  /** Starts drawing: sizes the lanes and fetches the first window. */
  start(): void {
    // Created once the canvas is in the document, so that chart.js lays it out at once.
    this.chart = new Chart(this.chartCanvas, this.config());
    this.wire(this.chartCanvas);
    this.resizeLanes();
    const resized = new ResizeObserver(() => {
      this.resizeLanes();
      this.drawLanes();
    });
    resized.observe(this.root);
    this.disposers.push(() => resized.disconnect());
    this.watchTheme();
    this.applyTheme();
    // The kept view: hidden series (the legend's, set on the datasets), then the window (drawn with its
    // first samples).
    this.showHiddenSeries();
    if (this.state.window) this.setWindow(this.state.window[0], this.state.window[1], false);
    this.fetchWindow();
  }

  /** Lets go of the chart, its observers and its tooltip (the live view replaces its timeline as the run grows). */
  dispose(): void {
    for (const d of this.disposers.splice(0)) d();
    if (this.a11yTimer) clearTimeout(this.a11yTimer);
    if (this.renderFrame) cancelAnimationFrame(this.renderFrame);
    this.requestSeq++;
    this.chart?.destroy();
    this.tooltip.remove();
  }

  /** Redraws in the theme's colours when VS Code changes theme (body class, CSS variables) or the system does. */
  private watchTheme(): void {
    let frame = 0;
    const changed = () => {
      if (frame) return;
      frame = requestAnimationFrame(() => {
        frame = 0;
        this.applyTheme();
      });
    };
    const observer = new MutationObserver(changed);
    this.disposers.push(() => observer.disconnect());
    observer.observe(document.body, {
      attributes: true,
      attributeFilter: ['class', 'style', 'data-vscode-theme-kind'],
    });
    observer.observe(document.documentElement, { attributes: true, attributeFilter: ['class', 'style'] });
    const scheme = window.matchMedia?.('(prefers-color-scheme: dark)');
    scheme?.addEventListener?.('change', changed);
    this.disposers.push(() => scheme?.removeEventListener?.('change', changed));
  }

  /** Takes the theme's colours again; redraws only when they changed. */
  applyTheme(): void {
    const cls = document.body.classList;
    this.root.dataset.theme = cls.contains('vscode-high-contrast')
      ? 'high-contrast'
      : cls.contains('vscode-dark')
        ? 'dark'
        : cls.contains('vscode-light')
          ? 'light'
          : 'default';
    const t = readTheme();
    const key = JSON.stringify(t);
    if (key === this.themeKey) return;
    this.themeKey = key;
    Chart.defaults.color = t.muted;
    Chart.defaults.borderColor = t.grid;
    const o = this.chart.options;
    for (const axis of [o.scales!.x!, o.scales!.y!]) {
      axis.grid!.color = t.grid;
      axis.border = { ...axis.border, color: t.grid };
      axis.ticks!.color = t.muted;
    }
    (o.scales!.y as { title: { color: string } }).title.color = t.muted;
    this.legend.setPalette(t.palette);
    this.chart.data.datasets.forEach((d, i) => {
      d.borderColor = d.backgroundColor = this.legend.color(i);
    });
    const ann = (o.plugins as { annotation?: { annotations?: Record<string, Record<string, unknown>> } }).annotation
      ?.annotations;
    if (ann?.peakLine) ann.peakLine.borderColor = t.peak;
    if (ann?.peakPoint) Object.assign(ann.peakPoint, { backgroundColor: t.peak, borderColor: t.bg });
    if (ann?.peakLabel) Object.assign(ann.peakLabel, { color: t.peak, backgroundColor: t.bg, borderColor: t.peak });
    this.lanes.readColors();
    this.arenaLanes?.readColors();
    this.lanesKey = '';
    this.chart.update('none');
  }

  /** Shows or hides a series (a legend click): its samples are asked for when it is shown. */
  private setSeriesVisible(i: number, visible: boolean): void {
    this.chart.setDatasetVisibility(i, visible);
    this.showHiddenSeries();
    this.saveState();
    if (visible) {
      this.lastWindowKey = '';
      this.fetchWindow();
    } else this.chart.update('none');
  }

  /**
   * What differs from the legend's default (series hidden among those shown, shown among those folded),
   * in the view state, and on the root (for tests and bug reports): the hidden ones and the ones drawn.
   */
  private showHiddenSeries(): void {
    const hidden: string[] = [];
    const shown: string[] = [];
    const drawn: string[] = [];
    this.model.series.forEach((s, i) => {
      const visible = this.legend.isVisible(i);
      if (visible) drawn.push(s.id);
      if (this.legend.isOpenByDefault(i) ? !visible : visible) (visible ? shown : hidden).push(s.id);
    });
    this.state.hiddenSeries = hidden;
    this.state.shownSeries = shown;
    this.root.dataset.hiddenSeries = hidden.join(' ');
    this.root.dataset.drawnSeries = drawn.join(' ');
  }

  private resizeLanes(): void {
    this.lanes.resize(this.chart.width);
    this.arenaLanes?.resize(this.chart.width);
    this.lanesKey = '';
  }

  private viewport(): Viewport {
    const x = this.chart.scales.x!;
    return { xMin: x.min, xMax: x.max, left: this.chart.chartArea.left, right: this.chart.chartArea.right };
  }

  /** The window in view, or the one set and about to be drawn. */
  private currentWindow(): [number, number] {
    if (this.pendingWindow) return this.pendingWindow;
    const x = this.chart.scales.x!;
    return [x.min, x.max];
  }

  private drawLanes(): void {
    if (!this.chart?.chartArea) return;
    const v = this.viewport();
    const key = `${v.xMin}:${v.xMax}:${v.left}:${v.right}:${this.selection?.join(':') ?? ''}`;
    if (key === this.lanesKey) return;
    this.lanesKey = key;
    this.lanes.draw(v, this.selection, this.peakRows);
    this.arenaLanes?.draw(v, this.selection);
    this.root.dataset.xMin = String(v.xMin);
    this.root.dataset.xMax = String(v.xMax);
    if (!this.pendingWindow && !this.firstRenderPending) {
      this.state.window = [v.xMin, v.xMax];
      this.saveState();
    }
    this.scheduleAccessibleLists();
  }

  private scheduleAccessibleLists(): void {
    if (this.a11yTimer) clearTimeout(this.a11yTimer);
    this.a11yTimer = setTimeout(() => this.updateAccessibleLists(), 80);
  }

  private updateAccessibleLists(): void {
    const phases = [...this.lanes.visible].sort((a, b) => a.depth - b.depth || a.startMs - b.startMs).slice(0, 200);
    this.visiblePhases.replaceChildren(
      ...phases.map((p) =>
        el('li', {}, `${p.name} ${formatMs(p.startMs)}–${formatMs(p.endMs)} (${formatMs(p.endMs - p.startMs)})`),
      ),
    );
    // The arenas alive in the window, in the order of their lanes (held ones first), with their lane.
    const lanes = this.arenaLanes;
    const [xMin, xMax] = this.currentWindow();
    const items: HTMLElement[] = [];
    const end = this.model.run.endMs;
    for (const g of this.model.arenaGroups) {
      for (const i of g.arenas) {
        if (items.length >= 200) break;
        const a = this.model.arenas[i]!;
        if (a.startMs > xMax || (a.endMs ?? end) < xMin) continue;
        items.push(
          el(
            'li',
            {
              'data-held': String(a.heldPastLastUse),
              'data-lane': String(lanes?.laneOf(i) ?? -1),
              'data-group': g.label,
            },
            `${a.name}: peak ${formatBytes(a.peakBytes)}${a.heldPastLastUse ? `, held past its last use (saving ${formatBytes(a.potentialSavingBytes)})` : ''}`,
          ),
        );
      }
    }
    this.visibleArenas.replaceChildren(...items);
    this.visibleArenas.dataset.lanes = String(lanes?.lanes.length ?? 0);
    if (lanes) this.visibleArenas.dataset.lanesInBox = lanes.visibleRows().join(' ');
  }

  /**
   * Asks the host for the window at the chart's resolution. One request at a time: a window set while
   * one is on its way is asked for when it comes back (wheel events faster than the host coalesce),
   * and an unchanged window is not asked again.
   */
  fetchWindow(): void {
    if (!this.chart.chartArea) return;
    const [min, max] = this.currentWindow();
    const columns = Math.max(1, Math.ceil(this.chart.chartArea.right - this.chart.chartArea.left));
    // Only the series drawn: a build of 180 processes draws ten by default.
    const ids = this.model.series.filter((_, i) => this.legend.isVisible(i)).map((s) => s.id);
    const key = `${min}:${max}:${columns}:${ids.join(' ')}`;
    if (this.inFlight) return;
    if (key === this.lastWindowKey) {
      // Nothing new to ask (e.g. a pan against the end of the run): the step ends with this redraw.
      if (this.pendingWindow) this.render();
      else this.endStep();
      return;
    }
    this.lastWindowKey = key;
    this.inFlight = true;
    const seq = ++this.requestSeq;
    void this.requestSeries(min, max, columns, ids).then(
      (series) => {
        if (seq !== this.requestSeq) return;
        if (this.firstRenderPending) performance.mark('cmi:first-data');
        this.inFlight = false;
        const byId = new Map(series.map((s) => [s.id, s]));
        this.model.series.forEach((s, i) => {
          const w = byId.get(s.id);
          const data: Point[] = [];
          if (w) for (let j = 0; j < w.tMs.length; j++) data.push({ x: w.tMs[j]!, y: w.bytes[j]! });
          this.chart.data.datasets[i]!.data = data;
        });
        const [a, b] = this.currentWindow();
        if (`${a}:${b}:${columns}:${ids.join(' ')}` !== key) {
          // The window moved meanwhile: ask for it; these samples are drawn if it is late.
          this.fetchWindow();
          return;
        }
        this.render();
        if (this.firstRenderPending) {
          this.firstRenderPending = false;
          performance.mark('cmi:first-render');
          this.root.dataset.rendered = 'true';
          this.onFirstRender?.();
        }
      },
      () => {
        if (seq === this.requestSeq) (this.inFlight = false), (this.lastWindowKey = '');
      },
    );
  }

  /** Draws the chart (and through it the lanes) for the current window; ends a pending step. */
  private render(): void {
    if (this.renderFrame) cancelAnimationFrame(this.renderFrame);
    this.renderFrame = 0;
    this.pendingWindow = null;
    this.chart.update('none');
    this.endStep();
  }

  /** Ends a zoom or pan step started by an input (`cmi:step-start`): the `cmi:step` measure. */
  private endStep(): void {
    if (!this.stepPending) return;
    this.stepPending = false;
    performance.measure('cmi:step', 'cmi:step-start');
  }

  /**
   * Sets the visible window (clamped to the run). With `fetch`, its samples are asked for and chart
   * and lanes are drawn in step when they arrive (or at the next frame with the samples at hand);
   * without (a drag), they are drawn at once.
   */
  setWindow(min: number, max: number, fetch = true): void {
    const lo = this.model.run.startMs;
    const hi = this.model.run.endMs;
    let span = Math.min(hi - lo, Math.max(max - min, (hi - lo) / 1e7));
    if (min < lo) min = lo;
    if (min + span > hi) min = hi - span;
    if (span <= 0) span = hi - lo;
    const x = this.chart.options.scales!.x!;
    x.min = min;
    x.max = min + span;
    this.pendingWindow = [min, min + span];
    if (!fetch) return this.render();
    if (!this.renderFrame)
      this.renderFrame = requestAnimationFrame(
        () => ((this.renderFrame = 0), this.pendingWindow && this.chart.update('none')),
      );
    this.fetchWindow();
  }

  resetZoom(): void {
    this.setWindow(this.model.run.startMs, this.model.run.endMs);
  }

  zoomBy(factor: number, centerMs?: number): void {
    const [min, max] = this.currentWindow();
    const c = centerMs ?? (min + max) / 2;
    this.setWindow(c - (c - min) * factor, c + (max - c) * factor);
  }

  panBy(fraction: number): void {
    const [min, max] = this.currentWindow();
    const d = (max - min) * fraction;
    this.setWindow(min + d, max + d);
  }

  private timeAt(clientX: number, canvas: HTMLCanvasElement): number {
    const v = this.viewport();
    const [xMin, xMax] = this.currentWindow();
    const x = clientX - canvas.getBoundingClientRect().left;
    return xMin + ((x - v.left) / (v.right - v.left)) * (xMax - xMin);
  }

  private wire(chartCanvas: HTMLCanvasElement): void {
    // The wheel on the chart or the lanes zooms around the pointer (a horizontal wheel pans): a step,
    // timed from the input to the redraw.
    const lanes = this.lanes.canvas;
    this.root.addEventListener(
      'wheel',
      (e) => {
        const canvas = e.target === lanes ? lanes : e.target === chartCanvas ? chartCanvas : undefined;
        if (!canvas) return;
        e.preventDefault();
        performance.mark('cmi:step-start');
        this.stepPending = true;
        if (Math.abs(e.deltaX) > Math.abs(e.deltaY))
          this.panBy(e.deltaX / Math.max(1, this.chart.chartArea.right - this.chart.chartArea.left));
        else if (e.deltaY) this.zoomBy(e.deltaY < 0 ? 1 / 1.25 : 1.25, this.timeAt(e.clientX, canvas));
        else this.endStep();
      },
      { passive: false },
    );
    this.root.addEventListener('keydown', (e) => {
      const step = () => performance.mark('cmi:step-start');
      if (e.key === '+' || e.key === '=') step(), (this.stepPending = true), this.zoomBy(1 / 1.5);
      else if (e.key === '-' || e.key === '_') step(), (this.stepPending = true), this.zoomBy(1.5);
      else if (e.key === 'ArrowLeft') step(), (this.stepPending = true), this.panBy(-0.2);
      else if (e.key === 'ArrowRight') step(), (this.stepPending = true), this.panBy(0.2);
      else if (e.key === '0' || e.key === 'Home') this.resetZoom();
      else if (e.key === 'Escape') this.setSelection(null);
      else return;
      e.preventDefault();
    });

    // Range selection (shift+drag) on the chart and on the lanes.
    const selectFrom = (canvas: HTMLCanvasElement) => (e: PointerEvent) => {
      if (!e.shiftKey || e.button !== 0) return false;
      e.preventDefault();
      e.stopPropagation();
      const t0 = this.timeAt(e.clientX, canvas);
      const move = (ev: PointerEvent) => {
        const t1 = this.timeAt(ev.clientX, canvas);
        this.selection = [Math.min(t0, t1), Math.max(t0, t1)];
        this.chart.draw();
      };
      const up = (ev: PointerEvent) => {
        window.removeEventListener('pointermove', move, true);
        window.removeEventListener('pointerup', up, true);
        const t1 = this.timeAt(ev.clientX, canvas);
        this.setSelection(Math.abs(t1 - t0) > 0 ? [Math.min(t0, t1), Math.max(t0, t1)] : null);
      };
      window.addEventListener('pointermove', move, true);
      window.addEventListener('pointerup', up, true);
      return true;
    };
    const chartSelect = selectFrom(chartCanvas);
    chartCanvas.addEventListener('pointerdown', (e) => void chartSelect(e), true);
    chartCanvas.addEventListener('mousedown', (e) => e.shiftKey && e.stopPropagation(), true);

    // Lanes (phases and arenas): drag pans, a click (no drag) acts on what is under it, hover shows a
    // tooltip.
    const wireLanes = (
      canvas: HTMLCanvasElement,
      hitTest: (x: number, y: number) => Hit | ArenaHit | { kind: 'fold'; group: number } | undefined,
    ) => {
      const laneSelect = selectFrom(canvas);
      canvas.addEventListener('pointerdown', (e) => {
        if (laneSelect(e) || e.button !== 0) return;
        const x0 = e.clientX;
        const [min0, max0] = this.currentWindow();
        const perPx = (max0 - min0) / (this.chart.chartArea.right - this.chart.chartArea.left);
        canvas.setPointerCapture(e.pointerId);
        let moved = false;
        const move = (ev: PointerEvent) => {
          if (!moved && Math.abs(ev.clientX - x0) < 3) return;
          moved = true;
          this.setWindow(min0 - (ev.clientX - x0) * perPx, max0 - (ev.clientX - x0) * perPx, false);
        };
        const up = (ev: PointerEvent) => {
          canvas.removeEventListener('pointermove', move);
          canvas.removeEventListener('pointerup', up);
          if (moved) return this.fetchWindow();
          const r = canvas.getBoundingClientRect();
          const hit = hitTest(ev.clientX - r.left, ev.clientY - r.top);
          if (hit?.kind === 'fold') this.arenaLanes?.toggle(hit.group);
          else if (hit?.kind === 'phase') {
            this.setSelection([hit.phase.startMs, hit.phase.endMs]);
            this.showPhaseDetails(hit.phase);
            this.onPhaseClick?.(hit.phase);
          } else if (hit?.kind === 'arena')
            this.setSelection([hit.arena.startMs, hit.arena.endMs ?? this.model.run.endMs]);
        };
        canvas.addEventListener('pointermove', move);
        canvas.addEventListener('pointerup', up);
      });
      canvas.addEventListener('mousemove', (e) => {
        const r = canvas.getBoundingClientRect();
        const hit = hitTest(e.clientX - r.left, e.clientY - r.top);
        canvas.style.cursor = hit?.kind === 'fold' ? 'pointer' : '';
        if (!hit) return void (this.tooltip.hidden = true);
        this.tooltip.textContent = this.describe(hit);
        this.tooltip.hidden = false;
        const tw = this.tooltip.offsetWidth;
        this.tooltip.style.left = `${Math.min(e.clientX + 12, window.innerWidth - tw - 8)}px`;
        this.tooltip.style.top = `${e.clientY + 14}px`;
      });
      canvas.addEventListener('mouseleave', () => (this.tooltip.hidden = true));
    };
    wireLanes(lanes, (x, y) => this.lanes.hitTest(x, y, this.viewport()));
    const arenas = this.arenaLanes;
    if (arenas) wireLanes(arenas.canvas, (x, y) => arenas.hitTest(x, y, this.viewport()));
  }

  /**
   * Zooms to a phase's span (with a margin on each side) and selects it: "Show in Timeline" (the host's
   * `selectPhase`). Marks it on the root (`data-selected-phase`, its row) for tests and bug reports.
   */
  showPhase(p: TimelinePhase): void {
    const span = Math.max(p.endMs - p.startMs, (this.model.run.endMs - this.model.run.startMs) / 1e6);
    const margin = span * 0.15;
    this.setWindow(p.startMs - margin, p.endMs + margin);
    this.setSelection([p.startMs, p.endMs]);
    this.showPhaseDetails(p);
    this.root.dataset.selectedPhase = String(p.row);
  }

  private describe(hit: Hit | ArenaHit | { kind: 'fold'; group: number }): string {
    if (hit.kind === 'fold') {
      const g = this.model.arenaGroups[hit.group]!;
      return `${describeGroup(g)}\n(click to ${this.arenaLanes?.isFolded(hit.group) ? 'unfold' : 'fold'})`;
    }
    if (hit.kind === 'group') return describeGroup(hit.group);
    if (hit.kind === 'phase') {
      const p = hit.phase;
      const row = this.model.phaseRows[p.row];
      const lines = [
        row ? phaseRowPath(this.model.phaseRows, row) : p.name,
        `${formatMs(p.endMs - p.startMs)}  (${formatMs(p.startMs)} → ${formatMs(p.endMs)})`,
      ];
      if (p.guessedBy) lines.push(guessNote(p.guessedBy));
      if (p.category) lines.push(`category: ${p.category}`);
      if (row) {
        lines.push(
          `memory${p.guessedBy ? ' (at guessed times)' : ''}: ${formatBytes(row.memStartBytes)} → ${formatBytes(row.memEndBytes)}, peak in it ${formatBytes(row.memPeakBytes)}`,
        );
        if (row.count > 1) lines.push(`(memory figures over all ${row.count} spans of this phase)`);
        if (row.holdsPeak) lines.push('holds the peak');
        if (row.durations) lines.push(`${row.durations.length} parts timed by total only (click for the table)`);
      }
      if (p.source) lines.push(`${p.source.file}${p.source.line ? `:${p.source.line}` : ''}`);
      return lines.join('\n');
    }
    if (hit.kind === 'arena') return describeArena(hit.arena, this.model.run.endMs);
    const m = hit.marker;
    return [
      `${m.name} (${m.kind})`,
      `at ${formatMs(m.tMs)}${m.durMs !== undefined ? `, ${formatMs(m.durMs)}` : ''}`,
    ].join('\n');
  }

  /** Shows a phase's details: its figures, how it was timed, and its table of durations where it has one. */
  showPhaseDetails(p: TimelinePhase): void {
    const row = this.model.phaseRows[p.row];
    const title = row ? phaseRowPath(this.model.phaseRows, row) : p.name;
    const facts = [
      `${formatMs(p.endMs - p.startMs)} (${formatMs(p.startMs)} → ${formatMs(p.endMs)})${row && row.count > 1 ? `; ${row.count} spans, ${formatMs(row.durationMs)} in all` : ''}`,
    ];
    if (p.guessedBy) facts.push(guessNote(p.guessedBy));
    if (row)
      facts.push(
        `memory: ${formatBytes(row.memStartBytes)} → ${formatBytes(row.memEndBytes)}, peak in it ${formatBytes(row.memPeakBytes)}${row.holdsPeak ? ' · holds the peak' : ''}`,
      );
    this.phaseBox.replaceChildren(el('h2', {}, title), ...facts.map((f) => el('p', {}, f)));
    if (row?.durations)
      this.phaseBox.append(
        el('h3', {}, 'Parts known only by their total time (not placed in time)'),
        durationsTable(row.durations),
      );
    this.phaseBox.dataset.phase = title;
    this.phaseBox.hidden = false;
  }

  /** Selects [startMs, endMs] (or clears the selection) and shows its figures. */
  setSelection(range: [number, number] | null): void {
    this.selection = range;
    this.chart.draw();
    if (!range) {
      this.selectionBox.hidden = true;
      return;
    }
    const [a, b] = range;
    // The maximum of every series in the range: one column of min/max from the host.
    const drawn = this.model.series.filter((_, i) => this.legend.isVisible(i));
    void this.requestSeries(
      a,
      b,
      1,
      drawn.map((s) => s.id),
    ).then((series) => {
      if (this.selection !== range) return;
      const maxima = drawn.map((s) => {
        const w = series.find((x) => x.id === s.id);
        let max = -Infinity;
        if (w)
          for (let i = 0; i < w.tMs.length; i++)
            if (w.tMs[i]! >= a && w.tMs[i]! <= b && w.bytes[i]! > max) max = w.bytes[i]!;
        return { s, max };
      });
      const phases = this.model.phases.filter((p) => p.endMs >= a && p.startMs <= b);
      const inRange = (p: TimelinePhase) => Math.min(b, p.endMs) - Math.max(a, p.startMs);
      const top = [...phases].sort((x, y) => inRange(y) - inRange(x)).slice(0, 8);
      const arenas = this.model.arenas.filter((x) => x.startMs <= b && (x.endMs ?? Infinity) >= a);
      const lines = [`Selection ${formatMs(a)} → ${formatMs(b)} (${formatMs(b - a)})`];
      for (const { s, max } of maxima) if (max > -Infinity) lines.push(`max ${formatBytes(max)} · ${s.name}`);
      lines.push(
        `${phases.length} phase span${phases.length === 1 ? '' : 's'}${top.length ? `; longest here: ${top.map((p) => `${p.name} ${formatMs(inRange(p))}`).join(', ')}` : ''}`,
      );
      const held = arenas.filter((x) => x.heldPastLastUse).length;
      lines.push(
        `${arenas.length} arena${arenas.length === 1 ? '' : 's'} alive${held ? ` (${held} held past last use)` : ''}${
          arenas.length
            ? `; largest: ${[...arenas]
                .sort((x, y) => y.peakBytes - x.peakBytes)
                .slice(0, 5)
                .map((x) => `${x.name} ${formatBytes(x.peakBytes)}`)
                .join(', ')}`
            : ''
        }`,
      );
      this.selectionBox.textContent = lines.join('\n');
      this.selectionBox.hidden = false;
    });
  }
}

/**
 * Where the peak's label goes so that all of it stays inside the plot: right of the point, else left
 * of it (near the right edge), else against the plot's left edge (a plot narrower than it); above the
 * point, else below it (near the top). As the annotation's `xAdjust`/`yAdjust` for a label anchored by
 * its left edge and its bottom (`position: { x: 'start', y: 'end' }`).
 */
function peakLabelPlace(chart: Chart, peak: TimelinePeak, lines: string[]): { xAdjust: number; yAdjust: number } {
  const area = chart.chartArea;
  const xs = chart.scales.x;
  const ys = chart.scales.y;
  if (!area || !xs || !ys) return { xAdjust: 10, yAdjust: -8 };
  const px = xs.getPixelForValue(peak.atMs);
  const py = ys.getPixelForValue(peak.bytes);
  // As the annotation plugin measures it: the widest line, the lines' heights, padding 4, border 1.
  const font = toFont({ ...Chart.defaults.font, weight: 'bold' });
  const ctx = chart.ctx;
  ctx.save();
  ctx.font = font.string;
  let textWidth = 0;
  for (const line of lines) textWidth = Math.max(textWidth, ctx.measureText(line).width);
  ctx.restore();
  const w = textWidth + 8 + 1;
  const h = lines.length * font.lineHeight + 8 + 1;
  const gap = 10;
  const margin = 2;
  let left = px + gap;
  if (left + w > area.right - margin) left = px - gap - w;
  if (left < area.left + margin) left = Math.max(area.left + margin, Math.min(px + gap, area.right - margin - w));
  let top = py - 8 - h;
  if (top < area.top + margin) top = py + 8;
  if (top + h > area.bottom - margin) top = Math.max(area.top + margin, area.bottom - margin - h);
  return { xAdjust: left - px, yAdjust: top + h - py };
}

/** The peak label's phase path, `›`-joined, broken before a `›` so that no line is much wider than a narrow panel allows. */
function wrapPath(lead: string, path: readonly string[], maxChars = 44): string[] {
  const lines: string[] = [];
  let line = lead;
  for (const [i, part] of path.entries()) {
    const piece = i === 0 ? part : ` › ${part}`;
    if (i > 0 && line.length + piece.length > maxChars) {
      lines.push(line);
      line = `› ${part}`;
    } else line += piece;
  }
  lines.push(line);
  return lines;
}

/** What a span placed by guess says about itself. */
function guessNote(tool: string): string {
  return `placed by guess: ${tool} gives durations only (its length is measured, its start and end are not)`;
}

function describeGroup(g: TimelineArenaGroup): string {
  const lines = [
    `${g.label}: ${g.arenas.length} arena${g.arenas.length === 1 ? '' : 's'}`,
    `at the global peak ${formatBytes(g.bytesAtPeak)}; largest peak ${formatBytes(g.peakBytes)}`,
  ];
  if (g.held)
    lines.push(
      `${g.held} held past their last use: freeing each after it would save ${formatBytes(g.savingBytes)} at the peak`,
    );
  return lines.join('\n');
}

function describeArena(a: TimelineArena, endMs: number): string {
  const stop = a.endMs ?? endMs;
  const lines = [
    `${a.name} [${a.category}]`,
    `${formatMs(a.startMs)} → ${a.endMs === null ? 'alive at end' : formatMs(a.endMs)}  (${formatMs(stop - a.startMs)})`,
    `peak ${formatBytes(a.peakBytes)}, at the global peak ${formatBytes(a.bytesAtPeak)}`,
    `last use: ${a.lastUseMs === null ? 'none recorded' : `${formatMs(a.lastUseMs)}${a.lastUsePhase ? ` in ${a.lastUsePhase}` : ''}`}`,
  ];
  if (a.heldPastLastUse)
    lines.push(`held past its last use: freeing it then would save ${formatBytes(a.potentialSavingBytes)} at the peak`);
  return lines.join('\n');
}
