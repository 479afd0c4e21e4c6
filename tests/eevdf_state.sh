#!/usr/bin/env bash
# eevdf_state.sh SOURCE_DIR - scripts/validate/eevdf_state.py (the analysis
# of scripts/trace-eevdf.sh) on a made-up record: a burner (1) waking
# beside a busy process (2), once beside two (2, 3), in cases whose pick
# is known: owed, it preempts at once; at V, the running one's earlier
# deadline keeps the core; eligible and protected, the running one keeps
# it; another waiting with an earlier deadline takes it, and one with the
# same deadline, in the tree before the burner; woken still
# delayed, kept where it was (its lag against the running one's stale v
# not positive) and placed afresh (positive); a wake-up in its own
# context, not counted; one the kernel did not follow, counted as a
# disagreement; a line cut short, and a last wake-up (named by woke=, its
# entity not first) with no switch after it, both left out. Two lines
# name their tracepoints, as bpftrace prints them.
set -euo pipefail
src=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat >"$tmp/rec.txt" <<'REC'
Attaching 5 probes...
tracepoint:sched:sched_wakeup 1000000 cur=2 | 1 v=100 d=1500 l=0 del=0 onrq=1 | 2 v=200 d=300 l=150 del=0 onrq=1
SWITCH 1010000 2->1 st=0
SWITCH 2000000 1->2 st=1
WAKEUP 3000000 cur=2 | 1 v=200 d=300 l=0 del=0 onrq=1 | 2 v=200 d=280 l=150 del=0 onrq=1
SWITCH 6000000 2->1 st=0
SWITCH 7000000 1->2 st=1
WAKEUP 8000000 cur=2 | 1 v=150 d=250 l=0 del=0 onrq=1 | 2 v=150 d=300 l=160 del=0 onrq=1
SWITCH 9000000 2->1 st=0
SWITCH 10000000 1->2 st=1
tracepoint:sched:sched_waking 11000000 cur=2 | 1 v=300 d=310 l=310 del=1 onrq=1 | 2 v=250 d=400 l=300 del=0 onrq=1
WAKEUP 11000100 cur=2 | 1 v=300 d=310 l=-25 del=0 onrq=1 | 2 v=400 d=450 l=300 del=0 onrq=1
SWITCH 11020000 2->1 st=0
SWITCH 12000000 1->2 st=1
WAKING 13000000 cur=2 | 1 v=300 d=310 l=310 del=1 onrq=1 | 2 v=400 d=450 l=300 del=0 onrq=1
WAKEUP 13000100 cur=2 | 1 v=400 d=500 l=0 del=0 onrq=1 | 2 v=400 d=450 l=300 del=0 onrq=1
SWITCH 16000000 2->1 st=0
SWITCH 17000000 1->2 st=1
WAKEUP 18000000 cur=2 | 1 v=100 d=300 l=0 del=0 onrq=1 | 2 v=200 d=250 l=0 del=0 onrq=1 | 3 v=90 d=150 l=0 del=0 onrq=1
SWITCH 18010000 2->3 st=0
SWITCH 22000000 3->1 st=0
SWITCH 23000000 1->2 st=1
WAKEUP 23500000 cur=2 | 1 v=100 d=300 l=0 del=0 onrq=1 | 2 v=200 d=250 l=0 del=0 onrq=1 | 3 v=100 d=300 l=0 del=0 onrq=1
SWITCH 23510000 2->3 st=0
SWITCH 23900000 3->2 st=0
WAKEUP 24000000 cur=1 | 1 v=500 d=600 l=0 del=0 onrq=1 | 2 v=500 d=600 l=0 del=0 onrq=1
WAKEUP 25000000 cur=2 | 1 v=100 d=1500 l=0 del=0 onrq=1 | 2 v=200 d=300 l=150 del=0 onrq=1
SWITCH 28000000 2->1 st=0
WAKEUP 29000000 cur=2 | 1 v=100 d=
WAKEUP 30000000 cur=2 woke=1 | 2 v=200 d=300 l=150 del=0 onrq=1 | 1 v=100 d=1500 l=0 del=0 onrq=1
REC
got=$(python3 "$src/scripts/validate/eevdf_state.py" "$tmp/rec.txt" -o "$tmp/rows.csv")
want='8 wake-ups: the rules pick as the kernel did in 7; the burner got the core at once in 2 (25 %)
  waited, the running task earlier: 2
  waited, another waiting task earlier: 2
  waited, the running task protected: 1
  waited, the burner was the pick: 1
2 woke still delayed: kept where they were 1 times, 1 of them with a lag not positive against the stale v; placed afresh 1 times, 1 of them with a positive one
not checked: in its own context 1, no switch after it 1, 1 lines cut short'
[ "$got" = "$want" ] || { printf 'eevdf_state.py printed:\n%s\nwanted:\n%s\n' "$got" "$want" >&2; exit 1; }
# a row per wake-up, the kept one with its stale lag
[ "$(wc -l <"$tmp/rows.csv")" -eq 9 ] || { echo "rows.csv: want 8 rows" >&2; exit 1; }
grep -q '^11000100,2,300,310,1,1,,1,1,-25.0$' "$tmp/rows.csv" || { echo "rows.csv: the kept wake-up's row is wrong" >&2; exit 1; }
# a record with no wake-up is an error; a missing one, one line and exit 2
echo 'SWITCH 1 1->2 st=1' >"$tmp/none.txt"
if python3 "$src/scripts/validate/eevdf_state.py" "$tmp/none.txt" 2>/dev/null; then
  echo "a record with no wake-up: want exit 1" >&2
  exit 1
fi
rc=0
err=$(python3 "$src/scripts/validate/eevdf_state.py" "$tmp/missing.txt" 2>&1) || rc=$?
[ "$rc" -eq 2 ] && [ "$(printf '%s\n' "$err" | wc -l)" -eq 1 ] ||
  { echo "a missing record: want one line and exit 2, got $rc: $err" >&2; exit 1; }
echo "eevdf_state: ok"
