// The timeline view's entry (dist/webview.js): finds its host (VS Code's webview API, or the in-page
// host of the HTML report), asks for the model, and draws it. It imports no `vscode` and does no
// analysis; every string from a trace is set as text.

import './view.css';
import type {
  HostToViewMessage,
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

function requestSeries(startMs: number, endMs: number, columns: number, seriesIds?: string[]): Promise<SeriesWindow[]> {
  const id = nextId++;
  return new Promise((resolve, reject) => {
    pending.set(id, { resolve, reject });
    host!.postMessage({ type: 'requestSeries', id, startMs, endMs, columns, ...(seriesIds ? { seriesIds } : {}) });
  });
}

/** In VS Code, clicking a phase row whose phase has a source location asks the host to reveal it. */
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

function show(model: TimelineModel): void {
  performance.mark('cmi:show');
  const root = document.getElementById('cmi-root') ?? document.body.appendChild(el('div', { id: 'cmi-root' }));
  const peak = model.peak;
  const header = el(
    'header',
    { class: 'cmi-header' },
    el('h1', {}, model.run.title),
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
        : [' in ', el('strong', {}, p.phasePath.length ? p.phasePath.join(' › ') : 'no phase')];
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
  const tables = el('div', { class: 'cmi-tables', 'aria-busy': 'true' });
  const warnings = model.run.warnings.length
    ? el(
        'details',
        { class: 'cmi-note' },
        el('summary', {}, `${model.run.warnings.length} warning(s)`),
        ...model.run.warnings.slice(0, 200).map((w) => el('div', {}, w)),
      )
    : '';
  root.replaceChildren(header, timeline.root, timeline.selectionElement, tables, warnings);
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
        {},
        el('h2', {}, `Phases (${model.phaseRows.length})`),
        phaseTable(model.phaseRows, revealer(model), sortKept('phases')),
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
    performance.measure('cmi:tables', { start: t0 });
  };
  timeline.onFirstRender = () => setTimeout(buildTables);
  setTimeout(buildTables, 2000);
  timeline.start();
  performance.measure('cmi:show-chart', 'cmi:show');
}

function receive(m: HostToViewMessage): void {
  if (!m || typeof m !== 'object') return;
  if (m.type === 'model' && !shown) {
    shown = true;
    show(m.model);
  } else if (m.type === 'seriesData') {
    const p = pending.get(m.id);
    if (!p) return;
    pending.delete(m.id);
    if (m.ok) p.resolve(m.series);
    else p.reject(new Error(m.error));
  }
}

if (host?.onMessage) host.onMessage(receive);
else window.addEventListener('message', (e: MessageEvent) => receive(e.data as HostToViewMessage));

if (host) host.postMessage({ type: 'ready' });
else document.body.append(el('p', {}, 'This view needs a host (VS Code or the HTML report) to send it a profile.'));
