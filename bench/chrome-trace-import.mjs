// Benchmark of the Trace Event importer (server/src/core/importers/trace-event/, bundled from its entry
// chrome-trace-importer.ts) on a generated trace of clang/LLVM shape: nested X events on several
// threads (children written before parents, as clang does), B/E spans on the main thread, a heap
// counter. Each figure is a ratio against JSON.parse of the same bytes (read as one string), both
// measured in child processes under /usr/bin/time -f %M.
//
//   node bench/chrome-trace-import.mjs [--mb 200] [--gb1]     (--gb1: also import a 1 GB file)
//
// Or from bench/run.mjs: `await benchChromeTraceImport({ report, tmpDir })`.
import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');

const PASSES = [
  'InstCombinePass',
  'SROAPass',
  'GVNPass',
  'InlinerPass',
  'SimplifyCFGPass',
  'EarlyCSEPass',
  'LICMPass',
  'LoopUnrollPass',
  'SLPVectorizerPass',
  'JumpThreadingPass',
  'DSEPass',
  'ADCEPass',
  'MemCpyOptPass',
  'ReassociatePass',
  'IndVarSimplifyPass',
  'LoopRotatePass',
];
const TOP = ['OptFunction', 'CodeGen Function', 'InstantiateFunction', 'ParseClass', 'RunPass'];

/** Writes a trace of about `targetBytes`; returns its size and how many events it holds. */
export function generateTrace(file, targetBytes) {
  const fd = openSync(file, 'w');
  let seed = 7;
  const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const sym = () =>
    `_ZN4llvm${Math.floor(rnd() * 1e9).toString(36)}${'Analysis'.slice(0, 1 + Math.floor(rnd() * 8))}E${Math.floor(rnd() * 1e6)}`;
  let size = 0;
  let events = 0;
  let parts = [];
  let partsLen = 0;
  const put = (s) => {
    parts.push(s);
    partsLen += s.length;
    if (partsLen > 4 << 20) {
      const buf = Buffer.from(parts.join(''));
      writeSync(fd, buf);
      size += buf.length;
      parts = [];
      partsLen = 0;
    }
  };
  // ts and dur with at most 3 decimals, as real writers give them (clang whole µs, tsc 3 decimals):
  // not the float noise of the sums below (23.000000000000004).
  const r3 = (x) => Math.round(x * 1000) / 1000;
  const ev = (o) => {
    if (o.ts !== undefined) o.ts = r3(o.ts);
    if (o.dur !== undefined) o.dur = r3(o.dur);
    put(`${events ? ',' : ''}\n${JSON.stringify(o)}`);
    events++;
  };
  put('{"traceEvents":[');
  const pid = 4242;
  ev({ pid, tid: pid, ph: 'M', ts: 0, name: 'process_name', args: { name: 'clang' } });
  for (let t = 0; t < 4; t++)
    ev({ pid, tid: pid + t, ph: 'M', ts: 0, name: 'thread_name', args: { name: t ? `opt cgu.${t - 1}` : 'main' } });
  const clock = [0, 0, 0, 0].map((_, t) => 1000 + t * 7);
  let heap = 50e6;
  ev({ pid, tid: pid, ph: 'B', ts: 500, name: 'ExecuteCompiler', cat: 'clang' });
  // Until the target: a unit per thread in turn, a root with 4 children with 3 grandchildren each.
  while (size + partsLen < targetBytes) {
    const t = Math.floor(rnd() * 4);
    const tid = pid + t;
    const start = clock[t];
    let cur = start + 1;
    const kids = [];
    for (let k = 0; k < 4; k++) {
      const kStart = cur;
      let g = kStart + 0.5;
      for (let j = 0; j < 3; j++) {
        const dur = (Math.round(5 + rnd() * 40) / 1000) * 1000;
        ev({
          pid,
          tid,
          ph: 'X',
          ts: Math.round(g * 1000) / 1000,
          dur,
          name: PASSES[Math.floor(rnd() * PASSES.length)],
          args: { detail: sym() },
        });
        g += dur + 0.25;
      }
      kids.push({ ts: kStart, dur: Math.round((g - kStart + 0.5) * 1000) / 1000 });
      cur = g + 1;
    }
    for (const k of kids)
      ev({
        pid,
        tid,
        ph: 'X',
        ts: k.ts,
        dur: k.dur,
        name: 'RunPass',
        args: { detail: PASSES[Math.floor(rnd() * PASSES.length)] },
      });
    ev({
      pid,
      tid,
      ph: 'X',
      ts: start,
      dur: Math.round((cur - start + 1) * 1000) / 1000,
      name: TOP[Math.floor(rnd() * TOP.length)],
      args: { detail: sym() },
    });
    clock[t] = cur + 2 + rnd() * 10;
    if (events % 64 < 17) {
      heap += (rnd() - 0.45) * 2e5;
      ev({
        pid,
        tid: pid,
        ph: 'C',
        ts: Math.round(Math.max(...clock) * 1000) / 1000,
        name: 'heap bytes',
        args: { bytes: Math.round(heap) },
      });
    }
  }
  ev({ pid, tid: pid, ph: 'E', ts: Math.max(...clock) + 10, name: 'ExecuteCompiler' });
  put(`\n],"beginningOfTime":${Date.now() * 1000}}\n`);
  const buf = Buffer.from(parts.join(''));
  writeSync(fd, buf);
  size += buf.length;
  closeSync(fd);
  return { size, events };
}

