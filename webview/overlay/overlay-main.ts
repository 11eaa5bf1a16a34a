// The phase-aligned overlay of two runs (protocol/overlay.ts): both memory curves over phase-aligned
// time (0–100 %), the matched phases as bands and lines, each side's peak marked, and the per-phase
// delta table, and the arena groups' table. In VS Code's panel, "Copy as Markdown" and "Save as…"
// buttons ask the host for the comparison's Markdown (the host has it). Draws the model embedded in the page as <script type="application/json"
// id="cmi-overlay-model"> (by `cmi compare --html` and by VS Code's compare panel); does no analysis
// and imports nothing from vscode, server/ or client/. Every string from a trace is set as text.
//
// For tests: window.__cmiOverlay = { chart, model, segmentLabels, peakLabels } once drawn, and
// body[data-rendered="true"]; in a VS Code webview, an OverlayRenderedMessage to the panel.

import {
  Chart,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
  type ChartConfiguration,
  type TooltipItem,
} from 'chart.js';
import annotationPlugin from 'chartjs-plugin-annotation';
import type { ArenaDelta, Delta, PhaseDelta } from '../../protocol/compare';
import { formatBytes, formatMs, formatPercent } from '../../common/format';
import type {
  OverlayActionMessage,
  OverlayModel,
  OverlayPoint,
  OverlayRenderedMessage,
  OverlaySegment,
  OverlaySide,
  OverlayToHostMessage,
} from '../../protocol/overlay';
import './overlay.css';

Chart.register(LineController, LineElement, PointElement, LinearScale, Tooltip, annotationPlugin);

declare global {
  /** Defined inside a VS Code webview only. */
  function acquireVsCodeApi(): { postMessage(message: unknown): void };
  interface Window {
    __cmiOverlay?: { chart: Chart<'line'>; model: OverlayModel; segmentLabels: string[]; peakLabels: string[] };
  }
}

const SEP = ' › ';

function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  className?: string,
  text?: string,
): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined) e.textContent = text;
  return e;
}

function colors() {
  const cs = getComputedStyle(document.documentElement);
  const v = (name: string, fallback: string) => cs.getPropertyValue(name).trim() || fallback;
  return {
    bg: v('--ov-bg', '#ffffff'),
    fg: v('--ov-fg', '#1f2328'),
    muted: v('--ov-muted', '#59636e'),
    border: v('--ov-border', '#d0d7de'),
    band: v('--ov-band', 'rgba(127,127,127,0.1)'),
    base: v('--ov-base', '#0969da'),
    head: v('--ov-head', '#bc4c00'),
  };
}

/** The value in force at x on a curve (its last point at or before x), with that point's real time interpolated. */
function sideAt(points: OverlayPoint[], x: number): { bytes: number; tMs: number } | null {
  if (!points.length) return null;
  let lo = 0;
  let hi = points.length - 1;
  if (x < points[0]!.x) return { bytes: points[0]!.bytes, tMs: points[0]!.tMs };
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (points[mid]!.x <= x) lo = mid;
    else hi = mid - 1;
  }
  const a = points[lo]!;
  const b = points[lo + 1];
  const tMs = b && b.x > a.x ? a.tMs + ((x - a.x) / (b.x - a.x)) * (b.tMs - a.tMs) : a.tMs;
  return { bytes: a.bytes, tMs };
}

/** The innermost segment containing x. */
function segmentAt(segs: OverlaySegment[], x: number): OverlaySegment | undefined {
  let best: OverlaySegment | undefined;
  for (const s of segs) if (s.startX <= x && x <= s.endX && (!best || s.depth > best.depth)) best = s;
  return best;
}

