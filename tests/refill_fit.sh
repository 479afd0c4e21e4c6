#!/usr/bin/env bash
# refill_fit.sh SOURCE_DIR - scripts/calibrate/refill_fit.py (the fit of
# scripts/calibrate-refill.sh) on made-up measurements whose answers are
# known: three servers' extra CPU per request, R (1 - exp(-x / TW)) + L (1
# - exp(-x / TL)) after a burn of x us, (1 - rho) (R / (1 + rate T) + L /
# (1 + rate TL)) at an idle rate (rho = rate x the CPU per request: the
# share of the requests that find the server busy) and r(g) - r(g0) over
# a gap g against g0 with r(g) = R (1 - exp(-g / T)) + L (1 - exp(-g /
# TL)), with T = 1 ms, TW = 3 ms and TL = 40 ms (on the fit's grids). One
# run's points are fitted as they are; three runs, the truth plus and
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
T, TW, TL = 1000.0, 3000.0, 40000.0
G0 = 60.0  # the gap with no think time: the network's legs
truth = {'node': (200.0, 900.0), 'uvicorn': (400.0, 400.0), 'sync': (600.0, 500.0)}
def lost(g, t):
    return -math.expm1(-g / t)
def extra(r, l, kind, x):
    """the extra CPU of a busy point, or of an idle or gap one before the
    share rho of the requests that pay none (idle), or the reference's
    refill (gap), is taken off"""
    if kind == 'busy':
        return r * lost(x, TW) + l * lost(x, TL)
    if kind == 'gap':
        g = x + G0
        return r * (lost(g, T) - lost(G0, T)) + l * (lost(g, TL) - lost(G0, TL))
    return r / (1 + x * T * 1e-6) + l / (1 + x * TL * 1e-6)
pts = [('busy', x) for x in (500, 1000, 2000, 5000, 20000)] + \
      [('idle', x) for x in (20, 50, 100, 300, 1000)] + \
      [('gap', x) for x in (100, 200, 400, 700, 1000, 2000, 4000)]
# one run's raw points: SERVER KIND X CPU BASE [BACKGROUND]; the base is
# 100 us, a busy point's CPU holds its burn, an idle point's the
# background's share (50 us a second over the rate) and rho = rate x CPU,
# which the CPU depends on: v = 100 + 50 / x + (1 - x v) E, solved for v;
# a gap point's line is SERVER gap THINK CPU CPU0 GAP GAP0, CPU0 = 150
with open(tmp + '/points', 'w') as f:
    for s, (r, l) in truth.items():
        for kind, x in pts:
            e = extra(r, l, kind, x)
            if kind == 'gap':
                f.write('%s gap %g %.3f 150 %.3f %.3f\n' % (s, x, 150 + e, x + G0, G0))
                continue
            if kind == 'idle':
                v = (100 + 50 / x + e) / (1 + x * 1e-6 * e)
            else:
                v = 100 + e + x
            f.write('%s %s %g %.3f 100%s\n' % (s, kind, x, v, ' 50' if kind == 'idle' else ''))
# three runs as refill.txt has them, none of them the truth: each point
# is off by -150, 0 or +450 us, a different one in each run (so that the
# median of each point is the truth, where the first run, the last or the
# mean is not), and so are the per-request keys; an idle point's rho is
# rate x (its extra + the run's empty request, `busy 0`: 100 us), so its
# extra x = (1 - rate (x + 100)) E
off = (-150, 0, 450)
for k in range(3):
    with open('%s/run%d.txt' % (tmp, k), 'w') as f:
        i = 0
        for s, (r, l) in truth.items():
            f.write('# %s busy 0: 100.00 us measured; the model: 40 us\n' % s)
            for kind, x in pts:
                d = off[(i + k) % 3]
                e = extra(r, l, kind, x)
                if kind == 'idle':
                    e = (e - x * 1e-4 * e) / (1 + x * 1e-6 * e)
                tail = ' (gap %.0f against %.0f us)' % (x + G0, G0) if kind == 'gap' else ''
                f.write('# %s %s %g: %.0f us%s\n' % (s, kind, x, e + d, tail))
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
  grep -q '^cache_refill_time: 1.00ms ' "$tmp/out" || fail "$mode: $(grep time: "$tmp/out")"
  check "$tmp/out" cache_refill_work_time 3.00ms
  check "$tmp/out" cache_refill_long_time 40ms
  near "$tmp/out" "node (event-loop): cache_refill" 200
  near "$tmp/out" "node (event-loop): cache_refill_long" 900
  near "$tmp/out" "uvicorn (async): cache_refill" 400
  near "$tmp/out" "uvicorn (async): cache_refill_long" 400
  near "$tmp/out" "sync (worker-pool): cache_refill" 600
  near "$tmp/out" "sync (worker-pool): cache_refill_long" 500
