#!/usr/bin/env bash
# pgo-train.sh - the training runs of the profile-guided build: what users
# run, with an instrumented concsim (CONCSIM_PGO=generate), whose counters
# go to the profile folder it was built with. scripts/dev.sh build calls
# it between the instrumented build and the optimised one.
#
#   bash scripts/pgo-train.sh BIN
#
# Every scenario of scenarios/ (every model, the balancers, services,
# connection pools, memory and GC, timeouts and retries; the files of
# `run -o`), one replication of 10 s; the M/M/1 of the benchmarks
# (tests/bench/mm1.sh, 1M customers: the event list and the event loop's
# plain path, issue 17's goal); a fleet of 1,000 event-loop replicas
# (200k requests: many queues, the calendar queue); and a 4-point sweep of
# the flagship. All with -j1, so that no two threads count at once (the
# counters are not atomic). About 6 s on the instrumented build.
set -euo pipefail
bin=$(realpath "$1")
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for f in scenarios/*.yaml; do
  "$bin" run "$f" -q -j1 --replications 1 --set duration=10s \
    -o "$tmp/run" > /dev/null
done
# shellcheck source=tests/bench/mm1.sh
source tests/bench/mm1.sh
mm1_yaml 1000000 > "$tmp/mm1.yaml"
"$bin" run "$tmp/mm1.yaml" -j1 --format csv > /dev/null
fleet_yaml 1000 200000 > "$tmp/fleet.yaml"
"$bin" run "$tmp/fleet.yaml" -j1 --format csv > /dev/null
"$bin" sweep scenarios/flagship.yaml -q -j1 --replications 1 \
  --set duration=5s --param workload.arrivals.rate=200/s:800/s:200/s \
  -o "$tmp/sweep" --format csv > /dev/null
