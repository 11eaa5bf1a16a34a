// The in-page host of the HTML report (bundled to dist/report-host.js, loaded before the view): it
// plays the part the extension plays in VS Code. It reads the model and the full-resolution samples
// embedded in the page, answers the view's `ready` with the model and its `requestSeries` with
// decimate() over the samples (through an index, so that a wide window does not scan every sample).
// Talks to the view through window messages, like VS Code does.

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
let indexing: ReturnType<typeof setTimeout> | undefined;

function decimateSeries(id: string, startMs: number, endMs: number, columns: number) {
  const s = samples!.get(id);
  if (!s) throw new Error(`no series "${id}"`);
  const index = indexes.get(id);
  if (index) return index.decimate(startMs, endMs, columns);
  indexing ??= setTimeout(() => {
    for (const [k, v] of samples!) indexes.set(k, new DecimationIndex(v.tMs, v.bytes));
  }, 50);
  return decimate(s.tMs, s.bytes, startMs, endMs, columns);
}

function load(): void {
  if (model) return;
  model = readJson<TimelineModel>('cmi-model');
  samples = new Map(readJson<EmbeddedSeries[]>('cmi-samples').map((e) => {
    const d = decodeSeries(e);
    return [d.id, d];
  }));
}

function send(message: HostToViewMessage): void {
  window.postMessage(message, '*');
}

function handle(message: ViewToHostMessage): void {
  load();
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

const port: TimelineHostPort = { postMessage: (m) => handle(m) };
(window as unknown as { cmiReportHost: TimelineHostPort }).cmiReportHost = port;
