#!/usr/bin/env bash
# bench.sh - concsim's speed and memory against the yardsticks of
# shared/bench, measured in the same run, alternating, as ratios.
#
#   bash tests/bench/bench.sh [ROUNDS]      (default 5; medians are reported)
#   SCALE_ONLY=1 bash tests/bench/bench.sh  only issue 17's measurements
#     (event lists, replicas, sweep overhead; SCALE_ROUNDS, default 3)
#
# Needs a release build in build/ (bash scripts/dev.sh build) and, for the
# SimPy yardstick, python3-simpy3. Prints one line per measurement and a
# summary of ratios; the machine is shared and noisy, so only ratios from
# the same run mean anything.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROUNDS=${1:-5}
BIN=build/concsim
HOLD=build/bench_hold
CALQ=build/bench_calq
FLEET=build/bench_fleet
CPUTIME=build/bench_cputime
SHARED=${SHARED:-../shared}
CUSTOMERS=10000000
SIMPY_CUSTOMERS=${SIMPY_CUSTOMERS:-500000}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

[ -x "$BIN" ] && [ -x "$HOLD" ] && [ -x "$CALQ" ] && [ -x "$FLEET" ] && [ -x "$CPUTIME" ] || { echo "build first: bash scripts/dev.sh build" >&2; exit 2; }
# the build users get: profile-guided with gcc (scripts/dev.sh build)
if grep -q '^CONCSIM_PGO_SUPPORTED:INTERNAL=ON' build/CMakeCache.txt &&
   ! "$BIN" --version | grep -q '^build: profile-guided'; then
  echo "build/ is not the release users get (profile-guided): bash scripts/dev.sh build" >&2
  exit 2
fi
cc -std=c11 -O2 -o "$tmp/mm1_ref" "$SHARED/bench/mm1_ref.c" -lm

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
field() { tr ' ' '\n' | sed -n "s/^$1=//p"; }
spread() { # file of values: median (range)
  printf '%.2f (rounds: %.2f to %.2f)' "$(median < "$1")" \
    "$(sort -g "$1" | head -1)" "$(sort -g "$1" | tail -1)"
}
ratios() { # numerator-file denominator-file
  paste "$1" "$2" | awk '$2 > 0 {print $1 / $2}' > "$tmp/ratio"
  spread "$tmp/ratio"
}
# shellcheck source=tests/bench/mm1.sh
source tests/bench/mm1.sh
if [ "${SCALE_ONLY:-0}" != 1 ]; then # SCALE_ONLY=1: only the scale section
# the M/M/1 of the C loop: lambda 0.9/s, mu 1/s, 10M customers
mm1_yaml "$CUSTOMERS" > "$tmp/mm1.yaml"


: > "$tmp/ref"; : > "$tmp/cs"; : > "$tmp/py"; : > "$tmp/rss"
: > "$tmp/href"; : > "$tmp/hcs"
have_simpy=0
/usr/bin/python3 -c 'import simpy' 2>/dev/null && have_simpy=1
# One concsim run of the M/M/1 lasts about a second, SimPy's several:
# each round runs the C loop and concsim REPEAT times, alternating, and
# keeps their medians, so that the two sides of a ratio cover spans of
# the machine's time of similar length.
REPEAT=${REPEAT:-3}
cs_once() { # seed -> customers/s of the whole concsim process
  local start end done
  start=$(date +%s.%N)
  /usr/bin/time -f "%M" -o "$tmp/rss1" "$BIN" run "$tmp/mm1.yaml" --seed "$1" \
      --format csv -j1 > "$tmp/out.csv"
  end=$(date +%s.%N)
  done=$(python3 -c "import csv; print(next(csv.DictReader(open('$tmp/out.csv')))['completed'])")
  cat "$tmp/rss1" >> "$tmp/rss"
  python3 -c "print($done / ($end - $start))"
}
for r in $(seq "$ROUNDS"); do
  : > "$tmp/ref1"; : > "$tmp/cs1"
  for k in $(seq "$REPEAT"); do
    "$tmp/mm1_ref" "$CUSTOMERS" "$r$k" | field customers_per_s >> "$tmp/ref1"
    cs_once "$r$k" >> "$tmp/cs1"
  done
  median < "$tmp/ref1" >> "$tmp/ref"
  median < "$tmp/cs1" >> "$tmp/cs"
  if [ $have_simpy = 1 ]; then
    /usr/bin/python3 "$SHARED/bench/mm1_simpy.py" "$SIMPY_CUSTOMERS" "$r" | field customers_per_s >> "$tmp/py"
  fi
  "$tmp/mm1_ref" hold 100000 10000000 "$r" | field ns_per_hold >> "$tmp/href"
  "$HOLD" 100000 10000000 | field ns_per_hold >> "$tmp/hcs"
  echo "round $r: ref $(tail -1 "$tmp/ref") concsim $(tail -1 "$tmp/cs") simpy $(tail -1 "$tmp/py" 2>/dev/null || echo -) customers/s; hold ns ref $(tail -1 "$tmp/href") concsim $(tail -1 "$tmp/hcs")" >&2
