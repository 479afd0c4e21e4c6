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
# switches [bare]: `perf script` lines of sched_switch from lines "TIME
# PREV_PID PREV_STATE NEXT_PID" (who left the core for whom) on stdin, each
# led by the tid leaving, as `-F tid,time,event,trace` prints them (bare:
# without it, as `-F time,event,trace` does)
switches() {
  local t prev state next
  while read -r t prev state next; do
    [ "${1:-}" = bare ] || printf '%5s ' "$prev"
    printf '%12.6f:       sched:sched_switch: prev_comm=p%s prev_pid=%s prev_prio=120 prev_state=%s ==> next_comm=p%s next_pid=%s next_prio=120\n' \
      "$t" "$prev" "$prev" "$state" "$next" "$next"
  done
}
# accepts: `perf script` lines of accept4's returns from lines "TID TIME
# RETURN" on stdin
accepts() {
  local tid t ret
  while read -r tid t ret; do
    printf '%5s %12.6f: syscalls:sys_exit_accept4: %s\n' "$tid" "$t" "$ret"
  done
}
switches bare >"$tmp/sw.txt" <<'REC'
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

# with accept4, as gunicorn's sync loop runs (accept, serve, accept
# again, which fails with EAGAIN, then select()): 11 takes two connections
# in one stretch (back to back); 12 wakes for one that 11 took (its accept4
# fails); 12 serves one with a 0.5 ms sleep inside it; 12, having served,
# and then 11 wake again for nothing; 11 serves two more, back to back
{
  switches <<'REC'
0.000000 0 R 11
0.003000 11 S 0
0.004000 0 R 12
0.004030 12 S 0
0.010000 0 R 12
0.012000 12 S 0
0.012500 0 R 12
0.013500 12 S 0
0.015000 0 R 12
0.015030 12 S 0
0.017000 0 R 11
0.017030 11 S 0
0.020000 0 R 11
0.021500 11 S 0
REC
  accepts <<'REC'
11 0.000100 0x5
11 0.001500 0x6
11 0.002900 0xfffffffffffffff5
12 0.004010 0xfffffffffffffff5
12 0.010100 0x5
12 0.013450 0xfffffffffffffff5
12 0.015010 0xfffffffffffffff5
11 0.017010 0xfffffffffffffff5
11 0.020100 0x7
11 0.021000 0x8
11 0.021450 0xfffffffffffffff5
REC
} >"$tmp/acc.txt"
# the client's side: one request in its warm-up (before 1 s), then three,
# and their latencies (scheduled_s counts from the warm-up's end)
printf 'time_s,class\n0.9999,0\n1.001,0\n1.0095,0\n1.0195,0\n1.0205,0\n' >"$tmp/schedule.csv"
printf 'scheduled_s,latency_s,class,result\n0.001,0.0025,0,0\n0.0095,0.0045,0,0\n0.0195,0.0025,0,0\n0.0205,0.0015,0,0\n' >"$tmp/latency.csv"
python3 "$src/scripts/validate/sched_turns.py" "$tmp/acc.txt" 11,12 \
  --out "$tmp/acc.csv" --schedule "$tmp/schedule.csv" \
  --latency "$tmp/latency.csv" --warmup 1 >"$tmp/acc.out"
cat "$tmp/acc.out"
python3 - "$tmp/acc.csv" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
bad = []
got = [(r["worker"], r["kind"], r["start_s"], r["cpu_ms"], r["stretches"]) for r in rows]
want = [("11", "short", "0.000000", "1.5000", "1"), ("11", "short", "0.001500", "1.5000", "1"),
        ("12", "tiny", "0.004000", "0.0300", "1"), ("12", "short", "0.010000", "3.0000", "2"),
        ("12", "tiny", "0.015000", "0.0300", "1"), ("11", "tiny", "0.017000", "0.0300", "1"),
        ("11", "short", "0.020000", "1.0000", "1"), ("11", "short", "0.021000", "0.5000", "1")]
