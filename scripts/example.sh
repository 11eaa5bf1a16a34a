#!/usr/bin/env bash
# The main job (README quick start): profile the bundled example workspace — the real tsc 6 compiling
# a real TypeScript project — print the summary and write the profile.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d node_modules ] || npm ci --no-audit --no-fund
node scripts/build.mjs --quiet
ws=examples/workspace
( cd "$ws" && { [ -d node_modules ] || npm ci --no-audit --no-fund --silent; } )
mkdir -p .cmi
echo "== Profiling: tsc -p $ws (TypeScript $(node -p "require('./$ws/node_modules/typescript/package.json').version"))" >&2
rc=0
( cd "$ws" && node ../../dist/cli.js profile --out ../../.cmi/example-tsc.json -- node node_modules/typescript/lib/tsc.js -p . ) || rc=$?
echo >&2
echo "The profile is in .cmi/example-tsc.json; see it again with: npm run --silent cmi -- summary .cmi/example-tsc.json" >&2
exit $rc
