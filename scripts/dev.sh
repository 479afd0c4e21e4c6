#!/usr/bin/env bash
# dev.sh - set up, build and use concsim on a Debian 12 machine.
#
#   bash scripts/dev.sh demo    install what is missing, build, run the
#                               flagship comparison (table + plots in
#                               results/flagship/)
#   bash scripts/dev.sh test    install what is missing, build, run every test
#   bash scripts/dev.sh build   install what is missing and build
#
# Environment: BUILD_DIR (default build), CONCSIM_SANITIZE (e.g.
# address,undefined: a sanitizer build in build-asan), JOBS (default: cores).
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(build-essential cmake pkg-config libgsl-dev libyaml-dev
          libcriterion-dev gnuplot-nox python3)
JOBS=${JOBS:-$(nproc)}
BUILD_DIR=${BUILD_DIR:-build}

install_missing() {
  local missing=()
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
      missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "installing: ${missing[*]}" >&2
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

build() {
  local dir=$1; shift
  cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
  cmake --build "$dir" -j "$JOBS"
}

case "${1:-}" in
  build)
    install_missing
    build "$BUILD_DIR"
    ;;
  demo)
    install_missing
    build "$BUILD_DIR"
    out=results/flagship
    "$BUILD_DIR"/concsim run scenarios/flagship.yaml -o "$out" --format table
    if "$BUILD_DIR"/concsim help plot >/dev/null 2>&1; then
      "$BUILD_DIR"/concsim plot "$out"
    fi
    echo "results in $out/"
    ;;
  test)
    install_missing
    build "$BUILD_DIR"
    ctest --test-dir "$BUILD_DIR" --output-on-failure -j "$JOBS"
    ;;
  *)
    sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
    ;;
esac
