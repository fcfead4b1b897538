#!/bin/bash
# SPDX-License-Identifier: MIT
#
# seeds.sh KIND TRACE OUTDIR - the seed corpus of fuzz_batch (KIND batch:
# the script tests' and the example's batch files), fuzz_ini (ini: the
# topologies of examples/ and tests/, the script tests' INI files and
# tests/fuzz/seeds/*.conf) or fuzz_trace (trace: the script tests'
# traces and the recorded guest TRACE cut into pieces of 50 lines after
# its first 3, each under the fuzzers' 4096-byte inputs; TRACE "-":
# none of it).  The inputs of past findings are in tests/fuzz/regress/,
# which run.sh reads as a second corpus.
set -euo pipefail

kind=$1 trace=$2 out=$3
root=$(cd "$(dirname "$0")/../.." && pwd)
mkdir -p "$out"
shopt -s nullglob

copy() { # FILE...
	for f in "$@"; do
		cp "$f" "$out/$(basename "$(dirname "$f")")-$(basename "$f")"
	done
}

case $kind in
batch)
	copy "$root"/tests/scripts/*.batch "$root"/examples/*.batch
	;;
ini)
	copy "$root"/examples/topologies/*.ini "$root"/tests/unit/topologies/*.ini \
		"$root"/tests/scripts/*.ini "$root"/tests/fuzz/seeds/*.conf
	;;
trace)
	copy "$root"/tests/scripts/*.trace
	if [ "$trace" != - ]; then
		total=$(wc -l < "$trace")
		for ((first = 4; first <= total; first += 50)); do
			{ head -n 3 "$trace"; sed -n "${first},$((first + 49))p" "$trace"; } \
				| head -c 4096 > "$out/recorded-$first.trace"
		done
	fi
	;;
*)
	echo "seeds.sh: unknown kind \"$kind\" (batch, ini or trace)" >&2
	exit 2
	;;
esac
echo "seeds.sh: $(find "$out" -type f | wc -l) $kind seeds in $out"