done

# The flagship (four models, 5 systems x 5 replications x 65 s) with the
# default -j, and a 20-point sweep of it with -j1 and -j2, alternating.
flag() {
  local s e
  s=$(date +%s.%N)
  "$BIN" run scenarios/flagship.yaml --format csv > /dev/null
  e=$(date +%s.%N)
  python3 -c "print($e - $s)"
}
sweep_time() {
  local s e
  s=$(date +%s.%N)
  "$BIN" sweep scenarios/flagship.yaml -q -j "$1" --replications 2 \
    --param workload.arrivals.rate=50/s:1000/s:50/s --format csv > /dev/null
  e=$(date +%s.%N)
  python3 -c "print($e - $s)"
}
: > "$tmp/flag"; : > "$tmp/sw"
for r in $(seq "$ROUNDS"); do flag >> "$tmp/flag"; done
# every round, in alternating order, so that a drift of the machine's
# speed does not favour one side
for r in $(seq "$ROUNDS"); do
  if [ $((r % 2)) = 1 ]; then
    t1=$(sweep_time 1); t2=$(sweep_time 2)
  else
    t2=$(sweep_time 2); t1=$(sweep_time 1)
  fi
  echo "sweep round $r: -j1 ${t1} s, -j2 ${t2} s" >&2
  python3 -c "print($t1 / $t2)" >> "$tmp/sw"
done

# Services: the cost per client request of a three-tier request (a
# gateway calling a service that calls a database, each tier a CPU phase,
# a wait for the next tier and a CPU phase) against a one-tier one (the
# gateway alone, its wait an io phase), 1M client requests each; goal:
# less than 3 x (three tiers simulate three requests).
tier_yaml() { # name wait-phase services-block
  cat > "$tmp/$1.yaml" <<YAML
name: $1
seed: 1
duration: 1000s
warmup: 0s
replications: 1
workload:
  arrivals: { process: poisson, rate: 1000/s }
  classes:
    - name: c
      phases: [ { cpu: { dist: exponential, mean: 100us } }, $2, { cpu: { dist: exponential, mean: 50us } } ]
$3
systems: [ { name: gw, model: event-loop, cores: 4, processes: 4 } ]
YAML
}
tier_yaml one '{ io: { dist: exponential, mean: 300us } }' ''
tier_yaml three '{ call: { service: app, phases: [ { cpu: { dist: exponential, mean: 100us } }, { call: { service: db, pool: 5, phases: [ { cpu: { dist: exponential, mean: 100us } } ] } }, { cpu: { dist: exponential, mean: 50us } } ] } }' \
  'services: { app: { model: event-loop, cores: 4, processes: 4 }, db: { model: server, cores: 4 } }'
tier_time() {
  local s e
  s=$(date +%s.%N)
  "$BIN" run "$tmp/$1.yaml" --format csv -j1 > /dev/null
  e=$(date +%s.%N)
  python3 -c "print($e - $s)"
}
: > "$tmp/tiers"
for r in $(seq "$ROUNDS"); do
  if [ $((r % 2)) = 1 ]; then
    t1=$(tier_time one); t3=$(tier_time three)
  else
    t3=$(tier_time three); t1=$(tier_time one)
  fi
  echo "tiers round $r: one tier ${t1} s, three tiers ${t3} s (1M requests)" >&2
  python3 -c "print($t3 / $t1)" >> "$tmp/tiers"
