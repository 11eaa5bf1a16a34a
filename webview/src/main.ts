// The timeline view's entry (dist/webview.js): finds its host (VS Code's webview API, or the in-page
// host of the HTML report), asks for the model, and draws it. It imports no `vscode` and does no
// analysis; every string from a trace is set as text.

import './view.css';
import type {
  HostToViewMessage,
  SelectPhaseMessage,
  SeriesWindow,
  TimelineHostPort,
  TimelineModel,
  TimelinePeak,
  TimelinePhase,
  TimelinePhaseRow,
} from '../../protocol/timeline';
import { el } from './dom';
import { formatBytes, formatMs } from './format';
import { arenaTable, jobTable, phaseTable } from './tables';
import { LiveView } from './live';
import { Timeline } from './timeline';
import { hashStore, validViewState, type ViewState, type ViewStateStore } from './view-state';
import { vscodePort } from './vscode-port';

declare const acquireVsCodeApi: Parameters<typeof vscodePort>[0] | undefined;

/** The host (VS Code's webview API, or the report's in-page host) and where the view keeps its state. */
function findHost(): { port: TimelineHostPort; store: ViewStateStore } | undefined {
  if (typeof acquireVsCodeApi === 'function') return vscodePort(acquireVsCodeApi);
  const port = (window as unknown as { cmiReportHost?: TimelineHostPort }).cmiReportHost;
  return port && { port, store: hashStore() };
}

const found = findHost();
const host = found?.port;
const pending = new Map<number, { resolve: (s: SeriesWindow[]) => void; reject: (e: Error) => void }>();
let nextId = 1;
let shown = false;
/** What a `selectPhase` does once the model is drawn (one that comes before it waits for it). */
let selectPhase: ((m: SelectPhaseMessage) => void) | undefined;
let pendingSelect: SelectPhaseMessage | undefined;
let live: LiveView | undefined;

function requestSeries(startMs: number, endMs: number, columns: number, seriesIds?: string[]): Promise<SeriesWindow[]> {
  const id = nextId++;
  return new Promise((resolve, reject) => {
    pending.set(id, { resolve, reject });
    host!.postMessage({ type: 'requestSeries', id, startMs, endMs, columns, ...(seriesIds ? { seriesIds } : {}) });
  });
}

/** In VS Code, clicking a phase (a row of the phase table, a span in the lanes) whose phase has a source location asks the host to reveal it. */
function revealer(model: TimelineModel): (r: TimelinePhaseRow) => (() => void) | undefined {
  const sources = new Map<TimelinePhaseRow, number>();
  model.phases.forEach((ph: TimelinePhase, i) => {
    const row = model.phaseRows[ph.row];
    if (ph.source && row && !sources.has(row)) sources.set(row, i);
  });
  return (r) => {
    const phase = sources.get(r);
    return phase !== undefined && host && typeof acquireVsCodeApi === 'function'
      ? () => host.postMessage({ type: 'revealSource', phase })
      : undefined;
  };
}

/**
 * The phase a `selectPhase` names: its row (when valid and, with a path, of that path) or the row of its
 * path (and process), then of that row's spans the longest. Undefined when there is none.
 */
function findPhase(model: TimelineModel, m: SelectPhaseMessage): TimelinePhase | undefined {
  const rows = model.phaseRows;
  const pathOf = (i: number): string[] => {
    const out: string[] = [];
    for (let r: number | null = i, n = 0; r !== null && rows[r] && n < 1000; r = rows[r]!.parentRow, n++)
      out.unshift(rows[r]!.name);
    return out;
  };
  const same = (a: string[], b: readonly string[]) => a.length === b.length && a.every((x, k) => x === b[k]);
  const fits = (i: number) =>
    (m.path === undefined || same(pathOf(i), m.path)) && (m.pid === undefined || rows[i]!.pid === m.pid);
  if (typeof m.phase === 'number' && Number.isInteger(m.phase)) {
    const p = model.phases[m.phase];
    if (p && rows[p.row] && fits(p.row)) return p;
  }
  let row = -1;
  if (m.row !== undefined && Number.isInteger(m.row) && rows[m.row] && fits(m.row)) row = m.row;
  else if (Array.isArray(m.path) && m.path.length) {
    const leaf = m.path[m.path.length - 1];
    row = rows.findIndex((r, i) => r.name === leaf && fits(i));
  }
  if (row < 0) return undefined;
  let best: TimelinePhase | undefined;
  for (const p of model.phases)
    if (p.row === row && (!best || p.endMs - p.startMs > best.endMs - best.startMs)) best = p;
  return best;
}

