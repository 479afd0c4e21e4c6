#!/usr/bin/env bash
# mm1_layers.sh - where the time per customer of the M/M/1 goes, layer by
# layer, in instructions (callgrind: deterministic, where times on a
# shared machine are not).
#
#   bash tests/bench/mm1_layers.sh [CUSTOMERS] [BIN]   (default 200000, build/concsim)
#
# Runs the M/M/1 of bench.sh (Poisson 0.9/s, exponential cpu 1 s, one
# event-loop process on one core, `overheads: zero`) for CUSTOMERS / 0.9
# simulated seconds under callgrind, and sums the instructions by the
# source file of each line, inlined code included (sim_at inlined into the
# host counts as kernel), then divides by the customers completed:
#   client      sim/workload/*, sim/kernel/rng.* (arrivals, draws,
#               requests, timeouts, latency accounting)
#   model       models/*, sim/runtime/* but host.* (event loop, queues,
#               process set, memory)
#   host        sim/runtime/host.* (CPU scheduler)
#   kernel      sim/kernel/kernel.* (event list, dispatch)
#   statistics  sim/kernel/stats.* (histograms, time averages)
#   rest        libc, loading the scenario, writing the results
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${1:-200000}
BIN=${2:-build/concsim}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# shellcheck source=tests/bench/mm1.sh
source tests/bench/mm1.sh
mm1_yaml "$N" > "$tmp/mm1.yaml"
valgrind --tool=callgrind --dump-instr=no --callgrind-out-file="$tmp/cg.out" \
  "$BIN" run "$tmp/mm1.yaml" --format csv -j1 > "$tmp/out.csv" 2> "$tmp/vg.log"
done=$(python3 -c "import csv; print(next(csv.DictReader(open('$tmp/out.csv')))['completed'])")
callgrind_annotate --inclusive=no --threshold=100 "$tmp/cg.out" 2>/dev/null |
  python3 -c '
import re, sys
done = float(sys.argv[1])
layers = ["client", "model", "host", "kernel", "statistics", "rest"]
tot = dict.fromkeys(layers, 0)
for line in sys.stdin:
    m = re.match(r"\s*([\d,]+)\s+(?:\([^)]*\)\s+)?(\S+?):(\S+)", line)
    if not m or "[" in m.group(2):
        continue
    ir, f = int(m.group(1).replace(",", "")), m.group(2)
    if "sim/workload/" in f or "sim/kernel/rng." in f:
        k = "client"
    elif "sim/runtime/host." in f:
        k = "host"
    elif "models/" in f or "sim/runtime/" in f:
        k = "model"
    elif "sim/kernel/kernel." in f:
        k = "kernel"
    elif "sim/kernel/stats." in f:
        k = "statistics"
    else:
        k = "rest"
    tot[k] += ir
total = sum(tot.values())
print(f"M/M/1, {done:.0f} customers: {total / done:.0f} instructions per customer ({total} in all)")
for k in layers:
    print(f"  {k:<11} {tot[k] / done:6.0f}")
' "$done"
