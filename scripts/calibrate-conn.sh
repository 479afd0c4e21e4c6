#!/usr/bin/env bash
# calibrate-conn.sh - what a connection costs the real runtimes on this
# machine (issue 14): figures for `connection_overhead`, its TLS variant,
# and the memory of idle WebSocket sessions.
#
#   bash scripts/calibrate-conn.sh    (~3-4 minutes; calibrate.sh runs it)
#
# Method. Each server runs pinned to SERVER_CPU (default 0), the client on
# CLIENT_CPU (default 1), like calibrate.sh.
#
# connection_overhead: scripts/calibrate/connbench.c, CONC (default 4)
# client processes with blocking sockets, sends GET / (a small JSON
# answer) and reads the server's CPU clock (the worker's for gunicorn)
# over N requests, REPS times: once with a new TCP connection per request
# (`Connection: close`) and once over kept-alive connections. The figure
#   RUNTIME_connection_overhead_us = new - keepalive
# (median of each; the range pairs min-max and max-min) is the CPU of
# accepting, setting up and closing a connection, beyond the request.
# The servers: Node http.createServer (scripts/calibrate/conn_server.js);
# gunicorn gthread, 1 worker x 4 threads, plain WSGI
# (scripts/calibrate/wsgi_app.py:app); uvicorn, 1 worker, raw ASGI
# (asgi_app.py:app, uvloop + httptools when installed). gunicorn's sync
# worker closes the connection after every response (sync.py:
# handle_request calls resp.force_close()), so only its `new` figure
# exists: the connection is part of its request_overhead.
#
# TLS: the same with `-T` (connbench: OpenSSL client, a full handshake per
# new connection: no session resumption, which is the worst case and what
# a client without a session cache, or a load balancer opening fresh
# connections, costs), against Node https.createServer, gunicorn
# --certfile/--keyfile and uvicorn --ssl-certfile/--ssl-keyfile, with a
# self-signed certificate made by openssl: ECDSA P-256 (`ec`) and RSA 2048
# (`rsa`, whose private-key signature dominates a handshake).
#   RUNTIME_tls_KEY_connection_overhead_us = new - keepalive (both TLS)
#   RUNTIME_tls_KEY_handshake_us = that minus the plain connection_overhead
#
# WebSocket memory: a server keeps idle WebSockets open (Node: the `ws`
# package, Debian node-ws, scripts/calibrate/ws_server.js; uvicorn:
# --ws websockets, Debian python3-websockets, ws_asgi.py); a client
# (ws_client.py, asyncio, the RFC 6455 handshake by hand) opens WS_WARM
# (200) connections and closes them (to load the code paths), then the
# server's VmRSS is read, then WS_N (10 000) are opened and kept idle, and
# after WS_SETTLE (3) seconds VmRSS is read again:
#   RUNTIME_ws_idle_bytes_per_connection = (after - before) / WS_N
# (resident memory per idle session: kernel socket buffers are not in a
# process's RSS and are not counted).
#
# Output: results/calibrate/conn.txt (printed) and conn-reps.log.
# Environment: REPS (5), N (2000 requests per repetition, TLS: N/2),
# CONC (4), WS_N (10000), WS_SETTLE (3), SERVER_CPU, CLIENT_CPU,
# PORT_BASE (18700), OUT (results/calibrate).
set -euo pipefail
cd "$(dirname "$0")/.."

REPS=${REPS:-5}
N=${N:-2000}
CONC=${CONC:-4}
WS_N=${WS_N:-10000}
WS_WARM=${WS_WARM:-200}
WS_SETTLE=${WS_SETTLE:-3}
SERVER_CPU=${SERVER_CPU:-0}
CLIENT_CPU=${CLIENT_CPU:-1}
PORT_BASE=${PORT_BASE:-18700}
OUT=${OUT:-results/calibrate}
APPS=scripts/calibrate
PY=/usr/bin/python3
export PYTHONDONTWRITEBYTECODE=1
export NODE_PATH=/usr/share/nodejs # Debian's node-* packages
PACKAGES=(gcc libc6-dev libssl-dev openssl curl nodejs node-ws gunicorn
          python3-uvicorn python3-websockets python3-httptools python3-uvloop)

# shellcheck source=scripts/install-missing.sh
source scripts/install-missing.sh