function show(model: TimelineModel): void {
  performance.mark('cmi:show');
  const root = document.getElementById('cmi-root') ?? document.body.appendChild(el('div', { id: 'cmi-root' }));
  const peak = model.peak;
  const header = el(
    'header',
    { class: 'cmi-header' },
    el('h1', {}, model.run.title),
    // What the analysis found, in one line (written by the host: timeline-model.ts).
    ...(model.findings ? [el('p', { class: 'cmi-findings', id: 'cmi-findings' }, model.findings.text)] : []),
    el(
      'p',
      { class: 'cmi-facts' },
      `${model.run.status}${model.run.statusReason ? ` (${model.run.statusReason})` : ''} · wall ${formatMs(model.run.wallMs)} · ${model.run.startedAt} · sources: ${model.run.sources.join(', ') || '–'}`,
    ),
  );
  const peakLine = el('p', { class: 'cmi-peak', id: 'cmi-peak-label' });
  if (peak) {
    const place = (p: TimelinePeak) =>
      p.afterPhasePath
        ? [' at exit, after ', el('strong', {}, p.afterPhasePath.join(' › '))]
        : [
            ' in ',
            el('strong', {}, p.phasePath.length ? p.phasePath.join(' › ') : 'no phase'),
            p.untimedInside ? ` (${p.untimedInside} not timed)` : '',
          ];
    peakLine.append(
      peak.measure === 'live-heap' ? 'Peak of the live heap ' : 'Peak ',
      el('strong', {}, formatBytes(peak.bytes)),
      ` (${peak.seriesName}) at ${formatMs(peak.atMs)}`,
      ...place(peak),
    );
    const rss = model.retainedPeak;
    if (rss)
      peakLine.append(
        ' · RSS peak ',
        el('strong', {}, formatBytes(rss.bytes)),
        ` (${rss.seriesName}) at ${formatMs(rss.atMs)}`,
        ...place(rss),
      );
  } else peakLine.textContent = 'No memory series in this profile.';
  header.append(peakLine);
  // The view's state of this profile kept before a reload, and kept again as it changes (saved at most
  // every 250 ms: a zoom step does not wait for it).
  const key = `${model.run.title}|${model.run.startedAt}|${model.run.startMs}|${model.run.endMs}`;
  const state: ViewState = validViewState(found?.store.load(), key) ?? { key };
  let saveTimer: ReturnType<typeof setTimeout> | undefined;
  const save = () => {
    if (saveTimer === undefined) saveTimer = setTimeout(() => ((saveTimer = undefined), found?.store.save(state)), 250);
  };
  const sortKept = (table: string) => ({
    sort: state.sorts?.[table],
    onSort: (column: number, desc: boolean) => {
      (state.sorts ??= {})[table] = [column, desc];
      save();
    },
  });
  const timeline = new Timeline(model, requestSeries, state, save);
  const reveal = revealer(model);
  timeline.onPhaseClick = (p) => reveal(model.phaseRows[p.row]!)?.();
  const tables = el('div', { class: 'cmi-tables', 'aria-busy': 'true' });
  const warnings = model.run.warnings.length
    ? el(
        'details',
        { class: 'cmi-note' },
        el('summary', {}, `${model.run.warnings.length} warning(s)`),
        ...model.run.warnings.slice(0, 200).map((w) => el('div', {}, w)),
      )
    : '';
  root.replaceChildren(
    header,
    timeline.root,
    timeline.selectionElement,
    timeline.phaseDetailsElement,
    tables,
    warnings,
  );
  // The tables (sorting thousands of rows, a thousand table rows) come after the chart is on screen,
  // or after 2 s if it is not drawn by then (a panel opened hidden has no size to draw in).
  let tablesBuilt = false;
  const buildTables = () => {
    if (tablesBuilt) return;
    tablesBuilt = true;
    const t0 = performance.now();
    tables.append(
      el(
        'section',
        { id: 'cmi-phases' },
        el('h2', {}, `Phases (${model.phaseRows.length})`),
        phaseTable(model.phaseRows, reveal, sortKept('phases')),
      ),
    );
    if (model.jobs)
      tables.append(
        el(
          'section',
          { id: 'cmi-jobs' },
          el('h2', {}, `Jobs of the parallel build (${model.jobs.jobs.length})`),
          el('p', { class: 'cmi-note' }, `${model.jobs.headline}.`),
          jobTable(model.jobs.jobs, (j) => () => timeline.setSelection([j.startMs, j.endMs]), sortKept('jobs')),
        ),
      );
    if (model.arenas.length)
      tables.append(
        el(
          'section',
          {},
          el('h2', {}, `Arenas (${model.arenas.length})`),
          arenaTable(model.arenas, sortKept('arenas')),
        ),
      );
    tables.removeAttribute('aria-busy');
    tables.dataset.ready = 'true';
    if (selectedRow !== undefined) markRow(selectedRow);
    performance.measure('cmi:tables', { start: t0 });
  };
  // "Show in Timeline": zoom to the phase, select it, mark its row in the phase table.
  let selectedRow: number | undefined;
  const markRow = (row: number) => {
    for (const tr of tables.querySelectorAll('#cmi-phases tr.cmi-selected')) tr.classList.remove('cmi-selected');
    const tr = tables.querySelector<HTMLElement>(`#cmi-phases tr[data-index="${row}"]`);
    if (!tr) return;
    tr.classList.add('cmi-selected');
    // Scrolls the table's own box, not the page (the chart stays in view).
    const wrap = tr.closest<HTMLElement>('.cmi-table-wrap');
    if (wrap) wrap.scrollTop = Math.max(0, tr.offsetTop - wrap.clientHeight / 2);
  };
  selectPhase = (m) => {
    const p = findPhase(model, m);
    if (!p) {
      host?.postMessage({
        type: 'phaseNotFound',
        ...(m.row !== undefined ? { row: m.row } : {}),
        ...(m.path ? { path: m.path } : {}),
      });
      return;
    }
    timeline.showPhase(p);
    selectedRow = p.row;
    markRow(p.row);
  };
  timeline.onFirstRender = () => setTimeout(buildTables);
  setTimeout(buildTables, 2000);
  timeline.start();
  if (pendingSelect) selectPhase(pendingSelect), (pendingSelect = undefined);
  performance.measure('cmi:show-chart', 'cmi:show');
}

