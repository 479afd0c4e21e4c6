# mm1.sh - the M/M/1 of the benchmarks (bench.sh, mm1_layers.sh source it):
# Poisson arrivals at 0.9/s, exponential cpu of mean 1 s, one event-loop
# process on one core, `overheads: zero` (exactly an M/M/1 queue).
#
#   mm1_yaml CUSTOMERS > FILE    the scenario, for about CUSTOMERS customers
mm1_yaml() {
  cat <<YAML
name: mm1-bench
seed: 1
duration: $(python3 -c "print(f'{$1/0.9:.3f}s')")
warmup: 0s
replications: 1
workload:
  arrivals: { process: poisson, rate: 0.9/s }
  classes: [ { name: c, phases: [ { cpu: { dist: exponential, mean: 1s } } ] } ]
systems: [ { name: node, model: event-loop, cores: 1, overheads: zero } ]
YAML
}
