#!/bin/bash
# SPDX-License-Identifier: MIT
#
# fresh-check.sh - README's two commands on a fresh Debian bookworm root.
#
#   scripts/fresh-check.sh [--dir DIR] [--keep] [--kernel-cache DIR]
#
# As root: debootstrap a minbase bookworm root (from the mirror in the
# system's apt sources), mount proc, sys, dev and dev/pts in it, install
# only make, git and ca-certificates, clone this repository's HEAD commit
# into /root/libioasid, and run `make demo` then `make check` there as
# root, as a newcomer would.  Everything else make check needs it must
# install itself (scripts/deps.sh).  Only committed work is tested: the
# commit is printed, and uncommitted changes are named and left out.
# The last line printed is the last line of make check.
#
#   --dir DIR           build the root in DIR (absent or empty; default a
#                       new directory under /var/tmp)
#   --keep              keep the root afterwards (default: delete it)
#   --kernel-cache DIR  bind-mount DIR (usually ~/.cache/libioasid) on the
#                       root's /root/.cache/libioasid, so that the VM suite
#                       uses the kernel tests/vm/kernel.sh built there
#                       before.  It is written to: a kernel built in the
#                       root stays in DIR.  Without it the first run
#                       downloads the kernel source and builds the kernel
#                       (about 8 minutes more).
#
# No /dev/kvm is needed: the VM suite runs QEMU with TCG.
set -euo pipefail

die() { echo "fresh-check: error: $*" >&2; exit 1; }
say() { echo "== fresh-check: $*"; }
usage() { awk 'NR > 2 && /^#/ { sub(/^# ?/, ""); print; next } NR > 2 { exit }' "$0"; }

dir='' keep='' kcache=''
while [ $# -gt 0 ]; do
	case $1 in
	--dir) [ $# -ge 2 ] || die "--dir needs a directory"; dir=$2; shift ;;
	--keep) keep=1 ;;
	--kernel-cache) [ $# -ge 2 ] || die "--kernel-cache needs a directory"; kcache=$2; shift ;;
	-h | --help) usage; exit 0 ;;
	*) die "unknown argument '$1' (try --help)" ;;
	esac
	shift
done

[ "$(id -u)" -eq 0 ] || die "run as root (debootstrap, mount and chroot need it)"
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
commit=$(git -C "$repo" rev-parse HEAD)
if [ -n "$kcache" ]; then
	[ -d "$kcache" ] || die "--kernel-cache $kcache: not a directory"
	kcache=$(cd "$kcache" && pwd)
fi

# The mirror the system already uses (as tests/vm/kernel.sh finds it).
system_mirror() {
	local uri=""
	if [ -r /etc/apt/sources.list.d/debian.sources ]; then
		uri=$(awk '/^URIs:/ { for (i = 2; i <= NF; i++) if ($i !~ /security/) { print $i; exit } }' \
			/etc/apt/sources.list.d/debian.sources)
	fi
	if [ -z "$uri" ] && [ -r /etc/apt/sources.list ]; then
		uri=$(awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { if ($i !~ /security/) { print $i; exit } } }' \
			/etc/apt/sources.list)
	fi
	[ -n "$uri" ] || die "no Debian mirror in /etc/apt/sources.list.d/debian.sources or /etc/apt/sources.list"
	echo "$uri"
}
mirror=$(system_mirror)

if ! command -v debootstrap >/dev/null 2>&1; then
	say "installing debootstrap"
	DEBIAN_FRONTEND=noninteractive apt-get update -q
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends debootstrap
fi

if [ -z "$dir" ]; then
	dir=$(mktemp -d /var/tmp/libioasid-fresh.XXXXXX)
else
	mkdir -p "$dir"
	dir=$(cd "$dir" && pwd)
	[ -z "$(ls -A "$dir")" ] || die "--dir $dir is not empty"
