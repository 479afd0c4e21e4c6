#!/usr/bin/env bash
# refill_fit.sh SOURCE_DIR - scripts/calibrate/refill_fit.py (the fit of
# scripts/calibrate-refill.sh) on made-up measurements whose answers are
# known: three servers' extra CPU per request, R (1 - exp(-x / T)) + L (1 -
# exp(-x / TL)) after a burn of x us and R / (1 + rate T) + L / (1 + rate
# TL) at an idle rate, with T = 3 ms and TL = 40 ms (on the fit's grids).
# One run's points are fitted as they are; three runs, the truth plus and
# minus a disturbance, pooled (each point the median) give the truth
# again, and their per-request keys the medians.
set -euo pipefail
src=$1
fit=$src/scripts/calibrate/refill_fit.py
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "refill_fit: $*" >&2; exit 1; }

# extra CPU (us) of server S (R, L) at KIND X, disturbed by D us
python3 - "$tmp" <<'PY'
import math, sys
tmp = sys.argv[1]
T, TL = 3000.0, 40000.0
truth = {'node': (200.0, 900.0), 'uvicorn': (400.0, 400.0), 'sync': (600.0, 500.0)}
def extra(r, l, kind, x):
    if kind == 'busy':
        return r * -math.expm1(-x / T) + l * -math.expm1(-x / TL)
    return r / (1 + x * T * 1e-6) + l / (1 + x * TL * 1e-6)
pts = [('busy', x) for x in (500, 1000, 2000, 5000, 20000)] + \
      [('idle', x) for x in (20, 50, 100, 300, 1000)]
# one run's raw points: SERVER KIND X CPU BASE [BACKGROUND]; the base is
# 100 us, a busy point's CPU holds its burn, an idle point's the
# background's share (50 us a second over the rate)
with open(tmp + '/points', 'w') as f:
    for s, (r, l) in truth.items():
        for kind, x in pts:
            v = 100 + extra(r, l, kind, x) + (x if kind == 'busy' else 50 / x)
            f.write('%s %s %g %.3f 100%s\n' % (s, kind, x, v, ' 50' if kind == 'idle' else ''))
# three runs as refill.txt has them, none of them the truth: each point
# is off by -150, 0 or +450 us, a different one in each run (so that the
# median of each point is the truth, where the first run, the last or the
# mean is not), and so are the per-request keys
off = (-150, 0, 450)
for k in range(3):
    with open('%s/run%d.txt' % (tmp, k), 'w') as f:
        i = 0
        for s, (r, l) in truth.items():
            for kind, x in pts:
                d = off[(i + k) % 3]
                f.write('# %s %s %g: %.0f us\n' % (s, kind, x, extra(r, l, kind, x) + d))
                i += 1
        f.write('cache_refill_time: 9.99ms  (made up)\n')
        f.write('node (event-loop): request_overhead: %dus\n' % (120 + off[k] // 3))
        f.write('sync (worker-pool): switch_refill: %dus\n' % (300 + off[(k + 1) % 3]))
PY

check() { # FILE KEY VALUE: the fit printed KEY: VALUE
  grep -qx "$2: $3" "$1" || fail "$1: want '$2: $3', got: $(grep "^$2" "$1" || echo nothing)"
}
near() { # FILE KEY US: the fit printed KEY: within 2 us of US (the runs'
  # points are whole microseconds, as refill.txt has them)
  local v
  v=$(sed -n "s/^$2: \([0-9]*\)us$/\1/p" "$1")
  [ -n "$v" ] && [ $((v - $3)) -le 2 ] && [ $(($3 - v)) -le 2 ] ||
    fail "$mode: want $2 within 2 us of $3, got '${v:-nothing}'"
}
for mode in points pool; do
  if [ $mode = points ]; then
    python3 "$fit" points "$tmp/points" > "$tmp/out"
  else
    python3 "$fit" pool "$tmp/run0.txt" "$tmp/run1.txt" "$tmp/run2.txt" > "$tmp/out"
  fi
  grep -q '^cache_refill_time: 3.00ms ' "$tmp/out" || fail "$mode: $(grep time: "$tmp/out")"
  check "$tmp/out" cache_refill_long_time 40ms
  near "$tmp/out" "node (event-loop): cache_refill" 200
  near "$tmp/out" "node (event-loop): cache_refill_long" 900
  near "$tmp/out" "uvicorn (async): cache_refill" 400
  near "$tmp/out" "uvicorn (async): cache_refill_long" 400
  near "$tmp/out" "sync (worker-pool): cache_refill" 600
  near "$tmp/out" "sync (worker-pool): cache_refill_long" 500
done
# the per-request keys: the medians of the runs'
check "$tmp/out" "node (event-loop): request_overhead" 120us
check "$tmp/out" "sync (worker-pool): switch_refill" 300us
# one run alone is not the truth: the pooling is what recovers it
for k in 0 1 2; do
  python3 "$fit" pool "$tmp/run$k.txt" > "$tmp/one"
  if (mode=one; near "$tmp/one" "node (event-loop): cache_refill" 200 &&
    near "$tmp/one" "node (event-loop): cache_refill_long" 900) 2>/dev/null; then
    fail "run $k alone fitted as the truth"
  fi
done
# the time constants given (calibrate-refill.sh TIMES): one server's
# points alone, R and L fitted with them; given wrong (the long one
# shorter), a usage error. The fit is then that of those constants: with
# T = 5 ms instead of 3 the same points no longer give 200 + 900 us
grep '^gthread ' "$tmp/points" > /dev/null && fail "made-up points hold gthread"
sed -n 's/^node /gthread /p' "$tmp/points" > "$tmp/one-server"
python3 "$fit" points "$tmp/one-server" 3 40 > "$tmp/given"
mode=given
grep -q '^cache_refill_time: 3ms  (two time constants given, 10 points' "$tmp/given" ||
  fail "given: $(grep time: "$tmp/given")"
check "$tmp/given" cache_refill_long_time 40ms
near "$tmp/given" "gthread (worker-pool): cache_refill" 200
near "$tmp/given" "gthread (worker-pool): cache_refill_long" 900
python3 "$fit" points "$tmp/one-server" 5 40 > "$tmp/given5"
if (near "$tmp/given5" "gthread (worker-pool): cache_refill" 200) 2>/dev/null; then
  fail "the given time constants are not used"
fi
if python3 "$fit" points "$tmp/one-server" 40 3 > /dev/null 2>&1; then
  fail "a long time constant shorter than the short one accepted"
fi
if python3 "$fit" points "$tmp/one-server" 3 inf > /dev/null 2>&1; then
  fail "an infinite time constant accepted"
fi
# given as they are, not rounded: R and L were fitted with them
python3 "$fit" points "$tmp/one-server" 3 32.5 > "$tmp/given325"
check "$tmp/given325" cache_refill_long_time 32.5ms
# no points: an error, nothing printed as keys
if python3 "$fit" pool /dev/null > "$tmp/none" 2>&1; then fail "no points accepted"; fi
echo "refill_fit: ok"
