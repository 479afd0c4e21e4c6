#!/usr/bin/env python3
"""sched_turns.py - what each request of a server's workers cost on its
core, from the scheduler's record of the core (scripts/trace-sched.sh).

    python3 scripts/validate/sched_turns.py RECORD WORKERS [--out CSV]
        [--tiny-ms 0.8] [--long-ms 10] [--join-ms 0.3]

RECORD is `perf script -F tid,time,event,trace` of `perf record -e
sched:sched_switch -e syscalls:sys_exit_accept4 -C CORE` (a line per
context switch on the core and per return of accept4; without the
accept4 lines, each activity counts as one request); WORKERS the
comma-separated thread ids that serve (gunicorn's workers).
Every stretch a worker held the core is grouped: stretches of one worker
join while it was preempted (left the core runnable, state R) or came
back within JOIN ms (a request's own short sleeps: the socket's
wake-ups); with the accept4 returns, a request begins at each accepted
connection (its worker's wake-up included), and an activity whose
accept4 failed is `tiny` (woken by the herd for a connection another
worker took). Without them, a request is `tiny` up to TINY ms of CPU.
A request is `long` from LONG ms of CPU, `short` below. For each one,
since the same worker's previous request ended (its own gap): the core's
idle time in it and the other threads' time on the core in it.

Prints:
  - the short requests' CPU, by idle time and others' time in their gap
    (the table of the README's sync workers: others' work evicts as idle
    time does);
  - the short requests that started while another worker's long one held
    the core: their CPU, wall time (first to last instruction) and
    stretches, against the others';
  - with --schedule and --latency (the client's own record: openloop -T
    and -l), where a short request's latency goes: from its scheduled
    send to its accept, from its accept to its last instruction, and the
    rest (the k-th accepted connection is the k-th scheduled: the
    listening socket's queue is first in, first out);
  - which idle worker took a connection when several were idle: the share
    of the one idle longest (gunicorn's workers take turns).
With --out, one CSV row per request (loads into pandas): worker, start_s,
end_s, cpu_ms, wall_ms, stretches, kind, gap_ms, idle_ms, others_ms,
during_long, idle_workers, idle_rank (0: the worker idle longest),
accept_s, and with the client's record scheduled_s (the client's clock),
latency_ms, to_accept_ms.
"""
import argparse
import bisect
import csv
import re
import statistics
import sys

SWITCH = re.compile(
    r"^\s*(?:\d+\s+)?(\d+\.\d+):.*prev_pid=(\d+) .*prev_state=(\S+) ==> "
    r"next_comm=.* next_pid=(\d+)")
ACCEPT = re.compile(
    r"^\s*(\d+)\s+(\d+\.\d+):\s+syscalls:sys_exit_accept4:\s+(0x[0-9a-f]+)")


def read_record(path):
    """The switches, (time, prev_pid, prev_state, next_pid), and the
    threads' accept4 returns, (time, tid, accepted), each in time order."""
    sw, acc = [], []
    with open(path) as f:
        for line in f:
            m = SWITCH.match(line)
            if m:
                sw.append((float(m.group(1)), int(m.group(2)), m.group(3),
                           int(m.group(4))))
                continue
            m = ACCEPT.match(line)
            if m:  # a negative errno is a huge unsigned value
                acc.append((float(m.group(2)), int(m.group(1)),
                            int(m.group(3), 16) < 1 << 63))
    sw.sort(key=lambda x: x[0])
    acc.sort(key=lambda x: x[0])
    return sw, acc


def stretches(sw):
    """Who held the core when: (start, end, pid, state on leaving)."""
    held, cur, since = [], None, None
    for t, prev, state, nxt in sw:
        if cur == prev and since is not None:
            held.append((since, t, prev, state))
        cur, since = nxt, t
    return held


