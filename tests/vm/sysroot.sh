#!/bin/bash
# SPDX-License-Identifier: MIT
#
# Foreign-architecture userspace for the VM suite's arm64 lane: the static
# busybox of the guest and the static libraries the cross-built ioasctl and
# tests link (json-c, iniparser), as Debian bookworm's arm64 packages,
# fetched through a private apt configuration (the system's apt sources,
# lists and architectures are not touched: no dpkg --add-architecture) and
# unpacked with dpkg-deb into a cache.
#
# Usage: sysroot.sh [--arch arm64] [--print-sysroot | --print-busybox]
#   Gets what is missing (progress on stderr), then prints the sysroot
#   (default: its usr/lib/<triplet> holds the .a files) or the busybox.
# Environment: IOASID_CACHE (as kernel.sh), IOASID_SYSROOT_SUITE (default
# bookworm).

set -euo pipefail

cache=${IOASID_CACHE:-$HOME/.cache/libioasid}
suite=${IOASID_SYSROOT_SUITE:-bookworm}
arch=arm64
what=sysroot
while [[ $# -gt 0 ]]; do
	case $1 in
		--arch) arch=$2; shift 2; continue ;;
		--print-sysroot) what=sysroot ;;
		--print-busybox) what=busybox ;;
		-h | --help) awk 'NR > 2 && /^#/ { sub(/^# ?/, ""); print; next } NR > 2 { exit }' "$0"; exit 0 ;;
		*) echo "sysroot.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
	esac
	shift
done
case $arch in
	arm64 | arm64-64k) arch=arm64 triplet=aarch64-linux-gnu ;;
	*) echo "sysroot.sh: unknown --arch '$arch' (arm64)" >&2; exit 2 ;;
esac
pkgs=(busybox-static libjson-c-dev libiniparser-dev)

log() { echo "sysroot.sh: $*" >&2; }
die() { echo "sysroot.sh: error: $*" >&2; exit 1; }

root=$cache/sysroot-$arch
stamp=$root/.packages
apt_dir=$cache/apt-$arch
mkdir -p "$cache"
exec 9>"$cache/sysroot-$arch.lock"
flock 9

if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$suite ${pkgs[*]}" ]]; then
	uri=""
	if [[ -r /etc/apt/sources.list.d/debian.sources ]]; then
		uri=$(awk '/^URIs:/ { for (i = 2; i <= NF; i++) if ($i !~ /security/) { print $i; exit } }' \
			/etc/apt/sources.list.d/debian.sources)
	fi
	if [[ -z "$uri" && -r /etc/apt/sources.list ]]; then
		uri=$(awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { if ($i !~ /security/) { print $i; exit } } }' \
			/etc/apt/sources.list)
	fi
	[[ -n "$uri" ]] || die "no Debian mirror in the system's apt sources"
	log "fetching ${pkgs[*]} ($arch, $suite) from $uri"
	mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache" "$apt_dir/debs/partial"
	echo "deb [arch=$arch signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $uri $suite main" \
		> "$apt_dir/sources.list"
	papt() {
		apt-get -q -o APT::Architecture="$arch" -o APT::Architectures="$arch" \
			-o Dir::Etc::SourceList="$apt_dir/sources.list" \
			-o Dir::Etc::SourceParts=/dev/null \
			-o Dir::State::Lists="$apt_dir/lists" \
			-o Dir::State::Status=/dev/null \
			-o Dir::Cache="$apt_dir/cache" \
			-o Dir::Cache::Archives="$apt_dir/debs" \
			-o APT::Sandbox::User=root "$@"
	}
	papt update >&2
	rm -f "$apt_dir"/debs/*.deb
	(cd "$apt_dir/debs" && papt download "${pkgs[@]}" >&2)
	rm -rf "$root.tmp"
	mkdir -p "$root.tmp"
	for deb in "$apt_dir"/debs/*.deb; do
		dpkg-deb -x "$deb" "$root.tmp"
	done
	rm -rf "$root"
	mv "$root.tmp" "$root"
	echo "$suite ${pkgs[*]}" > "$stamp"
fi
[[ -f "$root/usr/lib/$triplet/libjson-c.a" ]] || die "$root lacks libjson-c.a"

case $what in
	sysroot) echo "$root" ;;
	busybox) echo "$root/bin/busybox" ;;
esac
