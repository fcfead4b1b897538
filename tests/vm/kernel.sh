#!/bin/bash
# SPDX-License-Identifier: MIT
#
# Get a Linux kernel with iommufd, VFIO cdevs and the iommufd test mock for the
# VM suite: download Debian's linux-source package (without touching the
# system's apt configuration), extract it, build a bzImage from tinyconfig plus
# tests/vm/kernel.config, and install its uAPI headers.  Everything lives in a
# cache outside the repository, keyed by package version and fragment hash,
# so only the first run pays for the build.
#
# Usage: kernel.sh [--arch ARCH] [--kernel NAME] [--print-bzimage |
#                   --print-image | --print-uapi | --print-src |
#                   --print-version]
#   Gets what is missing (progress on stderr), then prints one thing on
#   stdout: the kernel image (default; built if missing; --print-bzimage
#   and --print-image are the same), the uAPI header root (use
#   -I<it>/include), the extracted source tree, or the package version.
#   Only --print-bzimage / --print-image build the kernel.
#   --arch: x86 (default: bzImage from kernel.config), arm64 (Image from
#   kernel-arm64.config, cross-built with aarch64-linux-gnu-gcc), arm64-64k
#   (kernel-arm64.config + kernel-arm64-64k.config: 64 KiB pages).
#   --kernel: which kernel the image is (default 7.3):
#     7.3            linux-source-7.3 (trixie-backports), the fragments above
#     6.12           linux-source-6.12 (trixie), the same fragments plus
#                    kernel-6.12.config: the kernel before the uAPI this
#                    library added since 6.13 (x86 only)
#     7.3-noiommufd  7.3 with kernel-noiommufd.config: no IOMMUFD and no
#                    VFIO cdevs, as Debian's own kernels are built (x86 only)
#   Options of a fragment that the tree's Kconfig does not define (6.12
#   lacks some of 7.3's) are listed and skipped; where fragments disagree,
#   the last one wins.  --print-uapi, --print-src and --print-version
#   always answer for 7.3: the library and the tests are built against its
#   headers, whatever kernel they boot.
#
# Environment:
#   IOASID_CACHE          cache root (default $HOME/.cache/libioasid)
#   IOASID_KERNEL_PKG     source package of 7.3 (default linux-source-7.3)
#   IOASID_KERNEL_SUITE   Debian suite holding it (default trixie-backports)
#   VM_KERNEL             the default for --kernel
#   IOASID_KERNEL_JOBS    make -j value (default nproc + 1)
#   VM_ARCH               the default for --arch

set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cache=${IOASID_CACHE:-$HOME/.cache/libioasid}
pkg=${IOASID_KERNEL_PKG:-linux-source-7.3}
suite=${IOASID_KERNEL_SUITE:-trixie-backports}
jobs=${IOASID_KERNEL_JOBS:-$(( $(nproc) + 1 ))}

what=bzimage
arch=${VM_ARCH:-x86}
kernel=${VM_KERNEL:-7.3}
while [[ $# -gt 0 ]]; do
	case $1 in
		--arch) arch=$2; shift 2; continue ;;
		--kernel) kernel=$2; shift 2; continue ;;
		--print-bzimage | --print-image) what=bzimage ;;
		--print-uapi) what=uapi ;;
		--print-src) what=src ;;
		--print-version) what=version ;;
		-h | --help) awk 'NR > 2 && /^#/ { sub(/^# ?/, ""); print; next } NR > 2 { exit }' "$0"; exit 0 ;;
		*) echo "kernel.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
	esac
	shift
done
# Per architecture: the fragments, make's ARCH and CROSS_COMPILE, the
# image target and where it lands, and a prefix of the cache's names (x86
# keeps the unprefixed names it always had).
case $arch in
	x86) fragments=("$here/kernel.config") karch=x86 cross="" target=bzImage
		image_path=arch/x86/boot/bzImage prefix="" ;;
	arm64 | arm64-64k)
		fragments=("$here/kernel-arm64.config")
		[[ $arch == arm64 ]] || fragments+=("$here/kernel-arm64-64k.config")
		karch=arm64 target=Image image_path=arch/arm64/boot/Image prefix=$arch-
		cross=${CROSS_COMPILE_ARM64:-aarch64-linux-gnu-}
		[[ $what != bzimage ]] || command -v "${cross}gcc" >/dev/null ||
			{ echo "kernel.sh: ${cross}gcc not found (scripts/deps.sh vm-arm64)" >&2; exit 1; } ;;
	*) echo "kernel.sh: unknown --arch '$arch' (x86, arm64, arm64-64k)" >&2; exit 2 ;;
