#!/usr/bin/env bash
# trace-eevdf.sh - the kernel's own EEVDF state at each wake-up of a
# process that burns beside busy ones: the evidence for the hosts'
# `scheduler: eevdf` rules (sim/runtime/eevdf.c, host.c).
#
#   bash scripts/trace-eevdf.sh      install what is missing, trace (about
#                                    5 s a case), print the checks
#
# Runs scripts/calibrate/tickprobe.c (K busy processes and one that burns
# BURN_US of its CPU clock on a schedule, as calibrate-tick.sh) under
# bpftrace, on SERVER_CPU at nice -20. At each of the burner's wake-ups
# (the sched_waking and sched_wakeup tracepoints) it reads, through the
# kernel's BTF, every probe process's sched_entity: vruntime, deadline,
# vlag (the running one's protected vruntime, vprot, since Linux 6.17;
# its deadline stashed there before), sched_delayed, on_rq; and every
# switch to or from the burner. scripts/validate/eevdf_state.py then
# picks as the hosts do on the kernel's state after each wake-up, and
# says how often that agrees with the kernel's pick, why the burner
# waited when it did, and how a burner still delayed on the queue was
# requeued.
#
# On 2026-12-06 at 23:52 and 23:53 (the validation VM: Linux 6.18, 2
# vCPUs, CONFIG_HZ=250, se.slice 1.4 ms; BURN_US 1300): with one busy
# process the rules picked as the kernel did at 295 of 295 and 293 of 293
# wake-ups (the burner waited at 47 and 44, all but one behind the
# running process's earlier deadline), with two at 272 of 272 and 273 of
# 273 (waited at 166 and 164: 79 and 69 behind the running one
# protected, 63 and 60 behind the other's earlier deadline, 24 and 35
# behind the running one's). Of the wake-ups still delayed (33 and 32;
# 21 and 25), the kernel kept 28 and 27, 16 and 18 where they were (their
# v and deadline), exactly those whose lag against the running process's
# v as last accounted was not positive, and placed the others afresh: it
# requeues them (ttwu_runnable(), requeue_delayed_entity()) before the
# wake-up's update_curr(), which host.c follows (ev_run_as).
#
# Needs root (bpftrace), the kernel's BTF (/sys/kernel/btf/vmlinux) and
# tracefs; no kprobes. Output in OUT (default results/calibrate):
# eevdf-K.txt (the record), eevdf-K.csv (a row per wake-up, for pandas),
# eevdf.txt (the checks). Environment: HOGS ("1 2"), BURN_US (1300), N
# (300), SERVER_CPU (0), OUT.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/install-missing.sh
. scripts/install-missing.sh

HOGS=${HOGS:-"1 2"}
BURN_US=${BURN_US:-1300}
N=${N:-300}
SERVER_CPU=${SERVER_CPU:-0}
OUT=${OUT:-results/calibrate}
PY=/usr/bin/python3
WORK=""
trap '[ -z "$WORK" ] || rm -rf "$WORK"' EXIT

# The bpftrace program: the probe's processes, in the order first seen on
# a core (the burner starts first), by their task_struct, until they exit;
# cpid is the burner (bpftrace -c).
program() {
  cat <<'BT'
tracepoint:sched:sched_stat_runtime /comm == "tickprobe" && @t[pid] == 0/ {
  @t[pid] = (uint64)curtask; @idx[@n] = (uint64)curtask; @pid[@n] = pid;
  @n = @n + 1;
}
tracepoint:sched:sched_process_exit /@t[pid] != 0/ { @gone[pid] = 1; }
tracepoint:sched:sched_waking, tracepoint:sched:sched_wakeup /args->pid == cpid && @n > 0/ {
  printf("%s %llu cur=%d woke=%d", probe, nsecs, pid, args->pid);
  $i = 0;
  while ($i < 17) {
    if ($i < @n && @gone[@pid[$i]] == 0) {
      $x = (struct task_struct *)@idx[$i];
      printf(" | %d v=%llu d=%llu l=%lld del=%d onrq=%d", $x->pid, $x->se.vruntime,
             $x->se.deadline, $x->se.vlag, $x->se.sched_delayed, $x->se.on_rq);
    }
    $i = $i + 1;
  }
  printf("\n");
}
tracepoint:sched:sched_switch /args->prev_pid == cpid || args->next_pid == cpid/ {
  printf("SWITCH %llu %d->%d st=%lld\n", nsecs, args->prev_pid, args->next_pid, args->prev_state);
}
BT
}

# in_range NAME VALUE MIN MAX WHAT: one line and exit 2 unless VALUE is a
# whole number from MIN to MAX
in_range() {
  if ! [[ "$2" =~ ^[0-9]+$ ]] || [ "$2" -lt "$3" ] || [ "$2" -gt "$4" ]; then
    echo "trace-eevdf.sh: $1: want $5 $3-$4, not '$2'" >&2
    exit 2
  fi
}

main() {
  local k
  [[ "$HOGS" =~ [0-9] ]] || in_range HOGS "$HOGS" 1 16 "numbers"
  for k in $HOGS; do in_range HOGS "$k" 1 16 "numbers"; done
  in_range BURN_US "$BURN_US" 1 1000000 "microseconds"
  in_range N "$N" 1 100000 "wake-ups"
  in_range SERVER_CPU "$SERVER_CPU" 0 "$(($(getconf _NPROCESSORS_ONLN) - 1))" "an online CPU"
  [ "$(id -u)" -eq 0 ] || { echo "trace-eevdf.sh: bpftrace needs root" >&2; exit 2; }
  [ -r /sys/kernel/btf/vmlinux ] || { echo "trace-eevdf.sh: no kernel BTF (/sys/kernel/btf/vmlinux)" >&2; exit 2; }
  install_missing bpftrace gcc libc6-dev python3
  WORK=$(mktemp -d)
  gcc -O2 -Wall -Wextra -o "$WORK/tickprobe" scripts/calibrate/tickprobe.c
  program >"$WORK/eevdf.bt"
  local nice taskset
  nice=$(command -v nice)
  taskset=$(command -v taskset)
  # everything in WORK first: OUT gets whole files, or none
  mkdir -p "$WORK/out"
  for k in $HOGS; do
    # bpftrace starts the burner (cpid) and stops when it exits
    bpftrace -c "$nice -n -20 $taskset -c $SERVER_CPU $WORK/tickprobe $k $BURN_US $N" \
      "$WORK/eevdf.bt" >"$WORK/out/eevdf-$k.txt" 2>"$WORK/bpftrace.log" || {
      echo "trace-eevdf.sh: bpftrace failed (K=$k): $(grep -v -e WARNING -e RLIMIT_MEMLOCK -e '^ ' "$WORK/bpftrace.log" | head -1)" >&2
      exit 1
    }
    echo "K=$k busy processes:" >>"$WORK/out/eevdf.txt"
    "$PY" scripts/validate/eevdf_state.py "$WORK/out/eevdf-$k.txt" \
      -o "$WORK/out/eevdf-$k.csv" >>"$WORK/out/eevdf.txt" || {
      echo "trace-eevdf.sh: the record of K=$k has no wake-up to check ($WORK/out/eevdf-$k.txt)" >&2
      exit 1
    }
  done
  mkdir -p "$OUT"
  cp "$WORK"/out/* "$OUT"/
  cat "$OUT/eevdf.txt"
}

main "$@"
