#!/usr/bin/env python3
"""eevdf_state.py - the kernel's own EEVDF state at each wake-up of
scripts/calibrate/tickprobe.c's burn (scripts/trace-eevdf.sh records it
with bpftrace), checked against the rules of the hosts' `scheduler: eevdf`
(sim/runtime/eevdf.c, host.c).

    python3 scripts/validate/eevdf_state.py RECORD [-o ROWS.csv]

RECORD: lines of three kinds (WAKING and WAKEUP may be named by their
tracepoints, tracepoint:sched:sched_waking and ..._wakeup, as bpftrace's
`probe` prints them), times in ns, virtual times as the kernel
keeps them (sched_entity.vruntime, .deadline, and .vlag, which holds the
protected vruntime, vprot, of the task on the core):
  WAKING T cur=PID | PID v=V d=D l=L del=0|1 onrq=0|1 | ...
  WAKEUP T cur=PID | PID v=V d=D l=L del=0|1 onrq=0|1 | ...
  SWITCH T PREV->NEXT st=STATE
each entity list starting with the waker. WAKING is before the kernel
enqueues it, WAKEUP after its preemption check; a wake-up in the waker's
own context (its timer fired before it left the core) is not one.

For each wake-up it takes the state after the check and picks as the
hosts do: V the average v of the tasks on the queue (one weight: the
probe's processes all run at nice -20); the task on the core keeps it
while eligible (v <= V) and short of its vprot; else the eligible task
with the earliest deadline (the one on the core only if strictly
earlier). The kernel picked the waker if the next switch, within 200 us
(the return from the timer's interrupt), gave it the core. It prints how
often the two agree, why the waker waited when it did, and, for a waker
still delayed on the queue when it woke (DELAY_DEQUEUE), whether the
kernel kept its v and deadline: the kernel keeps them when its lag
against the v the running task had before the wake-up's update_curr()
(WAKING's) is not positive, and places it afresh at V otherwise (host.c,
ev_run_seen). -o writes a row per wake-up (for pandas).
"""
import argparse
import csv
import re
import sys
from collections import Counter

ENT = re.compile(r'\| (\d+) v=(-?\d+) d=(-?\d+) l=(-?\d+) del=(\d) onrq=(\d)')
PICK_WINDOW_NS = 200_000
TRACEPOINTS = {'tracepoint:sched:sched_waking': 'WAKING',
               'tracepoint:sched:sched_wakeup': 'WAKEUP'}


def parse(path):
    rows = []
    for line in open(path):
        f = line.split()
        if f:  # bpftrace names the probe: its tracepoint's
            f[0] = TRACEPOINTS.get(f[0], f[0])
        if not f or f[0] not in ('WAKING', 'WAKEUP', 'SWITCH'):
            continue
        if f[0] == 'SWITCH':
            prev, nxt = f[2].split('->')
            rows.append(('SWITCH', int(f[1]), int(prev), int(nxt)))
            continue
        cur = int(re.search(r'cur=(\d+)', line)[1])
        ents = [dict(pid=int(a), v=int(b), d=int(c), l=int(d_), delayed=e == '1',
                     onrq=g == '1') for a, b, c, d_, e, g in ENT.findall(line)]
        if ents:
            rows.append((f[0], int(f[1]), cur, ents))
    return rows


def decide(cur, ents):
    """The hosts' pick after a wake-up, and why the waker lost if it did."""
    on = [e for e in ents if e['onrq']]
    avg = sum(e['v'] for e in on) / len(on)
    waker = ents[0]
    c = next((e for e in on if e['pid'] == cur), None)
    c_ok = c is not None and c['v'] <= avg
    if c_ok and c['v'] < c['l']:
        return c['pid'], 'the running task protected'
    tree = [e for e in on if e is not c and e['v'] <= avg]
    best = min(tree, key=lambda e: e['d']) if tree else None
    if best is None or (c_ok and c['d'] < best['d']):
        best = c if c_ok else best
    if best is None:
        return None, 'none eligible'
    if best is waker:
        return best['pid'], ''
    if waker['v'] > avg:
        return best['pid'], 'the waker not eligible'
    if best is c:
        return best['pid'], 'the running task earlier'
    return best['pid'], 'another waiting task earlier'


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('record')
    ap.add_argument('-o', dest='out')
    a = ap.parse_args()
    rows = parse(a.record)
    out, why, agree, n = [], Counter(), 0, 0
    req = Counter()
    for i, r in enumerate(rows):
        if r[0] != 'WAKEUP':
            continue
        _, t, cur, ents = r
        waker = ents[0]['pid']
        if cur == waker:  # its timer fired before it left the core
            continue
        pred, reason = decide(cur, ents)
        got = False
        for s in rows[i + 1:]:
            if s[0] == 'SWITCH':
                got = s[3] == waker and s[1] - t <= PICK_WINDOW_NS
                break
        n += 1
        agree += (pred == waker) == got
        if not got:
            why[reason or 'the waker was the pick'] += 1
        before = rows[i - 1] if i > 0 and rows[i - 1][0] == 'WAKING' else None
        kept = stale_lag = ''
        if before and before[3][0]['delayed']:
            b = before[3]
            on = [e for e in b if e['onrq']]
            stale_lag = sum(e['v'] for e in on) / len(on) - b[0]['v']
            kept = b[0]['v'] == ents[0]['v'] and b[0]['d'] == ents[0]['d']
            req[(kept, stale_lag <= 0)] += 1
        out.append(dict(time_ns=t, running=cur, waker_v=ents[0]['v'],
                        waker_deadline=ents[0]['d'],
                        picked_by_kernel=int(got), picked_by_rules=int(pred == waker),
                        why_waited=reason if not got else '',
                        delayed_at_wake=int(bool(before and before[3][0]['delayed'])),
                        kept=int(kept) if kept != '' else '',
                        stale_lag=stale_lag))
    if not n:
        print('eevdf_state.py: no wake-up in %s' % a.record, file=sys.stderr)
        return 1
    print('%d wake-ups: the rules pick as the kernel did in %d; the waker '
          'got the core at once in %d (%.0f %%)' % (
              n, agree, sum(o['picked_by_kernel'] for o in out),
              100 * sum(o['picked_by_kernel'] for o in out) / n))
    for k, v in why.most_common():
        print('  waited, %s: %d' % (k, v))
    d = sum(req.values())
    if d:
        print('%d woke still delayed: kept where they were %d times, %d of '
              'them with a lag not positive against the stale v; placed '
              'afresh %d times, %d of them with a positive one' % (
                  d, req[(True, True)] + req[(True, False)], req[(True, True)],
                  req[(False, True)] + req[(False, False)], req[(False, False)]))
    if a.out:
        with open(a.out, 'w', newline='') as f:
            w = csv.DictWriter(f, fieldnames=list(out[0]), lineterminator='\n')
            w.writeheader()
            w.writerows(out)
    return 0


if __name__ == '__main__':
    sys.exit(main())