/** Round steps in binary units (1, 2, 5 × 10^k of B, KiB, MiB or GiB), so the axis reads 50 MiB, 100 MiB … */
function byteStep(max: number): number | undefined {
  if (!(max > 0)) return undefined;
  const unit = max >= 2 ** 30 * 4 ? 2 ** 30 : max >= 2 ** 20 * 4 ? 2 ** 20 : max >= 2 ** 10 * 4 ? 2 ** 10 : 1;
  const raw = max / unit / 6;
  const pow = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * pow).find((s) => s >= raw) ?? 10 * pow;
  return step * unit;
}

const signed = (d: number | null, f: (v: number) => string) => (d === null ? '–' : d > 0 ? `+${f(d)}` : f(d));
const significant = (d: Delta) => d.delta !== null && d.delta !== 0 && !d.noise;

function deltaCells(tr: HTMLTableRowElement, d: Delta, f: (v: number) => string): void {
  tr.append(el('td', '', d.base ? f(d.base.median) : '–'), el('td', '', d.head ? f(d.head.median) : '–'));
  const cls = significant(d) ? `sig ${d.delta! < 0 ? 'down' : 'up'}` : '';
  const abs = el('td', cls, signed(d.delta, f));
  const pct = el('td', cls, d.deltaPct === null ? '–' : signed(d.deltaPct, formatPercent));
  if (d.noise) abs.title = pct.title = 'within the run-to-run spread (noise)';
  tr.append(abs, pct);
}

function phaseTable(model: OverlayModel): HTMLElement {
  const wrap = el('div', 'ov-table-wrap');
  const table = el('table', 'ov-table');
  table.id = 'cmi-overlay-phases';
  table.append(el('caption', '', 'Per phase, matched by path (bold: beyond noise)'));
  const head = el('thead');
  const groups = el('tr');
  const first = el('th', '', '');
  groups.append(first);
  for (const g of ['time', 'peak memory inside']) {
    const th = el('th', '', g);
    th.colSpan = 4;
    groups.append(th);
  }
  const cols = el('tr');
  for (const c of ['phase', 'base', 'head', 'Δ', 'Δ %', 'base', 'head', 'Δ', 'Δ %']) cols.append(el('th', '', c));
  head.append(groups, cols);
  const body = el('tbody');
  const basePeak = model.base.peak?.phasePath.join(SEP);
  const headPeak = model.head.peak?.phasePath.join(SEP);
  for (const p of model.phases as PhaseDelta[]) {
    const tr = el('tr');
    const path = p.path.join(SEP);
    tr.dataset.path = path;
    tr.className = [path === basePeak ? 'peak-base' : '', path === headPeak ? 'peak-head' : ''].join(' ').trim();
    const guessed =
      p.placedByGuess === 'both'
        ? ' (times are totals)'
        : p.placedByGuess
          ? ` (placed by guess in ${p.placedByGuess}: times not compared)`
          : '';
    if (p.placedByGuess) tr.dataset.guessed = p.placedByGuess;
    tr.append(el('td', '', `${path}${guessed}`));
    deltaCells(tr, p.time, formatMs);
    deltaCells(tr, p.memPeak, formatBytes);
    body.append(tr);
    // The parts of the phase known only by their totals, under it.
    for (const d of p.durations ?? []) {
      const sub = el('tr', 'ov-total');
      sub.dataset.total = 'true';
      sub.append(el('td', '', `${path}${SEP}${d.path.join(SEP)} (total, not placed in time)`));
      deltaCells(sub, d.time, formatMs);
      for (let k = 0; k < 4; k++) sub.append(el('td', '', ''));
      body.append(sub);
    }
  }
  table.append(head, body);
  wrap.append(table);
  return wrap;
}

