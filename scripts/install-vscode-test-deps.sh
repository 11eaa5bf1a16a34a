#!/usr/bin/env bash
# Installs what the real-VS Code tests (scripts/test-vscode.sh) need, on a bare Debian 12 machine
# that reaches only the npm registry and Debian's apt mirrors:
#   - Debian's `chromium` (driven by playwright-core for the UI tests),
#   - code-server 4.96.4 from npm (VS Code 1.96.4 with a Node extension host; newer releases need Node 24),
#     into ${CMI_E2E_HOME:-$HOME/.cache/cmi-e2e}/code-server, outside the repository.
# Idempotent: a second run checks and exits in well under a second.
#
# Snags handled (see ../shared/real-vscode/README.md for how they were found):
#   - code-server's postinstall refuses root unless npm_config_unsafe_perm=true;
#   - lib/vscode/npm-shrinkwrap.json pins @vscode/proxy-agent to a git URL: point it at the registry tarball;
#   - @vscode/ripgrep downloads rg from GitHub in its postinstall: pre-fill its cache with Debian's rg;
#   - native modules (kerberos, node-pty, argon2 ...) build with node-gyp: Debian's libkrb5-dev, and the
#     Node headers of the installed Node (nodedir) so node-gyp does not try to download them.
#
# usage: scripts/install-vscode-test-deps.sh [--force]
set -euo pipefail

CS_VERSION=4.96.4
# Pinned by code-server 4.96.4's lib/vscode: @vscode/ripgrep 1.15.9 wants ripgrep v13.0.0-10.
RG_PKG_VERSION=1.15.9
RG_ASSET=ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz

E2E_HOME=${CMI_E2E_HOME:-$HOME/.cache/cmi-e2e}
PREFIX=$E2E_HOME/code-server
MARKER=$PREFIX/.cmi-installed
CS_BIN=$PREFIX/node_modules/.bin/code-server

say() { printf '[install-vscode-test-deps] %s\n' "$*"; }

if [ "${1:-}" = "--force" ]; then rm -f "$MARKER"; fi

if command -v chromium >/dev/null 2>&1 && [ -x "$CS_BIN" ] && [ "$(cat "$MARKER" 2>/dev/null)" = "code-server $CS_VERSION" ]; then
  say "already installed: $(command -v chromium), code-server $CS_VERSION in $PREFIX"
  exit 0
fi

if [ "$(uname -s)-$(uname -m)" != "Linux-x86_64" ]; then
  say "this installer is for Linux x86_64 (the ripgrep asset it pre-seeds is x86_64); found $(uname -s)-$(uname -m)" >&2
  exit 1
fi
command -v node >/dev/null && command -v npm >/dev/null || { say "node and npm are required (Node 20)" >&2; exit 1; }
node_major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$node_major" != 20 ]; then say "warning: code-server $CS_VERSION is built for Node 20; this is Node $node_major"; fi

SUDO=
if [ "$(id -u)" != 0 ]; then SUDO=sudo; fi

# --- Debian packages -------------------------------------------------------------------------------
apt_updated=
apt_update_once() {
  if [ -z "$apt_updated" ]; then say "apt-get update"; $SUDO apt-get update -qq; apt_updated=1; fi
}
need_pkgs=()
command -v chromium >/dev/null 2>&1 || need_pkgs+=(chromium)
# Build tools for code-server's native modules, and curl for the harness's health check.
for p in libkrb5-dev python3 make g++ curl; do
  case $p in
    python3|make|g++|curl) command -v "$p" >/dev/null 2>&1 || need_pkgs+=("$p") ;;
    *) dpkg -s "$p" >/dev/null 2>&1 || need_pkgs+=("$p") ;;
  esac
