#!/bin/bash
# SPDX-License-Identifier: MIT
#
# Run the ioasctl script tests.  Each NAME.batch runs in batch mode on the
# simulator; its stdout, stderr and exit status must equal NAME.out, and,
# when the batch has a "# modes: ... json" line, the same run with -j must
# equal NAME.json.out.  Each NAME.test is a bash script that runs single
# ioasctl commands through the helpers of lib.sh (run, run_sim, ...); what
# it prints must equal NAME.out.
#
# Directives in a batch file's comments:
#   # topology: FILE     topology under $TOPOLOGIES (default x86-server.ini)
#   # options: OPTS      extra ioasctl options (for example -f)
#   # modes: text json   also check JSON output
#
# Usage: run.sh [--update] [NAME...]
#   --update   rewrite the golden files from what ioasctl prints now;
#              read every rewritten file before committing it.
# Environment: IOASCTL (the binary), TOPOLOGIES (topology directory),
# TIMEOUT (seconds per run, default 30).
set -u

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
IOASCTL=${IOASCTL:-$root/build/ioasctl}
TOPOLOGIES=${TOPOLOGIES:-$root/examples/topologies}
TIMEOUT=${TIMEOUT:-30}

update=0
if [ "${1:-}" = "--update" ]; then
	update=1
	shift
fi

if [ ! -x "$IOASCTL" ]; then
	echo "run.sh: $IOASCTL is not built" >&2
	exit 2
fi

directive() { # FILE NAME: the value of "# NAME: value", if any
	sed -n "s/^# $2: *//p" "$1" | head -n 1
}

# run_test NAME OUTFILE: run NAME.test and write what it prints
run_test() {
	local name=$1 out=$2 rc
	IOASCTL=$IOASCTL TOPOLOGIES=$TOPOLOGIES TESTDIR=$here TMPDIR=$tmp \
		timeout "$TIMEOUT" bash -c 'source "$TESTDIR/lib.sh"; source "$1"' \
		bash "$name.test" >"$out" 2>&1
	rc=$?
	[ "$rc" = 0 ] || echo "--- $name.test exit $rc" >>"$out"
}

# run_one NAME MODE OUTFILE: run NAME.batch and write the result
run_one() {
	local name=$1 mode=$2 out=$3 topo opts json=() rc
	topo=$(directive "$name.batch" topology)
	opts=$(directive "$name.batch" options)
	[ "$mode" = json ] && json=(-j)
	# shellcheck disable=SC2086 # OPTS is a word list on purpose
	timeout "$TIMEOUT" "$IOASCTL" --sim="$TOPOLOGIES/${topo:-x86-server.ini}" \
		"${json[@]}" $opts batch "$name.batch" \
		>"$tmp/stdout" 2>"$tmp/stderr"
	rc=$?
	{
		echo "--- stdout"
		cat "$tmp/stdout"
		echo "--- stderr"
		cat "$tmp/stderr"
		if [ "$rc" = 124 ]; then
			echo "--- timeout after ${TIMEOUT}s"
		else
			echo "--- exit $rc"
		fi
	} >"$out"
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$here" || exit 2

if [ $# -gt 0 ]; then
	names=("$@")
else
	names=()
	for f in *.batch *.test; do
		names+=("$f")
	done
fi

passed=0
failed=0
for name in "${names[@]}"; do
	kind=batch
	case $name in
	*.test) kind=test; name=${name%.test} ;;
	*.batch) name=${name%.batch} ;;
	*) [ -f "$name.test" ] && kind=test ;;
	esac
	if [ ! -f "$name.$kind" ]; then
		echo "FAIL $name: no $name.$kind"
		failed=$((failed + 1))
		continue
	fi
	modes=text
	[ $kind = batch ] && modes=$(directive "$name.batch" modes)
	for mode in ${modes:-text}; do
		case $mode in
		text) golden=$name.out; label=$name ;;
		json) golden=$name.json.out; label="$name (json)" ;;
		*)
			echo "FAIL $name: unknown mode \"$mode\""
			failed=$((failed + 1))
			continue
			;;
		esac
		if [ $kind = test ]; then
			run_test "$name" "$tmp/actual"
		else
			run_one "$name" "$mode" "$tmp/actual"
		fi
		if [ $update = 1 ]; then
			if ! cmp -s "$tmp/actual" "$golden" 2>/dev/null; then
				cp "$tmp/actual" "$golden"
				echo "UPDATED $label"
			fi
			passed=$((passed + 1))
		elif [ ! -f "$golden" ]; then
			echo "FAIL $label: no golden file $golden"
			failed=$((failed + 1))
		elif diff -u "$golden" "$tmp/actual" >"$tmp/diff"; then
			echo "PASS $label"
			passed=$((passed + 1))
		else
			echo "FAIL $label"
			head -n 40 "$tmp/diff" | sed 's/^/    /'
			failed=$((failed + 1))
		fi
	done
done

echo "$passed passed, $failed failed"
[ $failed = 0 ]
