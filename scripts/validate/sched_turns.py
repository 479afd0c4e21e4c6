#!/usr/bin/env python3
"""sched_turns.py - what each request of a server's workers cost on its
core, from the scheduler's record of the core (scripts/trace-sched.sh).

    python3 scripts/validate/sched_turns.py RECORD WORKERS [--out CSV]
        [--tiny-ms 0.8] [--long-ms 10] [--join-ms 0.3]
        [--schedule SCHEDULE.csv --latency LATENCY.csv [--warmup 1]]

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
    [(start, end, state on leaving), ...]]."""
    open_, done = {}, []
    for s, e, pid, state in held:
        if pid not in workers:
            continue
        a = open_.get(pid)
        if a and (a[4].startswith("R") or s - a[2] < join):
            a[2], a[4] = e, state
            a[3].append((s, e, state))
        else:
            if a:
                done.append(a[:4])
            open_[pid] = [pid, s, e, [(s, e, state)], state]
    done.extend(a[:4] for a in open_.values())
    done.sort(key=lambda a: a[1])
    return done


def requests(held, workers, join, acc):
    """The workers' requests: [pid, start, end, cpu, stretches, tiny,
    accepted at].

    Without accept4 returns in the record, a request is an activity (a
    worker that serves queued connections back to back, never leaving
    the core, then shows one request for several). With them, each
    worker is followed as gunicorn's sync loop runs (workers/sync.py,
    run_for_one): a connection accepted opens a request (and ends the one
    before, served back to back); the worker then calls accept4 again
    once it has answered, and the failure (EAGAIN) ends the request
    before it waits in select(). What a worker runs with no request open
    goes to the next request it accepts within the same activity (its
    wake-up), or else is `tiny`: woken by the herd for a connection
    another worker took (its accept4 fails), or by its own timer."""
    acts = activities(held, workers, join)
    mine = {}
    for t, tid, ok in acc:
        if tid in workers:
            mine.setdefault(tid, []).append((t, ok))
    if not mine:
        return [[a[0], a[1], a[2], sum(e - s for s, e, _ in a[3]),
                 len(a[3]), None, None] for a in acts]
    # a row while it grows: pid, start, end, cpu, stretches, tiny,
    # accepted at, and the last stretch counted in it
    out, cur, nxt = [], {}, {}

    def row(pid, t, tiny, at):
        return [pid, t, t, 0.0, 0, tiny, at, None]

    def add(r, lo, hi, stretch):
        r[2] = max(r[2], hi)
        r[3] += hi - lo
        if r[7] != stretch:
            r[4] += 1
            r[7] = stretch

    for pid, s, e, parts in acts:
        evs = mine.get(pid, [])
        i = nxt.get(pid, 0)
        while i < len(evs) and evs[i][0] < s:
            i += 1  # a return outside the record's stretches
        wake = None  # what ran with no request open: a wake-up
        # after accept4 failed, until the worker sleeps: the request it
        # answered, or the herd's wake-up
        after = None
        for a, b, state in parts:
            lo = a
            while True:
                ok = None
                t = b
                if i < len(evs) and evs[i][0] <= b:
                    t, ok = evs[i]
                    i += 1
                r = cur.get(pid)
                target = r if r is not None else after
                if target is None:
                    if wake is None:
                        wake = row(pid, lo, True, None)
                    target = wake
                add(target, lo, t, (a, b))
                lo = t
                if ok is None:
                    break
                after = None
                if ok:  # a connection: a request, from the wake-up on
                    nr = row(pid, t, False, t)
                    if r is None and wake is not None:
                        nr[1:5], nr[7] = wake[1:5], wake[7]
                        wake = None
                    cur[pid] = nr
                    out.append(nr)
                elif r is not None:  # answered; then it enters select()
                    cur[pid] = None
                    after = r
                elif wake is not None:  # the herd: another took it
                    out.append(wake)
                    after, wake = wake, None
            if not state.startswith("R"):
                after = None  # it slept: what follows is a new wake-up
        nxt[pid] = i
        if wake is not None:  # woken, accepted nothing (its timer)
            out.append(wake)
    out.sort(key=lambda r: r[1])
    return [r[:7] for r in out]


