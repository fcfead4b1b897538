#!/bin/sh
# SPDX-License-Identifier: MIT
#
# Print an include directory whose <linux/iommufd.h> and <linux/vfio.h> are
# new enough for lib/backend/kernel/ (IOMMU_IOAS_MAP_FILE, 6.13, and
# VFIO_DEVICE_ATTACH_IOMMUFD_PT, 6.6).  That is /usr/include when the
# installed linux-libc-dev has them; otherwise the headers of a newer Debian
# linux-libc-dev, fetched once with apt-get through a private sources file
# and lists directory (the system's apt configuration is never touched) and
# unpacked into the cache:
#   ${IOASID_CACHE:-$HOME/.cache/libioasid}/uapi-libc-dev-VERSION/usr/include
# Only the directory goes to stdout; progress goes to stderr.  Idempotent.
#
# Environment: IOASID_CACHE (cache root), IOASID_UAPI_SUITE (default
# trixie-backports), CC (default cc).
set -eu

cache=${IOASID_CACHE:-${HOME:-/root}/.cache/libioasid}
suite=${IOASID_UAPI_SUITE:-trixie-backports}
cc=${CC:-cc}

say() { echo "uapi-headers: $*" >&2; }

# headers_ok [DIR]: whether the preprocessor finds both definitions,
# looking in DIR first when given.
headers_ok() {
	printf '%s\n' '#include <linux/iommufd.h>' '#include <linux/vfio.h>' \
		'#if !defined(IOMMU_IOAS_MAP_FILE) || !defined(VFIO_DEVICE_ATTACH_IOMMUFD_PT)' \
		'#error uAPI headers too old' '#endif' |
		$cc ${1:+-I"$1"} -E -x c - -o /dev/null 2>/dev/null
}

if headers_ok; then
	echo /usr/include
	exit 0
fi

# An earlier run's download, newest version first.
for dir in $(ls -d "$cache"/uapi-libc-dev-*/usr/include 2>/dev/null | sort -rV); do
	if headers_ok "$dir"; then
		echo "$dir"
		exit 0
	fi
done

# The mirror the system already uses: the first URIs: line of the deb822
# sources, else the first deb line of sources.list.
mirror=$(sed -n 's/^URIs:[[:space:]]*\([^[:space:]]*\).*/\1/p' \
	/etc/apt/sources.list.d/debian.sources 2>/dev/null | head -n 1)
if [ -z "$mirror" ]; then
	mirror=$(sed -n 's/^deb[[:space:]]\{1,\}\(\[[^]]*\][[:space:]]\{1,\}\)\{0,1\}\([^[:space:]]*\).*/\2/p' \
		/etc/apt/sources.list 2>/dev/null | head -n 1)
fi
if [ -z "$mirror" ]; then
	say "no Debian mirror found in /etc/apt; cannot fetch linux-libc-dev"
	exit 1
fi

aptdir=$cache/apt-uapi
mkdir -p "$aptdir/lists/partial" "$aptdir/cache/archives/partial" "$aptdir/debs"
echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror $suite main" \
	>"$aptdir/sources.list"
set -- -o Dir::Etc::SourceList="$aptdir/sources.list" \
	-o Dir::Etc::SourceParts=/dev/null \
	-o Dir::State::Lists="$aptdir/lists" \
	-o Dir::Cache="$aptdir/cache"

say "fetching linux-libc-dev from $mirror $suite"
apt-get "$@" -q update >&2
rm -f "$aptdir"/debs/linux-libc-dev_*.deb
(cd "$aptdir/debs" && apt-get "$@" -q download "linux-libc-dev/$suite") >&2
deb=$(ls "$aptdir"/debs/linux-libc-dev_*.deb | head -n 1)
version=$(dpkg-deb -f "$deb" Version)

dest=$cache/uapi-libc-dev-$version
rm -rf "$dest.tmp"
mkdir -p "$dest.tmp"
dpkg-deb -x "$deb" "$dest.tmp"
rm -rf "$dest"
mv "$dest.tmp" "$dest"

if ! headers_ok "$dest/usr/include"; then
	say "linux-libc-dev $version lacks IOMMU_IOAS_MAP_FILE or VFIO_DEVICE_ATTACH_IOMMUFD_PT"
	exit 1
fi
say "using linux-libc-dev $version"
echo "$dest/usr/include"