esac
# The kernel: its package and the fragments it adds.  Only the image
# changes with it; the headers and the source printed are 7.3's.
case $kernel in
	7.3) ;;
	6.12 | 7.3-noiommufd)
		[[ $arch == x86 ]] || { echo "kernel.sh: --kernel $kernel is x86 only" >&2; exit 2; } ;;
	*) echo "kernel.sh: unknown --kernel '$kernel' (7.3, 6.12, 7.3-noiommufd)" >&2; exit 2 ;;
esac
if [[ $what == bzimage && $kernel == 6.12 ]]; then
	pkg=linux-source-6.12 suite=trixie prefix=6.12-
	fragments+=("$here/kernel-6.12.config")
elif [[ $what == bzimage && $kernel == 7.3-noiommufd ]]; then
	prefix=noiommufd-
	fragments+=("$here/kernel-noiommufd.config")
fi
# The uAPI headers differ between architectures only in asm/.
uapi_prefix=$([[ $karch == x86 ]] || echo "$karch-")

log() { echo "kernel.sh: $*" >&2; }
die() { echo "kernel.sh: error: $*" >&2; exit 1; }

mkdir -p "$cache"
# Two suites (or two engineers) may ask at once: one builder at a time.
exec 9>"$cache/kernel.lock"
flock 9

# The mirror the system already uses, so no other host is contacted.
system_mirror() {
	local uri=""
	if [[ -r /etc/apt/sources.list.d/debian.sources ]]; then
		uri=$(awk '/^URIs:/ { for (i = 2; i <= NF; i++) if ($i !~ /security/) { print $i; exit } }' \
			/etc/apt/sources.list.d/debian.sources)
	fi
	if [[ -z "$uri" && -r /etc/apt/sources.list ]]; then
		uri=$(awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { if ($i !~ /security/) { print $i; exit } } }' \
			/etc/apt/sources.list)
	fi
	[[ -n "$uri" ]] || die "no Debian mirror found in /etc/apt/sources.list.d/debian.sources or /etc/apt/sources.list"
	echo "$uri"
}

# apt with a private sources file, lists and caches: the system's own apt
# state and configuration are left exactly as they were.
private_apt() {
	apt-get -q \
		-o Dir::Etc::SourceList="$cache/apt/sources.list" \
		-o Dir::Etc::SourceParts=/dev/null \
		-o Dir::State::Lists="$cache/apt/lists" \
		-o Dir::Cache="$cache/apt/cache" \
		-o Dir::Cache::Archives="$cache/debs" \
		-o APT::Sandbox::User=root \
		"$@"
}

find_deb() {
	local f
	f=$(ls -1 "$cache/debs/${pkg}_"*_all.deb 2>/dev/null | sort -V | tail -n 1 || true)
	echo "$f"
}

deb=$(find_deb)
if [[ -z "$deb" ]]; then
	mirror=$(system_mirror)
	log "downloading $pkg from $suite ($mirror)"
	mkdir -p "$cache/apt/lists/partial" "$cache/apt/cache" "$cache/debs/partial"
	echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror $suite main" \
		> "$cache/apt/sources.list"
	private_apt update >&2
	# apt-get download writes into the current directory.
	(cd "$cache/debs" && private_apt download "$pkg" >&2)
	deb=$(find_deb)
	[[ -n "$deb" ]] || die "apt-get download $pkg left no .deb in $cache/debs"
fi
version=$(dpkg-deb -f "$deb" Version)
upstream=${version%%-*}

# Extracted source: $cache/src/$pkg, with a stamp naming the package version.
src=$cache/src/$pkg
stamp=$cache/src/$pkg.version
tree_version() {
	awk -F' = ' '/^VERSION =/ { v = $2 } /^PATCHLEVEL =/ { p = $2 }
		/^SUBLEVEL =/ { s = $2; print v "." p "." s; exit }' "$src/Makefile"
}
if [[ -d "$src" && ! -f "$stamp" && -f "$src/Makefile" && "$(tree_version)" == "$upstream" ]]; then
	# Extracted before stamps existed; the Makefile's version matches.
	echo "$version" > "$stamp"
