// Bundles the real-VS Code tests into dist/test-vscode/ (gitignored, outside the .vsix allowlist):
//   suite/*.js      Mocha suites and their entry points, loaded INSIDE the extension host
//   *.js            the drivers run by scripts/test-vscode.sh with plain node (Playwright, test-electron)
// `vscode`, `mocha`, `playwright-core` and `@vscode/test-electron` stay external: the extension host
// provides `vscode`, the others load from the repository's node_modules.
import * as esbuild from 'esbuild';
import { readdirSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const ts = (dir) =>
  readdirSync(path.join(here, dir))
    .filter((f) => f.endsWith('.ts'))
    .map((f) => path.join(here, dir, f));

await esbuild.build({
  entryPoints: [
    ...ts('suite').filter((f) => /(\.test|run-[\w-]+)\.ts$/.test(f)),
    ...ts('ui'),
    path.join(here, 'run-ext-tests.ts'),
    path.join(here, 'run-electron.ts'),
    path.join(here, 'prepare-workspaces.ts'),
    path.join(here, 'summarize-results.ts'),
  ],
  outdir: path.join(root, 'dist/test-vscode'),
  outbase: here,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: 'inline',
  external: ['vscode', 'mocha', 'playwright-core', '@vscode/test-electron'],
  logLevel: process.argv.includes('--quiet') ? 'error' : 'info',
});
