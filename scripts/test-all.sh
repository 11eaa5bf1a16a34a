#!/usr/bin/env bash
# The one test command (README quick start, and .ci/run): installs everything, builds, type-checks,
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

mkdir -p test-artifacts
npx vitest run --reporter=default --reporter=json --outputFile.json=test-artifacts/vitest.json
vitest_rc=$?
read -r v_pass v_fail < <(node -e '
  try { const r = require("./test-artifacts/vitest.json"); console.log(r.numPassedTests, r.numFailedTests + (r.numRuntimeErrorTestSuites || 0)); }
  catch { console.log(0, 1); }')
[ "$vitest_rc" -ne 0 ] && [ "$v_fail" -eq 0 ] && v_fail=1

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
echo "vitest: $v_pass passed, $v_fail failed · real VS Code: $c_pass passed, $c_fail failed"
echo "Tests: $((v_pass + c_pass)) passed, $((v_fail + c_fail)) failed"
[ "$vitest_rc" -eq 0 ] && [ "$code_rc" -eq 0 ] && [ "$((v_fail + c_fail))" -eq 0 ]
