"""refill_fit.py - the cache refill fit of scripts/calibrate-refill.sh.

  python3 refill_fit.py points POINTS
      fits one run's measurements: POINTS has a line per measurement,
      `SERVER KIND X CPU_US BASE_US [BACKGROUND_US_PER_S]` (KIND busy: a
      request that burns X us with 8 in flight; idle: empty requests at
      X/s) or `SERVER gap THINK CPU_US CPU0_US GAP_US GAP0_US` (empty
      requests one at a time, THINK us apart, against THINK 0: the gaps
      the core idled before each), what calibrate-refill.sh collects.
  python3 refill_fit.py points POINTS TL_MS
  python3 refill_fit.py points POINTS T_MS TW_MS TL_MS
      the same with the long time constant given (ms; a calibration of
      one or two servers, whose idle curve alone reaches the long gaps:
      validate-real.sh CALIBRATE=each gives the models' default), or all
      three
  python3 refill_fit.py pool [--long-time TL_MS | --times T_MS TW_MS TL_MS]
          REFILL.txt [REFILL.txt ...]
      fits several runs at once (the defaults of concsim's models: a
      refit from the calibrations of several spells of one machine):
      each point's extra CPU is the median of the runs' (the `# SERVER
      KIND X: EXTRA us` lines of their refill.txt), and each per-request
      key (request_overhead, switch_refill) the median of the runs'
      values; one file refits that run.

The fit: two parts lost at two paces, R (1 - exp(-x / T)) + L (1 - exp(-x
/ TL)) over an idle gap x, the short one at its own pace TW under the
application's work (R (1 - exp(-x / TW)) after a burn of x), the time
constants (fitted, unless given) common to every server and curve (grids
of 0.5 ms, then 0.05 ms about the best, and 5 ms, TL up to twice the
longest mean gap of the idle curve), each server's R and L those that
minimise the squared error given them (linear, neither negative). A gap
point is r(gap) - r(gap0); an idle point at rate x averages (1 - rho) R /
(1 + x T) over its exponential gaps, since the share rho of the requests
(rate x CPU per request) find the server busy and pay none. Prints the
keys as refill.txt has them.
"""
import math
import re
import statistics
import sys

NAMES = {'node': 'event-loop', 'uvicorn': 'async', 'sync': 'worker-pool',
         'gthread': 'worker-pool'}


def points_of_run(path):
    """(server, kind, x, extra us, aux) of one run's raw measurements:
    aux is an idle point's busy share (rho, its rate x its CPU per
    request), a gap point's (gap, the reference's gap) in us, else 0."""
    pts = []
    for line in open(path):
        f = line.split()
        if len(f) < 5 or f[0].startswith('#'):
            continue  # busy 0 (the base), comments
        s, kind, x, v, base = f[0], f[1], float(f[2]), float(f[3]), float(f[4])
        if kind == 'gap':  # SERVER gap THINK CPU CPU0 GAP GAP0
            if len(f) >= 7:  # else a point whose runs all failed
                pts.append((s, kind, x, v - base, (float(f[5]), float(f[6]))))
            continue
        extra = v - base - (x if kind == 'busy' else 0)
        if kind == 'idle' and len(f) > 5:
            extra -= float(f[5]) / x  # the background's share per request
        pts.append((s, kind, x, extra, busy_share(kind, x, v)))
    return keep(pts)


# An idle point whose server was busy this share of the time or more is
# left out: nearly every request found it busy (rate x CPU per request
# >= 1: it was overloaded), and the few that found it idle, whose refill
# the point is, drown in the noise of the rest.
RHO_MAX = 0.9


def keep(pts):
    """pts without the idle points at RHO_MAX or more, each said"""
    for p in pts:
        if p[1] == 'idle' and p[4] >= RHO_MAX:
            print('# %s idle %g: left out (busy %.2f of the time)'
                  % (p[0], p[2], p[4]))
    return [p for p in pts if not (p[1] == 'idle' and p[4] >= RHO_MAX)]


def busy_share(kind, x, cpu_us):
    """The share of the time an idle point's server was busy, rate x CPU per
    request: the share of the Poisson arrivals that find it busy (PASTA),
    which wait for the core without an idle gap and pay no refill."""
    return max(x * cpu_us * 1e-6, 0.0) if kind == 'idle' else 0.0


POINT = re.compile(r'^# (\w+) (busy|idle|gap) ([0-9.e+]+): (-?[0-9.]+) us'
                   r'(?: \(gap (-?[0-9.]+) against (-?[0-9.]+) us\))?$')
BASE = re.compile(r'^# (\w+) busy 0: ([0-9.]+) us measured')
KEY = re.compile(r'^(\w+) \(([\w-]+)\): (request_overhead|switch_refill): '
                 r'(-?[0-9.]+)us$')


