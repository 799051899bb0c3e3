# Sourced by the project's scripts: where builds, tools and the test venv live.
# Everything heavy is kept outside the clone so a fresh clone (CI) reuses it.
if [ -z "${LIFELINE_CACHE:-}" ]; then
  if [ -w /var/cache ] || [ "$(id -u)" = 0 ]; then LIFELINE_CACHE=/var/cache/lifeline; else LIFELINE_CACHE="$HOME/.cache/lifeline"; fi
fi
export LIFELINE_CACHE
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$LIFELINE_CACHE/target}"
# CI builds each commit once from its own clone: cargo's incremental cache would only take disk there.
[ "${CI:-}" = true ] && export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"
export LIFELINE_VENV="${LIFELINE_VENV:-$LIFELINE_CACHE/venv}"
export LIFELINE_TOOLS="$LIFELINE_CACHE/tools"
export LIFELINE_LAB_DIR="${LIFELINE_LAB_DIR:-/tmp/lifeline-lab}"
export PATH="$LIFELINE_TOOLS/bin:$HOME/.cargo/bin:$PATH"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export ROOT
# The release app binary built with the bundled UI and the `lab` feature (scripts/build-app), used by the app
# tests and run-app. What ships (scripts/build-app --bundles) is built without that feature.
export LIFELINE_APP="${LIFELINE_APP:-$CARGO_TARGET_DIR/release/lifeline-lab}"
export LIFELINE_HEADLESS="${LIFELINE_HEADLESS:-$CARGO_TARGET_DIR/debug/lifeline-headless}"
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
