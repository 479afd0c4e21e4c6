#!/usr/bin/env python3
"""sched_turns.py - what each request of a server's workers cost on its
core, from the scheduler's record of the core (scripts/trace-sched.sh).

    python3 scripts/validate/sched_turns.py SWITCHES WORKERS [--out CSV]
        [--tiny-ms 0.8] [--long-ms 10] [--join-ms 0.3]

SWITCHES is `perf script -F time,trace` of `perf record -e
sched:sched_switch -C CORE` (one line per context switch on the core);
WORKERS the comma-separated thread ids that serve (gunicorn's workers).
Every stretch a worker held the core is grouped into requests: stretches
of one worker join while it was preempted (left the core runnable, state
R) or came back within JOIN ms (a request's own short sleeps: the
socket's wake-ups). A request is `tiny` up to TINY ms of CPU (a worker
woken for a connection another took, or the arbiter's heartbeat), `long`
from LONG ms, `short` between. For each one, since the same worker's
previous request ended (its own gap): the core's idle time in it and the
other threads' time on the core in it.

Prints:
  - the short requests' CPU, by idle time and others' time in their gap
    (the table of the README's sync workers: others' work evicts as idle
    time does);
  - the short requests that started while another worker's long one held
    the core: their CPU, wall time (first to last instruction) and
    stretches, against the others';
  - which idle worker took a connection when several were idle: the share
    of the one idle longest (gunicorn's workers take turns).
With --out, one CSV row per request (loads into pandas): worker, start_s,
end_s, cpu_ms, wall_ms, stretches, kind, gap_ms, idle_ms, others_ms,
during_long, idle_workers, idle_rank (0: the worker idle longest).
"""
import argparse
import bisect
import csv
import re
import statistics
import sys

SWITCH = re.compile(
    r"^\s*(\d+\.\d+):.*prev_pid=(\d+) .*prev_state=(\S+) ==> "
    r"next_comm=.* next_pid=(\d+)")


def read_switches(path):
    """(time, prev_pid, prev_state, next_pid) per switch, in time order."""
    out = []
    with open(path) as f:
        for line in f:
            m = SWITCH.match(line)
            if m:
                out.append((float(m.group(1)), int(m.group(2)), m.group(3),
                            int(m.group(4))))
    out.sort(key=lambda x: x[0])
    return out


def stretches(sw):
    """Who held the core when: (start, end, pid, state on leaving)."""
    held, cur, since = [], None, None
    for t, prev, state, nxt in sw:
        if cur == prev and since is not None:
            held.append((since, t, prev, state))
        cur, since = nxt, t
    return held


def requests(held, workers, join):
    """A worker's stretches grouped into requests: [pid, start, end, cpu,
    stretches]."""
    open_, done = {}, []
    for s, e, pid, state in held:
        if pid not in workers:
            continue
        a = open_.get(pid)
        if a and (a[5] == "R" or s - a[2] < join):
            a[2], a[3], a[4], a[5] = e, a[3] + e - s, a[4] + 1, state
        else:
            if a:
                done.append(a)
            open_[pid] = [pid, s, e, e - s, 1, state]
    done.extend(open_.values())
    done.sort(key=lambda a: a[1])
    return [a[:5] for a in done]


class Busy:
    """Time on the core, cumulative, for idle (pid 0) and for all but one
    worker: prefix sums over the stretches, so each query is a bisection."""

    def __init__(self, held):
        self.starts = [h[0] for h in held]
        self.held = held
        self.idle = [0.0]
        self.any = [0.0]
        self.own = {}
        for s, e, pid, _ in held:
            self.idle.append(self.idle[-1] + (e - s if pid == 0 else 0))
            self.any.append(self.any[-1] + (e - s if pid != 0 else 0))

    def _upto(self, cum, t, pick):
        i = bisect.bisect_right(self.starts, t)
        tot = cum[i]
        if i:
            s, e, pid, _ = self.held[i - 1]
            if e > t and pick(pid):
                tot -= e - t
        return tot

    def idle_in(self, a, b):
        up = lambda t: self._upto(self.idle, t, lambda p: p == 0)
        return up(b) - up(a)

    def busy_in(self, a, b):
        up = lambda t: self._upto(self.any, t, lambda p: p != 0)
        return up(b) - up(a)


