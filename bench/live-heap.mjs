// The live-heap library's cost on a real C++ build: five small translation units (standard
// containers, templates) compiled by clang++ -O1 with `make -B -j2`, alone and with
// dist/libcmi-heap.so preloaded as `cmi profile` preloads it (LD_PRELOAD and a fresh
// CMI_LIVE_HEAP_DIR). Runs alternate (plain, preloaded, preloaded, plain …), so a machine whose speed
// drifts affects both sides; the figure is the median of the paired ratios of wall time (target
// ≤ 1.05×), with CPU time (user + sys, /usr/bin/time) beside it: it moves less on a busy machine.
//
//   node bench/live-heap.mjs [--runs N]       (or `npm run bench -- --only live-heap`, which builds dist/)
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { median, pairRange } from './stats.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const lib = path.join(root, 'dist', 'libcmi-heap.so');

/** One translation unit: a template over standard containers, instantiated for a few types. */
function source(k) {
  return `#include <algorithm>
#include <map>
#include <string>
#include <vector>

template <typename K, typename V> struct Index${k} {
  std::map<K, std::vector<V>> groups;
  void add(const K &key, V v) { groups[key].push_back(v); }
  V best(const K &key) const {
    auto it = groups.find(key);
    if (it == groups.end() || it->second.empty()) return V{};
    return *std::max_element(it->second.begin(), it->second.end());
  }
  std::vector<K> keys() const {
    std::vector<K> out;
    for (const auto &g : groups) out.push_back(g.first);
    std::sort(out.begin(), out.end());
    return out;
  }
};

double unit${k}(int n) {
  Index${k}<std::string, double> a;
  Index${k}<int, long> b;
  for (int i = 0; i < n; i++) {
    a.add(std::to_string(i % ${k + 3}), i * 0.5);
    b.add(i % ${k + 5}, i);
  }
  return a.best("1") + static_cast<double>(b.best(2)) + static_cast<double>(a.keys().size());
}
`;
}

function writeProject(dir) {
  mkdirSync(dir, { recursive: true });
  const units = [0, 1, 2, 3, 4].map((k) => `unit${k}`);
  for (const [k, u] of units.entries()) writeFileSync(path.join(dir, `${u}.cpp`), source(k));
  const objs = units.map((u) => `${u}.o`).join(' ');
  writeFileSync(path.join(dir, 'Makefile'), `all: ${objs}\n%.o: %.cpp\n\tclang++ -O1 -c $< -o $@\n.PHONY: all\n`);
}

/** Wall ms of one build, and its CPU ms (user + sys of make and every process it waited for: /usr/bin/time). */
function buildMs(dir, env, cpu) {
  const timeFile = path.join(dir, 'time.txt');
  const t0 = performance.now();
  const r = spawnSync('/usr/bin/time', ['-f', '%U %S', '-o', timeFile, 'make', '-B', '-j2', '-s'], {
    cwd: dir,
    env,
    stdio: 'ignore',
  });
  const wall = performance.now() - t0;
  if (r.status !== 0) throw new Error(`make exited ${r.status}`);
  const [user, sys] = readFileSync(timeFile, 'utf8').trim().split('\n').pop().split(' ').map(Number);
  cpu?.push((user + sys) * 1000);
  return wall;
}

export async function benchLiveHeap({ tmpDir, runs = 15, report } = {}) {
  const say = report ?? ((name, value) => console.log(`${name.padEnd(52)} ${value}`));
  if (process.platform !== 'linux' || !existsSync(lib)) return say('live-heap: no dist/libcmi-heap.so', 'skipped');
  if (spawnSync('clang++', ['--version']).status !== 0) return say('live-heap: no clang++', 'skipped');
  const dir = path.join(tmpDir, 'live-heap-bench');
  writeProject(dir);
  const plainEnv = { ...process.env };
  delete plainEnv.LD_PRELOAD;
  let n = 0;
  const preloadedEnv = () => {
    const pages = path.join(dir, `pages-${n++}`);
    rmSync(pages, { recursive: true, force: true });
    mkdirSync(pages);
    return { ...plainEnv, LD_PRELOAD: lib, CMI_LIVE_HEAP_DIR: pages };
  };
  buildMs(dir, plainEnv); // warm the file cache and clang's pages
  buildMs(dir, preloadedEnv());
  const plain = [];
  const preloaded = [];
  const plainCpu = [];
  const preloadedCpu = [];
  for (let i = 0; i < runs; i++) {
    if (i % 2 === 0) {
      plain.push(buildMs(dir, plainEnv, plainCpu));
      preloaded.push(buildMs(dir, preloadedEnv(), preloadedCpu));
    } else {
      preloaded.push(buildMs(dir, preloadedEnv(), preloadedCpu));
      plain.push(buildMs(dir, plainEnv, plainCpu));
    }
  }
  const ratios = preloaded.map((p, i) => p / plain[i]);
  console.log(
    `${`live-heap: clang++ make -j2, 5 TUs (median of ${runs} paired ratios)`.padEnd(52)} ${median(ratios).toFixed(3)}×   (median ${median(preloaded).toFixed(0)} ms preloaded vs ${median(plain).toFixed(0)} ms alone; ${pairRange(ratios)}; target ≤ 1.05)`,
  );
  console.log(
    `${'live-heap: fastest vs fastest'.padEnd(52)} ${(Math.min(...preloaded) / Math.min(...plain)).toFixed(3)}×   (${Math.min(...preloaded).toFixed(0)} ms vs ${Math.min(...plain).toFixed(0)} ms; for reference)`,
  );
  // CPU time moves less than wall time when other work shares the machine.
  const cpuRatios = preloadedCpu.map((p, i) => p / plainCpu[i]);
  console.log(
    `${'live-heap: CPU time (user + sys), median of paired ratios'.padEnd(52)} ${median(cpuRatios).toFixed(3)}×   (median ${median(preloadedCpu).toFixed(0)} ms preloaded vs ${median(plainCpu).toFixed(0)} ms alone; pair ratios ${Math.min(...cpuRatios).toFixed(3)}–${Math.max(...cpuRatios).toFixed(3)}; for reference)`,
  );
  return median(ratios);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const runs = Number(args[args.indexOf('--runs') + 1]) || 15;
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'cmi-bench-live-heap-'));
  try {
    await benchLiveHeap({ tmpDir: tmp, runs });
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
