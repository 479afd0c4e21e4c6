"""compare.py - the tables of scripts/validate-real.sh (standard library only).

  compare.py knee RESULTS.csv P99_BOUND   the knee of a `concsim sweep`
                                          results.csv (swept: the rate)
  compare.py report OUT P99_BOUND         reads OUT/measured.csv and every
        OUT/pred_NAME/SYSTEM-MIX/results.csv; writes OUT/compare.csv,
        OUT/knees.csv, OUT/fit/SYSTEM-MIX.csv; prints markdown

  compare.py sent OUT SYSTEM-MIX rates|collect   the rates each repeat
        actually sent (measured.csv), as a sweep's list; or OUT/sent_runs/
        SYSTEM-MIX/results.csv (a sweep at them) averaged over the repeats
        of each nominal rate into OUT/pred_sent/SYSTEM-MIX/results.csv

  compare.py traces OUT SYSTEM-MIX [NAME]   averages the `concsim run` rows
        of OUT/NAME_runs/SYSTEM-MIX/RATE-REP.results.csv (each point's own
        arrivals replayed; NAME trace unless given) over the repeats of
        each rate into OUT/pred_NAME/SYSTEM-MIX/results.csv, a sweep's
        shape

  compare.py matched OUT SYSTEM-MIX OVERHEAD_US points|collect   per
        measured rate, the request_overhead (us) that moves prediction
        (a)'s CPU per request (OUT/pred_defaults) to the measured one, from
        (a)'s OVERHEAD_US, not below 0: "RATE US" lines; or each
        OUT/matched_runs/SYSTEM-MIX/RATE/results.csv (a run at it) into
        OUT/pred_matched/SYSTEM-MIX/results.csv, a sweep's shape

  compare.py spread OUT SYSTEM-MIX points   per measured rate, the seconds
        measured there, all repeats together: "RATE SECONDS" lines, for
        the runs of prediction (a)'s scenario whose every replication is a
        measurement of that size (OUT/spread/SYSTEM-MIX/RATE/
        replications.csv), which the report reads: what a measurement of
        that size can resolve

  compare.py rematch OUT SYSTEM-MIX NAME   per repeat, the
        request_overhead (us) of NAME's run on that repeat's own arrivals
        (OUT/NAME_runs/SYSTEM-MIX/overheads.txt) moved by what the
        server's measured CPU per request in that repeat exceeds the
        run's, not below 0: "RATE-REP US" lines

  compare.py across OUT1 OUT2 ...        several runs' compare.csv side by
        side: each system, mix and rate position (the n-th rate of a run's
        sweep: the rates follow each run's predicted knee), the measured
        p50 and p99 of every run below 0.85 x its knee, the goals each
        prediction met there, and how many of those runs one fixed value,
        chosen after the fact, lies within the goal of (were the rates the
        same in every run, a bound on any prediction whose inputs stay the
        same from run to run, as the defaults' do; they are not, so a
        guide); markdown on stdout, OUT1/across.csv one row a point

  compare.py table OUT [NAME...]   OUT/compare.csv and OUT/knees.csv as
        one compact markdown table for a reader (the README's): per point
        the measured throughput, p50 and p99 with the spread between the
        repeats, beside predictions NAME (default: defaults fit) with
        their errors; then the knees. Goals are marked: `*` a rate below
        0.85 x the measured knee, `!` a prediction outside its goal there

Knee: going up the rates, the first rate at which the p99 latency reaches
P99_BOUND seconds or the throughput falls below 0.98 x the offered rate
actually sent; the knee is interpolated between that rate and the one below
it (on log p99 for the p99 rule, on throughput / offered for the other);
">X" when no rate crossed, "<X" when the lowest did.
"""
import bisect
import csv
import glob
import json
import math
import os
import sys

RATIO = 0.98
GOAL_KNEE, GOAL_P50, GOAL_P99, GOAL_REGION = 0.10, 0.15, 0.25, 0.85
FIGS = ["throughput_rps", "latency_s_mean", "latency_s_p50", "latency_s_p90",
        "latency_s_p99", "utilization_cpu"]


def knee(points, bound, dur):
    """points: [(rate, sent_rps, throughput_rps, p99[, seconds])] -> (value,
    text). dur: the measured seconds per point, for the noise allowance,
    where a point does not carry its own."""
    pts = sorted(p[:4] + (p[4] if len(p) > 4 else dur,) for p in points)
    prev = None
    for rate, sent, thr, p99, dur in pts:
        r = thr / sent if sent > 0 else 1.0
        bad_p99 = not (p99 < bound)  # NaN (nothing answered) is bad
        # below 0.98 x sent, and by more than 3 sigma of a Poisson count
        # (at low rates a few requests more or less cross the window's end)
        bad_thr = r < RATIO and (sent - thr) * dur > 3 * math.sqrt(sent * dur)
        if bad_p99 or bad_thr:
            if prev is None:
                return rate, "<%.0f" % rate
            prate, psent, pthr, pp99 = prev[:4]
            pr = pthr / psent if psent > 0 else 1.0
            cands = []
            if bad_p99:
                if math.isnan(p99) or p99 <= pp99 or pp99 <= 0:
                    cands.append(1.0)
                else:
                    cands.append((math.log(bound) - math.log(pp99)) /
                                 (math.log(p99) - math.log(pp99)))
            if bad_thr:
                cands.append((pr - RATIO) / (pr - r) if pr > r else 1.0)
            f = min(max(min(cands), 0.0), 1.0)
            k = prate + f * (rate - prate)
            return k, "%.0f" % k
        prev = (rate, sent, thr, p99, dur)
    return pts[-1][0], ">%.0f" % pts[-1][0]


def fnum(s):
    try:
        return float(s)
    except (TypeError, ValueError):
        return math.nan


def read_sweep(path):
    """concsim sweep results.csv -> {rate: row} (the rate as swept)."""
    out = {}
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            out[round(fnum(row["workload.arrivals.rate"]), 3)] = row
    return out


def sweep_dur(rows):
    return next((fnum(r["duration_s"]) for r in rows.values()), 1.0)


def sweep_points(rows):
    return [(rate, fnum(r["offered_rps"]), fnum(r["throughput_rps"]),
             fnum(r["latency_s_p99"])) for rate, r in rows.items()]


def cmd_knee(path, bound):
    rows = read_sweep(path)
    print(knee(sweep_points(rows), bound, sweep_dur(rows))[1])


def read_measured(out):
    with open(os.path.join(out, "measured.csv"), newline="") as f:
        lines = [l for l in f if not l.startswith("#")]
    groups = {}
    for row in csv.DictReader(lines):
        key = (row["system"], row["mix"], round(fnum(row["offered_rps"]), 3))
        groups.setdefault(key, []).append(row)
    return groups


def mean(v):
    v = [x for x in v if not math.isnan(x)]
    return sum(v) / len(v) if v else math.nan


def rel(pred, meas):
    return pred / meas - 1 if meas and not math.isnan(meas) else math.nan


