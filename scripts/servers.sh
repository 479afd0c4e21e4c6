# servers.sh - the real servers of scripts/validate/ (node_app.js,
# py_apps.py) started one at a time on one core, for the calibration
# scripts (sourced: calibrate-refill.sh, calibrate-after.sh). Needs APPS
# (scripts/validate), PY, PORT and SERVER_CPU set; keeps the server's pid
# in SERVER_PID (cleanup_server on EXIT kills it and removes WORK).

SERVER_PID=""
WORK=${WORK:-}
cleanup_server() {
  [ -z "$SERVER_PID" ] || kill "$SERVER_PID" 2>/dev/null || true
  [ -z "$WORK" ] || rm -rf "$WORK"
}

# start_server SYSTEM: node | uvicorn | sync (gunicorn, 1 worker) | gthread
# (1 worker x 8 threads), at nice -20 on SERVER_CPU, once /w answers
start_server() {
  local cmd
  case $1 in
  node) cmd=(node "$APPS/node_app.js" "$PORT") ;;
  uvicorn) cmd=("$PY" -m uvicorn --workers 1 --no-access-log
                --log-level warning --host 127.0.0.1 --port "$PORT"
                --app-dir "$APPS" "py_apps:fastapi_app") ;;
  sync) cmd=("$PY" -m gunicorn --worker-class sync --workers 1
             --bind "127.0.0.1:$PORT" --chdir "$APPS" "py_apps:flask_app") ;;
  gthread) cmd=("$PY" -m gunicorn --worker-class gthread --workers 1
                --threads 8 --bind "127.0.0.1:$PORT" --chdir "$APPS"
                "py_apps:flask_app") ;;
  esac
  nice -n -20 taskset -c "$SERVER_CPU" "${cmd[@]}" >/dev/null 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 100); do
    curl -sf -o /dev/null "http://127.0.0.1:$PORT/w" && break
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
