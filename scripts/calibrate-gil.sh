#!/usr/bin/env bash
# calibrate-gil.sh - who takes CPython's GIL when it is released, measured
# against the worker-pool model: a 1 ms request behind K CPU-bound threads.
#
#   bash scripts/calibrate-gil.sh    install what is missing, measure
#                                    (~1 minute), print both
#   SCHED=1 bash scripts/calibrate-gil.sh   also where the server's
#                                    requests wait, from perf's record
#
# The server (scripts/calibrate/gil_hogs.py) runs K threads that burn
# Python forever beside a main thread that accepts connections in
# select() and hands each to a pool thread that burns 1 ms and answers,
# as gunicorn's gthread worker does; it is pinned to SERVER_CPU (default
# core 0) at nice -20, the client (N requests, Poisson at RATE/s, each a
# new connection) to CLIENT_CPU. For K in HOGS (0 1 2 3), the latency's
# p10, p50, p90 and p99 (ms), then the same in the worker-pool model (one
# core with the scenario's QUANTUM, 1 worker x 8 threads, the K long
# requests at the start, the 1 ms ones at RATE; build/concsim).
#
# On 2026-12-06 at 10:27 UTC (the VM of validate-real.sh, CPython 3.11,
# Linux 6.18, quantum 1.5 ms) the server's p50 was 1.51, 6.67, 14.00 and
# 28.31 ms behind 0, 1, 2 and 3 threads (p90 1.62, 12.60, 19.69, 46.12;
# 1.42, 6.58, 13.66 and 27.81 at 10:12), the model's then 1.78, 9.98,
# 16.66 and 21.67 (p90 2.13, 11.32, 20.81, 31.37; at 0 its own
# overheads). Behind one thread the server's latency is bimodal (one
# switch interval or two), and its median falls either side from run to
# run: 11.94, 12.20, 12.00 and 11.75 ms at 12:35, 12:40, 12:56 and 13:25,
# 6.70 in a second pass at 12:40 (HOGS="1 2 3 1 2 3"); behind 4 threads
# (HOGS="0 1 2 3 4") 48.28 and 46.68 ms at 12:35 and 13:25. The model with
# the order among the GIL's runnable waiters (runtime/gil.h, from the
# records below) gives 1.77, 11.32, 19.59, 29.11 and 38.94 ms behind 0
# to 4 (p90 2.08, 12.18, 21.91, 32.59, 43.58; SCHED=1 at 13:25); 10.0,
# 16.7, 21.7 and 32.1 before it, and 16.5, 30.2 and 45.2
# behind 1 to 3 when the serving thread always waited behind the long
# ones.
# With SCHED=1 it also records the scheduler on the server's core (perf;
# linux-perf, and root or CAP_PERFMON) and prints, for each K, where the
# request waits (scripts/calibrate/gil_sched.py): the main thread from the
# send to the end of its accept, the pool thread from there to its burst,
# who took the GIL the main thread then let go, and how many stretches
# the main thread ran. On 2026-12-06 at 12:56 (this VM):
#   K=1: main 5.4 5.5 5.7, pool 0.0 5.2 6.3 ms (p10 p50 p90); after the
#        accept the hog the main thread took the core from took the GIL
#        in 51 % of requests (the request then waits an interval; 86 % in
#        a run at 12:50, 46 % at 12:53, 19 % at 14:38, when the median
#        was 6.61 ms: the bimodal latency above), the
#        pool thread in 49 %;
#   K=2: main 2.1 6.7 14.1, pool 6.5 6.6 6.6; the other hog (asleep on
#        the GIL, woken by the release inside the accept) in 99 %: the
#        pool thread waits the scheduler's slice of it and one interval,
#        then takes the GIL at the forced switch, before the hog the main
#        thread had forced out;
#   K=3: main 4.8 18.4 36.0, pool 0.1 6.7 19.7; another hog in 89 %; the
#        main thread ran 9 stretches a request (median; 4 at K=1 and 2):
#        its timed wait's wake-ups, 5 ms apart, at each of which a hog
#        whose wait began earlier took the GIL (docs/validation.md, E);
#        it prints them too (at 16:31: 6 wake-ups before the accept, 5.1
#        ms apart at the median; 2 at K=1 and 2).
# Output: OUT/gil.txt (default results/calibrate) and, with SCHED=1,
# OUT/gil-sched-K.csv (one row a request: its waits, for pandas;
# gil_sched.py). Environment: HOGS, N
# (300), RATE (50), QUANTUM (the kernel's EEVDF slice: eevdf_slice in
# scripts/sched-keys.sh; the figures above with 1.5ms), TICK (the model's
# scheduler tick, e.g. 4ms; default none), SCHEDULER (the model's `scheduler`, e.g.
# eevdf; default round-robin), SERVER_CPU, CLIENT_CPU, PORT (19190),
# OUT, SCHED.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/install-missing.sh
. scripts/install-missing.sh
# shellcheck source=scripts/perf-record.sh
. scripts/perf-record.sh

