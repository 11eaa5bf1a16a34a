// Bundles every entry point with esbuild. Type checking is separate: `npm run typecheck`.
//   --watch       rebuild on change
//   --production  minify, no source maps (used for the .vsix)
//   --quiet       print nothing on success
import * as esbuild from 'esbuild';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import { buildNative } from './build-native.mjs';

const args = new Set(process.argv.slice(2));
const production = args.has('--production');
const quiet = args.has('--quiet');

const node = {
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  bundle: true,
  sourcemap: !production,
  minify: production,
  logLevel: quiet ? 'error' : 'info',
};
/** A view's bundle, run in a webview or a report page. */
const view = (entry, outfile) => ({
  platform: 'browser',
  target: 'es2022',
  format: 'iife',
  bundle: true,
  sourcemap: !production,
  minify: production,
  logLevel: quiet ? 'error' : 'info',
  entryPoints: [entry],
  outfile,
});
const entries = [
  { ...node, entryPoints: ['client/src/extension.ts'], outfile: 'dist/client.js', external: ['vscode'] },
  { ...node, entryPoints: ['server/src/server.ts'], outfile: 'dist/server.js' },
  { ...node, entryPoints: ['server/src/cli/main.ts'], outfile: 'dist/cli.js', banner: { js: '#!/usr/bin/env node' } },
  // Loaded into the user's Node processes with --require: no dependencies, no source map comment noise.
  {
    ...node,
    entryPoints: ['server/src/core/collect/node-preload/writer/main.ts'],
    outfile: 'dist/preload.js',
    sourcemap: false,
  },
  // The arena API for Node-based compilers (`require('compiler-memory-insight/arena')`): no dependencies.
  { ...node, entryPoints: ['server/src/arena-api/index.ts'], outfile: 'dist/arena.js', sourcemap: false },
  view('webview/src/main.ts', 'dist/webview.js'),
  // The phase-aligned overlay of two runs (`cmi compare --html`, VS Code's compare panel).
  view('webview/overlay/overlay-main.ts', 'dist/overlay.js'),
  // The side bar's phase view (VS Code's "Compiler Memory" view container).
  view('webview/side-bar/phases-main.ts', 'dist/side-bar.js'),
  // The in-page host of `cmi report --html` (answers the view with decimated samples embedded in the page).
  {
    platform: 'browser',
    target: 'es2022',
    format: 'iife',
    bundle: true,
    sourcemap: false,
    minify: production,
    logLevel: quiet ? 'error' : 'info',
    entryPoints: ['server/src/report/report-host.ts'],
    outfile: 'dist/report-host.js',
  },
].filter((e) => existsSync(e.entryPoints[0]));

// Shell scripts the runner hands to builds (e.g. the RUSTC_WRAPPER) are copied as they are.
function copyScripts() {
  const dir = 'server/src/collect-scripts';
  if (!existsSync(dir)) return;
  mkdirSync('dist', { recursive: true });
  for (const f of readdirSync(dir)) {
    copyFileSync(`${dir}/${f}`, `dist/${f}`);
    chmodSync(`dist/${f}`, 0o755);
  }
}

copyScripts();
// The live-heap library (LD_PRELOAD): Linux with a C compiler only; never fails the build.
const native = buildNative('dist');
if (!quiet || !native.built) console.log(`build-native: ${native.message}`);
if (args.has('--watch')) {
  for (const e of entries) await (await esbuild.context(e)).watch();
} else {
  await Promise.all(entries.map((e) => esbuild.build(e)));
  chmodSync('dist/cli.js', 0o755);
}
