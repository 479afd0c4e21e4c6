#!/usr/bin/env bash
# bench.sh - concsim's speed and memory against the yardsticks of
# shared/bench, measured in the same run, alternating, as ratios.
#
#   bash tests/bench/bench.sh [ROUNDS]      (default 5; medians are reported)
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
SHARED=${SHARED:-../shared}
CUSTOMERS=10000000
SIMPY_CUSTOMERS=${SIMPY_CUSTOMERS:-500000}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

[ -x "$BIN" ] && [ -x "$HOLD" ] || { echo "build first: bash scripts/dev.sh build" >&2; exit 2; }
cc -std=c11 -O2 -o "$tmp/mm1_ref" "$SHARED/bench/mm1_ref.c" -lm

# the M/M/1 of shared/bench: lambda 0.9/s, mu 1/s, 10M customers
cat > "$tmp/mm1.yaml" <<YAML
name: mm1-bench
seed: 1
duration: $(python3 -c "print(f'{$CUSTOMERS/0.9:.3f}s')")
warmup: 0s
replications: 1
workload:
  arrivals: { process: poisson, rate: 0.9/s }
  classes: [ { name: c, phases: [ { cpu: { dist: exponential, mean: 1s } } ] } ]
systems: [ { name: node, model: event-loop, cores: 1, overheads: zero } ]
YAML

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
field() { tr ' ' '\n' | sed -n "s/^$1=//p"; }

: > "$tmp/ref"; : > "$tmp/cs"; : > "$tmp/py"; : > "$tmp/rss"
: > "$tmp/href"; : > "$tmp/hcs"
have_simpy=0
/usr/bin/python3 -c 'import simpy' 2>/dev/null && have_simpy=1
for r in $(seq "$ROUNDS"); do
  "$tmp/mm1_ref" "$CUSTOMERS" "$r" | field customers_per_s >> "$tmp/ref"
  start=$(date +%s.%N)
  /usr/bin/time -f "%M" -o "$tmp/rss1" "$BIN" run "$tmp/mm1.yaml" --seed "$r" \
      --format csv -j1 > "$tmp/out.csv"
  end=$(date +%s.%N)
  done=$(python3 -c "import csv; print(next(csv.DictReader(open('$tmp/out.csv')))['completed'])")
  python3 -c "print($done / ($end - $start))" >> "$tmp/cs"
  cat "$tmp/rss1" >> "$tmp/rss"
  if [ $have_simpy = 1 ]; then
    /usr/bin/python3 "$SHARED/bench/mm1_simpy.py" "$SIMPY_CUSTOMERS" "$r" | field customers_per_s >> "$tmp/py"
  fi
  "$tmp/mm1_ref" hold 100000 10000000 "$r" | field ns_per_hold >> "$tmp/href"
  "$HOLD" 100000 10000000 | field ns_per_hold >> "$tmp/hcs"
  echo "round $r: ref $(tail -1 "$tmp/ref") concsim $(tail -1 "$tmp/cs") simpy $(tail -1 "$tmp/py" 2>/dev/null || echo -) customers/s; hold ns ref $(tail -1 "$tmp/href") concsim $(tail -1 "$tmp/hcs")" >&2
done

ref=$(median < "$tmp/ref"); cs=$(median < "$tmp/cs"); rss=$(median < "$tmp/rss")
href=$(median < "$tmp/href"); hcs=$(median < "$tmp/hcs")
echo "date: $(date -u +%F) machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "M/M/1, 10M customers (medians of $ROUNDS alternating rounds, whole concsim process):"
printf '  plain C loop     %12.0f customers/s\n' "$ref"
printf '  concsim          %12.0f customers/s   = %.2f x the C loop (goal >= 0.5)\n' "$cs" "$(python3 -c "print($cs/$ref)")"
if [ $have_simpy = 1 ]; then
  py=$(median < "$tmp/py")
  printf '  SimPy            %12.0f customers/s   concsim = %.0f x SimPy (goal >= 100)\n' "$py" "$(python3 -c "print($cs/$py)")"
fi
printf '  concsim peak RSS  %11.1f MiB for 10M requests (goal <= 32)\n' "$(python3 -c "print($rss/1024)")"
printf 'hold model, 100k pending: plain C %.1f ns, concsim %.1f ns per hold (%.2f x)\n' "$href" "$hcs" "$(python3 -c "print($hcs/$href)")"
