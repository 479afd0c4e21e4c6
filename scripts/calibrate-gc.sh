#!/usr/bin/env bash
# calibrate-gc.sh - watch CPython's cyclic garbage collector in uvicorn +
# FastAPI under load, to set the async model's `gc_*` keys.
#
#   bash scripts/calibrate-gc.sh      install what is missing, measure
#                                     (~1 minute), print per rate
#
# The server is scripts/validate/py_apps.py's fastapi_app served through
# scripts/calibrate/gc_stats.py (gc.callbacks: each collection's thread CPU
# and the objects it found unreachable), 1 worker pinned to SERVER_CPU
# (default core 0), fed by the open-loop Poisson client
# (scripts/validate/openloop.c) on CLIENT_CPU with PATH (default the `io`
# mix of validate-real.sh: /w?cpu_us=500&wait_us=20000) at each of RATES
# ("200 900 1100") for DURATION (15) s after 3 s at that rate unmeasured.
# Per rate: collections per second by generation, the collections' share
# of the server's CPU (the thread CPU of the collections over the
# process's CPU time: the model's gc_cpu_share), the server's CPU per
# request, and the garbage a
# request leaves (objects the collections found unreachable, per request
# answered: `gc_request_garbage`), with the tracked objects at the end
# and the thread CPU of a collection by generation. Then `gc_object_cost`:
# a full collection's CPU per object, of the idle heap (gc.collect(), 7
# times back to back, before the load and after it: a lower bound, its
# objects warm) and of the full collections under load (their CPU over
# the objects tracked at the rate's end: the key's value).
# Output: OUT/gc.txt (default results/calibrate). Environment: RATES,
# DURATION, PATH_Q (the request path), SERVER_CPU, CLIENT_CPU, PORT
# (19140), OUT.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/install-missing.sh
. scripts/install-missing.sh

RATES=${RATES:-"200 900 1100"}
DURATION=${DURATION:-15}
PORT=${PORT:-19140}
# shellcheck source=scripts/calibrate/gc_server.sh
. scripts/calibrate/gc_server.sh
unset GC_DISABLE # the collector it watches stays on

# idle_collect N: gc.collect() of the idle heap in the server (SIGUSR2),
# waiting (up to 10 s) until GC_STATS holds N such lines
idle_collect() {
  local n
  kill -USR2 "$SERVER_PID"
  for _ in $(seq 100); do
    n=$(grep -c '"idle"' "$GC_STATS" 2>/dev/null) || true
    [ "${n:-0}" -lt "$1" ] || return 0
    sleep 0.1
  done
  echo "calibrate-gc.sh: the server wrote no idle collection" >&2
  return 1
}

main() {
  install_missing "${PACKAGES[@]}"
  mkdir -p "$OUT"
  WORK=$(mktemp -d)
  gcc -O2 -Wall -o "$WORK/openloop" scripts/validate/openloop.c -lm
  export GC_STATS=$WORK/gc.jsonl
  start_server uvicorn
  # a full collection of the idle heap, before the load and after it
  idle_collect 1
  local rate ticks0 ticks1 rows=""
  for rate in $RATES; do
    nice -n -20 taskset -c "$CLIENT_CPU" "$WORK/openloop" -p "$PORT" \
      -r "$rate" -d 3 -m "1:$PATH_Q" -L warm >/dev/null
    kill -USR1 "$SERVER_PID"
    sleep 0.2
    ticks0=$(awk '{ print $14 + $15 }' "/proc/$SERVER_PID/stat")
    nice -n -20 taskset -c "$CLIENT_CPU" "$WORK/openloop" -p "$PORT" \
      -r "$rate" -d "$DURATION" -m "1:$PATH_Q" -L "$rate" >"$WORK/run-$rate.csv"
    ticks1=$(awk '{ print $14 + $15 }' "/proc/$SERVER_PID/stat")
    kill -USR1 "$SERVER_PID"
    sleep 0.2
    rows="$rows $rate:$((ticks1 - ticks0))"
  done
  idle_collect 2
  # shellcheck disable=SC2086 # one argument per rate
  $PY - "$WORK" "$DURATION" "$(getconf CLK_TCK)" $rows <<'PY' | tee "$OUT/gc.txt"
import csv, json, sys
work, dur, hz = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
lines = [json.loads(l) for l in open(work + '/gc.jsonl')]
snaps = [l for l in lines if 'gen' in l]
idles = [l for l in lines if 'idle' in l]
print('# rate/s  answered/s  collections/s (gen 0, 1, 2)  gc share of '
      'cpu  cpu/request us  gc_request_garbage  objects  '
      'ms a collection (gen 0, 1, 2)')
full = []
for k, arg in enumerate(sys.argv[4:]):
    rate, ticks = arg.split(':')
    a, b = snaps[2 * k], snaps[2 * k + 1]
    rows = list(csv.reader(open('%s/run-%s.csv' % (work, rate))))
    done = float(rows[-1][10])  # openloop's `completed` column
    d = {g: [b['gen'][g][i] - a['gen'].get(g, [0, 0, 0])[i]
             for i in range(3)] for g in b['gen']}
    colls = [d.get(g, [0, 0, 0])[0] / dur for g in ('0', '1', '2')]
    cpu = sum(v[1] for v in d.values())
    garbage = sum(v[2] for v in d.values()) / done
    ms = ['%6.2f' % (1e3 * d[g][1] / d[g][0]) if d.get(g, [0])[0] else
          '     -' for g in ('0', '1', '2')]
    print('%7s  %10.1f  %6.1f %5.2f %5.2f  %8.3f  %14.0f  %18.1f  %7d  %s' % (
        rate, done / dur, colls[0], colls[1], colls[2],
        cpu / (int(ticks) / hz),
        int(ticks) / hz / done * 1e6, garbage, b['objects'], ' '.join(ms)))
    if d.get('2', [0])[0]:
        # a full collection examines every tracked object: about those
        # at the rate's end
        full.append(d['2'][1] / d['2'][0] / b['objects'])
for k, i in enumerate(idles):
    cpu = sorted(i['idle'])[len(i['idle']) // 2]
    print('# gc.collect() of the idle heap %s the load: %.2f ms for %d '
          'objects, %.3f us an object (median of %d)' % (
              ('before', 'after')[k > 0], 1e3 * cpu, i['objects'],
              1e6 * cpu / i['objects'], len(i['idle'])))
if full:
    print('# full collections under load: %s us an object' % ', '.join(
        '%.3f' % (1e6 * f) for f in full))
PY
}

main "$@"
