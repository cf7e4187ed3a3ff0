#!/usr/bin/env bash
# Runs the playground's browser tests on a fresh machine: installs Debian's Chromium when it is
# missing, builds the site (web/build.sh: npm ci, the WASM package if missing, vite build), then
# drives Chromium with playwright-core through node's test runner. Bounded in time.
set -euo pipefail
cd "$(dirname "$0")"

CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
if [ ! -x "$CHROMIUM" ]; then
  echo "==> installing Chromium (apt-get)"
  if [ "$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi
  export DEBIAN_FRONTEND=noninteractive
  timeout 900 $SUDO apt-get update -qq
  timeout 900 $SUDO apt-get install -y -qq chromium >/dev/null
fi
"$CHROMIUM" --version

timeout 1800 ./build.sh

echo "==> browser tests (playwright-core + $CHROMIUM)"
export CHROMIUM
timeout 600 node --test --test-concurrency=1 --test-reporter=spec tests/
