#!/bin/bash
# SPDX-License-Identifier: MIT
#
# run.sh FUZZER MAKE_SEEDS TRACE WORKDIR SECONDS [DIR...] - generate the
# seed corpus (MAKE_SEEDS TRACE WORKDIR/seeds: make_seeds from the
# recorded trace and conformance sequences, or "seeds.sh KIND" for the
# targets that read files; MAKE_SEEDS "-": none; TRACE "-": no recorded
# trace), run the libFuzzer target for SECONDS on it and on each DIR
# (inputs of past findings, tests/fuzz/regress/NAME, which run first),
# and end with "N passed, M failed": 1 passed when the run ended without
# a crash, 1 failed otherwise (the crash input is kept in
# WORKDIR/artifacts).  WORKDIR is made absolute, for targets that change
# their directory.
set -uo pipefail

fuzzer=$1 make_seeds=$2 trace=$3 work=$4 seconds=$5
shift 5
mkdir -p "$work" && work=$(cd "$work" && pwd)
read -ra seed_cmd <<< "$make_seeds"
dirs=()
for d in "$@"; do
	dirs+=("$(cd "$d" && pwd)") || exit 1
done
corpus=$work/corpus
mkdir -p "$corpus" "$work/artifacts" "$work/seeds"
if [ "$make_seeds" = - ]; then
	: # a target without seeds (fuzz_restore builds its own streams)
elif [ -r "$trace" ] || [ "$trace" = - ]; then
	[ "$trace" = - ] && [ "${seed_cmd[0]##*/}" = make_seeds ] && trace=/dev/null
	"${seed_cmd[@]}" "$trace" "$work/seeds" || { echo "0 passed, 1 failed"; exit 1; }
else
	# The trace is part of the repository (tests/data): missing is a failure.
	echo "run.sh: $trace not readable (TRACE \"-\": conformance seeds only)"
	echo "fuzz: 0 passed, 1 failed"
	exit 1
fi
log=$work/fuzz.log
"$fuzzer" -max_total_time="$seconds" -print_final_stats=1 \
	-artifact_prefix="$work/artifacts/" -max_len=4096 \
	"$corpus" "$work/seeds" "${dirs[@]}" > "$log" 2>&1
status=$?
grep -E '^#[0-9]+.*(DONE|pulse|INITED)|^stat::|ERROR|invariant' "$log" | tail -15
if [ "$status" -eq 0 ]; then
	echo "fuzz: 1 passed, 0 failed"
else
	echo "fuzz: exit $status; log $log; artifacts in $work/artifacts"
	echo "fuzz: 0 passed, 1 failed"
fi
exit "$status"