def activities(held, workers, join):
    """Each worker's stretches joined while it was preempted (left the
    core runnable: R, R+) or came back within `join`: [pid, start, end,
    [(start, end), ...]]."""
    open_, done = {}, []
    for s, e, pid, state in held:
        if pid not in workers:
            continue
        a = open_.get(pid)
        if a and (a[4].startswith("R") or s - a[2] < join):
            a[2], a[4] = e, state
            a[3].append((s, e))
        else:
            if a:
                done.append(a[:4])
            open_[pid] = [pid, s, e, [(s, e)], state]
    done.extend(a[:4] for a in open_.values())
    done.sort(key=lambda a: a[1])
    return done


def requests(held, workers, join, acc):
    """The workers' requests: [pid, start, end, cpu, stretches, tiny,
    accepted at].

    Without accept4 returns in the record, a request is an activity (a
    worker that serves queued connections back to back, never leaving
    the core, then shows one request for several). With them, a request
    begins at each accept4 that returned a connection: the activity that
    holds it from its start (the worker's wake-up: select() returned),
    split at each further one; an activity with no accepted connection
    is `tiny` when its accept4 failed (the herd: another worker took the
    connection) and else the end of the worker's last request (it slept
    briefly inside it)."""
    acts = activities(held, workers, join)
    got = {}
    failed = {}
    for t, tid, ok in acc:
        if tid in workers:
            (got if ok else failed).setdefault(tid, []).append(t)
    if not got:
        return [[a[0], a[1], a[2], sum(e - s for s, e in a[3]), len(a[3]),
                 None, None] for a in acts]
    out, last = [], {}
    for pid, s, e, parts in acts:
        ts = [t for t in got.get(pid, []) if s <= t <= e]
        if not ts:
            if any(s <= t <= e for t in failed.get(pid, [])) or pid not in last:
                out.append([pid, s, e, sum(b - a for a, b in parts), len(parts),
                            True, None])
            else:  # the rest of the worker's request
                r = last[pid]
                r[2] = e
                r[3] += sum(b - a for a, b in parts)
                r[4] += len(parts)
            continue
        cuts = [s] + ts[1:] + [e]
        for k in range(len(cuts) - 1):
            lo, hi = cuts[k], cuts[k + 1]
            cpu = sum(max(0.0, min(b, hi) - max(a, lo)) for a, b in parts)
            n = sum(1 for a, b in parts if b > lo and a < hi)
            r = [pid, lo, hi if k < len(cuts) - 2 else e, cpu, n, False,
                 ts[k]]
            out.append(r)
            last[pid] = r
    out.sort(key=lambda r: r[1])
    return out


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


def join_client(rows, schedule, latency, warmup):
    """Each accepted connection's request on the client's side. The
    listening socket's queue is first in, first out, so the k-th accepted
    connection is the client's k-th scheduled request; the two clocks
    differ by the least of (accept - scheduled) over the run (the clock
    offset and the fastest connect). Fills each row's scheduled_s (the
    client's clock), latency_ms and to_accept_ms (scheduled send to
    accept, beyond the fastest), and returns the summary's text."""
    with open(schedule) as f:
        sched = [(float(r["time_s"]), int(r["class"])) for r in csv.DictReader(f)]
    with open(latency) as f:
        lat = {round(float(r["scheduled_s"]) + warmup, 6): float(r["latency_s"])
               for r in csv.DictReader(f) if r.get("result", "0") == "0"}
    acc = sorted((r for r in rows if r["accept_s"] is not None),
                 key=lambda r: r["accept_s"])
    n = min(len(acc), len(sched))
    if n == 0:
        return "client: no accepted connection to join"
    off = min(acc[k]["accept_s"] - sched[k][0] for k in range(n))
    same = 0
    for k in range(n):
        r, (t, cls) = acc[k], sched[k]
        same += (cls == 1) == (r["kind"] == "long")
        r["scheduled_s"] = t
        r["to_accept_ms"] = (r["accept_s"] - t - off) * 1e3
        r["latency_ms"] = (lat[round(t, 6)] * 1e3 if round(t, 6) in lat
                           else None)
    out = [f"\nthe client's side: {len(acc)} accepted connections, "
           f"{len(sched)} scheduled; the class of the k-th matches "
           f"{same / n:.1%}"]
    sel = [r for r in acc[:n] if r["kind"] == "short"
           and r["latency_ms"] is not None]
    if sel:
        out.append("short requests (median ms): latency, scheduled send to "
                   "accept (beyond the fastest), accept to last instruction, "
                   "the rest (the fastest connect, the answer's way back)")
        for name, part in (("all", sel),
                           ("during another's long request",
                            [r for r in sel if r["during_long"]]),
                           ("otherwise", [r for r in sel if not r["during_long"]])):
            if part:
                lm = med([r["latency_ms"] for r in part])
                ta = med([r["to_accept_ms"] for r in part])
                sv = med([(r["end_s"] - r["accept_s"]) * 1e3 for r in part])
                rest = med([r["latency_ms"] - r["to_accept_ms"]
                            - (r["end_s"] - r["accept_s"]) * 1e3 for r in part])
                out.append(f"  {name}: n={len(part)}: {lm:.3f}, {ta:.3f}, "
                           f"{sv:.3f}, {rest:.3f}")
    return "\n".join(out)


