#!/usr/bin/env bash
# compare_matched.sh SOURCE_DIR - scripts/validate/compare.py's `matched`
# (validate-real.sh's prediction "matched": (a) with each point's CPU per
# request made the server's measured one through request_overhead) on a
# made-up run: at 100/s the server's 1100 us a request (the repeats' mean
# utilization over their mean throughput) against (a)'s 1000 moves a 50
# us request_overhead to 150; at 200/s its 900 against (a)'s 1000 would
# take it to -50, and stays at 0; a rate (a) did not predict is left out.
# The collected prediction is each point's run, keyed by its rate.
# shellcheck source=tests/compare_lib.sh
source "$(dirname "$0")/compare_lib.sh" "$1"
cat >"$tmp/measured.csv" <<'EOF'
# duration=6s min_requests=2000
system,mix,rep,offered_rps,throughput_rps,utilization_cpu
node,io,1,100.000,100.0,0.10
node,io,2,100.000,100.0,0.12
node,io,1,200.000,200.0,0.18
node,io,2,200.000,200.0,0.18
node,io,1,300.000,300.0,0.30
uvicorn,io,1,100.000,100.0,0.5
EOF
mkdir -p "$tmp/pred_defaults/node-io"
cat >"$tmp/pred_defaults/node-io/results.csv" <<'EOF'
workload.arrivals.rate,system,throughput_rps,utilization_cpu,latency_s_p50
100,node,100,0.1,0.021
200,node,200,0.2,0.022
EOF
expect points '100 150.000
200 0.000' "$(python3 "$cv" matched "$tmp" node-io 50 points)"
for r in 100 200; do
  mkdir -p "$tmp/matched_runs/node-io/$r"
  printf 'workload.arrivals.rate,system,throughput_rps,latency_s_p50\n%s,node,%s,0.0%s\n' \
    "$r" "$r" "$((r / 10))" >"$tmp/matched_runs/node-io/$r/results.csv"
done
python3 "$cv" matched "$tmp" node-io 50 collect
expect collected 'workload.arrivals.rate,repeats,throughput_rps,latency_s_p50
100,1,100,0.01
200,1,200,0.02' "$(tr -d "\r" <"$tmp/pred_matched/node-io/results.csv")"
# rematch: the same on each repeat's own arrivals (trace_matched's second
# pass), repeat by repeat: at 100/s the first repeat's run took 1000 us a
# request with 150 us of request_overhead, the server 1000: 150; the
# second's 1100 against the server's 1200: 250; at 200/s 1000 with 50
# against 900: 0, not -50; a rate without runs is left out, and a
# repeat's own overhead, when the runs had one, is the one moved.
d=$tmp/trace_matched_runs/node-io
mkdir -p "$d"
printf '100 150\n200 50\n300 10\n' >"$d/overheads.txt"
printf 'throughput_rps,utilization_cpu\n100,0.10\n' >"$d/100-1.results.csv"
printf 'throughput_rps,utilization_cpu\n100,0.11\n' >"$d/100-2.results.csv"
printf 'throughput_rps,utilization_cpu\n200,0.2\n' >"$d/200-1.results.csv"
expect rematch '100-1 150.000
100-2 250.000
200-1 0.000' "$(python3 "$cv" rematch "$tmp" node-io trace_matched)"
printf '100-2 170\n200 50\n' >"$d/overheads.txt"
expect rematch_by_repeat '100-2 270.000
200-1 0.000' "$(python3 "$cv" rematch "$tmp" node-io trace_matched)"
echo "matched: request_overhead moved by the CPU per request missed, not below 0"
