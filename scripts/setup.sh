#!/usr/bin/env bash
# Installs everything the demo and the tests need on a fresh Debian machine: system packages, the
# wasm32-wasip2 Rust target and the browser-test driver. Safe to run again, because it skips what is present.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages:
#   nasm          openh264's assembly (without it encoding is about 2.5x slower)
#   libclang-dev  bindgen, used by minimp4-sys to generate its bindings
#   ffmpeg        ffprobe and ffmpeg check the videos in the tests
#   chromium      plays the videos in the browser tests
#   redis-server  the store of the edge pipeline's tests, started by the test harness
#   nodejs, npm   run playwright-core, which drives Chromium (only when `node` or `npm` is missing,
#                 since a Node.js from another source may already provide them)
packages=(nasm libclang-dev clang ffmpeg chromium redis-server)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
command -v node >/dev/null || missing+=(nodejs)
command -v npm >/dev/null || missing+=(npm)
if [[ ${#missing[@]} -gt 0 ]]; then
  echo "setup: installing ${missing[*]}" >&2
  sudo_cmd=()
  [[ $(id -u) -eq 0 ]] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

for component in rustfmt clippy; do
  if ! rustup component list --installed | grep -q "^$component"; then
    echo "setup: adding the $component Rust component" >&2
    rustup component add "$component"
  fi
done

if ! rustup target list --installed | grep -qx wasm32-wasip2; then
  echo "setup: adding the wasm32-wasip2 Rust target" >&2
  rustup target add wasm32-wasip2
fi

node_major=$(node --version | sed -E 's/^v([0-9]+).*/\1/')
if [[ "$node_major" -lt 20 ]]; then
  echo "setup: Node.js $(node --version) is too old; the browser tests need Node.js 20 or newer" >&2
  exit 1
fi

if [[ ! -d tests/browser/node_modules/playwright-core ]]; then
  echo "setup: installing playwright-core for the browser tests" >&2
  (cd tests/browser && npm ci --no-audit --no-fund --loglevel=error) >&2
fi
