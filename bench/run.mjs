// `npm run bench`: every figure is printed as a ratio against a reference measured in the same run.
//
//   overhead   real tsc and real cargo builds, under `cmi profile` vs. alone, median of paired runs
//              (cargo also alone with the flag the profiler adds, rustc's -Z time-passes: the
//              flag's share of the overhead and ours; tsc gets no flag)
//   fidelity   the sampler's tree peak vs. the kernel's high-water mark of a program allocating a known amount
//   file       a profile of one million samples: bytes per sample on disk, load time vs. JSON.parse
//
//   arena      the arena API's cost in the example compiler, off and on (bench/arena-api.mjs), and
//              arena inference over a heaptrack file of 1.5 M allocations (bench/arena-inference.mjs)
//   timeline   the report's first render and zoom/pan steps in headless chromium, with 1M samples,
//              50,000 phases and 5,000 arenas (bench/timeline.mjs)
//   import     a generated Trace Event file of 200 MB: throughput and peak memory vs JSON.parse
//              (bench/chrome-trace-import.mjs; --gb1 also imports a generated 1 GB file)
//   eager-purge  the cost of the allocators' eager-purge settings on a rolldown bundle and a cargo build:
//              wall time and RSS peak with them against --allocator-defaults (bench/eager-purge.mjs)
//   live-heap  dist/libcmi-heap.so preloaded into a clang++ build of 5 C++ files (make -j2) vs alone
//              (bench/live-heap.mjs)
//   agreement  the live-heap peak against valgrind DHAT's t-gmax (nativec, clang++), and the observer
//              effect on nativec's max RSS (bench/live-heap-agreement.mjs)
//   hover      hovers on phase names with a 50,000-phase profile: index build, p50/p95 vs 20 ms (bench/hover.mjs)
//   observer   tsc's peak RSS under `cmi profile` vs alone, paired (bench/observer.mjs; 5 pairs unless --runs)
//   journal    cmi's own CPU and ticks/s with its run journal vs --no-journal, paired (bench/journal.mjs)
//   containment  `cmi profile` of make -j2 and of `true` in a cgroup / under the supervisor vs the
//              process group alone, alternated (bench/containment.mjs)
//   live       a tsc build with its live timeline streamed (the server's side, with the engine) vs
//              progress reports only, alternated pairs (bench/live-timeline.mjs)
//   precise    the cost of --precise-heap: the example compiler's and tsc's wall time with it vs without
//   cc-overhead  `cmi profile` of make -B -j2 of leveldb (40 C++ files, g++ -O2) vs plain make, alternated:
//              the compiled shim (with the GCC plugin when built), -ftime-report, --no-cc, the old bash
//              wrapper; wall time and system CPU (bench/cc-overhead.mjs)
//
// Options: --runs N (paired runs per build, default 15), --only overhead|overhead-tsc|overhead-cargo|fidelity|file|import|arena|timeline|hover|eager-purge|live-heap|agreement|observer|journal|live|containment|precise|cc-overhead, --gb1
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { createRequire } from 'node:module';
import { median, pairRange } from './stats.mjs';

const require = createRequire(import.meta.url);
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const cli = path.join(root, 'dist', 'cli.js');
const args = process.argv.slice(2);
// Paired runs per build (overhead, fidelity): on a 2-CPU virtual machine a build's wall time varies by
// ±10 % from run to run, so fewer pairs leave the median ratio a few percent off.
const runs = Number(args[args.indexOf('--runs') + 1]) || 15;
const only = args.includes('--only') ? args[args.indexOf('--only') + 1] : undefined;
const tmp = mkdtempSync(path.join(os.tmpdir(), 'cmi-bench-'));
const env = { ...process.env, PATH: `${os.homedir()}/.cargo/bin:${process.env.PATH}` };
const results = [];

