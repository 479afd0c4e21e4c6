# shellcheck shell=bash
# sched-keys.sh - the scenarios' scheduler keys from the running kernel
# (sourced: validate-real.sh, calibrate-tick.sh).

# The scheduler's time slice on this machine: Linux's EEVDF scheduler (6.6
# and later) gives a task a base slice of 0.75 ms x (1 + log2(CPUs)), the
# CPUs counted up to 8 (kernel/sched/fair.c: sysctl_sched_base_slice,
# get_update_sysctl_factor()): 1.5 ms on this 2-vCPU machine, where
# `perf sched` showed two busy threads on one core alternating every
# 1.4-1.5 ms. Prints nothing on an older kernel (CFS).
eevdf_slice() {
  local major minor n
  IFS=. read -r major minor _ < <(uname -r)
  [ "$major" -gt 6 ] || { [ "$major" -eq 6 ] && [ "${minor%%[!0-9]*}" -ge 6 ]; } || return 0
  n=$(getconf _NPROCESSORS_ONLN) # num_online_cpus()
  awk -v n="$n" 'BEGIN { if (n > 8) n = 8; f = 1; while (n >= 2) { f++; n /= 2 }
    printf "%gms\n", 0.75 * f }'
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
