#!/usr/bin/env bash
# Builds the @keyward/wasm packages: wasm/pkg-web (--target web) and wasm/pkg-node
# (--target nodejs), each optimized with wasm-opt -Oz, and prints raw and gzipped sizes.
#
# Installs what it needs on a fresh Debian machine, into $KEYWARD_TOOLS (default
# ~/.cache/keyward-tools), skipping what is already there:
#   - the wasm32-unknown-unknown target: rustup's, or else Debian's rustc-web with std built
#     for wasm32 once (-Zbuild-std) into Debian's sysroot;
#   - wasm-bindgen-cli at exactly the wasm-bindgen version in Cargo.lock;
#   - wasm-opt from the npm package binaryen (pinned; Debian's binaryen is too old: its output
#     fails to load).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
TOOLS=${KEYWARD_TOOLS:-$HOME/.cache/keyward-tools}
BINARYEN_VERSION=132.0.0
SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
log() { echo "build.sh: $*" >&2; }

# --- 1. a cargo that builds for wasm32-unknown-unknown -----------------------------------------
WASM_CARGO=cargo
WASM_ENV=()
if rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown \
   || timeout 300 rustup target add wasm32-unknown-unknown >/dev/null 2>&1; then
  :
else
  log "rustup cannot add wasm32-unknown-unknown; using Debian's rustc-web"
  export DEBIAN_FRONTEND=noninteractive
  if ! dpkg -s rustc-web cargo-web rust-web-src >/dev/null 2>&1; then
    $SUDO apt-get update -qq >&2
    $SUDO apt-get install -y -qq --no-install-recommends rustc-web cargo-web rust-web-src >&2
    # The linker for wasm32 (rust-lld): Debian ships it as lld; take the newest one offered.
    LLD=$(apt-cache search --names-only '^lld-[0-9]+$' 2>/dev/null | awk '{print $1}' | sort -V | tail -1)
    $SUDO apt-get install -y -qq --no-install-recommends rust-web-llvm >&2 || true
    [ -n "$LLD" ] && { $SUDO apt-get install -y -qq --no-install-recommends "$LLD" >&2 || true; }
  fi
  SYSROOT=$(/usr/bin/rustc --print sysroot)
  WLIB=$SYSROOT/lib/rustlib/wasm32-unknown-unknown/lib
  STAMP=$SYSROOT/lib/rustlib/wasm32-unknown-unknown/.keyward-rustc-version
  WANT=$(/usr/bin/rustc -vV | sed -n 's/^commit-hash: //p')
  if [ "$(cat "$STAMP" 2>/dev/null)" != "$WANT" ]; then
    W=$(mktemp -d); mkdir -p "$W/src"; echo '#![no_std]' > "$W/src/lib.rs"
    printf '[package]\nname = "stdbuild"\nversion = "0.0.0"\nedition = "2021"\n[profile.release]\nopt-level = 3\ncodegen-units = 1\npanic = "abort"\n' > "$W/Cargo.toml"
    ( cd "$W" && RUSTC=/usr/bin/rustc RUSTC_BOOTSTRAP=1 RUSTFLAGS=-Cembed-bitcode=yes \
        /usr/bin/cargo build -q -Zbuild-std=std,panic_abort --target wasm32-unknown-unknown --release ) >&2
    $SUDO rm -rf "$WLIB"; $SUDO install -d "$WLIB"
    for f in "$W"/target/wasm32-unknown-unknown/release/deps/lib*.rlib; do
      case "$(basename "$f")" in libstdbuild-*) ;; *) $SUDO install -m644 "$f" "$WLIB/" ;; esac
    done
    echo "$WANT" | $SUDO tee "$STAMP" >/dev/null; rm -rf "$W"
  fi
  WASM_CARGO=/usr/bin/cargo
  WASM_ENV=(RUSTC=/usr/bin/rustc)
fi

