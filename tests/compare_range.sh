#!/usr/bin/env bash
# compare_range.sh SOURCE_DIR - scripts/validate/compare.py's quantile_range
# (the measured p50's 95 % range in compare.md) on made-up points whose
# median is known: a single FIFO server at half load under the `hol` mix
# (Poisson arrivals, 90 % 1 ms and 10 % 20 ms), two repeats of 2000 requests
# a point, as validate-real.sh measures them. Requests that queue behind the
# same long one share their fate, so order statistics that take the
# latencies as independent give too narrow a range: the test wants the
# range to hold the true median and 99th percentile in about 95 % of
# points (and not in all: a range too wide fails too), and checks that
# the order statistics alone do not hold the median (so it fails without
# the sectioning).
set -euo pipefail
src=$1
PYTHONDONTWRITEBYTECODE=1 python3 - "$src/scripts/validate" <<'EOF'
import math
import random
import sys

sys.path.insert(0, sys.argv[1])
import compare  # noqa: E402

LAM = 170.0  # requests a second: utilisation 0.49


def point(rng, n):
    """Latencies (s) of n requests through a FIFO server, in sending order
    (Lindley's recursion), starting empty."""
    w, out = 0.0, []
    for _ in range(n):
        s = 0.020 if rng.random() < 0.1 else 0.001
        out.append(w + s)
        w = max(0.0, w + s - rng.expovariate(LAM))
    return out


rng = random.Random(12)
true = sorted(point(rng, 1_000_000))
print("share at or below 1 ms %.3f" % compare.rank(true, 0.001))

N = 120
for q in (0.5, 0.99):
    true_q = true[int(len(true) * q)]
    hit = hit_iid = 0
    for _ in range(N):
        reps = [point(rng, 2000), point(rng, 2000)]
        lo, hi = compare.quantile_range(reps, q)
        hit += lo <= true_q <= hi
        v = sorted(x for r in reps for x in r)
        ilo, ihi = compare.order_range(v, q)
        hit_iid += v[ilo] <= true_q <= v[ihi]
    cov, cov_iid = hit / N, hit_iid / N
    print("q %g = %.2f ms: held in %d points by quantile_range %.3f, by the "
          "order statistics alone %.3f (nominal 0.95)"
          % (q, 1e3 * true_q, N, cov, cov_iid))
    # 120 points: a coverage of 0.95 gives 114 +- 2.4 (one sigma)
    assert cov >= 0.88, "quantile_range holds it too rarely: %.3f" % cov
    assert cov <= 0.99, "quantile_range holds it every time: too wide"
    if q == 0.5:
        assert cov_iid <= 0.85, (
            "the order statistics alone hold it %.3f: the test no longer "
            "shows why sectioning is needed" % cov_iid)
EOF
