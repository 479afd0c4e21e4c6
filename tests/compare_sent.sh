#!/usr/bin/env bash
# compare_sent.sh SOURCE_DIR - scripts/validate/compare.py's `sent`
# (validate-real.sh's prediction "sent": (a) at the rate each repeat
# actually sent) on a made-up run: two repeats of two nominal rates whose
# draws sent other rates; the sweep list must be those rates, and the
# collected prediction, keyed by the nominal rate, the mean of the sweep's
# rows at each repeat's rate (95.238/s: concsim writes the rate it swept
# back in full, and both sides round it to 3 decimals); a repeat whose
# rate has no row is an error.
set -euo pipefail
src=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cv="$src/scripts/validate/compare.py"
cat >"$tmp/measured.csv" <<'EOF'
# duration=6s min_requests=2000
system,mix,rep,offered_rps,throughput_rps,scheduled,duration_s
sync,hol,1,100.000,97.0,1940,20
sync,hol,2,100.000,95.2,2000,21
sync,hol,1,200.000,190.0,1900,10
sync,hol,2,200.000,190.0,1900,10
node,hol,1,100.000,99.0,1000,10
EOF
rates=$(python3 "$cv" sent "$tmp" sync-hol rates)
[ "$rates" = "95.238/s,97.000/s,190.000/s" ] || {
  echo "sweep rates: $rates" >&2
  exit 1
}
mkdir -p "$tmp/sent_runs/sync-hol"
cat >"$tmp/sent_runs/sync-hol/results.csv" <<'EOF'
workload.arrivals.rate,system,latency_s_p50,throughput_rps
95.238,sync,0.006,104
97,sync,0.004,96
190,sync,0.010,190
EOF
python3 "$cv" sent "$tmp" sync-hol collect
got=$(tr -d "\r" <"$tmp/pred_sent/sync-hol/results.csv")
want='workload.arrivals.rate,repeats,latency_s_p50,throughput_rps
100,2,0.005,100
200,2,0.01,190'
[ "$got" = "$want" ] || {
  printf 'collected:\n%s\nwanted:\n%s\n' "$got" "$want" >&2
  exit 1
}
sed -i '/^190,/d' "$tmp/sent_runs/sync-hol/results.csv"
if python3 "$cv" sent "$tmp" sync-hol collect 2>"$tmp/err"; then
  echo "a repeat without its row was not an error" >&2
  exit 1
fi
grep -q "no row for its sent rate 190.000/s" "$tmp/err"
echo "sent: sweep rates and the mean over repeats as expected"
