#!/usr/bin/env bash
# fault_walk.sh BIN - the fault-injection walk (a build configured with
# -DCONCSIM_FAULTS=ON; see sim/kernel/faults.h). For a small `run -o`, a
# small `sweep -o` and a `merge` of two shards, makes the N-th allocation
# fail, then the N-th output step (a temporary file created, flushed,
# renamed; a folder made), for N = 1, 2, ... until N passes the last one.
# At every N the command must
#   - exit 0 (the failure was absorbed) or 1, never crash, hang or exit 2;
#   - on failure, print one line, `concsim: error: ...`;
#   - leave no temporary file, and publish its results all or none: for
#     `run` and `merge` every result file or none; for `sweep` (whose
#     scenario.yaml and checkpoint results.csv come first) results.json
#     only with the final results.csv, and whole rows only.
# The merge runs twice, into a fresh folder and over an earlier merge's
# files (which a failure must leave as they were).
# Prints how many N it tried. Exits 1 at the first N that breaks a rule.
set -u
bin=$1
work=$(mktemp -d /tmp/concsim-faults-XXXXXX)
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1
cat > s.yaml <<'YAML'
duration: 100ms
warmup: 0s
replications: 2
workload:
  arrivals: { process: poisson, rate: 50/s }
  classes: [ { name: one, phases: [ {cpu: 1ms} ] } ]
systems: [ { name: s, model: event-loop }, { name: w, model: worker-pool } ]
YAML
fail() { echo "fault walk: $*" >&2; exit 1; }
# the files a run writes without a fault: every faulted run that still
# succeeds must write all of them
rm -rf out
"$bin" run s.yaml -q -j 1 -o out/x >/dev/null 2>&1 || fail "the run fails without a fault"
nfiles=$(ls out/x | wc -l)
rm -rf out
# two shards for merge, and the merge of them a fault-free merge writes
for i in 0 1; do
  "$bin" sweep s.yaml --param duration=100ms,200ms --shard $i/2 -q -j 1 \
    -o "shard$i" >/dev/null 2>&1 || fail "shard $i fails without a fault"
done
"$bin" merge shard0 shard1 -q -o merged >/dev/null 2>&1 || fail "the merge fails without a fault"
"$bin" sweep s.yaml --param duration=100ms,200ms -q -j 1 -o swept \
  >/dev/null 2>&1 || fail "the sweep fails without a fault"
# an earlier merge's files, which a failed merge over them must keep
mkdir earlier
printf 'old yaml\n' > earlier/scenario.yaml
printf 'old csv\n' > earlier/results.csv
printf 'old json\n' > earlier/results.json
tried=0
for cmd in ${FAULT_CMDS:-run sweep merge remerge}; do
  for kind in ALLOC IO; do
    n=${FAULT_START:-1}
    while :; do
      rm -rf out mark err.txt
      case $cmd in
        run) args=(run s.yaml -q -j 1 -o out/x) ;;
        sweep) args=(sweep s.yaml --param duration=100ms,200ms -q -j 1 -o out/x) ;;
        merge) args=(merge shard0 shard1 -q -o out/x) ;;
        remerge) mkdir -p out && cp -r earlier out/x
                 args=(merge shard0 shard1 -q -o out/x) ;;
      esac
      env "CONCSIM_FAIL_$kind=$n" "CONCSIM_FAULT_MARK=$work/mark" \
        timeout 60 "$bin" "${args[@]}" >/dev/null 2>err.txt
      rc=$?
      tried=$((tried + 1))
      what="$cmd, $kind fault $n"
      if [ ! -e mark ]; then
        [ $rc = 0 ] || fail "$what: no fault, yet exit $rc: $(head -1 err.txt)"
        break
      fi
      [ $rc = 0 ] || [ $rc = 1 ] || fail "$what: exit $rc: $(head -3 err.txt)"
      if [ $rc = 1 ]; then
        [ "$(wc -l < err.txt)" = 1 ] || fail "$what: $(wc -l < err.txt) lines: $(head -3 err.txt)"
        grep -q '^concsim: error: ' err.txt || fail "$what: '$(cat err.txt)'"
      fi
      if find out -name '*.tmp.*' 2>/dev/null | grep -q .; then
        fail "$what: temporary files left: $(find out -name '*.tmp.*')"
      fi
      case $cmd in
      run)
        k=$(ls out/x 2>/dev/null | wc -l)
        if [ $rc = 0 ]; then [ "$k" = "$nfiles" ] || fail "$what: exit 0 with $k files, not $nfiles"
        else [ ! -e out ] || fail "$what: failed, left $(find out | tr '\n' ' ')"; fi ;;
      sweep)
        if [ -e out/x/results.csv ]; then
          awk -F, 'NR == 1 { n = NF } NF != n { exit 1 }' out/x/results.csv ||
            fail "$what: a partial row in results.csv"
        fi
        if [ $rc = 0 ]; then
          for f in scenario.yaml results.csv results.json; do
            cmp -s out/x/$f swept/$f || fail "$what: exit 0, $f is not the sweep's"
          done
        elif [ -e out/x/results.json ]; then
          # a failed sweep saves the points it finished: a pair of the
          # same rows, never a results.json beside another results.csv
          c=$(($(wc -l < out/x/results.csv) - 1))
          j=$(awk '/"rows"/ { r = 1 } r && /^    \{/ { n++ } END { print n + 0 }' out/x/results.json)
          [ "$c" = "$j" ] || fail "$what: results.csv has $c rows, results.json $j"
        fi ;;
      merge)
        if [ $rc = 0 ]; then
          diff -r out/x merged >/dev/null || fail "$what: exit 0, not the merge's files"
        else [ ! -e out ] || fail "$what: failed, left $(find out | tr '\n' ' ')"; fi ;;
      remerge)
        if [ $rc = 0 ]; then
          diff -r out/x merged >/dev/null || fail "$what: exit 0, not the merge's files"
        else
          diff -r out/x earlier >/dev/null || fail "$what: failed, the earlier files changed: $(ls out/x)"
        fi ;;
      esac
      n=$((n + 1))
    done
    echo "$cmd: $((n - 1)) ${kind,,} faults"
  done
done
echo "fault walk: $tried runs, every fault a clean error"
