#!/usr/bin/env bash
# fuzz.sh - fuzz the scenario loader, the trace reader, the readers of
# measured points (`concsim fit`), the results-folder reader (merge,
# plot, --resume) and the reader behind `concsim report` with libFuzzer.
#
#   bash scripts/fuzz.sh [SECONDS]    build build-fuzz (clang) and run the
#                                     targets in parallel, niced, for
#                                     SECONDS of wall time each (default
#                                     1800)
#   bash scripts/fuzz.sh merge        replace the unnamed inputs of
#                                     tests/fuzz/corpus/TARGET with the
#                                     smallest set of corpus + work inputs
#                                     that covers as much (libFuzzer
#                                     -merge=1); seed-* and regress-* stay
#
# Each target starts from its seed corpus tests/fuzz/corpus/TARGET and
# grows a working corpus in build-fuzz/work/TARGET. A crash, leak,
# sanitizer report or timeout (> TIMEOUT s, default 3) stops libFuzzer;
# the input goes to build-fuzz/crashes/TARGET/ and fuzzing resumes until
# the time is used up. Copy a crash into tests/fuzz/corpus/TARGET/ once it
# is fixed: ctest replays that folder in every build. Logs (with the
# executions count) are in build-fuzz/logs/.
# Environment: CC (default clang-14 or clang), TIMEOUT, TARGETS (default
# "scenario trace measured folder report").
set -euo pipefail
cd "$(dirname "$0")/.."

MODE=fuzz
if [ "${1:-}" = merge ]; then
  MODE=merge
  shift
fi
SECONDS_EACH=${1:-1800}
TIMEOUT=${TIMEOUT:-3}
CC=${CC:-$(command -v clang-14 || command -v clang)}
TARGETS=${TARGETS:-scenario trace measured folder report}
B=build-fuzz

cmake -S . -B "$B" -DCMAKE_C_COMPILER="$CC" -DCONCSIM_FUZZ=ON \
  -DCONCSIM_TESTS=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$B" -j 2 --target fuzz_scenario fuzz_trace fuzz_measured \
  fuzz_folder fuzz_report >/dev/null

merge_one() {
  local t=$1 corpus=tests/fuzz/corpus/$1 new=$B/merged/$1
  rm -rf "$new"
  mkdir -p "$new" "$B/work/$t"
  (cd "$B/run" && "../fuzz_$t" -merge=1 "../merged/$t" "../../$corpus" \
    "../work/$t") >"$B/logs/merge-$t.log" 2>&1
  # named inputs stay under their names; drop their copies by hash
  for f in "$corpus"/seed-* "$corpus"/regress-*; do
    [ -e "$f" ] && rm -f "$new/$(sha1sum <"$f" | cut -c1-40)"
  done
  find "$corpus" -maxdepth 1 -type f ! -name 'seed-*' ! -name 'regress-*' \
    -delete
  cp "$new"/* "$corpus"/ 2>/dev/null || true
  echo "$t: $(ls "$corpus" | wc -l) inputs in $corpus"
}

fuzz_one() {
  local t=$1 dict=$2 maxlen=$3 extra=${4:-}
  local work=$B/work/$t crashes=$B/crashes/$t log=$B/logs/$t.log
  mkdir -p "$work" "$crashes" "$B/logs"
  local end=$(($(date +%s) + SECONDS_EACH)) round=0
  [ -s "$log" ] && mv "$log" "$log.$(date +%s)" # keep earlier runs' stats
  while [ "$(date +%s)" -lt "$end" ]; do
    round=$((round + 1))
    echo "== round $round $(date -Is)" >>"$log"
    # run in a folder of our own: relative file names in inputs find only
    # tests/fuzz/files (trace.csv, samples.csv)
    (cd "$B/run" && nice -n 10 "../fuzz_$t" -dict="../../tests/fuzz/$dict" \
      -max_len="$maxlen" -timeout="$TIMEOUT" -rss_limit_mb=2048 $extra \
      -malloc_limit_mb=1024 -report_slow_units=1 -print_final_stats=1 \
      -max_total_time=$((end - $(date +%s))) \
      -artifact_prefix="../crashes/$t/" \
      "../work/$t" "../../tests/fuzz/corpus/$t") >>"$log" 2>&1 || true
  done
  grep -h "stat::number_of_executed_units" "$log" |
    awk -v t="$t" '{n += $2} END {print t ": " n " executions"}'
}

# what `file:` keys may name, copied once: fuzzing starts the targets
# together, and two copies racing into one folder fail ("File exists")
mkdir -p "$B/run"
cp tests/fuzz/files/* "$B/run/"
if [ "$MODE" = merge ]; then
  mkdir -p "$B/logs"
  for t in $TARGETS; do
    merge_one "$t"
  done
  exit 0
fi
for t in $TARGETS; do
  case $t in
    scenario) fuzz_one scenario yaml.dict 16384 & ;;
    trace) fuzz_one trace trace.dict 4096 & ;;
    measured) fuzz_one measured measured.dict 8192 & ;;
    folder) fuzz_one folder yaml.dict 16384 & ;;
    # report prints its refusals with cli_error: libFuzzer keeps its own
    # and the sanitizers' reports on a copy of stderr
    report) fuzz_one report report.dict 32768 -close_fd_mask=2 & ;;
    *) echo "unknown target $t" >&2; exit 2 ;;
  esac
done
wait
ls "$B"/crashes/*/ 2>/dev/null || true
