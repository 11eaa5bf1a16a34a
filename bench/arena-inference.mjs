// Benchmark of arena inference (server/src/core/analysis/arena-rules.ts) on heaptrack data: a real
// program, compiled here with g++, makes 1.5 million allocations — most through a function named like
// LLVM's arena allocator (`llvm::BumpPtrAllocatorImpl::Allocate`), which frees its objects in batches
// (Reset), the rest through std::string and std::vector — and runs under heaptrack. The import with the
// default rules is measured in a child process under /usr/bin/time -f %M against
//   - heaptrack_print on the same file (heaptrack's own reader, C++): time and peak RSS;
//   - the same import without rules: what inference adds.
//
//   node bench/arena-inference.mjs [--allocs 1500000]
//
// Or from bench/run.mjs: `await benchArenaInference({ report, tmpDir })`.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');

const PROGRAM = `// An arena-heavy allocation pattern: objects from an "arena", released in batches, and temporaries.
#include <cstdlib>
#include <cstdio>
#include <string>
#include <vector>
namespace llvm {
struct BumpPtrAllocatorImpl {
  std::vector<void*> objects;
  __attribute__((noinline)) void* Allocate(std::size_t size) {
    void* p = std::malloc(size);
    objects.push_back(p);
    return p;
  }
  __attribute__((noinline)) void Reset() {
    for (void* p : objects) std::free(p);
    objects.clear();
  }
};
}
__attribute__((noinline)) static std::string temporary(long i) { return std::string(40 + i % 64, 'x'); }
int main(int argc, char** argv) {
  long n = argc > 1 ? std::atol(argv[1]) : 1500000;
  llvm::BumpPtrAllocatorImpl arena;
  long kept = 0;
  for (long i = 0; i < n; i++) {
    if (i % 200000 == 199999) arena.Reset();  // a batch of the arena's objects dies
    if (i % 5 == 4) kept += temporary(i).size();  // a malloc and a free outside the arena
    else arena.Allocate(16 + (i % 48) * 8);
  }
  std::printf("%ld\\n", kept);
  return 0;
}
`;

/** Runs a command under /usr/bin/time -f %M: its stdout, wall ms and max RSS in bytes. */
function measure(cmd, args) {
  const t0 = performance.now();
  const r = spawnSync('/usr/bin/time', ['-f', '%M', cmd, ...args], { encoding: 'utf8', maxBuffer: 1 << 26 });
  const wallMs = performance.now() - t0;
  if (r.status !== 0) throw new Error(`${cmd} failed (${r.status}): ${r.stderr.slice(-2000)}`);
  const maxRssBytes = Number(r.stderr.trim().split('\n').pop()) * 1024;
  return { stdout: r.stdout, wallMs, maxRssBytes };
}

// The child: decompress + parse + (with rules) infer, timed inside; prints one JSON line.
const IMPORT_SCRIPT = `
const fs = require('fs');
const m = require(process.argv[1]);
const bytes = new Uint8Array(fs.readFileSync(process.argv[2]));
const rules = process.argv[3] === 'rules' ? m.DEFAULT_ARENA_RULES : [];
const t0 = performance.now();
const r = m.importHeaptrackBytes(bytes, process.argv[2], { arenaRules: rules });
const ms = performance.now() - t0;
const peak = r.markers.find((x) => x.kind === 'peak');
console.log(JSON.stringify({ ms, detail: peak.detail, arenas: (r.arenas || []).map((a) => ({ name: a.name, samples: a.tMs.length, maxBytes: a.bytes.reduce((x, y) => Math.max(x, y), 0) })) }));`;

