#!/usr/bin/env bash
# The one test command (README quick start, and .ci/run): installs everything, builds, type-checks, lints,
# runs the unit and integration tests (vitest: real tsc, cargo, processes) and the tests in a real
# VS Code (code-server + chromium). Ends with one line "Tests: N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

fail() { echo "test-all: $*" >&2; echo "Tests: 0 passed, 1 failed"; exit 1; }

npm ci --no-audit --no-fund || fail "npm ci failed"
bash scripts/install-test-deps.sh || fail "installing the test dependencies failed"
node scripts/build.mjs || fail "the build failed"
npx tsc --noEmit -p . || fail "type errors"
# Biome: formatting, lint rules and import cycles (npm run lint; npm run format fixes the formatting).
npx biome ci --colors=off . || fail "lint errors (npm run lint)"

mkdir -p test-artifacts
npx vitest run --reporter=default --reporter=json --outputFile.json=test-artifacts/vitest.json
vitest_rc=$?
read -r v_pass v_fail < <(node -e '
  try { const r = require("./test-artifacts/vitest.json"); console.log(r.numPassedTests, r.numFailedTests + (r.numRuntimeErrorTestSuites || 0)); }
  catch { console.log(0, 1); }')
[ "$vitest_rc" -ne 0 ] && [ "$v_fail" -eq 0 ] && v_fail=1
# The failing tests by name with the start of their message, repeated at the very end of the output
# (where CI logs are read first).
vitest_failures=$(node -e '
  try {
    const r = require("./test-artifacts/vitest.json");
    for (const f of r.testResults) {
      if (f.status === "failed" && !f.assertionResults.some((a) => a.status === "failed"))
        console.log(`vitest FAILED ${f.name}: ${(f.message || "").split("\n").slice(0, 6).join(" | ")}`);
      for (const a of f.assertionResults) if (a.status === "failed")
        console.log(`vitest FAILED ${f.name} › ${a.fullName}: ${(a.failureMessages || []).join(" ").split("\n").slice(0, 6).join(" | ").slice(0, 900)}`);
    }
  } catch (e) { console.log(`vitest: no JSON report (${e.message})`); }' 2>&1)

c_pass=0; c_fail=0; code_rc=0
if [ -f scripts/test-vscode.sh ]; then
  bash scripts/test-vscode.sh 2>&1 | tee test-artifacts/vscode.log
  code_rc=${PIPESTATUS[0]}
  line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' test-artifacts/vscode.log | tail -1)
  c_pass=$(echo "$line" | sed -E 's/^([0-9]+) passed.*/\1/'); c_pass=${c_pass:-0}
  c_fail=$(echo "$line" | sed -E 's/^[0-9]+ passed, ([0-9]+) failed.*/\1/'); c_fail=${c_fail:-0}
  [ "$code_rc" -ne 0 ] && [ "$c_fail" -eq 0 ] && c_fail=1
fi

echo
[ "$v_fail" -ne 0 ] && echo "$vitest_failures"
[ "$c_fail" -ne 0 ] && grep -E '^\s*(\[[0-9.]+s\] )?FAIL|✘|[0-9]+\) ' test-artifacts/vscode.log | head -20
echo "vitest: $v_pass passed, $v_fail failed · real VS Code: $c_pass passed, $c_fail failed"
echo "Tests: $((v_pass + c_pass)) passed, $((v_fail + c_fail)) failed"
[ "$vitest_rc" -eq 0 ] && [ "$code_rc" -eq 0 ] && [ "$((v_fail + c_fail))" -eq 0 ]
