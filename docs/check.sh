#!/usr/bin/env bash
# Builds the book and checks it, so the documentation cannot rot:
#   1. MkDocs + Material from PyPI (wheels) into a cached venv;
#   2. `mkdocs build --strict`: a broken link between pages, a missing anchor or a page left out
#      of the navigation fails the build;
#   3. docs/check.py: runs every ```sh title="run"``` block (each page in a fresh folder, with
#      keyward on PATH), compares ```text title="output"``` blocks, and checks that every link
#      into the repository names a file that exists.
# keyward: $KEYWARD_BIN, else the release build (built if missing or stale).
# The site goes to target/book (DOCS_SITE to change it).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
TOOLS=${KEYWARD_TOOLS:-$HOME/.cache/keyward-tools}
VENV="$TOOLS/docs-venv"
if [ ! -x "$VENV/bin/mkdocs" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --only-binary=:all: -r docs/requirements.txt
fi
SITE=${DOCS_SITE:-${CARGO_TARGET_DIR:-$ROOT/target}/book}
# (not --quiet: it hides the warnings that --strict counts, and the build would pass)
if ! NO_MKDOCS_2_WARNING=1 "$VENV/bin/mkdocs" build --strict --site-dir "$SITE" >"$SITE.log" 2>&1; then
  cat "$SITE.log"; echo "mkdocs build --strict failed"; exit 1
fi
echo "book built: $SITE/index.html"

if [ -z "${KEYWARD_BIN:-}" ]; then
  cargo build --release -p keyward-cli --locked -q
  KEYWARD_BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release/keyward"
fi
BIN_DIR=$(mktemp -d); trap 'rm -rf "$BIN_DIR"' EXIT
ln -s "$(realpath "$KEYWARD_BIN")" "$BIN_DIR/keyward"
PATH="$BIN_DIR:$PATH" python3 docs/check.py "$ROOT"
