"""uvicorn's app of scripts/validate/py_apps.py with CPython's collector
watched (for scripts/calibrate-gc.sh): gc.callbacks times every
collection on the thread's CPU clock and counts what it found
unreachable; SIGUSR1 appends the running totals, one JSON line, to the
file GC_STATS names: {"t": wall s, "gen": {"0": [collections, cpu_s,
collected], ...}, "objects": len(gc.get_objects())}. SIGUSR2, sent to the
idle server, runs gc.collect() 7 times and appends {"idle": [cpu_s of
each], "objects": the objects each examined} (the collections are left
out of the totals): a full collection of the idle heap, the per-object
cost of the `gc_object_cost` key. With GC_DISABLE set (to anything but
empty), the collector is off, as gc.disable() in the app
(scripts/calibrate-overload.sh's `nogc` server).
"""
import gc
import json
import os
import signal
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', 'validate'))
from py_apps import fastapi_app  # noqa: E402,F401

_totals = {}
_started = [0.0]


_idle = [False]


def _watch(phase, info):
    if _idle[0]:
        return
    if phase == 'start':
        _started[0] = time.thread_time()
        return
    t = _totals.setdefault(str(info['generation']), [0, 0.0, 0])
    t[0] += 1
    t[1] += time.thread_time() - _started[0]
    t[2] += info.get('collected', 0)


def _append(record):
    """One JSON line to GC_STATS; an error goes to stderr, not into the
    server's loop (the handlers run on it)."""
    try:
        with open(os.environ.get('GC_STATS', 'gc_stats.jsonl'), 'a') as f:
            f.write(json.dumps(record) + '\n')
    except OSError as e:
        print('gc_stats: %s' % e, file=sys.stderr)


def _dump(*_):
    _append({'t': time.time(), 'gen': _totals,
             'objects': len(gc.get_objects())})


def _collect_idle(*_):
    _idle[0] = True
    try:
        gc.collect()
        n = len(gc.get_objects())
        cpu = []
        for _ in range(7):
            t = time.thread_time()
            gc.collect()
            cpu.append(time.thread_time() - t)
    finally:
        _idle[0] = False
    _append({'t': time.time(), 'idle': cpu, 'objects': n})


gc.callbacks.append(_watch)
if os.environ.get('GC_DISABLE'):
    gc.disable()
signal.signal(signal.SIGUSR1, _dump)
signal.signal(signal.SIGUSR2, _collect_idle)
