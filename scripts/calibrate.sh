#!/usr/bin/env bash
# calibrate.sh - measure, on this machine, the per-request CPU costs that
# concsim's models take as defaults (models/event_loop.c, worker_pool.c,
# async.c: request_overhead, callback_overhead), from the real runtimes.
#
#   bash scripts/calibrate.sh          install what is missing, run all
#                                      measurements (~6-7 minutes), print one
#                                      line per figure
#
# Method. Each server runs pinned to one core (SERVER_CPU, default 0); the
# load generator (scripts/calibrate/loadgen.c, a closed-loop HTTP/1.1 client
# in C) runs on the other (CLIENT_CPU, default 1). After a warm-up, it reads
# the CPU clock of the server's process (for gunicorn: the worker's, not the
# arbiter's) before and after a fixed number of requests, REPS times, and
# reports CPU microseconds per request: median, min, max over the REPS.
# CPU time, unlike throughput, hardly depends on how busy the other core
# is. `_c1` figures have one request in flight (each request wakes the
# server alone), `_c8` eight (the server is saturated and handles several
# events per poll). `new_connection`: a TCP connection per request
# (`Connection: close`; the server closes), as concsim models a request;
# `keepalive`: requests reuse connections.
#
# Differential figures (one more step of a request) run two endpoints on
# kept-alive connections, e.g. /yield?k=0 then /yield?k=50, and divide the
# difference of their CPU times by the requests and by k:
#   *_loop_turn:      one extra trip through the event loop (Node: await
#                     new Promise(setImmediate); Python: await
#                     asyncio.sleep(0));
#   *_io_round_trip:  one awaited 8-byte round trip to an upstream echo
#                     server (pinned to the client's core) over an open TCP
#                     connection, a stand-in for a database query: the
#                     write, the poll, the read and the callback/coroutine
#                     step that resumes the handler;
#   *_sync_def_extra: FastAPI `def` (run in the anyio thread pool) minus
#                     `async def`, per request.
#
# Which figure informs which default (the maintainer decides; nothing here
# changes them):
#   event_loop.c request_overhead   node_http_new_connection_*
#   event_loop.c callback_overhead  node_loop_turn_us .. node_io_round_trip_us
#   worker_pool.c request_overhead  gunicorn_{sync,gthread}_{wsgi,flask}_new_*
#   async.c request_overhead        uvicorn_*_{raw,starlette,fastapi}_new_*
#   async.c callback_overhead       uvicorn_*_loop_turn_us .. *_io_round_trip_us
#   worker_pool.c pool_scan, pool_wait, pool_scan_none
#                                   pool_scan_fit (no server: one pass of
#                                   gthread's futures.wait() over n futures,
#                                   scripts/calibrate/pool_scan.py)
# concsim models a connection per request (no keep-alive), hence `new_`;
# the `keepalive` figures show what the connection itself costs.
#
# Noise: the host is shared, and other tenants slow this machine's cores,
# by 2x at times, for seconds at a time, which inflates CPU time too (caches,
# hyper-threads). Hence the median over REPS and the cpu_probe_ms line: the
# CPU time of fixed work (scripts/calibrate/cpuprobe.c) on the server core
# before each figure (also printed as probe_ms on each figure's line); its
# spread is the machine's, not the runtimes'.
#
# Then, unless EXTRA=0, four more scripts, each documenting its own method:
#   scripts/calibrate-speed.sh  CPython/Node time ratios of the same code
#                               (JSON, templates, regex, loops): cpu_scale
#   scripts/calibrate-conn.sh   connection_overhead (new connection minus
#                               kept-alive), with TLS, and RSS per idle
#                               WebSocket (Node ws, uvicorn websockets)
#   scripts/calibrate-refill.sh cache_refill and cache_refill_time: CPU per
#                               request after idle gaps and after the
#                               application's own work
#   scripts/calibrate-after.sh  after_response: syscall traces, the share of
#                               a server's own work per request after the
#                               response's write
#
# Output: results/calibrate/summary.txt (what is printed) and reps.log (every
# repetition); speed.txt, conn.txt, refill.txt and after.txt from the four
# scripts.
# Environment: REPS (default 7), SCALE (multiplies the requests per repetition, default
# 1), SERVER_CPU, CLIENT_CPU, PORT_BASE (default 18400), OUT (default
# results/calibrate), EXTRA (default 1).
set -euo pipefail
cd "$(dirname "$0")/.."