/** The arena groups matched across the runs (`module_#` for 300 per-module arenas), changed ones first. */
function arenaTable(arenas: ArenaDelta[]): HTMLElement {
  const wrap = el('div', 'ov-table-wrap');
  const table = el('table', 'ov-table');
  table.id = 'cmi-overlay-arenas';
  table.append(el('caption', '', 'Arena groups, matched by name with numbers as # (bold: beyond noise)'));
  const head = el('thead');
  const groups = el('tr');
  groups.append(el('th', '', ''), el('th', '', ''));
  const atPeak = el('th', '', 'bytes at the peak');
  atPeak.colSpan = 4;
  const held = el('th', '', 'held past last use');
  held.colSpan = 2;
  groups.append(atPeak, held);
  const cols = el('tr');
  for (const c of ['arena group', 'arenas', 'base', 'head', 'Δ', 'Δ %', 'base', 'head']) cols.append(el('th', '', c));
  head.append(groups, cols);
  const body = el('tbody');
  for (const a of arenas) {
    const tr = el('tr');
    tr.dataset.change = a.change;
    tr.append(el('td', '', a.category ? `${a.name} (${a.category})` : a.name));
    tr.append(el('td', '', a.count.base === a.count.head ? String(a.count.head) : `${a.count.base} → ${a.count.head}`));
    deltaCells(tr, a.bytesAtPeak, formatBytes);
    tr.append(el('td', '', String(a.heldPastLastUse.base)), el('td', '', String(a.heldPastLastUse.head)));
    body.append(tr);
  }
  table.append(head, body);
  wrap.append(table);
  return wrap;
}

/** VS Code's panel: the buttons that copy or save the comparison's Markdown (the host has it). */
function actions(post: (m: OverlayToHostMessage) => void): HTMLElement {
  const bar = el('div', 'ov-actions');
  const button = (label: string, type: OverlayActionMessage['type']) => {
    const b = el('button', '', label);
    b.type = 'button';
    b.dataset.action = type;
    b.addEventListener('click', () => post({ type }));
    return b;
  };
  bar.append(button('Copy as Markdown', 'copyMarkdown'), button('Save as…', 'saveMarkdown'));
  return bar;
}

function sideLine(cls: 'base' | 'head', s: OverlaySide, wallMs: number | undefined): HTMLElement {
  const div = el('div', 'ov-side');
  div.append(el('span', `ov-swatch ${cls}`));
  const peak = s.peak
    ? ` · peak ${formatBytes(s.peak.bytes)}${s.peak.phasePath.length ? ` in ${s.peak.phasePath.join(SEP)}` : ''}`
    : '';
  div.append(el('span', '', `${s.label}: ${s.command}${wallMs !== undefined ? ` · ${formatMs(wallMs)}` : ''}${peak}`));
  return div;
}

