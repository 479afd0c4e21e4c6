#!/usr/bin/env bash
# layers.sh - the layers include only downward (README.md, "Architecture"):
# each layer's files may include the headers of the layers listed below it
# and their own, nothing above. Prints every include that reaches up and
# fails; run as `bash tests/layers.sh [SOURCE_DIR]`.
set -u
cd "${1:-$(dirname "$0")/..}" || exit 2
# bottom to top; output and workload share a floor and use neither other
layers=(kernel runtime models scenario "output workload" fit cli)
dir_of() { [ "$1" = models ] && echo models || echo "sim/$1"; }
bad=0
below=""
for floor in "${layers[@]}"; do
	allowed="$below $floor"
	for layer in $floor; do
		while IFS= read -r line; do
			inc=${line#*#include \"}
			top=${inc%%/*}
			case " $allowed " in *" $top "*) ;; *)
				echo "layers: $line (a $layer file includes $top, which is above it)"
				bad=1 ;;
			esac
		done < <(grep -Hn '^#include "[a-z_]*/' $(dir_of "$layer")/*.[ch] 2>/dev/null)
	done
	below="$allowed"
done
# output and workload are one floor: neither includes the other
for pair in "output workload" "workload output"; do
	set -- $pair
	if grep -Hn "^#include \"$2/" "sim/$1"/*.[ch]; then
		echo "layers: $1 includes $2 (one floor, no arrow between them)"
		bad=1
	fi
done
exit $bad
