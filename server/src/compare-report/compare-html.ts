// `cmi compare BASE HEAD --html OUT`: one self-contained HTML file (offline, file://, no request leaves
// the page) with the phase-aligned overlay of the two runs (protocol/overlay.ts) and the per-phase
// delta table, drawn by dist/overlay.js + dist/overlay.css (webview/overlay/).
//
// Security as for `cmi report --html`: a Content Security Policy of default-src 'none' with a
// per-file nonce for the script and the style sheet; the model is a <script type="application/json">
// whose text has <, > and & escaped (jsonForScript), so no phase name can close the block; the view
// sets every string as text.

import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import type { OverlayModel } from '../../../protocol/overlay';
import { inlineCode, selfContainedCsp, viewPage } from '../../../common/html';
import { readDistFiles } from '../report/html';

export interface OverlayAssets {
  overlayJs: string;
  overlayCss: string;
}

export function loadOverlayAssets(distDir?: string): OverlayAssets {
  const f = readDistFiles("the overlay's bundle is", ['overlay.js'], ['overlay.css'], distDir);
  return { overlayJs: f['overlay.js'], overlayCss: f['overlay.css'] };
}

export function compareHtml(model: OverlayModel, assets: OverlayAssets = loadOverlayAssets()): string {
  const nonce = randomBytes(18).toString('base64');
  return viewPage({
    csp: selfContainedCsp(nonce),
    title: model.title,
    generator: 'Compiler Memory Insight (cmi compare --html)',
    head: `<style nonce="${nonce}">${inlineCode(assets.overlayCss, 'style')}</style>`,
    bodyClass: 'cmi-compare-report',
    rootId: 'cmi-overlay-root',
    data: [{ id: 'cmi-overlay-model', value: model }],
    scripts: [`<script nonce="${nonce}">${inlineCode(assets.overlayJs, 'script')}</script>`],
  });
}

export async function writeCompareHtml(file: string, model: OverlayModel, assets?: OverlayAssets): Promise<void> {
  await fsp.writeFile(file, compareHtml(model, assets));
}
