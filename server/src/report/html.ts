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
import type { TimelineModel } from '../../../protocol/timeline';
import { analyze } from '../core/analysis/analyze';
import type { Profile } from '../core/model';
import { encodeSeries } from './embedded-series';
import { buildTimelineModel } from './timeline-model';

/** JSON that is safe inside a <script> element: no <, >, & or line separators left as such. */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

function escapeHtmlText(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** A bundle inlined in a <script>: "</script" cannot occur in it (it would end the element early). */
function inlineScript(code: string): string {
  return code.replace(/<\/(script)/gi, '<\\/$1').replace(/<!--/g, '<\\!--');
}

export interface ReportAssets {
  webviewJs: string;
  webviewCss: string;
  reportHostJs: string;
}

/** Where the bundles are: beside the CLI bundle (dist/), or the repository's dist/ when run from source. */
export function loadReportAssets(distDir?: string): ReportAssets {
  const candidates = distDir ? [distDir] : [__dirname, path.resolve(__dirname, '..', '..', '..', 'dist')];
  for (const dir of candidates) {
    const js = path.join(dir, 'webview.js');
    if (existsSync(js) && existsSync(path.join(dir, 'report-host.js'))) {
      return {
        webviewJs: readFileSync(js, 'utf8'),
        webviewCss: existsSync(path.join(dir, 'webview.css')) ? readFileSync(path.join(dir, 'webview.css'), 'utf8') : '',
        reportHostJs: readFileSync(path.join(dir, 'report-host.js'), 'utf8'),
      };
    }
  }
  throw new Error(`the report's bundles (webview.js, report-host.js) are not built: run npm run build (looked in ${candidates.join(', ')})`);
}

function stripSourceMap(code: string): string {
  return code.replace(/\n\/\/# sourceMappingURL=.*$/m, '');
}

export function reportHtml(profile: Profile, assets: ReportAssets = loadReportAssets()): string {
  const model: TimelineModel = buildTimelineModel(profile, analyze(profile));
  const samples = profile.series.map((s) => encodeSeries(s.id, s.tMs, s.bytes));
  const nonce = randomBytes(18).toString('base64');
  const csp = [`default-src 'none'`, `script-src 'nonce-${nonce}'`, `style-src 'nonce-${nonce}'`, `img-src data:`].join('; ');
  const title = `Memory timeline: ${model.run.title}`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="Compiler Memory Insight (cmi report)">
<title>${escapeHtmlText(title.length > 200 ? `${title.slice(0, 199)}…` : title)}</title>
<style nonce="${nonce}">${stripSourceMap(assets.webviewCss).replace(/<\/(style)/gi, '<\\/$1')}</style>
</head>
<body class="cmi-report">
<div id="cmi-root"></div>
<script type="application/json" id="cmi-model">${jsonForScript(model)}</script>
<script type="application/json" id="cmi-samples">${jsonForScript(samples)}</script>
<script nonce="${nonce}">${inlineScript(stripSourceMap(assets.reportHostJs))}</script>
<script nonce="${nonce}">${inlineScript(stripSourceMap(assets.webviewJs))}</script>
</body>
</html>
`;
}

export async function writeReportHtml(file: string, profile: Profile, assets?: ReportAssets): Promise<void> {
  await fsp.writeFile(file, reportHtml(profile, assets));
}