done
# the same in instructions (callgrind, 50k requests): deterministic,
# where the machine's drift makes the times above scatter
tier_ir() {
  sed 's/^duration: 1000s/duration: 50s/' "$tmp/$1.yaml" > "$tmp/$1-ir.yaml"
  valgrind --tool=callgrind --callgrind-out-file=/dev/null "$BIN" run \
    "$tmp/$1-ir.yaml" --format csv -j1 2>&1 >/dev/null |
    sed -n 's/.*refs: *//p' | tr -d ,
}
tier_ir_ratio=-
if command -v valgrind > /dev/null; then
  tier_ir_ratio=$(python3 -c "print(f'{$(tier_ir three) / $(tier_ir one):.2f}')")
fi
# `concsim fit`: 2 unknowns (a cpu mean and request_overhead) from 5
# points that concsim measured on the known scenario (60 s, 5 refits),
# with -j2, once per round.
sed -e 's/mean: fit }/mean: 2ms }/' -e 's/{ fit: \[10us, 1ms\] }/100us/' \
  tests/bench/fit.yaml > "$tmp/fit-truth.yaml"
"$BIN" sweep "$tmp/fit-truth.yaml" -q -o "$tmp/fit-sw" --seed 99 \
  --param workload.arrivals.rate=80/s,160/s,240/s,320/s,380/s --format csv > /dev/null
fit_time() {
  local s e
  s=$(date +%s.%N)
  "$BIN" fit tests/bench/fit.yaml "$tmp/fit-sw/results.csv" -q -j 2 \
    -o "$tmp/fitted.yaml" --format json > /dev/null
  e=$(date +%s.%N)
  python3 -c "print($e - $s)"
}
: > "$tmp/fit"
for r in $(seq "$ROUNDS"); do fit_time >> "$tmp/fit"; done

# Ratios are taken within each round (the runs of a round are seconds
# apart, so they share the machine's state), then their median is
# reported with the range over the rounds.
ref=$(median < "$tmp/ref"); cs=$(median < "$tmp/cs"); rss=$(median < "$tmp/rss")
echo "date: $(date -u +%F) machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "build: $("$BIN" --version | sed -n 's/^build: //p') ($(sed -n 's/^CMAKE_C_COMPILER:[A-Z]*=//p' build/CMakeCache.txt))"
echo "M/M/1, 10M customers ($ROUNDS rounds of $REPEAT alternating runs, whole concsim process; medians):"
printf '  plain C loop     %12.0f customers/s\n' "$ref"
printf '  concsim          %12.0f customers/s\n' "$cs"
if [ $have_simpy = 1 ]; then
  printf '  SimPy            %12.0f customers/s\n' "$(median < "$tmp/py")"
fi
echo "  concsim / C loop: $(ratios "$tmp/cs" "$tmp/ref") (goal >= 0.75)"
if [ $have_simpy = 1 ]; then
  echo "  concsim / SimPy:  $(ratios "$tmp/cs" "$tmp/py") (goal >= 100)"
fi
printf '  concsim peak RSS  %.1f MiB for 10M requests (goal <= 32)\n' "$(python3 -c "print($rss/1024)")"
# where the time per customer goes, layer by layer (callgrind, 200k
# customers: instructions, which the machine's load does not move)
if command -v valgrind > /dev/null; then
  bash tests/bench/mm1_layers.sh 200000 "$BIN" | sed 's/^/  /'
fi
echo "hold model, 100k pending: plain C $(median < "$tmp/href") ns, concsim $(median < "$tmp/hcs") ns per hold;" \
  "concsim / C: $(ratios "$tmp/hcs" "$tmp/href")"
