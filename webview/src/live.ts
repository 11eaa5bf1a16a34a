// The live view: a running build's timeline drawn as its updates arrive (protocol/live.ts), at most
// once every LIVE_REDRAW_MS. It keeps the run in a bounded copy (common/live-copy.ts), arranges it as a
// timeline model (one series, the tree's RSS; the phases the progress reports named, in one group)
// and draws it with the same Timeline as a profile, rebuilt at each redraw and following the whole
// run. The series are answered here from the copy, with no host round trip. When the build ends the
// host loads its profile (a fresh view); when it ends with none, `liveEnd` says how and what was
// drawn stays, marked as such.

import type { LiveEnd, LivePhase, LiveTimelineUpdate } from '../../protocol/live';
import type {
  SeriesWindow,
  TimelineHostPort,
  TimelineModel,
  TimelinePhase,
  TimelinePhaseRow,
} from '../../protocol/timeline';
import { LiveCopy } from '../../common/live-copy';
import { el } from './dom';
import { formatBytes, formatMs } from './format';
import { Timeline } from './timeline';

/** The least time between two redraws (a redraw rebuilds the chart: a few ms for 4,096 points). */
export const LIVE_REDRAW_MS = 500;
const SERIES_ID = 'rss-tree';

/** The live run as a timeline model: the tree's RSS and the live phases, from 0 to the time elapsed. */
export function liveModel(copy: LiveCopy<LivePhase, LiveTimelineUpdate>, end?: LiveEnd): TimelineModel {
  const u = copy.latest!;
  const n = copy.tMs.length;
  let maxBytes: number | null = null;
  let maxAtMs: number | null = null;
  for (let i = 0; i < n; i++)
    if (maxBytes === null || copy.bytes[i]! > maxBytes) (maxBytes = copy.bytes[i]!), (maxAtMs = copy.tMs[i]!);
  const endMs = Math.max(1, u.elapsedMs, n ? copy.tMs[n - 1]! : 0);
  const phaseRows: TimelinePhaseRow[] = [];
  const phases: TimelinePhase[] = [];
  let depth = 0;
  for (const p of copy.phases) {
    if (!p) continue;
    const stop = p.endMs ?? endMs;
    phaseRows.push({
      name: p.name,
      parentRow: null,
      count: 1,
      startMs: p.startMs,
      durationMs: stop - p.startMs,
      selfMs: stop - p.startMs,
      memStartBytes: null,
      memEndBytes: null,
      memPeakBytes: null,
      shareOfPeak: null,
      holdsPeak: false,
    });
    phases.push({ name: p.name, group: 0, depth: p.depth, startMs: p.startMs, endMs: stop, row: phaseRows.length - 1 });
    depth = Math.max(depth, p.depth + 1);
  }
  phases.sort((a, b) => a.depth - b.depth || a.startMs - b.startMs);
  return {
    run: {
      title: u.title,
      status: end?.status ?? 'incomplete',
      ...(end?.statusReason ? { statusReason: end.statusReason } : {}),
      startedAt: u.startedAt,
      wallMs: endMs,
      sources: ['sampler (live)'],
      startMs: 0,
      endMs,
      warnings: [],
    },
    peak: null,
    retainedPeak: null,
    series: [
      {
        id: SERIES_ID,
        name: 'RSS of the process tree',
        kind: 'rss-tree',
        source: 'sampler (live)',
        samples: n,
        maxBytes,
        maxAtMs,
      },
    ],
    seriesGroups: [{ kind: 'tree', kindTitle: '', label: 'whole build', peakBytes: maxBytes, rank: -1, series: [0] }],
    groups: depth ? [{ label: 'phases (live)', depth }] : [],
    phases,
    markers: [],
    arenas: [],
    arenaLanes: 0,
    arenaGroups: [],
    findings: null,
    phaseRows,
  };
}

