#!/bin/sh
# SPDX-License-Identifier: MIT
#
# deps.sh - make sure the Debian packages a build step needs are installed.
#
#   scripts/deps.sh [GROUP...]      groups: core (default), vm, vm-arm64,
#                                   bench, fuzz
#
# As root the missing packages are installed (apt-get update, then
# apt-get install -y --no-install-recommends); otherwise the script prints
# the command to run and fails.  On a system without dpkg it cannot tell
# packages apart, so it checks the tools it can see and leaves the rest to
# the compiler.  NO_DEPS=1 skips everything (for packagers).
set -eu

[ "${NO_DEPS:-}" = 1 ] && exit 0

# python3: tests/scripts/viommu.test reads ioasctl -j output with it.
core="gcc g++ make pkg-config groff-base libiniparser-dev libcmocka-dev scdoc libjson-c-dev python3"
# The VM suite builds a kernel and a busybox initramfs and boots it in QEMU.
vm="qemu-system-x86 busybox-static flex bison bc libelf-dev libssl-dev cpio rsync xz-utils libcap-dev"
# The VM suite's arm64 lane: a cross compiler for the kernel, the library
# and the static tests, and qemu-system-aarch64.  (The guest's arm64
# busybox and static libraries come from tests/vm/sysroot.sh, not dpkg.)
vm_arm64="gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-system-arm"
bench="libglib2.0-dev"
# check-fuzz and make fuzz: clang with ASan/UBSan and libFuzzer.  clang-14
# only recommends the compiler-rt runtimes, which --no-install-recommends
# leaves out, so they are named here.
fuzz="clang libclang-rt-14-dev"

[ $# -eq 0 ] && set -- core
wanted=
for group in "$@"; do
	case $group in
	core) wanted="$wanted $core" ;;
	vm) wanted="$wanted $vm" ;;
	vm-arm64) wanted="$wanted $vm_arm64" ;;
	bench) wanted="$wanted $bench" ;;
	fuzz) wanted="$wanted $fuzz" ;;
	*) echo "deps.sh: unknown group '$group' (core, vm, vm-arm64, bench, fuzz)" >&2; exit 2 ;;
	esac
done

if ! command -v dpkg-query >/dev/null 2>&1; then
	# Not Debian: check what can be checked without a package database.
	for tool in gcc make pkg-config scdoc; do
		command -v "$tool" >/dev/null 2>&1 ||
			{ echo "deps.sh: '$tool' not found; install it first" >&2; exit 1; }
	done
	exit 0
fi

missing=
for pkg in $wanted; do
	status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
	[ "$status" = installed ] || missing="$missing $pkg"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "deps.sh: missing packages:$missing" >&2
	echo "Install them with:" >&2
	echo "    sudo apt-get update && sudo apt-get install --no-install-recommends$missing" >&2
	exit 1
fi

echo "deps.sh: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# shellcheck disable=SC2086 # the list is meant to split
apt-get install -y -q --no-install-recommends $missing
