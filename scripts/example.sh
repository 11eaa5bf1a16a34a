#!/usr/bin/env bash
# The main job (README quick start): profile the bundled example workspace
#   1. the real tsc 6 compiling a real TypeScript project (the workspace's tinyc compiler);
#   2. the compiler it builds, tinyc, both ways: ASTs held to the end of the run, then --free-asts.
# tinyc reports its per-module AST arenas through the arena API (examples/workspace/src/arena-hooks.ts),
# so the profiles have arena lanes; the comparison at the end shows the peak both ways and the arena
# held past its last use. tinyc runs under `node --expose-gc`: its heap meter then collects garbage at
# every phase boundary, so its own "peak heap" is the live heap. (Without it neither RSS nor the
# sampled V8 heap moves, as allocators and GCs keep freed memory: the arena figures don't depend on it.)
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d node_modules ] || npm ci --no-audit --no-fund
node scripts/build.mjs --quiet
ws=examples/workspace
( cd "$ws" && { [ -d node_modules ] || npm ci --no-audit --no-fund --silent; } )
mkdir -p .cmi
cmi() { node dist/cli.js "$@"; }
echo "== Profiling: tsc -p $ws (TypeScript $(node -p "require('./$ws/node_modules/typescript/package.json').version"))" >&2
rc=0
( cd "$ws" && node ../../dist/cli.js profile --out ../../.cmi/example-tsc.json -- node node_modules/typescript/lib/tsc.js -p . ) || rc=$?
echo >&2
[ "$rc" -eq 0 ] || { echo "The tsc build failed: tinyc is not profiled." >&2; exit $rc; }

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for mode in held free; do
  flag=; [ "$mode" = free ] && flag=--free-asts
  echo "== Profiling: tinyc ($ws/out/main.js${flag:+ $flag}): 300 modules, one AST arena each" >&2
  ( cd "$ws" && node ../../dist/cli.js profile --out "../../.cmi/example-tinyc-$mode.json" -- node --expose-gc out/main.js $flag --out "$out/$mode" ) \
    2>&1 | tee "$out/$mode.log" || rc=$?
  echo >&2
done

echo "== tinyc with and without --free-asts" >&2
cmi summary --json .cmi/example-tinyc-held.json > "$out/held.json"
cmi summary --json .cmi/example-tinyc-free.json > "$out/free.json"
node - "$out" <<'JS' >&2 || rc=$?
const fs = require('fs');
const dir = process.argv[2];
const mib = (b) => `${(b / 2 ** 20).toFixed(1)} MiB`;
const held = JSON.parse(fs.readFileSync(`${dir}/held.json`, 'utf8'));
const free = JSON.parse(fs.readFileSync(`${dir}/free.json`, 'utf8'));
// tinyc's own figure: the live heap after a full GC at every phase boundary and checkpoint.
const live = (mode) => {
  const m = /peak heap ([\d.]+) MiB \(live[^)]*\) in ([^|]+)/.exec(fs.readFileSync(`${dir}/${mode}.log`, 'utf8'));
  return m ? { bytes: Number(m[1]) * 2 ** 20, phase: m[2].trim() } : undefined;
};
const row = (label, a, b, unit = mib) => console.log(`  ${label.padEnd(42)} ${unit(a).padStart(12)} ${unit(b).padStart(12)} ${(a ? `${(((b - a) / a) * 100).toFixed(1)} %` : '').padStart(9)}`);
console.log(`  ${''.padEnd(42)} ${'held'.padStart(12)} ${'--free-asts'.padStart(12)} ${'change'.padStart(9)}`);
row(`peak, ${held.peak?.seriesName ?? 'none'}`, held.peak?.bytes ?? 0, free.peak?.bytes ?? 0);
const lh = live('held'), lf = live('free');
if (lh && lf) row("peak live heap (tinyc's own meter)", lh.bytes, lf.bytes);
if (lh && lf) console.log(`  the live peak moves from ${lh.phase} to ${lf.phase}`);
const heldPast = (s) => (s.arenas ?? []).filter((a) => a.heldPastLastUse);
const saving = (s) => heldPast(s).reduce((n, a) => n + (a.potentialSavingBytes ?? 0), 0);
for (const [name, s] of [['held', held], ['--free-asts', free]]) {
  const h = heldPast(s);
  if (!h.length) { console.log(`  ${name}: no arena held past its last use (${(s.arenas ?? []).length} arenas)`); continue; }
  const top = [...h].sort((a, b) => b.potentialSavingBytes - a.potentialSavingBytes)[0];
  const phases = [...new Set(h.map((a) => a.lastUsePhase).filter(Boolean))].join(', ');
  console.log(`  ${name}: ${h.length} of ${(s.arenas ?? []).length} arenas held past their last use (${phases}); freeing them there saves up to ${mib(saving(s))} at the peak; largest: ${top.name} (${mib(top.potentialSavingBytes)})`);
}
JS
echo >&2
echo "The profiles are in .cmi/example-tsc.json, .cmi/example-tinyc-held.json and .cmi/example-tinyc-free.json;" >&2
echo "see one again with: npm run --silent cmi -- summary .cmi/example-tinyc-held.json" >&2
exit $rc