printf 'flagship (5 systems x 5 replications x 65 s, -j%s): %.2f s (median; goal < 2)\n' "$(nproc)" "$(median < "$tmp/flag")"
echo "20-point sweep of the flagship (2 replications), -j1 time / -j2 time: $(spread "$tmp/sw") (goal >= 1.8)"
echo "services: three tiers / one tier, time per client request: $(spread "$tmp/tiers"); instructions: $tier_ir_ratio (goal < 3)"
printf 'fit, 2 unknowns from 5 points (60 s, 5 refits, -j2): %.1f s (median; goal < 30)\n' "$(median < "$tmp/fit")"

fi

# ------------------------------------------------------------------ scale --
# Issue 17. SCALE_ROUNDS rounds (default 3) of each measurement below;
# ratios are taken within a round, medians reported with their range.
SCALE_ROUNDS=${SCALE_ROUNDS:-3}
cpu_of() { # file written by cputime (tests/bench/cputime.c): user + sys seconds
  awk '{printf "%.6f\n", $1 + $2}' "$1"
}

# Event lists at large pending sets: the hold model on the kernel (heap
# with event records), on a bare binary heap of the same 16-byte entries,
# and on a calendar queue (tests/bench/calq.c).
HOLD_OPS=${HOLD_OPS:-2000000}
echo "hold model, ns per hold (medians of $SCALE_ROUNDS rounds; $HOLD_OPS holds):"
printf '  %-9s %10s %10s %10s %16s\n' pending kernel bare-heap calendar "calendar/kernel"
for p in 1000 10000 100000 1000000; do
  : > "$tmp/hk"; : > "$tmp/hb"; : > "$tmp/hq"
  for r in $(seq "$SCALE_ROUNDS"); do
    "$HOLD" "$p" "$HOLD_OPS" | field ns_per_hold >> "$tmp/hk"
    "$CALQ" "$p" "$HOLD_OPS" heap | field ns_per_hold >> "$tmp/hb"
    "$CALQ" "$p" "$HOLD_OPS" calendar | field ns_per_hold >> "$tmp/hq"
  done
  printf '  %-9s %10.1f %10.1f %10.1f   %s\n' "$p" "$(median < "$tmp/hk")" \
    "$(median < "$tmp/hb")" "$(median < "$tmp/hq")" "$(ratios "$tmp/hq" "$tmp/hk")"
done

# Many replicas: N replicas of 800/s each (random balancer, event-loop
# replicas on one core, overheads zero: each an M/M/1 at 0.8, so that 10
# replicas for 125 s and 10,000 for 0.125 s are in the same steady state;
# with Node's overheads a replica at 800/s is overloaded and the long run
# of few replicas fills its backlog), 1M requests in all (10 ms simulated
# from 100,000 replicas up), setup included; CPU time (user + sys) per completed
# request and peak RSS. The goal: 10,000 replicas cost at most 2x what 10
# cost, per request. The same system as a plain C loop (tests/bench/
# fleet.c: the same 1M requests, a record each, a FIFO per queue, one
# event list) gives the floor of that ratio on this machine's caches,
# measured in the same rounds: with a binary heap (whose sift grows with
# the pending events and leaves the caches) and with a calendar queue
# (O(1) per event, as concsim's kernel from 512 pending events), the
# floor of a simulator that keeps that little per request and queue.
REPLICAS=${REPLICAS:-"10 1000 10000 100000"}
for n in $REPLICAS; do fleet_yaml "$n" 1000000 zero > "$tmp/rep$n.yaml"; : > "$tmp/rq$n"; : > "$tmp/rm$n"; : > "$tmp/rf$n"; : > "$tmp/rc$n"; done
for r in $(seq "$SCALE_ROUNDS"); do
  for n in $REPLICAS; do
    "$CPUTIME" "$tmp/t1" "$BIN" run "$tmp/rep$n.yaml" \
      --format csv -j1 > "$tmp/out.csv"
    done_n=$(python3 -c "import csv; print(next(csv.DictReader(open('$tmp/out.csv')))['completed'])")
    python3 -c "print(1e9 * $(cpu_of "$tmp/t1") / $done_n)" >> "$tmp/rq$n"
    awk '{print $3 / 1024}' "$tmp/t1" >> "$tmp/rm$n"
    "$FLEET" "$n" 1000000 | field ns_per_request >> "$tmp/rf$n"
    "$FLEET" "$n" 1000000 cal | field ns_per_request >> "$tmp/rc$n"
  done
  echo "replicas round $r: ns per request $(for n in $REPLICAS; do printf '%s:%s ' "$n" "$(tail -1 "$tmp/rq$n")"; done)" >&2