def pooled(paths):
    """Each point's median extra and busy share over the runs, and the
    per-request keys' medians: (points, [(server, key, median, values)],
    [(path, points)]). An idle point's busy share is its rate x (the extra
    + the run's empty request, `busy 0`), 0 in a run without one; a gap
    point's gaps are the runs' medians too."""
    extras, keys, counts = {}, {}, []
    for path in paths:
        n, base, got = 0, {}, []
        for line in open(path):
            m = BASE.match(line.strip())
            if m:
                base[m.group(1)] = float(m.group(2))
            m = POINT.match(line.strip())
            if m:
                gaps = (float(m.group(5)), float(m.group(6))) if m.group(5) \
                    else None
                got.append((m.group(1), m.group(2), float(m.group(3)),
                            float(m.group(4)), gaps))
                n += 1
            m = KEY.match(line.strip())
            if m:
                keys.setdefault((m.group(1), m.group(3)), []).append(
                    float(m.group(4)))
        for s, kd, x, v, gaps in got:
            if kd == 'gap':
                if gaps:
                    extras.setdefault((s, kd, x), []).append((v, gaps))
                continue
            rho = busy_share(kd, x, v + base[s]) if s in base else 0.0
            extras.setdefault((s, kd, x), []).append((v, rho))
        counts.append((path, n))

    def aux(kd, v):
        if kd != 'gap':
            return statistics.median(r for e, r in v)
        return (statistics.median(g[0] for e, g in v),
                statistics.median(g[1] for e, g in v))
    pts = [(s, kd, x, statistics.median(e for e, r in v), aux(kd, v))
           for (s, kd, x), v in sorted(extras.items())]
    per = [(s, k, statistics.median(v), v) for (s, k), v in sorted(keys.items())]
    return keep(pts), per, counts


def lost(g, t_us):
    """The share of a part lost at the pace t_us over g us"""
    if g <= 0:
        return 0.0
    return -math.expm1(-g / t_us) if t_us > 0 else 1.0


def shape(kind, x, aux, t_us):
    """A point's share of a part lost at the pace t_us: after a burn of x
    us; over an idle gap aux[0] against the reference's aux[1] (gap); or
    over the idle gaps at x/s (exponential, mean 1/x: R / (1 + x T) on
    average) that the share 1 - aux (rho) of the requests find"""
    if kind == 'busy':
        return lost(x, t_us)
    if kind == 'gap':
        return lost(aux[0], t_us) - lost(aux[1], t_us)
    return (1 - aux) / (1 + x * t_us * 1e-6)


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
    if saa > 0:
        cands.append((max(sav / saa, 0), 0.0))
    if sbb > 0:
        cands.append((0.0, max(sbv / sbb, 0)))

    def err(r, l):
        return sum((r * a + l * b - v) ** 2 for a, b, v in rows)
    return min(((r, l, err(r, l)) for r, l in cands), key=lambda c: c[2])


def fit_given(pts, t, tw, tl, col=None):
    """Each server's R and L with the time constants given (us): t of the
    short part over idle gaps, tw under the application's work, tl of the
    long part under both: (error, (t, tw, tl), {server: (R, L)}). col:
    columns(pts), to reuse the points' shapes over a grid."""
    col = col or columns(pts)
    a = [i + w for i, w in zip(col(t, False), col(tw, True))]
    b = [i + w for i, w in zip(col(tl, False), col(tl, True))]
    err, rs = 0.0, {}
    for s in sorted({p[0] for p in pts}):
        rows = [(a[k], b[k], p[3]) for k, p in enumerate(pts) if p[0] == s]
        r, l, e = fit2(rows)
        rs[s] = (r, l)
        err += e
    return err, (t, tw, tl), rs


def columns(pts):
    """col(t, work): every point's shape at the pace t, the busy points'
    (work) or the others' (0 in the other kind's places), computed once"""
    cache = {}

    def col(t, work):
        if (t, work) not in cache:
            cache[t, work] = [shape(kd, x, aux, t) if (kd == 'busy') == work
                              else 0.0 for (s, kd, x, v, aux) in pts]
        return cache[t, work]
    return col


