// The in-page host of the HTML report (bundled to dist/report-host.js, loaded before the view): it
// plays the part the extension plays in VS Code. It reads the model and the full-resolution samples
// embedded in the page, answers the view's `ready` with the model and its `requestSeries` with
// decimate() over the samples (through an index, so that a wide window does not scan every sample).
// Hands its answers to the view's listener directly: they are the page's own objects, and a window
// message would clone them.

import type { HostToViewMessage, TimelineHostPort, TimelineModel, ViewToHostMessage } from '../../../protocol/timeline';
import { decimate } from '../core/analysis/decimate';
import { DecimationIndex } from './decimate-index';
import { decodeSeries, type EmbeddedSeries } from './embedded-series';

function readJson<T>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`the report has no #${id} block`);
  return JSON.parse(el.textContent ?? 'null') as T;
}

let model: TimelineModel | undefined;
let samples: Map<string, { tMs: Float64Array; bytes: Float64Array }> | undefined;
/** The decimation indexes, built just after the first window is answered (so that they do not delay it). */
const indexes = new Map<string, DecimationIndex>();
let _indexing: ReturnType<typeof setTimeout> | undefined;

function decimateSeries(id: string, startMs: number, endMs: number, columns: number) {
  const s = samples!.get(id);
  if (!s) throw new Error(`no series "${id}"`);
  const index = indexes.get(id);
  if (index) return index.decimate(startMs, endMs, columns);
  _indexing ??= setTimeout(() => {
    for (const [k, v] of samples!) indexes.set(k, new DecimationIndex(v.tMs, v.bytes));
  }, 50);
  return decimate(s.tMs, s.bytes, startMs, endMs, columns);
}

function load(): void {
  if (model) return;
  performance.mark('cmi:host-load');
  const m = readJson<TimelineModel>('cmi-model');
  performance.measure('cmi:host-model', 'cmi:host-load');
  samples = new Map(
    readJson<EmbeddedSeries[]>('cmi-samples').map((e) => {
      const d = decodeSeries(e);
      return [d.id, d];
    }),
  );
  model = m;
  performance.measure('cmi:host-samples', 'cmi:host-load');
}

let listener: ((message: HostToViewMessage) => void) | undefined;

/** To the view, as the answer to a request: later, never inside the request's call. */
function send(message: HostToViewMessage): void {
  queueMicrotask(() => listener?.(message));
}

function handle(message: ViewToHostMessage): void {
  try {
    load();
  } catch (e) {
    // A report cut short or edited by hand: say so in the page, as text.
    const p = document.createElement('p');
    p.className = 'cmi-error';
    p.textContent = `This report cannot be shown: ${(e as Error).message}`;
    document.body.prepend(p);
    return;
  }
  if (message.type === 'ready') send({ type: 'model', model: model! });
  else if (message.type === 'requestSeries') {
    try {
      const ids = message.seriesIds ?? [...samples!.keys()];
      const series = ids.map((id) => ({ id, ...decimateSeries(id, message.startMs, message.endMs, message.columns) }));
      send({ type: 'seriesData', id: message.id, ok: true, series });
    } catch (e) {
      send({ type: 'seriesData', id: message.id, ok: false, error: (e as Error).message });
    }
  }
}

const port: TimelineHostPort = { postMessage: (m) => handle(m), onMessage: (l) => void (listener = l) };
(window as unknown as { cmiReportHost: TimelineHostPort }).cmiReportHost = port;
