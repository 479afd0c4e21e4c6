#!/usr/bin/env bash
# compare_table.sh SOURCE_DIR - `compare.py table OUT`, the per-point table
# of a validation run that the README shows, on a made-up run of two
# points and one knee: each measured figure with its spread, each
# prediction with its error, `*` on a rate below 0.85 x the knee and `!`
# on a prediction outside its goal there (not above the knee, where no
# goal applies), the knee's error against the 10 % goal; a prediction
# the run lacks is refused.
set -euo pipefail
src=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
f=throughput_rps,latency_s_p50,latency_s_p99
{
  printf 'system,mix,offered_rps,below_085_knee'
  for x in ${f//,/ }; do printf ',measured_%s,measured_%s_spread' "$x" "$x"; done
  for p in defaults fit; do
    for x in ${f//,/ }; do printf ',%s_%s,%s_%s_err' "$p" "$x" "$p" "$x"; done
  done
  echo
  # below the knee: (a)'s p50 16 % low (a miss), (b)'s 10 % (met); p99 met
  echo 'node,hol,100,1,99,0.02,0.0020,0.05,0.030,0.10,100,0.01,0.00168,-0.16,0.033,0.10,100,0.01,0.0018,-0.10,0.030,0.0'
  # above it: (a)'s p50 50 % low, no goal
  echo 'node,hol,300,0,250,0.01,0.100,0.30,0.500,0.20,260,0.04,0.050,-0.50,0.400,-0.20,255,0.02,0.090,-0.10,0.45,-0.10'
} >"$tmp/compare.csv"
cat >"$tmp/knees.csv" <<'CSV'
system,mix,measured_knee_rps,measured_knee_lo,measured_knee_hi,defaults_knee_rps,defaults_knee_err,fit_knee_rps,fit_knee_err
node,hol,280,270,290,310,0.107,285,0.018
CSV
out=$(python3 "$src/scripts/validate/compare.py" table "$tmp")
echo "$out"
fail() { echo "compare_table: $*" >&2; exit 1; }
grep -qF '| node | hol | 100* | 99 (2%) | 100 (+1%) | 100 (+1%) | 2.0 (5%) | 1.7 (-16%)! | 1.8 (-10%) | 30.0 (10%) | 33.0 (+10%) | 30.0 (+0%) |' <<<"$out" ||
  fail "the point below the knee"
grep -qF '| node | hol | 300 | 250 (1%) | 260 (+4%) | 255 (+2%) | 100 (30%) | 50.0 (-50%) | 90.0 (-10%) |' <<<"$out" ||
  fail "the point above the knee (no goal, no '!')"
grep -qF '| node | hol | 280 (270-290) | 310 (+11%)! | 285 (+2%) |' <<<"$out" || fail "the knee"
if python3 "$src/scripts/validate/compare.py" table "$tmp" trace >/dev/null 2>&1; then
  fail "a prediction the run lacks was not refused"
fi
echo "compare_table: ok"
