#!/bin/sh
# SPDX-License-Identifier: MIT
#
# Differential test, run inside the VM (busybox sh): every batch script in
# /files/scripts marked "# differential" runs with the static ioasctl on
# the kernel backend (mock devices of CONFIG_IOMMUFD_TEST) and must print
# exactly its golden file, the one tests/scripts/run.sh compares the
# simulator's run with.  A difference fails; the diff is printed.
# The Makefile (target vm-files) stages /files: ioasctl and scripts/.
#
# Exit status: 0 all equal, 1 a difference or nothing to compare.

files=${DIFF_FILES:-/files}
ioasctl=$files/ioasctl
scripts=$files/scripts
out=${TMPDIR:-/tmp}/differential
mkdir -p "$out"

if [ ! -x "$ioasctl" ] || [ ! -d "$scripts" ]; then
	echo "differential: $ioasctl or $scripts missing (run via make vmcheck)"
	exit 1
fi

directive() { # FILE NAME: the value of "# NAME: value", if any
	sed -n "s/^# $2: *//p" "$1" | head -n 1
}

passed=0
failed=0
cd "$scripts" || exit 1
for batch in *.batch; do
	grep -q '^# differential$' "$batch" || continue
	name=${batch%.batch}
	opts=$(directive "$batch" options)
	modes=$(directive "$batch" modes)
	for mode in ${modes:-text}; do
		json=
		golden=$name.out
		label=$name
		if [ "$mode" = json ]; then
			json=-j
			golden=$name.json.out
			label="$name (json)"
		fi
		# No --sim and no IOASID_BACKEND: the kernel backend, as an
		# operator runs it.
		# shellcheck disable=SC2086 # word lists on purpose
		env -u IOASID_BACKEND -u IOASID_TOPOLOGY "$ioasctl" $json $opts \
			batch "$batch" >"$out/stdout" 2>"$out/stderr"
		rc=$?
		{
			echo "--- stdout"
			cat "$out/stdout"
			echo "--- stderr"
			cat "$out/stderr"
			echo "--- exit $rc"
		} >"$out/actual"
		if diff -u "$golden" "$out/actual" >"$out/diff"; then
			echo "differential: PASS $label"
			passed=$((passed + 1))
		else
			echo "differential: FAIL $label (kernel vs golden):"
			sed 's/^/    /' "$out/diff"
			failed=$((failed + 1))
		fi
	done
done
echo "differential: $passed passed, $failed failed"
if [ $((passed + failed)) -eq 0 ]; then
	echo "differential: no script is marked \"# differential\""
	exit 1
fi
[ $failed -eq 0 ]
