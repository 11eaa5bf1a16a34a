// Imported first by extension.ts, so that it is evaluated before the rest of the bundle
// (vscode-languageclient included): its timestamp marks the start of the extension's own loading.
import { performance } from 'node:perf_hooks';

export const bundleEvaluationStartMs = performance.now();
