#!/usr/bin/env bash
# calibrate-speed.sh - how much slower CPython runs the same application
# code than Node.js on this machine: figures for the `cpu_scale` key
# (issue 12 §2), which multiplies every `cpu` phase of a system.
#
#   bash scripts/calibrate-speed.sh     (~1-2 minutes; calibrate.sh runs it)
#
# Method. scripts/calibrate/speed/bench.js and bench.py run the same code,
# written the way each language's own standard library would have it (no
# packages beyond Node and CPython themselves):
#   json      JSON encode then decode of a ~9 KB API payload (16 orders with
#             a customer, an address, 3 items each and tags: nested objects
#             and arrays): JSON.stringify/JSON.parse vs json.dumps/json.loads
#             (compact separators, like JSON.stringify);
#   template  an HTML table of the payload's 48 items, one row template per
#             item with HTML escaping: template literals and String.replace
#             vs string.Template and html.escape;
#   regex     200 access-log lines parsed with one regular expression,
#             counting (status, path prefix): matchAll vs re.finditer;
#   compute   a sieve of Eratosthenes to 100 000 and a 200 000-step integer
#             loop (interpreter/JIT speed on plain loops).
# Each program sizes a batch to ~0.2 s of CPU (which also warms V8's JIT),
# then times REPS batches on its process CPU clock (process.cpuUsage,
# time.process_time) and prints microseconds per operation. Both run on
# SERVER_CPU (taskset), alternately, ROUNDS times each; a round's figure is
# the median of its REPS batches; the ratio of a round is CPython / Node.
# Printed per benchmark: Node and CPython microseconds (median over rounds)
# and the ratio's median, min and max over the rounds; then cpu_probe_ms
# (scripts/calibrate/cpuprobe.c before each round: the machine's speed).
# The ratio is the `cpu_scale` a Python system needs relative to a Node
# one whose `cpu` phases were measured in Node (and its inverse the other
# way); which benchmark fits depends on what the handlers do.
#
# Output: results/calibrate/speed.txt (printed) and speed-rounds.jsonl.
# Environment: ROUNDS (5), REPS (5), SERVER_CPU (0), OUT.
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${ROUNDS:-5}
REPS=${REPS:-5}
SERVER_CPU=${SERVER_CPU:-0}
OUT=${OUT:-results/calibrate}
PY=/usr/bin/python3
export PYTHONDONTWRITEBYTECODE=1

# shellcheck source=scripts/install-missing.sh
source scripts/install-missing.sh

WORK=""
cleanup() { [ -n "$WORK" ] && rm -rf "$WORK"; }
trap cleanup EXIT

main() {
  install_missing gcc libc6-dev nodejs python3
  mkdir -p "$OUT"
  WORK=$(mktemp -d)
  gcc -O2 -Wall -o "$WORK/cpuprobe" scripts/calibrate/cpuprobe.c
  : >"$OUT/speed-rounds.jsonl"
  local r
  for r in $(seq "$ROUNDS"); do
    echo "{\"round\": $r, \"probe_ms\": $(taskset -c "$SERVER_CPU" "$WORK/cpuprobe")}" \
      >>"$OUT/speed-rounds.jsonl"
    taskset -c "$SERVER_CPU" node scripts/calibrate/speed/bench.js "$REPS" |
      sed "s/^{/{\"round\": $r, \"runtime\": \"node\", /" >>"$OUT/speed-rounds.jsonl"
    taskset -c "$SERVER_CPU" "$PY" scripts/calibrate/speed/bench.py "$REPS" |
      sed "s/^{/{\"round\": $r, \"runtime\": \"cpython\", /" >>"$OUT/speed-rounds.jsonl"
  done
  {
    echo "# node $(node --version); python $($PY -c 'import platform; print(platform.python_version())');" \
      "rounds=$ROUNDS reps=$REPS server_cpu=$SERVER_CPU"
    "$PY" - "$OUT/speed-rounds.jsonl" <<'PYEOF'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
probes = [r["probe_ms"] for r in rows if "probe_ms" in r]
med = {}
for r in rows:
    if "bench" in r:
        med[(r["bench"], r["runtime"], r["round"])] = statistics.median(r["us_per_op"])
benches = list(dict.fromkeys(r["bench"] for r in rows if "bench" in r))
rounds = sorted({k[2] for k in med})
for b in benches:
    node = [med[(b, "node", i)] for i in rounds]
    py = [med[(b, "cpython", i)] for i in rounds]
    ratio = [p / n for p, n in zip(py, node)]
    print(f"speed_{b}: node_us={statistics.median(node):.1f} "
          f"cpython_us={statistics.median(py):.1f} "
          f"cpython_over_node median={statistics.median(ratio):.2f} "
          f"min={min(ratio):.2f} max={max(ratio):.2f} n={len(ratio)}")
print(f"cpu_probe_ms median={statistics.median(probes):.2f} min={min(probes):.2f} "
      f"max={max(probes):.2f} n={len(probes)}")
PYEOF
  } | tee "$OUT/speed.txt"
}

main "$@"