function report(name, value, reference, unit, target) {
  const ratio = value / reference;
  results.push({ name, value, reference, ratio, target });
  console.log(
    `${name.padEnd(52)} ${ratio.toFixed(3)}×   (${value.toFixed(unit === 'ms' ? 0 : 2)} ${unit} vs ${reference.toFixed(unit === 'ms' ? 0 : 2)} ${unit}; target ${target})`,
  );
}
/** Paired runs: the median of the per-pair ratios (robust to a machine whose speed drifts), with the medians beside it. */
function reportPaired(name, profiled, plain) {
  const ratios = profiled.map((p, i) => p / plain[i]);
  const m = median(ratios);
  results.push({ name, ratio: m, target: '≤ 1.03' });
  console.log(
    `${`${name} (median of ${ratios.length} paired ratios)`.padEnd(52)} ${m.toFixed(3)}×   (median ${median(profiled).toFixed(0)} ms profiled vs ${median(plain).toFixed(0)} ms alone; ${pairRange(ratios)}; target ≤ 1.03)`,
  );
  // Noise only ever adds time: the fastest run of each side is the least disturbed.
  console.log(
    `${`${name} (fastest vs fastest)`.padEnd(52)} ${(Math.min(...profiled) / Math.min(...plain)).toFixed(3)}×   (${Math.min(...profiled).toFixed(0)} ms vs ${Math.min(...plain).toFixed(0)} ms; for reference)`,
  );
}
function timeMs(cmd, argv, opts) {
  const t0 = performance.now();
  const r = spawnSync(cmd, argv, { stdio: 'ignore', ...opts });
  if (r.status !== 0 && r.status !== 2) throw new Error(`${cmd} ${argv.join(' ')} exited ${r.status}`);
  return performance.now() - t0;
}
function profiledWallMs(argv, cwd, out) {
  const r = spawnSync(process.execPath, [cli, 'profile', '--quiet', '--json', '--out', out, '--', ...argv], {
    cwd,
    env,
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`cmi profile ${argv.join(' ')} exited ${r.status}: ${r.stderr}`);
  return JSON.parse(r.stdout).wallMs;
}

// --- overhead -------------------------------------------------------------------------------------
function overheadTsc() {
  const ws = path.join(root, 'examples', 'workspace');
  const tsc = path.join(ws, 'node_modules', 'typescript', 'lib', 'tsc.js');
  if (!existsSync(tsc))
    execFileSync('npm', ['ci', '--silent', '--no-audit', '--no-fund'], { cwd: ws, stdio: 'inherit' });
  const argv = ['node', tsc, '-p', '.', '--outDir', path.join(tmp, 'tsc-out')];
  const plain = [];
  const profiled = [];
  timeMs(argv[0], argv.slice(1), { cwd: ws }); // warm the file cache
  profiledWallMs(argv, ws, path.join(tmp, 'tsc.json')); // and Node's compile cache of tsc's code as the preload gives it
  // No flag side: the preload adds no flag to tsc (it turns tsc's performance marks on in memory).
  const sides = [
    () => plain.push(timeMs(argv[0], argv.slice(1), { cwd: ws })),
    () => profiled.push(profiledWallMs(argv, ws, path.join(tmp, 'tsc.json'))),
  ];
  runRounds(sides);
  reportPaired('overhead: tsc build', profiled, plain);
}

/** Each round runs every side once, starting with another one each time, so that none always runs first. */
function runRounds(sides) {
  for (let i = 0; i < runs; i++) for (let k = 0; k < sides.length; k++) sides[(i + k) % sides.length]();
}

/** The flag's share of the overhead (alone with it vs plain) and the profiler's (profiled vs alone with it). */
function reportParts(build, flag, plain, flagOnly, profiled) {
  const flagShare = median(flagOnly.map((f, i) => f / plain[i]));
  const ourShare = median(profiled.map((p, i) => p / flagOnly[i]));
  console.log(
    `${`overhead: ${build}, its parts (medians of paired ratios)`.padEnd(52)} ${flag} alone ${flagShare.toFixed(3)}× plain; cmi profile ${ourShare.toFixed(3)}× that (for reference)`,
  );
}

function overheadCargo() {
  const ws = path.join(root, 'test', 'workspaces', 'cargo-std');
  if (!existsSync(path.join(ws, 'Cargo.toml')))
    return console.log('overhead: cargo: test/workspaces/cargo-std missing, skipped');
  // A third side for reference: the same cargo build with only the flag the issue prescribes,
  // rustc's own `-Z time-passes -Z time-passes-format=json` (what our wrapper adds to each compile),
  // and no profiler. It tells rustc's share of the overhead from ours.
  const plain = [];
  const profiled = [];
  const flagOnly = [];
  const cargoAlone = (into, extraEnv) => {
    const target = path.join(tmp, 'target-alone');
    into.push(timeMs('cargo', ['build', '-q'], { cwd: ws, env: { ...env, ...extraEnv, CARGO_TARGET_DIR: target } }));
    rmSync(target, { recursive: true, force: true });
  };
  const sides = [
    () => cargoAlone(plain, {}),
    () => profiled.push(profiledWallMs(['cargo', 'build', '-q'], ws, path.join(tmp, 'cargo.json'))),
    () => cargoAlone(flagOnly, { RUSTC_BOOTSTRAP: '1', RUSTFLAGS: '-Z time-passes -Z time-passes-format=json' }),
  ];
  runRounds(sides);
  reportPaired('overhead: cargo build', profiled, plain);
  reportParts('cargo', "rustc's own -Z time-passes", plain, flagOnly, profiled);
}

// --- fidelity -------------------------------------------------------------------------------------
function fidelity() {
  const src = path.join(root, 'test', 'programs', 'alloc.c');
  if (process.platform !== 'linux') return console.log('fidelity: needs /proc (Linux), skipped');
  const bin = path.join(tmp, 'alloc');
  execFileSync('cc', ['-O0', '-o', bin, src]);
  // Both figures from the same run. The reference is the kernel's high-water mark of the program,
  // VmHWM, which the program reads itself at the end of its peak (memory still held). The sampled
  // figure is the tree's peak over the sampler's ticks (the tree is that one process).
  //
  // Not /usr/bin/time: since Linux 6.2 the RSS counters are per-CPU, and the ru_maxrss it prints
  // totals them differently from /proc: in one and the same instant the two differ by up to the
  // counters' batch (max(32, 2·CPUs) pages per CPU for each of the file, anon and shmem counters),
  // 100-200 KiB here. The program also reads ru_maxrss at its peak: the line below the figure shows it.
  const ratios = [];
  const kernelDiffs = [];
  let last;
  for (let i = 0; i < runs; i++) {
    const out = path.join(tmp, 'alloc.json');
    const peakFile = path.join(tmp, 'alloc-peak.txt');
    profiledWallMs([bin, '200', '400', peakFile], tmp, out);
    const [hwmKiB, maxRssKiB] = readFileSync(peakFile, 'utf8').trim().split(' ').map(Number);
    if (!(hwmKiB > 0)) throw new Error(`fidelity: the program read no VmHWM (${peakFile})`);
    const s = JSON.parse(execFileSync(process.execPath, [cli, 'summary', '--json', out], { encoding: 'utf8' }));
    ratios.push(s.peak.bytes / (hwmKiB * 1024));
    kernelDiffs.push((hwmKiB - maxRssKiB) * 1024);
    last = { sampled: s.peak.bytes, hwm: hwmKiB * 1024 };
  }
  const m = median(ratios);
  results.push({ name: 'fidelity', ratio: m });
  console.log(
    `${`fidelity: sampled tree peak / VmHWM, same run (${runs} runs)`.padEnd(52)} ${m.toFixed(4)}×   (range ${Math.min(...ratios).toFixed(4)}–${Math.max(...ratios).toFixed(4)}; last: ${(last.sampled / 2 ** 20).toFixed(2)} MiB sampled vs ${(last.hwm / 2 ** 20).toFixed(2)} MiB VmHWM; target 0.97–1.0)`,
  );
  const cpus = os.cpus().length;
  const slackBytes = 3 * Math.max(32, 2 * cpus) * cpus * 4096;
  const kib = (b) => (b / 1024).toFixed(0);
  console.log(
    `${''.padEnd(52)}          for reference, the kernel's ru_maxrss (what /usr/bin/time -f %M prints) read in the same instant: ${kib(Math.min(...kernelDiffs))}–${kib(Math.max(...kernelDiffs))} KiB below VmHWM (the per-CPU counters allow ${kib(slackBytes)} KiB on this ${cpus}-CPU machine, ${os.release()})`,
  );
}

// --- the profile file -----------------------------------------------------------------------------
async function fileSize() {
  const { serializeProfile, parseProfile } = require(path.join(root, 'dist', 'bench-profile-file.js'));
  const n = 1_000_000;
  const tMs = new Float64Array(n);
  const bytes = new Float64Array(n);
  let rssPages = 50_000;
  let seed = 42;
  const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  for (let i = 0; i < n; i++) {
    tMs[i] = i * 10 + rnd() * 0.5; // 10 ms ticks with jitter
    rssPages += Math.round((rnd() - 0.48) * 40); // a growing random walk, in pages
    bytes[i] = Math.max(1, rssPages) * 4096;
  }
  const profile = {
    run: {
      command: ['bench'],
      cwd: '/',
      startedAt: new Date(0).toISOString(),
      startEpochMs: 0,
      wallMs: n * 10,
      exitCode: 0,
      signal: null,
      status: 'ok',
      tools: {},
      sources: [],
    },
    processes: [],
    phases: [],
    markers: [],
    arenas: [],
    warnings: [],
    series: [
      { id: 'rss-tree', name: 'RSS of the process tree', kind: 'rss-tree', source: 'bench', unit: 'bytes', tMs, bytes },
    ],
  };
  const text = serializeProfile(profile);
  const file = path.join(tmp, 'million.json');
  writeFileSync(file, text);
  const size = statSync(file).size;
  // The reference: a JSON file of the same size (an array of numbers, as a naive format would be).
  const naive = [];
  let len = 2;
  for (let i = 0; len < size; i++) {
    const s = `{"t":${tMs[i % n].toFixed(2)},"b":${bytes[i % n]}}`;
    naive.push(s);
    len += s.length + 1;
  }
  const refText = `[${naive.join(',')}]`;
  const loads = [];
  const refs = [];
  for (let i = 0; i < 5; i++) {
    let t0 = performance.now();
    parseProfile(readFileSync(file, 'utf8'), file);
    loads.push(performance.now() - t0);
    t0 = performance.now();
    JSON.parse(refText);
    refs.push(performance.now() - t0);
  }
  console.log(
    `${'file: bytes per sample (1M samples)'.padEnd(52)} ${(size / n).toFixed(2)} B/sample (${(size / 2 ** 20).toFixed(1)} MiB; an object per sample would take ${(naive.slice(0, 1000).join(',').length / 1000 + 1).toFixed(1)} B)`,
  );
  report('file: load 1M samples vs JSON.parse same size', median(loads), median(refs), 'ms', '≈ 1 (no target)');
}

try {
  if (only !== 'file')
    execFileSync(process.execPath, [path.join(root, 'scripts', 'build.mjs'), '--quiet'], { cwd: root });
  // The file benchmark calls the core directly: bundle that module alone.
  execFileSync(
    path.join(root, 'node_modules', '.bin', 'esbuild'),
    [
      'server/src/core/profile-file.ts',
      '--bundle',
      '--platform=node',
      '--format=cjs',
      '--log-level=error',
      '--outfile=dist/bench-profile-file.js',
    ],
    { cwd: root },
  );
  console.log(
    `Compiler Memory Insight benchmarks — ${os.cpus().length} cores, ${process.platform}, node ${process.version}\n`,
  );
  if (!only || only === 'file') await fileSize();
  if (!only || only === 'import') {
    const { benchChromeTraceImport } = await import('./chrome-trace-import.mjs');
    await benchChromeTraceImport({ report, tmpDir: tmp, gb1: args.includes('--gb1') });
  }
  if (!only || only === 'arena') {
    const { benchArenaApi } = await import('./arena-api.mjs');
    // It prints its own lines (median of paired ratios), in the same form as these.
    await benchArenaApi({ tmpDir: tmp, runs });
    const { benchArenaInference } = await import('./arena-inference.mjs');
    await benchArenaInference({ report, tmpDir: tmp });
  }
  if (!only || only === 'timeline') {
    const { benchTimeline } = await import('./timeline.mjs');
    await benchTimeline({ report, tmpDir: tmp });
  }
  if (!only || only === 'hover') {
    const { benchHover } = await import('./hover.mjs');
    await benchHover({ report, tmpDir: tmp });
  }
  if (!only || only === 'eager-purge') {
    const { benchEagerPurge } = await import('./eager-purge.mjs');
    benchEagerPurge({ tmpDir: tmp, runs, env });
  }
  if (!only || only === 'live-heap') {
    const { benchLiveHeap } = await import('./live-heap.mjs');
    // It prints its own lines (median of paired ratios), in the same form as these.
    await benchLiveHeap({ tmpDir: tmp, runs });
  }
  if (!only || only === 'agreement') {
    const { benchLiveHeapAgreement } = await import('./live-heap-agreement.mjs');
    benchLiveHeapAgreement({ tmpDir: tmp, runs: Math.min(runs, 7) });
  }
  if (!only || only === 'observer') {
    const { benchObserver } = await import('./observer.mjs');
    await benchObserver({ tmpDir: tmp, runs: args.includes('--runs') ? runs : 5 });
  }
  if (!only || only === 'journal') {
    const { benchJournal } = await import('./journal.mjs');
    await benchJournal({ tmpDir: tmp, runs: args.includes('--runs') ? runs : 5 });
  }
  if (!only || only === 'live') {
    const { benchLiveTimeline } = await import('./live-timeline.mjs');
    await benchLiveTimeline({ runs: args.includes('--runs') ? runs : 6 });
  }
  if (!only || only === 'containment') {
    const { benchContainment } = await import('./containment.mjs');
    await benchContainment({ tmpDir: tmp, runs: args.includes('--runs') ? runs : 7 });
  }
  if (!only || only === 'precise') {
    const { benchPreciseHeap } = await import('./precise-heap.mjs');
    await benchPreciseHeap({ tmpDir: tmp, runs: args.includes('--runs') ? runs : 3 });
  }
  if (!only || only === 'cc-overhead') {
    const { benchCcOverhead } = await import('./cc-overhead.mjs');
    await benchCcOverhead({ tmpDir: tmp, runs: args.includes('--runs') ? runs : 7 });
  }
  if (!only || only === 'fidelity') fidelity();
  if (!only || only === 'overhead' || only === 'overhead-tsc') overheadTsc();
  if (!only || only === 'overhead' || only === 'overhead-cargo') overheadCargo();
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
