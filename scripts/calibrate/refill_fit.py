"""refill_fit.py - the cache refill fit of scripts/calibrate-refill.sh.

  python3 refill_fit.py points POINTS
      fits one run's measurements: POINTS has a line per measurement,
      `SERVER KIND X CPU_US BASE_US [BACKGROUND_US_PER_S]` (KIND busy: a
      request that burns X us with 8 in flight; idle: empty requests at
      X/s), what calibrate-refill.sh collects.
  python3 refill_fit.py points POINTS T_MS TL_MS
      the same with the two time constants given (ms), not fitted: each
      server's R and L alone (a calibration of one or two servers, too
      few curves to fit the machine's time constants; validate-real.sh
      CALIBRATE=each gives the models' defaults)
  python3 refill_fit.py pool REFILL.txt [REFILL.txt ...]
      fits several runs at once (the defaults of concsim's models: a
      refit from the calibrations of several spells of one machine):
      each point's extra CPU is the median of the runs' (the `# SERVER
      KIND X: EXTRA us` lines of their refill.txt), and each per-request
      key (request_overhead, switch_refill) the median of the runs'
      values.

The fit: two parts lost at two paces, R (1 - exp(-x / T)) + L (1 - exp(-x
/ TL)), the time constants T and TL (fitted, unless given) common to
every server and curve
(grids of 0.05 ms and 5 ms, TL up to twice the longest mean gap of the
idle curve), each server's R and L those that minimise the squared error
given them (linear, neither negative). A busy point's x is the burn, an
idle point's the mean gap 1 / rate, over which an exponential gap
averages R / (1 + rate T). Prints the keys as refill.txt has them.
"""
import math
import re
import statistics
import sys

NAMES = {'node': 'event-loop', 'uvicorn': 'async', 'sync': 'worker-pool',
         'gthread': 'worker-pool'}


def points_of_run(path):
    """(server, kind, x, extra us) of one run's raw measurements."""
    pts = []
    for line in open(path):
        f = line.split()
        if len(f) < 5 or f[0].startswith('#'):
            continue  # busy 0 (the base), comments
        s, kind, x, v, base = f[0], f[1], float(f[2]), float(f[3]), float(f[4])
        extra = v - base - (x if kind == 'busy' else 0)
        if kind == 'idle' and len(f) > 5:
            extra -= float(f[5]) / x  # the background's share per request
        pts.append((s, kind, x, extra))
    return pts


POINT = re.compile(r'^# (\w+) (busy|idle) ([0-9.e+]+): (-?[0-9.]+) us$')
KEY = re.compile(r'^(\w+) \(([\w-]+)\): (request_overhead|switch_refill): '
                 r'(-?[0-9.]+)us$')


def pooled(paths):
    """Each point's median extra over the runs, and the per-request keys'
    medians: (points, [(server, key, median, values)], [(path, points)])."""
    extras, keys, counts = {}, {}, []
    for path in paths:
        n = 0
        for line in open(path):
            m = POINT.match(line.strip())
            if m:
                k = (m.group(1), m.group(2), float(m.group(3)))
                extras.setdefault(k, []).append(float(m.group(4)))
                n += 1
            m = KEY.match(line.strip())
            if m:
                keys.setdefault((m.group(1), m.group(3)), []).append(
                    float(m.group(4)))
        counts.append((path, n))
    pts = [(s, kd, x, statistics.median(v))
           for (s, kd, x), v in sorted(extras.items())]
    per = [(s, k, statistics.median(v), v) for (s, k), v in sorted(keys.items())]
    return pts, per, counts


def shape(kind, x, t_us):
    if kind == 'busy':
        return -math.expm1(-x / t_us)
    return 1 / (1 + x * t_us * 1e-6)


