#!/usr/bin/env python3
"""eevdf_state.py - the kernel's own EEVDF state at each wake-up of
scripts/calibrate/tickprobe.c's burner (scripts/trace-eevdf.sh records it
with bpftrace), checked against the rules of the hosts' `scheduler: eevdf`
(sim/runtime/eevdf.c, host.c).

    python3 scripts/validate/eevdf_state.py RECORD [-o ROWS.csv]

RECORD: lines of three kinds (WAKING and WAKEUP may be named by their
tracepoints, tracepoint:sched:sched_waking and ..._wakeup, as bpftrace's
`probe` prints them), times in ns, virtual times as the kernel keeps them
(sched_entity.vruntime, .deadline, and .vlag, which holds the protected
vruntime, vprot, of the task on the core):
  WAKING T cur=PID woke=PID | PID v=V d=D l=L del=0|1 onrq=0|1 | ...
  WAKEUP T cur=PID woke=PID | PID v=V d=D l=L del=0|1 onrq=0|1 | ...
  SWITCH T PREV->NEXT st=STATE
cur the task on the core, woke the burner (without woke=, the first
entity). WAKING is before the kernel enqueues the burner, WAKEUP after its
preemption check. Lines are taken in the order of their times (bpftrace
merges its per-CPU buffers); a line cut short or without the burner's
entity is skipped and counted.

For each wake-up it takes the state after the check and picks as the
hosts do: V the average v of the tasks on the queue (one weight: the
probe's processes all run at nice -20); the task on the core keeps it
while eligible (v <= V) and short of its vprot; else the eligible task
with the earliest deadline (the one on the core only if strictly
earlier; of equal ones in the tree, the one there first, so not the
burner, which just joined). The kernel picked the burner if the next switch, within 200 us
(the return from the timer's interrupt; a tick's switch that falls there
is counted too), gave it the core. Not checked: a wake-up in the
burner's own context (its timer fired before it left the core), one
while another task than the probe's ran on the core (its V is another
queue's), and one with no switch after it (the record's end). It prints
how often the two agree, why the burner waited when it did, and, for a
burner still delayed on the queue when it woke (DELAY_DEQUEUE), whether
the kernel kept its v and deadline: the kernel keeps them when its lag
against the v the running task had before the wake-up's update_curr()
(WAKING's) is not positive, and places it afresh at V otherwise (host.c,
ev_run_as). -o writes a row per wake-up checked (for pandas).
"""
import argparse
import csv
import re
import sys
from collections import Counter

LINE = re.compile(r'^(\S+) (\d+) cur=(\d+)(?: woke=(\d+))? ((?:\| \d+ v=-?\d+ d=-?\d+ '
                  r'l=-?\d+ del=[01] onrq=[01] ?)+)$')
ENT = re.compile(r'\| (\d+) v=(-?\d+) d=(-?\d+) l=(-?\d+) del=([01]) onrq=([01])')
SWITCH = re.compile(r'^SWITCH (\d+) (\d+)->(\d+) st=-?\d+$')
PICK_WINDOW_NS = 200_000
KINDS = {'WAKING': 'WAKING', 'WAKEUP': 'WAKEUP',
         'tracepoint:sched:sched_waking': 'WAKING',
         'tracepoint:sched:sched_wakeup': 'WAKEUP'}


def parse(lines):
    """The record's rows, in time order, and how many lines were cut."""
    rows, bad = [], 0
    for line in lines:
        line = line.strip()
        m = SWITCH.match(line)
        if m:
            rows.append(('SWITCH', int(m[1]), int(m[2]), int(m[3])))
            continue
        kind = KINDS.get(line.split(' ', 1)[0]) if line else None
        if kind is None:
            continue  # bpftrace's own lines, the probe's output
        m = LINE.match(line)
        ents = [dict(pid=int(a), v=int(b), d=int(c), l=int(d_), delayed=e == '1',
                     onrq=g == '1') for a, b, c, d_, e, g in ENT.findall(m[5])] if m else []
        woke = int(m[4]) if m and m[4] else (ents[0]['pid'] if ents else None)
        if not m or not any(e['pid'] == woke for e in ents):
            bad += 1
            continue
        ents.sort(key=lambda e: e['pid'] != woke)  # the burner first
        rows.append((kind, int(m[2]), int(m[3]), ents))
    rows.sort(key=lambda r: r[1])
    return rows, bad


