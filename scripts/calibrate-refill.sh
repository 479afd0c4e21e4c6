#!/usr/bin/env bash
# calibrate-refill.sh - measure, on this machine, the cache refill keys of
# concsim's models (cache_refill and its time constants, cache_refill_long):
# the CPU a server's own code pays again after its working set left the
# caches, while the core idled or while the application computed.
#
#   bash scripts/calibrate-refill.sh     install what is missing, measure
#                                        (~9 minutes before the gap curve,
#                                        more since), print the figures
#                                        and the fitted keys
#   POOL="run1/refill.txt run2/refill.txt ..." bash scripts/calibrate-refill.sh
#                                        measure nothing: fit several runs
#                                        at once, each point the median of
#                                        the runs', the per-request keys
#                                        the medians (the models' defaults
#                                        come from five runs so pooled)
#
# Servers: the apps of scripts/validate-real.sh (Node http, uvicorn +
# FastAPI, gunicorn sync + Flask with 1 worker), each pinned to SERVER_CPU
# (default core 0), at nice -20 like the clients, which run on CLIENT_CPU.
# Three curves per server, all in CPU microseconds per request of the
# server's processes (every thread, kernel time included):
#
#   gap    empty requests one at a time (scripts/calibrate/loadgen.c -c 1),
#          each sent THINK us after the last response (-t, THINK in GAPS:
#          100 200 400 700 1000 2000 4000): the core idles a known gap g
#          before every request (measured: the wall time per request less
#          the server's CPU), so each pays r(g) = R (1 - exp(-g / T)) + L
#          (1 - exp(-g / TL)); against the same with no think time (its
#          gap g0 the network's legs alone), REPS runs of each,
#          alternating, a point is r(g) - r(g0).
#          On the validation VM (2026-12-05, Node) g of 0.11, 0.22, 0.49,
#          0.79, 1.15, 2.14 and 4.25 ms cost 52, 122, 203, 306, 372, 425
#          and 486 us more than g0 (0.05 ms): the short part goes with T
#          near 0.5 ms, sooner than under the application's work (busy,
#          below; 2.4-2.6 ms pooled over seven runs);
#   idle   empty requests (GET /w) from the open-loop Poisson client
#          (scripts/validate/openloop.c) at RATES (20 50 100 300 1000/s):
#          the core idles between requests, for an exponential time of
#          mean 1/rate, in front of the share 1 - rho of the requests that
#          find it idle (rho = rate x CPU per request: Poisson arrivals
#          see the time averages), so a refill r(g) averages (1 - rho) R
#          / (1 + rate T) (and the same of L), less the
#          server's own background CPU (its timers with no request at all,
#          measured for BG seconds before and after the idle curve, the
#          lower of the two: uvicorn's main loop ticks every
#          0.1 s, gunicorn's arbiter wakes every second), which spreads
#          over the requests as background / rate;
#   busy   requests that burn C microseconds of the thread's CPU clock
#          (/w?cpu_us=C, C in BURNS: 500 1000 2000 5000 20000) with 8 in
#          flight (scripts/calibrate/loadgen.c, closed loop: the core never
#          idles): CPU per request - C - (an empty request's) is what the
#          server's code after the burn pays again, R (1 - exp(-C / TW)) +
#          L (1 - exp(-C / TL)): the application's work evicts the short
#          part at its own pace TW (cache_refill_work_time).
#
# The fit: two parts lost at two paces, R (1 - exp(-x / T)) + L (1 -
# exp(-x / TL)) (TW for T under the work), with the time constants T, TW
# and TL (unless TIMES gives
# them) common to every server and curve (grids of 0.5 ms, then 0.05 ms
# about the best, and 5 ms, T_L up to twice the longest mean gap of the
# idle curve: 100 ms) and each server's R and L those
# that minimise the squared error given them (linear, not negative). One
# time constant fits gaps of 1 to 10 ms, but not the 20-50 ms gaps of a
# lightly loaded server: on 2026-12-03 (busy spell) an empty uvicorn
# request cost 650 us at 100/s and 870 at 20/s, Node's 540 and 680 (Node
# has no timer of its own). Printed as the keys to put in a scenario
# (cache_refill, cache_refill_time, cache_refill_work_time,
# cache_refill_long, cache_refill_long_time; or in the models' defaults:
# models/*.c cite the runs).
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
# A wait: with WAIT_US (20000; 0 = none), each server also answers, at
# WAIT_RATE/s (50) open loop, a request that burns WAIT_BURN us (500) then
# waits WAIT_US (the `io` mix of scripts/validate-real.sh), against the
# same request without its wait, REPS runs of each, alternating: what the
# wait costs the server on this machine (Node's timer and its callback,
# asyncio's call_later and the task's resumption, a gunicorn thread's
# sleep and wake-up, and the refills of what runs after it), beside what
# the model charges for the same with the keys just fitted (a concsim run
# of both). Nothing is fitted to it: it checks the keys on what the
# curves above do not hold, and the difference is reported, not applied.
# With sync4, gunicorn sync's 4 workers answer the same pair: there a
# worker's response after the wait finds the core last run by another
# worker, so the pair checks `switch_refill` where it is paid once a
# request, not once a hold as in `sync4 busy 0`.
# The machine's side, first: scripts/calibrate/evictprobe.c on SERVER_CPU
# alone walks a 128 KiB working set after idle gaps of 0 to 50 ms and
# writes how much of it the core lost (`# evict` lines, appended to
# refill.txt): where the host runs other tenants on an idle vCPU's core,
# the servers' refill is that loss of their own code and data; where it
# does not (or nothing else runs), the curve stays flat and so should
# the refill.
#
# SERVERS chooses what is measured (default "node uvicorn sync sync4"):
# also gthread (gunicorn gthread, 1 worker x 8 threads, Flask), whose
# request_overhead is then its own (the model's gthread charges the main
# thread's pool_overhead and scans besides), and sync4 only beside sync.
# With one or two servers their curves are too few to fit the long time
# constant, whose gaps only the idle curve's lowest rates reach:
# TIMES="TL" (e.g. "20ms", the models' default) gives it, and each
# server's T, TW, R and L are fitted alone (scripts/validate-real.sh
# CALIBRATE=each calibrates each system so, just before its points);
# TIMES="T TW TL" gives all three.
# Output: OUT/refill.txt (default results/calibrate). Environment: RATES,
# GAPS, BURNS, REPS (3, medians), BG (10 s), SERVERS, TIMES, WAIT_US (20000),
# WAIT_RATE (50), WAIT_BURN (500), SERVER_CPU, CLIENT_CPU, PORT (18650),
# OUT, QUANTUM and TICK (the models' scheduler slice and tick for the
# concsim runs, as validate-real.sh sets them; default the models').
set -euo pipefail
# POOL's files as given, from where the script was run
if [ -n "${POOL:-}" ]; then
  pool_abs=""
  for f in $POOL; do pool_abs="$pool_abs $(realpath -m -- "$f")"; done
  POOL=$pool_abs
