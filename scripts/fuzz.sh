#!/usr/bin/env bash
# fuzz.sh - fuzz the scenario loader and the trace reader with libFuzzer.
#
#   bash scripts/fuzz.sh [SECONDS]    build build-fuzz (clang) and run both
#                                     targets in parallel, niced, for
#                                     SECONDS of wall time each (default
#                                     1800)
#
# Each target starts from its seed corpus tests/fuzz/corpus/TARGET and
# grows a working corpus in build-fuzz/work/TARGET. A crash, leak,
# sanitizer report or timeout (> TIMEOUT s, default 3) stops libFuzzer;
# the input goes to build-fuzz/crashes/TARGET/ and fuzzing resumes until
# the time is used up. Copy a crash into tests/fuzz/corpus/TARGET/ once it
# is fixed: ctest replays that folder in every build. Logs (with the
# executions count) are in build-fuzz/logs/.
# Environment: CC (default clang-14 or clang), TIMEOUT, TARGETS (default
# "scenario trace").
set -euo pipefail
cd "$(dirname "$0")/.."

SECONDS_EACH=${1:-1800}
TIMEOUT=${TIMEOUT:-3}
CC=${CC:-$(command -v clang-14 || command -v clang)}
TARGETS=${TARGETS:-scenario trace}
B=build-fuzz

cmake -S . -B "$B" -DCMAKE_C_COMPILER="$CC" -DCONCSIM_FUZZ=ON \
  -DCONCSIM_TESTS=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$B" -j 2 --target fuzz_scenario fuzz_trace >/dev/null

fuzz_one() {
  local t=$1 dict=$2 maxlen=$3
  local work=$B/work/$t crashes=$B/crashes/$t log=$B/logs/$t.log
  mkdir -p "$work" "$crashes" "$B/logs" "$B/run"
  cp tests/fuzz/files/* "$B/run/" # what `file:` keys may name
  local end=$(($(date +%s) + SECONDS_EACH)) round=0
  [ -s "$log" ] && mv "$log" "$log.$(date +%s)" # keep earlier runs' stats
  while [ "$(date +%s)" -lt "$end" ]; do
    round=$((round + 1))
    echo "== round $round $(date -Is)" >>"$log"
    # run in a folder of our own: relative file names in inputs find only
    # tests/fuzz/files (trace.csv, samples.csv)
    (cd "$B/run" && nice -n 10 "../fuzz_$t" -dict="../../tests/fuzz/$dict" \
      -max_len="$maxlen" -timeout="$TIMEOUT" -rss_limit_mb=2048 \
      -malloc_limit_mb=1024 -report_slow_units=1 -print_final_stats=1 \
      -max_total_time=$((end - $(date +%s))) \
      -artifact_prefix="../crashes/$t/" \
      "../work/$t" "../../tests/fuzz/corpus/$t") >>"$log" 2>&1 || true
  done
  grep -h "stat::number_of_executed_units" "$log" |
    awk -v t="$t" '{n += $2} END {print t ": " n " executions"}'
}

for t in $TARGETS; do
  case $t in
    scenario) fuzz_one scenario yaml.dict 16384 & ;;
    trace) fuzz_one trace trace.dict 4096 & ;;
    *) echo "unknown target $t" >&2; exit 2 ;;
  esac
done
wait
ls "$B"/crashes/*/ 2>/dev/null || true