def fit(pts, tl_given=None):
    """The time constants on grids (us): t from 0 (every idle gap, however
    short, loses the short part) to 10 ms and tw from 0.5 to 20 ms in steps
    of 0.5 ms, then of 0.05 ms about the best; tl (unless given) from 5 ms
    up to twice the longest mean gap measured, in steps of 5 ms: beyond,
    the points cannot tell R_L (1 - exp(-x / T_L)) from a straight line,
    and a fit that runs to the grid's end extrapolates without bound."""
    rates = [x for (s, kd, x, v, r) in pts if kd == 'idle']
    tl_max = min(300e3, 2e6 / min(rates)) if rates else 300e3
    tls = [tl_given] if tl_given else [
        5000.0 * j for j in range(1, 61) if 5000.0 * j <= tl_max]
    best, col = None, columns(pts)

    def search(ts, tws, tls):
        nonlocal best
        for tl in tls:
            for t in ts:
                for tw in tws:
                    if max(t, tw) >= tl:
                        continue
                    cand = fit_given(pts, t, tw, tl, col)
                    if best is None or cand[0] < best[0]:
                        best = cand
    search([500.0 * k for k in range(0, 21)],
           [500.0 * k for k in range(1, 41)], tls)
    if best is None:
        sys.exit('refill_fit.py: no time constants on the grids below the '
                 'long one (%s ms)' % ', '.join('%g' % (t / 1000) for t in tls))
    t0, tw0, tl0 = best[1]
    search([t0 + 50.0 * k for k in range(-10, 11) if t0 + 50.0 * k >= 0],
           [tw0 + 50.0 * k for k in range(-10, 11) if tw0 + 50.0 * k > 0],
           [tl0])
    t0, tw0, _ = best[1]
    search([t0], [tw0], tls)
    return best


def main(argv):
    usage = ('usage: refill_fit.py points POINTS [TL_MS | T_MS TW_MS TL_MS] | '
             'pool [--long-time TL_MS | --times T_MS TW_MS TL_MS] REFILL.txt ...')
    if len(argv) < 3 or argv[1] not in ('points', 'pool') or (
            argv[1] == 'points' and len(argv) not in (3, 4, 6)):
        sys.exit(usage)
    per, counts, given = [], [], None
    try:
        if argv[1] == 'points':
            pts = points_of_run(argv[2])
            given = [1000 * float(a) for a in argv[3:]]
        else:
            files = argv[2:]
            if files[0] == '--long-time':
                given = [1000 * float(files[1])]
                files = files[2:]
            elif files[0] == '--times':
                given = [1000 * float(a) for a in files[1:4]]
                files = files[4:]
            pts, per, counts = pooled(files)
        if given and len(given) == 3 and not (
                0 <= given[0] < given[2] and 0 < given[1] < given[2] < math.inf):
            sys.exit('refill_fit.py: want 0 <= T_MS < TL_MS, 0 < TW_MS < TL_MS')
        if given and len(given) == 1 and not 0 < given[0] < math.inf:
            sys.exit('refill_fit.py: want 0 < TL_MS')
    except (OSError, ValueError, IndexError) as e:
        sys.exit('refill_fit.py: %s' % e)
    if counts:
        print('# pooled: %d runs; each point the median of the runs\''
              % len(counts))
        for path, k in counts:
            print('# %s: %d points' % (path, k))
    if not pts:
        sys.exit('refill_fit.py: no points')
    for s, kd, x, v, aux in pts:
        if kd == 'gap':
            print('# %s %s %g: %.0f us (gap %.0f against %.0f us)'
                  % (s, kd, x, v, aux[0], aux[1]))
        else:
            print('# %s %s %g: %.0f us' % (s, kd, x, v))
    if given and len(given) == 3:
        err, (t, tw, tl), rs = fit_given(pts, *given)
    else:
        err, (t, tw, tl), rs = fit(pts, given[0] if given else None)
    n = len(pts)
    # given constants as given (the keys must be those R and L were
    # fitted with), fitted ones to their grids
    def ms(us, fitted):
        return '%.2f' % (us / 1000) if fitted else '%g' % (us / 1000)
    fitted = not given or len(given) == 1
    how = '' if fitted else ' given'
    if given and len(given) == 1:
        how = '; the long one given'
    print('cache_refill_time: %sms  (three time constants%s, %d points, rms '
          'error %.0f us)' % (ms(t, fitted), how, n, math.sqrt(err / n)))
    # the work's pace only where burns were measured (else nothing holds
    # it, and a scenario without it takes the models' default, 19.95 ms
    # since 2026-12-05)
    if any(p[1] == 'busy' for p in pts):
        print('cache_refill_work_time: %sms' % ms(tw, fitted))
    print('cache_refill_long_time: %sms' % ('%.0f' % (tl / 1000) if not given else '%g' % (tl / 1000)))
    for s in sorted(rs):
        print('%s (%s): cache_refill: %.0fus' % (s, NAMES.get(s, '?'), rs[s][0]))
        print('%s (%s): cache_refill_long: %.0fus' % (s, NAMES.get(s, '?'), rs[s][1]))
    for s, k, med, vals in per:
        print('# %s %s over the runs: %s us' % (
            s, k, ', '.join('%.0f' % v for v in vals)))
        print('%s (%s): %s: %.0fus' % (s, NAMES.get(s, '?'), k, med))


if __name__ == '__main__':
    main(sys.argv)