def med(v):
    return statistics.median(v) if v else float("nan")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("record")
    ap.add_argument("workers")
    ap.add_argument("--out")
    ap.add_argument("--tiny-ms", type=float, default=0.8)
    ap.add_argument("--long-ms", type=float, default=10.0)
    ap.add_argument("--join-ms", type=float, default=0.3)
    ap.add_argument("--schedule", help="the client's schedule (openloop -T)")
    ap.add_argument("--latency", help="the client's latencies (openloop -l)")
    ap.add_argument("--warmup", type=float, default=1.0,
                    help="the client's warm-up, s (openloop -w)")
    a = ap.parse_args()
    workers = {int(x) for x in a.workers.split(",") if x}
    sw, acc = read_record(a.record)
    held = stretches(sw)
    if not held:
        sys.exit(f"{a.record}: no sched_switch lines")
    reqs = requests(held, workers, a.join_ms / 1e3, acc)
    busy = Busy(held)
    tiny, long_ = a.tiny_ms / 1e3, a.long_ms / 1e3

    def kind(r):
        if r[5] is not None:  # known from the accept4 returns
            return "tiny" if r[5] else "long" if r[3] >= long_ else "short"
        return "tiny" if r[3] <= tiny else "long" if r[3] >= long_ else "short"

    longs = [r for r in reqs if kind(r) == "long"]
    lstart = [r[1] for r in longs]
    rows, last_end, busy_until = [], {}, {}
    for r in reqs:
        pid, s, e, cpu, n, _, acc_t = r
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
            "worker": pid, "start_s": s, "end_s": e,
            "cpu_ms": cpu * 1e3, "wall_ms": (e - s) * 1e3, "stretches": n,
            "kind": k, "gap_ms": None if gap is None else gap * 1e3,
            "idle_ms": None if idle is None else idle * 1e3,
            "others_ms": None if others is None else others * 1e3,
            "during_long": int(during), "idle_workers": nidle,
            "idle_rank": rank, "accept_s": acc_t, "scheduled_s": None,
            "latency_ms": None, "to_accept_ms": None})

    client = None
    if a.schedule and a.latency:
        client = join_client(rows, a.schedule, a.latency, a.warmup)

    if a.out:
        with open(a.out, "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=list(rows[0]))
            w.writeheader()
            for row in rows:
                w.writerow({k: ("" if v is None else
                                f"{v:.6f}" if k.endswith("_s") else
                                f"{v:.4f}" if isinstance(v, float) else v)
                            for k, v in row.items()})

    shorts = [r for r in rows if r["kind"] == "short"]
    herd = any(r["accept_s"] is not None for r in rows)
    print(f"requests: {len(shorts)} short, "
          f"{sum(r['kind'] == 'long' for r in rows)} long, "
          f"{sum(r['kind'] == 'tiny' for r in rows)} tiny "
          + ("(woken for a connection another worker took)" if herd else
             f"(up to {a.tiny_ms} ms of CPU: woken for nothing)"))
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

    if client:
        print(client)

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
