// The side bar's phase view (dist/side-bar.js): the current profile's phases as a tree table with
// time, self time, live-heap and RSS peak columns, sortable by a click on a header, the peak's path
// open, like the JavaScript profiler's table view. It draws what its host (client/src/phases-view.ts)
// sends (protocol/side-bar.ts) and does no analysis; every string from a trace is set as text.
// A click on a phase's name (or Enter on its row) asks the host to show it in the timeline.

import type { PhaseColumn, PhaseHostToView, PhaseSort, PhaseTree, PhaseViewToHost } from '../../protocol/side-bar';
import { DEFAULT_SORT, nextSort, peakPathRows, shownRows } from './phase-table';
import './phases.css';

declare function acquireVsCodeApi(): {
  postMessage(message: PhaseViewToHost): void;
  getState(): unknown;
  setState(state: unknown): void;
};

const api = acquireVsCodeApi();
const root = document.getElementById('cmi-phases')!;

const COLUMNS: { column: PhaseColumn; title: string; description: string }[] = [
  { column: 'name', title: 'Phase', description: 'phase name; sorts by start' },
  { column: 'duration', title: 'Time', description: 'total time of the phase' },
  { column: 'self', title: 'Self', description: 'time not spent in child phases' },
  { column: 'liveHeap', title: 'Live heap', description: 'highest live heap inside the phase' },
  { column: 'rss', title: 'RSS', description: 'highest RSS inside the phase' },
];

let tree: PhaseTree | null = null;
let sort: PhaseSort = DEFAULT_SORT;
let expanded = new Set<number>();

function el<K extends keyof HTMLElementTagNameMap>(tag: K, cls?: string, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

function keepState(): void {
  api.setState({ sort });
}

function render(): void {
  root.replaceChildren();
  if (!tree) return;
  if (tree.peakText) root.append(el('p', 'ph-peak', tree.peakText));
  const table = el('table', 'ph-table');
  table.setAttribute('role', 'treegrid');
  table.setAttribute('aria-label', `Phases of ${tree.title}`);
  const head = el('tr');
  for (const c of COLUMNS) {
    const th = el('th', c.column === 'name' ? 'ph-name' : 'ph-num');
    th.setAttribute('aria-sort', sort.column === c.column ? (sort.descending ? 'descending' : 'ascending') : 'none');
    const b = el('button', 'ph-sort', c.title + (sort.column === c.column ? (sort.descending ? ' ▾' : ' ▴') : ''));
    b.title = `Sort by ${c.description}`;
    b.dataset.column = c.column;
    b.addEventListener('click', () => setSort(nextSort(sort, c.column)));
    th.append(b);
    head.append(th);
  }
  table.append(el('thead'));
  table.tHead!.append(head);
  const body = el('tbody');
  const shown = shownRows(tree, expanded, sort);
  for (const s of shown) {
    const r = tree.rows[s.row]!;
    const tr = el('tr', r.holdsPeak ? 'ph-row ph-holds-peak' : 'ph-row');
    tr.dataset.row = String(s.row);
    tr.tabIndex = -1;
    tr.setAttribute('aria-level', String(s.depth + 1));
    if (s.hasChildren) tr.setAttribute('aria-expanded', String(s.expanded));
    if (s.row === tree.peakRow) tr.classList.add('ph-peak-row');
    const name = el('td', 'ph-name');
    name.style.paddingLeft = `${4 + s.depth * 12}px`;
    const twisty = el('span', 'ph-twisty', s.hasChildren ? (s.expanded ? '▾' : '▸') : '');
    if (s.hasChildren) twisty.addEventListener('click', (e) => (e.stopPropagation(), toggle(s.row)));
    const label = el('span', 'ph-label', r.name);
    label.title = `${r.name}${r.count > 1 ? ` (${r.count} spans)` : ''}${r.pid !== undefined ? ` · pid ${r.pid}` : ''} — show in the timeline`;
    name.append(twisty, label);
    if (r.count > 1) name.append(el('span', 'ph-count', `×${r.count}`));
    tr.append(
      name,
      el('td', 'ph-num', r.durationText),
      el('td', 'ph-num', r.selfText),
      el('td', 'ph-num', r.liveHeapPeakText),
      el('td', 'ph-num', r.rssPeakText),
    );
    tr.addEventListener('click', () => select(s.row));
    tr.addEventListener('keydown', (e) => onKey(e, s.row, s.hasChildren, s.expanded));
    body.append(tr);
  }
  table.append(body);
  root.append(table);
  const first = body.querySelector<HTMLTableRowElement>('tr');
  if (first) first.tabIndex = 0;
  api.postMessage({
    type: 'rendered',
    profilePath: tree.profilePath,
    sort,
    visibleRows: shown.map((s) => s.row),
    expandedRows: [...expanded].sort((a, b) => a - b),
  });
}

function setSort(next: PhaseSort): void {
  sort = next;
  keepState();
  render();
}

function toggle(row: number): void {
  if (expanded.has(row)) expanded.delete(row);
  else expanded.add(row);
  render();
  root.querySelector<HTMLElement>(`tr[data-row="${row}"]`)?.focus();
}

function select(row: number): void {
  root.querySelector('.ph-selected')?.classList.remove('ph-selected');
  root.querySelector(`tr[data-row="${row}"]`)?.classList.add('ph-selected');
  api.postMessage({ type: 'selectPhase', row });
}

function onKey(e: KeyboardEvent, row: number, hasChildren: boolean, open: boolean): void {
  const tr = e.currentTarget as HTMLTableRowElement;
  const move = (to: Element | null) => {
    if (to instanceof HTMLElement) {
      tr.tabIndex = -1;
      to.tabIndex = 0;
      to.focus();
    }
  };
  if (e.key === 'Enter' || e.key === ' ') select(row);
  else if (e.key === 'ArrowRight' && hasChildren && !open) toggle(row);
  else if (e.key === 'ArrowLeft' && hasChildren && open) toggle(row);
  else if (e.key === 'ArrowDown') move(tr.nextElementSibling);
  else if (e.key === 'ArrowUp') move(tr.previousElementSibling);
  else return;
  e.preventDefault();
}

function showMessage(text: string): void {
  root.replaceChildren(el('p', 'ph-empty', text));
  api.postMessage({ type: 'rendered', profilePath: null, sort, visibleRows: [], expandedRows: [] });
}

window.addEventListener('message', (e: MessageEvent) => {
  const m = e.data as PhaseHostToView | null;
  if (!m || typeof m !== 'object') return;
  switch (m.type) {
    case 'tree': {
      const sameProfile = tree !== null && m.tree !== null && tree.profilePath === m.tree.profilePath;
      tree = m.tree;
      if (m.sort) sort = m.sort;
      // A new profile opens on its peak's path; the same one (reloaded) keeps what the user opened.
      if (!sameProfile) expanded = new Set(tree ? peakPathRows(tree) : []);
      if (tree) render();
      else showMessage(m.message ?? 'No profile yet.');
      return;
    }
    case 'sortBy':
      if (COLUMNS.some((c) => c.column === m.sort.column))
        setSort({ column: m.sort.column, descending: !!m.sort.descending });
      return;
    case 'clickRow':
      root.querySelector<HTMLElement>(`tr[data-row="${m.row}"] .ph-label`)?.click();
      return;
  }
});

const kept = api.getState() as { sort?: PhaseSort } | undefined;
if (kept?.sort) sort = kept.sort;
api.postMessage({ type: 'ready' });
