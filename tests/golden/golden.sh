#!/usr/bin/env bash
# golden.sh - the outputs a fixed seed must reproduce byte for byte.
#
#   bash tests/golden/golden.sh BIN OUTDIR     writes them into OUTDIR
#   bash tests/golden/golden.sh --refresh BIN  rewrites tests/golden/expected
#
# For every scenario in scenarios/: the files of `run -o` (results.json,
# results.csv, summary.txt, scenario.yaml) and `check`'s text; plus a
# short time series, a small sweep, a trace and `help models`. The test
# test_golden runs this into a scratch folder and compares it with
# tests/golden/expected; a deliberate change of output is recorded with
# --refresh and reviewed in the diff like any other change.
set -euo pipefail
refresh=0
if [ "${1:-}" = --refresh ]; then refresh=1; shift; fi
bin=$1
src=$(cd "$(dirname "$0")/../.." && pwd)
if [ $refresh = 1 ]; then
  out=$src/tests/golden/expected
  rm -rf "$out"
else
  out=$2
fi
mkdir -p "$out"
cd "$src"
for f in scenarios/*.yaml; do
  n=$(basename "$f" .yaml)
  "$bin" check "$f" > "$out/$n.check.txt"
  rm -rf "$out/.run"
  "$bin" run "$f" -q -o "$out/.run" > /dev/null
  for k in results.json results.csv summary.txt scenario.yaml; do
    mv "$out/.run/$k" "$out/$n.$k"
  done
  rm -rf "$out/.run"
done
"$bin" run scenarios/flagship.yaml -q --set duration=6s --replications 2 \
  --timeseries 1s -o "$out/.run" > /dev/null
mv "$out/.run/timeseries.csv" "$out/flagship.timeseries.csv"
rm -rf "$out/.run"
"$bin" sweep scenarios/cpu-heavy.yaml -q -j 2 --set duration=5s \
  --set replications=2 --param workload.arrivals.rate=300/s,700/s \
  -o "$out/.sweep" > /dev/null
for k in results.json results.csv scenario.yaml; do
  mv "$out/.sweep/$k" "$out/sweep.$k"
done
rm -rf "$out/.sweep"
"$bin" trace scenarios/flagship.yaml --set duration=1s --set warmup=0s -o "$out/flagship.trace.csv"
"$bin" help models > "$out/help-models.txt"