def fmt(x, kind):
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    if kind == "ms":
        return "%.1f" % (x * 1e3) if x * 1e3 < 100 else "%.0f" % (x * 1e3)
    if kind == "pct":
        return "%+.0f%%" % (x * 100)
    if kind == "spread":
        return "%.0f%%" % (x * 100)
    if kind == "rps":
        return "%.0f" % x
    return "%.2f" % x


def t975(df):
    """Student's t 0.975 quantile for df degrees of freedom (the
    Cornish-Fisher expansion about the normal's 1.96: 2.093 at 19, where
    the table has 2.093; 2.262 at 9, table 2.262)."""
    z = 1.959964
    return (z + (z ** 3 + z) / (4 * df)
            + (5 * z ** 5 + 16 * z ** 3 + 3 * z) / (96 * df * df)
            + (3 * z ** 7 + 19 * z ** 5 + 17 * z ** 3 - 15 * z) / (384 * df ** 3))


SECTIONS = 10  # per repeat at most, for quantile_range
SECTION_TAIL = 5  # requests a section expects beyond the quantile, at least


def order_range(v, q, z=1.96):
    """v sorted: the ranks of a 95 % range of its q quantile if its values
    were independent, n q -+ z sqrt(n q (1 - q)) (the normal approximation
    of the binomial count below the quantile), as indices (low, high)."""
    n = len(v)
    h = z * math.sqrt(n * q * (1 - q))
    return (max(0, int(math.floor(n * q - h)) - 1),
            min(n - 1, int(math.ceil(n * q + h))))