HOGS=${HOGS:-"0 1 2 3"}
N=${N:-300}
RATE=${RATE:-50}
# shellcheck source=scripts/sched-keys.sh
. scripts/sched-keys.sh # eevdf_slice
QUANTUM=${QUANTUM:-$(eevdf_slice)} # none on an older kernel (CFS): the models' default
SERVER_CPU=${SERVER_CPU:-0}
CLIENT_CPU=${CLIENT_CPU:-1}
PORT=${PORT:-19190}
OUT=${OUT:-results/calibrate}
SCHED=${SCHED:-0}
PY=/usr/bin/python3
export PYTHONDONTWRITEBYTECODE=1
PID=""
WORK=""
cleanup() {
  perf_stop
  [ -z "$PID" ] || kill "$PID" 2>/dev/null || true
  [ -z "$WORK" ] || rm -rf "$WORK"
}
trap cleanup EXIT

# trace K: WORK/gil.csv, the model's arrivals (K long requests at the start,
# N 1 ms ones at RATE); prints the last one's time plus 0.5 s (the duration)
trace() {
  "$PY" - "$1" "$N" "$RATE" "$WORK" <<'PY'
import random, sys
k, n, rate, work = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
rng = random.Random(2)
rows = ['time_s,class,demand_1_s']
rows += ['%.6f,long,1000' % (1e-4 * (i + 1)) for i in range(k)]
t = 0.2
for _ in range(n):
    t += rng.expovariate(rate)
    rows.append('%.6f,short,0.001' % t)
open(work + '/gil.csv', 'w').write('\n'.join(rows) + '\n')
print(t + 0.5)
PY
}

main() {
  install_missing python3
  [ "$SCHED" != 1 ] || install_missing linux-perf
  [ -x build/concsim ] || { echo "calibrate-gil.sh: build/concsim missing (bash scripts/dev.sh build)" >&2; exit 2; }
  mkdir -p "$OUT"
  WORK=$(mktemp -d)
  local k end got
  : >"$OUT/gil.txt"
  # the lines of the table, on stdout and into OUT/gil.txt (in this shell,
  # not a pipeline's: the EXIT trap must see the server's PID)
  line() { echo "$*" | tee -a "$OUT/gil.txt"; }
  line "# p10 p50 p90 p99 (ms) of a 1 ms request behind K CPU-bound threads"
  for k in $HOGS; do
    nice -n -20 taskset -c "$SERVER_CPU" "$PY" scripts/calibrate/gil_hogs.py \
      server "$k" "$PORT" 2>"$WORK/tids$k" &
    PID=$!
    sleep 1
    [ "$SCHED" != 1 ] || perf_record "$WORK/sched$k.data" "$SERVER_CPU" \
      sched:sched_switch
    got=$(taskset -c "$CLIENT_CPU" "$PY" scripts/calibrate/gil_hogs.py \
      client "$PORT" "$N" "$RATE" "$WORK/requests$k")
    perf_stop
    line "server K=$k $got"
    kill "$PID" 2>/dev/null || true
    wait "$PID" 2>/dev/null || true
    PID=""
    if [ "$SCHED" = 1 ]; then
      perf script -i "$WORK/sched$k.data" >"$WORK/sched$k.txt" 2>/dev/null
      got=$("$PY" scripts/calibrate/gil_sched.py "$WORK/tids$k" \
        "$WORK/requests$k" "$WORK/sched$k.txt" "$OUT/gil-sched-$k.csv")
      line "sched  K=$k $got"
    fi
    end=$(trace "$k")
    cat >"$WORK/gil.yaml" <<YAML
name: gil-hogs
seed: 3
duration: ${end}s
warmup: 0s
replications: 1
workload:
  arrivals: { process: trace, file: $WORK/gil.csv }
  client: { timeout: 600s }
  classes:
    - { name: short, phases: [ { cpu: 1ms } ] }
    - { name: long, phases: [ { cpu: 1000s } ] }
systems:
  - { name: gthread, model: worker-pool, cores: 1, ${QUANTUM:+quantum: $QUANTUM, }${TICK:+tick: $TICK, }${SCHEDULER:+scheduler: $SCHEDULER, }workers: 1, threads: 8 }
YAML
    build/concsim run "$WORK/gil.yaml" -q -o "$WORK/out$k" >/dev/null
    got=$("$PY" - "$WORK/out$k/results.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))['systems'][0]['classes']['short']['latency_s']
print('%.2f %.2f %.2f (p50 p90 p99; mean %.2f)' % (
    1e3 * d['p50'], 1e3 * d['p90'], 1e3 * d['p99'], 1e3 * d['mean']))
PY
)
    line "model  K=$k  -    $got"
  done
}

main "$@"
