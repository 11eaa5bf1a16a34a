// `cmi report --html`: one self-contained HTML file (offline, file://, no request leaves the page)
// with the timeline view (dist/webview.js + dist/webview.css), the in-page host (dist/report-host.js),
// the model and the full-resolution samples embedded as JSON.
//
// Security: a Content Security Policy of default-src 'none' with a per-file nonce for the scripts and
// the style sheet; the data blocks are <script type="application/json"> whose text has <, > and &
// escaped as \u003c, \u003e, \u0026, so no string from a trace can close the block; the view renders
// every string as text.

import { randomBytes } from 'node:crypto';
import { existsSync, promises as fsp, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { inlineCode, selfContainedCsp, viewPage } from '../../../common/html';
import type { TimelineModel } from '../../../protocol/timeline';
import { analyze } from '../core/analysis/analyze';
import type { Profile } from '../core/model';
import { encodeSeries } from './embedded-series';
import { buildTimelineModel } from './timeline-model';

export { jsonForScript } from '../../../common/html';

export interface ReportAssets {
  webviewJs: string;
  webviewCss: string;
  reportHostJs: string;
}

/**
 * The text of built files: beside the CLI bundle (dist/), or the repository's dist/ when run from
 * source. Every `required` file must be in the same folder; an `optional` one missing reads as ''.
 */
export function readDistFiles<R extends string, O extends string>(
  what: string,
  required: R[],
  optional: O[],
  distDir?: string,
): Record<R | O, string> {
  const candidates = distDir ? [distDir] : [__dirname, path.resolve(__dirname, '..', '..', '..', 'dist')];
  for (const dir of candidates) {
    if (!required.every((f) => existsSync(path.join(dir, f)))) continue;
    const read = (f: string) => (existsSync(path.join(dir, f)) ? readFileSync(path.join(dir, f), 'utf8') : '');
    return Object.fromEntries([...required, ...optional].map((f) => [f, read(f)])) as Record<R | O, string>;
  }
  throw new Error(`${what} (${required.join(', ')}) not built: run npm run build (looked in ${candidates.join(', ')})`);
}

export function loadReportAssets(distDir?: string): ReportAssets {
  const f = readDistFiles("the report's bundles are", ['webview.js', 'report-host.js'], ['webview.css'], distDir);
  return { webviewJs: f['webview.js'], webviewCss: f['webview.css'], reportHostJs: f['report-host.js'] };
}

export function reportHtml(profile: Profile, assets: ReportAssets = loadReportAssets()): string {
  const model: TimelineModel = buildTimelineModel(profile, analyze(profile));
  const samples = profile.series.map((s) => encodeSeries(s.id, s.tMs, s.bytes));
  const nonce = randomBytes(18).toString('base64');
  return viewPage({
    csp: selfContainedCsp(nonce),
    title: `Memory timeline: ${model.run.title}`,
    generator: 'Compiler Memory Insight (cmi report)',
    head: `<style nonce="${nonce}">${inlineCode(assets.webviewCss, 'style')}</style>`,
    bodyClass: 'cmi-report',
    rootId: 'cmi-root',
    data: [
      { id: 'cmi-model', value: model },
      { id: 'cmi-samples', value: samples },
    ],
    scripts: [assets.reportHostJs, assets.webviewJs].map(
      (js) => `<script nonce="${nonce}">${inlineCode(js, 'script')}</script>`,
    ),
  });
}

export async function writeReportHtml(file: string, profile: Profile, assets?: ReportAssets): Promise<void> {
  await fsp.writeFile(file, reportHtml(profile, assets));
}
