# shellcheck shell=bash
# servers.sh - the real servers of scripts/validate/ (node_app.js,
# py_apps.py) started one at a time on one core, for the calibration
# scripts (sourced: calibrate-refill.sh, calibrate-after.sh; validate-real.sh
# takes server_cmd and stop_server and starts them its own way). Needs APPS
# (scripts/validate), PY, PORT and SERVER_CPU set; keeps the server's pid
# in SERVER_PID (cleanup_server on EXIT kills it and removes WORK).

SERVER_PID=""
WORK=${WORK:-}
cleanup_server() {
  [ -z "$SERVER_PID" ] || kill "$SERVER_PID" 2>/dev/null || true
  [ -z "$WORK" ] || rm -rf "$WORK"
}

# server_cmd SYSTEM [SYNC_WORKERS]: SYSTEM's command line into the array
# SERVER_CMD: node (1 process) | uvicorn (1 worker; UVICORN_APP, default
# py_apps:fastapi_app, from APPS) | sync (gunicorn, SYNC_WORKERS workers,
# default 1) | gthread (1 worker x 8 threads)
server_cmd() {
  case $1 in
  node) SERVER_CMD=(node "$APPS/node_app.js" "$PORT") ;;
  uvicorn) SERVER_CMD=("$PY" -m uvicorn --workers 1 --no-access-log
                       --log-level warning --host 127.0.0.1 --port "$PORT"
                       --app-dir "$APPS" "${UVICORN_APP:-py_apps:fastapi_app}") ;;
  sync) SERVER_CMD=("$PY" -m gunicorn --worker-class sync --workers "${2:-1}"
                    --bind "127.0.0.1:$PORT" --chdir "$APPS"
                    "py_apps:flask_app") ;;
  gthread) SERVER_CMD=("$PY" -m gunicorn --worker-class gthread --workers 1
                       --threads 8 --bind "127.0.0.1:$PORT" --chdir "$APPS"
                       "py_apps:flask_app") ;;
  *) echo "unknown system: $1" >&2; return 2 ;;
  esac
}

# start_server SYSTEM [SYNC_WORKERS]: server_cmd SYSTEM, at nice -20 on
# SERVER_CPU, once /w answers (and, for sync, its workers are all up)
start_server() {
  server_cmd "$1" "${2:-}" || return 1
  # shellcheck disable=SC2153 # SERVER_CPU: set by the sourcing script
  nice -n -20 taskset -c "$SERVER_CPU" "${SERVER_CMD[@]}" >/dev/null 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 100); do
    if curl -sf -o /dev/null "http://127.0.0.1:$PORT/w"; then
      [ "$1" != sync ] || [ "$(pgrep -cP "$SERVER_PID")" -ge "${2:-1}" ] && break
    fi
    sleep 0.1
  done
  curl -sf -o /dev/null "http://127.0.0.1:$PORT/w" ||
    { echo "$1 did not come up" >&2; return 1; }
  sleep 1
}

stop_server() {
  kill "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=""
  sleep 0.5
}