def decide(cur, ents):
    """The hosts' pick after a wake-up, and why the burner lost if it did."""
    on = [e for e in ents if e['onrq']]
    avg = sum(e['v'] for e in on) / len(on)
    woken = ents[0]
    c = next((e for e in on if e['pid'] == cur), None)
    c_ok = c is not None and c['v'] <= avg
    if c_ok and c['v'] < c['l']:
        return c['pid'], 'the running task protected'
    tree = [e for e in on if e is not c and e['v'] <= avg]
    # equal deadlines: the one in the tree first (the burner just joined)
    best = min(tree, key=lambda e: (e['d'], e is woken)) if tree else None
    if best is None or (c_ok and c['d'] < best['d']):
        best = c if c_ok else best
    if best is None:
        return None, 'none eligible'
    if best is woken:
        return best['pid'], ''
    if woken['v'] > avg:
        return best['pid'], 'the burner not eligible'
    if best is c:
        return best['pid'], 'the running task earlier'
    return best['pid'], 'another waiting task earlier'


def check(rows):
    """A row per wake-up checked, and the wake-ups left out by why."""
    out, skipped = [], Counter()
    for i, r in enumerate(rows):
        if r[0] != 'WAKEUP':
            continue
        _, t, cur, ents = r
        woken = ents[0]['pid']
        if cur == woken:
            skipped['in its own context'] += 1
            continue
        if not any(e['pid'] == cur for e in ents):
            skipped['another task on the core'] += 1
            continue
        nxt = next((s for s in rows[i + 1:] if s[0] == 'SWITCH'), None)
        if nxt is None:
            skipped['no switch after it'] += 1
            continue
        got = nxt[3] == woken and nxt[1] - t <= PICK_WINDOW_NS
        pred, reason = decide(cur, ents)
        before = rows[i - 1] if i > 0 and rows[i - 1][0] == 'WAKING' else None
        delayed = bool(before and before[3][0]['pid'] == woken and before[3][0]['delayed'])
        kept = stale_lag = ''
        if delayed:
            b = before[3]
            on = [e for e in b if e['onrq']]
            stale_lag = sum(e['v'] for e in on) / len(on) - b[0]['v']
            kept = int(b[0]['v'] == ents[0]['v'] and b[0]['d'] == ents[0]['d'])
        out.append(dict(time_ns=t, running=cur, woken_v=ents[0]['v'],
                        woken_deadline=ents[0]['d'], picked_by_kernel=int(got),
                        picked_by_rules=int(pred == woken),
                        why_waited='' if got else (reason or 'the burner was the pick'),
                        delayed_at_wake=int(delayed), kept=kept, stale_lag=stale_lag))
    return out, skipped


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('record')
    ap.add_argument('-o', dest='out')
    a = ap.parse_args()
    try:
        with open(a.record) as f:
            rows, bad = parse(f)
    except OSError as e:
        print('eevdf_state.py: %s: %s' % (a.record, e.strerror), file=sys.stderr)
        return 2
    out, skipped = check(rows)
    if not out:
        print('eevdf_state.py: no wake-up to check in %s' % a.record, file=sys.stderr)
        return 1
    if a.out:
        try:
            with open(a.out, 'w', newline='') as f:
                w = csv.DictWriter(f, fieldnames=list(out[0]), lineterminator='\n')
                w.writeheader()
                w.writerows(out)
        except OSError as e:
            print('eevdf_state.py: %s: %s' % (a.out, e.strerror), file=sys.stderr)
            return 2
    n = len(out)
    got = sum(o['picked_by_kernel'] for o in out)
    print('%d wake-ups: the rules pick as the kernel did in %d; the burner got '
          'the core at once in %d (%.0f %%)' % (
              n, sum(o['picked_by_kernel'] == o['picked_by_rules'] for o in out),
              got, 100 * got / n))
    for k, v in Counter(o['why_waited'] for o in out if o['why_waited']).most_common():
        print('  waited, %s: %d' % (k, v))
    req = Counter((o['kept'], o['stale_lag'] <= 0) for o in out if o['delayed_at_wake'])
    d = sum(req.values())
    if d:
        print('%d woke still delayed: kept where they were %d times, %d of '
              'them with a lag not positive against the stale v; placed '
              'afresh %d times, %d of them with a positive one' % (
                  d, req[(1, True)] + req[(1, False)], req[(1, True)],
                  req[(0, True)] + req[(0, False)], req[(0, False)]))
    left = ', '.join('%s %d' % kv for kv in sorted(skipped.items()))
    if left or bad:
        print('not checked: %s%s%d lines cut short' % (left, ', ' if left else '', bad))
    return 0


if __name__ == '__main__':
    sys.exit(main())
