# shellcheck shell=bash
# gc_server.sh - sourced by scripts/calibrate-gc.sh and
# scripts/calibrate-overload.sh: their server, scripts/validate/py_apps.py's
# fastapi_app served through gc_stats.py by uvicorn (1 worker, uvloop and
# httptools), started with servers.sh's start_server uvicorn; the
# settings they share (PATH_Q: validate-real.sh's `io` mix, SERVER_CPU,
# CLIENT_CPU, OUT), the packages they need, and cleanup on EXIT.
# shellcheck disable=SC2034 # read by the sourcing script and servers.sh
PATH_Q=${PATH_Q:-"/w?cpu_us=500&wait_us=20000"}
SERVER_CPU=${SERVER_CPU:-0}
CLIENT_CPU=${CLIENT_CPU:-1}
OUT=${OUT:-results/calibrate}
PY=/usr/bin/python3
export PYTHONDONTWRITEBYTECODE=1
PACKAGES=(gcc libc6-dev curl python3-uvicorn python3-fastapi
          python3-httptools python3-uvloop)
APPS=scripts/calibrate
UVICORN_APP=gc_stats:fastapi_app

# shellcheck source=scripts/servers.sh
. scripts/servers.sh
trap cleanup_server EXIT