done
# every run's points read, the gaps' included (17 a server)
for k in 0 1 2; do
  grep -q "^# $tmp/run$k.txt: 51 points\$" "$tmp/out" || fail "pool: run$k's points: $(grep "run$k" "$tmp/out")"
done
# the pool with time constants given: the long one, or all three
python3 "$fit" pool --long-time 40 "$tmp/run0.txt" "$tmp/run1.txt" "$tmp/run2.txt" > "$tmp/pl"
mode=pool-long
grep -q '^cache_refill_time: 1.00ms  (three time constants; the long one given' "$tmp/pl" ||
  fail "pool, long given: $(grep time: "$tmp/pl")"
check "$tmp/pl" cache_refill_work_time 3.00ms
near "$tmp/pl" "uvicorn (async): cache_refill" 400
python3 "$fit" pool --times 1 3 40 "$tmp/run0.txt" "$tmp/run1.txt" "$tmp/run2.txt" > "$tmp/pt"
mode=pool-times
grep -q '^cache_refill_time: 1ms  (three time constants given' "$tmp/pt" ||
  fail "pool, all given: $(grep time: "$tmp/pt")"
near "$tmp/pt" "sync (worker-pool): cache_refill_long" 500
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
# points alone, R and L fitted with all three, or T and TW too with the
# long one; given wrong (the long one shorter), a usage error. The fit is
# then that of those constants: with TW = 5 ms instead of 3 the same
# points no longer give 200 + 900 us
grep '^gthread ' "$tmp/points" > /dev/null && fail "made-up points hold gthread"
sed -n 's/^node /gthread /p' "$tmp/points" > "$tmp/one-server"
python3 "$fit" points "$tmp/one-server" 1 3 40 > "$tmp/given"
mode=given
grep -q '^cache_refill_time: 1ms  (three time constants given, 17 points' "$tmp/given" ||
  fail "given: $(grep time: "$tmp/given")"
check "$tmp/given" cache_refill_work_time 3ms
check "$tmp/given" cache_refill_long_time 40ms
near "$tmp/given" "gthread (worker-pool): cache_refill" 200
near "$tmp/given" "gthread (worker-pool): cache_refill_long" 900
python3 "$fit" points "$tmp/one-server" 40 > "$tmp/givenl"
mode=long-given
grep -q '^cache_refill_time: 1.00ms  (three time constants; the long one given, 17 points' "$tmp/givenl" ||
  fail "long given: $(grep time: "$tmp/givenl")"
check "$tmp/givenl" cache_refill_work_time 3.00ms
near "$tmp/givenl" "gthread (worker-pool): cache_refill" 200
python3 "$fit" points "$tmp/one-server" 1 5 40 > "$tmp/given5"
if (near "$tmp/given5" "gthread (worker-pool): cache_refill" 200) 2>/dev/null; then
  fail "the given time constants are not used"
fi
for bad in "40 3" "1 50 40" "50 3 40" "1 3 0"; do
  # shellcheck disable=SC2086 # bad: the constants, split
  if python3 "$fit" points "$tmp/one-server" $bad > /dev/null 2>&1; then
    fail "time constants '$bad' accepted"
  fi
done
# an overloaded idle point (rate x CPU per request >= 0.9) is left out,
# said, and the fit is the same; without burns, no work's pace
{ cat "$tmp/one-server"; echo "gthread idle 5000 700 100 50"; } > "$tmp/over"
python3 "$fit" points "$tmp/over" 1 3 40 > "$tmp/overo"
grep -q '^# gthread idle 5000: left out (busy 3.50 of the time)$' "$tmp/overo" ||
  fail "an overloaded point not left out: $(grep 5000 "$tmp/overo")"
mode=over
near "$tmp/overo" "gthread (worker-pool): cache_refill" 200
grep -v ' busy ' "$tmp/one-server" > "$tmp/noburn"
python3 "$fit" points "$tmp/noburn" 40 > "$tmp/noburno"
if grep -q '^cache_refill_work_time' "$tmp/noburno"; then
  fail "a work's pace printed without burns"
fi
if python3 "$fit" points "$tmp/one-server" 1 3 inf > /dev/null 2>&1; then
  fail "an infinite time constant accepted"
fi
if python3 "$fit" points "$tmp/one-server" 1 40 > /dev/null 2>&1; then
  fail "two time constants accepted"
fi
# given as they are, not rounded: R and L were fitted with them
python3 "$fit" points "$tmp/one-server" 1 3 32.5 > "$tmp/given325"
check "$tmp/given325" cache_refill_long_time 32.5ms
# no points: an error, nothing printed as keys
if python3 "$fit" pool /dev/null > "$tmp/none" 2>&1; then fail "no points accepted"; fi
echo "refill_fit: ok"
