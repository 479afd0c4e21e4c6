#!/usr/bin/env bash
# calibrate-refill.sh - measure, on this machine, the cache refill keys of
# concsim's models (cache_refill, cache_refill_time, cache_refill_work):
# the CPU a server's own code pays again after its working set left the
# caches, while the core idled or while the application computed.
#
#   bash scripts/calibrate-refill.sh     install what is missing, measure
#                                        (~6 minutes), print the figures
#                                        and the fitted keys
#
# Servers: the apps of scripts/validate-real.sh (Node http, uvicorn +
# FastAPI, gunicorn sync + Flask with 1 worker), each pinned to SERVER_CPU
# (default core 0), at nice -20 like the clients, which run on CLIENT_CPU.
# Two curves per server, both in CPU microseconds per request of the
# server's processes (every thread, kernel time included):
#
#   idle   empty requests (GET /w) from the open-loop Poisson client
#          (scripts/validate/openloop.c) at RATES (100 300 1000/s): the
#          core idles between requests, on average 1/rate after a request
#          at these loads, so a refill r(g) = R (1 - exp(-g / T)) averages
#          R / (1 + rate T) over the exponential gaps (Node and uvicorn;
#          gunicorn's 4-worker herd would mix in the switch refill);
#   busy   requests that burn C microseconds of the thread's CPU clock
#          (/w?cpu_us=C, C in BURNS: 500 1000 2000 5000 20000) with 8 in
#          flight (scripts/calibrate/loadgen.c, closed loop: the core never
#          idles): CPU per request - C - (an empty request's) is what the
#          server's code after the burn pays again, R (1 - exp(-C / T)).
#
# The fit: one time constant T for every server and curve, and for each
# server the R that minimises the squared error given T (linear in R),
# T on a grid of 0.05 ms; printed as the keys to put in a scenario (or in
# the models' defaults: models/*.c cite the run of 2026-12-02).
#
# The refills are what a request pays beyond an empty one with the core
# never idle; that empty request itself is the third figure: its CPU
# (`busy 0`), less what the model charges for it with no
# request_overhead (concsim, the same closed loop of 8 on one core), is
# each server's `request_overhead` on this machine. And gunicorn sync with
# 4 workers (`sync4 busy 0`) against 1 gives `switch_refill`: the model's
# default switch refill scaled by the measured difference over the one
# concsim finds with it (its workers serve queued connections back to
# back within their quantum, so they change once per hold, not once per
# request).
# Output: OUT/refill.txt (default results/calibrate). Environment: RATES,
# BURNS, REPS (3, medians), SERVER_CPU, CLIENT_CPU, PORT (18650), OUT,
# QUANTUM (the models' scheduler slice for the concsim runs, as
# validate-real.sh sets it; default the models').
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/install-missing.sh
. scripts/install-missing.sh

RATES=${RATES:-"100 300 1000"}
BURNS=${BURNS:-"500 1000 2000 5000 20000"}
REPS=${REPS:-3}
SERVER_CPU=${SERVER_CPU:-0}
CLIENT_CPU=${CLIENT_CPU:-1}
PORT=${PORT:-18650}
OUT=${OUT:-results/calibrate}
APPS=scripts/validate
PY=/usr/bin/python3
export PYTHONDONTWRITEBYTECODE=1
PACKAGES=(gcc libc6-dev curl nodejs gunicorn python3-flask python3-uvicorn
          python3-fastapi python3-httptools python3-uvloop)

# shellcheck source=scripts/servers.sh
. scripts/servers.sh
trap cleanup_server EXIT

# serve SYSTEM [SYNC_WORKERS]: start_server, and PIDS the server and its
# children (gunicorn: the workers), whose CPU counts
serve() {
  start_server "$1" "${2:-}" || return 1
  PIDS=$(echo "$SERVER_PID" $(pgrep -P "$SERVER_PID") | tr ' ' ',')
}

# busy C: median CPU us per request with 8 in flight, burning C us
busy() {
  local n=$(( $1 > 0 ? 4000000 / ($1 + 300) : 8000 ))
  [ "$n" -le 8000 ] || n=8000
  nice -n -20 taskset -c "$CLIENT_CPU" "$WORK/loadgen" -p "$PORT" -n "$n" \
    -c 8 -w $(( n / 4 )) -r "$REPS" -P "/w?cpu_us=$1" -s "$PIDS" -L x \
    2>/dev/null | sed -n 's/.*median=\([0-9.]*\).*/\1/p'
}

