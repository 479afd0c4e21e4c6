# shellcheck shell=bash
# refill-keys.sh - the keys a calibration of scripts/calibrate-refill.sh
# wrote (refill.txt) as concsim --set options (sourced: validate-real.sh,
# calibrate-refill.sh).

# refill_sets SYSTEM FILE: --set options, on one line, of the scenario's
# system SYSTEM from a calibrate-refill.sh refill.txt (validate-real.sh's
# prediction (c), calibrate-refill.sh's check of a wait): the keys it
# measured (gthread: its own where the file has them, else gunicorn sync's
# but the switch refill, which needs several processes; sync4, gunicorn
# sync with 4 workers: sync's, all of them): the refill and its time
# constants (the work's the idle's in a file from before 2026-12-05,
# which had one for both), and where the file has them (since
# 2026-12-03) its long part (else none, not the defaults'),
# request_overhead and sync's switch_refill
refill_sets() {
  local src=$1 file=$2 t w r k v sets
  if [ "$1" = gthread ] && ! grep -q '^gthread (' "$file"; then src=sync; fi
  [ "$1" != sync4 ] || src=sync
  t=$(sed -n 's/^cache_refill_time: \([0-9.]*ms\) .*/\1/p' "$file")
  r=$(sed -n "s/^$src ([a-z-]*): cache_refill: \(-\{0,1\}[0-9.]*\)us$/\1/p" "$file")
  if [ -z "$t" ] || [ -z "$r" ]; then
    echo "no refill of $src in $file" >&2
    return 1
  fi
  case $r in -*) r=0 ;; esac
  sets="--set systems.$1.cache_refill=${r}us --set systems.$1.cache_refill_time=$t"
  # the application's work's own pace, where the file has it (since
  # 2026-12-05); before, one time constant for both
  w=$(sed -n 's/^cache_refill_work_time: \([0-9.]*ms\)$/\1/p' "$file")
  w=${w:-$t}
  # a pace of 0 (no burns fitted, the idle's at once) is not one: the
  # models' default then
  if awk -v x="${w%ms}" 'BEGIN { exit !(x + 0 > 0) }'; then
    sets="$sets --set systems.$1.cache_refill_work_time=$w"
  fi
  # the long part, where the file has it (since 2026-12-03)
  t=$(sed -n 's/^cache_refill_long_time: \([0-9.]*ms\)$/\1/p' "$file")
  r=$(sed -n "s/^$src ([a-z-]*): cache_refill_long: \([0-9.]*\)us$/\1/p" "$file")
  if [ -n "$t" ] && [ -n "$r" ]; then
    sets="$sets --set systems.$1.cache_refill_long=${r}us --set systems.$1.cache_refill_long_time=$t"
  else # a file without it: no long part (not the defaults')
    sets="$sets --set systems.$1.cache_refill_long=0s"
  fi
  for k in request_overhead switch_refill; do
    [ "$k" != switch_refill ] || [ "$1" = sync ] || [ "$1" = sync4 ] || continue
    v=$(sed -n "s/^$src ([a-z-]*): $k: \([0-9.]*\)us$/\1/p" "$file" | tail -1)
    [ -z "$v" ] || sets="$sets --set systems.$1.$k=${v}us"
  done
  echo "$sets"
}
