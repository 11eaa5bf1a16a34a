// The phase table and the arena table: sortable by any column (click its header), all text set as text.

import type { TimelineArena, TimelineDurationRow, TimelineJob, TimelinePhaseRow } from '../../protocol/timeline';
import { el } from './dom';
import { formatBytes, formatMs, formatPercent } from './format';

interface Column<T> {
  title: string;
  value: (r: T) => number | string | null;
  text: (r: T) => string;
  /** Shown after the text in the cell, when the row has it (a phase's table of durations). */
  more?: (r: T) => HTMLElement | undefined;
}

const MAX_ROWS = 500;

/** A row that can be activated (click, Enter) when `activate` returns an action for it. */
type Activate<T> = (r: T) => (() => void) | undefined;

/** The sort order to start with (column, descending), and who is told when the user changes it. */
export interface SortKept {
  sort?: [number, boolean];
  onSort?: (column: number, desc: boolean) => void;
}

function sortableTable<T>(
  caption: string,
  rows: T[],
  columns: Column<T>[],
  initial: number,
  rowClass: (r: T) => string,
  activate?: Activate<T>,
  kept: SortKept = {},
  activateTitle = 'Reveal in the editor',
): HTMLElement {
  const table = el('table', { class: 'cmi-table' });
  const thead = el('thead');
  const tbody = el('tbody');
  const note = el('p', { class: 'cmi-note' });
  table.append(el('caption', { class: 'cmi-sr' }, caption), thead, tbody);
  const restored = kept.sort && kept.sort[0] >= 0 && kept.sort[0] < columns.length ? kept.sort : undefined;
  let sortCol = restored?.[0] ?? initial;
  let desc = restored?.[1] ?? true;
  // Each row keeps its index among `rows` (data-index), for the view to find and mark it.
  const indexOf = new Map(rows.map((r, i) => [r, i]));
  const headRow = el('tr');
  const buttons = columns.map((c, i) => {
    const b = el('button', { type: 'button' }, c.title);
    b.addEventListener('click', () => {
      if (sortCol === i) desc = !desc;
      else {
        sortCol = i;
        desc = i !== 0;
      }
      render();
      kept.onSort?.(sortCol, desc);
    });
    const th = el('th', { scope: 'col' }, b);
    headRow.append(th);
    return th;
  });
  thead.append(headRow);
  const render = () => {
    const col = columns[sortCol]!;
    const sorted = [...rows].sort((a, b) => {
      const x = col.value(a);
      const y = col.value(b);
      if (x === y) return 0;
      if (x === null) return 1;
      if (y === null) return -1;
      const c = typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y));
      return desc ? -c : c;
    });
    buttons.forEach((th, i) =>
      th.setAttribute('aria-sort', i === sortCol ? (desc ? 'descending' : 'ascending') : 'none'),
    );
    tbody.replaceChildren(
      ...sorted.slice(0, MAX_ROWS).flatMap((r) => {
        const tr = el('tr', { class: rowClass(r), 'data-index': String(indexOf.get(r)) });
        const more: HTMLElement[] = [];
        for (const c of columns) {
          const text = c.text(r);
          const m = c.more?.(r);
          if (m) more.push(m);
          // A cell never wraps (view.css); one cut with an ellipsis keeps its whole text as its title.
          tr.append(el('td', text.length > 24 ? { title: text } : {}, text));
        }
        const action = activate?.(r);
        if (action) {
          tr.classList.add('cmi-link');
          tr.tabIndex = 0;
          tr.title = activateTitle;
          tr.addEventListener('click', action);
          tr.addEventListener('keydown', (e) => e.key === 'Enter' && action());
        }
        // What a row folds out (a phase's table of durations) goes on a row of its own under it.
        if (!more.length) return [tr];
        const td = el('td', { colspan: String(columns.length) }, ...more);
        return [tr, el('tr', { class: 'cmi-more' }, td)];
      }),
    );
    note.textContent = rows.length > MAX_ROWS ? `Showing the first ${MAX_ROWS} of ${rows.length} rows.` : '';
  };
  render();
  return el('div', {}, el('div', { class: 'cmi-table-wrap' }, table), note);
}