SERVER_PID=""
CLIENT_PID=""
WORK=""
stop_server() {
  if [ -n "$SERVER_PID" ]; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=""
  fi
}
stop_client() {
  if [ -n "$CLIENT_PID" ]; then
    kill -TERM "$CLIENT_PID" 2>/dev/null || true
    wait "$CLIENT_PID" 2>/dev/null || true
    CLIENT_PID=""
  fi
}
cleanup() {
  stop_client
  stop_server
  [ -n "$WORK" ] && rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# start_server PORT SCHEME COMMAND...
start_server() {
  local port=$1 scheme=$2
  shift 2
  taskset -c "$SERVER_CPU" "$@" >>"$OUT/conn-servers.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 200); do
    curl -skf -o /dev/null "$scheme://127.0.0.1:$port/" && return 0
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.1
  done
  echo "server did not come up: $* (see $OUT/conn-servers.log)" >&2
  return 1
}

measured_pids() {
  local kids
  kids=$(pgrep -P "$SERVER_PID" | paste -sd, -)
  echo "${kids:-$SERVER_PID}"
}

# bench LABEL PORT N [connbench options]: prints the median, logs the line
bench() {
  local label=$1 port=$2 n=$3 line
  shift 3
  line=$(taskset -c "$CLIENT_CPU" "$WORK/connbench" -p "$port" -n "$n" \
    -c "$CONC" -w $((n / 4)) -r "$REPS" -s "$(measured_pids)" -L "$label" \
    "$@" 2>>"$OUT/conn-reps.log")
  echo "$line probe_ms=$(taskset -c "$SERVER_CPU" "$WORK/cpuprobe")" >>"$OUT/conn-reps.log"
  echo "$line"
}

field() { # field NAME LINE
  echo "$2" | tr ' ' '\n' | sed -n "s/^$1=//p"
}

# overhead NAME NEWLINE KEEPLINE: prints NAME median=new-keep min max
overhead() {
  awk -v name="$1" -v nm="$(field median "$2")" -v nl="$(field min "$2")" \
    -v nh="$(field max "$2")" -v km="$(field median "$3")" \
    -v kl="$(field min "$3")" -v kh="$(field max "$3")" \
    'BEGIN { printf "%s median=%.1f min=%.1f max=%.1f\n", name, nm - km, nl - kh, nh - kl }'
}

# conn_figures NAME PORT SCHEME TLSKEY: new, keepalive, the difference
conn_figures() {
  local name=$1 port=$2 scheme=$3 key=$4 n=$N opt=() new keep label
  if [ "$scheme" = https ]; then
    n=$((N / 2)) opt=(-T)
    label=${name}_tls_${key}
  else
    label=$name
  fi
  new=$(bench "${label}_new_connection_us_per_request" "$port" "$n" "${opt[@]}")
  echo "$new" | tee -a "$OUT/conn.txt"
  if [ "$name" = gunicorn_sync ]; then
    echo "${label}_connection_overhead_us n/a (the sync worker closes every connection)" |
      tee -a "$OUT/conn.txt"
    return
  fi
  keep=$(bench "${label}_keepalive_us_per_request" "$port" "$n" -k "${opt[@]}")
  echo "$keep" | tee -a "$OUT/conn.txt"
  overhead "${label}_connection_overhead_us" "$new" "$keep" |
    tee -a "$OUT/conn.txt" "$WORK/ovh-$label"
  if [ "$scheme" = https ] && [ -s "$WORK/ovh-$name" ]; then
    awk -v name="${label}_handshake_us" -v t="$(field median "$(cat "$WORK/ovh-$label")")" \
      -v p="$(field median "$(cat "$WORK/ovh-$name")")" \
      'BEGIN { printf "%s median=%.1f (tls overhead - plain overhead)\n", name, t - p }' |
      tee -a "$OUT/conn.txt"
  fi
}

runtime_conn() { # RUNTIME SCHEME KEY
  local rt=$1 scheme=$2 key=$3 port=$((PORT_BASE + 1)) tls=()
  case $rt in
  node)
    [ "$scheme" = https ] && tls=("$WORK/$key.crt" "$WORK/$key.key")
    start_server "$port" "$scheme" node "$APPS/conn_server.js" "$port" "${tls[@]}"
    conn_figures node_http "$port" "$scheme" "$key"
    ;;
  sync | gthread)
    [ "$scheme" = https ] && tls=(--certfile "$WORK/$key.crt" --keyfile "$WORK/$key.key")
    local wargs=(--worker-class sync)
    [ "$rt" = gthread ] && wargs=(--worker-class gthread --threads 4)
    start_server "$port" "$scheme" "$PY" -m gunicorn --workers 1 "${wargs[@]}" \
      "${tls[@]}" --bind "127.0.0.1:$port" --chdir "$APPS" wsgi_app:app
    conn_figures "gunicorn_$rt" "$port" "$scheme" "$key"
    ;;
  uvicorn)
    [ "$scheme" = https ] && tls=(--ssl-certfile "$WORK/$key.crt" --ssl-keyfile "$WORK/$key.key")
    start_server "$port" "$scheme" "$PY" -m uvicorn --no-access-log \
      --log-level warning --host 127.0.0.1 --port "$port" "${tls[@]}" \
      --app-dir "$APPS" asgi_app:app
    conn_figures uvicorn "$port" "$scheme" "$key"
    ;;
  esac
  stop_server
}

