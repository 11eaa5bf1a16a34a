#!/usr/bin/env bash
# Tests the extension in a real VS Code: code-server 4.96.4 (VS Code 1.96.4, Node extension host),
# driven by Debian's chromium through playwright-core. Installs what is missing first
# (scripts/install-vscode-test-deps.sh; about a second when everything is there).
#
#   1. builds the extension (scripts/build.mjs) and the tests (test/vscode/build.mjs);
#   2. starts a fresh code-server on 127.0.0.1, in its own process group, with every bit of state
#      (HOME, XDG dirs, TMPDIR, user data, extensions) in a fresh run folder;
#   3. runs the Mocha suites inside its extension host (tsc, cargo, plain and c-make workspaces) and the UI
#      check of Profile Build through the workbench;
#   4. restarts code-server with workspace trust on and runs the Restricted Mode check;
#   5. packages the .vsix (production build), installs it into a third code-server and profiles a
#      Cargo build through the workbench with it;
#   6. always stops code-server (trap); prints `N passed, N failed` last; exits non-zero on any failure.
#
# Artifacts: test-artifacts/vscode/{logs,results,screenshots}/ (gitignored).
# Environment: CMI_E2E_HOME (default ~/.cache/cmi-e2e: code-server and run folders),
#              CMI_E2E_KEEP_RUN=1 keeps the run folder, CMI_E2E_STEP_TIMEOUT (seconds per step, default 600),
#              CMI_E2E_ONLY="ext-tsc ui-untrusted" runs only those steps,
#              CMI_E2E_SKIP_BUILD=1 uses dist/ as it is (the tests are always rebuilt).
set -uo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
E2E_HOME=${CMI_E2E_HOME:-$HOME/.cache/cmi-e2e}
CS=$E2E_HOME/code-server/node_modules/.bin/code-server
ART=$REPO/test-artifacts/vscode
STEP_TIMEOUT=${CMI_E2E_STEP_TIMEOUT:-600}
T0=$(date +%s)

say() { printf '[test-vscode] %s\n' "$*"; }
closing_failure() { say "$1"; echo "0 passed, 1 failed"; exit 1; }

bash "$REPO/scripts/install-vscode-test-deps.sh" || closing_failure "installing the test dependencies failed"

rm -rf "$ART" && mkdir -p "$ART/logs" "$ART/results" "$ART/screenshots"
mkdir -p "$E2E_HOME"
RUN=$(mktemp -d "$E2E_HOME/run.XXXXXX")

CS_PID=
stop_cs() {
  [ -n "$CS_PID" ] || return 0
  kill -TERM -- "-$CS_PID" 2>/dev/null
  for _ in $(seq 1 40); do kill -0 "$CS_PID" 2>/dev/null || break; sleep 0.25; done
  kill -KILL -- "-$CS_PID" 2>/dev/null
  wait "$CS_PID" 2>/dev/null
  CS_PID=
}
STEP_PID=
cleanup() {
  [ -n "$STEP_PID" ] && kill -KILL -- "-$STEP_PID" 2>/dev/null
  stop_cs
  if [ "${CMI_E2E_KEEP_RUN:-}" = 1 ]; then say "run folder kept: $RUN"; else rm -rf "$RUN"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- build --------------------------------------------------------------------------------------------
cd "$REPO" || exit 1
{ [ "${CMI_E2E_SKIP_BUILD:-}" = 1 ] || node scripts/build.mjs --quiet; } > "$ART/logs/build.log" 2>&1 \
  && node test/vscode/build.mjs --quiet >> "$ART/logs/build.log" 2>&1 \
  || { cat "$ART/logs/build.log"; closing_failure "the build failed"; }
node dist/test-vscode/prepare-workspaces.js "$RUN/workspaces" || closing_failure "preparing the test workspaces failed"

# --- isolation: nothing of code-server, the extension host, chromium or the builds lands in $HOME or /tmp
# (rustup's proxies need to find the real toolchains, so CARGO_HOME/RUSTUP_HOME keep pointing at them)
[ -d "$HOME/.cargo" ] && export CARGO_HOME=${CARGO_HOME:-$HOME/.cargo}
[ -d "$HOME/.rustup" ] && export RUSTUP_HOME=${RUSTUP_HOME:-$HOME/.rustup}
export HOME=$RUN/home XDG_CONFIG_HOME=$RUN/home/.config XDG_DATA_HOME=$RUN/home/.local/share XDG_CACHE_HOME=$RUN/home/.cache
export TMPDIR=$RUN/tmp
mkdir -p "$HOME" "$TMPDIR"
# VS Code's server takes the extension host's environment from a login shell of $HOME, whose /etc/profile
# resets PATH: keep the PATH of this run (node, cargo) as a user's ~/.profile would.
printf 'export PATH=%q\n' "$PATH" | tee "$HOME/.profile" > "$HOME/.bashrc"
# Read by the drivers and, through code-server's environment, by the suites in the extension host.
export CMI_E2E_REPO=$REPO CMI_E2E_ARTIFACTS=$ART CMI_E2E_RUN=$RUN

# --- code-server ----------------------------------------------------------------------------------------
free_port() { node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })'; }

