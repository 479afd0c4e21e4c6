#!/usr/bin/env bash
# valgrind.sh BIN SRC - the concsim binary under valgrind's memcheck.
#
# Runs every scenario of SRC/scenarios (shortened: 2 s after 200 ms of
# warm-up, 2 replications on 2 threads, with -o and --timeseries so that
# the writers run too), then check, trace, a small sweep and a
# small fit. Any invalid
# read or write, use of uninitialised memory, definite or indirect leak,
# or a non-zero exit status fails the test. ctest runs it (valgrind_cli)
# in builds without sanitizers when valgrind is installed; it takes about
# 45 s.
set -uo pipefail
bin=$1
src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
vg=(valgrind -q --error-exitcode=99 --leak-check=full
    --errors-for-leak-kinds=definite,indirect)
short=(--set duration=2s --set warmup=200ms --replications 2 -j 2)
fail=0

check() { # NAME CMD...: runs CMD, notes a failure
  local name=$1
  shift
  "$@" >"$tmp/out" 2>&1
  local rc=$?
  if [ $rc -ne 0 ]; then
    echo "FAIL ($rc): $name"
    cat "$tmp/out"
    fail=1
  else
    echo "ok: $name"
  fi
}

for s in "$src"/scenarios/*.yaml; do
  n=$(basename "$s" .yaml)
  check "run $n" "${vg[@]}" "$bin" run "$s" -q --format csv "${short[@]}" \
    -o "$tmp/$n" --timeseries 100ms
done
check "check flagship" "${vg[@]}" "$bin" check "$src/scenarios/flagship.yaml"
check "trace flagship" "${vg[@]}" "$bin" trace \
  "$src/scenarios/flagship.yaml" --set duration=1s -o "$tmp/trace.csv"
check "sweep gil-convoy" "${vg[@]}" "$bin" sweep \
  "$src/scenarios/gil-convoy.yaml" -q --set duration=500ms \
  --set warmup=100ms --replications 2 -j 2 -o "$tmp/sweep"
# fit: the bench scenario's two unknowns from a short sweep of itself
sed -e 's/mean: fit }/mean: 2ms }/' -e 's/{ fit: \[10us, 1ms\] }/100us/' \
  "$src/tests/bench/fit.yaml" > "$tmp/fit-truth.yaml"
"$bin" sweep "$tmp/fit-truth.yaml" -q --set duration=2s --replications 2 \
  --param workload.arrivals.rate=100/s,200/s,300/s -o "$tmp/fit-sw" \
  --format csv > /dev/null
check "fit bench" "${vg[@]}" "$bin" fit "$src/tests/bench/fit.yaml" \
  "$tmp/fit-sw/results.csv" -q --set duration=2s --replications 2 -j 2 \
  --format json -o "$tmp/fitted.yaml"
exit $fail
