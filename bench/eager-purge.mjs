// The cost of eager purge (server/src/core/collect/allocator-settings.ts): the same build under
// `cmi profile`, with the default eager-purge settings and with `--allocator-defaults`, in rounds whose
// order alternates. Prints the median of the paired wall-time ratios (eager / defaults; no target: it
// is a cost to know, not to meet) and the median RSS peak of each side.
//   rolldown  test/workspaces/rolldown-three: three.js bundled by rolldown (mimalloc in its binding)
//   cargo     test/workspaces/cargo-std: a clean `cargo build` (rustc's jemalloc; the adapter gives
//             each profiled build its own target directory)
//
//   npm run bench -- --only eager-purge [--runs N]
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, pairRange } from './stats.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cli = path.join(root, 'dist', 'cli.js');

const mib = (b) => `${(b / 2 ** 20).toFixed(1)} MiB`;

/** One profiled run: its wall time and the tree's RSS peak. */
function profiled(argv, cwd, env, out, allocatorDefaults) {
  const own = ['profile', '--quiet', '--json', '--out', out, ...(allocatorDefaults ? ['--allocator-defaults'] : [])];
  const r = spawnSync(process.execPath, [cli, ...own, '--', ...argv], { cwd, env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`cmi profile ${argv.join(' ')} exited ${r.status}: ${r.stderr}`);
  const s = JSON.parse(r.stdout);
  return { wallMs: s.wallMs, peakBytes: s.peak?.bytes ?? Number.NaN };
}

function pairs(name, argv, cwd, env, tmpDir, runs) {
  const eager = [];
  const plain = [];
  const out = path.join(tmpDir, 'eager-purge.json');
  profiled(argv, cwd, env, out, false); // warm the file cache
  for (let i = 0; i < runs; i++) {
    const sides = [
      () => eager.push(profiled(argv, cwd, env, out, false)),
      () => plain.push(profiled(argv, cwd, env, out, true)),
    ];
    if (i % 2) sides.reverse();
    for (const side of sides) side();
  }
  const ratios = eager.map((e, i) => e.wallMs / plain[i].wallMs);
  console.log(
    `${`eager purge: ${name}, wall (median of ${runs} paired ratios)`.padEnd(52)} ${median(ratios).toFixed(3)}×   (median ${median(eager.map((e) => e.wallMs)).toFixed(0)} ms eager vs ${median(plain.map((p) => p.wallMs)).toFixed(0)} ms defaults; ${pairRange(ratios)}; no target)`,
  );
  const ep = eager.map((e) => e.peakBytes);
  const pp = plain.map((p) => p.peakBytes);
  console.log(
    `${`eager purge: ${name}, RSS peak of the tree`.padEnd(52)} ${(median(ep) / median(pp)).toFixed(3)}×   (median ${mib(median(ep))} eager [${mib(Math.min(...ep))}–${mib(Math.max(...ep))}] vs ${mib(median(pp))} defaults [${mib(Math.min(...pp))}–${mib(Math.max(...pp))}])`,
  );
}

export function benchEagerPurge({ tmpDir, runs, env }) {
  const rolldown = path.join(root, 'test', 'workspaces', 'rolldown-three');
  if (existsSync(path.join(rolldown, 'node_modules', 'rolldown')))
    pairs(
      'rolldown bundle',
      ['node', 'build.mjs', '--out-dir', path.join(tmpDir, 'rolldown-out')],
      rolldown,
      env,
      tmpDir,
      runs,
    );
  else console.log('eager purge: rolldown: test/workspaces/rolldown-three has no node_modules, skipped');
  const cargo = path.join(root, 'test', 'workspaces', 'cargo-std');
  pairs('cargo build', ['cargo', 'build', '-q'], cargo, env, tmpDir, runs);
}