fi
if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$version" ]]; then
	log "extracting $deb"
	tmp=$cache/src/.extract.$$
	rm -rf "$tmp" "$src" "$stamp"
	mkdir -p "$tmp"
	dpkg-deb --fsys-tarfile "$deb" | tar -xO "./usr/src/$pkg.tar.xz" | tar -xJ -C "$tmp"
	[[ -f "$tmp/$pkg/Makefile" ]] || die "$deb did not hold usr/src/$pkg.tar.xz with $pkg/"
	mv "$tmp/$pkg" "$src"
	rmdir "$tmp"
	echo "$version" > "$stamp"
fi

# uAPI headers depend on the source only, not on the configuration.
uapi=$cache/uapi-$uapi_prefix$version
if [[ ! -f "$uapi/include/linux/iommufd.h" ]]; then
	log "installing uAPI headers into $uapi"
	rm -rf "$uapi" "$uapi.build"
	make -s -C "$src" O="$uapi.build" ARCH=$karch INSTALL_HDR_PATH="$uapi" \
		headers_install >&2
	rm -rf "$uapi.build"
	[[ -f "$uapi/include/linux/iommufd.h" ]] || die "headers_install produced no linux/iommufd.h"
fi

# Kernel: keyed by package version and fragment content.  Only built when
# asked for, so --print-uapi and --print-src stay cheap.
# (One fragment hashes as the file itself, so x86's key is unchanged.)
hash=$(cat "${fragments[@]}" | sha256sum | cut -c1-16)
kdir=$cache/kernels/$prefix$version-$hash
bzimage=$kdir/$target
kmake() { make -s -C "$src" O="$build" ARCH=$karch ${cross:+CROSS_COMPILE=$cross} "$@"; }
if [[ $what == bzimage && ! -f "$bzimage" ]]; then
	# The long part holds a lock of its own kernel only, so that another
	# architecture's build or a --print-uapi need not wait for it.
	exec 8>"$cache/kernel-$prefix$version-$hash.lock"
	exec 9>&-
	flock 8
fi
if [[ $what == bzimage && ! -f "$bzimage" ]]; then
	build=$kdir/build
	log "building the $arch kernel in $build (first run only: several minutes)"
	mkdir -p "$build"
	start=$(date +%s)
	kmake tinyconfig >&2
	(cd "$build" && ARCH=$karch "$src/scripts/kconfig/merge_config.sh" -m .config \
		"${fragments[@]}" >&2)
	kmake olddefconfig >&2

	# A dependency that is not met drops an option without a word: check
	# each option as the last fragment naming it wants it (=y or "is not
	# set"), skipping the ones this tree does not define at all.
	defined=$(find "$src" -name 'Kconfig*' -exec sed -n \
		's/^[[:space:]]*\(menu\)\{0,1\}config[[:space:]]\{1,\}\([A-Za-z0-9_]*\).*/CONFIG_\2/p' {} + |
		sort -u)
	missing=() undefined=()
	while read -r opt want; do
		if ! grep -qx "$opt" <<<"$defined"; then
			undefined+=("$opt")
		elif [[ $want == y ]]; then
			grep -qx "$opt=y" "$build/.config" || missing+=("$opt")
		else
			! grep -qx "$opt=y" "$build/.config" || missing+=("$opt (wanted not set)")
		fi
	done < <(sed -n -e 's/^\(CONFIG_[A-Za-z0-9_]*\)=y$/\1 y/p' \
		-e 's/^# \(CONFIG_[A-Za-z0-9_]*\) is not set$/\1 n/p' "${fragments[@]}" |
		awk '{ want[$1] = $2; if (!($1 in seen)) { seen[$1] = 1; order[n++] = $1 } }
			END { for (i = 0; i < n; i++) print order[i], want[order[i]] }')
	(( ${#undefined[@]} == 0 )) ||
		log "not in this tree's Kconfig, skipped: ${undefined[*]}"
	if (( ${#missing[@]} )); then
		rm -rf "$kdir"
		die "these options of ${fragments[*]} are not =y after olddefconfig" \
			"(unmet dependencies?): ${missing[*]}"
	fi

	kmake -j"$jobs" "$target" >&2
	cp "$build/.config" "$kdir/config"
	cp "$build/$image_path" "$bzimage.tmp"
	mv "$bzimage.tmp" "$bzimage"
	log "kernel built in $(( $(date +%s) - start )) s: $bzimage"
	# The object tree is 100s of MB; the bzImage and config are all we need.
	if [[ -z "${IOASID_KEEP_KERNEL_BUILD:-}" ]]; then
		rm -rf "$build"
	fi
fi

case $what in
	bzimage) echo "$bzimage" ;;
	uapi) echo "$uapi" ;;
	src) echo "$src" ;;
	version) echo "$version" ;;
esac