/** Runs a Node script in a child under /usr/bin/time -f %M: its JSON line and its max RSS in bytes. */
function measure(script, args, env = {}) {
  const r = spawnSync(
    '/usr/bin/time',
    ['-f', '%M', process.execPath, '--max-old-space-size=16384', '-e', script, ...args],
    { encoding: 'utf8', env: { ...process.env, ...env }, maxBuffer: 1 << 24 },
  );
  if (r.status !== 0) throw new Error(`child failed (${r.status}): ${r.stderr}`);
  const maxRssBytes = Number(r.stderr.trim().split('\n').pop()) * 1024;
  return { ...JSON.parse(r.stdout.trim().split('\n').pop()), maxRssBytes };
}

const IMPORT_SCRIPT = `
const { importChromeTrace } = require(process.argv[1]);
(async () => {
  const t0 = performance.now();
  const r = await importChromeTrace(process.argv[2]);
  const ms = performance.now() - t0;
  console.log(JSON.stringify({ ms, phases: r.phases.length, series: r.series.map((s) => s.tMs.length), warnings: r.warnings.map((w) => w.message) }));
})();`;
const PARSE_SCRIPT = `
const fs = require('fs');
const t0 = performance.now();
const v = JSON.parse(fs.readFileSync(process.argv[1], 'utf8'));
const ms = performance.now() - t0;
console.log(JSON.stringify({ ms, events: v.traceEvents.length }));`;

export async function benchChromeTraceImport({ report, tmpDir, mb = 200, gb1 = false }) {
  const bundle = path.join(tmpDir, 'bench-chrome-trace.js');
  execFileSync(
    path.join(root, 'node_modules', '.bin', 'esbuild'),
    [
      'server/src/core/importers/trace-event/chrome-trace-importer.ts',
      '--bundle',
      '--platform=node',
      '--format=cjs',
      '--log-level=error',
      `--outfile=${bundle}`,
    ],
    { cwd: root },
  );
  const file = path.join(tmpDir, 'bench-trace.json');
  try {
    const { size, events } = generateTrace(file, mb * 1e6);
    const sizeMb = size / 1e6;
    const base = measure('console.log("{}")', []).maxRssBytes;
    const imp = [];
    const ref = [];
    for (let i = 0; i < 3; i++) {
      imp.push(measure(IMPORT_SCRIPT, [bundle, file]));
      ref.push(measure(PARSE_SCRIPT, [file]));
    }
    const best = (xs) => xs.reduce((a, b) => (b.ms < a.ms ? b : a));
    const bi = best(imp);
    const br = best(ref);
    const impMBs = sizeMb / (bi.ms / 1000);
    const refMBs = sizeMb / (br.ms / 1000);
    console.log(
      `chrome-trace: ${sizeMb.toFixed(0)} MB, ${events} events → ${bi.phases} phases, counter samples ${bi.series.join('+')}, ${bi.warnings.length} warnings; best of 3 runs each`,
    );
    report('chrome-trace import: throughput vs JSON.parse', impMBs, refMBs, 'MB/s', '≥ 0.5 and ≥ 150 MB/s');
    report('chrome-trace import: peak RSS growth / file size', (bi.maxRssBytes - base) / 1e6, sizeMb, 'MB', '≤ 3');
    report(
      'chrome-trace import: peak RSS vs JSON.parse',
      bi.maxRssBytes / 1e6,
      br.maxRssBytes / 1e6,
      'MB',
      '< 1 (no target)',
    );
    if (gb1) {
      rmSync(file, { force: true });
      const big = generateTrace(file, 1.05e9);
      const r = measure(IMPORT_SCRIPT, [bundle, file]);
      const bigMb = big.size / 1e6;
      console.log(
        `chrome-trace: a ${(big.size / 2 ** 30).toFixed(2)} GiB file (beyond V8's longest string, 2^29 - 24 chars) imported in ${(r.ms / 1000).toFixed(1)} s (${(bigMb / (r.ms / 1000)).toFixed(0)} MB/s): ${r.phases} phases, peak RSS ${(r.maxRssBytes / 1e6).toFixed(0)} MB (${((r.maxRssBytes - base) / big.size).toFixed(2)}× the file), ${r.warnings.length} warnings`,
      );
    }
  } finally {
    rmSync(file, { force: true });
    rmSync(bundle, { force: true });
  }
}

// Standalone.
if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) {
  if (!existsSync('/usr/bin/time')) {
    console.log('chrome-trace: /usr/bin/time missing, skipped');
    process.exit(0);
  }
  const args = process.argv.slice(2);
  const mb = args.includes('--mb') ? Number(args[args.indexOf('--mb') + 1]) : 200;
  const tmpDir = mkdtempSync(path.join(os.tmpdir(), 'cmi-bench-trace-'));
  const report = (name, value, reference, unit, target) => {
    console.log(
      `${name.padEnd(52)} ${(value / reference).toFixed(3)}×   (${value.toFixed(1)} ${unit} vs ${reference.toFixed(1)} ${unit}; target ${target})`,
    );
  };
  try {
    await benchChromeTraceImport({ report, tmpDir, mb, gb1: args.includes('--gb1') });
  } finally {
    rmSync(tmpDir, { recursive: true, force: true });
  }
}
