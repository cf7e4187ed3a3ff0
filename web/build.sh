#!/usr/bin/env bash
# Builds the keyward playground into web/dist: installs the pinned npm packages (npm ci), builds
# the WASM package with wasm/build.sh when wasm/pkg-web is missing, then runs the Vite build.
set -euo pipefail
cd "$(dirname "$0")"

if [ ! -f ../wasm/pkg-web/package.json ] || [ "${KEYWARD_REBUILD_WASM:-}" = 1 ]; then
  echo "==> building the WASM package (wasm/build.sh)"
  ../wasm/build.sh
fi

# npm ci when node_modules is missing or older than the lock file.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "==> npm ci"
  npm ci --no-audit --no-fund
fi

echo "==> vite build"
npx --no-install vite build --logLevel warn
du -sh dist | sed 's/^/dist: /'
