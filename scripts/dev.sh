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
#                               (leaks checked) in build-asan, then the
#                               fuzzing corpora under clang's ASan and
#                               UBSan in build-clang-san
#   bash scripts/dev.sh build   install what is missing and build (with gcc
#                               >= 11 profile-guided: an instrumented build
#                               in BUILD_DIR/pgo-gen trained by
#                               scripts/pgo-train.sh, then BUILD_DIR from
#                               its profiles; demo and test build so too)
#
# Environment: BUILD_DIR (default build), CONCSIM_SANITIZE (sanitizers of
# the second test pass in build-asan, default address,undefined; "none"
# skips it), JOBS (default: cores), MPI_BUILD_DIR (default build-mpi).
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(build-essential cmake pkg-config libgsl-dev libyaml-dev
          libcriterion-dev gnuplot-nox python3)
MPI_PACKAGES=(libopenmpi-dev openmpi-bin)
TEST_PACKAGES=(valgrind clang-format clang chromium man-db groff-base
               python3-jsonschema python3-yaml)
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

# The release users get: profile-guided with gcc >= 11 (an instrumented
# concsim in DIR/pgo-gen, trained by scripts/pgo-train.sh, its profiles in
# DIR/pgo-profile, then DIR built from them), a plain build otherwise.
release() {
  local dir=$1 prof gen
  # configured once to know the compiler (not again: that would rewrite
  # the flags of every object and rebuild them all)
  [ -f "$dir/CMakeCache.txt" ] ||
    cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  # a tree configured before the PGO option existed: configure it again,
  # so that its cache says whether the compiler can
  grep -q '^CONCSIM_PGO_SUPPORTED:INTERNAL=' "$dir/CMakeCache.txt" ||
    cmake -S . -B "$dir" >/dev/null
  if ! grep -q '^CONCSIM_PGO_SUPPORTED:INTERNAL=ON' "$dir/CMakeCache.txt"; then
    echo "dev.sh: the compiler is not gcc >= 11: a plain build, without profile-guided optimisation"
    build "$dir" -DCONCSIM_PGO=
    return
  fi
  echo "dev.sh: gcc: a profile-guided build (instrumented in $dir/pgo-gen, trained by scripts/pgo-train.sh)"
  prof=$(realpath "$dir")/pgo-profile
  gen=$dir/pgo-gen
  cmake -S . -B "$gen" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_C_COMPILER="$(sed -n 's/^CMAKE_C_COMPILER:[A-Z]*=//p' "$dir/CMakeCache.txt")" \
    -DCONCSIM_PGO=generate -DCONCSIM_PGO_DIR="$(realpath "$gen")/pgo-profile" \
    -DCONCSIM_TESTS=OFF >/dev/null
  touch "$gen/pgo-begun" # sources changed after this are stale (cmake/pgo_fresh.cmake)
  cmake --build "$gen" -j "$JOBS" --target concsim
  rm -rf "$gen/pgo-profile"
  bash scripts/pgo-train.sh "$gen/concsim"
  # into $prof only the profiles that changed (a sweep's differ from run
  # to run), so that the objects of the others are not rebuilt
  mkdir -p "$prof"
  for f in "$gen"/pgo-profile/*.gcda; do
    cmp -s "$f" "$prof/${f##*/}" || cp "$f" "$prof/"
  done
  for f in "$prof"/*.gcda; do
    [ -e "$gen/pgo-profile/${f##*/}" ] || rm "$f"
  done
  touch -r "$gen/pgo-begun" "$prof/trained"
  build "$dir" -DCONCSIM_PGO=use -DCONCSIM_PGO_DIR="$prof"
}

case "${1:-}" in
  build)
    install_missing "${PACKAGES[@]}"
    release "$BUILD_DIR"
    ;;
  demo)
    install_missing "${PACKAGES[@]}"
    release "$BUILD_DIR"
    out=results/flagship
    "$BUILD_DIR"/concsim run scenarios/flagship.yaml -o "$out" --format table
    if "$BUILD_DIR"/concsim help plot >/dev/null 2>&1; then
      "$BUILD_DIR"/concsim plot "$out"
    fi
    echo "results in $out/"
    ;;
  test)
    install_missing "${PACKAGES[@]}" "${MPI_PACKAGES[@]}" "${TEST_PACKAGES[@]}"
    release "$BUILD_DIR"
    # the release is profile-guided wherever it can be (its test
    # build_kind checks that it used its profiles)
    if grep -q '^CONCSIM_PGO_SUPPORTED:INTERNAL=ON' "$BUILD_DIR/CMakeCache.txt" &&
       ! "$BUILD_DIR"/concsim --version | grep -q '^build: profile-guided'; then
      echo "dev.sh: gcc, but $BUILD_DIR is not profile-guided" >&2
      exit 1
    fi
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
      # the fuzzing corpora again under clang's sanitizers, which check
      # what gcc's do not: an offset applied to a null pointer (the
      # kernel's look-ahead did so to an event's object, which the
      # corpus's inputs reach; gcc's UBSan let it pass)
      cmake -S . -B build-clang-san -DCMAKE_C_COMPILER=clang \
        -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCONCSIM_SANITIZE="$san" >/dev/null
      cmake --build build-clang-san -j "$JOBS" --target fuzz_replays
      ASAN_OPTIONS=detect_leaks=1 \
      UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
        ctest --test-dir build-clang-san -R '^fuzz_replay_' \
          --output-on-failure -j "$JOBS"
    fi
    ;;
  *)
    sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
    ;;
esac
