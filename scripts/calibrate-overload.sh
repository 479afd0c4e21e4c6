#!/usr/bin/env bash
# calibrate-overload.sh - an overloaded uvicorn, measured: what it serves
# past its knee with CPython's collector and without it, and its CPU per
# request as the requests in flight grow, to hold against the async
# model's (scenarios/gc-overload.yaml runs the same mix on the model).
#
#   bash scripts/calibrate-overload.sh   install what is missing, measure
#                                        (~3 minutes), print the figures
#
# Server: scripts/validate/py_apps.py's fastapi_app (uvicorn, uvloop and
# httptools, 1 worker) served through scripts/calibrate/gc_stats.py, pinned
# to SERVER_CPU (default core 0) at nice -20, twice: `gc` as it is, `nogc`
# with the collector off (GC_DISABLE: gc.disable()). Each request burns
# 0.5 ms of CPU then awaits a 20 ms asyncio.sleep (PATH_Q, validate-real.sh's
# `io` mix). Two measurements:
#
#   open   the open-loop Poisson client (scripts/validate/openloop.c) on
#          CLIENT_CPU, validate-real.sh's window (WARMUP 1 s not measured,
#          then DURATION 6 s): one point at LOW (900/s, below the knee: the
#          server idles between requests), then REPEATS (4) points at RATE
#          (1600/s, past the knee), each on the server the last one left
#          (with FRESH=1 each on a server started afresh, as each of the
#          model's replications starts).
#          Per point: served/s (answered inside the window), p50 and p99,
#          and the server's CPU (every thread, kernel time included) per
#          request answered. Past the knee the latter is not the CPU a
#          request costs: requests started inside the window and answered
#          after it spent CPU in it, more of them at its end than at its
#          start while their number grows (an overloaded loop runs the
#          turns of a growing backlog), so it overstates the cost;
#   closed the closed-loop client (scripts/calibrate/loadgen.c) with C in
#          CONCS (8 32 64 256 1000) connections, each one request at a
#          time: past about 32 the server is saturated with C requests in
#          flight, never idle, and the CPU per request is what a request
#          costs with that many in flight (`nogc` only: the collector's
#          cost grows with the heap, which the async model has).
#
# Measured on 2026-12-06 (09:35-09:50 UTC, the 2-vCPU VM of
# validate-real.sh): at 1600/s `gc` served 848, 1167, 1245 and 1044/s
# (p50 1.0-3.0 s), `nogc` 1378, 1552, 1553 and 1535/s; closed, 828, 790,
# 706, 643, 636 and 645 us a request with 8, 16, 32, 64, 256 and 1000 in
# flight: the CPU a request costs falls once the server no longer idles,
# and does not grow with thousands in flight. With FRESH=1 (09:50), `gc`
# served 1148, 1254, 1188, 1235, 1233, 1308, 1395 and 1244/s (median
# 1240; the model 1187 to 1324 over 8 replications): the spread above comes
# from what earlier points leave in the server (its heap, the collector's
# generations).
# Output: OUT/overload.txt (default results/calibrate). Environment:
# LOW, RATE, REPEATS, FRESH, WARMUP, DURATION, CONCS, PATH_Q, SERVER_CPU,
# CLIENT_CPU, PORT (19160), OUT.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/install-missing.sh
. scripts/install-missing.sh

LOW=${LOW:-900}
RATE=${RATE:-1600}
REPEATS=${REPEATS:-4}
FRESH=${FRESH:-0}
WARMUP=${WARMUP:-1}
DURATION=${DURATION:-6}
CONCS=${CONCS:-"8 32 64 256 1000"}
PORT=${PORT:-19160}
# shellcheck source=scripts/calibrate/gc_server.sh
. scripts/calibrate/gc_server.sh

# open_point MODE RATE: one open-loop point, one line of the table
open_point() {
  nice -n -20 taskset -c "$CLIENT_CPU" "$WORK/openloop" -p "$PORT" \
    -r "$2" -w "$WARMUP" -d "$DURATION" -m "1:$PATH_Q" -s "$SERVER_PID" \
    -L "$1" | awk -F, '{ printf "%-5s %7.0f %9.1f %9.3f %9.3f %9.0f\n",
      $1, $2, $3, $5, $7, ($3 > 0 ? 1e6 * $9 / $3 : 0) }'
}

main() {
  install_missing "${PACKAGES[@]}"
  mkdir -p "$OUT"
  WORK=$(mktemp -d)
  gcc -O2 -Wall -o "$WORK/openloop" scripts/validate/openloop.c -lm
  gcc -O2 -Wall -o "$WORK/loadgen" scripts/calibrate/loadgen.c -lm
  export GC_STATS=$WORK/gc.jsonl
  local mode c got
  : >"$OUT/overload.txt"
  # the lines of the table, on stdout and into OUT/overload.txt (in this
  # shell, not a pipeline's: the EXIT trap must see the server's PID)
  line() { echo "$*" | tee -a "$OUT/overload.txt"; }
  line "# open loop: WARMUP ${WARMUP} s, then DURATION ${DURATION} s measured"
  line "# mode  rate/s  served/s     p50 s     p99 s  cpu us/answered"
  for mode in gc nogc; do
    if [ "$mode" = nogc ]; then export GC_DISABLE=1; else unset GC_DISABLE; fi
    start_server uvicorn
    got=$(open_point "$mode" "$LOW")
    line "$got"
    for _ in $(seq "$REPEATS"); do
      if [ "$FRESH" = 1 ]; then stop_server; start_server uvicorn; fi
      got=$(open_point "$mode" "$RATE")
      line "$got"
    done
    if [ "$mode" = nogc ]; then
      line "# closed loop, nogc: CPU us a request with C in flight"
      for c in $CONCS; do
        got=$(nice -n -20 taskset -c "$CLIENT_CPU" "$WORK/loadgen" -p "$PORT" \
          -n 4000 -c "$c" -w 1000 -r 3 -P "$PATH_Q" -s "$SERVER_PID" \
          -L "c=$c" 2>/dev/null)
        line "$(echo "$got" | cut -d' ' -f1-5)"
      done
    fi
    stop_server
  done
}

main "$@"