const pathCache = new WeakMap<TimelinePhaseRow, string>();

/** A phase row's path for people, "a › b › c", built from its parent rows (and kept). */
export function phaseRowPath(rows: readonly TimelinePhaseRow[], r: TimelinePhaseRow): string {
  let text = pathCache.get(r);
  if (text === undefined) {
    const parent = r.parentRow !== null ? rows[r.parentRow] : undefined;
    text = parent && parent !== r ? `${phaseRowPath(rows, parent)} › ${r.name}` : r.name;
    pathCache.set(r, text);
  }
  return text;
}

/** `reveal`: what clicking a row does (a phase with a source location reveals it in the editor). */
export function phaseTable(
  rows: TimelinePhaseRow[],
  reveal?: Activate<TimelinePhaseRow>,
  kept?: SortKept,
): HTMLElement {
  return sortableTable(
    'Phases',
    rows,
    [
      {
        title: 'Phase',
        value: (r) => phaseRowPath(rows, r),
        text: (r) =>
          `${phaseRowPath(rows, r)}${r.count > 1 ? ` ×${r.count}` : ''}${r.placedByGuess ? ' (placed by guess)' : ''}`,
        more: (r) => (r.durations ? durationsDetails(r.durations) : undefined),
      },
      {
        title: 'Time',
        value: (r) => r.durationMs,
        text: (r) => `${formatMs(r.durationMs)}${r.placedByGuess ? ' (total)' : ''}`,
      },
      { title: 'Self', value: (r) => r.selfMs, text: (r) => formatMs(r.selfMs) },
      {
        title: 'Start → end',
        value: (r) => (r.memEndBytes ?? 0) - (r.memStartBytes ?? 0),
        text: (r) => `${formatBytes(r.memStartBytes)} → ${formatBytes(r.memEndBytes)}`,
      },
      { title: 'Peak in it', value: (r) => r.memPeakBytes, text: (r) => formatBytes(r.memPeakBytes) },
      {
        title: 'Of peak',
        value: (r) => r.shareOfPeak,
        text: (r) => `${formatPercent(r.shareOfPeak)}${r.holdsPeak ? ' ◀ peak' : ''}`,
      },
    ],
    2,
    (r) => [r.holdsPeak ? 'cmi-hot' : '', r.placedByGuess ? 'cmi-guessed' : ''].join(' ').trim(),
    reveal,
    kept,
  );
}

/** A durations row's place in its table, "group › pass", from the rows above it by depth. */
function durationPaths(list: readonly TimelineDurationRow[]): Map<TimelineDurationRow, string> {
  const out = new Map<TimelineDurationRow, string>();
  const above: string[] = [];
  for (const d of list) {
    above.length = Math.min(above.length, d.depth);
    out.set(d, [...above, d.name].join(' › '));
    above.push(d.name);
  }
  return out;
}

/** The parts of a phase known only by their totals (never placed in time): name, time, share, count, bytes. */
export function durationsTable(list: TimelineDurationRow[]): HTMLElement {
  const paths = durationPaths(list);
  return sortableTable(
    'Parts of the phase known only by their total time',
    list,
    [
      { title: 'Part (total only)', value: (d) => paths.get(d)!, text: (d) => paths.get(d)! },
      { title: 'Time', value: (d) => d.ms, text: (d) => formatMs(d.ms) },
      { title: 'Of the phase', value: (d) => d.shareOfPhase, text: (d) => formatPercent(d.shareOfPhase) },
      { title: 'Count', value: (d) => d.count, text: (d) => (d.count === null ? '–' : String(d.count)) },
      {
        title: 'Bytes',
        value: (d) => d.bytes,
        text: (d) => `${formatBytes(d.bytes)}${d.bytes !== null && d.bytesMeaning ? ` ${d.bytesMeaning}` : ''}`,
      },
    ],
    1,
    () => 'cmi-total',
  );
}