done
echo "replicas (800/s each, 1M requests, CPU time per request incl. setup; medians of $SCALE_ROUNDS rounds):"
printf '  %-9s %14s %12s %36s %36s %36s\n' replicas "ns/request" "peak RSS MiB" "vs 10 replicas" "C loop, heap: ns/request, vs 10" "C loop, calendar: ns/request, vs 10"
for n in $REPLICAS; do
  printf '  %-9s %14.0f %12.1f   %-34s %8.0f  %-26s %8.0f  %s\n' "$n" "$(median < "$tmp/rq$n")" \
    "$(median < "$tmp/rm$n")" "$(ratios "$tmp/rq$n" "$tmp/rq10")" \
    "$(median < "$tmp/rf$n")" "$(ratios "$tmp/rf$n" "$tmp/rf10")" \
    "$(median < "$tmp/rc$n")" "$(ratios "$tmp/rc$n" "$tmp/rc10")"
done
echo "  (goals: 10,000 replicas <= 2x the cost per request of 10; 100,000 in under 2048 MiB)"

# Large sweeps: a 10,000-point sweep (-j1, -o DIR) against the same
# simulations without a sweep (one `run` of 10,000 replications): the
# extra CPU time is what the sweep itself costs (loading each point,
# summaries, rows, checkpoints, the final files). Goal: at most 5 %.
SWEEP_POINTS=${SWEEP_POINTS:-10000}
cat > "$tmp/sw.yaml" <<YAML
name: sweep-overhead
seed: 1
duration: 50s
warmup: 0s
replications: 1
workload:
  arrivals: { process: poisson, rate: 100/s }
  classes: [ { name: c, phases: [ { cpu: { dist: exponential, mean: 1ms } } ] } ]
systems: [ { name: node, model: event-loop, cores: 1 } ]
YAML
: > "$tmp/swo"
for r in $(seq "$SCALE_ROUNDS"); do
  rm -rf "$tmp/swdir"
  "$CPUTIME" "$tmp/ts" "$BIN" sweep "$tmp/sw.yaml" -q -j1 \
    --param "seed=1:$SWEEP_POINTS:1" -o "$tmp/swdir" --format csv > /dev/null
  "$CPUTIME" "$tmp/tr" "$BIN" run "$tmp/sw.yaml" -q -j1 \
    --replications "$SWEEP_POINTS" --format csv > /dev/null
  python3 -c "print(100 * ($(cpu_of "$tmp/ts") / $(cpu_of "$tmp/tr") - 1))" >> "$tmp/swo"
  echo "sweep round $r: sweep $(cpu_of "$tmp/ts") s, run $(cpu_of "$tmp/tr") s of CPU" >&2
done
echo "$SWEEP_POINTS-point sweep, CPU beyond the same simulations in one run: $(spread "$tmp/swo") % (goal <= 5)"
# the same in instructions (callgrind, 300 points against 300
# replications): deterministic, where the machine's load moves the CPU
# times above by several points
if command -v valgrind > /dev/null; then
  sweep_ir() {
    valgrind --tool=callgrind --callgrind-out-file=/dev/null "$BIN" "$@" \
      2>&1 >/dev/null | sed -n 's/.*refs: *//p' | tr -d ,
  }
  rm -rf "$tmp/swdir"
  s_ir=$(sweep_ir sweep "$tmp/sw.yaml" -q -j1 --param "seed=1:300:1" \
    -o "$tmp/swdir" --format csv)
  r_ir=$(sweep_ir run "$tmp/sw.yaml" -q -j1 --replications 300 --format csv)
  echo "300-point sweep, instructions beyond the same simulations in one run: $(python3 -c "print(f'{100 * ($s_ir / $r_ir - 1):.1f}')") % (goal <= 5)"
fi