# idle RATE: CPU us per empty request at RATE/s, open loop (medians of REPS)
idle() {
  local r vals=""
  for r in $(seq "$REPS"); do
    vals="$vals $(nice -n -20 taskset -c "$CLIENT_CPU" "$WORK/openloop" \
      -p "$PORT" -r "$1" -d 3 -w 0.5 -x "$r" -s "$PIDS" -m "1:/w" -L x,y |
      awk -F, '{ printf "%.1f", 1e6 * $10 / $4 }')"
  done
  echo "$vals" | tr ' ' '\n' | sed '/^$/d' | sort -g |
    awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'
}

# model_cpu CONCSIM-OPTIONS...: CPU us per empty request (less its 1 us
# phase) of each system of the models' closed loop of 8 on one core, one
# line each: NAME US
model_cpu() {
  local q=${QUANTUM:+quantum: $QUANTUM, }
  cat >"$WORK/busy.yaml" <<EOF
name: calibrate-busy
seed: 1
duration: 5s
warmup: 1s
replications: 2
workload:
  closed: { users: 8, think: { dist: constant, mean: 0s } }
  client: { timeout: 10s }
  classes: [ { name: empty, phases: [ { cpu: 1us } ] } ]
systems:
  - { name: node, model: event-loop, cores: 1, ${q}processes: 1 }
  - { name: uvicorn, model: async, cores: 1, ${q}workers: 1 }
  - { name: sync, model: worker-pool, cores: 1, ${q}workers: 1, threads: 1 }
  - { name: sync4, model: worker-pool, cores: 1, ${q}workers: 4, threads: 1 }
EOF
  build/concsim run "$WORK/busy.yaml" -q -j2 --format csv "$@" |
    $PY -c 'import csv, sys
for r in csv.DictReader(sys.stdin):
    print(r["system"], "%.1f" % (1e6 * float(r["utilization_cpu"]) / float(r["throughput_rps"]) - 1))'
}

model_of() {
  case $1 in node) echo event-loop ;; uvicorn) echo async ;; *) echo worker-pool ;; esac
}

# per_request POINTS: each server's request_overhead and sync's
# switch_refill, from the empty requests' CPU (busy 0, sync4 busy 0) and
# the models' (model_cpu); appended to OUT/refill.txt
per_request() {
  local s m0 base ro ro_sync="" b4 b1 e0 e1 sets=()
  for s in node uvicorn sync sync4; do
    sets+=(--set "systems.$s.cache_refill=0s")
    [ "$s" = sync4 ] || sets+=(--set "systems.$s.request_overhead=0s")
  done
  model_cpu "${sets[@]}" >"$WORK/m0"
  for s in node uvicorn sync; do
    base=$(awk -v s="$s" '$1 == s && $2 == "busy" && $3 == "0" { print $4 }' "$1")
    m0=$(awk -v s="$s" '$1 == s { print $2 }' "$WORK/m0")
    if [ -z "$base" ] || [ -z "$m0" ]; then continue; fi
    ro=$(awk -v b="$base" -v m="$m0" 'BEGIN { r = b - m; printf "%.0f", (r > 0 ? r : 0) }')
    echo "# $s busy 0: $base us measured; the model's without request_overhead: $m0 us"
    echo "$s ($(model_of "$s")): request_overhead: ${ro}us"
  done | tee -a "$OUT/refill.txt"
  ro_sync=$(sed -n 's/^sync (worker-pool): request_overhead: \([0-9]*\)us$/\1/p' "$OUT/refill.txt" | tail -1)
  b4=$(awk '$1 == "sync4" && $2 == "busy" && $3 == "0" { print $4 }' "$1")
  b1=$(awk '$1 == "sync" && $2 == "busy" && $3 == "0" { print $4 }' "$1")
  [ -n "$b4" ] && [ -n "$b1" ] && [ -n "$ro_sync" ] || return 0
  model_cpu --systems sync,sync4 --set "systems.sync.request_overhead=${ro_sync}us" \
    --set "systems.sync4.request_overhead=${ro_sync}us" \
    --set systems.sync.cache_refill=0s --set systems.sync4.cache_refill=0s \
    --set systems.sync4.switch_refill=250us >"$WORK/m1"
  e0=$(awk '$1 == "sync" { print $2 }' "$WORK/m1")
  e1=$(awk '$1 == "sync4" { print $2 }' "$WORK/m1")
  awk -v b4="$b4" -v b1="$b1" -v e0="$e0" -v e1="$e1" 'BEGIN {
    d = b4 - b1; e = e1 - e0; r = e > 0 ? 250 * d / e : 0; if (r < 0) r = 0
    printf "# sync 4 workers against 1, busy 0: +%.0f us measured; the model +%.0f us with switch_refill 250 us\n", d, e
    printf "sync (worker-pool): switch_refill: %.0fus\n", r }' | tee -a "$OUT/refill.txt"
}

