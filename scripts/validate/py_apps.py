"""The Python servers of validate-real.sh.

flask_app (gunicorn sync or gthread):  /w?cpu_us=C&wait_us=W  burns C
    microseconds of this thread's CPU time (time.thread_time, the thread's
    CPU clock: time spent waiting for the GIL or for a core does not count),
    then blocks W microseconds (time.sleep: holds the worker, releases the
    GIL), then answers a small JSON (a Flask route returning a dict).
fastapi_app (uvicorn): the same as an `async def` FastAPI route; the wait
    is `await asyncio.sleep` (frees the event loop).
"""
import asyncio
import time

_sink = 0


def burn(us):
    global _sink
    if us <= 0:
        return
    end = time.thread_time() + us * 1e-6
    x = _sink
    while time.thread_time() < end:
        for i in range(20):
            x = (x * 1103515245 + 12345) & 0x7FFFFFFF
    _sink = x


try:
    from flask import Flask, request

    flask_app = Flask(__name__)

    @flask_app.get("/w")
    def work():
        burn(int(request.args.get("cpu_us", 0)))
        wait = int(request.args.get("wait_us", 0))
        if wait > 0:
            time.sleep(wait * 1e-6)
        return {"ok": True, "sink": _sink & 1}

except ImportError:
    flask_app = None

try:
    from fastapi import FastAPI

    fastapi_app = FastAPI()

    @fastapi_app.get("/w")
    async def awork(cpu_us: int = 0, wait_us: int = 0):
        burn(cpu_us)
        if wait_us > 0:
            await asyncio.sleep(wait_us * 1e-6)
        return {"ok": True, "sink": _sink & 1}

except ImportError:
    fastapi_app = None