def med(v):
    return statistics.median(v) if v else float("nan")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("switches")
    ap.add_argument("workers")
    ap.add_argument("--out")
    ap.add_argument("--tiny-ms", type=float, default=0.8)
    ap.add_argument("--long-ms", type=float, default=10.0)
    ap.add_argument("--join-ms", type=float, default=0.3)
    a = ap.parse_args()
    workers = {int(x) for x in a.workers.split(",") if x}
    held = stretches(read_switches(a.switches))
    if not held:
        sys.exit(f"{a.switches}: no sched_switch lines")
    reqs = requests(held, workers, a.join_ms / 1e3)
    busy = Busy(held)
    tiny, long_ = a.tiny_ms / 1e3, a.long_ms / 1e3

    def kind(r):
        return "tiny" if r[3] <= tiny else "long" if r[3] >= long_ else "short"

    longs = [r for r in reqs if kind(r) == "long"]
    lstart = [r[1] for r in longs]
    rows, last_end, busy_until = [], {}, {}
    for r in reqs:
        pid, s, e, cpu, n = r
        k = kind(r)
        gap = idle = others = None
        if pid in last_end:
            g0 = last_end[pid]
            gap = s - g0
            idle = busy.idle_in(g0, s)
            others = busy.busy_in(g0, s)
        # a long request of another worker that holds the core at s
        i = bisect.bisect_right(lstart, s)
        during = any(lr[0] != pid and lr[1] < s < lr[2]
                     for lr in longs[max(0, i - 3):i])
        nidle, rank = None, None
        if k != "tiny":
            idle_w = [w for w in workers if busy_until.get(w, 0) <= s]
            # ranked once every idle worker has served: a worker that
            # has not has no place in the turns yet
            if (pid in idle_w and len(idle_w) > 1
                    and all(w in busy_until for w in idle_w)):
                # 0: idle longest (ended first)
                order = sorted(idle_w, key=lambda w: busy_until.get(w, 0))
                nidle, rank = len(idle_w), order.index(pid)
            busy_until[pid] = e
            last_end[pid] = e
        rows.append({
            "worker": pid, "start_s": f"{s:.6f}", "end_s": f"{e:.6f}",
            "cpu_ms": cpu * 1e3, "wall_ms": (e - s) * 1e3, "stretches": n,
            "kind": k, "gap_ms": None if gap is None else gap * 1e3,
            "idle_ms": None if idle is None else idle * 1e3,
            "others_ms": None if others is None else others * 1e3,
            "during_long": int(during), "idle_workers": nidle,
            "idle_rank": rank})

    if a.out:
        with open(a.out, "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=list(rows[0]))
            w.writeheader()
            for row in rows:
                w.writerow({k: ("" if v is None else
                                f"{v:.4f}" if isinstance(v, float) else v)
                            for k, v in row.items()})

    shorts = [r for r in rows if r["kind"] == "short"]
    print(f"requests: {len(shorts)} short, "
          f"{sum(r['kind'] == 'long' for r in rows)} long, "
          f"{sum(r['kind'] == 'tiny' for r in rows)} tiny "
          f"(up to {a.tiny_ms} ms: woken for nothing)")
    if not shorts:
        return
    print(f"short requests' CPU: median {med([r['cpu_ms'] for r in shorts]):.3f} ms")
    print("\nCPU of a short request (median ms, count) by the core's idle "
          "time (rows) and the other threads' time on it (columns) since "
          "the same worker's previous request, ms:")
    ib = [0, 0.5, 2, 5, 12, 25, 50, 1e9]
    bb = [0, 2, 5, 12, 25, 50, 1e9]
    lab = lambda b, j: f"{b[j]:g}-{b[j + 1]:g}" if b[j + 1] < 1e9 else f"{b[j]:g}+"
    print(f"{'idle':>9}" + "".join(f"{lab(bb, j):>15}" for j in range(len(bb) - 1)))
    gapped = [r for r in shorts if r["idle_ms"] is not None]
    for i in range(len(ib) - 1):
        line = f"{lab(ib, i):>9}"
        for j in range(len(bb) - 1):
            v = [r["cpu_ms"] for r in gapped
                 if ib[i] <= r["idle_ms"] < ib[i + 1]
                 and bb[j] <= r["others_ms"] < bb[j + 1]]
            line += f"{(f'{med(v):.3f} ({len(v)})' if len(v) >= 3 else '-'):>15}"
        print(line)

    print("\nshort requests, by what held the core when they started:")
    for name, sel in (("during another worker's long request",
                       [r for r in shorts if r["during_long"]]),
                      ("otherwise", [r for r in shorts if not r["during_long"]])):
        if sel:
            print(f"  {name}: n={len(sel)}, CPU {med([r['cpu_ms'] for r in sel]):.3f} ms, "
                  f"first to last instruction {med([r['wall_ms'] for r in sel]):.3f} ms, "
                  f"stretches {statistics.mean([r['stretches'] for r in sel]):.2f} (mean)")

    ranked = [r for r in rows if r["idle_rank"] is not None]
    if ranked:
        print("\nwhich idle worker took the connection (share of the one idle "
              "longest; by chance it would be 1/k):")
        for k in sorted({r["idle_workers"] for r in ranked}):
            sel = [r for r in ranked if r["idle_workers"] == k]
            top = sum(r["idle_rank"] == 0 for r in sel) / len(sel)
            print(f"  {k} idle: {top:.0%} of {len(sel)} (1/k = {1 / k:.0%})")


if __name__ == "__main__":
    main()
