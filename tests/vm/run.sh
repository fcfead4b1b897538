#!/bin/bash
# SPDX-License-Identifier: MIT
#
# Run test programs inside a QEMU (TCG) guest whose kernel has iommufd, VFIO
# cdevs and the iommufd test mock, with an emulated intel-iommu and QEMU's edu
# device for real DMA.  See docs/TESTING.md.
#
# Usage: run.sh [OPTIONS] [TEST...]
#   TEST...  static executables to run in the guest, in order.  Without any,
#            the harness's own tests (tests/vm/*.c) are built into
#            BUILD_DIR/tests/NAME.t and every BUILD_DIR/tests/*.t is run.
# Options:
#   --build-dir DIR      where binaries, initramfs and logs go
#                        (default $BUILD/vm if BUILD is set, else build/vm)
#   --name NAME          names the log and initramfs (default vmtest)
#   --timeout SECS       limit for the whole boot (default 900)
#   --test-timeout SECS  limit for each test inside the guest (default 300)
#   --hugepages N        2 MiB huge pages reserved in the guest (default 64)
#   --append ARGS        extra kernel command line arguments
#   --files DIR          copy DIR's contents to /files in the guest
#   --allow-kernel-warnings  do not fail on WARNING:/BUG: in the kernel log
#   --arch ARCH          x86 (default: q35, intel-iommu), arm64 (virt, GICv3,
#                        SMMUv3; kernel.sh --arch arm64), arm64-64k (the same
#                        with a 64 KiB-page kernel).  The log and initramfs of
#                        an arm64 lane are named vmtest-ARCH[-VARIANT].  Tests
#                        given must be built for ARCH (make vmcheck VM_ARCH=).
#   --kernel NAME        the guest kernel (kernel.sh --kernel: 7.3, the
#                        default; 6.12; 7.3-noiommufd).  A kernel other
#                        than 7.3 names the log vmtest-NAME[-VARIANT].
#   --variant NAME       the QEMU configuration (default: default):
#                          default  intel-iommu aw-bits=48, 1 edu, 2 CPUs
#                          aw39     intel-iommu aw-bits=39 (QEMU 7.2's own
#                                   default width), 2 edu devices, 1 CPU
#                                   (x86 only)
#                          viommu   virtio-iommu-pci instead of intel-iommu
#                                   (no interrupt remapping, so the kernel
#                                   gets iommufd.allow_unsafe_interrupts=1),
#                                   1 edu, 2 CPUs (x86 only)
#                          noiommu  no IOMMU at all (q35 alone), VFIO's no-IOMMU
#                                   mode (vfio.enable_unsafe_noiommu_mode=1:
#                                   edu gets a noiommu-vfioN cdev), 1 edu
#                                   with a 64-bit DMA mask, 2 CPUs (x86 only)
#                          2edu     (arm64) 2 edu devices, 1 CPU
#                        The log and initramfs are named vmtest-NAME for any
#                        variant but default.  Each knob can also be set alone
#                        (after --variant, which sets them all):
#   --aw-bits N|qemu     intel-iommu's address width; qemu: leave it to QEMU
#                        (x86 only; viommu has no intel-iommu to give it to)
#   --edu N              number of edu devices
#   --smp N              number of CPUs
# Environment: IOASID_CACHE (see kernel.sh), BUILD, QEMU, CC, VM_VARIANT,
# VM_ARCH and VM_KERNEL (the defaults for --variant, --arch and --kernel).
#
# Output: one line per test ("PASS name (secs s)"), then "N passed, M failed".
# Exit status: 0 if every test passed or skipped; 1 if a test failed, a result
# is missing, the guest did not boot or timed out; 2 on a usage error.

set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
build_dir=${BUILD:+$BUILD/vm}
build_dir=${build_dir:-$repo/build/vm}
name=vmtest
timeout_secs=900
test_timeout=300
hugepages=64
append=""
files=()
allow_warnings=0
name_set=0
# The knobs of a variant (set_variant) and their defaults.
aw_bits=48
edus=1
smp=2
iommu=intel
variant=default
arch=${VM_ARCH:-x86}
kernel=${VM_KERNEL:-7.3}
set_variant() {
	variant=$1
	case $1 in
		default) aw_bits=48 edus=1 smp=2 iommu=intel ;;
		aw39) aw_bits=39 edus=2 smp=1 iommu=intel ;;
		viommu) aw_bits=48 edus=1 smp=2 iommu=virtio ;;
		noiommu) aw_bits=48 edus=1 smp=2 iommu=none ;;
		2edu) aw_bits=48 edus=2 smp=1 iommu=intel ;;
		*) echo "run.sh: unknown variant '$1' (default, aw39, viommu, noiommu, 2edu)" >&2; exit 2 ;;
	esac
}
set_variant "${VM_VARIANT:-default}"

