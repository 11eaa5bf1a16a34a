// What containment costs (docs/processes.md): the whole `cmi profile` (start to exit, as a user or CI
// waits for it) of a real parallel build, in the build's own cgroup (the default where one can be
// made) and under the supervisor alone, each against the bare process group (CMI_CONTAINMENT=
// process-group: what every build ran in before). Alternated order, the order swapping every round;
// printed as medians of the paired ratios, with `true` for the fixed cost in ms.
//
//   build   make -B -j2 of test/workspaces/c-multi (6 C files, the real gcc)      target ≤ 1.03
//   true    the smallest build: what containment adds per build, in ms              (stated)
//
//   node bench/containment.mjs [--runs N]       (Linux; default 7 rounds)
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, pairRange, runWhenMain } from './stats.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cli = path.join(root, 'dist', 'cli.js');
const MODES = ['process-group', 'subreaper', 'cgroup'];

/** One `cmi profile` in `mode`: its wall time from start to exit, and the container it reports. */
function profileOnce(cwd, mode, argv) {
  const out = path.join(cwd, `profile-${mode}.json`);
  const env = { ...process.env };
  if (mode === 'cgroup') delete env.CMI_CONTAINMENT;
  else env.CMI_CONTAINMENT = mode;
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [cli, 'profile', '--quiet', '--no-journal', '--out', out, '--', ...argv], {
    cwd,
    env,
    stdio: 'ignore',
  });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`cmi profile (${mode}) exited ${r.status}`);
  return { ms, containment: JSON.parse(readFileSync(out, 'utf8')).run.containment };
}

export async function benchContainment({ tmpDir, runs = 7 } = {}) {
  if (process.platform !== 'linux') return console.log('containment: Linux only, skipped');
  const tmp = mkdtempSync(path.join(tmpDir ?? os.tmpdir(), 'cmi-bench-contain-'));
  try {
    const ws = path.join(tmp, 'c-multi');
    cpSync(path.join(root, 'test', 'workspaces', 'c-multi'), ws, { recursive: true });
    for (const [label, argv] of [
      ['make -B -j2 (c-multi)', ['make', '-B', '-j2']],
      ['true', ['true']],
    ]) {
      const t = Object.fromEntries(MODES.map((m) => [m, []]));
      const seen = Object.fromEntries(MODES.map((m) => [m, new Set()]));
      profileOnce(ws, 'process-group', argv); // warm the page cache and gcc
      for (let i = 0; i < runs; i++) {
        const order = i % 2 ? [...MODES].reverse() : MODES;
        for (const m of order) {
          const r = profileOnce(ws, m, argv);
          t[m].push(r.ms);
          seen[m].add(r.containment);
        }
      }
      for (const m of ['subreaper', 'cgroup']) {
        const ratios = t[m].map((x, i) => x / t['process-group'][i]);
        const extra = median(t[m].map((x, i) => x - t['process-group'][i]));
        console.log(
          `${`containment ${m} / process group: ${label}`.padEnd(52)} ${median(ratios).toFixed(3)}×   (median ${median(t[m]).toFixed(0)} ms vs ${median(t['process-group']).toFixed(0)} ms, ${extra >= 0 ? '+' : '−'}${Math.abs(extra).toFixed(1)} ms; ${pairRange(ratios)}; ran in ${[...seen[m]].join(', ')}; target ${label === 'true' ? 'stated' : '≤ 1.03'})`,
        );
      }
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

await runWhenMain(import.meta.url, 7, benchContainment);
