#!/usr/bin/env bash
# calibrate-split.sh - what a final wait costs gunicorn sync: the CPU per
# request of a request that burns, then sleeps, against the burn alone,
# measured and as the worker-pool model predicts it (its response after a
# wait is a burst of its own that pays response_share of the idle cache
# refill: models/worker_pool.c, response_share).
#
#   bash scripts/calibrate-split.sh     install what is missing, build,
#                                       measure (~5 minutes), print
#
# gunicorn sync + Flask (scripts/validate/py_apps.py) with 1 and then 4
# workers (WORKERS, "1 4") pinned to SERVER_CPU (0), fed by the open-loop
# Poisson client (scripts/validate/openloop.c) on CLIENT_CPU (1) at RATE
# (35) requests/s for DURATION (30) s, after 5 s at 300/s unmeasured:
# /w?cpu_us=BURN&wait_us=WAIT (BURN 500, WAIT 20000: the `io` mix of
# validate-real.sh) and /w?cpu_us=BURN (no sleep), ROUNDS (2) times. The
# server's CPU per request is its processes' CPU time over the requests
# answered. The model runs the same (1 core, QUANTUM: the kernel's EEVDF
# slice, eevdf_slice in scripts/sched-keys.sh, 1.4 ms on the validation VM; the
# defaults, or the --set options in KEYS, e.g. a calibration's from
# validate-real.sh's pred_calibrated/sets.txt with `systems.sync.` keys).
# The machine drifts: compare the differences (what the sleep adds, what
# 4 workers add) more than the levels.
# Output: OUT/split.txt (default results/calibrate). Environment: WORKERS,
# RATE, DURATION, ROUNDS, BURN, WAIT, KEYS, QUANTUM, SERVER_CPU,
# CLIENT_CPU, PORT (18660), OUT.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/install-missing.sh
. scripts/install-missing.sh

WORKERS=${WORKERS:-"1 4"}
RATE=${RATE:-35}
DURATION=${DURATION:-30}
ROUNDS=${ROUNDS:-2}
BURN=${BURN:-500}
WAIT=${WAIT:-20000}
KEYS=${KEYS:-}
# shellcheck source=scripts/sched-keys.sh
. scripts/sched-keys.sh # eevdf_slice
QUANTUM=${QUANTUM:-$(eevdf_slice)} # none on an older kernel (CFS): the models' default
SERVER_CPU=${SERVER_CPU:-0}
CLIENT_CPU=${CLIENT_CPU:-1}
PORT=${PORT:-18660}
OUT=${OUT:-results/calibrate}
PY=/usr/bin/python3
APPS=scripts/validate # read by servers.sh
export PYTHONDONTWRITEBYTECODE=1
PACKAGES=(gcc libc6-dev curl gunicorn python3-flask)

# shellcheck source=scripts/servers.sh
. scripts/servers.sh
trap cleanup_server EXIT

# measure W: one line per round and path: W WAIT_US CPU_PER_REQUEST_US
measure() {
  local w=$1 round wait row pids
  start_server sync "$w"
  pids=$(pgrep -P "$SERVER_PID" | paste -sd, -)
  nice -n -20 taskset -c "$CLIENT_CPU" "$WORK/openloop" -p "$PORT" -r 300 \
    -d 5 -w 0 -t 10 -x 7 -s "$pids" -m 1:/w >/dev/null
  for round in $(seq "$ROUNDS"); do
    for wait in "$WAIT" 0; do
      row=$(nice -n -20 taskset -c "$CLIENT_CPU" "$WORK/openloop" \
        -p "$PORT" -r "$RATE" -d "$DURATION" -w 1 -t 10 \
        -x $((round * 10 + w)) -s "$pids" -L "sync$w,split,$round" \
        -m "1:/w?cpu_us=$BURN&wait_us=$wait")
      # the row: ..., throughput (5th), ..., server CPU / wall (11th)
      echo "$row" | awk -F, -v w="$w" -v wt="$wait" \
        '$5 > 0 { printf "%s %s %.0f\n", w, wt, $11 / $5 * 1e6 }'
    done
  done
  stop_server
}

# model W WAIT_US: the model's CPU per request (us) for the same
model() {
  local phases="{ cpu: ${BURN}us }"
  [ "$2" = 0 ] || phases="$phases, { io: ${2}us }"
  cat >"$WORK/split.yaml" <<EOF
name: calibrate-split
seed: 1
duration: 60s
warmup: 1s
replications: 3
workload:
  arrivals: { process: poisson, rate: ${RATE}/s }
  classes: [ { name: w, phases: [ $phases ] } ]
systems:
  - { name: sync, model: worker-pool, cores: 1, ${QUANTUM:+quantum: $QUANTUM, }workers: $1, threads: 1 }
EOF
  # shellcheck disable=SC2086 # KEYS: --set options, as words
  build/concsim run "$WORK/split.yaml" -q -j2 --format csv $KEYS |
    $PY -c 'import csv, sys
for r in csv.DictReader(sys.stdin):
    print("%.0f" % (1e6 * float(r["utilization_cpu"]) / float(r["throughput_rps"])))'
}

main() {
  install_missing "${PACKAGES[@]}"
  [ -x build/concsim ] || bash scripts/dev.sh build >/dev/null
  mkdir -p "$OUT"
  WORK=$(mktemp -d)
  gcc -O2 -Wall -o "$WORK/openloop" scripts/validate/openloop.c -lm
  local w wait
  local -A mean mod
  for w in $WORKERS; do
    measure "$w" >>"$WORK/measured"
  done
  {
    echo "# gunicorn sync at ${RATE}/s, /w?cpu_us=$BURN with and without wait_us=$WAIT, $(date -u +%FT%TZ)"
    echo "# CPU per request (us): measured (each round), its mean, the model${KEYS:+ (KEYS: $KEYS)}"
    for w in $WORKERS; do
      for wait in "$WAIT" 0; do
        mod[$wait]=$(model "$w" "$wait")
        mean[$wait]=$(awk -v w="$w" -v wt="$wait" \
          '$1 == w && $2 == wt { t += $3; n++ } END { printf "%.0f", n ? t / n : 0 }' \
          "$WORK/measured")
        echo "workers $w wait $wait us: measured $(awk -v w="$w" -v wt="$wait" \
          '$1 == w && $2 == wt { printf "%s ", $3 }' "$WORK/measured")(mean ${mean[$wait]}); model ${mod[$wait]}"
      done
      # what the wait adds
      echo "workers $w: the wait adds $((mean[$WAIT] - mean[0])) us measured, $((mod[$WAIT] - mod[0])) modelled"
    done
  } | tee "$OUT/split.txt"
}

main "$@"
