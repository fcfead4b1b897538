# SPDX-License-Identifier: MIT
#
# Helpers for the NAME.test scripts that run.sh runs (sourced, not run).
# Environment: IOASCTL, TOPOLOGIES, TESTDIR (this directory), TMPDIR.
#
#   run ARGS...        ioasctl ARGS: prints "$ ioasctl ARGS", its stdout,
#                      its stderr (if any) and its exit status
#   run_sim ARGS...    the same with --sim=$TOPOLOGIES/x86-server.ini
#   run_in FILE ARGS   the same with stdin from FILE
#   note TEXT          a comment line in the output

run_in() {
	local input=$1 rc
	shift
	echo "\$ ioasctl ${*//$TOPOLOGIES\//}"
	"$IOASCTL" "$@" <"$input" >"$TMPDIR/lib.out" 2>"$TMPDIR/lib.err"
	rc=$?
	# Paths of this machine read as the topology's file name.
	sed "s|$TOPOLOGIES/||g" "$TMPDIR/lib.out"
	if [ -s "$TMPDIR/lib.err" ]; then
		echo "--- stderr"
		sed "s|$TOPOLOGIES/||g" "$TMPDIR/lib.err"
	fi
	echo "--- exit $rc"
}

run() {
	run_in /dev/null "$@"
}

run_sim() {
	run --sim="$TOPOLOGIES/x86-server.ini" "$@"
}

note() {
	echo "# $*"
}
