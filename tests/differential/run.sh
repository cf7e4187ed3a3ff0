#!/usr/bin/env bash
# Differential test: generated authorization worlds decided by keyward and by
# @cloud-copilot/iam-simulate (an independent evaluator), compared case by case. iam-simulate is
# AGPL: it is installed at test time into a scratch folder ($KEYWARD_DIFF_CACHE, default
# ~/.cache/keyward-diff) and runs as a separate node process; nothing of it is vendored. Exits 1
# on any unexplained disagreement (DIFFERENTIAL.md lists the explained ones).
# Usage: tests/differential/run.sh [--cases N] [--seed S] [--save DIR]
set -euo pipefail
cd "$(dirname "$0")/../.."
VERSION=0.1.173
CACHE=${KEYWARD_DIFF_CACHE:-$HOME/.cache/keyward-diff}
command -v node >/dev/null || { echo "differential: node is required"; exit 2; }
if [ ! -f "$CACHE/node_modules/@cloud-copilot/iam-simulate/package.json" ] ||
   ! grep -q "\"version\": \"$VERSION\"" "$CACHE/node_modules/@cloud-copilot/iam-simulate/package.json"; then
  mkdir -p "$CACHE"
  [ -f "$CACHE/package.json" ] || echo '{"name":"keyward-diff-scratch","private":true}' > "$CACHE/package.json"
  (cd "$CACHE" && npm install --no-audit --no-fund --loglevel=error "@cloud-copilot/iam-simulate@$VERSION")
fi
cargo build --release --locked -p keyward-testing --bin keyward-diff
IAM_SIMULATE_DIR=$CACHE exec ./target/release/keyward-diff \
  --node-script tests/differential/simulate.mjs "$@"
