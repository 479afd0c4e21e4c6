#!/usr/bin/env bash
# install.sh BUILD_DIR SOURCE_DIR - `cmake --install` into a temporary
# prefix, then checks what a user of the installed tool gets: the binary
# that runs an installed example, the man page (rendered by man without a
# warning, with every command and scenario section), the bash completion
# (commands, options, --set paths and system keys), and the JSON Schema,
# which every example scenario must satisfy.
set -euo pipefail
build=$1 src=$2
prefix=$(mktemp -d /tmp/concsim-install-XXXXXX)
trap 'rm -rf "$prefix"' EXIT
fail() { echo "install.sh: $*" >&2; exit 1; }

cmake --install "$build" --prefix "$prefix" >/dev/null
bin=$prefix/bin/concsim
man1=$prefix/share/man/man1/concsim.1
comp=$prefix/share/bash-completion/completions/concsim
schema=$prefix/share/concsim/concsim.schema.json
for f in "$bin" "$man1" "$comp" "$schema" \
         "$prefix/share/concsim/scenarios/flagship.yaml"; do
  [ -s "$f" ] || fail "missing $f"
done
[ -x "$bin" ] || fail "$bin is not executable"
n=$(ls "$prefix"/share/concsim/scenarios/*.yaml | wc -l)
[ "$n" -eq "$(ls "$src"/scenarios/*.yaml | wc -l)" ] ||
  fail "$n example scenarios installed"

# the installed binary runs an installed example, from anywhere
(cd / && "$bin" check "$prefix/share/concsim/scenarios/flagship.yaml" >/dev/null) ||
  fail "the installed binary cannot check the installed flagship"
# its help sends nobody to a README
if "$bin" --help | grep -qi readme; then fail "--help mentions a README"; fi

# the man page renders, without warnings, and holds what help holds
page=$(MANWIDTH=80 man --warnings -l "$man1" 2>"$prefix/man.err")
[ ! -s "$prefix/man.err" ] || fail "man warns: $(head -3 "$prefix/man.err")"
for want in "COMMANDS" "SCENARIO FILE" "MODELS" "EXIT STATUS" \
            "workload.arrivals" "context_switch" "threadpool" "--timeseries"; do
  grep -qF -- "$want" <<<"$page" || fail "the man page lacks '$want'"
done
for cmd in $("$bin" --help | awk '/^commands:/{c=1;next} c&&/^  [a-z]/{print $1}'); do
  grep -q "^   $cmd\$" <<<"$page" || fail "the man page lacks command '$cmd'"
done

# bash completion: COMP_WORDS as bash would set them
complete_words() {
  bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1));
           _concsim; echo "${COMPREPLY[*]}"' sh "$comp" "$@"
}
expect() { # expect WANT WORDS...
  local want=$1; shift
  local got; got=$(complete_words "$@")
  grep -qwF -- "$want" <<<"$got" || fail "completing '$*' gave '$got', not '$want'"
}
expect run concsim ru
expect capacity concsim cap
expect --replications concsim run s.yaml --rep
expect --timeseries concsim run s.yaml --time
expect --resume concsim sweep s.yaml --res
expect --slo concsim capacity s.yaml --sl
expect scenario concsim help sc
expect json concsim run s.yaml --format j
expect workload.arrivals.rate= concsim run s.yaml --set workload.arrivals.r
expect systems.node.threadpool= concsim run s.yaml --set systems.node.thread
expect systems.web.cores= concsim sweep s.yaml --param systems.web.co
[ -z "$(complete_words concsim plot d --timeseries)" ] || true

# the schema: valid draft 2020-12, and every example satisfies it
out=$(python3 "$src/tests/schema_check.py" "$schema" "$prefix"/share/concsim/scenarios/*.yaml)
if grep -v '^valid ' <<<"$out"; then fail "scenarios the schema refuses"; fi
echo "install.sh: ok ($prefix)"
