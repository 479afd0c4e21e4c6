#!/usr/bin/env bash
# dev.sh - set up, build and use concsim on a Debian 12 machine.
#
#   bash scripts/dev.sh demo    install what is missing, build, run the
#                               flagship comparison (table + plots in
#                               results/flagship/)
#   bash scripts/dev.sh test    install what is missing, build, run every test;
#                               then an MPI build (OpenMPI) in build-mpi
#                               whose test compares mpirun -np 2 with -j1,
#                               then the fault-injection walk in
#                               build-faults (-DCONCSIM_FAULTS=ON: every
#                               allocation and output step of a small run
#                               and sweep made to fail in turn), then the
#                               whole suite again under ASan and UBSan
#                               (leaks checked) in build-asan
#   bash scripts/dev.sh build   install what is missing and build
#
# Environment: BUILD_DIR (default build), CONCSIM_SANITIZE (sanitizers of
# the second test pass in build-asan, default address,undefined; "none"
# skips it), JOBS (default: cores), MPI_BUILD_DIR (default build-mpi).
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(build-essential cmake pkg-config libgsl-dev libyaml-dev
          libcriterion-dev gnuplot-nox python3)
MPI_PACKAGES=(libopenmpi-dev openmpi-bin)
TEST_PACKAGES=(valgrind clang-format chromium man-db groff-base python3-jsonschema
               python3-yaml)
JOBS=${JOBS:-$(nproc)}
BUILD_DIR=${BUILD_DIR:-build}
MPI_BUILD_DIR=${MPI_BUILD_DIR:-build-mpi}

# shellcheck source=scripts/install-missing.sh
source scripts/install-missing.sh

build() {
  local dir=$1; shift
  cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
  cmake --build "$dir" -j "$JOBS"
}

case "${1:-}" in
  build)
    install_missing "${PACKAGES[@]}"
    build "$BUILD_DIR"
    ;;
  demo)
    install_missing "${PACKAGES[@]}"
    build "$BUILD_DIR"
    out=results/flagship
    "$BUILD_DIR"/concsim run scenarios/flagship.yaml -o "$out" --format table
    if "$BUILD_DIR"/concsim help plot >/dev/null 2>&1; then
      "$BUILD_DIR"/concsim plot "$out"
    fi
    echo "results in $out/"
    ;;
  test)
    install_missing "${PACKAGES[@]}" "${MPI_PACKAGES[@]}" "${TEST_PACKAGES[@]}"
    build "$BUILD_DIR"
    ctest --test-dir "$BUILD_DIR" --output-on-failure -j "$JOBS"
    # MPI: only the binary and its one test (mpirun -np 2 == one process)
    cmake -S . -B "$MPI_BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DCONCSIM_MPI=ON -DCONCSIM_TESTS=OFF >/dev/null
    cmake --build "$MPI_BUILD_DIR" -j "$JOBS" --target concsim
    ctest --test-dir "$MPI_BUILD_DIR" --output-on-failure
    # fault injection: the binary and its walk only
    cmake -S . -B build-faults -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DCONCSIM_FAULTS=ON -DCONCSIM_TESTS=OFF >/dev/null
    cmake --build build-faults -j "$JOBS" --target concsim
    ctest --test-dir build-faults --output-on-failure
    # the whole suite under sanitizers: any report fails its test
    san=${CONCSIM_SANITIZE:-address,undefined}
    if [ "$san" != none ]; then
      build build-asan -DCONCSIM_SANITIZE="$san"
      ASAN_OPTIONS=detect_leaks=1 \
      UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
        ctest --test-dir build-asan --output-on-failure -j "$JOBS"
    fi
    ;;
  *)
    sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
    ;;
esac