export async function benchArenaInference({ report, tmpDir, allocs = 1_500_000 }) {
  for (const tool of ['heaptrack', 'heaptrack_print', 'g++', '/usr/bin/time']) {
    if (spawnSync(tool, ['--version'], { stdio: 'ignore' }).error)
      return console.log(`arena inference: ${tool} missing, skipped`);
  }
  const work = mkdtempSync(path.join(tmpDir, 'arena-inference-'));
  try {
    // The bundle: the heaptrack importer with the rules.
    const entry = path.join(work, 'entry.ts');
    writeFileSync(
      entry,
      `export { importHeaptrackBytes } from ${JSON.stringify(path.join(root, 'server/src/core/importers/heaptrack'))};\nexport { DEFAULT_ARENA_RULES } from ${JSON.stringify(path.join(root, 'server/src/core/analysis/arena-rules'))};\n`,
    );
    const bundle = path.join(work, 'bench-arena-inference.js');
    execFileSync(
      path.join(root, 'node_modules', '.bin', 'esbuild'),
      [entry, '--bundle', '--platform=node', '--format=cjs', '--log-level=error', `--outfile=${bundle}`],
      { cwd: root },
    );
    // The program, and its heaptrack recording.
    const src = path.join(work, 'arena-heavy.cpp');
    const bin = path.join(work, 'arena-heavy');
    writeFileSync(src, PROGRAM);
    execFileSync('g++', ['-O2', '-g', '-o', bin, src]);
    execFileSync('heaptrack', ['-o', path.join(work, 'heaptrack.arena-heavy'), bin, String(allocs)], {
      stdio: 'ignore',
    });
    const file = path.join(
      work,
      readdirSync(work).find((f) => /^heaptrack\.arena-heavy.*\.(?:zst|gz)$/.test(f)),
    );
    const fileMb = statSync(file).size / 1e6;

    const runs = 3;
    const withRules = [];
    const noRules = [];
    const htPrint = [];
    for (let i = 0; i < runs; i++) {
      const a = measure(process.execPath, ['-e', IMPORT_SCRIPT, bundle, file, 'rules']);
      withRules.push({ ...JSON.parse(a.stdout.trim().split('\n').pop()), maxRssBytes: a.maxRssBytes });
      const b = measure(process.execPath, ['-e', IMPORT_SCRIPT, bundle, file, 'none']);
      noRules.push({ ...JSON.parse(b.stdout.trim().split('\n').pop()), maxRssBytes: b.maxRssBytes });
      htPrint.push(measure('heaptrack_print', ['-f', file]));
    }
    const best = (xs, k) => xs.reduce((x, y) => (y[k] < x[k] ? y : x));
    const w = best(withRules, 'ms');
    const n = best(noRules, 'ms');
    const h = best(htPrint, 'wallMs');
    const allocations = Number(/\((\d+) allocations/.exec(w.detail)[1]);
    const textMb =
      Number(execFileSync('sh', ['-c', 'zstd -dc "$1" | wc -c', 'sh', file], { encoding: 'utf8' }).trim()) / 1e6;
    const lane = w.arenas.find((a) => a.name === 'llvm::BumpPtrAllocator');
    console.log(
      `arena inference: heaptrack file ${fileMb.toFixed(1)} MB (${textMb.toFixed(0)} MB decompressed), ${allocations} allocations; lanes ${w.arenas.map((a) => `${a.name} (${a.samples} samples, max ${(a.maxBytes / 1e6).toFixed(1)} MB)`).join(', ')}; best of ${runs} runs`,
    );
    if (!lane) console.log('arena inference: WARNING: no llvm::BumpPtrAllocator lane was inferred');
    console.log(
      `arena inference: throughput ${(allocations / (w.ms / 1000) / 1e6).toFixed(2)} M allocations/s, ${(textMb / (w.ms / 1000)).toFixed(0)} MB/s of decompressed data (import + inference, ${w.ms.toFixed(0)} ms)`,
    );
    report(
      'arena inference: import+infer time vs heaptrack_print',
      w.ms,
      h.wallMs,
      'ms',
      "none: heaptrack's own C++ reader, for scale",
    );
    report('arena inference: import+infer vs import alone', w.ms, n.ms, 'ms', '≤ 1.25');
    report(
      'arena inference: peak RSS vs heaptrack_print',
      w.maxRssBytes / 1e6,
      h.maxRssBytes / 1e6,
      'MB',
      'none: for scale',
    );
    report('arena inference: peak RSS vs import alone', w.maxRssBytes / 1e6, n.maxRssBytes / 1e6, 'MB', '≤ 1.1');
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

// Standalone.
if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) {
  const args = process.argv.slice(2);
  const allocs = args.includes('--allocs') ? Number(args[args.indexOf('--allocs') + 1]) : 1_500_000;
  const tmpDir = mkdtempSync(path.join(os.tmpdir(), 'cmi-bench-arena-'));
  const report = (name, value, reference, unit, target) => {
    console.log(
      `${name.padEnd(52)} ${(value / reference).toFixed(3)}×   (${value.toFixed(unit === 'ms' ? 0 : 1)} ${unit} vs ${reference.toFixed(unit === 'ms' ? 0 : 1)} ${unit}; target ${target})`,
    );
  };
  try {
    await benchArenaInference({ report, tmpDir, allocs });
  } finally {
    rmSync(tmpDir, { recursive: true, force: true });
  }
}
