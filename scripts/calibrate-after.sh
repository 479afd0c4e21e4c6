#!/usr/bin/env bash
# calibrate-after.sh - measure, on this machine, the `after_response` key
# of concsim's models: the share of a server's own CPU per request that it
# spends after the response has left (closing the connection, freeing the
# request, going back to its poll), which counts in its utilization but
# not in the request's latency.
#
#   bash scripts/calibrate-after.sh     install what is missing, trace
#                                       (~1 minute), print the shares
#
# Servers: the apps of scripts/validate-real.sh (Node http, uvicorn +
# FastAPI, gunicorn sync + Flask with 1 worker, gunicorn gthread + Flask
# with 1 worker of 8 threads), each pinned to SERVER_CPU (default core 0),
# fed by the open-loop Poisson client (scripts/validate/openloop.c) on
# CLIENT_CPU at RATE (20/s) of requests that burn BURN (1000) us of the
# thread's CPU (/w?cpu_us=BURN): the server idles between requests. For
# REPS (3) windows of TRACE_S (5) s each, `perf trace` records the syscalls of every thread of the
# server (gunicorn: of its worker) that wait or write: accept4, read,
# recvfrom, write, writev, sendto, shutdown, close, the poll calls, futex
# and fchmod (the worker's heartbeat).
#
# Per thread and request: the thread wakes from a blocking wait longer
# than 1 ms (the idle gap), writes the response (its last write before the
# next such wait), and blocks again. pre = from the end of the wait to the
# end of that write, post = from there to the start of the next wait;
# medians over the requests of a window. The share is post / (pre - BURN
# + post): of the server's own work per request (all but the burn), what
# comes after the response; printed per window, then their median. gthread: the pool thread's (it writes the response; the
# main thread, which accepts and polls, is left out).
# Output: OUT/after.txt (default results/calibrate), the traces in
# OUT/after-SYSTEM-REP.trace. Environment: RATE, BURN, TRACE_S, REPS,
# SYSTEMS ("node uvicorn sync gthread"), SERVER_CPU, CLIENT_CPU, PORT
# (19100), OUT. Needs perf (linux-perf) and the right to
# trace the server (root, or kernel.perf_event_paranoid <= 1).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/install-missing.sh
. scripts/install-missing.sh

RATE=${RATE:-20}
BURN=${BURN:-1000}
TRACE_S=${TRACE_S:-5}
REPS=${REPS:-3}
SYSTEMS=${SYSTEMS:-"node uvicorn sync gthread"}
SERVER_CPU=${SERVER_CPU:-0}
CLIENT_CPU=${CLIENT_CPU:-1}
PORT=${PORT:-19100}
OUT=${OUT:-results/calibrate}
APPS=scripts/validate
PY=/usr/bin/python3
export PYTHONDONTWRITEBYTECODE=1
PACKAGES=(gcc libc6-dev curl nodejs gunicorn python3-flask python3-uvicorn
          python3-fastapi python3-httptools python3-uvloop linux-perf)
EVENTS=accept4,read,recvfrom,write,writev,sendto,sendmsg,shutdown,close
EVENTS=$EVENTS,epoll_wait,epoll_pwait,select,pselect6,poll,ppoll,futex,fchmod

# shellcheck source=scripts/servers.sh
. scripts/servers.sh
trap cleanup_server EXIT

# serve SYSTEM: start_server, and TRACED the process that serves
# (gunicorn's worker, not its arbiter)
serve() {
  start_server "$1" || return 1
  TRACED=$SERVER_PID
  case $1 in sync | gthread) TRACED=$(pgrep -P "$SERVER_PID" | head -1) ;; esac
}

# trace SYSTEM REP: the syscalls of its server under the load, into
# OUT/after-SYSTEM-REP.trace
trace() {
  perf trace -p "$TRACED" -e "$EVENTS" -o "$OUT/after-$1-$2.trace" &
  local tp=$!
  sleep 1
  nice -n -20 taskset -c "$CLIENT_CPU" "$WORK/openloop" -p "$PORT" \
    -r "$RATE" -d "$TRACE_S" -m "1:/w?cpu_us=$BURN" -L x >/dev/null
  sleep 0.5
  kill -INT "$tp"
  wait "$tp" 2>/dev/null || true
}

