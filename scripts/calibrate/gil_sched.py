"""Where a 1 ms request behind K CPU-bound threads waits, from the
scheduler's record (scripts/calibrate-gil.sh, SCHED=1).

usage: gil_sched.py TIDS REQUESTS SCHED_TXT [CSV]

TIDS: the server's stderr (gil_hogs.py server): a line `main TID` and a
    line `hog TID` for each CPU-bound thread; any other thread of the
    server is a pool thread.
REQUESTS: the client's record (gil_hogs.py client ... FILE): one line a
    request, its send time on CLOCK_MONOTONIC and its latency, in seconds.
SCHED_TXT: `perf script` of `perf record -k mono -e sched:sched_switch -C
    CPU` on the server's core (the same clock).

Each request's stretches on the core, from its send to its answer: the
main thread's accept is its last stretch of 50 us or more before the
answer (select() returned, accept(), submit(); it then sleeps in select()
again), and the pool thread's burst is its last stretch of 0.9 ms or
more. Prints, as one line: the main thread's wait (from the send to the
accept's end) and the pool thread's (from there to its burst), p10, p50
and p90 in ms; which thread first ran 100 us or more after the accept,
i.e. took the GIL the main thread let go (the pool thread, the CPU-bound
thread the main thread had taken the core from, or another); and how
many stretches the main thread ran for one request (each time it wakes
and blocks again: on the GIL's condition, its mutex, or select()); and
how many times it woke before its accept (stretches less than 0.2 ms
apart counted once) and how far apart: its timed waits on the GIL run
out every switch interval. With CSV, also one row a request found whole,
for pandas: send_s (monotonic), latency_s, main_wait_s, pool_wait_s,
gil_after_accept (pool, preempted: the hog the main thread took the core
from, other: another hog), main_stretches and main_wakes.
"""
import csv
import re
import sys

SWITCH = re.compile(
    r'\s(\d+\.\d+):\s+sched:sched_switch:.*prev_pid=(\d+) .*'
    r'prev_state=(\S+) ==> .*next_pid=(\d+)')


def quantiles(v):
    v = sorted(v)
    if not v:
        return 'n/a'
    return '%.1f %.1f %.1f' % tuple(v[int(p * (len(v) - 1))] * 1e3
                                    for p in (0.1, 0.5, 0.9))


def main(tids_file, requests_file, sched_file, csv_file=None):
    main_tid, hogs = None, set()
    for line in open(tids_file):
        w = line.split()
        if len(w) == 2 and w[0] == 'main':
            main_tid = int(w[1])
        elif len(w) == 2 and w[0] == 'hog':
            hogs.add(int(w[1]))
    if main_tid is None:
        sys.exit('gil_sched.py: %s: no line "main TID"' % tids_file)
    reqs = [tuple(map(float, line.split())) for line in open(requests_file)
            if line.strip()]
    runs = []  # (tid, start, end), in time order
    cur = since = None
    for line in open(sched_file):
        m = SWITCH.search(line)
        if not m:
            continue
        t, prev, nxt = float(m.group(1)), int(m.group(2)), int(m.group(4))
        if cur is not None and cur == prev:
            runs.append((cur, since, t))
        cur, since = nxt, t
    if not runs:
        sys.exit('gil_sched.py: %s: no context switches' % sched_file)

    def kind(tid):
        if tid == main_tid:
            return 'main'
        return 'hog' if tid in hogs else ('idle' if tid == 0 else 'pool')

    waits_main, waits_pool, stretches, rows = [], [], [], []
    wakes, gaps = [], []
    took = {'pool': 0, 'the hog it took the core from': 0, 'another hog': 0}
    lo = 0
    for t0, lat in sorted(reqs):
        t1 = t0 + lat
        while lo < len(runs) and runs[lo][2] < t0:
            lo += 1
        seg = []
        for r in runs[lo:]:
            if r[1] > t1:
                break
            if r[0] != 0:
                seg.append(r)
        acc = [i for i, r in enumerate(seg)
               if kind(r[0]) == 'main' and r[2] - r[1] >= 50e-6]
        burst = [r for r in seg
                 if kind(r[0]) == 'pool' and r[2] - r[1] >= 0.9e-3]
        if not acc or not burst or burst[-1][1] < seg[acc[-1]][2]:
            continue
        i = acc[-1]
        end = seg[i][2]
        waits_main.append(end - t0)
        waits_pool.append(burst[-1][1] - end)
        stretches.append(sum(1 for r in seg if r[0] == main_tid))
        woke = []
        for r in seg[:i]:
            if r[0] == main_tid and (not woke or r[1] - woke[-1] > 0.2e-3):
                woke.append(r[1])
        wakes.append(len(woke))
        gaps += [b - a for a, b in zip(woke, woke[1:])]
        before = [r[0] for r in seg[:i] if r[0] in hogs]
        nxt = next((r[0] for r in seg[i + 1:] if r[2] - r[1] >= 100e-6),
                   None)
        who = ''
        if nxt is not None and kind(nxt) == 'pool':
            took['pool'] += 1
            who = 'pool'
        elif nxt is not None and before and nxt == before[-1]:
            took['the hog it took the core from'] += 1
            who = 'preempted'
        elif nxt is not None:
            took['another hog'] += 1
            who = 'other'
        rows.append((t0, lat, end - t0, burst[-1][1] - end, who,
                     stretches[-1], wakes[-1]))
    n = len(waits_main)
    if not n:
        sys.exit('gil_sched.py: no request found whole in the record')
    if csv_file:
        with open(csv_file, 'w', newline='') as f:
            w = csv.writer(f)
            w.writerow(['send_s', 'latency_s', 'main_wait_s', 'pool_wait_s',
                        'gil_after_accept', 'main_stretches',
                        'main_wakes'])
            for row in rows:
                w.writerow(['%.6f' % row[0]] +
                           ['%.6f' % v for v in row[1:4]] + list(row[4:]))
    stretches.sort()
    wakes.sort()
    print('main thread %s, pool thread %s (p10 p50 p90 ms); after the '
          'accept the GIL went to %s; the main thread ran %d stretches a '
          'request (median) and woke %d times before its accept, %s ms '
          'apart (p10 p50 p90); %d of %d requests' % (
              quantiles(waits_main), quantiles(waits_pool),
              ', '.join('%s %.0f %%' % (k, 100.0 * v / n)
                        for k, v in took.items()),
              stretches[n // 2], wakes[n // 2], quantiles(gaps), n,
              len(reqs)))


if __name__ == '__main__':
    if len(sys.argv) not in (4, 5):
        sys.exit(__doc__)
    main(*sys.argv[1:])
