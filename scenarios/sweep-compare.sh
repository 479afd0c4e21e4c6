#!/usr/bin/env bash
# sweep-compare.sh - the flagship comparison as curves: sweep the arrival
# rate of scenarios/flagship.yaml from light load to well past saturation
# (without its spike, so that each point is a steady load) and plot
# throughput, latency, goodput and errors against the offered load.
#
#   bash scenarios/sweep-compare.sh [OUTDIR] [sweep options...]
#
# OUTDIR defaults to results/sweep-compare. Extra options go to `concsim
# sweep`, e.g. `--set duration=20s --replications 3` for a quick look, or
# `-j 8`. Interrupted (Ctrl-C)? Run the same command again: it resumes.
# The binary is $CONCSIM, else build/concsim.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${CONCSIM:-build/concsim}
out=${1:-results/sweep-compare}
[ $# -gt 0 ] && shift
[ -x "$bin" ] || { echo "no $bin: build first (bash scripts/dev.sh build)" >&2; exit 2; }

"$bin" sweep scenarios/flagship.yaml -o "$out" --resume \
  --set 'workload.arrivals.schedule=[]' \
  --param workload.arrivals.rate=200/s:2600/s:200/s \
  --format table "$@"
"$bin" plot "$out"