fi
[ "$dir" != / ] || die "--dir / is not a fresh root"

# Mount points under the root, innermost last.
mounted=()
mounts_below() { # anything still mounted at or under $dir
	awk -v d="$dir" '$2 == d || index($2, d "/") == 1 { print $2 }' /proc/self/mounts
}
cleanup() {
	local rc=$? i
	for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do
		umount -R "${mounted[i]}" 2>/dev/null || umount -R -l "${mounted[i]}" ||
			echo "fresh-check: could not unmount ${mounted[i]}" >&2
	done
	if [ -n "$keep" ]; then
		echo "fresh-check: root kept in $dir"
	elif [ -n "$(mounts_below)" ]; then
		# Never delete through a bind mount (the host's /dev, the cache).
		echo "fresh-check: still mounted under $dir, not deleted: $(mounts_below | tr '\n' ' ')" >&2
	else
		rm -rf --one-file-system "$dir"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

start=$(date +%s)
say "commit $commit ($(git -C "$repo" log -1 --format=%s "$commit"))"
if [ -n "$(git -C "$repo" status --porcelain --untracked-files=no)" ]; then
	say "uncommitted changes in $repo are NOT tested:"
	git -C "$repo" status --short --untracked-files=no | sed 's/^/    /'
fi
say "debootstrap --variant=minbase bookworm $dir $mirror"
debootstrap --variant=minbase bookworm "$dir" "$mirror" >"$dir.debootstrap.log" 2>&1 ||
	{ tail -n 20 "$dir.debootstrap.log"; die "debootstrap failed (log $dir.debootstrap.log)"; }
rm -f "$dir.debootstrap.log"

bind() { # bind SRC DST: DST under the root
	mkdir -p "$dir$2"
	mount --bind "$1" "$dir$2"
	mounted+=("$dir$2")
	mount --make-slave "$dir$2"
}
mount -t proc proc "$dir/proc" && mounted+=("$dir/proc")
mount -t sysfs sysfs "$dir/sys" && mounted+=("$dir/sys")
# /dev with what is mounted under it (/dev/pts, /dev/shm), as a slave so
# that nothing done in the root propagates back to the host's /dev.
mount --rbind /dev "$dir/dev" && mounted+=("$dir/dev")
mount --make-rslave "$dir/dev"
if [ -n "$kcache" ]; then
	bind "$kcache" /root/.cache/libioasid
	say "kernel cache: $kcache on /root/.cache/libioasid"
fi
cp -L /etc/resolv.conf "$dir/etc/resolv.conf"

in_root() { # a clean login-like environment: root, HOME=/root
	chroot "$dir" /usr/bin/env -i HOME=/root USER=root LOGNAME=root TERM=dumb \
		PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "$@"
}

say "apt-get install make git ca-certificates"
in_root sh -c 'export DEBIAN_FRONTEND=noninteractive &&
	apt-get update -q && apt-get install -y -q --no-install-recommends make git ca-certificates' \
	>"$dir/root/apt.log" 2>&1 || { tail -n 20 "$dir/root/apt.log"; die "apt-get in the root failed"; }

say "git clone $repo; checkout $commit"
git clone -q --no-hardlinks "$repo" "$dir/root/libioasid"
git -C "$dir/root/libioasid" checkout -q --detach "$commit"

rc_demo=0 rc_check=0
say "make demo"
in_root sh -c 'cd /root/libioasid && make demo' 2>&1 | tee "$dir/root/make-demo.log" || rc_demo=$?
say "make check"
in_root sh -c 'cd /root/libioasid && make check' 2>&1 | tee "$dir/root/make-check.log" || rc_check=$?

say "commit ${commit:0:12}: make demo exit $rc_demo, make check exit $rc_check, $(( $(date +%s) - start )) s"
tail -n 1 "$dir/root/make-check.log"
[ "$rc_demo" -eq 0 ] && [ "$rc_check" -eq 0 ]
