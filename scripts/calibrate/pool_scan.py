"""pool_scan.py - the CPU of one pass of gunicorn gthread's main loop over
the requests it holds: futures.wait(self.futures, timeout=0,
return_when=FIRST_COMPLETED) (gunicorn workers/gthread.py run()) over a
deque of n running futures, one of them finished or none.

    python3 pool_scan.py [REPS]      -> one line per case and n, then the
                                        least-squares fits

Prints, per case, the thread CPU of one call in microseconds (the least of
5 batches of REPS calls, default 2000) for n = 8, 32, 128, 512, then
`pool_scan_fit case=... intercept_us=... per_future_us=...`: the models'
pool_scan (one finished), pool_wait (the intercepts' difference) and
pool_scan_none (none finished) in models/worker_pool.c.
"""
import collections
import concurrent.futures as cf
import sys
import time

REPS = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
SIZES = (8, 32, 128, 512)


def one_call_us(n, finished):
    futures = [cf.Future() for _ in range(n)]
    for f in futures:
        f.set_running_or_notify_cancel()
    if finished:
        futures[0].set_result(None)
    held = collections.deque(futures)  # gthread keeps a deque
    t0 = time.thread_time_ns()
    for _ in range(REPS):
        cf.wait(held, timeout=0, return_when=cf.FIRST_COMPLETED)
    return (time.thread_time_ns() - t0) / REPS / 1000


def fit(xs, ys):
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    b = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum(
        (x - mx) ** 2 for x in xs)
    return my - b * mx, b


for case, finished in (("one_finished", True), ("none_finished", False)):
    ys = []
    for n in SIZES:
        us = min(one_call_us(n, finished) for _ in range(5))
        ys.append(us)
        print(f"pool_scan case={case} futures={n} us_per_pass={us:.2f}")
    a, b = fit(SIZES, ys)
    print(f"pool_scan_fit case={case} intercept_us={a:.2f} "
          f"per_future_us={b:.3f}")