REPS=${REPS:-7}
SCALE=${SCALE:-1}
SERVER_CPU=${SERVER_CPU:-0}
CLIENT_CPU=${CLIENT_CPU:-1}
PORT_BASE=${PORT_BASE:-18400}
OUT=${OUT:-results/calibrate}
APPS=scripts/calibrate
PY=/usr/bin/python3 # Debian's, which the python3-* packages are for
export PYTHONDONTWRITEBYTECODE=1 # leave no __pycache__ in scripts/calibrate
PACKAGES=(gcc libc6-dev curl nodejs gunicorn python3-flask python3-uvicorn
          python3-starlette python3-fastapi python3-httptools python3-uvloop)

# shellcheck source=scripts/install-missing.sh
source scripts/install-missing.sh

# --- servers --------------------------------------------------------------
SERVER_PID=""   # the process we started and stop (gunicorn: the arbiter)
UPSTREAM_PID="" # the echo server of the /io endpoints
LOADGEN_PID=""  # the load generator running
WORK=""
FAILED=0

stop_server() {
  if [ -n "$SERVER_PID" ]; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=""
  fi
}

cleanup() {
  if [ -n "$LOADGEN_PID" ]; then
    kill -TERM "$LOADGEN_PID" 2>/dev/null || true
    wait "$LOADGEN_PID" 2>/dev/null || true
  fi
  stop_server
  if [ -n "$UPSTREAM_PID" ]; then
    kill -TERM "$UPSTREAM_PID" 2>/dev/null || true
    wait "$UPSTREAM_PID" 2>/dev/null || true
  fi
  [ -n "$WORK" ] && rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# start_server PORT PATH COMMAND...: runs COMMAND on SERVER_CPU in the
# background and waits until PORT answers PATH.
start_server() {
  local port=$1 path=$2
  shift 2
  taskset -c "$SERVER_CPU" "$@" >>"$OUT/servers.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 200); do
    curl -sf -o /dev/null "http://127.0.0.1:$port$path" && return 0
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.1
  done
  echo "server did not come up: $*  (see $OUT/servers.log)" >&2
  return 1
}

# The processes whose CPU counts: gunicorn's worker(s), else the server.
measured_pids() {
  local kids
  kids=$(pgrep -P "$SERVER_PID" | paste -sd, -)
  echo "${kids:-$SERVER_PID}"
}

# measure LABEL PORT REQUESTS CONC [loadgen options]: one figure.
measure() {
  local label=$1 port=$2 n=$3 conc=$4
  shift 4
  n=$(awk -v n="$n" -v s="$SCALE" 'BEGIN { printf "%d", n * s }')
  local probe
  probe=$(taskset -c "$SERVER_CPU" "$WORK/cpuprobe")
  echo "$probe" >>"$WORK/probe.txt"
  # in the background, so that a signal interrupts the wait at once
  taskset -c "$CLIENT_CPU" "$WORK/loadgen" -p "$port" -n "$n" \
    -c "$conc" -w $((n / 4 + 200)) -r "$REPS" -s "$(measured_pids)" \
    -L "$label" "$@" >"$WORK/line" 2>>"$OUT/reps.log" &
  LOADGEN_PID=$!
  if wait "$LOADGEN_PID"; then
    echo "$(cat "$WORK/line") probe_ms=$probe" | tee -a "$OUT/summary.txt"
  else
    echo "$label FAILED (see $OUT/reps.log)" | tee -a "$OUT/summary.txt"
    FAILED=1
  fi
  LOADGEN_PID=""
}

# --- the measurements -----------------------------------------------------
node_figures() {
  local port=$((PORT_BASE + 1))
  start_server "$port" / node "$APPS/node_server.js" "$port" "$UPSTREAM_PORT"
  local p=node_http
  measure ${p}_new_connection_c1_us_per_request "$port" 15000 1
  measure ${p}_new_connection_c8_us_per_request "$port" 15000 8
  measure ${p}_keepalive_c1_us_per_request "$port" 40000 1 -k
  measure ${p}_keepalive_c8_us_per_request "$port" 40000 8 -k
  measure node_loop_turn_us "$port" 10000 8 -k \
    -B '/yield?k=0' -P '/yield?k=50' -K 50
  measure node_io_round_trip_us "$port" 10000 8 -k \
    -B '/io?k=0' -P '/io?k=10' -K 10
  stop_server
}

# gunicorn_figures NAME WORKER_ARGS...: sync or gthread, plain WSGI and Flask
gunicorn_figures() {
  local name=$1 app label
  shift
  local port=$((PORT_BASE + 2))
  for app in wsgi flask; do
    local target=app n=6000
    [ "$app" = flask ] && target=flask_app n=4000
    start_server "$port" / "$PY" -m gunicorn --workers 1 "$@" \
      --bind "127.0.0.1:$port" --chdir "$APPS" "wsgi_app:$target"
    label=gunicorn_${name}_${app}
    measure "${label}_new_connection_c1_us_per_request" "$port" "$n" 1
    measure "${label}_new_connection_c8_us_per_request" "$port" "$n" 8
    if [ "$name" = gthread ]; then # the sync worker closes every connection
      measure "${label}_keepalive_c8_us_per_request" "$port" $((n * 2)) 8 -k
    fi
    stop_server
  done
}

# uvicorn_figures NAME LOOP HTTP: raw ASGI, Starlette, FastAPI
uvicorn_figures() {
  local name=$1 loop=$2 http=$3 app n
  local port=$((PORT_BASE + 3))
  local fast=1 # uvloop + httptools: about twice the requests per second
  [ "$loop" = uvloop ] && fast=2
  for app in raw starlette fastapi; do
    local target=app
    [ "$app" = raw ] || target=${app}_app
    start_server "$port" / env CALIBRATE_UPSTREAM_PORT="$UPSTREAM_PORT" \
      "$PY" -m uvicorn --loop "$loop" --http "$http" --no-access-log \
      --log-level warning --host 127.0.0.1 --port "$port" \
      --app-dir "$APPS" "asgi_app:$target"
    local label=uvicorn_${name}_${app}
    n=$((fast * 4000))
    [ "$app" = raw ] || n=$((fast * 2500))
    case $app in
    raw)
      measure "${label}_new_connection_c1_us_per_request" "$port" "$n" 1
      measure "${label}_new_connection_c8_us_per_request" "$port" "$n" 8
      measure "${label}_keepalive_c8_us_per_request" "$port" $((n * 2)) 8 -k
      measure "uvicorn_${name}_loop_turn_us" "$port" "$n" 8 -k \
        -B '/yield?k=0' -P '/yield?k=20' -K 20
      measure "uvicorn_${name}_io_round_trip_us" "$port" "$n" 8 -k \
        -B '/io?k=0' -P '/io?k=10' -K 10
      ;;
    starlette)
      measure "${label}_new_connection_c8_us_per_request" "$port" "$n" 8
      ;;
    fastapi)
      measure "${label}_new_connection_c1_us_per_request" "$port" "$n" 1
      measure "${label}_new_connection_c8_us_per_request" "$port" "$n" 8
      measure "${label}_keepalive_c8_us_per_request" "$port" $((n * 2)) 8 -k
      measure "${label}_sync_def_extra_us_per_request" "$port" "$n" 8 -k \
        -B / -P /sync
      ;;
    esac
    stop_server
  done
}

