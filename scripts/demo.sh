#!/usr/bin/env bash
# Sets up the machine, then renders the sample portrait to an MP4 sketch animation and prints its path.
# Extra arguments go to `render-worker render` (for example --style pen --size 720x720).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
scripts/setup.sh

cargo build --release --locked -p render-worker
out_dir="${OUT_DIR:-$PWD/out}"
mkdir -p "$out_dir"
"$CARGO_TARGET_DIR/release/render-worker" render assets/samples/astronaut.png \
  -o "$out_dir/astronaut.mp4" --poster "$out_dir/astronaut.png" --strokes "$out_dir/astronaut.svg" "$@"
echo "MP4: $out_dir/astronaut.mp4"