/** The durations table folded under a phase row's name: opened on demand, so long tables stay out of the way. */
function durationsDetails(list: TimelineDurationRow[]): HTMLElement {
  const details = el('details', { class: 'cmi-durations' });
  details.append(el('summary', {}, `${list.length} part${list.length === 1 ? '' : 's'} timed by total only`));
  // Opening it is not a click on the row (which may reveal the phase's source).
  details.addEventListener('click', (e) => e.stopPropagation());
  details.addEventListener('keydown', (e) => e.stopPropagation());
  // Built when first opened: a build of 500 translation units has 500 such tables.
  details.addEventListener('toggle', () => {
    if (details.open && details.childElementCount === 1) details.append(durationsTable(list));
  });
  return details;
}

export function arenaTable(arenas: TimelineArena[], kept?: SortKept): HTMLElement {
  return sortableTable(
    'Arenas',
    arenas,
    [
      { title: 'Arena', value: (a) => a.name, text: (a) => `${a.name} [${a.category}]` },
      { title: 'Created', value: (a) => a.startMs, text: (a) => formatMs(a.startMs) },
      { title: 'Freed', value: (a) => a.endMs, text: (a) => (a.endMs === null ? 'alive at end' : formatMs(a.endMs)) },
      { title: 'Peak', value: (a) => a.peakBytes, text: (a) => formatBytes(a.peakBytes) },
      { title: 'At the peak', value: (a) => a.bytesAtPeak, text: (a) => formatBytes(a.bytesAtPeak) },
      {
        title: 'Last use',
        value: (a) => a.lastUseMs,
        text: (a) =>
          a.lastUseMs === null ? '–' : `${formatMs(a.lastUseMs)}${a.lastUsePhase ? ` in ${a.lastUsePhase}` : ''}`,
      },
      {
        title: 'Held past last use',
        value: (a) => a.potentialSavingBytes,
        text: (a) => (a.heldPastLastUse ? `yes, saving ${formatBytes(a.potentialSavingBytes)}` : 'no'),
      },
    ],
    6,
    (a) => (a.heldPastLastUse ? 'cmi-held' : ''),
    undefined,
    kept,
  );
}

/** The jobs of a parallel build, most memory first; `select` is what clicking a row does (selects its span). */
export function jobTable(jobs: TimelineJob[], select?: Activate<TimelineJob>, kept?: SortKept): HTMLElement {
  return sortableTable(
    'Jobs',
    jobs,
    [
      { title: 'Job', value: (j) => j.name, text: (j) => `${j.name} [${j.kind}]` },
      { title: 'Process', value: (j) => j.pid, text: (j) => `${j.process} (pid ${j.pid})` },
      { title: 'Peak RSS', value: (j) => j.peakRssBytes, text: (j) => formatBytes(j.peakRssBytes) },
      {
        title: 'Live heap peak',
        value: (j) => j.liveHeapPeakBytes,
        text: (j) => (j.liveHeapPeakBytes === null ? 'unknown' : formatBytes(j.liveHeapPeakBytes)),
      },
      {
        title: 'At the peak',
        value: (j) => j.rssAtPeakBytes,
        text: (j) => (j.runningAtPeak ? `${formatBytes(j.rssAtPeakBytes)} ◀ running` : '–'),
      },
      {
        title: 'Span',
        value: (j) => j.endMs - j.startMs,
        text: (j) => `${formatMs(j.startMs)} → ${formatMs(j.endMs)} (${formatMs(j.endMs - j.startMs)})`,
      },
    ],
    2,
    (j) => (j.runningAtPeak ? 'cmi-hot' : ''),
    select,
    kept,
    'Select its span on the timeline',
  );
}