versions() {
  echo "# cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | xargs)" \
    "(family $(grep -m1 'cpu family' /proc/cpuinfo | cut -d: -f2 | xargs)" \
    "model $(grep -m1 '^model\s' /proc/cpuinfo | cut -d: -f2 | xargs)," \
    "$(grep -m1 'cpu MHz' /proc/cpuinfo | cut -d: -f2 | xargs) MHz)," \
    "$(nproc) cores; kernel $(uname -r)"
  echo "# node $(node --version); gunicorn $($PY -c 'import gunicorn; print(gunicorn.__version__)')"
  $PY - <<'EOF'
import platform, importlib
mods = ["flask", "uvicorn", "starlette", "fastapi", "pydantic", "h11",
        "httptools", "uvloop"]
out = []
for m in mods:
    try:
        mod = importlib.import_module(m)
        v = getattr(mod, "__version__", None) or getattr(mod, "VERSION", "?")
    except ImportError:
        v = "missing"
    out.append(f"{m} {v}")
print(f"# python {platform.python_version()}; " + "; ".join(out))
EOF
  echo "# reps=$REPS scale=$SCALE server_cpu=$SERVER_CPU client_cpu=$CLIENT_CPU;" \
    "figures in microseconds of server CPU (user + system)"
}

main() {
  install_missing "${PACKAGES[@]}"
  mkdir -p "$OUT"
  : >"$OUT/summary.txt"
  : >"$OUT/reps.log"
  : >"$OUT/servers.log"
  WORK=$(mktemp -d)
  gcc -O2 -Wall -o "$WORK/loadgen" "$APPS/loadgen.c"
  gcc -O2 -Wall -o "$WORK/cpuprobe" "$APPS/cpuprobe.c"
  local t0=$SECONDS

  versions | tee -a "$OUT/summary.txt"
  UPSTREAM_PORT=$PORT_BASE
  taskset -c "$CLIENT_CPU" node "$APPS/echo.js" "$UPSTREAM_PORT" \
    >>"$OUT/servers.log" 2>&1 &
  UPSTREAM_PID=$!
  for _ in $(seq 100); do # until it listens
    (exec 3<>"/dev/tcp/127.0.0.1/$UPSTREAM_PORT") 2>/dev/null && break
    sleep 0.1
  done

  node_figures
  gunicorn_figures sync --worker-class sync
  gunicorn_figures gthread --worker-class gthread --threads 4
  taskset -c "$SERVER_CPU" "$PY" "$APPS/pool_scan.py" | tee -a "$OUT/summary.txt"
  uvicorn_figures asyncio_h11 asyncio h11
  uvicorn_figures uvloop_httptools uvloop httptools

  sort -n "$WORK/probe.txt" | awk '{ v[NR] = $1 } END {
    m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
    printf "cpu_probe_ms median=%.2f min=%.2f max=%.2f n=%d" \
      " (fixed work on the server core before each figure:" \
      " the machine'"'"'s own speed variation)\n", m, v[1], v[NR], NR
  }' | tee -a "$OUT/summary.txt"
  echo "# done in $((SECONDS - t0)) s" | tee -a "$OUT/summary.txt"
  if [ "${EXTRA:-1}" != 0 ]; then
    stop_server
    OUT=$OUT SERVER_CPU=$SERVER_CPU bash scripts/calibrate-speed.sh || FAILED=1
    OUT=$OUT SERVER_CPU=$SERVER_CPU CLIENT_CPU=$CLIENT_CPU \
      bash scripts/calibrate-conn.sh || FAILED=1
    OUT=$OUT SERVER_CPU=$SERVER_CPU CLIENT_CPU=$CLIENT_CPU \
      bash scripts/calibrate-refill.sh || FAILED=1
    OUT=$OUT SERVER_CPU=$SERVER_CPU CLIENT_CPU=$CLIENT_CPU \
      bash scripts/calibrate-after.sh || FAILED=1
  fi
  return "$FAILED"
}

main "$@"
