#!/usr/bin/env bash
# mpi_sweep.sh - `mpirun -np 2 concsim sweep` writes the very bytes of a
# single-process `concsim sweep -j1` (results.csv, results.json,
# scenario.yaml). Registered with ctest when built with -DCONCSIM_MPI=ON.
#
#   bash tests/mpi_sweep.sh CONCSIM MPIEXEC
set -euo pipefail
bin=$1
mpiexec=${2:-mpirun}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cat > "$tmp/s.yaml" <<'YAML'
name: mpi
seed: 11
duration: 2s
warmup: 200ms
replications: 2
workload:
  arrivals: { process: poisson, rate: 100/s }
  classes:
    - { name: a, phases: [ {cpu: {dist: exponential, mean: 1ms}}, {io: 4ms} ] }
systems:
  - { name: loop, model: event-loop, cores: 1 }
  - { name: pool, model: worker-pool, cores: 2, workers: 3 }
sweep:
  workload.arrivals.rate: { from: 100/s, to: 900/s, step: 200/s }
YAML

# plain, then with --precision (each rank runs its points' sequential
# procedure) and --long (results_long.csv)
for opts in "" "--precision 10% --max-replications 8 --long"; do
  rm -rf "$tmp/one" "$tmp/mpi"
  # shellcheck disable=SC2086
  "$bin" sweep "$tmp/s.yaml" -q -j1 $opts -o "$tmp/one" --format csv \
    > "$tmp/one.out" 2> /dev/null
  # as root, OpenMPI wants --allow-run-as-root; --oversubscribe lets two
  # ranks run on a one-core machine
  # shellcheck disable=SC2086
  "$mpiexec" --allow-run-as-root --oversubscribe -np 2 \
    "$bin" sweep "$tmp/s.yaml" -q -j1 $opts -o "$tmp/mpi" --format csv \
    > "$tmp/mpi.out" 2> /dev/null
  files="results.csv results.json scenario.yaml"
  [ -z "$opts" ] || files="$files results_long.csv"
  for f in $files; do
    cmp "$tmp/one/$f" "$tmp/mpi/$f"
  done
  cmp "$tmp/one.out" "$tmp/mpi.out"
  rows=$(($(wc -l < "$tmp/mpi/results.csv") - 1))
  [ "$rows" -eq 10 ] || { echo "expected 10 rows, got $rows" >&2; exit 1; }
  echo "mpirun -np 2 matches one process ($opts): $rows rows, identical"
done
