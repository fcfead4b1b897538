#!/bin/bash
# SPDX-License-Identifier: MIT
#
# Calibrate the VM suite: build the kernel's own iommufd selftests
# (tools/testing/selftests/iommu/iommufd.c and iommufd_fail_nth.c) statically
# from the same source tree the guest kernel comes from, run them in the VM
# and print their kselftest totals.  Nothing from the kernel tree is copied
# into the repository: binaries go to BUILD_DIR/calibration/.
#
# Usage: calibrate.sh [--build-dir DIR] [--only iommufd|iommufd_fail_nth]
# Exit status: 0 if every selftest ran to its totals line (failures inside a
# selftest are reported, not fatal: they depend on the kernel configuration),
# 1 otherwise.

set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
build_dir=$repo/build/vm
only=""
while [[ $# -gt 0 ]]; do
	case $1 in
		--build-dir) build_dir=$2; shift 2 ;;
		--only) only=$2; shift 2 ;;
		*) echo "calibrate.sh: unknown argument '$1'" >&2; exit 2 ;;
	esac
done

src=$("$here/kernel.sh" --print-src)
uapi=$("$here/kernel.sh" --print-uapi)
selftests=$src/tools/testing/selftests
out=$build_dir/calibration
mkdir -p "$out"

programs=(iommufd iommufd_fail_nth)
[[ -z "$only" ]] || programs=("$only")
if [[ ! -f /usr/lib/x86_64-linux-gnu/libcap.a && ! -f /usr/lib/libcap.a ]]; then
	echo "calibrate.sh: libcap.a not found: apt-get install libcap-dev" >&2
	exit 1
fi
binaries=()
for p in "${programs[@]}"; do
	"${CC:-gcc}" -static -O2 -Wall -Wno-unused-function -D_GNU_SOURCE \
		-isystem "$uapi/include" -I"$selftests" \
		-o "$out/$p.t" "$selftests/iommu/$p.c" -lcap
	binaries+=("$out/$p.t")
done

# The selftests' own verdicts are read from their totals below; the VM run's
# pass/fail line only says whether each program exited 0.
set +e
"$here/run.sh" --build-dir "$build_dir" --name calibration \
	--test-timeout 1200 --timeout 2400 --allow-kernel-warnings "${binaries[@]}"
set -e

log=$build_dir/calibration.log
status=0
for p in "${programs[@]}"; do
	# kselftest_harness prints "# Totals: pass:N fail:N xfail:N xpass:N skip:N error:N"
	# once per program, in the order they ran.
	totals=$(tr -d '\r' < "$log" | awk -v name="$p.t" '
		/^VMTEST-BEGIN / { cur = $2 }
		cur == name && /# Totals:/ { sub(/.*# Totals: /, ""); print; exit }')
	if [[ -z "$totals" ]]; then
		echo "calibration: $p: no totals line in $log"
		status=1
	else
		echo "calibration: $p: $totals"
		tr -d '\r' < "$log" | awk -v name="$p.t" '
			/^VMTEST-BEGIN / { cur = $2 }
			cur == name && /^not ok / && !/# SKIP/ { print "calibration:   " $0 }'
	fi
done
exit $status
