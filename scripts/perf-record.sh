# shellcheck shell=bash
# perf-record.sh - sourced by the scripts that read the scheduler's own
# record of a server's core (trace-sched.sh, calibrate-gil.sh).
#
# perf_record FILE CPU EVENT...: perf records CPU's EVENTs (tracepoints)
# into FILE, on CLOCK_MONOTONIC (the clients' clock), until perf_stop;
# perf's messages go to FILE.log. Returns 1, with them, if perf cannot
# record there (it needs root, or CAP_PERFMON with
# kernel.perf_event_paranoid -1 and tracefs readable).
# perf_stop: ends the recording (its workload: a background job ignores
# SIGINT, so perf would too); perf writes FILE and exits. Nothing if no
# recording runs, so an EXIT trap may call it.
PERF_PID=
perf_record() {
  local file=$1 cpu=$2 ev=()
  shift 2
  for e in "$@"; do ev+=(-e "$e"); done
  perf record -q -k mono "${ev[@]}" -C "$cpu" -o "$file" -- sleep 100000 \
    >"$file.log" 2>&1 &
  PERF_PID=$!
  sleep 1
  kill -0 "$PERF_PID" 2>/dev/null && return 0
  PERF_PID=
  echo "perf cannot record CPU $cpu's tracepoints:" >&2
  cat "$file.log" >&2
  return 1
}
perf_stop() {
  [ -n "$PERF_PID" ] || return 0
  pkill -TERM -P "$PERF_PID" 2>/dev/null || true
  wait "$PERF_PID" 2>/dev/null || true
  PERF_PID=
}
