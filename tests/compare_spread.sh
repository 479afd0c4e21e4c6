#!/usr/bin/env bash
# compare_spread.sh SOURCE_DIR - scripts/validate/compare.py's `spread`
# (validate-real.sh's predict_spread: what a measurement of each point's
# size can resolve) on made-up values whose answers are known by hand:
# the seconds measured at a point summed over its repeats (a file from
# before measured.csv's duration_s column counts its run's duration); a
# figure's central 95 % range over the model's own measurements, the share
# of them within the goal of the prediction, and the seconds a
# measurement would need by the 1 / sqrt(T) law; and the summary's sums
# and product over the points below 0.85 x the knee.
# shellcheck source=tests/compare_lib.sh
source "$(dirname "$0")/compare_lib.sh" "$1"
cat >"$tmp/measured.csv" <<'EOF'
# duration=6s min_requests=2000
system,mix,rep,offered_rps,throughput_rps,duration_s
node,hol,1,100.000,100.0,6.5
node,hol,2,100.000,100.0,7.0
node,hol,1,200.000,200.0,
node,hol,2,200.000,200.0,6
uvicorn,hol,1,100.000,100.0,6
EOF
expect points '100 13.500
200 12.000' "$(python3 "$cv" spread "$tmp" node-hol points)"

PYTHONDONTWRITEBYTECODE=1 python3 - "$src/scripts/validate" <<'EOF'
import contextlib
import io
import math
import sys

sys.path.insert(0, sys.argv[1])
import compare  # noqa: E402

# 101 measurements of the model, 0.90 to 1.10 s evenly: mean 1.00
v = [0.90 + 0.002 * i for i in range(101)]
f = compare.spread_fields(v, 1.2, 1.0, 0.10, 10.0)
assert abs(f["lo"] - 0.905) < 1e-9 and abs(f["hi"] - 1.095) < 1e-9, f
assert f["in"] == 0, "1.2 lies outside 0.905-1.095"
# the goal compares the prediction with the measurement (pred / x - 1):
# within 10 % of the prediction 1.0 is 1/1.1 <= x <= 1/0.9 (0.9091 to
# 1.111), i.e. 0.910 to 1.100: 96 of the 101 (x / pred would take 0.900
# to 1.100)
assert abs(f["hit"] - 96 / 101) < 1e-9, f["hit"]
# 95 % of them within 0.096 of the mean: 10 s x (0.096 / 0.1)^2
assert abs(f["need_s"] - 10 * (0.096 / 0.1) ** 2) < 1e-6, f["need_s"]
g = compare.spread_fields(v, 1.0, 1.0, 0.25, 10.0)
assert g["in"] == 1 and g["hit"] == 1.0, g
assert g["need_s"] < 10, "a goal wider than the spread needs less time"

# the summary: two points below 0.85 x the knee, one above (not counted)
def row(rate, h50, h99, in50, in99, e50, e99, below=1):
    r = {"system": "node", "mix": "hol", "offered_rps": rate,
         "below_085_knee": below, "spread_n": 200, "spread_seconds": 12.0}
    for fig, h, i, e in (("latency_s_p50", h50, in50, e50),
                         ("latency_s_p99", h99, in99, e99)):
        r["measured_" + fig] = 0.01
        r["defaults_" + fig] = 0.01 * (1 + e)
        r["defaults_" + fig + "_err"] = e
        r["spread_%s_lo" % fig] = 0.009
        r["spread_%s_hi" % fig] = 0.011
        r["spread_%s_in" % fig] = i
        r["spread_%s_hit" % fig] = h
        r["spread_%s_need_s" % fig] = 100 * rate
    return r

rows = [row(100, 0.9, 0.5, 1, 0, 0.10, 0.30), row(200, 0.8, 1.0, 0, 1, -0.20, 0.0),
        row(300, 0.1, 0.1, 0, 0, 0.9, 0.9, below=0)]
out = io.StringIO()
with contextlib.redirect_stdout(out):
    compare.print_spread(rows, [{"system": "node", "mix": "hol"}])
lines = [l for l in out.getvalue().splitlines() if l.startswith("| node | hol |")
         or l.startswith("| all |")]
want = ("| node | hol | 2 | 1/2 | 1.7 | 0.72 | 1/2 | 20000 s (200/s) "
        "| 1/2 | 1.5 | 0.50 | 1/2 | 20000 s (200/s) |")
assert lines[0] == want, "\n%s\nwanted\n%s" % (lines[0], want)
assert lines[1].startswith("| all |  | 2 | 1/2 | 1.7 | 0.72 |"), lines[1]
print("spread: ranges, hits, needed seconds and their sums as computed by hand")
EOF
