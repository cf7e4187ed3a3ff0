#!/usr/bin/env bash
# Makes `cargo build --target wasm32-unknown-unknown` work on a fresh Debian machine with
# rustup's Rust, reaching only crates.io and Debian's packages. Prints the cargo to use.
#
# Route 1: rustup's own wasm32 target (where rustup's download server answers).
# Route 2: Debian's rustc-web + rust-web-src: build std for wasm32 once with -Zbuild-std and
#          install it into Debian's sysroot; that cargo/rustc then builds keyward-core for wasm32.
set -euo pipefail
if rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown \
   || timeout 300 rustup target add wasm32-unknown-unknown >/dev/null 2>&1; then
  command -v cargo
  exit 0
fi
echo "rustup could not add wasm32-unknown-unknown; using Debian's rustc-web" >&2
SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >&2
$SUDO apt-get install -y -qq --no-install-recommends rustc-web cargo-web rust-web-src >&2
SYSROOT=$(/usr/bin/rustc --print sysroot)
WLIB=$SYSROOT/lib/rustlib/wasm32-unknown-unknown/lib
if [ -z "$(ls "$WLIB" 2>/dev/null)" ]; then
  W=$(mktemp -d); mkdir -p "$W/src"; echo '#![no_std]' > "$W/src/lib.rs"
  printf '[package]\nname = "stdbuild"\nversion = "0.0.0"\nedition = "2021"\n[profile.release]\npanic = "abort"\n' > "$W/Cargo.toml"
  ( cd "$W" && RUSTC=/usr/bin/rustc RUSTC_BOOTSTRAP=1 /usr/bin/cargo build -q \
      -Zbuild-std=std,panic_abort --target wasm32-unknown-unknown --release ) >&2
  $SUDO install -d "$WLIB"
  $SUDO cp "$W"/target/wasm32-unknown-unknown/release/deps/*.rlib "$WLIB"/
fi
echo /usr/bin/cargo
