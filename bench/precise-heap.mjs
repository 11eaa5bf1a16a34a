// The cost of `cmi profile --precise-heap` (a full GC forced at every phase boundary and at exit):
// each build profiled with and without it, runs alternating, the figure the median of the paired
// wall-time ratios. No target: the figure is the cost the documentation states (docs/node-heap.md).
//
//   tinyc   the example compiler, `node out/main.js` (12 phases; ~130 MiB live at its peak)
//   tsc     the example's tsc build (4 top-level phases: Program, Bind, Check, Emit)
//
//   node bench/precise-heap.mjs [--runs N]    (or `npm run bench -- --only precise`, which builds dist/ first)
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultReport, median, pairRange, runWhenMain } from './stats.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const ws = path.join(root, 'examples', 'workspace');

/** Profiles `argv` in the example workspace; returns the run's wall time and its forced GCs' total time. */
function profileOnce(argv, tmp, precise) {
  const out = path.join(tmp, 'profile.json');
  const cli = [path.join(root, 'dist', 'cli.js'), 'profile', '--quiet', '--json', '--out', out];
  if (precise) cli.push('--precise-heap');
  const r = spawnSync(process.execPath, [...cli, '--', ...argv], { cwd: ws, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`cmi profile ${argv.join(' ')} exited ${r.status}: ${r.stderr}`);
  const profile = JSON.parse(readFileSync(out, 'utf8'));
  const forced = profile.markers.filter((m) => m.kind === 'gc' && m.name.includes('forced'));
  return {
    wallMs: JSON.parse(r.stdout).wallMs,
    forced: forced.length,
    forcedMs: forced.reduce((s, m) => s + (m.durMs ?? 0), 0),
  };
}

export async function benchPreciseHeap({ report = defaultReport, tmpDir, runs = 3 } = {}) {
  if (!existsSync(path.join(ws, 'node_modules', 'typescript')))
    execFileSync('npm', ['ci', '--silent', '--no-audit', '--no-fund'], { cwd: ws, stdio: 'inherit' });
  const tsc = path.join(ws, 'node_modules', 'typescript', 'lib', 'tsc.js');
  if (!existsSync(path.join(ws, 'out', 'main.js'))) execFileSync(process.execPath, [tsc, '-p', '.'], { cwd: ws });
  const tmp = mkdtempSync(path.join(tmpDir ?? os.tmpdir(), 'cmi-bench-precise-'));
  try {
    const builds = [
      ['tinyc (node out/main.js)', ['node', 'out/main.js', '--out', path.join(tmp, 'tinyc')]],
      ['tsc -p examples/workspace', ['node', tsc, '-p', '.', '--outDir', path.join(tmp, 'tsc')]],
    ];
    for (const [name, argv] of builds) {
      const on = [];
      const off = [];
      for (let i = 0; i < runs; i++) {
        const order = i % 2 ? [true, false] : [false, true];
        for (const p of order) (p ? on : off).push(profileOnce(argv, tmp, p));
      }
      const ratios = on.map((x, k) => x.wallMs / off[k].wallMs);
      report(
        `--precise-heap wall time: ${name} (median of ${runs} paired ratios)`,
        ratios,
        `median ${median(on.map((x) => x.wallMs)).toFixed(0)} ms vs ${median(off.map((x) => x.wallMs)).toFixed(0)} ms; ${median(on.map((x) => x.forced))} forced GCs taking ${median(on.map((x) => x.forcedMs)).toFixed(0)} ms; ${pairRange(ratios)}`,
        'none (the stated cost)',
      );
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

await runWhenMain(import.meta.url, 3, benchPreciseHeap);
