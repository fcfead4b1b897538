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
# Exit status: 0 if every selftest ran to its totals line and nothing failed
# but the known failures listed below; 1 otherwise.  The last line is
# "N passed, M failed" over the selftests' own cases, where M counts the
# unexpected failures; known failures are listed and counted on the line
# before it, like kselftest's xfail.

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

# Failures explained in docs/TESTING.md (Calibration): in linux-source 7.3.4
# the mock's IOMMU_TEST_OP_DMABUF_GET installs the dma-buf fd but returns 0,
# so these cases use fd 0 instead of the dma-buf.
known_failures=(
	iommufd_ioas.{no_domain,mock_domain,two_mock_domain,mock_domain_limit}.dmabuf_{simple,revoke}
)
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
	--test-timeout 1200 --timeout 2400 "${binaries[@]}"
set -e

log=$build_dir/calibration.log
status=0
total_pass=0
total_fail=0
total_known=0
for p in "${programs[@]}"; do
	# kselftest_harness prints "# Totals: pass:N fail:N xfail:N xpass:N skip:N
	# error:N" once per program; VMTEST-BEGIN lines tell the programs apart.
	section=$(tr -d '\r' < "$log" | awk -v name="$p.t" '
		/VMTEST-BEGIN / { cur = $NF } cur == name')
	totals=$(sed -n 's/.*# Totals: //p' <<<"$section" | tail -n 1)
	if [[ -z "$totals" ]]; then
		echo "calibration: $p: no totals line in $log"
		status=1
		total_fail=$((total_fail + 1))
		continue
	fi
	echo "calibration: $p: $totals"
	pass=$(sed -n 's/^pass:\([0-9]*\) .*/\1/p' <<<"$totals")
	total_pass=$((total_pass + pass))
	while read -r name; do
		[[ -n "$name" ]] || continue
		known=0
		for k in "${known_failures[@]}"; do
			[[ "$name" == "$k" ]] && known=1
		done
		if [[ $known -eq 1 ]]; then
			echo "calibration:   known failure: $name"
			total_known=$((total_known + 1))
		else
			echo "calibration:   NEW failure: $name"
			total_fail=$((total_fail + 1))
			status=1
		fi
	done < <(sed -n 's/^not ok [0-9]* \([^ ]*\)$/\1/p' <<<"$section")
done
echo "$total_known known failures"
echo "$total_pass passed, $total_fail failed"
exit $status
