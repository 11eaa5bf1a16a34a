// Hovers at scale: the hover answers from an index of the current profile (server/src/core/analysis/
// phase-index.ts), so its cost must not grow with the profile. The profile is synthesized by
// repeating a real one's phase structure: clang 14's -ftime-trace of better-sqlite3
// (test/fixtures/chrome-trace, 2,567 phases with its `Source` spans) copied 20 times one after
// another, each copy's headers under a folder of its own, giving 51,340 phases and ~4,000 files.
// Measures:
//   index build     once, against JSON.parse of the same profile written out (the cost of reading it)
//   hover p50/p95   over 4,000 hovers (phase names in camelCase, snake_case, PascalCase and as string
//                   literals, #include lines, words that name nothing), against the 20 ms target and
//                   against a plain Map lookup of the same words
//
// Alone: node bench/hover.mjs. From bench/run.mjs: benchHover({ report, tmpDir }).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';

const require = createRequire(import.meta.url);
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const TARGET_MS = 20;
const COPIES = 20;
const HOVERS = 4000;

function quantile(xs, q) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
}

function bundle(tmpDir) {
  const entry = path.join(tmpDir, 'bench-hover-entry.ts');
  const rel = (p) => JSON.stringify(path.join(root, p));
  writeFileSync(
    entry,
    [
      `export { importFiles } from ${rel('server/src/core/importers')};`,
      `export { buildPhaseIndex, normalizeName } from ${rel('server/src/core/analysis/phase-index')};`,
      `export { hoverAt } from ${rel('server/src/lsp/hover')};`,
    ].join('\n'),
  );
  const out = path.join(tmpDir, 'bench-hover.js');
  execFileSync(
    path.join(root, 'node_modules', '.bin', 'esbuild'),
    [entry, '--bundle', '--platform=node', '--format=cjs', '--log-level=error', `--outfile=${out}`],
    { cwd: root },
  );
  return require(out);
}

/** The real profile's phases repeated COPIES times in sequence; headers of copy k under /copy-k. */
function synthesize(real) {
  const phases = [];
  const span = real.run.wallMs;
  for (let k = 0; k < COPIES; k++) {
    const base = phases.length;
    for (const p of real.phases) {
      const q = {
        ...p,
        parent: p.parent === null ? null : p.parent + base,
        startMs: p.startMs + k * span,
        endMs: p.endMs + k * span,
      };
      if (p.source?.file) q.source = { ...p.source, file: `/copy-${k}${p.source.file}` };
      phases.push(q);
    }
  }
  return { ...real, run: { ...real.run, wallMs: span * COPIES }, phases };
}

export async function benchHover({ report, tmpDir }) {
  const m = bundle(tmpDir);
  const real = await m.importFiles([path.join(root, 'test/fixtures/chrome-trace/clang14.better_sqlite3.O2.json')]);
  const profile = synthesize(real);

  const json = JSON.stringify(profile);
  let t = performance.now();
  JSON.parse(json);
  const parseMs = performance.now() - t;
  t = performance.now();
  const index = m.buildPhaseIndex(profile);
  const buildMs = performance.now() - t;

  // The words: every phase name in three case styles and as a string literal, headers, misses.
  const names = [...new Set(real.phases.map((p) => p.name))];
  const camel = (s) => m.normalizeName(s).replace(/_([a-z0-9])/g, (_, c) => c.toUpperCase());
  const lines = [];
  for (const n of names) {
    const snake = m.normalizeName(n);
    lines.push([`fn ${snake}() {`, 3], [`const t = ${camel(n)}();`, 10], [`timer("${n}")`, 7]);
  }
  const headers = [
    ...new Set(
      real.phases
        .filter((p) => p.name === 'Source' && p.source)
        .map((p) => p.source.file.split('/').slice(-2).join('/')),
    ),
  ];
  for (const h of headers.slice(0, 200)) lines.push([`#include <${h}>`, 10]);
  for (let i = 0; i < 300; i++) lines.push([`let unrelated_word_${i} = ${i};`, 6]);
  const words = lines.map(([l, ch]) => {
    let a = ch;
    let b = ch;
    while (a > 0 && /[\w$]/.test(l[a - 1])) a--;
    while (b < l.length && /[\w$]/.test(l[b])) b++;
    return l.slice(a, b);
  });

  const hoverUs = [];
  const mapUs = [];
  let hits = 0;
  for (let i = 0; i < HOVERS; i++) {
    const [line, ch] = lines[i % lines.length];
    t = performance.now();
    const h = m.hoverAt(index, line, 0, ch);
    hoverUs.push((performance.now() - t) * 1000);
    if (h) hits++;
    const w = words[i % words.length];
    t = performance.now();
    index.byName.get(w);
    mapUs.push((performance.now() - t) * 1000);
  }
  console.log(
    `hover: ${profile.phases.length} phases (clang -ftime-trace of better-sqlite3 ×${COPIES}), ${index.byName.size} names, ${index.byFile.size} files; ${HOVERS} hovers, ${hits} answered`,
  );
  report('hover: index build vs JSON.parse of the profile', buildMs, parseMs, 'ms', 'informative (once per profile)');
  report('hover: p50 vs the 20 ms target', quantile(hoverUs, 0.5), TARGET_MS * 1000, 'µs', '≤ 1');
  report('hover: p95 vs the 20 ms target', quantile(hoverUs, 0.95), TARGET_MS * 1000, 'µs', '≤ 1');
  report(
    'hover: p95 vs a plain Map lookup of the word',
    quantile(hoverUs, 0.95),
    Math.max(quantile(mapUs, 0.95), 0.001),
    'µs',
    'informative',
  );
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const tmpDir = mkdtempSync(path.join(os.tmpdir(), 'cmi-bench-hover-'));
  const report = (name, value, reference, unit, target) =>
    console.log(
      `${name.padEnd(52)} ${(value / reference).toFixed(3)}×   (${value.toFixed(unit === 'ms' ? 0 : 2)} ${unit} vs ${reference.toFixed(unit === 'ms' ? 0 : 2)} ${unit}; target ${target})`,
    );
  try {
    await benchHover({ report, tmpDir });
  } finally {
    rmSync(tmpDir, { recursive: true, force: true });
  }
}