rss() { awk '/^VmRSS:/ { print $2 * 1024 }' "/proc/$1/status"; }

# ws_figure NAME PORT COMMAND...: bytes of RSS per idle WebSocket
ws_figure() {
  local name=$1 port=$2 before after line
  shift 2
  start_server "$port" http "$@"
  taskset -c "$CLIENT_CPU" "$PY" "$APPS/ws_client.py" "$port" "$WS_WARM" </dev/null \
    >/dev/null 2>>"$OUT/conn-reps.log" || true # stdin closed: opens, then exits
  sleep 1
  before=$(rss "$SERVER_PID")
  # the client's stdin is our pipe: it keeps the connections until we close it
  coproc WSC (exec taskset -c "$CLIENT_CPU" "$PY" "$APPS/ws_client.py" "$port" \
    "$WS_N" 2>>"$OUT/conn-reps.log")
  CLIENT_PID=$WSC_PID
  line=""
  read -r -t 120 line <&"${WSC[0]}" || true
  if [ "${line% *}" != open ]; then
    echo "${name}_ws_idle_bytes_per_connection FAILED (client: '$line'; see $OUT/conn-reps.log)" |
      tee -a "$OUT/conn.txt"
  else
    sleep "$WS_SETTLE"
    after=$(rss "$SERVER_PID")
    awk -v name="$name" -v b="$before" -v a="$after" -v n="${line#open }" 'BEGIN {
      printf "%s_ws_idle_bytes_per_connection %.0f (rss %.1f MiB -> %.1f MiB with %d idle WebSockets)\n",
        name, (a - b) / n, b / 1048576, a / 1048576, n }' | tee -a "$OUT/conn.txt"
  fi
  eval "exec ${WSC[1]}>&-" 2>/dev/null || true
  kill -TERM "$CLIENT_PID" 2>/dev/null || true
  wait "$CLIENT_PID" 2>/dev/null || true
  CLIENT_PID=""
  stop_server
}

main() {
  install_missing "${PACKAGES[@]}"
  ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
  if [ "$(ulimit -n)" -lt $((WS_N + 200)) ]; then
    echo "ulimit -n is $(ulimit -n): WS_N=$WS_N needs more; lowering WS_N" >&2
    WS_N=$(($(ulimit -n) - 500))
  fi
  mkdir -p "$OUT"
  : >"$OUT/conn.txt"
  : >"$OUT/conn-reps.log"
  : >"$OUT/conn-servers.log"
  WORK=$(mktemp -d)
  gcc -O2 -Wall -o "$WORK/connbench" "$APPS/connbench.c" -lssl -lcrypto
  gcc -O2 -Wall -o "$WORK/cpuprobe" "$APPS/cpuprobe.c"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -subj /CN=127.0.0.1 -days 2 -keyout "$WORK/ec.key" -out "$WORK/ec.crt" 2>/dev/null
  openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 -days 2 \
    -keyout "$WORK/rsa.key" -out "$WORK/rsa.crt" 2>/dev/null
  local t0=$SECONDS rt key
  {
    echo "# $(date -u +%FT%TZ) node $(node --version); gunicorn $($PY -c 'import gunicorn; print(gunicorn.__version__)');" \
      "uvicorn $($PY -c 'import uvicorn; print(uvicorn.__version__)'); $(openssl version)"
    echo "# reps=$REPS n=$N conc=$CONC ws_n=$WS_N; microseconds of server CPU per request (user + system)"
  } | tee -a "$OUT/conn.txt"
  for rt in node sync gthread uvicorn; do
    runtime_conn "$rt" http -
    for key in ec rsa; do
      runtime_conn "$rt" https "$key"
    done
  done
  ws_figure node $((PORT_BASE + 2)) node "$APPS/ws_server.js" $((PORT_BASE + 2))
  ws_figure uvicorn $((PORT_BASE + 3)) "$PY" -m uvicorn --ws websockets \
    --no-access-log --log-level warning --host 127.0.0.1 --port $((PORT_BASE + 3)) \
    --app-dir "$APPS" ws_asgi:app
  echo "cpu_probe_ms $(grep -o 'probe_ms=[0-9.]*' "$OUT/conn-reps.log" | cut -d= -f2 |
    sort -n | awk '{ v[NR] = $1 } END { printf "median=%.2f min=%.2f max=%.2f n=%d", v[int((NR + 1) / 2)], v[1], v[NR], NR }')" |
    tee -a "$OUT/conn.txt"
  echo "# done in $((SECONDS - t0)) s" | tee -a "$OUT/conn.txt"
}

main "$@"