usage() { awk 'NR > 2 && /^#/ { sub(/^# ?/, ""); print; next } NR > 2 { exit }' "$0"; }
while [[ $# -gt 0 ]]; do
	case $1 in
		--build-dir) build_dir=$2; shift 2 ;;
		--name) name=$2; name_set=1; shift 2 ;;
		--timeout) timeout_secs=$2; shift 2 ;;
		--test-timeout) test_timeout=$2; shift 2 ;;
		--hugepages) hugepages=$2; shift 2 ;;
		--append) append=$2; shift 2 ;;
		--files) files=(--files "$2"); shift 2 ;;
		--allow-kernel-warnings) allow_warnings=1; shift ;;
		--arch) arch=$2; shift 2 ;;
		--kernel) kernel=$2; shift 2 ;;
		--variant) set_variant "$2"; shift 2 ;;
		--aw-bits) aw_bits=$2; shift 2 ;;
		--edu) edus=$2; shift 2 ;;
		--smp) smp=$2; shift 2 ;;
		-h | --help) usage; exit 0 ;;
		--) shift; break ;;
		-*) echo "run.sh: unknown option '$1'" >&2; usage >&2; exit 2 ;;
		*) break ;;
	esac
done

case $arch in
	x86) qemu=${QEMU:-qemu-system-x86_64} cc=${CC:-gcc} qemu_pkg=qemu-system-x86
		[[ $variant != 2edu ]] || { echo "run.sh: variant 2edu is for arm64" >&2; exit 2; } ;;
	arm64 | arm64-64k)
		qemu=${QEMU:-qemu-system-aarch64} cc=${CC:-aarch64-linux-gnu-gcc} qemu_pkg=qemu-system-arm
		[[ $variant != aw39 && $variant != viommu && $variant != noiommu ]] ||
			{ echo "run.sh: variant $variant is for x86" >&2; exit 2; }
		[[ $name_set -eq 1 ]] || name=$name-$arch ;;
	*) echo "run.sh: unknown --arch '$arch' (x86, arm64, arm64-64k)" >&2; exit 2 ;;
esac
[[ $name_set -eq 1 || $kernel == 7.3 ]] || name=$name-$kernel
[[ $name_set -eq 1 || $variant == default ]] || name=$name-$variant
[[ $aw_bits == qemu || $aw_bits =~ ^[0-9]+$ ]] || { echo "run.sh: --aw-bits $aw_bits" >&2; exit 2; }
[[ $edus =~ ^[0-9]+$ && $smp =~ ^[1-9][0-9]*$ ]] || { echo "run.sh: --edu $edus --smp $smp" >&2; exit 2; }

say() { echo "vm: $*"; }
die() { echo "vm: error: $*" >&2; echo "0 passed, 1 failed"; exit 1; }

command -v "$qemu" >/dev/null || die "$qemu not found (scripts/deps.sh: $qemu_pkg)"
command -v "$cc" >/dev/null || die "$cc not found (scripts/deps.sh vm-arm64)"

bzimage=$("$here/kernel.sh" --arch "$arch" --kernel "$kernel" --print-image) ||
	die "could not get a kernel (tests/vm/kernel.sh --arch $arch --kernel $kernel)"
uapi=$("$here/kernel.sh" --arch "$arch" --print-uapi) ||
	die "could not get uAPI headers (tests/vm/kernel.sh --arch $arch)"
if [[ $arch != x86 ]]; then
	BUSYBOX=$("$here/sysroot.sh" --arch "$arch" --print-busybox) ||
		die "could not get an $arch busybox (tests/vm/sysroot.sh)"
	export BUSYBOX
fi

