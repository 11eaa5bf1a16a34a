#!/usr/bin/env bash
# The main job (README quick start): profile the bundled example workspace
#   1. the real tsc 6 compiling a real TypeScript project (the workspace's tinyc compiler);
#   2. the compiler it builds, tinyc, both ways: ASTs held to the end of the run, then --free-asts.
# tinyc reports its per-module AST arenas through the arena API (examples/workspace/src/arena-hooks.ts),
# so the profiles have arena lanes; the comparison at the end (`cmi compare --markdown`) shows the peak
# both ways, where it moved, and the arena groups held past their last use. tinyc runs under
# `node --expose-gc`: its heap meter then collects garbage at every phase boundary, so its own
# "peak heap" is the live heap. (Without it neither RSS nor the sampled V8 heap moves, as allocators
# and GCs keep freed memory: the arena figures don't depend on it.)
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

echo "== tinyc with and without --free-asts (cmi compare --markdown)" >&2
cmi compare .cmi/example-tinyc-held.json .cmi/example-tinyc-free.json --markdown >&2 || rc=$?
echo >&2
echo "The profiles are in .cmi/example-tsc.json, .cmi/example-tinyc-held.json and .cmi/example-tinyc-free.json;" >&2
echo "see one again with: npm run --silent cmi -- summary .cmi/example-tinyc-held.json" >&2
exit $rc
