#!/usr/bin/env bash
# fit_bound.sh CONCSIM - a fit whose best value lies on a bound converges.
# The measurements: Node (1 process, one core) under the
# `io` mix (0.5 ms of CPU, then a 20 ms wait) at 327 to 1225/s, the lower
# half of scripts/validate-real.sh's run of 2026-12-06 04:44, with
# request_overhead to fit in [50 us, 5 ms] and cache_refill in [5 us, 5
# ms]. Both add about the same CPU to every request, and the best
# request_overhead lies below the 50 us bound (about 8 us unbounded since
# the loop's turns of 2026-12-06; below 5 us before them, when this test
# had 5 us for its bound): the search drives its coordinate far past the
# logistic's saturation, where moving it changes nothing, and a refit's
# simplex cycles there for good. In the run of 04:44 one of the five
# refits' simplex cycled at a size of 0.19 (1000 and 4000 iterations
# alike), so the fit stopped, "refit 4 did not converge"; with the bound
# at 50 us a build without the restarts fails the same way (checked on
# 2026-12-06 at 07:46). A simplex stuck that way is now started again
# from its best point, smaller (fit.c, MAX_RESTARTS): the fit converges
# with request_overhead at its bound and cache_refill taking the rest.
set -euo pipefail
bin=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat >"$tmp/s.yaml" <<'EOF'
name: fit-bound
seed: 12
duration: 7s
warmup: 1s
replications: 5
workload:
  arrivals: { process: poisson, rate: 100/s }
  client: { timeout: 10s, rtt: 82us }
  classes:
    - { name: query, weight: 1, phases: [ { cpu: 500us }, { io: 20000us } ] }
systems:
  - { name: node, model: event-loop, cores: 1, quantum: 1.5ms, processes: 1, request_overhead: { fit: [50us, 5ms] }, cache_refill: { fit: [5us, 5ms] }, cache_refill_long: 0s }
EOF
cat >"$tmp/m.csv" <<'EOF'
offered_rps,throughput_rps,latency_s_mean,latency_s_p50,latency_s_p90,latency_s_p99,utilization_cpu,system
327.0,326.786,0.0208655,0.0208415,0.021494,0.0221195,0.24245,node
653.0,662.083,0.020888,0.02082,0.0215695,0.0227155,0.44155,node
980.0,966.833,0.0210805,0.020942,0.0220015,0.0237415,0.62745,node
1225.0,1217.58,0.021431,0.021161,0.022848,0.0251995,0.76905,node
EOF
if ! "$bin" fit "$tmp/s.yaml" "$tmp/m.csv" -o "$tmp/out.yaml" -j2 \
  --max-iter 1000 >"$tmp/log" 2>&1; then
  cat "$tmp/log" >&2
  echo "the fit did not converge" >&2
  exit 1
fi
ro=$(sed -n 's/^#   systems.0.request_overhead = \([0-9.]*\)us .*/\1/p' "$tmp/out.yaml")
cr=$(sed -n 's/^#   systems.0.cache_refill = \([0-9.]*\)us .*/\1/p' "$tmp/out.yaml")
awk -v ro="$ro" -v cr="$cr" 'BEGIN { exit !(ro >= 50 && ro < 55 && cr > 30 && cr < 65) }' || {
  echo "fitted request_overhead $ro us, cache_refill $cr us: want about 50 (its bound) and 47" >&2
  exit 1
}
echo "fit on a bound: converged, request_overhead $ro us, cache_refill $cr us"
