#!/usr/bin/env bash
# fleet_lists.sh BENCH_FLEET - the replica yardstick's two event lists
# (tests/bench/fleet.c: a binary heap, a calendar queue) and its padded
# records give the same simulation: the same mean latency to the last
# digit printed, over 10 queues and 1,000, whatever the records' lines
# (a calendar that lost an event's order fails it: checked by breaking
# its bucket sort and its year's step).
set -euo pipefail
bin=$1
for q in 10 1000; do
  ref=$("$bin" "$q" 50000 heap | sed -n 's/.*latency_mean=//p')
  for args in "cal" "cal 4 3" "heap 2 1"; do
    # shellcheck disable=SC2086 # the list and the lines, as words
    got=$("$bin" "$q" 50000 $args | sed -n 's/.*latency_mean=//p')
    if [ -z "$ref" ] || [ "$got" != "$ref" ]; then
      echo "FAIL: $q queues, $args: mean latency $got, the heap's $ref"
      exit 1
    fi
  done
  echo "ok: $q queues, mean latency $ref with every list and record size"
done