fi
cd "$(dirname "$0")/.."
# shellcheck source=scripts/install-missing.sh
. scripts/install-missing.sh

RATES=${RATES:-"20 50 100 300 1000"}
GAPS=${GAPS:-"100 200 400 700 1000 2000 4000"}
BG=${BG:-10}
BURNS=${BURNS:-"500 1000 2000 5000 20000"}
REPS=${REPS:-3}
SERVERS=${SERVERS:-"node uvicorn sync sync4"}
WAIT_US=${WAIT_US:-20000}
WAIT_RATE=${WAIT_RATE:-50}
WAIT_BURN=${WAIT_BURN:-500}
for v in WAIT_US WAIT_RATE WAIT_BURN; do
  [[ ${!v} =~ ^[0-9]+$ ]] || { echo "calibrate-refill.sh: $v: want a whole number, not '${!v}'" >&2; exit 2; }
done
[ "$WAIT_RATE" -gt 0 ] || { echo "calibrate-refill.sh: WAIT_RATE: want more than 0" >&2; exit 2; }
TIMES=${TIMES:-}
for s in $SERVERS; do
  case $s in node | uvicorn | sync | sync4 | gthread) ;;
  *) echo "calibrate-refill.sh: SERVERS: unknown server '$s' (node, uvicorn, sync, sync4, gthread)" >&2; exit 2 ;;
  esac