def fit2(rows):
    """min sum (r a + l b - v)^2 over r, l >= 0: (r, l, error)"""
    saa = sum(a * a for a, b, v in rows)
    sbb = sum(b * b for a, b, v in rows)
    sab = sum(a * b for a, b, v in rows)
    sav = sum(a * v for a, b, v in rows)
    sbv = sum(b * v for a, b, v in rows)
    cands = [(0.0, 0.0)]
    det = saa * sbb - sab * sab
    if det > 1e-12 * saa * sbb:
        r, l = (sav * sbb - sbv * sab) / det, (sbv * saa - sav * sab) / det
        if r >= 0 and l >= 0:
            cands.append((r, l))
    cands += [(max(sav / saa, 0), 0.0), (0.0, max(sbv / sbb, 0))]

    def err(r, l):
        return sum((r * a + l * b - v) ** 2 for a, b, v in rows)
    return min(((r, l, err(r, l)) for r, l in cands), key=lambda c: c[2])


def fit_given(pts, t, tl):
    """Each server's R and L with the time constants t and tl (us) given:
    (error, t, tl, {server: (R, L)}), as fit() returns."""
    err, rs = 0.0, {}
    for s in sorted({p[0] for p in pts}):
        rows = [(shape(kd, x, t), shape(kd, x, tl), v)
                for (ss, kd, x, v) in pts if ss == s]
        r, l, e = fit2(rows)
        rs[s] = (r, l)
        err += e
    return err, t, tl, rs


def fit(pts):
    # the long constant up to twice the longest mean gap measured: beyond,
    # the points cannot tell R_L (1 - exp(-x / T_L)) from a straight line,
    # and a fit that runs to the grid's end extrapolates without bound
    rates = [x for (s, kd, x, v) in pts if kd == 'idle']
    tl_max = min(300e3, 2e6 / min(rates)) if rates else 300e3
    best = None
    for k in range(1, 400):
        t = 50.0 * k  # us
        for j in range(1, 61):
            tl = 5000.0 * j
            if tl <= t or tl > tl_max:
                continue
            cand = fit_given(pts, t, tl)
            if best is None or cand[0] < best[0]:
                best = cand
    return best


def main(argv):
    usage = ('usage: refill_fit.py points POINTS [T_MS TL_MS] | '
             'pool REFILL.txt ...')
    if len(argv) < 3 or argv[1] not in ('points', 'pool') or (
            argv[1] == 'points' and len(argv) not in (3, 5)):
        sys.exit(usage)
    per, counts, given = [], [], None
    try:
        if argv[1] == 'points':
            pts = points_of_run(argv[2])
            if len(argv) == 5:
                given = (1000 * float(argv[3]), 1000 * float(argv[4]))
                if not (0 < given[0] < given[1] < math.inf):
                    sys.exit('refill_fit.py: want 0 < T_MS < TL_MS')
        else:
            pts, per, counts = pooled(argv[2:])
    except (OSError, ValueError, IndexError) as e:
        sys.exit('refill_fit.py: %s' % e)
    if counts:
        print('# pooled: %d runs; each point the median of the runs\''
              % len(counts))
        for path, k in counts:
            print('# %s: %d points' % (path, k))
    if not pts:
        sys.exit('refill_fit.py: no points')
    for s, kd, x, v in pts:
        print('# %s %s %g: %.0f us' % (s, kd, x, v))
    err, t, tl, rs = fit_given(pts, *given) if given else fit(pts)
    n = len(pts)
    # given constants as given (the keys must be those R and L were
    # fitted with), fitted ones to their grids
    if given:
        t_ms, tl_ms, how = '%g' % (t / 1000), '%g' % (tl / 1000), ' given'
    else:
        t_ms, tl_ms, how = '%.2f' % (t / 1000), '%.0f' % (tl / 1000), ''
    print('cache_refill_time: %sms  (two time constants%s, %d points, rms '
          'error %.0f us)' % (t_ms, how, n, math.sqrt(err / n)))
    print('cache_refill_long_time: %sms' % tl_ms)
    for s in sorted(rs):
        print('%s (%s): cache_refill: %.0fus' % (s, NAMES.get(s, '?'), rs[s][0]))
        print('%s (%s): cache_refill_long: %.0fus' % (s, NAMES.get(s, '?'), rs[s][1]))
    for s, k, med, vals in per:
        print('# %s %s over the runs: %s us' % (
            s, k, ', '.join('%.0f' % v for v in vals)))
        print('%s (%s): %s: %.0fus' % (s, NAMES.get(s, '?'), k, med))


if __name__ == '__main__':
    main(sys.argv)
