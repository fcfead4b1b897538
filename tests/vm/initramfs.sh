#!/bin/bash
# SPDX-License-Identifier: MIT
#
# Pack the VM suite's initramfs: static busybox, tests/vm/init.sh as /init,
# and the given test programs (static executables), run in the order given.
#
# Usage: initramfs.sh [--hugepages N] [--test-timeout SECS] [--files DIR]
#                     OUTPUT.cpio.gz TEST...
#   --files DIR   copy DIR's contents to /files in the guest (data for tests:
#                 batch scripts, golden output, topology files)

set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
hugepages=64
test_timeout=300
files_dir=""
while [[ $# -gt 0 ]]; do
	case $1 in
		--hugepages) hugepages=$2; shift 2 ;;
		--test-timeout) test_timeout=$2; shift 2 ;;
		--files) files_dir=$2; shift 2 ;;
		--) shift; break ;;
		-*) echo "initramfs.sh: unknown option '$1'" >&2; exit 2 ;;
		*) break ;;
	esac
done
if [[ $# -lt 2 ]]; then
	echo "usage: initramfs.sh [--hugepages N] [--test-timeout SECS] [--files DIR] OUTPUT.cpio.gz TEST..." >&2
	exit 2
fi
output=$1
shift

busybox=${BUSYBOX:-/bin/busybox}
# Dynamic: an ELF with a program interpreter (readelf, not ldd, so that
# another architecture's binaries can be judged too).
dynamic() { LC_ALL=C readelf -l "$1" 2>/dev/null | grep -q 'INTERP'; }
# A dynamic busybox would need its libraries in the guest.
if dynamic "$busybox"; then
	echo "initramfs.sh: $busybox is not static: install busybox-static" >&2
	exit 1
fi

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage"/{bin,etc,tests}
cp "$busybox" "$stage/bin/busybox"
ln -s busybox "$stage/bin/sh"
install -m 755 "$here/init.sh" "$stage/init"
if [[ -n "$files_dir" ]]; then
	[[ -d "$files_dir" ]] || { echo "initramfs.sh: --files $files_dir is not a directory" >&2; exit 1; }
	mkdir -p "$stage/files"
	cp -a "$files_dir/." "$stage/files/"
fi
printf 'HUGEPAGES=%d\nTEST_TIMEOUT=%d\n' "$hugepages" "$test_timeout" > "$stage/etc/vmtest.conf"

: > "$stage/tests/list"
for test in "$@"; do
	name=$(basename "$test")
	if [[ ! -x "$test" ]]; then
		echo "initramfs.sh: $test is not an executable file" >&2
		exit 1
	fi
	if [[ -e "$stage/tests/$name" ]]; then
		echo "initramfs.sh: two tests named $name" >&2
		exit 1
	fi
	if dynamic "$test"; then
		echo "initramfs.sh: $test is dynamically linked; build it with -static" >&2
		exit 1
	fi
	cp "$test" "$stage/tests/$name"
	echo "$name" >> "$stage/tests/list"
done

mkdir -p "$(dirname "$output")"
(cd "$stage" && find . -mindepth 1 | LC_ALL=C sort | cpio --quiet -o -H newc -R 0:0) \
	| gzip -1 > "$output.tmp"
mv "$output.tmp" "$output"
