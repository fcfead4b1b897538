#!/bin/sh
# SPDX-License-Identifier: MIT
#
# "ioasctl exec" on the real kernel, run inside the VM (busybox sh): the
# child gets the iommufd as an inherited fd, the ids ioasctl prints are the
# kernel's, and a separate program (exec_helper, static, linked with
# libioasid) adopts the fd with ioasid_ctx_from_fd and maps into the IOAS
# whose id it was given.  Each case's whole output and exit status must
# equal the expected text.
#
# Exit status: 0 every case as expected, 1 otherwise.

files=${DIFF_FILES:-/files}
ioasctl=$files/ioasctl
helper=$files/exec_helper
tmp=${TMPDIR:-/tmp}/exec-test
mkdir -p "$tmp"
passed=0
failed=0

# check NAME: compare $tmp/actual with the expected text on stdin
check() {
	cat >"$tmp/expected"
	if diff -u "$tmp/expected" "$tmp/actual" >"$tmp/diff"; then
		echo "exec: PASS $1"
		passed=$((passed + 1))
	else
		echo "exec: FAIL $1 (expected vs actual):"
		sed 's/^/    /' "$tmp/diff"
		echo "    actual:"
		sed 's/^/    | /' "$tmp/actual"
		failed=$((failed + 1))
	fi
}

# run ARGS...: ioasctl ARGS, stdout and stderr and the exit status into
# $tmp/actual
run() {
	env -u IOASID_BACKEND -u IOASID_TOPOLOGY "$ioasctl" "$@" \
		</dev/null >"$tmp/out" 2>&1
	echo "--- exit $?" >>"$tmp/out"
	mv "$tmp/out" "$tmp/actual"
}

# The ids are the kernel's: IOAS 1; the mock's bind takes the backend's
# private IOAS 2, the selftest object 3, the device 4 and a HWPT 5 that the
# attach to vm0 replaces with 6 (see tests/scripts/diff-busy.batch).
# The child sees the fd open and the ids in its environment.
# shellcheck disable=SC2016 # expanded by the child's shell
run exec ioas vm0 device mock0 to vm0 -- sh -c \
	'test -e /proc/self/fd/$IOASCTL_IOMMUFD &&
	 echo "child: fd $IOASCTL_IOMMUFD is $(readlink /proc/self/fd/$IOASCTL_IOMMUFD), ioas vm0 is $IOASCTL_IOAS_VM0"'
check "child inherits the iommufd and the ids" <<'EOF'
iommufd 3
ioas vm0 id 1
device mock0 id 4 pt 1 hwpt 6
child: fd 3 is /dev/iommu, ioas vm0 is 1
--- exit 0
EOF

# A program of the VMM's kind: adopts the fd and maps into the IOAS.
run exec ioas a ioas b device mock0 to b device mock1 name m1 to b -- \
	sh -c "$helper \$IOASCTL_IOAS_B 0x1000000"
check "helper adopts the fd and maps into the IOAS" <<'EOF'
iommufd 3
ioas a id 1
ioas b id 2
device mock0 id 5 pt 2 hwpt 7
device mock1 id 8 pt 2 hwpt 7
helper: adopted iommufd 3
helper: ioas 2 alignment 0x800 0x1000000-0x7fffffff
helper: mapped ioas 2 iova 0x1000000 length 0x10000
helper: second map at 0x1000000: EEXIST
helper: unmapped 0x10000
--- exit 0
EOF

# The child's exit status is ioasctl's.
run exec ioas x -- sh -c 'exit 7'
check "exit status of the child" <<'EOF'
iommufd 3
ioas x id 1
--- exit 7
EOF

# Only the iommufd is inherited: ioasctl's other descriptors stay closed.
# The child's shell lists its descriptors below 16 (a glob would list its
# own directory handle; the pipe of each $(...) is gone before the next
# test).
# shellcheck disable=SC2016
run exec ioas x -- sh -c \
	'n=0; while [ $n -lt 16 ]; do
		[ -e /proc/$$/fd/$n ] && echo "fd $n $(readlink /proc/$$/fd/$n)"
		n=$((n + 1))
	done; true'
check "nothing else leaks into the child" <<EOF
iommufd 3
ioas x id 1
fd 0 /dev/null
fd 1 $tmp/out
fd 2 $tmp/out
fd 3 /dev/iommu
--- exit 0
EOF

echo "exec: $passed passed, $failed failed"
[ $failed -eq 0 ]
