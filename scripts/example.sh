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
#   3. nativec (examples/native), tinyc's twin in C, built with the system's cc -O2, both ways: its AST
#      arenas are malloc'd 64 KiB chunks that glibc keeps once freed, so with --free-asts its live heap
#      (counted by cmi's heap library, dist/libcmi-heap.so) falls by the arenas' size while its RSS
#      barely moves. It runs with glibc's own settings (--allocator-defaults), as it runs outside the
#      profiler: the eager-purge settings would make RSS follow the live heap, hiding the point. It
#      reports its phases and arenas through the trace file ($CMI_TRACE_FILE). Without cc it is
#      skipped, with a note.
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

native=
if command -v cc >/dev/null 2>&1; then
  echo "== Building nativec (examples/native/nativec.c) with $(command -v cc) -O2" >&2
  if cc -O2 -o .cmi/nativec examples/native/nativec.c; then
    native=1
    for mode in held free; do
      flag=; [ "$mode" = free ] && flag=--free-asts
      echo "== Profiling: nativec${flag:+ $flag}: 300 modules, one AST arena each (C, glibc malloc)" >&2
      cmi profile --allocator-defaults --out ".cmi/example-nativec-$mode.json" -- .cmi/nativec $flag || rc=$?
      echo >&2
    done
    echo "== nativec with and without --free-asts (cmi compare --markdown)" >&2
    cmi compare .cmi/example-nativec-held.json .cmi/example-nativec-free.json --markdown >&2 || rc=$?
    echo "(The live heap leads: it falls by the arenas' size, as nativec's own line above says, while the RSS peak barely moves.)" >&2
    echo >&2
  else
    echo "nativec did not build: skipped." >&2
  fi
else
  echo "No C compiler (cc) on this machine: the native example (examples/native) is skipped." >&2
fi

echo "The profiles are in .cmi/example-tsc.json, .cmi/example-tinyc-held.json and .cmi/example-tinyc-free.json${native:+,}" >&2
[ -n "$native" ] && echo ".cmi/example-nativec-held.json and .cmi/example-nativec-free.json;" >&2
echo "see one again with: npm run --silent cmi -- summary .cmi/example-tinyc-held.json" >&2
exit $rc
