#!/usr/bin/env bash
# Installs what the tests need beyond npm packages, on a bare machine of this project's kind
# (Debian 12): /usr/bin/time, a C compiler and its GCC plugin headers, clang and valgrind (the live-heap library's test
# compares clang's live heap with DHAT's), a Rust toolchain with cargo, and (through
# install-vscode-test-deps.sh) Debian's chromium and code-server. Idempotent and quick when
# everything is present.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v /usr/bin/time >/dev/null 2>&1 || need_apt+=(time)
command -v cc >/dev/null 2>&1 || need_apt+=(gcc)
command -v ps >/dev/null 2>&1 || need_apt+=(procps)
command -v clang++ >/dev/null 2>&1 || need_apt+=(clang)
command -v valgrind >/dev/null 2>&1 || need_apt+=(valgrind)
# The GCC plugin's headers (dist/cmi_gcc.so, native/README.md), for the gcc on PATH: gcc-N-plugin-dev.
if command -v gcc >/dev/null 2>&1 && [ ! -f "$(gcc -print-file-name=plugin)/include/gcc-plugin.h" ]; then
  need_apt+=("gcc-$(gcc -dumpversion | cut -d. -f1)-plugin-dev")
fi
if ! command -v cargo >/dev/null 2>&1 && [ ! -x "$HOME/.cargo/bin/cargo" ]; then need_apt+=(cargo rustc); fi
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "install-test-deps: missing ${need_apt[*]}; install them (apt-get install ${need_apt[*]}) or run as root" >&2
    exit 1
  fi
  echo "install-test-deps: apt-get install ${need_apt[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

# Workspaces whose builds the tests run with their own npm packages (rollup, rolldown, three.js).
# `npm install`, not `npm ci`: rolldown lists native bindings for every platform as optional
# dependencies, some of which the registry here does not serve, and `npm ci` then refuses the lock
# file as out of sync; `npm install` keeps to the lock file and skips what it cannot have.
for ws in test/workspaces/rollup-small test/workspaces/rolldown-three; do
  if [ -f "$ws/package-lock.json" ]; then (cd "$ws" && npm install --no-audit --no-fund --no-save --loglevel=error); fi
done

# The example workspace (tinyc and the TypeScript it is compiled with), profiled by the tests.
if [ -f examples/workspace/package-lock.json ] && [ ! -d examples/workspace/node_modules ]; then
  (cd examples/workspace && npm ci --no-audit --no-fund --loglevel=error)
fi

if [ -f scripts/install-vscode-test-deps.sh ]; then bash scripts/install-vscode-test-deps.sh; fi
