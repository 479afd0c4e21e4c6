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
# Output: OUT/refill.txt (default results/calibrate). Environment: RATES,
# BURNS, REPS (3, medians), SERVER_CPU, CLIENT_CPU, PORT (18650), OUT.
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

# serve SYSTEM: start_server, and PIDS the server and its children
# (gunicorn: the worker), whose CPU counts
serve() {
  start_server "$1" || return 1
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

main() {
  install_missing "${PACKAGES[@]}"
  mkdir -p "$OUT"
  WORK=$(mktemp -d)
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
  echo "# done in $((SECONDS - t0)) s; $OUT/refill.txt"
}

main "$@"
