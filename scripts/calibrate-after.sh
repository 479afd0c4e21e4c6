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
# With RESUME=1 it measures the worker pool's `response_share` instead:
# the share of gunicorn's own work per request that comes after the app's
# last phase (the response: built, written, closed, logged). Gunicorn sync
# with 1 worker serves /w?wait_us=50 (a 50 us time.sleep as the app's only
# phase) at RESUME_RATE (600/s), where the worker is ~40 % busy and the
# gaps between requests are ~1 ms (what is left of the idle refill
# counts in pre: the share is a lower bound); perf trace records accept4,
# clock_nanosleep and pselect6
# only. pre = from an accept4 that took a connection to the app's
# clock_nanosleep, post = from the sleep's end to the worker's next
# accept4 or pselect6; the share is post / (pre + post), per window, then
# their median. Then, at RATE, idle between requests, the same with 50 us
# and with 20 ms sleeps: the part after a 20 ms sleep pays the refill of
# an idle core again (printed, for comparison; not a key), all into
# OUT/resume.txt.
# Output: OUT/after.txt (default results/calibrate), the traces in
# OUT/after-SYSTEM-REP.trace (RESUME=1: OUT/resume-*.trace). Environment:
# RESUME, RESUME_RATE, RATE, BURN, TRACE_S, REPS,
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
RESUME=${RESUME:-0}
RESUME_RATE=${RESUME_RATE:-600}
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

# traced FILE EVENTS RATE PATH: perf trace of EVENTS of the server's
# process while the client sends RATE of PATH for TRACE_S s, into FILE
traced() {
  perf trace -p "$TRACED" -e "$2" -o "$1" &
  local tp=$!
  sleep 1
  nice -n -20 taskset -c "$CLIENT_CPU" "$WORK/openloop" -p "$PORT" \
    -r "$3" -d "$TRACE_S" -m "1:$4" -L x >/dev/null
  sleep 0.5
  kill -INT "$tp"
  wait "$tp" 2>/dev/null || true
}

# trace SYSTEM REP: the syscalls of its server under the load, into
# OUT/after-SYSTEM-REP.trace
trace() {
  traced "$OUT/after-$1-$2.trace" "$EVENTS" "$RATE" "/w?cpu_us=$BURN"
}

# resume_trace NAME WAIT_US RATE: the worker's accept4, clock_nanosleep and
# pselect6 under RATE of /w?wait_us=WAIT_US, into OUT/resume-NAME.trace
resume_trace() {
  traced "$OUT/resume-$1.trace" accept4,clock_nanosleep,pselect6 "$3" \
    "/w?wait_us=$2"
}

# RESUME=1: response_share (see the header)
resume() {
  local r names=""
  serve sync
  nice -n -20 taskset -c "$CLIENT_CPU" "$WORK/openloop" -p "$PORT" -r 100 \
    -d 2 -m "1:/w?wait_us=50" -L w >/dev/null
  for r in $(seq "$REPS"); do
    resume_trace "warm-$r" 50 "$RESUME_RATE"
    resume_trace "idle50-$r" 50 "$RATE"
    resume_trace "idle20000-$r" 20000 "$RATE"
    names="$names warm-$r idle50-$r idle20000-$r"
  done
  stop_server
  # shellcheck disable=SC2086 # one argument per trace
  $PY - "$OUT" $names <<'PY' | tee "$OUT/resume.txt"
import re, statistics, sys
line_re = re.compile(r'\s*([\d.]+) \(\s*([\d.]+) ms\): (?:\S+?/(\d+)\s+)?'
                     r'(?:\.\.\. \[continued\]: )?(\w+)\(.*= (-?\d+)')
def split(path):
    """Medians (ms) of pre and post, and the requests."""
    calls = []
    for line in open(path, errors='replace'):
        m = line_re.match(line)
        if m:
            calls.append((float(m.group(1)), float(m.group(2)),
                          m.group(4), int(m.group(5))))
    calls.sort()
    pre, post = [], []
    for k in range(1, len(calls) - 1):
        c, a, n = calls[k], calls[k - 1], calls[k + 1]
        if c[2] != 'clock_nanosleep' or a[2] != 'accept4' or a[3] < 0:
            continue
        pre.append(c[0] - a[0])
        post.append(n[0] - (c[0] + c[1]))
    if len(pre) < 10:
        return None
    return statistics.median(pre), statistics.median(post), len(pre)
shares, after = [], {}
for name in sys.argv[2:]:
    got = split('%s/resume-%s.trace' % (sys.argv[1], name))
    if not got:
        print('# %s: too few requests traced' % name)
        continue
    p, q, n = got
    print('# %s: %d requests, pre %.3f ms, post %.3f ms' % (name, n, p, q))
    if name.startswith('warm'):
        shares.append(q / (p + q))
    else:
        after.setdefault(name.split('-')[0], []).append(q)
if shares:
    print('sync (worker-pool): response_share: %.2f  (median of %d traces, '
          '%.2f-%.2f)' % (statistics.median(shares), len(shares),
                          min(shares), max(shares)))
if 'idle50' in after and 'idle20000' in after:
    print('# at an idle rate, the part after the app: %.3f ms after a 50 us '
          'sleep, %.3f ms after a 20 ms one (medians)' % (
              statistics.median(after['idle50']),
              statistics.median(after['idle20000'])))
PY
}

main() {
  install_missing "${PACKAGES[@]}"
  mkdir -p "$OUT"
  WORK=$(mktemp -d)
  gcc -O2 -Wall -o "$WORK/openloop" "$APPS/openloop.c" -lm
  if [ "$RESUME" = 1 ]; then
    local t1=$SECONDS
    resume
    echo "# done in $((SECONDS - t1)) s; $OUT/resume.txt"
    return
  fi
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
