#!/usr/bin/env bash
# Builds the in-browser verifier's WebAssembly module into
# src/bin/hookwarden/page/ (inside the published package), which
# `hookwarden listen` embeds. Paths are remapped so that the output does not
# depend on where the repository or the cargo registry live.
set -euo pipefail
cd "$(dirname "$0")"
rustup target add wasm32-unknown-unknown >/dev/null 2>&1 || true
root="$(cd .. && pwd)"
export RUSTFLAGS="--remap-path-prefix=${root}=/hookwarden --remap-path-prefix=${CARGO_HOME:-$HOME/.cargo}=/cargo"
cargo build --release --target wasm32-unknown-unknown --quiet
out=../src/bin/hookwarden/page/hookwarden_web.wasm
cp "${CARGO_TARGET_DIR:-target}/wasm32-unknown-unknown/release/hookwarden_web.wasm" "$out"
echo "src/bin/hookwarden/page/hookwarden_web.wasm: $(wc -c < "$out") bytes"