mkdir -p "$build_dir/tests"
tests=("$@")
if [[ ${#tests[@]} -eq 0 ]]; then
	for src in "$here"/*.c; do
		out=$build_dir/tests/$(basename "$src" .c).t
		"$cc" -std=gnu11 -O2 -Wall -Wextra -Werror -static \
			-isystem "$uapi/include" -o "$out" "$src" ||
			die "building $src failed"
	done
	shopt -s nullglob
	tests=("$build_dir"/tests/*.t)
	shopt -u nullglob
fi
[[ ${#tests[@]} -gt 0 ]] || die "no tests to run"

initrd=$build_dir/$name.cpio.gz
log=$build_dir/$name.log
"$here/initramfs.sh" --hugepages "$hugepages" --test-timeout "$test_timeout" \
	"${files[@]}" "$initrd" "${tests[@]}" || die "packing the initramfs failed"

# The machine and the variant's QEMU devices.
if [[ $arch == x86 ]]; then
	console=ttyS0
	edu_dev=edu
	if [[ $iommu == none ]]; then
		# No IOMMU: VFIO hands edu out only in its unsafe no-IOMMU
		# mode, and edu then sees guest physical addresses, which lie
		# above its default 28-bit DMA mask.
		machine=(-accel tcg -M q35)
		kargs="vfio.enable_unsafe_noiommu_mode=1"
		edu_dev=edu,dma_mask=0xffffffffffffffff
	elif [[ $iommu == virtio ]]; then
		# virtio-iommu remaps no interrupts: VFIO binds edu only when
		# iommufd is told that MSIs need not be isolated.
		iommu_dev=virtio-iommu-pci
		machine=(-accel tcg -M q35)
		kargs="iommufd.allow_unsafe_interrupts=1"
	else
		iommu_dev=intel-iommu,intremap=on,caching-mode=on
		[[ $aw_bits == qemu ]] || iommu_dev+=",aw-bits=$aw_bits"
		machine=(-accel tcg -M q35,kernel-irqchip=split)
		kargs="intel_iommu=on"
	fi
	if [[ $iommu == none ]]; then
		devices=()
		desc="no IOMMU, $kargs"
	else
		devices=(-device "$iommu_dev")
		desc="-device $iommu_dev"
	fi
else
	# GICv3 with its ITS: MSIs are isolated, so VFIO binds edu without
	# allow_unsafe_interrupts.  No NIC: virt would add one.
	machine=(-accel tcg -M virt,gic-version=3,iommu=smmuv3 -cpu max -nic none)
	devices=()
	console=ttyAMA0
	kargs=""
	desc="-M virt,gic-version=3,iommu=smmuv3"
	edu_dev=edu
fi
for ((i = 0; i < edus; i++)); do
	devices+=(-device "$edu_dev")
done

say "$arch, variant $variant: -smp $smp $desc, $edus edu device(s)"
say "booting $(basename "$bzimage") with ${#tests[@]} test(s); console log: $log"
start=$(date +%s.%N)
set +e
# No stdin: QEMU must not grab a terminal, and CI has none.  -k: a QEMU that
# ignores SIGTERM still goes.
timeout -k 10 "$timeout_secs" "$qemu" \
	"${machine[@]}" -m 2048 -smp "$smp" \
	-nographic -no-reboot \
	"${devices[@]}" \
	-kernel "$bzimage" -initrd "$initrd" \
	-append "console=$console $kargs quiet panic=-1 $append" \
	</dev/null >"$log" 2>&1
qemu_rc=$?
set -e
elapsed=$(echo "$(date +%s.%N) - $start" | bc)
say "guest ran for $(printf '%.1f' "$elapsed") s (qemu exit status $qemu_rc)"

# The serial console ends lines with \r\n.
clean=$(tr -d '\r' < "$log")
problems=()
if [[ $qemu_rc -eq 124 || $qemu_rc -eq 137 ]]; then
	problems+=("the guest did not finish within $timeout_secs s")
elif [[ $qemu_rc -ne 0 ]]; then
	problems+=("qemu exited with status $qemu_rc")
fi
# Not anchored: the firmware's escape sequences may precede it on its line.
if ! grep -q 'vmtest: kernel' <<<"$clean"; then
	problems+=("the guest never reached /init")
fi
if ! grep -q 'VMTEST-DONE' <<<"$clean"; then
	problems+=("the guest did not finish its test list")
fi
warnings=$(grep -E 'Kernel panic|BUG:|WARNING:|Oops' <<<"$clean" || true)

passed=0
failed=0
skipped=0
for test in "${tests[@]}"; do
	t=$(basename "$test")
	line=$(grep -oE "VMTEST-RESULT $t (PASS|FAIL|SKIP) rc=[0-9]+ secs=[0-9.]+" <<<"$clean" | tail -n 1 || true)
	if [[ -z "$line" ]]; then
		echo "FAIL $t (no result: missing)"
		failed=$((failed + 1))
		continue
	fi
	read -r _ _ verdict rc secs <<<"$line"
	case $verdict in
		PASS) passed=$((passed + 1)); echo "PASS $t (${secs#secs=} s)" ;;
		SKIP) skipped=$((skipped + 1)); echo "SKIP $t (${secs#secs=} s)" ;;
		*) failed=$((failed + 1)); echo "FAIL $t (${rc}, ${secs#secs=} s)" ;;
	esac
done
if [[ -n "$warnings" ]]; then
	echo "kernel log has warnings:"
	sed 's/^/  /' <<<"$warnings"
	if [[ $allow_warnings -eq 0 ]]; then
		problems+=("the kernel logged a warning, bug or panic")
	fi
fi
# The boot itself counts as one more test when it went wrong.
if [[ ${#problems[@]} -gt 0 ]]; then
	for p in "${problems[@]}"; do
		echo "FAIL vm: $p"
	done
	failed=$((failed + 1))
fi
if [[ $failed -gt 0 ]]; then
	echo "--- last 30 lines of $log ---"
	tail -n 30 <<<"$clean"
	echo "---"
fi
[[ $skipped -eq 0 ]] || echo "$skipped skipped"
echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
