#!/usr/bin/env bash
# sched_turns.sh SOURCE_DIR - scripts/validate/sched_turns.py (the analysis
# of scripts/trace-sched.sh) on a made-up record of one core: two workers
# (11, 12), whose requests, gaps, preemptions and turns are known; then
# with the workers' accept4 returns, which split requests served back to
# back and tell the herd's wake-ups from a request's own short sleeps.
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
0.055000 12 R+ 11
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

# with accept4: 11 takes two connections in one stretch (back to back),
# 12 wakes for one 11 took (its accept4 fails: -EAGAIN), then serves one
# with a 0.5 ms sleep inside it
{
  while read -r t prev state next; do
    printf '%5s %12.6f:       sched:sched_switch: prev_comm=p%s prev_pid=%s prev_prio=120 prev_state=%s ==> next_comm=p%s next_pid=%s next_prio=120\n' \
      "$prev" "$t" "$prev" "$prev" "$state" "$next" "$next"
  done <<'REC'
0.000000 0 R 11
0.003000 11 S 0
0.004000 0 R 12
0.004030 12 S 0
0.010000 0 R 12
0.012000 12 S 0
0.012500 0 R 12
0.013500 12 S 0
0.020000 0 R 11
0.021500 11 S 0
REC
  while read -r tid t ret; do
    printf '%5s %12.6f: syscalls:sys_exit_accept4: %s\n' "$tid" "$t" "$ret"
  done <<'REC'
11 0.000100 0x5
11 0.001500 0x6
12 0.004010 0xfffffffffffffff5
12 0.010100 0x5
11 0.020100 0x7
REC
} >"$tmp/acc.txt"
# the client's side: 4 requests scheduled at 0, 1, 9.5 and 19.5 ms
printf 'time_s,class\n0,0\n0.001,0\n0.0095,0\n0.0195,0\n' >"$tmp/schedule.csv"
printf 'scheduled_s,latency_s,class,result\n0,0.0035,0,0\n0.001,0.0025,0,0\n0.0095,0.0045,0,0\n0.0195,0.0025,0,0\n' >"$tmp/latency.csv"
python3 "$src/scripts/validate/sched_turns.py" "$tmp/acc.txt" 11,12 \
  --out "$tmp/acc.csv" --schedule "$tmp/schedule.csv" \
  --latency "$tmp/latency.csv" --warmup 0 >"$tmp/acc.out"
cat "$tmp/acc.out"
python3 - "$tmp/acc.csv" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
# accepted at 0.1, 1.5, 10.1 and 20.1 ms: 0.1 ms after the earliest's
# schedule at least, so 0, 0.4, 0.5 and 0.5 ms beyond the fastest
ta = [r["to_accept_ms"] for r in rows if r["kind"] != "tiny"]
if ta != ["0.0000", "0.4000", "0.5000", "0.5000"]:
    print("FAIL: scheduled send to accept", ta)
    sys.exit(1)
got = [(r["worker"], r["kind"], r["start_s"], r["cpu_ms"], r["stretches"]) for r in rows]
want = [("11", "short", "0.000000", "1.5000", "1"), ("11", "short", "0.001500", "1.5000", "1"),
        ("12", "tiny", "0.004000", "0.0300", "1"), ("12", "short", "0.010000", "3.0000", "2"),
        ("11", "short", "0.020000", "1.5000", "1")]
if got != want:
    print("FAIL: with accept4", *got, sep="\n  ")
    sys.exit(1)
print("ok (accept4)")
PY