class Busy:
    """Time on the core, cumulative: idle (pid 0), any thread, and each
    thread: prefix sums over the stretches, so each query is a bisection."""

    def __init__(self, held):
        self.all = self._sums(held)
        by = {}
        for h in held:
            by.setdefault(h[2], []).append(h)
        self.by = {pid: self._sums(hs) for pid, hs in by.items()}

    @staticmethod
    def _sums(held):
        starts, idle, busy = [], [0.0], [0.0]
        for s, e, pid, _ in held:
            starts.append(s)
            idle.append(idle[-1] + (e - s if pid == 0 else 0))
            busy.append(busy[-1] + (e - s if pid != 0 else 0))
        return starts, held, idle, busy

    @staticmethod
    def _upto(sums, cum, t, pick):
        starts, held, _, _ = sums
        i = bisect.bisect_right(starts, t)
        tot = cum[i]
        if i:
            s, e, pid, _ = held[i - 1]
            if e > t and pick(pid):
                tot -= e - t
        return tot

    def idle_in(self, a, b):
        up = lambda t: self._upto(self.all, self.all[2], t, lambda p: p == 0)
        return up(b) - up(a)

    def others_in(self, pid, a, b):
        """Every thread's time on the core in [a, b] but pid's own."""
        up = lambda sums, t: self._upto(sums, sums[3], t, lambda p: p != 0)
        mine = self.by.get(pid)
        own = up(mine, b) - up(mine, a) if mine else 0.0
        return up(self.all, b) - up(self.all, a) - own


def join_client(rows, schedule, latency, warmup):
    """Each accepted connection's request on the client's side. The
    listening socket's queue is first in, first out, so the k-th accepted
    connection is the client's k-th scheduled request (but where the
    record lost one: see below); the two clocks differ by the least of
    (accept - scheduled) over the first 50 (the clock offset and the
    fastest connect). Fills each row's scheduled_s (the
    client's clock), latency_ms and to_accept_ms (scheduled send to
    accept, beyond the fastest), and returns the summary's text."""
    with open(schedule) as f:
        sched = [(float(r["time_s"]), int(r["class"])) for r in csv.DictReader(f)]
    with open(latency) as f:
        lat = list(csv.DictReader(f))
    # the latency file has a row for each request scheduled from the
    # warm-up's end, in the schedule's order
    measured = [k for k, (t, _) in enumerate(sched) if t >= warmup]
    lat_of = {}
    if len(measured) < len(lat):
        return (f"\nclient: {len(lat)} latencies for {len(measured)} requests "
                f"scheduled after the warm-up ({warmup} s): not joined")
    for k, r in zip(measured, lat):
        if r.get("result", "0") == "0":
            lat_of[k] = float(r["latency_s"])
    acc = sorted((r for r in rows if r["accept_s"] is not None),
                 key=lambda r: r["accept_s"])
    n = min(len(acc), len(sched))
    if n == 0:
        return "\nclient: no accepted connection to join"
    warn = ""
    if len(acc) != len(sched):
        warn = (" (not as many: the record missed connections, or some "
                "were refused)")
    # the clocks' offset, from the start (before any connection missing
    # from the record could shift the pairs)
    head = min(n, 50)
    off = min(acc[k]["accept_s"] - sched[k][0] for k in range(head))
    same = skipped = paired = 0
    j = 0
    for r in acc:
        if j >= len(sched):
            break
        lng = r["kind"] == "long"
        # a connection the record lacks (its accept4 return lost): this
        # one was sent after the next scheduled one and is of its class,
        # not of this one's
        while (j + 1 < len(sched) and r["accept_s"] >= sched[j + 1][0] + off
               and (sched[j][1] == 1) != lng and (sched[j + 1][1] == 1) == lng):
            j += 1
            skipped += 1
        t, cls = sched[j]
        same += (cls == 1) == lng
        r["scheduled_s"] = t
        r["to_accept_ms"] = (r["accept_s"] - t - off) * 1e3
        r["latency_ms"] = lat_of[j] * 1e3 if j in lat_of else None
        j += 1
        paired += 1
    n = paired
    if skipped:
        warn += f"; {skipped} scheduled connections not in the record skipped"
    out = [f"\nthe client's side: {len(acc)} accepted connections, "
           f"{len(sched)} scheduled{warn}; the class of the k-th matches "
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
    longest = max((r[2] - r[1] for r in longs), default=0.0)
    rows, last_end, busy_until = [], {}, {}
    for r in reqs:
        pid, s, e, cpu, n, _, acc_t = r
        k = kind(r)
        gap = idle = others = None
        if pid in last_end:
            g0 = last_end[pid]
            gap = s - g0
            idle = busy.idle_in(g0, s)
            others = busy.others_in(pid, g0, s)
        # a long request of another worker that holds the core at s
        during = False
        i = bisect.bisect_right(lstart, s)
        while i > 0 and lstart[i - 1] >= s - longest:
            i -= 1
            lr = longs[i]
            if lr[0] != pid and lr[1] < s < lr[2]:
                during = True
                break
        nidle, rank = None, None
        if k != "tiny":
            # idle: ended before s (a request served back to back, from
            # the same instant, did not wait)
            idle_w = [w for w in workers if busy_until.get(w, 0) < s]
            # ranked once every idle worker has served: a worker that
            # has not has no place in the turns yet
            if (pid in idle_w and len(idle_w) > 1
                    and all(w in busy_until for w in idle_w)):
                # 0: idle longest (ended first)
                order = sorted(idle_w, key=lambda w: (busy_until[w], w))
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
