#!/usr/bin/env bash
# pgo.sh - the build is what it says it is (CMakeLists.txt, CONCSIM_PGO).
#
#   bash tests/pgo.sh BIN LIBRARY MODE     MODE: use, generate or empty
#
# `BIN --version`'s second line names the build's kind. With MODE=use,
# gcc must have taken the profiles: it puts the code the training ran
# most into .text.hot sections, which a build without profiles has none
# of; every object where the runs spend their time (the kernel, the host,
# the loop, the statistics, the draws, the workload, the GIL and every
# model, all exercised by scripts/pgo-train.sh) must have one. A release
# silently built without its profiles fails here.
set -euo pipefail
bin=$1 lib=$2 mode=${3:-}
build=$("$bin" --version | sed -n 's/^build: //p')
case $mode in
  use) want="profile-guided (gcc -fprofile-use)" ;;
  generate) want="instrumented for profile-guided optimisation" ;;
  "") want="plain (no profile-guided optimisation)" ;;
  *) echo "pgo.sh: unknown mode $mode" >&2; exit 2 ;;
esac
if [ "$build" != "$want" ]; then
  echo "pgo.sh: --version says 'build: $build', CONCSIM_PGO=$mode wants '$want'" >&2
  exit 1
fi
[ "$mode" = use ] || exit 0
hot=$(objdump -h "$lib" | awk '/file format/ {f = $1} /\.text\.hot/ {print f}' | sort -u)
fail=0
for o in kernel host loop stats rng workload gil \
         event_loop worker_pool async server replicas; do
  if ! grep -qx "$o.c.o:" <<< "$hot"; then
    echo "pgo.sh: $o.c.o has no .text.hot: built without its profile?" >&2
    fail=1
  fi
done
exit $fail