if got != want:
    bad.append("requests with accept4:\n    " + "\n    ".join(map(str, got)))
req = [r for r in rows if r["kind"] != "tiny"]
# accepted 0.1, 1.5, 10.1, 20.1 ms against scheduled 999.9, 1001, 1009.5,
# 1019.5 ms, and 21 against 1020.5: the first 0.2 ms ahead of the others,
# so 0, 0.3, 0.4, 0.4 and 0.3 ms beyond the fastest; the first was in the
# warm-up: no latency
ta = [r["to_accept_ms"] for r in req]
if ta != ["0.0000", "0.3000", "0.4000", "0.4000", "0.3000"]:
    bad.append(f"scheduled send to accept {ta}")
lat = [r["latency_ms"] for r in req]
if lat != ["", "2.5000", "4.5000", "2.5000", "1.5000"]:
    bad.append(f"latencies {lat}")
# a connection served back to back did not wait among the idle workers
if req[-1]["idle_rank"] != "":
    bad.append(f"the back to back request ranked {req[-1]}")
if len(rows) < 7:
    bad.append(f"{len(rows)} rows")
    print("FAIL:", *bad, sep="\n  ")
    sys.exit(1)
# 12's second wake-up: 1.5 ms after its request ended, all idle
r = rows[4]
if r["gap_ms"] != "1.5000" or r["idle_ms"] != "1.5000":
    bad.append(f"the gap before 12's wake-up {r}")
# 11 at 20 ms: since 3 ms, 12 ran 0.03 + 3.0 + 0.03 ms and 11 itself 0.03
r = rows[6]
if (abs(float(r["others_ms"]) - 3.06) > 1e-6 or abs(float(r["gap_ms"]) - 17) > 1e-6
        or abs(float(r["idle_ms"]) - 13.91) > 1e-6):
    bad.append(f"others' time in 11's gap {r}")
if bad:
    print("FAIL:", *bad, sep="\n  ")
    sys.exit(1)
print("ok (accept4)")
PY

# the herd, then a connection within the same activity (13 sleeps 0.17
# ms, less than the join): the failed wake-up is a tiny of its own, and
# the request starts at the second wake-up
{
  switches <<'REC'
0.000000 0 R 13
0.000030 13 S 0
0.000200 0 R 13
0.001200 13 S 0
REC
  printf '%s\n' "13 0.00001 0xfffffffffffffff5" "13 0.00021 0x5" \
    "13 0.00119 0xfffffffffffffff5" | accepts
} >"$tmp/herd.txt"
python3 "$src/scripts/validate/sched_turns.py" "$tmp/herd.txt" 13 \
  --out "$tmp/herd.csv" >/dev/null
python3 - "$tmp/herd.csv" <<'PY'
import csv, sys
got = [(r["kind"], r["start_s"], r["cpu_ms"]) for r in csv.DictReader(open(sys.argv[1]))]
if got != [("tiny", "0.000000", "0.0300"), ("short", "0.000200", "1.0000")]:
    print("FAIL: the herd, then a connection", got)
    sys.exit(1)
print("ok (herd)")
PY

# a long request preempted while three others start and end: a short one
# that starts after them, while the first still holds its place, runs
# during it (workers 21, 22, 23)
switches bare >"$tmp/long.txt" <<'REC'
0.000000 0 R 21
0.012000 21 R 22
0.024000 22 S 23
0.036000 23 S 22
0.048000 22 S 23
0.050000 23 S 21
0.060000 21 S 0
REC
python3 "$src/scripts/validate/sched_turns.py" "$tmp/long.txt" 21,22,23 \
  --out "$tmp/long.csv" >/dev/null
python3 - "$tmp/long.csv" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
got = [(r["worker"], r["kind"], r["during_long"]) for r in rows]
want = [("21", "long", "0"), ("22", "long", "1"), ("23", "long", "1"),
        ("22", "long", "1"), ("23", "short", "1")]
if got != want:
    print("FAIL: during a long request", got)
    sys.exit(1)
print("ok (during)")
PY