main() {
  install_missing "${PACKAGES[@]}"
  mkdir -p "$OUT"
  WORK=$(mktemp -d)
  if [ ! -x build/concsim ]; then
    cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
    cmake --build build -j2 >/dev/null
  fi
  gcc -O2 -Wall -o "$WORK/loadgen" scripts/calibrate/loadgen.c
  gcc -O2 -Wall -o "$WORK/openloop" "$APPS/openloop.c" -lm
  local t0=$SECONDS sys c r base
  : >"$WORK/points"
  for sys in node uvicorn sync; do
    serve "$sys"
    # warm-up: the JIT and the allocator settle
    nice -n -20 taskset -c "$CLIENT_CPU" "$WORK/openloop" -p "$PORT" -r 300 \
      -d 3 -s "$PIDS" -m "1:/w" -L w,w >/dev/null
    base=$(busy 0)
    echo "$sys busy 0 $base" | tee -a "$WORK/points"
    for c in $BURNS; do
      echo "$sys busy $c $(busy "$c") $base" | tee -a "$WORK/points"
    done
    if [ "$sys" != sync ]; then
      for r in $RATES; do
        echo "$sys idle $r $(idle "$r") $base" | tee -a "$WORK/points"
      done
    fi
    stop_server
  done
  # 4 sync workers: the changes of worker
  serve sync 4
  nice -n -20 taskset -c "$CLIENT_CPU" "$WORK/openloop" -p "$PORT" -r 300 \
    -d 3 -s "$PIDS" -m "1:/w" -L w,w >/dev/null
  echo "sync4 busy 0 $(busy 0)" | tee -a "$WORK/points"
  stop_server
  # the fit (pure Python: one T for all, R per server by least squares)
  $PY - "$WORK/points" <<'PY' | tee "$OUT/refill.txt"
import math, sys
pts = []  # (server, kind, x, extra us)
for line in open(sys.argv[1]):
    f = line.split()
    if len(f) < 4 or f[1] == 'busy' and f[2] == '0':
        continue
    s, kind, x, v, base = f[0], f[1], float(f[2]), float(f[3]), float(f[4])
    extra = v - base - (x if kind == 'busy' else 0)
    pts.append((s, kind, x, extra))
    print('# %s %s %g: %.0f us' % (s, kind, x, extra))
def shape(kind, x, t_us):
    if kind == 'busy':
        return -math.expm1(-x / t_us)
    return 1 / (1 + x * t_us * 1e-6)
servers = sorted({p[0] for p in pts})
best = None
for k in range(1, 400):
    t = 50.0 * k  # us
    err, rs = 0.0, {}
    for s in servers:
        f = [(shape(kd, x, t), v) for (ss, kd, x, v) in pts if ss == s]
        r = sum(a * v for a, v in f) / sum(a * a for a, v in f)
        rs[s] = r
        err += sum((r * a - v) ** 2 for a, v in f)
    if best is None or err < best[0]:
        best = (err, t, rs)
err, t, rs = best
n = len(pts)
print('cache_refill_time: %.2fms  (one time constant, %d points, rms '
      'error %.0f us)' % (t / 1000, n, math.sqrt(err / n)))
names = {'node': 'event-loop', 'uvicorn': 'async', 'sync': 'worker-pool'}
for s in servers:
    print('%s (%s): cache_refill: %.0fus' % (s, names[s], rs[s]))
PY
  per_request "$WORK/points"
  echo "# done in $((SECONDS - t0)) s; $OUT/refill.txt"
}

main "$@"
