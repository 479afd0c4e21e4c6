"""The GIL's hand-over, measured (scripts/calibrate-gil.sh).

server K PORT: K threads burn Python forever (the long requests), while
    the main thread waits in select() on a listening socket and hands each
    connection to a ThreadPoolExecutor thread that burns 1 ms of its CPU
    clock and answers one byte, as gunicorn's gthread worker does (accept
    on the main thread, the request in the pool: workers/gthread.py).
    It prints its threads' ids to stderr (`main TID`, `hog TID`), for
    gil_sched.py.
client PORT N RATE [FILE]: N requests at Poisson times of RATE per
    second, each a new connection; prints the latency's p10, p50, p90 and
    p99 in ms, and writes to FILE, if given, each request's send time on
    CLOCK_MONOTONIC and its latency (s), for gil_sched.py.
"""
import random
import selectors
import socket
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor


def burn(us):
    end = time.thread_time() + us * 1e-6
    x = 0
    while time.thread_time() < end:
        for _ in range(20):
            x = (x * 1103515245 + 12345) & 0x7FFFFFFF
    return x


def say(line):
    # one write a line: threads that print at once do not interleave
    sys.stderr.write(line)
    sys.stderr.flush()


def hog():
    say('hog %d\n' % threading.get_native_id())
    while True:
        burn(20000)


def handle(conn):
    conn.recv(16)
    burn(1000)
    conn.sendall(b'x')
    conn.close()


def server(k, port):
    for _ in range(k):
        threading.Thread(target=hog, daemon=True).start()
    pool = ThreadPoolExecutor(8)
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(('127.0.0.1', port))
    ls.listen(128)
    ls.setblocking(False)
    say('main %d\n' % threading.get_native_id())
    sel = selectors.DefaultSelector()
    sel.register(ls, selectors.EVENT_READ)
    futures = []
    while True:
        for _ in sel.select(1.0):
            try:
                conn, _ = ls.accept()
            except BlockingIOError:
                continue
            conn.setblocking(True)
            futures.append(pool.submit(handle, conn))
        futures = [f for f in futures if not f.done()]


def client(port, n, rate, record=None):
    rng = random.Random(1)
    lat, sent = [], []
    for _ in range(n):
        time.sleep(rng.expovariate(rate))
        t = time.perf_counter()
        sent.append(time.monotonic())
        s = socket.create_connection(('127.0.0.1', port))
        s.sendall(b'r')
        s.recv(1)
        lat.append((time.perf_counter() - t) * 1e3)
        s.close()
    if record:
        with open(record, 'w') as f:
            for t, ms in zip(sent, lat):
                f.write('%.6f %.6f\n' % (t, ms / 1e3))
    lat.sort()
    q = [lat[int(p * (len(lat) - 1))] for p in (0.1, 0.5, 0.9, 0.99)]
    print('%.2f %.2f %.2f %.2f' % tuple(q))


if __name__ == '__main__':
    if sys.argv[1] == 'server':
        server(int(sys.argv[2]), int(sys.argv[3]))
    else:
        client(int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]),
               sys.argv[5] if len(sys.argv) > 5 else None)