function chartConfig(
  model: OverlayModel,
  c: ReturnType<typeof colors>,
): { config: ChartConfiguration<'line'>; segmentLabels: string[]; peakLabels: string[] } {
  const segs = model.segments;
  const outer = segs.length ? Math.min(...segs.map((s) => s.depth)) : 0;
  const annotations: Record<string, Record<string, unknown>> = {};
  const segmentLabels: string[] = [];
  const ymax = Math.max(model.base.peak?.bytes ?? 0, model.head.peak?.bytes ?? 0, 1);
  let band = 0;
  segs.forEach((s, i) => {
    const x0 = s.startX * 100;
    const x1 = s.endX * 100;
    const wide = x1 - x0;
    if (s.depth === outer) {
      // The outermost matched phases: alternating bands, their names at the top (the y axis leaves
      // room above the peaks for them).
      annotations[`seg${i}`] = {
        type: 'box',
        xMin: x0,
        xMax: x1,
        drawTime: 'beforeDatasetsDraw',
        borderWidth: 0,
        backgroundColor: band++ % 2 === 0 ? c.band : 'rgba(0,0,0,0)',
        label: {
          display: wide >= 3,
          content: s.name,
          position: { x: 'center', y: 'start' },
          color: c.fg,
          font: { size: 11, weight: 'bold' },
          padding: 2,
        },
      };
      if (wide >= 3) segmentLabels.push(s.name);
    } else if (s.depth === outer + 1) {
      // Their children: a dashed line at each start, the name at the bottom when there is room.
      annotations[`seg${i}`] = {
        type: 'line',
        xMin: x0,
        xMax: x0,
        borderColor: c.muted,
        borderWidth: 1,
        borderDash: [3, 3],
        drawTime: 'beforeDatasetsDraw',
        label: {
          display: wide >= 4,
          content: s.name,
          position: 'start',
          backgroundColor: 'rgba(0,0,0,0)',
          color: c.muted,
          font: { size: 10 },
          padding: 2,
          xAdjust: Math.min(60, (wide / 100) * 300),
        },
      };
      if (wide >= 4) segmentLabels.push(s.name);
    }
  });
  const peakLabels: string[] = [];
  // The base's label above its peak, the head's well below its own: apart, and off the curves near them.
  for (const [key, side, color, up] of [
    ['base', model.base, c.base, true],
    ['head', model.head, c.head, false],
  ] as const) {
    const p = side.peak;
    if (!p) continue;
    const content = [
      `${key} peak ${formatBytes(p.bytes)} at ${formatMs(p.tMs)}`,
      p.phasePath.length ? p.phasePath.join(SEP) : '(no phase)',
    ];
    peakLabels.push(content.join(' — '));
    // Toward the middle from the point: the base's label left of a late peak, the head's left of its peak when there is room.
    const onRight = up ? p.x > 0.6 : p.x > 0.3;
    annotations[`${key}PeakPoint`] = {
      type: 'point',
      xValue: p.x * 100,
      yValue: p.bytes,
      radius: 5,
      backgroundColor: color,
      borderColor: c.bg,
      borderWidth: 2,
    };
    annotations[`${key}PeakLabel`] = {
      type: 'label',
      xValue: p.x * 100,
      yValue: p.bytes,
      content,
      color,
      backgroundColor: c.bg,
      borderColor: color,
      borderWidth: 1,
      borderRadius: 3,
      padding: 4,
      font: { size: 11, weight: 'bold' },
      position: { x: onRight ? 'end' : 'start', y: up ? 'end' : 'start' },
      xAdjust: onRight ? -10 : 10,
      yAdjust: up ? -8 : 40,
    };
  }
  const dataset = (s: OverlaySide, color: string) => ({
    label: `${s.label} — ${s.seriesName}`,
    data: s.points.map((p) => ({ x: p.x * 100, y: p.bytes })),
    borderColor: color,
    backgroundColor: color,
    borderWidth: 1.5,
    pointRadius: 0,
    pointHitRadius: 4,
    tension: 0,
    parsing: false as const,
    normalized: true,
  });
  const tooltipTitle = (items: TooltipItem<'line'>[]) => {
    const x = (items[0]?.parsed.x ?? 0) / 100;
    const seg = segmentAt(segs, x);
    return [`${(x * 100).toFixed(1)} % phase-aligned`, seg ? seg.path.join(SEP) : '(between matched phases)'];
  };
  const tooltipBody = (items: TooltipItem<'line'>[]) => {
    const x = (items[0]?.parsed.x ?? 0) / 100;
    return [
      ['base', model.base],
      ['head', model.head],
    ].map(([k, s]) => {
      const v = sideAt((s as OverlaySide).points, x);
      return v ? `${k as string}: ${formatBytes(v.bytes)} at ${formatMs(v.tMs)}` : `${k as string}: –`;
    });
  };
  const config: ChartConfiguration<'line'> = {
    type: 'line',
    data: { datasets: [dataset(model.base, c.base), dataset(model.head, c.head)] },
    options: {
      animation: false,
      maintainAspectRatio: false,
      interaction: { mode: 'nearest', axis: 'x', intersect: false },
      scales: {
        x: {
          type: 'linear',
          min: 0,
          max: 100,
          title: {
            display: true,
            text: 'phase-aligned time (%): the same phase at the same place on both runs',
            color: c.muted,
          },
          ticks: { color: c.muted, callback: (v) => `${v} %` },
          grid: { color: c.border },
        },
        y: {
          type: 'linear',
          min: 0,
          suggestedMax: ymax * 1.3,
          title: { display: true, text: model.head.seriesName || 'memory', color: c.muted },
          ticks: { color: c.muted, stepSize: byteStep(ymax * 1.3), callback: (v) => formatBytes(Number(v)) },
          grid: { color: c.border },
        },
      },
      plugins: {
        tooltip: {
          // One tooltip for both sides at the pointer's x: the phase there and each run's real time.
          filter: (item, i) => i === 0 && item.datasetIndex >= 0,
          callbacks: { title: tooltipTitle, label: () => '', afterBody: tooltipBody },
        },
        annotation: { annotations } as never,
      },
    },
  };
  return { config, segmentLabels, peakLabels };
}

