#!/usr/bin/env python3
"""oracle.py - checks the hosts' EEVDF scheduler (sim/runtime/eevdf.c,
host.c) against a model of its own of Linux's rules (kernel/sched/fair.c,
6.18), written apart from the C: random cases of a few threads on one
core, each waking once and running bursts back to back or with sleeps
between, or woken for each burst by another's burst end, both finish
times compared.

    python3 tests/eevdf/oracle.py SCRIPT [CASES [SEED [SLICE TICK]]]

SLICE and TICK in seconds (0.0014 and 0.004: this VM's, its kernel's
se.slice in /proc/self/sched and CONFIG_HZ=250).

SCRIPT is tests/eevdf/script.c built. Exits 1 with the first cases that
differ, 0 if none does.

The rules, all threads at one weight (v in seconds of CPU):
- V is the average v of the threads on the queue: running, waiting, or
  asleep but delayed. A thread is eligible when v <= V.
- update_curr() (a tick, a wake-up, a block) adds the running thread's
  CPU to its v; at or past its deadline, the deadline becomes v + slice
  and the core reschedules; it also reschedules when the thread is past
  its protected v (vprot, its deadline when it got the core), unless it
  is alone on the queue.
- The pick: the running thread while eligible and protected; else the
  eligible thread with the earliest deadline (the running one only if
  strictly earlier; within EPS a tie, won by the one queued first). A delayed thread picked leaves the queue, its lag 0.
- A thread that wakes is placed at V - lag x (n + 1) / n (n on the queue
  already) with deadline v + slice, and preempts if it is now the pick.
  A delayed one that wakes stays where it is, unless its lag is now
  positive: then it comes in afresh at V without it; both against the
  running thread's v as last accounted (it is requeued before the
  update_curr() of the wake-up's check: ttwu_runnable()). A burst's end
  counts as an accounting (the hosts bring v up to date there), so one
  woken by another's burst end sees that one's v of now.
- A thread that blocks, not eligible, stays delayed on the queue; else it
  leaves with its lag, V - v, clamped to max(2 slices, a tick).
- A thread that goes on to its next burst without blocking is not seen,
  unless it wakes another as its burst ends: that wake-up's update_curr()
  and preemption check are against it, still running, before it goes on
  or blocks.
"""
import random
import subprocess
import sys

Q, TICK, EPS = 1.4e-3, 4e-3, 1e-9  # main() may set Q and TICK


class T:
    def __init__(self, i, at, cpu, n, gap, wakes):
        self.i, self.cpu, self.n, self.gap, self.wakes = i, cpu, n, gap, wakes
        self.v = self.d = self.vprot = self.lag = 0.0
        self.delayed = False
        self.left, self.done, self.fin = 0.0, 0, -1.0
        self.by_others = at < 0  # woken by another for each burst
        self.asleep = at < 0
        self.wake = at if at >= 0 else None


