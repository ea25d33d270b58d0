#!/usr/bin/env bash
# Runs the edge benchmark (e2e/examples/bench_edge.rs) against the whole local stack.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
scripts/setup.sh
cargo build --locked --release --target wasm32-wasip2 "${component_build_args[@]}"
cargo build --locked --release -p render-worker -p devhost
export SBH_DEVHOST_BIN="$CARGO_TARGET_DIR/release/devhost"
export SBH_WASM_DIR="$CARGO_TARGET_DIR/wasm32-wasip2/release"
export RENDER_WORKER_BIN="$CARGO_TARGET_DIR/release/render-worker"
cargo run --locked --release -p e2e --example bench_edge 2>/dev/null