function render(model: OverlayModel, root: HTMLElement): void {
  root.replaceChildren();
  root.className = 'ov-root';
  const vscodeApi = typeof acquireVsCodeApi === 'function' ? acquireVsCodeApi() : undefined;
  const titleRow = el('div', 'ov-title-row');
  titleRow.append(el('h1', 'ov-title', model.title));
  const bar = vscodeApi ? actions((m) => vscodeApi.postMessage(m)) : undefined;
  if (bar) titleRow.append(bar);
  root.append(titleRow);
  const sides = el('div', 'ov-sides');
  sides.append(
    sideLine('base', model.base, model.wall.base?.median),
    sideLine('head', model.head, model.wall.head?.median),
  );
  const wall = el(
    'div',
    'ov-side',
    `wall time Δ ${signed(model.wall.delta, formatMs)} (${signed(model.wall.deltaPct, formatPercent)})`,
  );
  sides.append(wall);
  root.append(sides);
  const chartBox = el('div', 'ov-chart');
  const canvas = el('canvas');
  canvas.setAttribute('role', 'img');
  canvas.setAttribute('aria-label', 'memory of both runs over phase-aligned time');
  chartBox.append(canvas);
  root.append(chartBox);
  if (model.warnings.length) {
    const ul = el('ul', 'ov-warnings');
    for (const w of model.warnings) ul.append(el('li', '', w));
    root.append(ul);
  }
  root.append(phaseTable(model));
  const arenas = model.arenas ?? [];
  if (arenas.length) root.append(arenaTable(arenas));

  const { config, segmentLabels, peakLabels } = chartConfig(model, colors());
  const chart = new Chart(canvas, config);
  window.__cmiOverlay = { chart, model, segmentLabels, peakLabels };
  // VS Code switches themes by the body's class: draw again with the new colours.
  new MutationObserver(() => {
    const next = chartConfig(model, colors());
    chart.options = next.config.options!;
    chart.data.datasets.forEach((d, i) => {
      d.borderColor = next.config.data.datasets[i]!.borderColor!;
      d.backgroundColor = next.config.data.datasets[i]!.backgroundColor!;
    });
    chart.update();
  }).observe(document.body, { attributes: true, attributeFilter: ['class'] });
  document.body.dataset.rendered = 'true';
  // Inside VS Code, tell the panel what is drawn (its state for tests and bug reports).
  if (vscodeApi) {
    const message: OverlayRenderedMessage = {
      type: 'rendered',
      curves: chart.data.datasets.map((d) => d.data.length),
      segmentLabels,
      peakLabels,
      phaseRows: model.phases.length,
      arenaRows: arenas.length,
      buttons: [...(bar?.querySelectorAll('button') ?? [])].map((b) => b.textContent ?? ''),
    };
    vscodeApi.postMessage(message);
  }
}

function main(): void {
  const root = document.getElementById('cmi-overlay-root') ?? document.body.appendChild(el('div'));
  const data = document.getElementById('cmi-overlay-model')?.textContent;
  if (!data) {
    root.textContent = 'No comparison to show.';
    return;
  }
  render(JSON.parse(data) as OverlayModel, root);
}

main();
