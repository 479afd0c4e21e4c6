# shellcheck shell=bash
# compare_lib.sh - sourced by the tests of scripts/validate/compare.py
# (tests/compare_*.sh SOURCE_DIR): strict mode, $src, a temporary folder
# $tmp removed at exit, the script's path $cv, and
# expect WHAT WANTED GOT, which fails the test, showing both, unless equal.
set -euo pipefail
src=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# shellcheck disable=SC2034 # the tests that source this use it
cv="$src/scripts/validate/compare.py"
expect() {
  [ "$3" = "$2" ] && return 0
  printf '%s:\n%s\nwanted:\n%s\n' "$1" "$3" "$2" >&2
  exit 1
}