done
if [ ${#need_pkgs[@]} -gt 0 ]; then
  apt_update_once
  say "apt-get install ${need_pkgs[*]}"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_pkgs[@]}" >/dev/null
fi
command -v chromium >/dev/null || { say "chromium did not install" >&2; exit 1; }

# --- code-server -------------------------------------------------------------------------------------
mkdir -p "$PREFIX" "$E2E_HOME/tmp" "$E2E_HOME/debs"
export TMPDIR=$E2E_HOME/tmp

# 1) @vscode/ripgrep's postinstall looks in $TMPDIR/vscode-ripgrep-cache-<pkgver>/<asset> before downloading
#    from GitHub: put Debian's rg there under the asset name it expects.
RGCACHE=$TMPDIR/vscode-ripgrep-cache-$RG_PKG_VERSION
if [ ! -s "$RGCACHE/$RG_ASSET" ]; then
  if ! ls "$E2E_HOME"/debs/ripgrep_*.deb >/dev/null 2>&1; then
    ( cd "$E2E_HOME/debs" && { apt-get download ripgrep 2>/dev/null || { apt_update_once; apt-get download ripgrep; }; } )
  fi
  rm -rf "$E2E_HOME/debs/rgx" && dpkg-deb -x "$(ls "$E2E_HOME"/debs/ripgrep_*.deb | head -1)" "$E2E_HOME/debs/rgx"
  mkdir -p "$RGCACHE" && tar czf "$RGCACHE/$RG_ASSET" -C "$E2E_HOME/debs/rgx/usr/bin" rg
  say "pre-seeded the ripgrep download cache with Debian's rg"
fi

# 2) Fetch code-server without running its scripts (they would fail: root check, git dependency).
say "npm install code-server@$CS_VERSION into $PREFIX"
npm install --ignore-scripts --no-audit --no-fund --loglevel=error --prefix "$PREFIX" "code-server@$CS_VERSION" >/dev/null

# 3) Point the git-pinned @vscode/proxy-agent at the tarball of the same version in the npm registry
#    this machine is configured with.
REGISTRY=$(npm config get registry 2>/dev/null | sed 's#/*$##')
node - "$PREFIX/node_modules/code-server/lib/vscode/npm-shrinkwrap.json" "$REGISTRY" <<'JS'
const fs = require('fs');
const file = process.argv[2];
const registry = process.argv[3];
const d = JSON.parse(fs.readFileSync(file, 'utf8'));
const e = d.packages && d.packages['node_modules/@vscode/proxy-agent'];
if (e && /^git/.test(e.resolved || '')) {
  e.resolved = `${registry}/@vscode/proxy-agent/-/proxy-agent-${e.version}.tgz`;
  delete e.integrity;
  fs.writeFileSync(file, JSON.stringify(d, null, 2));
  console.log('[install-vscode-test-deps] patched @vscode/proxy-agent ->', e.resolved);
}
JS

# 4) Run every install script now: argon2, then code-server's postinstall (npm install in lib/vscode and its
#    extensions, building node-pty, spdlog, kerberos, native-watchdog ... from source).
if [ -f /usr/include/node/node.h ]; then export npm_config_nodedir=/usr; fi
say "building code-server's native modules (about 1-2 minutes)"
( cd "$PREFIX" && npm_config_unsafe_perm=true npm rebuild --foreground-scripts --loglevel=error > "$E2E_HOME/install.log" 2>&1 ) || {
  say "npm rebuild failed; the last lines of $E2E_HOME/install.log:" >&2; tail -n 40 "$E2E_HOME/install.log" >&2; exit 1; }

# 5) Check it starts, with its state kept out of $HOME.
version=$(XDG_CONFIG_HOME=$TMPDIR/xdg-config XDG_DATA_HOME=$TMPDIR/xdg-data "$CS_BIN" --version 2>/dev/null | tail -n 1)
case "$version" in
  "$CS_VERSION "*) ;;
  *) say "code-server --version printed '$version', expected $CS_VERSION" >&2; exit 1 ;;
esac
echo "code-server $CS_VERSION" > "$MARKER"
say "installed: chromium $(chromium --version 2>/dev/null | awk '{print $2}'), code-server $version"
