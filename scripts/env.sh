# Sourced by the scripts: shared settings.
# The build cache lives outside the clone, so a fresh clone (as in CI) reuses earlier builds.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/smart-banner-hub/target}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