# --- 2. wasm-bindgen-cli at the version in Cargo.lock ----------------------------------------
BINDGEN_VERSION=$(awk '/^name = "wasm-bindgen"$/ {getline; gsub(/[^0-9.]/, ""); print; exit}' Cargo.lock)
[ -n "$BINDGEN_VERSION" ] || { log "no wasm-bindgen in Cargo.lock"; exit 1; }
WASM_BINDGEN=$TOOLS/bin/wasm-bindgen
if [ "$("$WASM_BINDGEN" --version 2>/dev/null | awk '{print $2}')" != "$BINDGEN_VERSION" ]; then
  log "installing wasm-bindgen-cli $BINDGEN_VERSION into $TOOLS (a few minutes)"
  # --locked first; its lockfile can pin a crate version the registry no longer offers.
  cargo install -q wasm-bindgen-cli --version "$BINDGEN_VERSION" --locked --root "$TOOLS" --force >&2 \
    || cargo install -q wasm-bindgen-cli --version "$BINDGEN_VERSION" --root "$TOOLS" --force >&2
fi

# --- 3. wasm-opt from npm -------------------------------------------------------------------
WASM_OPT=$TOOLS/npm/node_modules/.bin/wasm-opt
if [ "$(node -p "require('$TOOLS/npm/node_modules/binaryen/package.json').version" 2>/dev/null)" != "$BINARYEN_VERSION" ]; then
  log "installing binaryen $BINARYEN_VERSION from npm into $TOOLS/npm"
  mkdir -p "$TOOLS/npm"
  [ -f "$TOOLS/npm/package.json" ] || echo '{"private":true}' > "$TOOLS/npm/package.json"
  npm install --prefix "$TOOLS/npm" --no-audit --no-fund --loglevel=error "binaryen@$BINARYEN_VERSION" >&2
fi

# --- 4. build ---------------------------------------------------------------------------------
log "cargo build --target wasm32-unknown-unknown --profile wasm -p keyward-wasm"
env "${WASM_ENV[@]}" "$WASM_CARGO" build -q --target wasm32-unknown-unknown --profile wasm -p keyward-wasm --lib
RAW=$ROOT/target/wasm32-unknown-unknown/wasm/keyward_wasm.wasm
VERSION=$(awk -F'"' '/^\[workspace.package\]/ {w=1} w && /^version/ {print $2; exit}' Cargo.toml)

for target in web nodejs; do
  case $target in
    web) OUT=wasm/pkg-web; TYPE=module; SIDE='["./keyward_wasm.js", "./snippets/*"]' ;;
    nodejs) OUT=wasm/pkg-node; TYPE=commonjs; SIDE=true ;;
  esac
  rm -rf "$OUT"
  "$WASM_BINDGEN" --target "$target" --out-dir "$OUT" "$RAW"
  "$WASM_OPT" -Oz --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
    --enable-mutable-globals --enable-reference-types --enable-multivalue \
    "$OUT/keyward_wasm_bg.wasm" -o "$OUT/keyward_wasm_bg.wasm.opt"
  mv "$OUT/keyward_wasm_bg.wasm.opt" "$OUT/keyward_wasm_bg.wasm"
  sed -e "s/@VERSION@/$VERSION/" -e "s/@TYPE@/$TYPE/" -e "s|@SIDE_EFFECTS@|$SIDE|" \
    wasm/package.template.json > "$OUT/package.json"
  cp wasm/keyward.d.ts wasm/README.md "$OUT/"
done

size() { stat -c %s "$1"; }
gz() { gzip -9 -c "$1" | wc -c; }
kb() { awk -v b="$1" 'BEGIN {printf "%.0f KB", b / 1024}'; }
W=wasm/pkg-web/keyward_wasm_bg.wasm
echo "keyward-wasm $VERSION (wasm-bindgen $BINDGEN_VERSION, binaryen $BINARYEN_VERSION)"
echo "  before wasm-opt: $(kb "$(size "$RAW")") raw, $(kb "$(gz "$RAW")") gzipped"
echo "  keyward_wasm_bg.wasm: $(kb "$(size "$W")") raw, $(kb "$(gz "$W")") gzipped"
echo "  keyward_wasm.js (web): $(kb "$(size wasm/pkg-web/keyward_wasm.js)") raw, $(kb "$(gz wasm/pkg-web/keyward_wasm.js)") gzipped"
echo "  packages: wasm/pkg-web, wasm/pkg-node"
