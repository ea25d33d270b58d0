#!/usr/bin/env bash
# Starts the whole stack locally and prints its URL: redis-server on a free loopback port, the Spin
# app (with `spin up` when a spin CLI is on PATH, otherwise the project's devhost) and a pool of render
# workers, which also send scheduled e-cards through the dispatch endpoint. Ctrl-C stops everything
# it started.
#
# Settings (environment):
#   SBH_STORAGE_KEY  storage key, ID:HEX64 (default: a random key for this run only, so orders
#                    do not survive a restart)
#   SBH_PORT         HTTP port on 127.0.0.1 (default: a free one)
#   SBH_WORKERS      render worker threads (default: one per core)
#   SPIN_VARIABLE_*  any Spin variable of spin.toml, such as SPIN_VARIABLE_MAIL_API_BASE and
#                    SPIN_VARIABLE_MAIL_API_TOKEN to send e-card mail (default: no mail is sent)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
scripts/setup.sh

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

echo "stack: building the components, devhost and render-worker" >&2
cargo build --locked --release --target wasm32-wasip2 "${component_build_args[@]}" >&2
cargo build --locked --release -p render-worker -p devhost >&2

redis_port=$(free_port)
http_port=${SBH_PORT:-$(free_port)}
storage_key=${SBH_STORAGE_KEY:-1:$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')}
# The render workers call the ecards dispatch endpoint with this secret to send scheduled e-cards.
dispatch_secret=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
redis_url="redis://127.0.0.1:$redis_port"

pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

redis-server --bind 127.0.0.1 --port "$redis_port" --save '' --appendonly no >/dev/null &
pids+=($!)

export SPIN_VARIABLE_REDIS_URL="$redis_url"
export SPIN_VARIABLE_REDIS_HOST="127.0.0.1:$redis_port"
export SPIN_VARIABLE_STORAGE_KEY="$storage_key"
export SPIN_VARIABLE_DISPATCH_SECRET="$dispatch_secret"
# Links in e-card mail (pixel, view in browser) lead back to this stack unless set otherwise.
export SPIN_VARIABLE_SITE_BASE_URL="${SPIN_VARIABLE_SITE_BASE_URL:-http://127.0.0.1:$http_port}"
if command -v spin >/dev/null; then
  # spin reads the components from target/, so copy them there from the shared build cache.
  mkdir -p target/wasm32-wasip2/release
  for file in "${component_wasm_files[@]}"; do
    cp "$CARGO_TARGET_DIR/wasm32-wasip2/release/$file" target/wasm32-wasip2/release/
  done
  spin up --listen "127.0.0.1:$http_port" &
else
  "$CARGO_TARGET_DIR/release/devhost" --manifest spin.toml --listen "127.0.0.1:$http_port" \
    --wasm-dir "$CARGO_TARGET_DIR/wasm32-wasip2/release" &
fi
pids+=($!)

worker_args=()
[[ -n "${SBH_WORKERS:-}" ]] && worker_args=(--workers "$SBH_WORKERS")
REDIS_URL="$redis_url" SBH_STORAGE_KEY="$storage_key" SBH_DISPATCH_SECRET="$dispatch_secret" \
  SBH_DISPATCH_URL="http://127.0.0.1:$http_port/api/ecards/dispatch" \
  "$CARGO_TARGET_DIR/release/render-worker" serve "${worker_args[@]}" &
pids+=($!)

echo "Smart Banner Hub is running at http://127.0.0.1:$http_port (Redis at $redis_url). Ctrl-C stops it."
wait -n "${pids[@]}"
