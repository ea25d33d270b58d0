# Sourced by the scripts: shared settings.
# The build cache lives outside the clone, so a fresh clone (as in CI) reuses earlier builds.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/smart-banner-hub/target}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

# Cargo names a workspace crate's build by its path inside the workspace, not by the checkout's
# location, so two checkouts share builds in this cache. It then judges freshness by comparing file
# times with the last build, which may have come from the other checkout. When the cache was last used
# by another checkout, touching this checkout's files makes cargo rebuild the workspace crates from
# them; dependencies stay cached.
mkdir -p "$CARGO_TARGET_DIR"
checkout_marker="$CARGO_TARGET_DIR/.last-checkout"
if [[ "$(cat "$checkout_marker" 2>/dev/null)" != "$PWD" ]]; then
  git ls-files -z 2>/dev/null | xargs -0 -r touch -c || true
  printf '%s' "$PWD" > "$checkout_marker"
fi

# The cargo packages of the components spin.toml lists. devhost and spin load every component of the
# manifest, so each script that starts the app builds all of them.
component_packages=(portrait orders site ecards-component text-studio banners-component)
component_build_args=()
component_wasm_files=()
for package in "${component_packages[@]}"; do
  component_build_args+=(-p "$package")
  component_wasm_files+=("${package//-/_}.wasm")
done
