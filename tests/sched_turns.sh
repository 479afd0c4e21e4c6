#!/usr/bin/env bash
# sched_turns.sh SOURCE_DIR - scripts/validate/sched_turns.py (the analysis
# of scripts/trace-sched.sh) on a made-up record of one core: two workers
# (11, 12), whose requests, gaps, preemptions and turns are known.
set -euo pipefail
src=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# time prev_pid prev_state next_pid: who left the core for whom
while read -r t prev state next; do
  printf '%12.6f:       sched:sched_switch: prev_comm=p%s prev_pid=%s prev_prio=120 prev_state=%s ==> next_comm=p%s next_pid=%s next_prio=120\n' \
    "$t" "$prev" "$prev" "$state" "$next" "$next"
done >"$tmp/sw.txt" <<'REC'
0.000000 0 R 11
0.001000 11 S 0
0.010000 0 R 12
0.030000 12 S 0
0.040000 0 R 11
0.041500 11 S 0
0.050000 0 R 12
0.055000 12 R 11
0.057000 11 S 12
0.072000 12 S 0
0.080000 0 R 12
0.080100 12 S 0
0.090000 0 R 11
REC
python3 "$src/scripts/validate/sched_turns.py" "$tmp/sw.txt" 11,12 \
  --out "$tmp/req.csv" >"$tmp/out.txt"
cat "$tmp/out.txt"
python3 - "$tmp/req.csv" "$tmp/out.txt" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
out = open(sys.argv[2]).read()
bad = []
def want(cond, what):
    if not cond:
        bad.append(what)
kinds = [(r["worker"], r["kind"]) for r in rows]
want(kinds == [("11", "short"), ("12", "long"), ("11", "short"), ("12", "long"),
               ("11", "short"), ("12", "tiny")], f"requests {kinds}")
r = rows[2]  # worker 11 at 40 ms: its gap 1-40 ms, idle 19 ms, worker 12 20 ms
want(abs(float(r["gap_ms"]) - 39) < 1e-3 and abs(float(r["idle_ms"]) - 19) < 1e-3
     and abs(float(r["others_ms"]) - 20) < 1e-3, f"gap of the 40 ms request {r}")
want(r["idle_workers"] == "2" and r["idle_rank"] == "0", f"turn at 40 ms {r}")
r = rows[3]  # worker 12 at 50 ms: preempted once, 20 ms of CPU over 22 ms
want(r["stretches"] == "2" and abs(float(r["cpu_ms"]) - 20) < 1e-3
     and abs(float(r["wall_ms"]) - 22) < 1e-3, f"preempted long request {r}")
want(r["idle_rank"] == "0", f"turn at 50 ms {r}")
r = rows[4]  # worker 11 at 55 ms, during 12's long request
want(r["during_long"] == "1" and abs(float(r["idle_ms"]) - 8.5) < 1e-3
     and abs(float(r["others_ms"]) - 5) < 1e-3 and r["idle_workers"] == "",
     f"request during the long one {r}")
want(rows[0]["during_long"] == "0", "the first request is not during a long one")
want("2 idle: 100% of 2" in out, "the turns' table")
want("during another worker's long request: n=1" in out, "the during-long line")
if bad:
    print("FAIL:", *bad, sep="\n  ")
    sys.exit(1)
print("ok")
PY
