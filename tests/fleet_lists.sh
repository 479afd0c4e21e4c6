#!/usr/bin/env bash
# fleet_lists.sh BENCH_FLEET - the replica yardstick's two event lists
# (tests/bench/fleet.c: a binary heap, a calendar queue) and its padded
# records give the same simulation: the same mean latency to 12 digits,
# over 10 queues and 1,000, whatever the records' lines (bench_fleet
# itself stops if time runs backwards). A calendar that lost an event's
# order fails it: checked by breaking its bucket sort and its year's
# step, and with the drifting day of the first version.
set -euo pipefail
bin=$1
# 1M requests at 10 queues: a calendar whose day drifted (a running sum
# of widths) took 305k events out of order there, and its mean latency
# moved from the 4th digit; 200k at 1,000 queues
for qn in 10:1000000 1000:200000; do
  q=${qn%:*} n=${qn#*:}
  ref=$("$bin" "$q" "$n" heap | sed -n 's/.*latency_mean=//p')
  for args in "cal" "cal 4 3" "heap 2 1"; do
    # shellcheck disable=SC2086 # the list and the lines, as words
    got=$("$bin" "$q" "$n" $args | sed -n 's/.*latency_mean=//p')
    if [ -z "$ref" ] || [ "$got" != "$ref" ]; then
      echo "FAIL: $q queues, $args: mean latency $got, the heap's $ref"
      exit 1
    fi
  done
  echo "ok: $q queues, mean latency $ref with every list and record size"
done
