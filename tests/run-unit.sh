#!/bin/bash
# SPDX-License-Identifier: MIT
#
# run-unit.sh TEST... - run each cmocka test program with a timeout and
# report it; the last line is "N passed, M failed" (N, M count programs).
# Exit status 77 means the test skipped itself.
#
# UNIT_TIMEOUT (seconds, default 60) bounds each program; a program's log
# is printed only when it fails, unless VERBOSE=1.
set -uo pipefail

timeout_s=${UNIT_TIMEOUT:-60}
passed=0 failed=0 skipped=0
logdir=$(mktemp -d)
trap 'rm -rf "$logdir"' EXIT

if [ $# -eq 0 ]; then
	echo "run-unit.sh: no unit tests were built"
	echo "0 passed, 1 failed"
	exit 1
fi

for test in "$@"; do
	name=$(basename "$test")
	log=$logdir/$name.log
	start=$(date +%s%N)
	timeout --kill-after=5 "$timeout_s" "$test" > "$log" 2>&1
	status=$?
	ms=$(( ($(date +%s%N) - start) / 1000000 ))
	case $status in
	0) result=PASS; passed=$((passed + 1)) ;;
	77) result=SKIP; skipped=$((skipped + 1)) ;;
	124 | 137) result="FAIL (timed out after ${timeout_s}s)"; failed=$((failed + 1)) ;;
	*) result="FAIL (exit $status)"; failed=$((failed + 1)) ;;
	esac
	printf '%-6s %s (%d ms)\n' "${result%% *}" "$name" "$ms"
	if [ "${result%% *}" = FAIL ] || [ "${VERBOSE:-0}" = 1 ]; then
		[ "${result%% *}" = FAIL ] && echo "    $result"
		sed 's/^/    | /' "$log"
	fi
done

[ "$skipped" -gt 0 ] && echo "($skipped skipped)"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
