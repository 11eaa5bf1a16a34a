// The arena API's cost: the example compiler (examples/workspace: tinyc, 300 modules, one AST arena
// each) as instrumented, against the same compiler with the instrumentation calls removed (every line
// of its src/ marked `// arena-api` deleted, then compiled with the same tsc).
//   off  not profiling: the calls go to the inert handle                        target ≤ 1.01×
//   on   under the Node preload (NODE_OPTIONS=--require dist/preload.js), both    target ≤ 1.05×
// Median of paired ratios (runs alternate, so a machine whose speed drifts affects both sides).
//
//   node bench/arena-api.mjs [--runs N]       (or through `npm run bench`, which builds dist/ first)
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { defaultReport, median, pairRange, runWhenMain } from './stats.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const ws = path.join(root, 'examples', 'workspace');

/** Copies the workspace's sources to `dir`, optionally without the arena instrumentation, and compiles them. */
function buildVariant(dir, stripped) {
  mkdirSync(path.join(dir, 'src'), { recursive: true });
  for (const f of readdirSync(path.join(ws, 'src'))) {
    let text = readFileSync(path.join(ws, 'src', f), 'utf8');
    if (stripped)
      text = text
        .split('\n')
        .filter((l) => !l.includes('// arena-api'))
        .join('\n');
    writeFileSync(path.join(dir, 'src', f), text);
  }
  cpSync(path.join(ws, 'tsconfig.json'), path.join(dir, 'tsconfig.json'));
  execFileSync(
    process.execPath,
    [
      path.join(ws, 'node_modules', 'typescript', 'lib', 'tsc.js'),
      '-p',
      dir,
      '--typeRoots',
      path.join(ws, 'node_modules', '@types'),
    ],
    { stdio: 'inherit' },
  );
  return path.join(dir, 'out', 'main.js');
}

function timeRun(main, outDir, env) {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [main, '--out', outDir], { stdio: 'ignore', env });
  if (r.status !== 0) throw new Error(`${main} exited ${r.status}`);
  return performance.now() - t0;
}

/** Runs the benchmark; `report(name, ratios, details, target)` prints one line. */
export async function benchArenaApi({ report = defaultReport, tmpDir, runs = 5 } = {}) {
  if (!existsSync(path.join(ws, 'node_modules', 'typescript')))
    execFileSync('npm', ['ci', '--silent', '--no-audit', '--no-fund'], { cwd: ws, stdio: 'inherit' });
  const preload = path.join(root, 'dist', 'preload.js');
  if (!existsSync(preload)) throw new Error(`${preload} is missing: run node scripts/build.mjs first`);
  const tmp = mkdtempSync(path.join(tmpDir ?? os.tmpdir(), 'cmi-bench-arena-'));
  try {
    const instrumented = buildVariant(path.join(tmp, 'instrumented'), false);
    const removed = buildVariant(path.join(tmp, 'removed'), true);
    const offEnv = { ...process.env };
    delete offEnv.NODE_OPTIONS;
    delete offEnv.CMI_NODE_DIR;
    for (const [label, env] of [
      ['off', offEnv],
      ['on', null],
    ]) {
      const a = [];
      const b = [];
      for (let i = -1; i < runs; i++) {
        const nodeDir = path.join(tmp, `node-${label}-${i}`);
        mkdirSync(nodeDir, { recursive: true });
        const e = env ?? {
          ...offEnv,
          NODE_OPTIONS: `--require "${preload}"`,
          CMI_NODE_DIR: nodeDir,
          CMI_INTERVAL_MS: '10',
        };
        const pair = i % 2 ? [instrumented, removed] : [removed, instrumented]; // alternate the order
        const t = {};
        for (const main of pair) t[main] = timeRun(main, path.join(tmp, 'out'), e);
        if (i >= 0) {
          a.push(t[instrumented]);
          b.push(t[removed]);
        }
        rmSync(nodeDir, { recursive: true, force: true });
      }
      const ratios = a.map((x, k) => x / b[k]);
      const target = label === 'off' ? '≤ 1.01' : '≤ 1.05';
      report(
        `arena API ${label === 'off' ? 'off (not profiling)' : 'on (under the preload)'} (median of ${runs} paired ratios)`,
        ratios,
        `median ${median(a).toFixed(0)} ms instrumented vs ${median(b).toFixed(0)} ms with the calls removed; ${pairRange(ratios)}`,
        target,
      );
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

await runWhenMain(import.meta.url, 5, benchArenaApi);
