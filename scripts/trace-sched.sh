#!/usr/bin/env bash
# trace-sched.sh - what each request of gunicorn sync's workers costs on
# the server's core, from the scheduler's own record: the evidence for the
# worker pool's rules (README, "Models": a sync worker that starts after
# another worker's hold pays a refill for it, and the idle worker that
# waited longest takes the next connection).
#
#   bash scripts/trace-sched.sh      install what is missing, trace (about
#                                    40 s a rate), print the tables
#
# Starts gunicorn sync + Flask with WORKERS workers (default 4; the app of
# scripts/validate-real.sh) on SERVER_CPU (default core 0), sends it the
# `hol` mix of validate-real.sh (90 % of requests burn 1 ms of the thread's
# CPU clock, 10 % 20 ms) from the open-loop Poisson client on CLIENT_CPU
# at each of RATES (default "49 150"/s) for DURATION (30) s, and records
# every context switch on the server's core and every return of the
# workers' accept4() (`perf record -e sched:sched_switch -e
# syscalls:sys_exit_accept4 -C SERVER_CPU`). scripts/validate/sched_turns.py
# then groups each worker's stretches on the core into requests (one
# from each accepted connection) and
# prints, per rate: a short request's CPU by the core's idle time and the
# other threads' time since that worker's previous request; the short
# requests that started during another worker's long one (CPU, first to
# last instruction, stretches); where a short request's latency goes,
# each accepted connection joined with the client's record of it
# (scheduled send to accept, accept to last instruction, the rest); and
# which of several idle workers took a connection.
#
# Output, per rate, in OUT/RATE (default results/trace-sched/ and the
# UTC time; a RATE folder that exists already is never written over: the
# script stops before it starts anything): turns.txt
# (the tables), requests.csv (one row per request, for pandas), row.csv
# (the client's results row: throughput, latency percentiles, CPU; the
# columns of validate-real.sh's points), latency.csv and schedule.csv
# (the client's: each measured request's latency from its scheduled
# send, and the whole schedule; openloop -l, -T), steal.txt (the hypervisor's
# steal time on the server's core during the run: above a few hundred ms
# the machine was busy and the figures move). The raw record is deleted
# unless KEEP=1 (perf's own messages: perf.log). Environment: WORKERS,
# RATES, DURATION (whole seconds), SERVER_CPU, CLIENT_CPU, PORT (19177),
# OUT, KEEP. Needs perf (linux-perf) and the right to record a whole CPU's
# tracepoints: root, or CAP_PERFMON with kernel.perf_event_paranoid -1
# and tracefs readable (the script tries before it starts the server).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/install-missing.sh
. scripts/install-missing.sh
# shellcheck source=scripts/perf-record.sh
. scripts/perf-record.sh

WORKERS=${WORKERS:-4}
RATES=${RATES:-"49 150"}
DURATION=${DURATION:-30}
SERVER_CPU=${SERVER_CPU:-0}
CLIENT_CPU=${CLIENT_CPU:-1}
PORT=${PORT:-19177}
OUT=${OUT:-results/trace-sched/$(date -u +%Y%m%dT%H%M%SZ)}
KEEP=${KEEP:-0}
APPS=scripts/validate
PY=/usr/bin/python3
export PYTHONDONTWRITEBYTECODE=1
PACKAGES=(gcc libc6-dev curl gunicorn python3-flask linux-perf)

case $DURATION in '' | *[!0-9]* | 0)
  echo "DURATION: whole seconds, not '$DURATION'" >&2; exit 2 ;; esac

WORK=  # servers.sh's cleanup removes it: ours only, once made
# shellcheck source=scripts/servers.sh
. scripts/servers.sh
cleanup() {
  perf_stop
  cleanup_server
}
trap cleanup EXIT

steal_ms() { # the steal time of SERVER_CPU so far, ms (/proc/stat, 10 ms ticks)
  awk -v c="cpu$SERVER_CPU" '$1 == c { print $9 * 10 }' /proc/stat
}

# record FILE: perf records the server's core into FILE until stop_record
# (scripts/perf-record.sh)
record() {
  perf_record "$1" "$SERVER_CPU" sched:sched_switch syscalls:sys_exit_accept4
}
stop_record() { perf_stop; }

# trace RATE: one traced run at RATE/s into OUT/RATE
trace() {
  local d="$OUT/$1" s0 s1
  mkdir -p "$d"
  record "$d/sched.data"
  s0=$(steal_ms)
  nice -n -20 taskset -c "$CLIENT_CPU" "$WORK/openloop" -p "$PORT" -r "$1" \
    -d "$DURATION" -w 1 -t 5 -x 7 -s "$PIDS" -H -L "$1" \
    -l "$d/latency.csv" -T "$d/schedule.csv" \
    -m "0.9:/w?cpu_us=1000" -m "0.1:/w?cpu_us=20000" >"$d/row.csv"
  s1=$(steal_ms)
  echo "steal_ms $((s1 - s0)) over $DURATION s" >"$d/steal.txt"
  sleep 0.5
  stop_record
  mv "$d/sched.data.log" "$d/perf.log"
  perf script -i "$d/sched.data" -F tid,time,event,trace 2>>"$d/perf.log" |
    grep -E 'sched_switch|sys_exit_accept4' >"$WORK/record.txt" || {
    echo "no context switch in the record of $1/s: see $d/perf.log" >&2
    return 1
  }
  "$PY" "$APPS/sched_turns.py" "$WORK/record.txt" "$WORKERS_TIDS" \
    --out "$d/requests.csv" --schedule "$d/schedule.csv" \
    --latency "$d/latency.csv" --warmup 1 >"$d/turns.txt"
  [ "$KEEP" = 1 ] || rm -f "$d/sched.data"
  echo "== $1/s: $(cat "$d/steal.txt")"
  cat "$d/turns.txt"
}

main() {
  local r seen=" "
  for r in $RATES; do
    if ! [[ $r =~ ^[0-9]+(\.[0-9]+)?$ ]] || [ "$r" = 0 ]; then
      echo "RATES: rates per second, not '$r'" >&2
      exit 2
    fi
    case $seen in *" $r "*) echo "RATES: $r twice (each writes OUT/$r)" >&2; exit 2 ;; esac
    seen="$seen$r "
    if [ -e "$OUT/$r" ]; then
      echo "$OUT/$r exists: give another OUT (nothing written)" >&2
      exit 2
    fi
  done
  install_missing "${PACKAGES[@]}"
  mkdir -p "$OUT"
  WORK=$(mktemp -d)
  record "$WORK/try.data" # can perf record here at all?
  stop_record
  gcc -O2 -Wall -o "$WORK/openloop" "$APPS/openloop.c" -lm
  start_server sync "$WORKERS"
  WORKERS_TIDS=$(pgrep -P "$SERVER_PID" | paste -sd,)
  PIDS="$SERVER_PID,$WORKERS_TIDS"
  # warm-up: the workers' code and imports settle
  nice -n -20 taskset -c "$CLIENT_CPU" "$WORK/openloop" -p "$PORT" -r 20 \
    -d 5 -w 0 -t 5 -x 1 -m "1:/w" >/dev/null
  for r in $RATES; do trace "$r"; done
  echo "written: $OUT/RATE/{turns.txt,requests.csv,row.csv,latency.csv,schedule.csv,steal.txt,perf.log}"
}

main "$@"