done
if [[ " $SERVERS " == *" sync4 "* && " $SERVERS " != *" sync "* ]]; then
  echo "calibrate-refill.sh: SERVERS: sync4 needs sync (switch_refill is 4 workers against 1)" >&2
  exit 2
fi
# TIMES "TL" or "T TW TL" in ms for refill_fit.py
times_ms=""
if [ -n "$TIMES" ]; then
  times_ms=$(echo "$TIMES" | awk '(NF == 1 || NF == 3) {
    for (i = 1; i <= NF; i++) { if ($i !~ /^[0-9]+(\.[0-9]+)?ms$/) exit; sub(/ms$/, "", $i) }
    if (NF == 1 && $1 + 0 > 0) print $1
    if (NF == 3 && $2 + 0 > 0 && $3 + 0 > $1 + 0 && $3 + 0 > $2 + 0) print $1, $2, $3 }')
  [ -n "$times_ms" ] || { echo "calibrate-refill.sh: TIMES: want the long time constant, e.g. \"30ms\", or three durations in ms (T TW TL, TL the longest), e.g. \"1ms 4ms 30ms\"" >&2; exit 2; }
fi
for g in $GAPS; do
  [[ $g =~ ^[0-9]+$ ]] && [ "$g" -gt 0 ] || { echo "calibrate-refill.sh: GAPS: want whole microseconds above 0, not '$g'" >&2; exit 2; }
done
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
# shellcheck source=scripts/refill-keys.sh
. scripts/refill-keys.sh # refill_sets
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

# gap THINK: empty requests one at a time, each THINK us after the last
# response (about 1 s): the CPU us per request and the gap the core idled
# before each (the wall time per request less that CPU), on a line
gap() {
  local n=$(( 1000000 / ($1 + 700) ))
  [ "$n" -le 1500 ] || n=1500
  nice -n -20 taskset -c "$CLIENT_CPU" "$WORK/loadgen" -p "$PORT" -n "$n" \
    -c 1 -t "$1" -w $(( n / 10 + 50 )) -r 1 -P /w -s "$PIDS" -L x 2>/dev/null |
    awk -v n="$n" '{ for (i = 1; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
      printf "%s %.1f\n", f["median"], f["wall_s"] / n * 1e6 - f["median"] }'
}

# gap_pair THINK: THINK against no think time, REPS runs of each,
# alternating (the machine's speed drifts by more than the refill
# between runs seconds apart): CPU CPU0 GAP GAP0, the medians
gap_pair() {
  local r
  : >"$WORK/g1"
  : >"$WORK/g0"
  for r in $(seq "$REPS"); do
    gap "$1" >>"$WORK/g1"
    gap 0 >>"$WORK/g0"
  done
  echo "$(cut -d' ' -f1 "$WORK/g1" | median) $(cut -d' ' -f1 "$WORK/g0" | median)" \
    "$(cut -d' ' -f2 "$WORK/g1" | median) $(cut -d' ' -f2 "$WORK/g0" | median)"
}

# open_cpu RATE PATH SEED: CPU us per request of PATH at RATE/s, open
# loop, one run of at least 200 requests (3 to 10 s), on a line
open_cpu() {
  local d
  d=$(awk -v r="$1" 'BEGIN { d = 200 / r; print (d < 3 ? 3 : d > 10 ? 10 : d) }')
  nice -n -20 taskset -c "$CLIENT_CPU" "$WORK/openloop" -p "$PORT" -r "$1" \
    -d "$d" -w 0.5 -x "$3" -s "$PIDS" -m "1:$2" -L x,y |
    awk -F, '{ printf "%.1f\n", 1e6 * $10 / $4 }'
}

