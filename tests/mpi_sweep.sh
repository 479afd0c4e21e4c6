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

"$bin" sweep "$tmp/s.yaml" -q -j1 -o "$tmp/one" --format csv > "$tmp/one.out"
# as root, OpenMPI wants --allow-run-as-root; --oversubscribe lets two ranks
# run on a one-core machine
"$mpiexec" --allow-run-as-root --oversubscribe -np 2 \
  "$bin" sweep "$tmp/s.yaml" -q -j1 -o "$tmp/mpi" --format csv > "$tmp/mpi.out"
for f in results.csv results.json scenario.yaml; do
  cmp "$tmp/one/$f" "$tmp/mpi/$f"
done
cmp "$tmp/one.out" "$tmp/mpi.out"
rows=$(($(wc -l < "$tmp/mpi/results.csv") - 1))
[ "$rows" -eq 10 ] || { echo "expected 10 rows, got $rows" >&2; exit 1; }
echo "mpirun -np 2 matches one process: $rows rows, 3 files identical"
