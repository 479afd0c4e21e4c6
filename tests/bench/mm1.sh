# mm1.sh - the scenarios of the benchmarks (bench.sh, mm1_layers.sh and
# scripts/pgo-train.sh source it).
#
#   mm1_yaml CUSTOMERS > FILE    the M/M/1: Poisson arrivals at 0.9/s,
#                                exponential cpu of mean 1 s, one
#                                event-loop process on one core,
#                                `overheads: zero` (exactly an M/M/1
#                                queue), for about CUSTOMERS customers
#   fleet_yaml N [REQUESTS] [zero] > FILE
#                                the fleet: N event-loop replicas on one
#                                core each behind a random balancer, 800/s
#                                each, exponential cpu of mean 1 ms, for
#                                about REQUESTS requests (default 1M; at
#                                least 10 ms simulated); with `zero`, the
#                                replicas' `overheads: zero` (an M/M/1 at
#                                0.8 each: with Node's overheads 800/s of
#                                1 ms overloads a replica, so a long run
#                                of few replicas fills its backlog while a
#                                short one of many does not)
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

fleet_yaml() {
  python3 - "$1" "${2:-1000000}" "${3:-}" <<'PY'
import sys
n, req = int(sys.argv[1]), float(sys.argv[2])
zero = ", overheads: zero" if sys.argv[3] == "zero" else ""
print(f"""name: replicas-{n}
seed: 1
duration: {max(0.01, req / (800 * n)):.6f}s
warmup: 0s
replications: 1
workload:
  arrivals: {{ process: poisson, rate: {800 * n}/s }}
  classes: [ {{ name: c, phases: [ {{ cpu: {{ dist: exponential, mean: 1ms }} }} ] }} ]
systems:
  - {{ name: fleet, model: replicas, replicas: {n}, balancer: random,
      replica: {{ model: event-loop, cores: 1{zero} }} }}""")
PY
}
