#!/usr/bin/env bash
# Sets up the machine, then runs every check: formatting, lints, the wasm build of the libraries,
# the Rust tests (unit, integration, ffprobe video checks) and the headless Chromium playback tests.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
scripts/setup.sh

step() { printf '\n== %s\n' "$*" >&2; }

step "formatting"
cargo fmt --all --check

step "lints"
cargo clippy --locked --workspace --all-targets --release -- -D warnings

step "wasm32-wasip2 build of the libraries the edge components use"
cargo build --locked --release --target wasm32-wasip2 -p strokes -p animation

step "release build"
cargo build --locked --release -p render-worker
# openh264-sys2 falls back to plain C without saying so outside target/; fail loudly instead.
if grep -l -E "not using any assembly|NASM compilation disabled" "$CARGO_TARGET_DIR"/release/build/openh264-sys2-*/output 2>/dev/null; then
  echo "openh264 was built without its assembly; install nasm and run: cargo clean -p openh264-sys2" >&2
  exit 1
fi

step "Rust tests"
cargo test --locked --workspace --release

step "browser tests (headless Chromium)"
export RENDER_WORKER_BIN="$CARGO_TARGET_DIR/release/render-worker"
node --test --test-reporter=spec tests/browser/