def quantile_range(reps, q):
    """A 95 % range of the q quantile of a point's latencies, as (low,
    high). reps: per repeat, the answered requests' latencies in the order
    they were sent. The widest ends of three:

    - order statistics of the requests pooled over the repeats
      (order_range), exact if the latencies were independent;
    - sectioning (batch means of an indicator): each repeat cut into runs
      of consecutive requests (SECTIONS, fewer where a run would expect
      fewer than SECTION_TAIL requests beyond the quantile: 4 of 500 for a
      p99 of 2000), in each the share of requests at or below the pooled
      quantile; the Student-t range of their mean, mapped back through the
      pooled order statistics. Requests that queue together share their
      fate (in `hol`, the short ones behind the same long one), so their
      latencies are not independent and the first range is too narrow:
      where the median falls between the requests served at once and those
      that waited, a few per cent more that waited moves it by
      milliseconds;
    - the repeats' own quantiles: what changes between repeats (the
      machine's speed, another tenant) the sections of one repeat do not
      see, and two repeats are too few to estimate, so the range holds at
      least both."""
    v = sorted(x for r in reps for x in r)
    n = len(v)
    if n < 2:
        return math.nan, math.nan
    lo, hi = order_range(v, q)
    xq = v[min(n - 1, int(n * q))]
    need = max(10, math.ceil(SECTION_TAIL / min(q, 1 - q)))
    shares = []
    for r in reps:
        k = min(SECTIONS, len(r) // need)
        if k < 2:
            continue
        cut = [round(i * len(r) / k) for i in range(k + 1)]
        for i in range(k):
            sec = r[cut[i]:cut[i + 1]]
            shares.append(sum(x <= xq for x in sec) / len(sec))
    if len(shares) >= 4:
        m = sum(shares) / len(shares)
        sd = math.sqrt(sum((x - m) ** 2 for x in shares) / (len(shares) - 1))
        w = t975(len(shares) - 1) * sd / math.sqrt(len(shares))
        lo = min(lo, max(0, int(math.floor(n * (q - w))) - 1))
        hi = max(hi, min(n - 1, int(math.ceil(n * (q + w)))))
    own = [pct(sorted(r), q) for r in reps if r]
    return min([v[lo]] + own), max([v[hi]] + own)


def point_latencies(out, s, m, rate):
    """The latencies of a point's answered requests, per repeat, in the
    order they were sent (OUT/lat/SYSTEM-MIX/RATE-REP.csv, as openloop -l
    wrote them)."""
    reps = []
    for f in sorted(glob.glob(os.path.join(out, "lat", "%s-%s" % (s, m), "*.csv"))):
        if abs(float(os.path.basename(f).split("-")[0]) - rate) > 1e-6:
            continue
        with open(f, newline="") as fh:
            rows = [(float(r["scheduled_s"]), float(r["latency_s"]))
                    for r in csv.DictReader(fh) if r["result"] == "0"]
        reps.append([x for _, x in sorted(rows)])
    return reps


def rank(v, x):
    """v sorted: the share of v at or below x (the measured distribution's
    percentile at which a predicted value falls)."""
    if not v or math.isnan(x):
        return math.nan
    return bisect.bisect_right(v, x) / len(v)


def within(pred, lo, hi, tol):
    """pred within tol of some value of the measured range [lo, hi]."""
    return (not math.isnan(lo)) and lo * (1 - tol) <= pred <= hi * (1 + tol)


def run_duration(out):
    """The run's point duration from measured.csv's header line (seconds),
    or None."""
    with open(os.path.join(out, "measured.csv")) as f:
        for l in f:
            if l.startswith("# duration="):
                return float(l.split("duration=")[1].split("s")[0])
    return None


def cmd_report(out, bound):
    groups = read_measured(out)
    dur = run_duration(out)
    preds = {}  # name -> {(system, mix): {rate: row}}
    for d in sorted(glob.glob(os.path.join(out, "pred_*"))):
        name = os.path.basename(d)[5:]
        for f in glob.glob(os.path.join(d, "*", "results.csv")):
            sysmix = os.path.basename(os.path.dirname(f))
            s, m = sysmix.split("-", 1)
            preds.setdefault(name, {})[(s, m)] = read_sweep(f)

    rows, knees = [], []
    os.makedirs(os.path.join(out, "fit"), exist_ok=True)
    for s, m in sorted({(k[0], k[1]) for k in groups}):
        rates = sorted(k[2] for k in groups if k[:2] == (s, m))
        meas = {}
        for rate in rates:
            g = groups[(s, m, rate)]
            d = {"n": len(g)}
            for fig in FIGS:
                v = [fnum(r[fig]) for r in g]
                d[fig] = mean(v)
                vv = [x for x in v if not math.isnan(x)]
                d[fig + "_spread"] = ((max(vv) - min(vv)) / d[fig]
                                      if len(vv) > 1 and d[fig] else math.nan)
            durs = [fnum(r.get("duration_s", "")) for r in g]
            durs = [x if not math.isnan(x) else dur for x in durs]
            d["dur"] = mean([x for x in durs if x]) if any(durs) else dur
            d["sent_rps"] = (mean([fnum(r["scheduled"]) / x for r, x in zip(g, durs)])
                             if all(durs) else rate)
            reps = point_latencies(out, s, m, rate)
            d["pooled"] = sorted(x for r in reps for x in r)
            d["requests"] = len(d["pooled"])
            for q, fig in ((.5, "latency_s_p50"), (.99, "latency_s_p99")):
                d[fig + "_lo"], d[fig + "_hi"] = quantile_range(reps, q)
                # the range reaches the point's largest latency: the
                # requests cannot bound it from above
                d[fig + "_open"] = bool(d["pooled"]) and d[fig + "_hi"] >= d["pooled"][-1]
            d["errors"] = sum(int(r[e]) for r in g for e in
                              ("errors_refused", "errors_reset",
                               "errors_status", "errors_timeout"))
            d["probe_cpu_ms"] = mean([fnum(r["probe_cpu_ms"]) for r in g])
            d["probe_wall_ms"] = mean([fnum(r["probe_wall_ms"]) for r in g])
            d["send_lag_s_max"] = max(fnum(r["send_lag_s_max"]) for r in g)
            d["send_lag_s_p99"] = max(fnum(r.get("send_lag_s_p99")) for r in g)
            # the server core's stolen time (the hypervisor ran another
            # tenant's vCPU instead), as a share of the point's time, worst
            # repeat; NaN for measurements from before the column
            d["steal"] = max((fnum(r.get("steal_ms", "")) / (1e3 * x)
                              for r, x in zip(g, durs) if x), default=math.nan)
            meas[rate] = d
        mk, mk_txt = knee([(r, meas[r]["sent_rps"], meas[r]["throughput_rps"],
                            meas[r]["latency_s_p99"], meas[r]["dur"]) for r in rates],
                          bound, dur)
        # the knee's own range: the same rule on each point's p99 at the
        # upper end of its 95 % range (the earliest crossing) and at the
        # lower end (the latest); a point without its requests counts
        # its p99
        def knee_at(end):
            pts = []
            for r in rates:
                v = meas[r]["latency_s_p99_" + end]
                if math.isnan(v):
                    v = meas[r]["latency_s_p99"]
                pts.append((r, meas[r]["sent_rps"], meas[r]["throughput_rps"], v,
                            meas[r]["dur"]))
            return knee(pts, bound, dur)
        (mk_lo, lo_txt), (mk_hi, hi_txt) = knee_at("hi"), knee_at("lo")
        krow = {"system": s, "mix": m, "measured_knee_rps": mk_txt,
                "measured_knee_lo": lo_txt, "measured_knee_hi": hi_txt}
        fine = os.path.join(out, "knee", "%s-%s-fine" % (s, m), "results.csv")
        if os.path.exists(fine):
            fr = read_sweep(fine)
            krow["defaults_fine_knee_rps"] = knee(
                sweep_points(fr), bound, sweep_dur(fr))[1]
        for name, pm in preds.items():
            if (s, m) in pm:
                pr = pm[(s, m)]
                sel = {r: pr[r] for r in rates if r in pr}
                pk, pk_txt = knee(sweep_points(sel), bound, sweep_dur(sel))
                krow[name + "_knee_rps"] = pk_txt
                krow[name + "_knee_err"] = rel(pk, mk)
                krow[name + "_knee_in_ci"] = int(within(pk, mk_lo, mk_hi, GOAL_KNEE))
        krow["_mk"] = mk
        knees.append(krow)
        with open(os.path.join(out, "fit", "%s-%s.csv" % (s, m)), "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["offered_rps"] + FIGS + ["system"])
            for rate in rates:
                w.writerow([rate] + ["%.6g" % meas[rate][x] for x in FIGS] + [s])
        for rate in rates:
            d = meas[rate]
            row = {"system": s, "mix": m, "offered_rps": rate, "reps": d["n"],
                   "below_085_knee": int(rate < GOAL_REGION * mk)}
            for fig in FIGS:
                row["measured_" + fig] = d[fig]
                row["measured_" + fig + "_spread"] = d[fig + "_spread"]
            for x in ("errors", "probe_cpu_ms", "probe_wall_ms", "send_lag_s_max",
                      "send_lag_s_p99", "steal", "dur", "requests", "sent_rps", "latency_s_p50_lo",
                      "latency_s_p50_hi", "latency_s_p50_open", "latency_s_p99_lo",
                      "latency_s_p99_hi", "latency_s_p99_open"):
                row["measured_" + x] = d[x]
            for name, pm in preds.items():
                pr = pm.get((s, m), {}).get(rate)
                for fig in FIGS:
                    p = fnum(pr[fig]) if pr else math.nan
                    row[name + "_" + fig] = p
                    row[name + "_" + fig + "_err"] = rel(p, d[fig])
                for fig, tol in (("latency_s_p50", GOAL_P50), ("latency_s_p99", GOAL_P99)):
                    row[name + "_" + fig + "_in_ci"] = int(within(
                        row[name + "_" + fig], d[fig + "_lo"], d[fig + "_hi"], tol))
                # the measured percentile at which the predicted p50 falls
                row[name + "_latency_s_p50_rank"] = rank(d["pooled"],
                                                         row[name + "_latency_s_p50"])
            # (a)'s own measurements of this point's size (predict_spread)
            sp = read_spread(out, s, m, rate) or {}
            row["spread_seconds"] = d["dur"] * d["n"] if sp else math.nan
            row["spread_n"] = min((len(v) for v in sp.values()), default=0)
            for fig, tol in (("latency_s_p50", GOAL_P50), ("latency_s_p99", GOAL_P99)):
                f = (spread_fields(sp[fig], d[fig], row.get("defaults_" + fig, math.nan),
                                   tol, d["dur"] * d["n"]) if fig in sp else {})
                for x in ("lo", "hi", "in", "hit", "need_s"):
                    row["spread_%s_%s" % (fig, x)] = f.get(x, math.nan)
            rows.append(row)

    cols = list(dict.fromkeys(c for r in rows for c in r))
    with open(os.path.join(out, "compare.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, cols)
        w.writeheader()
        w.writerows(rows)
    kcols = list(dict.fromkeys(c for r in knees for c in r if c != "_mk"))
    with open(os.path.join(out, "knees.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, kcols, extrasaction="ignore")
        w.writeheader()
        w.writerows(knees)

    # markdown
    print("# concsim vs real servers\n")
    print("Knee: first rate with p99 >= %g s or throughput < %.2f x sent, "
          "interpolated. Goals: knee within %d %%; p50 within %d %% and p99 "
          "within %d %% at rates below %.2f x the measured knee.\n"
          % (bound, RATIO, GOAL_KNEE * 100, GOAL_P50 * 100, GOAL_P99 * 100,
             GOAL_REGION))
    print("## Knees (offered rps)\n")
    print("measured range: the knee by the same rule with every point's "
          "p99 at the upper end of its 95 % range (the first knee) and at "
          "the lower end (the last); `miss (in range)`: a prediction "
          "within 10 % of some knee of that range.\n")
    head = ["system", "mix", "measured", "measured range"]
    if any("defaults_fine_knee_rps" in k for k in knees):
        head.append("defaults (fine sweep)")
    for name in preds:
        head += [name, name + " err", "goal"]
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for k in knees:
        cells = [k["system"], k["mix"], k["measured_knee_rps"],
                 "%s-%s" % (k["measured_knee_lo"], k["measured_knee_hi"])]
        if "defaults (fine sweep)" in head:
            cells.append(k.get("defaults_fine_knee_rps", "-"))
        for name in preds:
            e = k.get(name + "_knee_err", math.nan)
            cells += [k.get(name + "_knee_rps", "-"), fmt(e, "pct"),
                      "ok" if abs(e) <= GOAL_KNEE else
                      "miss (in range)" if k.get(name + "_knee_in_ci") else "MISS"]
        print("| " + " | ".join(cells) + " |")
    print("\n## Summary: predicted / measured\n")
    print("Per prediction: knee error; p50 and p99 as ratios predicted / "
          "measured at the lowest rate (about 0.2 x the knee) and the "
          "number of points below 0.85 x the measured knee within the p50 "
          "(15 %) and p99 (25 %) goals; `(ci)`: within the goal of some "
          "value of the measurement's own 95 % range (compare.py's "
          "quantile_range: the widest of the order statistics of the "
          "requests pooled over the repeats, sectioning, the repeats cut "
          "into runs of consecutive requests, whose latencies are not "
          "independent, and the repeats' own values), i.e. the points where the "
          "miss is larger than what the measurement can resolve.\n")
    head = ["system", "mix", "knee"]
    for name in preds:
        head += [name + " knee", "p50 low", "p99 low", "p50 ok", "p99 ok",
                 "p50 ok (ci)", "p99 ok (ci)"]
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for k in knees:
        sel = [r for r in rows if (r["system"], r["mix"]) == (k["system"], k["mix"])]
        low = min(sel, key=lambda r: r["offered_rps"])
        goal = [r for r in sel if r["below_085_knee"]]
        cells = [k["system"], k["mix"], k["measured_knee_rps"]]
        for name in preds:
            def ratio(fig):
                m, p = low["measured_" + fig], low[name + "_" + fig]
                return "%.2f" % (p / m) if m and not math.isnan(p) else "-"
            ok50 = sum(abs(r[name + "_latency_s_p50_err"]) <= GOAL_P50 for r in goal)
            ok99 = sum(abs(r[name + "_latency_s_p99_err"]) <= GOAL_P99 for r in goal)
            ci50 = sum(r[name + "_latency_s_p50_in_ci"] for r in goal)
            ci99 = sum(r[name + "_latency_s_p99_in_ci"] for r in goal)
            cells += [fmt(k.get(name + "_knee_err", math.nan), "pct"),
                      ratio("latency_s_p50"), ratio("latency_s_p99"),
                      "%d/%d" % (ok50, len(goal)), "%d/%d" % (ok99, len(goal)),
                      "%d/%d" % (ci50, len(goal)), "%d/%d" % (ci99, len(goal))]
        print("| " + " | ".join(cells) + " |")
    print_spread(rows, knees)
    for name in preds:
        print("\n## Points: measured vs prediction `%s`\n" % name)
        print("sent: the rate the load generator's Poisson draw actually "
              "sent, mean over the repeats, against the nominal one that "
              "the predictions but `trace` and `sent` were made at (about "
              "2 %% one sigma for 2000 requests; at 0.8 x the knee a few "
              "per cent fewer arrivals can lower the p50 by 15 %%, beyond "
              "the knee by more); "
              "thr: throughput rps; p50/p99 in ms; spread = (max - min) / mean "
              "over repeats; util: server CPU / wall; cpu/req: util / thr in "
              "us (the app itself burns 2900 us in hol, 500 us in io); req: "
              "answered requests, all repeats; range: the measured p50's or "
              "p99's 95 %% range (compare.py's quantile_range: the widest of "
              "the order statistics of those requests, sectioning and the "
              "repeats' own values), as "
              "its ends relative to the measured value (the mean over the "
              "repeats: a range from the requests pooled over them can lie "
              "wholly above or below it; `(max)`: its upper end is the "
              "point's largest latency, which the requests cannot bound "
              "from above); `*` rates below %.2f x "
              "the measured knee (where the latency goals apply); at: the "
              "percentile of the measured latencies (all repeats) at which "
              "the predicted p50 falls (50 would be exact: where the median "
              "lies in a gap between requests served at once and those that "
              "waited, a p50 error of tens of per cent can be a few "
              "percentiles); probe: "
              "cpuprobe CPU/wall ms on the server core; lag p99: the load "
              "generator's own lateness (ms, worst repeat); steal: the "
              "server core's time stolen by the hypervisor during the point "
              "(/proc/stat), worst repeat.\n" % GOAL_REGION)
        h = ["system", "mix", "rate", "sent", "req", "thr", "pred", "p50", "sprd", "range",
             "pred", "err", "at", "p99", "sprd", "range", "pred", "err", "util", "pred",
             "cpu/req", "pred", "errors", "probe", "lag p99", "steal"]
        print("| " + " | ".join(h) + " |")
        print("|" + "---|" * len(h))
        for r in rows:
            e50, e99 = r[name + "_latency_s_p50_err"], r[name + "_latency_s_p99_err"]
            goal = r["below_085_knee"]
            def miss(fig, e, tol):
                if not goal or abs(e) <= tol:
                    return ""
                return " MISS" if not r[name + "_" + fig + "_in_ci"] else " miss (in range)"
            m50 = miss("latency_s_p50", e50, GOAL_P50)
            m99 = miss("latency_s_p99", e99, GOAL_P99)

            def rng(fig):
                v, lo, hi = (r["measured_" + fig], r["measured_" + fig + "_lo"],
                             r["measured_" + fig + "_hi"])
                if math.isnan(lo) or not v:
                    return "-"
                return "%+.0f/%+.0f%%%s" % (100 * (lo / v - 1), 100 * (hi / v - 1),
                                           " (max)" if r["measured_" + fig + "_open"] else "")
            print("| " + " | ".join([
                r["system"], r["mix"],
                fmt(r["offered_rps"], "rps") + ("*" if goal else ""),
                "%+.1f%%" % (100 * (r["measured_sent_rps"] / r["offered_rps"] - 1)),
                str(r["measured_requests"]),
                fmt(r["measured_throughput_rps"], "rps"),
                fmt(r[name + "_throughput_rps"], "rps"),
                fmt(r["measured_latency_s_p50"], "ms"),
                fmt(r["measured_latency_s_p50_spread"], "spread"),
                rng("latency_s_p50"),
                fmt(r[name + "_latency_s_p50"], "ms"), fmt(e50, "pct") + m50,
                "-" if math.isnan(r[name + "_latency_s_p50_rank"])
                else "%.0f" % (100 * r[name + "_latency_s_p50_rank"]),
                fmt(r["measured_latency_s_p99"], "ms"),
                fmt(r["measured_latency_s_p99_spread"], "spread"),
                rng("latency_s_p99"),
                fmt(r[name + "_latency_s_p99"], "ms"), fmt(e99, "pct") + m99,
                fmt(r["measured_utilization_cpu"], "f"),
                fmt(r[name + "_utilization_cpu"], "f"),
                "%.0f" % (1e6 * r["measured_utilization_cpu"] / r["measured_throughput_rps"])
                if r["measured_throughput_rps"] else "-",
                "%.0f" % (1e6 * r[name + "_utilization_cpu"] / r[name + "_throughput_rps"])
                if r[name + "_throughput_rps"] else "-",
                str(r["measured_errors"]),
                "%.0f/%.0f" % (r["measured_probe_cpu_ms"], r["measured_probe_wall_ms"]),
                fmt(r["measured_send_lag_s_p99"], "ms"),
                "-" if math.isnan(r["measured_steal"]) else "%.1f%%" % (100 * r["measured_steal"]),
            ]) + " |")
        print("\n### Goals per system and mix (`%s`)\n" % name)
        print("| system | mix | knee | p50 ok | p99 ok | p50 ok (ci) | p99 ok (ci) |")
        print("|---|---|---|---|---|---|---|")
        for k in knees:
            sel = [r for r in rows if (r["system"], r["mix"]) == (k["system"], k["mix"])
                   and r["below_085_knee"]]
            ok50 = sum(abs(r[name + "_latency_s_p50_err"]) <= GOAL_P50 for r in sel)
            ok99 = sum(abs(r[name + "_latency_s_p99_err"]) <= GOAL_P99 for r in sel)
            ci50 = sum(r[name + "_latency_s_p50_in_ci"] for r in sel)
            ci99 = sum(r[name + "_latency_s_p99_in_ci"] for r in sel)
            e = k.get(name + "_knee_err", math.nan)
            print("| %s | %s | %s | %d/%d | %d/%d | %d/%d | %d/%d |" % (
                k["system"], k["mix"],
                ("ok " if abs(e) <= GOAL_KNEE else "MISS ") + fmt(e, "pct"),
                ok50, len(sel), ok99, len(sel), ci50, len(sel), ci99, len(sel)))
    print_classes(out, knees)


def print_spread(rows, knees):
    """The section on what a measurement of each point's size can resolve
    (only with OUT/spread: predict_spread)."""
    goal = [r for r in rows if r["below_085_knee"] and r["spread_n"]
            and "defaults_latency_s_p99" in r]
    if not goal:
        return
    figs = (("latency_s_p50", "p50", GOAL_P50), ("latency_s_p99", "p99", GOAL_P99))
    print("\n## What a measurement of this size can resolve (prediction `defaults`)\n")
    print("Each point run again through (a)'s scenario as %d measurements of "
          "the point's own size (one replication per measurement, as long as "
          "its repeats together, the same warm-up), so that the model's own "
          "spread shows what the measurement's size lets a goal resolve. "
          "expected: the number of points within the goal if the server "
          "behaved exactly as the model (the sum over the points of the "
          "share of those measurements within the goal of (a)'s prediction); "
          "in range: the points whose measured value lies in the middle "
          "%d %% of those measurements; all: the chance that an exact model "
          "meets the goal at every point (the product of the shares); "
          "seconds: measured at the point, all repeats; needs: the seconds "
          "a measurement would need for %d %% of such values to lie within "
          "the goal of the model's long-run value (by the 1 / sqrt(T) law of a "
          "quantile's error over a stationary run: an extrapolation), the "
          "largest over the points. One replication of the repeats' "
          "summed length stands for repeats measured minutes apart: at "
          "these loads the queue forgets its state within a second, so "
          "the two differ by one warm-up's worth.\n"
          % (min(r["spread_n"] for r in goal), SPREAD_Q * 100, SPREAD_Q * 100))
    head = ["system", "mix", "points"]
    for _, f, _ in figs:
        head += [f + " ok", f + " expected", f + " all", f + " in range", f + " needs"]
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    tot = {}
    for k in knees + [None]:
        sel = (goal if k is None else
               [r for r in goal if (r["system"], r["mix"]) == (k["system"], k["mix"])])
        if not sel:
            continue
        cells = (["all", "", str(len(sel))] if k is None
                 else [k["system"], k["mix"], str(len(sel))])
        for fig, f, tol in figs:
            ok = sum(abs(r["defaults_" + fig + "_err"]) <= tol for r in sel)
            hits = [r["spread_" + fig + "_hit"] for r in sel]
            inr = sum(int(r["spread_" + fig + "_in"]) for r in sel)
            need = max(sel, key=lambda r: r["spread_" + fig + "_need_s"])
            cells += ["%d/%d" % (ok, len(sel)), "%.1f" % sum(hits),
                      "%.2f" % math.prod(hits), "%d/%d" % (inr, len(sel)),
                      "%.0f s (%.0f/s%s)" % (need["spread_" + fig + "_need_s"],
                                             need["offered_rps"],
                                             "" if k else " " + need["system"] + " " + need["mix"])]
        print("| " + " | ".join(cells) + " |")
    print("\nPer point below 0.85 x the measured knee (latencies in ms; range: "
          "the middle %d %% of the model's own measurements of the point's "
          "size; hit: the share of them within the goal of (a)'s "
          "prediction):\n" % (SPREAD_Q * 100))
    h = ["system", "mix", "rate", "seconds"]
    for _, f, _ in figs:
        h += [f, "range", "pred", "hit", "needs"]
    print("| " + " | ".join(h) + " |")
    print("|" + "---|" * len(h))
    for r in goal:
        cells = [r["system"], r["mix"], fmt(r["offered_rps"], "rps"),
                 "%.0f" % r["spread_seconds"]]
        for fig, f, tol in figs:
            cells += [fmt(r["measured_" + fig], "ms") +
                      ("" if r["spread_" + fig + "_in"] else " (out)"),
                      "%s-%s" % (fmt(r["spread_" + fig + "_lo"], "ms"),
                                 fmt(r["spread_" + fig + "_hi"], "ms")),
                      fmt(r["defaults_" + fig], "ms"),
                      "%.0f%%" % (100 * r["spread_" + fig + "_hit"]),
                      "%.0f s" % r["spread_" + fig + "_need_s"]]
        print("| " + " | ".join(cells) + " |")


def print_classes(out, knees):
    """The per-class table of prediction `trace`, where a mix has classes."""
    mk = {(k["system"], k["mix"]): k["_mk"] for k in knees}
    lines = []
    for f in sorted(glob.glob(os.path.join(out, "pred_trace", "*", "classes.csv"))):
        s, m = os.path.basename(os.path.dirname(f)).split("-", 1)
        with open(f, newline="") as fh:
            rows = list(csv.DictReader(fh))
        if len({r["class"] for r in rows}) < 2:
            continue
        for r in rows:
            rate = fnum(r["offered_rps"])
            goal = rate < GOAL_REGION * mk.get((s, m), math.inf)
            m50, p50 = fnum(r["measured_latency_s_p50"]), fnum(r["trace_latency_s_p50"])
            m99, p99 = fnum(r["measured_latency_s_p99"]), fnum(r["trace_latency_s_p99"])
            lines.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
                s, m, fmt(rate, "rps") + ("*" if goal else ""), r["class"],
                r["requests"], fmt(m50, "ms"), fmt(p50, "ms"), fmt(rel(p50, m50), "pct"),
                fmt(m99, "ms"), fmt(p99, "ms"), fmt(rel(p99, m99), "pct")))
    if not lines:
        return
    print("\n## Per class: measured vs prediction `trace`\n")
    print("Each class's latency (ms) over the requests of its points, the "
          "prediction on the same arrivals; means over the repeats; requests: "
          "per repeat; `*` below %.2f x the measured knee.\n" % GOAL_REGION)
    print("| system | mix | rate | class | requests | p50 | pred | err | p99 | pred | err |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for l in lines:
        print(l)


def pct(v, q):
    """v sorted: the q quantile, interpolated as openloop.c's pct()."""
    if not v:
        return math.nan
    pos = q * (len(v) - 1)
    i = int(pos)
    f = pos - i
    return v[i] * (1 - f) + v[i + 1] * f if i + 1 < len(v) else v[i]


def class_rows(out, sysmix, d):
    """Per rate and class: the measured latency (openloop -l, OUT/lat) and
    the one predicted on the same arrivals (the trace run's results.json),
    means over the repeats. The class index of openloop maps to the
    trace's class name through the schedule (same rows, same order)."""
    acc = {}  # (rate, class) -> lists
    for f in glob.glob(os.path.join(d, "*.trace.csv")):
        base = os.path.basename(f)[:-len(".trace.csv")]
        lat = os.path.join(out, "lat", sysmix, base + ".csv")
        sched = os.path.join(out, "sched", sysmix, base + ".csv")
        res = os.path.join(d, base + ".out", "results.json")
        if not (os.path.exists(lat) and os.path.exists(sched) and os.path.exists(res)):
            continue
        names = {}
        with open(sched) as fs, open(f) as ft:
            next(fs)
            next(ft)
            for a, b in zip(fs, ft):
                names.setdefault(a.strip().split(",")[1], b.split(",")[1])
        lats = {}
        with open(lat, newline="") as fl:
            for r in csv.DictReader(fl):
                if r["result"] == "0":
                    lats.setdefault(names.get(r["class"], r["class"]), []).append(
                        float(r["latency_s"]))
        with open(res) as fr:
            sysj = json.load(fr)["systems"][0]
        rate = float(base.split("-")[0])
        for name, v in lats.items():
            v.sort()
            pc = sysj.get("classes", {}).get(name, {}).get("latency_s", {})
            a = acc.setdefault((rate, name), {"n": [], "m50": [], "m99": [],
                                              "p50": [], "p99": []})
            a["n"].append(len(v))
            a["m50"].append(pct(v, .5))
            a["m99"].append(pct(v, .99))
            a["p50"].append(fnum(pc.get("p50")))
            a["p99"].append(fnum(pc.get("p99")))
    return [(rate, name, sum(a["n"]) / len(a["n"]), mean(a["m50"]), mean(a["p50"]),
             mean(a["m99"]), mean(a["p99"])) for (rate, name), a in sorted(acc.items())]


def measured_seconds(out, sysmix):
    """{rate: the seconds measured at it, summed over the repeats
    (measured.csv's duration_s, or the run's duration for a file from
    before the column)}."""
    dur = run_duration(out)
    dur = math.nan if dur is None else dur
    res = {}
    for (s, m, rate), g in sorted(read_measured(out).items()):
        if "%s-%s" % (s, m) != sysmix:
            continue
        secs = [fnum(r.get("duration_s", "")) for r in g]
        res[rate] = sum(dur if math.isnan(x) else x for x in secs)
    return res


def cmd_spread(out, sysmix):
    for rate, secs in sorted(measured_seconds(out, sysmix).items()):
        if secs > 0:
            print("%g %.3f" % (rate, secs))


SPREAD_Q = 0.95  # the share of the model's own measurements a range holds


def read_spread(out, s, m, rate):
    """{fig: the sorted values over the replications} of
    OUT/spread/SYSTEM-MIX/RATE/replications.csv (each replication as long
    as the point's measurement, all repeats), or None."""
    f = os.path.join(out, "spread", "%s-%s" % (s, m), "%g" % rate,
                     "replications.csv")
    if not os.path.exists(f):
        return None
    with open(f, newline="") as fh:
        reps = [r for r in csv.DictReader(fh) if r["system"] == s]
    res = {}
    for fig in ("latency_s_p50", "latency_s_p99"):
        v = sorted(x for x in (fnum(r[fig]) for r in reps) if not math.isnan(x))
        if len(v) >= 20:
            res[fig] = v
    return res or None


def spread_fields(v, measured, pred, tol, secs):
    """For one figure of one point, v the model's own values over
    measurements of the point's size (sorted): its central SPREAD_Q range
    (lo, hi); whether the measured value lies in it (in); the share of
    them within tol of the prediction pred, i.e. how often the goal would
    be met if the server behaved exactly as the model (hit); and the
    seconds a measurement would need for SPREAD_Q of such values to lie
    within tol of the model's long-run value (their mean), by the 1 /
    sqrt(T) law of a quantile's error over a stationary run (need_s)."""
    a = (1 - SPREAD_Q) / 2
    lo, hi = pct(v, a), pct(v, 1 - a)
    c = sum(v) / len(v)
    dev = sorted(abs(x / c - 1) for x in v) if c > 0 else []
    w = pct(dev, SPREAD_Q)
    ok = [abs(pred / x - 1) <= tol for x in v if x > 0] if not math.isnan(pred) else []
    return {"lo": lo, "hi": hi,
            "in": int(lo <= measured <= hi) if not math.isnan(measured) else 0,
            "hit": sum(ok) / len(ok) if ok else math.nan,
            "need_s": secs * (w / tol) ** 2 if dev and secs > 0 else math.nan}


def write_means(out, name, sysmix, by_rate):
    """OUT/pred_NAME/SYSMIX/results.csv, a sweep's shape: per nominal rate
    (by_rate: rate -> the results.csv rows of its repeats) the mean of each
    numeric column over the repeats."""
    first = by_rate[min(by_rate)][0]
    num = [c for c in first if c not in ("workload.arrivals.rate", "scenario_hash")
           and not math.isnan(fnum(first[c]))]
    os.makedirs(os.path.join(out, "pred_" + name, sysmix), exist_ok=True)
    with open(os.path.join(out, "pred_" + name, sysmix, "results.csv"), "w",
              newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["workload.arrivals.rate", "repeats"] + num)
        for rate in sorted(by_rate):
            rows = by_rate[rate]
            w.writerow(["%g" % rate, len(rows)] +
                       ["%.9g" % mean([fnum(r[c]) for r in rows]) for c in num])


def cmd_traces(out, sysmix, name="trace"):
    d = os.path.join(out, name + "_runs", sysmix)
    by_rate = {}
    for f in glob.glob(os.path.join(d, "*.results.csv")):
        rate = os.path.basename(f).split("-")[0]
        with open(f, newline="") as fh:
            by_rate.setdefault(float(rate), []).extend(csv.DictReader(fh))
    if not by_rate:
        return
    write_means(out, name, sysmix, by_rate)
    crows = class_rows(out, sysmix, d)
    if crows:
        with open(os.path.join(out, "pred_" + name, sysmix, "classes.csv"), "w",
                  newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["offered_rps", "class", "requests", "measured_latency_s_p50",
                        name + "_latency_s_p50", "measured_latency_s_p99",
                        name + "_latency_s_p99"])
            for r in crows:
                w.writerow(["%g" % r[0], r[1], "%.0f" % r[2]] + ["%.6g" % x for x in r[3:]])


def sent_rates(out, sysmix):
    """{(nominal rate, repeat): the rate that repeat's Poisson draw actually
    sent (scheduled / duration_s in measured.csv), to 3 decimals}."""
    return {(rate, r["rep"]): round(fnum(r["scheduled"]) / fnum(r["duration_s"]), 3)
            for (s, m, rate), g in read_measured(out).items()
            if "%s-%s" % (s, m) == sysmix
            for r in g if fnum(r.get("duration_s")) > 0}


def cmd_sent(out, sysmix, what):
    """`rates`: the comma list of the distinct sent rates (for the sweep);
    `collect`: OUT/sent_runs/SYSMIX/results.csv (that sweep) averaged over
    the repeats of each nominal rate into OUT/pred_sent/SYSMIX/results.csv,
    keyed by the nominal rate, a sweep's shape."""
    sent = sent_rates(out, sysmix)
    if what == "rates":
        print(",".join("%.3f/s" % x for x in sorted(set(sent.values()))))
        return
    runs = read_sweep(os.path.join(out, "sent_runs", sysmix, "results.csv"))
    by_rate = {}
    for (rate, rep), x in sorted(sent.items()):
        if x not in runs:
            sys.exit("compare.py sent: %s at %g/s, repeat %s: no row for its "
                     "sent rate %.3f/s in sent_runs" % (sysmix, rate, rep, x))
        by_rate.setdefault(rate, []).append(runs[x])
    if by_rate:
        write_means(out, "sent", sysmix, by_rate)


def cpu_us(rows):
    """CPU per request, us, of results rows (the repeats' mean utilization
    over their mean throughput, as the tables compare them), or NaN."""
    thr = mean([fnum(r["throughput_rps"]) for r in rows])
    if not thr > 0:
        return math.nan
    return 1e6 * mean([fnum(r["utilization_cpu"]) for r in rows]) / thr


def moved_overhead(us, measured, model):
    """request_overhead us moved by what the measured CPU per request
    exceeds the model's, not below 0; None when either is unknown."""
    if math.isnan(measured) or math.isnan(model):
        return None
    return max(0.0, us + measured - model)


def matched_overheads(out, sysmix, overhead_us):
    """{rate: the request_overhead (us, not below 0) that adds to (a)'s
    CPU per request at that rate what the server's measured one exceeds
    it by}: prediction "matched"."""
    pred = read_sweep(os.path.join(out, "pred_defaults", sysmix, "results.csv"))
    res = {}
    for (s, m, rate), g in sorted(read_measured(out).items()):
        if "%s-%s" % (s, m) != sysmix or rate not in pred:
            continue
        us = moved_overhead(overhead_us, cpu_us(g), cpu_us([pred[rate]]))
        if us is not None:
            res[rate] = us
    return res


def cmd_matched(out, sysmix, overhead_us, what):
    ro = matched_overheads(out, sysmix, overhead_us)
    if what == "points":
        for rate, us in sorted(ro.items()):
            print("%g %.3f" % (rate, us))
        return
    by_rate = {}
    for rate in ro:
        f = os.path.join(out, "matched_runs", sysmix, "%g" % rate, "results.csv")
        if os.path.exists(f):
            by_rate[rate] = list(read_sweep(f).values())
    if by_rate:
        write_means(out, "matched", sysmix, by_rate)


def cmd_rematch(out, sysmix, name):
    """Per repeat of each rate, request_overhead moved again by what the
    server's measured CPU per request in that repeat exceeds the one of
    NAME's run on that repeat's arrivals (OUT/NAME_runs/SYSMIX:
    overheads.txt, the "RATE US" or "RATE-REP US" they ran with, and
    RATE-REP.results.csv), not below 0: "RATE-REP US" lines. (a)'s CPU per
    request at a rate (matched_overheads) is that of its own Poisson draw,
    not the point's; and the server's moves between the repeats of a
    point, minutes apart (gunicorn sync `hol` at 163/s in the run of
    2026-12-06 13:34: 3.71 and 3.91 ms a request), more than their draws'
    do."""
    d = os.path.join(out, name + "_runs", sysmix)
    used = {}
    with open(os.path.join(d, "overheads.txt")) as f:
        for line in f:
            key, us = line.split()
            used[key] = float(us)
    meas = [(r, row) for (s, m, r), g in read_measured(out).items()
            if "%s-%s" % (s, m) == sysmix for row in g]
    for path in sorted(glob.glob(os.path.join(d, "*-*.results.csv"))):
        base = os.path.basename(path)[: -len(".results.csv")]
        rate, rep = base.rsplit("-", 1)
        us = used.get(base, used.get(rate))
        # the file's rate is %g of the measured one (6 digits)
        m = next((row for r, row in meas if row["rep"] == rep and
                  abs(r - fnum(rate)) <= 5e-6 * max(1.0, r)), None)
        if us is None or m is None:
            continue
        with open(path, newline="") as fh:
            runs = list(csv.DictReader(fh))
        us = moved_overhead(us, cpu_us([m]), cpu_us(runs)) if runs else None
        if us is not None:
            print("%s %.3f" % (base, us))


def best_fixed(vals, tol):
    """The most of vals (NaN left out) that one value lies within tol of,
    as the goals count it (|value / v - 1| <= tol: value in v (1 - tol) ..
    v (1 + tol)), and that value: a sweep over the intervals' ends."""
    ev = []
    for v in vals:
        if math.isnan(v):
            continue
        ev.append((v * (1 - tol), 0))  # enters (0 sorts before 1: closed)
        ev.append((v * (1 + tol), 1))
    n = best = 0
    at = math.nan
    for x, kind in sorted(ev):
        n += 1 if kind == 0 else -1
        if n > best:
            best, at = n, x
    return best, at


def cmd_across(outs):
    points = {}  # (system, mix, position) -> [row of each run]
    preds = None
    for out in outs:
        with open(os.path.join(out, "compare.csv")) as f:
            rows = list(csv.DictReader(f))
        names = sorted({k[:-len("_latency_s_p50_err")] for k in rows[0]
                        if k.endswith("_latency_s_p50_err")}) if rows else []
        preds = names if preds is None else [n for n in preds if n in names]
        by = {}
        for r in rows:
            by.setdefault((r["system"], r["mix"]), []).append(r)
        for (s, m), rs in by.items():
            rs.sort(key=lambda r: fnum(r["offered_rps"]))
            for i, r in enumerate(rs):
                if r["below_085_knee"] == "1":
                    r["run"] = out
                    points.setdefault((s, m, i + 1), []).append(r)
    preds = preds or []
    figs = (("latency_s_p50", "p50", GOAL_P50), ("latency_s_p99", "p99", GOAL_P99))
    csv_rows, tot = [], {}
    print("# Runs side by side: %s\n" % ", ".join(outs))
    print("Points below %.2f x each run's measured knee, matched across runs "
          "by system, mix and the rate's position in the sweep. `best fixed`: "
          "the most of the runs one value, chosen after seeing them, lies "
          "within the goal of (p50 %d %%, p99 %d %%): how far apart the "
          "runs' own measurements of a point lie. For points at the same rate "
          "in every run no prediction whose inputs are the same for every run "
          "can meet more; the rates at a position follow each run's knee "
          "(`rates/s`), so here it is a guide, not a bound.\n"
          % (GOAL_REGION, GOAL_P50 * 100, GOAL_P99 * 100))
    head = ["system", "mix", "position", "runs", "rates/s", "p50 measured, ms",
            "p50 best fixed"] + ["p50 " + n for n in preds] + \
           ["p99 measured, ms", "p99 best fixed"] + ["p99 " + n for n in preds]
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for key in sorted(points):
        rs = points[key]
        s, m, pos = key
        cells = [s, m, str(pos), str(len(rs)),
                 "%.0f-%.0f" % (min(fnum(r["offered_rps"]) for r in rs),
                                max(fnum(r["offered_rps"]) for r in rs))]
        row = {"system": s, "mix": m, "position": pos, "runs": len(rs)}
        for fig, short, tol in figs:
            vals = [fnum(r["measured_" + fig]) for r in rs]
            vals = [v for v in vals if not math.isnan(v)] or [math.nan]
            best, at = best_fixed(vals, tol)
            cells += [" ".join("%.3g" % (1e3 * v) for v in sorted(vals)),
                      "%d" % best]
            row["measured_%s_min" % fig] = "%.9g" % min(vals)
            row["measured_%s_max" % fig] = "%.9g" % max(vals)
            row["best_fixed_%s" % short] = best
            row["best_fixed_%s_value" % fig] = "%.9g" % at
            t = tot.setdefault((s, m, short), {"n": 0, "best": 0})
            t["n"] += len(rs)
            t["best"] += best
            for n in preds:
                met = sum(abs(fnum(r[n + "_" + fig + "_err"])) <= tol for r in rs)
                cells.append(str(met))
                row["%s_%s_met" % (n, short)] = met
                t[n] = t.get(n, 0) + met
        print("| " + " | ".join(cells) + " |")
        csv_rows.append(row)
    print("\nTotals (goals met, of the points):\n")
    head = ["system", "mix", "goal", "points", "best fixed"] + preds
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    all_ = {}
    for (s, m, short), t in sorted(tot.items()):
        print("| " + " | ".join([s, m, short, str(t["n"]), str(t["best"])] +
                                [str(t.get(n, 0)) for n in preds]) + " |")
        a = all_.setdefault(short, {})
        for k, v in t.items():
            a[k] = a.get(k, 0) + v
    for short, a in sorted(all_.items()):
        print("| all | | " + " | ".join([short, str(a["n"]), str(a["best"])] +
                                        [str(a.get(n, 0)) for n in preds]) + " |")
    if csv_rows:
        cols = list(dict.fromkeys(k for r in csv_rows for k in r))
        with open(os.path.join(outs[0], "across.csv"), "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=cols)
            w.writeheader()
            w.writerows(csv_rows)


def cmd_table(out, names):
    """compare.py table: the per-point table of a run, compact."""
    names = names or ["defaults", "fit"]
    with open(os.path.join(out, "compare.csv"), newline="") as f:
        rows = list(csv.DictReader(f))
    with open(os.path.join(out, "knees.csv"), newline="") as f:
        knees = list(csv.DictReader(f))
    if not rows:
        sys.exit("compare.py table: %s/compare.csv has no points" % out)
    missing = [n for n in names if n + "_throughput_rps" not in rows[0]]
    if missing:
        sys.exit("compare.py table: no prediction %s in %s/compare.csv" %
                 (", ".join(missing), out))
    goals = {"throughput_rps": None, "latency_s_p50": GOAL_P50,
             "latency_s_p99": GOAL_P99}
    kinds = {"throughput_rps": "rps", "latency_s_p50": "ms",
             "latency_s_p99": "ms"}

    def cell(r, n, fig):
        v, e = fnum(r[n + "_" + fig]), fnum(r[n + "_" + fig + "_err"])
        if math.isnan(v):
            return "-"
        bad = (goals[fig] is not None and r["below_085_knee"] == "1"
               and not abs(e) <= goals[fig])
        return "%s (%s)%s" % (fmt(v, kinds[fig]), fmt(e, "pct"),
                              "!" if bad else "")

    head = ["system", "mix", "rate"]
    for fig, label in (("throughput_rps", "rps"), ("latency_s_p50", "p50 ms"),
                       ("latency_s_p99", "p99 ms")):
        head += ["%s (spread)" % label] + ["%s %s" % (n, label) for n in names]
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for r in rows:
        line = [r["system"], r["mix"], "%s%s" % (
            fmt(fnum(r["offered_rps"]), "rps"),
            "*" if r["below_085_knee"] == "1" else "")]
        for fig in ("throughput_rps", "latency_s_p50", "latency_s_p99"):
            line.append("%s (%s)" % (
                fmt(fnum(r["measured_" + fig]), kinds[fig]),
                fmt(fnum(r["measured_" + fig + "_spread"]), "spread")))
            line += [cell(r, n, fig) for n in names]
        print("| " + " | ".join(line) + " |")
    print()
    head = ["system", "mix", "knee (range)"] + names
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for k in knees:
        line = [k["system"], k["mix"], "%s (%s-%s)" % (
            k["measured_knee_rps"], k["measured_knee_lo"], k["measured_knee_hi"])]
        for n in names:
            e = fnum(k.get(n + "_knee_err"))
            line.append("%s (%s)%s" % (k.get(n + "_knee_rps") or "-", fmt(e, "pct"),
                                       "!" if abs(e) > GOAL_KNEE else ""))
        print("| " + " | ".join(line) + " |")


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "knee":
        cmd_knee(sys.argv[2], float(sys.argv[3]))
    elif len(sys.argv) == 4 and sys.argv[1] == "report":
        cmd_report(sys.argv[2], float(sys.argv[3]))
    elif len(sys.argv) in (4, 5) and sys.argv[1] == "traces":
        cmd_traces(*sys.argv[2:])
    elif len(sys.argv) == 5 and sys.argv[1] == "sent" and sys.argv[4] in ("rates", "collect"):
        cmd_sent(sys.argv[2], sys.argv[3], sys.argv[4])
    elif len(sys.argv) == 5 and sys.argv[1] == "spread" and sys.argv[4] == "points":
        cmd_spread(sys.argv[2], sys.argv[3])
    elif (len(sys.argv) == 6 and sys.argv[1] == "matched"
          and sys.argv[5] in ("points", "collect")):
        cmd_matched(sys.argv[2], sys.argv[3], float(sys.argv[4]), sys.argv[5])
    elif len(sys.argv) == 5 and sys.argv[1] == "rematch":
        cmd_rematch(sys.argv[2], sys.argv[3], sys.argv[4])
    elif len(sys.argv) >= 3 and sys.argv[1] == "table":
        cmd_table(sys.argv[2], sys.argv[3:])
    elif len(sys.argv) >= 3 and sys.argv[1] == "across":
        cmd_across(sys.argv[2:])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
