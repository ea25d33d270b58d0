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

step "wasm32-wasip2 build of the Spin components and the libraries they use"
cargo build --locked --release --target wasm32-wasip2 -p strokes -p animation -p store -p ecards -p banners -p rate-limit \
  -p lettering -p order-intake "${component_build_args[@]}"

step "release build"
cargo build --locked --release -p render-worker -p devhost
# openh264-sys2 falls back to plain C without saying so outside target/; fail loudly instead.
if grep -l -E "not using any assembly|NASM compilation disabled" "$CARGO_TARGET_DIR"/release/build/openh264-sys2-*/output 2>/dev/null; then
  echo "openh264 was built without its assembly; install nasm and run: cargo clean -p openh264-sys2" >&2
  exit 1
fi

step "Rust tests"
# The end-to-end tests start devhost, the components and workers from these paths.
export SBH_DEVHOST_BIN="$CARGO_TARGET_DIR/release/devhost"
export SBH_WASM_DIR="$CARGO_TARGET_DIR/wasm32-wasip2/release"
export RENDER_WORKER_BIN="$CARGO_TARGET_DIR/release/render-worker"
cargo test --locked --workspace --release

step "browser tests (headless Chromium)"
node --test --test-reporter=spec tests/browser/
