// How well the live heap `cmi profile` reports agrees with valgrind's DHAT, and what profiling does to
// the memory it measures (the observer effect), on the native example and on a clang++ compile:
//   - agreement: the live-heap peak of the profile over DHAT's t-gmax of the same program
//     (targets 0.97–1.03 on nativec, 0.95–1.05 on clang++). The library counts usable bytes, DHAT the
//     bytes asked for, so the ratio sits a little above 1 where allocations are small.
//   - observer effect on nativec: its maximum RSS (getrusage, which it prints itself) under
//     `cmi profile` over the same run alone, runs alternated, median of the paired ratios (target
//     0.98–1.02). Both with the allocators' own settings: the eager-purge settings change what RSS
//     means and are measured apart (bench/eager-purge.mjs).
//
//   node bench/live-heap-agreement.mjs [--runs N]   (or `npm run bench -- --only agreement`)
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { median } from './stats.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cli = path.join(root, 'dist', 'cli.js');

/** DHAT's t-gmax: the sum over program points of the bytes live at it. */
function dhatPeak(dir, argv) {
  const out = path.join(dir, `dhat.${process.hrtime.bigint()}.json`);
  const r = spawnSync('valgrind', ['--tool=dhat', `--dhat-out-file=${out}`, ...argv], { cwd: dir, stdio: 'ignore' });
  if (r.status !== 0) throw new Error(`valgrind ${argv.join(' ')} exited ${r.status}`);
  const doc = JSON.parse(readFileSync(out, 'utf8'));
  return doc.pps.reduce((sum, pp) => sum + pp.gb, 0);
}

/** The headline live-heap peak of `cmi profile` of argv (the allocators' own settings). */
function cmiPeak(dir, argv) {
  const r = spawnSync(
    process.execPath,
    [cli, 'profile', '--json', '--allocator-defaults', '--out', path.join(dir, 'p.json'), '--', ...argv],
    { cwd: dir, encoding: 'utf8', maxBuffer: 64 << 20 },
  );
  if (r.status !== 0) throw new Error(`cmi profile ${argv.join(' ')} exited ${r.status}: ${r.stderr}`);
  const s = JSON.parse(r.stdout);
  if (s.peak?.seriesKind !== 'allocator-heap') throw new Error(`no live-heap peak for ${argv.join(' ')}`);
  return { peak: s.peak.bytes, stdout: r.stdout };
}

function agreement(label, dir, argv, lo, hi) {
  const theirs = dhatPeak(dir, argv);
  const ours = cmiPeak(dir, argv).peak;
  const ratio = ours / theirs;
  const ok = ratio >= lo && ratio <= hi;
  console.log(
    `agreement ${label}: live-heap peak ${ours} B / DHAT t-gmax ${theirs} B = ${ratio.toFixed(4)} (target ${lo}–${hi}) ${ok ? 'ok' : 'MISSED'}`,
  );
}

/** nativec's own report of its maximum RSS (KiB, getrusage). */
function maxRssKib(stdout) {
  const m = /max RSS (\d+) KiB/.exec(stdout);
  if (!m) throw new Error(`nativec printed no max RSS: ${stdout}`);
  return Number(m[1]);
}

function observer(dir, exe, runs) {
  const argv = [exe, '--modules', '300'];
  const alone = () => maxRssKib(execFileSync(argv[0], argv.slice(1), { cwd: dir, encoding: 'utf8' }));
  const profiled = () => {
    const r = spawnSync(
      process.execPath,
      [cli, 'profile', '--allocator-defaults', '--out', path.join(dir, 'o.json'), '--', ...argv],
      { cwd: dir, encoding: 'utf8', maxBuffer: 64 << 20 },
    );
    if (r.status !== 0) throw new Error(`cmi profile nativec exited ${r.status}`);
    return maxRssKib(r.stdout + r.stderr); // the build's own output goes where cmi sends it
  };
  const ratios = [];
  for (let i = 0; i < runs; i++) {
    // Alternated: the first of a pair is often the slower (and the colder) on these machines.
    const [a, p] = i % 2 ? [alone(), profiled()] : (([q, b]) => [b, q])([profiled(), alone()]);
    ratios.push(p / a);
  }
  console.log(
    `observer nativec (max RSS under cmi profile / alone, ${runs} pairs): ${median(ratios).toFixed(4)} (pairs ${Math.min(...ratios).toFixed(4)}–${Math.max(...ratios).toFixed(4)}; target 0.98–1.02)`,
  );
}

export function benchLiveHeapAgreement({ tmpDir, runs = 7 } = {}) {
  if (process.platform !== 'linux') return console.log('agreement: skipped (the live-heap library is Linux only)');
  const dir = mkdtempSync(path.join(tmpDir ?? os.tmpdir(), 'cmi-agreement-'));
  try {
    const exe = path.join(dir, 'nativec');
    execFileSync('cc', ['-O2', '-o', exe, path.join(root, 'examples', 'native', 'nativec.c')]);
    agreement('nativec --modules 80 (held)', dir, [exe, '--modules', '80'], 0.97, 1.03);
    agreement('nativec --modules 80 --free-asts', dir, [exe, '--modules', '80', '--free-asts'], 0.97, 1.03);
    if (spawnSync('clang++', ['--version']).status === 0) {
      writeFileSync(
        path.join(dir, 'unit.cpp'),
        '#include <map>\n#include <string>\n#include <vector>\n#include <algorithm>\n' +
          'std::map<std::string, std::vector<double>> g;\n' +
          'double f(int n) { for (int i = 0; i < n; i++) g[std::to_string(i % 7)].push_back(i);\n' +
          '  std::vector<std::string> k; for (auto &e : g) k.push_back(e.first); std::sort(k.begin(), k.end());\n' +
          '  return static_cast<double>(k.size()); }\n',
      );
      agreement('clang++ -O1 -c unit.cpp', dir, ['clang++', '-O1', '-c', 'unit.cpp', '-o', 'unit.o'], 0.95, 1.05);
    } else console.log('agreement clang++: skipped (no clang++)');
    observer(dir, exe, runs);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const at = process.argv.indexOf('--runs');
  benchLiveHeapAgreement({ runs: at > 0 ? Number(process.argv[at + 1]) : 7 });
}