/** The copy's points in [startMs, endMs] with one neighbour each side, and the RSS now at the time elapsed. */
function liveWindow(copy: LiveCopy<LivePhase, LiveTimelineUpdate>, startMs: number, endMs: number): SeriesWindow {
  const { tMs, bytes } = copy;
  let lo = 0;
  while (lo < tMs.length && tMs[lo]! < startMs) lo++;
  let hi = lo;
  while (hi < tMs.length && tMs[hi]! <= endMs) hi++;
  const from = Math.max(0, lo - 1);
  const to = Math.min(tMs.length, hi + 1);
  const w: SeriesWindow = { id: SERIES_ID, tMs: tMs.slice(from, to), bytes: bytes.slice(from, to) };
  const u = copy.latest;
  // A value held since the last point is written only when it changes: draw it up to now.
  if (u && tMs.length && u.elapsedMs > tMs[tMs.length - 1]! && to === tMs.length) {
    w.tMs.push(u.elapsedMs);
    w.bytes.push(u.treeRssBytes);
  }
  return w;
}

export class LiveView {
  private copy = new LiveCopy<LivePhase, LiveTimelineUpdate>();
  private runId = '';
  private end: LiveEnd | undefined;
  private timeline: Timeline | undefined;
  private redraws = 0;
  private lastDrawMs = Number.NEGATIVE_INFINITY;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly root: HTMLElement,
    private readonly port: TimelineHostPort,
  ) {}

  update(u: LiveTimelineUpdate): void {
    if (u.runId !== this.runId) {
      this.runId = u.runId;
      this.copy = new LiveCopy();
      this.end = undefined;
    }
    this.copy.apply(u);
    this.schedule();
  }

  ended(runId: string, end: LiveEnd): void {
    if (runId !== this.runId) return;
    this.end = end;
    this.schedule();
  }

  /** Draws now if the last redraw is LIVE_REDRAW_MS old, else once it is. */
  private schedule(): void {
    if (this.timer !== undefined) return;
    const wait = Math.max(0, this.lastDrawMs + LIVE_REDRAW_MS - performance.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.lastDrawMs = performance.now();
      this.draw();
    }, wait);
  }

  private draw(): void {
    const u = this.copy.latest;
    if (!u) return;
    const copy = this.copy;
    const model = liveModel(copy, this.end);
    const open = copy.phases.filter((p) => p && p.endMs === null).sort((a, b) => a.depth - b.depth);
    const facts = this.end
      ? `${this.end.status}${this.end.statusReason ? ` (${this.end.statusReason})` : ''} after ${formatMs(u.elapsedMs)}${this.end.profilePath ? ' · loading its profile…' : ' · what was recorded live is shown: the profile is incomplete'}`
      : `running · ${formatMs(u.elapsedMs)} · RSS ${formatBytes(u.treeRssBytes)} · peak ${formatBytes(u.peakTreeRssBytes)} · ${u.processCount} process(es)${open.length ? ` · ${open.map((p) => p.name).join(' › ')}` : ''}`;
    const header = el(
      'header',
      { class: 'cmi-header' },
      el('h1', {}, u.run ? `${u.title} (run ${u.run.run} of ${u.run.runs})` : u.title),
      el(
        'p',
        { class: 'cmi-facts', id: 'cmi-live-status', 'data-state': this.end ? this.end.status : 'running' },
        facts,
      ),
      el(
        'p',
        { class: 'cmi-note' },
        `${copy.tMs.length} points${u.stride > 1 ? ` (each the highest of ${u.stride} ticks)` : ''} of ${u.ticks} ticks. Phases as the progress reports saw them (to about 0.2 s)${u.phasesDropped ? `, ${u.phasesDropped} more not shown` : ''}; the profile has the recorded ones.`,
      ),
    );
    const timeline = new Timeline(model, (startMs, endMs) => Promise.resolve([liveWindow(copy, startMs, endMs)]));
    this.timeline?.dispose();
    this.timeline = timeline;
    timeline.root.dataset.live = 'true';
    this.root.replaceChildren(header, timeline.root);
    timeline.start();
    this.redraws++;
    this.root.dataset.livePoints = String(copy.tMs.length);
    this.port.postMessage({
      type: 'liveDrawn',
      runId: this.runId,
      points: copy.tMs.length,
      phases: model.phases.length,
      redraws: this.redraws,
    });
  }
}