main() {
  install_missing "${PACKAGES[@]}"
  mkdir -p "$OUT"
  WORK=$(mktemp -d)
  gcc -O2 -Wall -o "$WORK/openloop" "$APPS/openloop.c" -lm
  local t0=$SECONDS sys r
  for sys in $SYSTEMS; do
    serve "$sys"
    # warm-up: the JIT and the allocator settle
    nice -n -20 taskset -c "$CLIENT_CPU" "$WORK/openloop" -p "$PORT" -r 100 \
      -d 2 -m "1:/w?cpu_us=$BURN" -L w >/dev/null
    for r in $(seq "$REPS"); do
      trace "$sys" "$r"
    done
    stop_server
  done
  # per thread: wake -> last response write -> next wait (pure Python)
  # shellcheck disable=SC2086 # one argument per system
  $PY - "$OUT" "$BURN" "$REPS" $SYSTEMS <<'PY' | tee "$OUT/after.txt"
import re, statistics, sys
work, burn, reps = sys.argv[1], float(sys.argv[2]) / 1000, int(sys.argv[3])
WAITS = {'epoll_wait', 'epoll_pwait', 'select', 'pselect6', 'poll',
         'ppoll', 'futex', 'accept4'}
WRITES = {'write', 'writev', 'sendto', 'sendmsg'}
# a call, or the end of one another thread's call interrupted in the
# trace ("... [continued]: futex())", with its start and duration)
line_re = re.compile(r'\s*([\d.]+) \(\s*([\d.]+) ms\): (?:\S+?/(\d+)\s+)?'
                     r'(?:\.\.\. \[continued\]: )?(\w+)\(')
names = {'node': 'event-loop', 'uvicorn': 'async', 'sync': 'worker-pool',
         'gthread': 'worker-pool, threads > 1'}
def split(path):
    """The medians of pre and post (ms) in one trace, and the requests."""
    threads = {}
    for line in open(path, errors='replace'):
        m = line_re.match(line)
        if m:  # start ms, duration ms, thread, syscall
            threads.setdefault(m.group(3) or '-', []).append(
                (float(m.group(1)), float(m.group(2)), m.group(4)))
    pre, post = [], []
    for calls in threads.values():
        calls.sort()
        # the blocking waits: longer than 1 ms (idle between requests)
        waits = [k for k, c in enumerate(calls) if c[2] in WAITS and c[1] > 1]
        for a, b in zip(waits, waits[1:]):
            w = [k for k in range(a + 1, b) if calls[k][2] in WRITES]
            if not w:
                continue
            woke = calls[a][0] + calls[a][1]
            sent = calls[w[-1]][0] + calls[w[-1]][1]
            pre.append(sent - woke)
            post.append(calls[b][0] - sent)
    if len(pre) < 10:
        return None
    return statistics.median(pre), statistics.median(post), len(pre)

for sys_ in sys.argv[4:]:
    shares = []
    for r in range(1, reps + 1):
        got = split('%s/after-%s-%d.trace' % (work, sys_, r))
        if not got:
            print('# %s, trace %d: too few requests traced' % (sys_, r))
            continue
        p, q, n = got
        shares.append(q / (p - burn + q))
        print('# %s, trace %d: %d requests, pre %.2f ms (%.2f of it the '
              'burn), post %.2f ms: share %.3f' % (sys_, r, n, p, burn, q,
                                                  shares[-1]))
    if shares:
        print('%s (%s): after_response: %.2f  (median of %d traces, %.2f-'
              '%.2f)' % (sys_, names[sys_], statistics.median(shares),
                         len(shares), min(shares), max(shares)))
PY
  echo "# done in $((SECONDS - t0)) s; $OUT/after.txt"
}

main "$@"