# median: of the numbers on stdin, one a line
median() {
  sed '/^$/d' | sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'
}

# idle RATE: CPU us per empty request at RATE/s (medians of REPS runs)
idle() {
  local r
  for r in $(seq "$REPS"); do open_cpu "$1" /w "$r"; done | median
}

# wait_pair: the request with its wait and without, REPS runs of each,
# alternating: WITH_US WITHOUT_US (medians)
wait_pair() {
  local r
  : >"$WORK/with"
  : >"$WORK/without"
  for r in $(seq "$REPS"); do
    open_cpu "$WAIT_RATE" "/w?cpu_us=$WAIT_BURN&wait_us=$WAIT_US" "$r" >>"$WORK/with"
    open_cpu "$WAIT_RATE" "/w?cpu_us=$WAIT_BURN" "$r" >>"$WORK/without"
  done
  echo "$(median <"$WORK/with") $(median <"$WORK/without")"
}

# cpu_ns PIDS: the CPU time so far of every thread of the comma-separated
# PIDS, in ns (schedstat: exact, where /proc/PID/stat counts 10 ms ticks)
cpu_ns() {
  local p t total=0
  for p in ${1//,/ }; do
    for t in /proc/"$p"/task/*/schedstat; do
      total=$((total + $(cut -d' ' -f1 "$t" 2>/dev/null || echo 0)))
    done
  done
  echo "$total"
}

# background: CPU us per second of PIDS with no request at all (BG s)
background() {
  local a b t0 t1
  sleep 1
  a=$(cpu_ns "$PIDS"); t0=$(date +%s.%N)
  sleep "$BG"
  b=$(cpu_ns "$PIDS"); t1=$(date +%s.%N)
  awk -v a="$a" -v b="$b" -v t0="$t0" -v t1="$t1" 'BEGIN { printf "%.1f", (b - a) / 1e3 / (t1 - t0) }'
}

# system_yaml NAME: the scenario's system of a calibrated server, on one
# core (sync4: gunicorn sync with 4 workers)
system_yaml() {
  local q=${QUANTUM:+quantum: $QUANTUM, }${TICK:+tick: $TICK, }
  case $1 in
  node) echo "  - { name: node, model: event-loop, cores: 1, ${q}processes: 1 }" ;;
  uvicorn) echo "  - { name: uvicorn, model: async, cores: 1, ${q}workers: 1 }" ;;
  sync) echo "  - { name: sync, model: worker-pool, cores: 1, ${q}workers: 1, threads: 1 }" ;;
  sync4) echo "  - { name: sync4, model: worker-pool, cores: 1, ${q}workers: 4, threads: 1 }" ;;
  gthread) echo "  - { name: gthread, model: worker-pool, cores: 1, ${q}workers: 1, threads: 8 }" ;;
  esac
}

# cpu_rows [LESS_US]: from concsim's results.csv on stdin, each system's
# CPU us per request less LESS_US (0), one line each: NAME US
cpu_rows() {
  $PY -c 'import csv, sys
for r in csv.DictReader(sys.stdin):
    print(r["system"], "%.1f" % (1e6 * float(r["utilization_cpu"]) / float(r["throughput_rps"]) - float(sys.argv[1])))' "${1:-0}"
}

# model_cpu CONCSIM-OPTIONS...: CPU us per empty request (less its 1 us
# phase) of each system of the models' closed loop of 8 on one core, one
# line each: NAME US
model_cpu() {
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
$(for s in node uvicorn sync sync4 gthread; do system_yaml "$s"; done)
EOF
  build/concsim run "$WORK/busy.yaml" -q -j2 --format csv "$@" | cpu_rows 1
}

model_of() {
  case $1 in node) echo event-loop ;; uvicorn) echo async ;; *) echo worker-pool ;; esac
}

# per_request POINTS: each server's request_overhead and sync's
# switch_refill, from the empty requests' CPU (busy 0, sync4 busy 0) and
# the models' (model_cpu); appended to OUT/refill.txt
per_request() {
  local s m0 base ro ro_sync="" b4 b1 e0 e1 sets=()
  for s in node uvicorn sync sync4 gthread; do
    sets+=(--set "systems.$s.cache_refill=0s" --set "systems.$s.cache_refill_long=0s")
    [ "$s" = sync4 ] || sets+=(--set "systems.$s.request_overhead=0s")
  done
  model_cpu "${sets[@]}" >"$WORK/m0"
  for s in node uvicorn sync gthread; do
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
    --set systems.sync.cache_refill_long=0s --set systems.sync4.cache_refill_long=0s \
    --set systems.sync4.switch_refill=250us >"$WORK/m1"
  e0=$(awk '$1 == "sync" { print $2 }' "$WORK/m1")
  e1=$(awk '$1 == "sync4" { print $2 }' "$WORK/m1")
  awk -v b4="$b4" -v b1="$b1" -v e0="$e0" -v e1="$e1" 'BEGIN {
    d = b4 - b1; e = e1 - e0; r = e > 0 ? 250 * d / e : 0; if (r < 0) r = 0
    printf "# sync 4 workers against 1, busy 0: +%.0f us measured; the model +%.0f us with switch_refill 250 us\n", d, e
    printf "sync (worker-pool): switch_refill: %.0fus\n", r }' | tee -a "$OUT/refill.txt"
}

# wait_report: each server's measured wait (WORK/waits: SERVER WITH
# WITHOUT) beside the model's, from concsim runs of the same two requests
# at WAIT_RATE/s with the fitted keys; appended to OUT/refill.txt
wait_report() {
  [ -s "$WORK/waits" ] || return 0
  local s with without names opts="" io phases mw mn
  names=$(awk '{ print $1 }' "$WORK/waits")
  for s in $names; do
    opts="$opts $(refill_sets "$s" "$OUT/refill.txt")" || return 1
  done
  for io in yes no; do
    phases="{ cpu: ${WAIT_BURN}us }"
    [ $io = no ] || phases="$phases, { io: ${WAIT_US}us }"
    cat >"$WORK/wait-$io.yaml" <<EOF
name: calibrate-wait
seed: 1
duration: 60s
warmup: 2s
replications: 3
workload:
  arrivals: { process: poisson, rate: ${WAIT_RATE}/s }
  client: { timeout: 10s }
  classes: [ { name: w, phases: [ $phases ] } ]
systems:
$(for s in $names; do system_yaml "$s"; done)
EOF
    # shellcheck disable=SC2086 # opts is a list of options
    build/concsim run "$WORK/wait-$io.yaml" -q -j2 --format csv $opts |
      cpu_rows >"$WORK/model-$io"
  done
  while read -r s with without; do
    mw=$(awk -v s="$s" '$1 == s { print $2 }' "$WORK/model-yes")
    mn=$(awk -v s="$s" '$1 == s { print $2 }' "$WORK/model-no")
    awk -v s="$s" -v w="$with" -v n="$without" -v us="$WAIT_US" \
      -v rate="$WAIT_RATE" -v mw="$mw" -v mn="$mn" 'BEGIN {
      printf "# %s wait %g ms at %g/s: %+.0f us a request measured (%.0f against %.0f); the model %+.0f (%.0f against %.0f) with the keys above: it misses %+.0f\n",
        s, us / 1000, rate, w - n, w, n, mw - mn, mw, mn, (w - n) - (mw - mn) }'
  done <"$WORK/waits" | tee -a "$OUT/refill.txt"
}

main() {
  if [ -n "${POOL:-}" ]; then
    # several runs' refill.txt fitted at once, nothing measured
    # shellcheck disable=SC2086 # POOL is a list of files
    $PY scripts/calibrate/refill_fit.py pool $POOL
    return
  fi
  install_missing "${PACKAGES[@]}"
  mkdir -p "$OUT"
  WORK=$(mktemp -d)
  if [ ! -x build/concsim ]; then
    cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
    cmake --build build -j2 >/dev/null
  fi
  gcc -O2 -Wall -o "$WORK/loadgen" scripts/calibrate/loadgen.c
  gcc -O2 -Wall -o "$WORK/openloop" "$APPS/openloop.c" -lm
  gcc -O2 -Wall -o "$WORK/evictprobe" scripts/calibrate/evictprobe.c
  local t0=$SECONDS sys c r base bg
  : >"$WORK/points"
  : >"$WORK/waits"
  # the machine's side first, on the servers' core with nothing else on
  # it: how much of a 128 KiB working set an idle core keeps
  nice -n -20 taskset -c "$SERVER_CPU" "$WORK/evictprobe" 128 40 |
    sed 's/^/# evict /' | tee "$WORK/evict"
  for sys in $SERVERS; do
    [ "$sys" != sync4 ] || continue
    serve "$sys"
    # warm-up: the JIT and the allocator settle
    nice -n -20 taskset -c "$CLIENT_CPU" "$WORK/openloop" -p "$PORT" -r 300 \
      -d 3 -s "$PIDS" -m "1:/w" -L w,w >/dev/null
    base=$(busy 0)
    echo "$sys busy 0 $base" | tee -a "$WORK/points"
    for c in $BURNS; do
      echo "$sys busy $c $(busy "$c") $base" | tee -a "$WORK/points"
    done
    # the gap curve: each point against no think time, alternating
    for g in $GAPS; do
      echo "$sys gap $g $(gap_pair "$g")" | tee -a "$WORK/points"
    done
    # the background before and after the idle curve, the lower: a
    # process that has just served thousands of requests may still be
    # compiling or collecting for seconds (Node at 10:14 on 2026-12-03:
    # 3.3 ms a second once, 0.03 at 10:05)
    bg=$(background)
    : >"$WORK/idle"
    for r in $RATES; do
      echo "$sys idle $r $(idle "$r") $base" | tee -a "$WORK/idle"
    done
    bg=$(printf '%s\n' "$bg" "$(background)" | sort -g | head -1)
    echo "# $sys background: $bg us/s" | tee -a "$WORK/points"
    sed "s/\$/ $bg/" "$WORK/idle" >>"$WORK/points"
    # a wait (WAIT_US): with it and without, at WAIT_RATE/s
    if [ "$WAIT_US" -gt 0 ]; then
      echo "$sys $(wait_pair)" | tee -a "$WORK/waits"
    fi
    stop_server
  done
  # 4 sync workers: the changes of worker
  if [[ " $SERVERS " == *" sync4 "* ]]; then
    serve sync 4
    nice -n -20 taskset -c "$CLIENT_CPU" "$WORK/openloop" -p "$PORT" -r 300 \
      -d 3 -s "$PIDS" -m "1:/w" -L w,w >/dev/null
    echo "sync4 busy 0 $(busy 0)" | tee -a "$WORK/points"
    if [ "$WAIT_US" -gt 0 ]; then
      echo "sync4 $(wait_pair)" | tee -a "$WORK/waits"
    fi
    stop_server
  fi
  # the fit (scripts/calibrate/refill_fit.py: three time constants for
  # all, or the long one or all three TIMES', R and L per server by least
  # squares, neither negative)
  # shellcheck disable=SC2086 # times_ms: none, one or three arguments
  $PY scripts/calibrate/refill_fit.py points "$WORK/points" $times_ms | tee "$OUT/refill.txt"
  per_request "$WORK/points"
  wait_report
  cat "$WORK/evict" >>"$OUT/refill.txt"
  echo "# done in $((SECONDS - t0)) s; $OUT/refill.txt"
}

main "$@"