def simulate(spec):
    ts = [T(i, *s) for i, s in enumerate(spec)]
    rq = []  # on the queue: running, waiting, delayed
    st = {'cur': None, 'last': 0.0, 'zero': 0.0}

    def avg():
        return sum(t.v for t in rq) / len(rq) if rq else st['zero']

    def account(now):
        c = st['cur']
        if c:
            c.v += now - st['last']
            c.left -= now - st['last']
        st['last'] = now

    def update_curr(now):
        """True when the core must reschedule."""
        account(now)
        c, renewed = st['cur'], False
        if c and c.v >= c.d - EPS:
            c.d, renewed = c.v + Q, True
        if not c or len(rq) == 1:
            return False
        return renewed or not c.v < c.vprot - EPS

    def eligible(t):
        return t.v <= avg() + EPS

    def pick():
        c = st['cur'] if st['cur'] and eligible(st['cur']) else None
        if c and c.v < c.vprot - EPS:
            return c
        best = None
        for t in rq:
            if t is not st['cur'] and eligible(t) and (
                    best is None or t.d < best.d - EPS):
                best = t
        if best is None or (c and c.d < best.d - EPS):
            best = c
        return best

    def schedule():
        while True:
            n = pick()
            if n is not None and n.delayed:  # dequeued at last
                n.delayed, n.lag = False, 0.0
                rq.remove(n)
                continue
            if n is not None and n is not st['cur']:
                n.vprot = n.d
            st['cur'] = n
            return

    def block(t):
        if t.v >= t.d - EPS:
            t.d = t.v + Q
        if not eligible(t):
            t.delayed = True
        else:
            lim = max(2 * Q, TICK)
            t.lag = max(-lim, min(lim, avg() - t.v))
            st['zero'] = avg()
            rq.remove(t)
        st['cur'] = None

    def place(t):
        if t.delayed:
            t.delayed = False
            if avg() - t.v > 0:
                rq.remove(t)
                t.v = avg()
                t.d = t.v + Q
                rq.append(t)
            return
        t.v = avg() - t.lag * (len(rq) + 1) / len(rq) if rq else st['zero']
        t.d = t.v + Q
        rq.append(t)

    now, next_tick = 0.0, TICK
    while True:
        events = [(next_tick, 0, None)]
        events += [(t.wake, 1, t) for t in ts if t.wake is not None]
        if st['cur']:
            events.append((now + st['cur'].left, 2, st['cur']))
        if len(events) == 1 and not rq:
            break
        now, kind, t = min(events, key=lambda e: (e[0], e[1]))
        if now > 10:
            break
        if kind == 0:  # the tick
            next_tick += TICK
            if update_curr(now):
                schedule()
        elif kind == 1:  # a wake-up
            t.wake, t.left = None, t.cpu
            if t.delayed:  # requeued, then the check's update_curr()
                place(t)
                resched = update_curr(now)
            else:
                resched = update_curr(now)
                place(t)
            if st['cur'] is None or resched or pick() is t:
                schedule()
        else:  # the running thread's burst ends
            account(now)
            t.done += 1
            w = ts[t.wakes] if 0 <= t.wakes < len(ts) else None
            resched = False
            if w is not None and w.asleep and w.done < w.n:
                w.asleep, w.left = False, w.cpu
                resched = update_curr(now)
                place(w)
                resched = resched or pick() is w
            if t.done < t.n and not t.by_others and t.gap == 0:
                t.left = t.cpu  # goes on
                if resched:
                    schedule()
                continue
            if t.done >= t.n:
                t.fin = now
            elif t.by_others:
                t.asleep = True
            else:
                t.wake = now + t.gap
            block(t)
            schedule()
    return [t.fin for t in ts]


def main():
    global Q, TICK
    script = sys.argv[1]
    if len(sys.argv) > 5:
        Q, TICK = float(sys.argv[4]), float(sys.argv[5])
    cases = int(sys.argv[2]) if len(sys.argv) > 2 else 300
    rng = random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else 1)
    specs = []
    for _ in range(cases):
        k = rng.randint(2, 4)
        # some threads only woken by others' burst ends
        specs.append([(rng.choice([rng.uniform(0, 0.01), -1.0]),
                       rng.choice([rng.uniform(0.0002, 0.004),
                                   rng.uniform(0.005, 0.03)]),
                       rng.randint(1, 4),
                       rng.choice([0, rng.uniform(0.0003, 0.008)]),
                       rng.choice([-1, rng.randrange(k)]))
                      for _ in range(k)])
    fmt = '%.17g,%.17g,%d,%.17g,%d'
    text = ''.join(';'.join(fmt % s for s in spec) + '\n' for spec in specs)
    out = subprocess.run([script, repr(Q), repr(TICK)], input=text, capture_output=True,
                         text=True, check=True).stdout.splitlines()
    bad = 0
    for spec, got in zip(specs, out):
        want = ' '.join('%.4f' % (1e3 * f) for f in simulate(spec))
        if got.strip() != want:
            bad += 1
            if bad <= 3:
                print('differ: %s\n  host.c %s\n  oracle %s' % (
                    ';'.join(fmt % s for s in spec), got, want))
    if len(out) != len(specs):
        print('script: %d lines for %d cases' % (len(out), len(specs)))
        return 1
    print('eevdf oracle: %d of %d cases differ' % (bad, len(specs)))
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
