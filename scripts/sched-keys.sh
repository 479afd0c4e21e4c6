# shellcheck shell=bash
# sched-keys.sh - the scenarios' scheduler keys from the running kernel
# (sourced: validate-real.sh, calibrate-tick.sh, calibrate-gil.sh,
# calibrate-split.sh).

# The scheduler's time slice on this machine: Linux's EEVDF scheduler (6.6
# and later) gives a task a base slice scaled by 1 + log2(CPUs), the CPUs
# counted up to 8 (kernel/sched/fair.c: sysctl_sched_base_slice,
# get_update_sysctl_factor()). The base was 0.75 ms until Linux 6.15 cut
# it to 0.70 ms (commit 2ae891b8269, "sched: Reduce the default slice to
# avoid tasks getting an extra tick", since backported to the 6.12 stable
# series). The running kernel says its own (a sysctl may have changed it)
# in /proc/self/sched, `se.slice` in nanoseconds: 1400000 on the
# validation VM (Linux 6.18, 2 vCPUs), where `perf sched` showed two busy
# threads on one core alternating every 1.4-1.5 ms. Without that line,
# the formula with the base of the kernel's version (a stable 6.12 may
# have either). Prints nothing on an older kernel (CFS).
eevdf_slice() {
  local major minor n ns base
  IFS=. read -r major minor _ < <(uname -r)
  minor=${minor%%[!0-9]*}
  [ "$major" -gt 6 ] || { [ "$major" -eq 6 ] && [ "$minor" -ge 6 ]; } || return 0
  ns=$(sed -n 's/^se\.slice[[:space:]]*:[[:space:]]*\([0-9][0-9]*\)$/\1/p' /proc/self/sched 2>/dev/null | head -1)
  if [ -n "$ns" ] && [ "$ns" -gt 0 ]; then
    awk -v ns="$ns" 'BEGIN { printf "%gms\n", ns / 1e6 }'
    return 0
  fi
  base=0.70
  [ "$major" -gt 6 ] || [ "$minor" -ge 15 ] || base=0.75
  n=$(getconf _NPROCESSORS_ONLN) # num_online_cpus()
  awk -v n="$n" -v b="$base" 'BEGIN { if (n > 8) n = 8; f = 1; while (n >= 2) { f++; n /= 2 }
    printf "%gms\n", b * f }'
}

# kernel_tick: the scheduler's tick, 1/CONFIG_HZ, from the running
# kernel's configuration (/proc/config.gz, or /boot/config-RELEASE); prints
# nothing when neither is there. Linux acts on a used-up slice only at
# its tick (the HRTICK feature, which would end it on time, is off by
# default: kernel/sched/features.h): the `tick` key.
kernel_tick() {
  local hz
  hz=$({ zcat /proc/config.gz 2>/dev/null || cat "/boot/config-$(uname -r)" 2>/dev/null || true; } |
    sed -n 's/^CONFIG_HZ=\([0-9]*\)$/\1/p' | head -1)
  [ -z "$hz" ] || awk -v hz="$hz" 'BEGIN { printf "%gms\n", 1000 / hz }'
}
