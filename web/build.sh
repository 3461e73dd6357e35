#!/usr/bin/env bash
# Builds the in-browser verifier's WebAssembly module into web/dist/, which
# `hookwarden listen` embeds. Paths are remapped so that the output does not
# depend on where the repository or the cargo registry live.
set -euo pipefail
cd "$(dirname "$0")"
rustup target add wasm32-unknown-unknown >/dev/null 2>&1 || true
root="$(cd .. && pwd)"
export RUSTFLAGS="--remap-path-prefix=${root}=/hookwarden --remap-path-prefix=${CARGO_HOME:-$HOME/.cargo}=/cargo"
cargo build --release --target wasm32-unknown-unknown --quiet
mkdir -p dist
cp target/wasm32-unknown-unknown/release/hookwarden_web.wasm dist/hookwarden_web.wasm
echo "web/dist/hookwarden_web.wasm: $(wc -c < dist/hookwarden_web.wasm) bytes"
