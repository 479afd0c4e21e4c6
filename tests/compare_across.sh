#!/usr/bin/env bash
# compare_across.sh SOURCE_DIR - scripts/validate/compare.py's `across`
# (several validate-real.sh runs side by side) on made-up runs: points
# matched by system, mix and the rate's position in each run's sweep
# (the rates differ: 50 and 100/s in one run, 60 and 120/s in the other),
# only those below 0.85 x the run's knee; the goals each prediction met;
# and the most of the runs one fixed value lies within the goal of: at
# position 1 the p50s 1.0 and 1.3 ms (15 %: 1.105-1.15 ms meets both), at
# position 2 1.0 and 2.0 ms (no value within 15 % of both: 1); the p99s
# 10 and 12 ms (25 %: 9-12.5 ms) both; a NaN (a point without a value)
# is left out, not counted against the others.
# shellcheck source=tests/compare_lib.sh
source "$(dirname "$0")/compare_lib.sh" "$1"
head='system,mix,offered_rps,below_085_knee,measured_latency_s_p50,measured_latency_s_p99,defaults_latency_s_p50_err,defaults_latency_s_p99_err'
mkdir -p "$tmp/a" "$tmp/b"
cat >"$tmp/a/compare.csv" <<EOF
$head
node,hol,100.0,1,0.001,0.010,0.5,0.1
node,hol,50.0,1,0.001,0.010,0.1,0.1
node,hol,150.0,0,0.050,0.500,0.9,0.9
EOF
cat >"$tmp/b/compare.csv" <<EOF
$head
node,hol,60.0,1,0.0013,0.012,-0.2,0.3
node,hol,120.0,1,0.002,0.012,0.0,-0.2
EOF
out=$(python3 "$cv" across "$tmp/a" "$tmp/b")
expect "position 1" '| node | hol | 1 | 2 | 50-60 | 1 1.3 | 2 | 1 | 10 12 | 2 | 1 |' \
  "$(grep '^| node | hol | 1 ' <<<"$out")"
expect "position 2" '| node | hol | 2 | 2 | 100-120 | 1 2 | 1 | 1 | 10 12 | 2 | 2 |' \
  "$(grep '^| node | hol | 2 ' <<<"$out")"
expect "no position 3 (above 0.85 x the knee)" '' "$(grep '^| node | hol | 3 ' <<<"$out" || true)"
expect "totals" '| all | | p50 | 4 | 3 | 2 |
| all | | p99 | 4 | 4 | 3 |' "$(grep '^| all ' <<<"$out")"
expect "across.csv" 'system,mix,position,runs,measured_latency_s_p50_min,measured_latency_s_p50_max,best_fixed_p50,best_fixed_latency_s_p50_value,defaults_p50_met,measured_latency_s_p99_min,measured_latency_s_p99_max,best_fixed_p99,best_fixed_latency_s_p99_value,defaults_p99_met
node,hol,1,2,0.001,0.0013,2,0.001105,1,0.01,0.012,2,0.009,1' \
  "$(head -2 "$tmp/a/across.csv" | tr -d '\r')"
expect "NaN left out" '2' "$(cd "$src/scripts/validate" && PYTHONDONTWRITEBYTECODE=1 python3 -c 'import compare; print(compare.best_fixed([1.0, float("nan"), 1.05], 0.15)[0])')"
echo "across: points matched by position, goals met, the best one value could do"
