#!/bin/bash
# SPDX-License-Identifier: MIT
#
# run-suite.sh - run one test suite and record its counts, so that make
# check can run every suite and print one total at the end.
#
#   run-suite.sh RESULTS NAME CMD [ARG...]   run CMD, write RESULTS/NAME
#   run-suite.sh --total RESULTS             print the sum, fail if any failed
#
# The counts come from the last "N passed, M failed" line CMD prints; a
# suite that prints none counts as one test passed or failed by its exit
# status.  A suite that exits non-zero is never counted as all passed.
set -uo pipefail

count_re='^([A-Za-z-]+: )?([0-9]+) passed, ([0-9]+) failed'

if [ "${1:-}" = --total ]; then
	results=$2
	passed=0 failed=0
	shopt -s nullglob
	for f in "$results"/*; do
		[ -f "$f" ] && [ "${f%.log}" = "$f" ] || continue
		read -r p fl < "$f"
		passed=$((passed + p)) failed=$((failed + fl))
		[ "$fl" -eq 0 ] || echo "FAILED: $(basename "$f") ($fl failed; log: $f.log)"
	done
	echo "$passed passed, $failed failed"
	[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
	exit
fi

results=$1 name=$2
shift 2
mkdir -p "$results"
log=$results/$name.log
"$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}

passed=0 failed=0 found=
while read -r line; do
	if [[ $line =~ $count_re ]]; then
		passed=${BASH_REMATCH[2]} failed=${BASH_REMATCH[3]} found=1
	fi
done < "$log"
if [ -z "$found" ]; then
	if [ "$status" -eq 0 ]; then passed=1; else failed=1; fi
elif [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
	failed=1
fi
echo "$passed $failed" > "$results/$name"
echo "== $name: $passed passed, $failed failed (exit $status)"
exit "$status"