function receive(m: HostToViewMessage): void {
  if (!m || typeof m !== 'object') return;
  if (m.type === 'model' && !shown) {
    shown = true;
    show(m.model);
  } else if (m.type === 'selectPhase') {
    if (selectPhase) selectPhase(m);
    else pendingSelect = m;
  } else if (m.type === 'live' && !shown) {
    live ??= new LiveView(
      document.getElementById('cmi-root') ?? document.body.appendChild(el('div', { id: 'cmi-root' })),
      host!,
    );
    live.update(m.update);
  } else if (m.type === 'liveEnd') {
    live?.ended(m.runId, m.end);
  } else if (m.type === 'seriesData') {
    const p = pending.get(m.id);
    if (!p) return;
    pending.delete(m.id);
    if (m.ok) p.resolve(m.series);
    else p.reject(new Error(m.error));
  }
}

if (host?.onMessage) {
  host.onMessage(receive);
  // The report's page itself may ask for a phase (`selectPhase` posted to its own window): a link, a test.
  window.addEventListener('message', (e: MessageEvent) => {
    const m = e.data as HostToViewMessage;
    if (e.source === window && m && typeof m === 'object' && m.type === 'selectPhase') receive(m);
  });
} else window.addEventListener('message', (e: MessageEvent) => receive(e.data as HostToViewMessage));

if (host) host.postMessage({ type: 'ready' });
else document.body.append(el('p', {}, 'This view needs a host (VS Code or the HTML report) to send it a profile.'));
