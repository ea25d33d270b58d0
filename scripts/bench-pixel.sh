#!/usr/bin/env bash
# Runs the tracking-pixel benchmark (e2e/examples/bench_pixel.rs): redis-server and the devhost on
# loopback, one e-card, then many keep-alive clients on /t/{token}.gif for a fixed time.
# Arguments go to the benchmark: --connections N (default 32), --seconds N (default 10),
# --pixel stored|unknown|malformed (default stored).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
scripts/setup.sh
cargo build --locked --release --target wasm32-wasip2 "${component_build_args[@]}"
cargo build --locked --release -p devhost
export SBH_DEVHOST_BIN="$CARGO_TARGET_DIR/release/devhost"
export SBH_WASM_DIR="$CARGO_TARGET_DIR/wasm32-wasip2/release"
# The devhost's per-request log lines go to stderr, which is dropped here as in bench-edge.sh.
cargo run --locked --release -p e2e --example bench_pixel -- "$@" 2>/dev/null