# start_cs <name> <trust: off|on> [vsix to install first]
start_cs() {
  local name=$1 trust=$2 vsix=${3:-} dir=$RUN/cs-$1 port
  port=$(free_port)
  mkdir -p "$dir/user-data/User" "$dir/extensions"
  # Without startupEditor none and walkthroughs off, a late walkthrough steals focus and closes the palette.
  cat > "$dir/user-data/User/settings.json" <<JSON
{
  "workbench.startupEditor": "none",
  "workbench.welcomePage.walkthroughs.openOnInstall": false,
  "workbench.tips.enabled": false,
  "workbench.enableExperiments": false,
  "extensions.autoCheckUpdates": false,
  "extensions.autoUpdate": false,
  "extensions.ignoreRecommendations": true,
  "telemetry.telemetryLevel": "off",
  "update.mode": "none",
  "security.workspace.trust.enabled": $([ "$trust" = on ] && echo true || echo false),
  "security.workspace.trust.startupPrompt": "never"
}
JSON
  printf 'bind-addr: 127.0.0.1:%s\nauth: none\ncert: false\n' "$port" > "$dir/config.yaml"
  local trust_flag=()
  [ "$trust" = off ] && trust_flag=(--disable-workspace-trust)
  if [ -n "$vsix" ]; then
    "$CS" --user-data-dir "$dir/user-data" --extensions-dir "$dir/extensions" --config "$dir/config.yaml" \
      --install-extension "$vsix" >> "$ART/logs/code-server-$name.log" 2>&1 || return 1
  fi
  setsid "$CS" --user-data-dir "$dir/user-data" --extensions-dir "$dir/extensions" --config "$dir/config.yaml" \
    --bind-addr "127.0.0.1:$port" --auth none --disable-telemetry --disable-update-check \
    --disable-getting-started-override --ignore-last-opened "${trust_flag[@]}" \
    >> "$ART/logs/code-server-$name.log" 2>&1 &
  CS_PID=$!
  for _ in $(seq 1 120); do
    curl -sf -o /dev/null "http://127.0.0.1:$port/healthz" && break
    kill -0 "$CS_PID" 2>/dev/null || break
    sleep 0.25
  done
  if ! curl -sf -o /dev/null "http://127.0.0.1:$port/healthz"; then
    tail -n 20 "$ART/logs/code-server-$name.log"
    return 1
  fi
  export CMI_E2E_BASE_URL=http://127.0.0.1:$port
  say "code-server ($name, workspace trust $trust) on $CMI_E2E_BASE_URL, process group $CS_PID"
}

# --- steps ------------------------------------------------------------------------------------------------
STEPS=()
wanted() { [ -z "${CMI_E2E_ONLY:-}" ] || [[ " $CMI_E2E_ONLY " == *" $1 "* ]]; }

# run_step <name> <command...>: in its own process group (the browser it starts goes with it), with a
# time limit; the output goes to the terminal and to logs/<name>.log.
run_step() {
  local name=$1 rc s; shift
  wanted "$name" || return 0
  say "── $name"
  s=$(date +%s)
  : > "$ART/logs/$name.log"
  setsid timeout -k 10 "$STEP_TIMEOUT" "$@" > "$ART/logs/$name.log" 2>&1 &
  STEP_PID=$!
  tail -n +1 -f --pid="$STEP_PID" "$ART/logs/$name.log" | sed 's/^/   /' &
  local tail_pid=$!
  wait "$STEP_PID"; rc=$?
  wait "$tail_pid" 2>/dev/null
  kill -KILL -- "-$STEP_PID" 2>/dev/null # whatever of the step is left (a browser)
  STEP_PID=
  [ $rc = 124 ] && say "$name: timed out after ${STEP_TIMEOUT}s"
  say "$name: exit $rc in $(( $(date +%s) - s ))s"
  STEPS+=("$name=$rc")
}

ext_suite() { run_step "ext-$1" node dist/test-vscode/run-ext-tests.js "ext-$1" "$REPO/dist/test-vscode/suite/run-$1.js" "$RUN/workspaces/$1"; }

if wanted ext-tsc || wanted ext-cargo || wanted ext-plain || wanted ext-c-make || wanted ui-profile-build; then
  if start_cs trusted off; then
    ext_suite tsc
    ext_suite cargo
    ext_suite plain
    ext_suite c-make
    run_step ui-profile-build node dist/test-vscode/ui/profile-build.ui.js
  else
    say "code-server did not start"; STEPS+=("code-server-trusted=1")
  fi
  stop_cs
fi

if wanted ui-untrusted; then
  if start_cs restricted on; then
    run_step ui-untrusted node dist/test-vscode/ui/untrusted.ui.js
  else
    say "code-server did not start"; STEPS+=("code-server-restricted=1")
  fi
  stop_cs
fi

# The .vsix as users get it (production build, .vscodeignore allowlist), installed into a third code-server.
if wanted ui-packaged; then
  VSIX=$RUN/compiler-memory-insight.vsix
  # --skip-license: the prompt about a missing LICENSE would wait for a keypress.
  if { node scripts/build.mjs --production --quiet && node_modules/.bin/vsce package --no-dependencies --skip-license --out "$VSIX"; } \
      < /dev/null > "$ART/logs/package.log" 2>&1; then
    say "packaged $(du -k "$VSIX" | cut -f1) KiB: $(python3 -c 'import sys, zipfile; print(" ".join(n[10:] for n in zipfile.ZipFile(sys.argv[1]).namelist() if n.startswith("extension/")))' "$VSIX")"
    if start_cs packaged off "$VSIX"; then
      run_step ui-packaged node dist/test-vscode/ui/packaged.ui.js
    else
      say "code-server did not start"; STEPS+=("code-server-packaged=1")
    fi
    stop_cs
  else
    cat "$ART/logs/package.log"; say "packaging failed"; STEPS+=("package=1")
  fi
  # Leave dist/ as the development build it was (source maps), not the minified one.
  [ "${CMI_E2E_SKIP_BUILD:-}" = 1 ] || node scripts/build.mjs --quiet >> "$ART/logs/package.log" 2>&1
fi

say "done in $(( $(date +%s) - T0 ))s; logs and screenshots in ${ART#"$REPO"/}/"
node "$REPO/dist/test-vscode/summarize-results.js" "$ART/results" "${STEPS[@]}"
