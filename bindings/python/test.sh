#!/usr/bin/env bash
# Builds the keyward wheel and tests it from a clean venv:
#   1. a fresh venv (deleted afterwards unless KEYWARD_PY_VENV names one to keep);
#   2. maturin and pytest from PyPI, as wheels;
#   3. `maturin build` of bindings/python (abi3 wheel, CPython 3.9+) into target/wheels;
#   4. pip install of that wheel (no source on sys.path: the tests import the installed copy);
#   5. pytest bindings/python/tests (API, KMS, CloudTrail, the pytest plugin via pytester).
# KEYWARD_PY_PROFILE=dev builds unoptimized (faster to compile; the default is release).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
PROFILE=${KEYWARD_PY_PROFILE:-release}
WHEELS="$CARGO_TARGET_DIR/wheels"

if [ -n "${KEYWARD_PY_VENV:-}" ]; then
  VENV=$KEYWARD_PY_VENV; rm -rf "$VENV"
else
  TMP=$(mktemp -d); VENV="$TMP/venv"; trap 'rm -rf "$TMP"' EXIT
fi
python3 -m venv "$VENV"
"$VENV/bin/pip" install -q --only-binary=:all: "maturin>=1.5,<2" "pytest>=7"

rm -f "$WHEELS"/keyward-*.whl
"$VENV/bin/maturin" build --locked --profile "$PROFILE" -m "$HERE/Cargo.toml" \
  -i "$VENV/bin/python" -o "$WHEELS"
WHEEL=$(ls "$WHEELS"/keyward-*.whl)
echo "wheel: $WHEEL ($(du -h "$WHEEL" | cut -f1))"
"$VENV/bin/pip" install -q --no-deps "$WHEEL"

cd "$HERE/tests"
KEYWARD_ROOT="$ROOT" "$VENV/bin/python" -m pytest -q -p no:cacheprovider "$@"
