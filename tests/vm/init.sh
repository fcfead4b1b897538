#!/bin/sh
# SPDX-License-Identifier: MIT
#
# /init of the VM suite's initramfs (busybox).  Mounts what the tests need,
# runs every program listed in /tests/list in order and prints one
# machine-readable line per test on the console:
#   VMTEST-RESULT <name> <PASS|FAIL|SKIP> rc=<exit status> secs=<wall time>
# then "VMTEST-DONE <count>" and powers off.  Exit status 0 is a pass, 77 a
# skip, anything else (including a timeout, 124) a failure.

/bin/busybox mkdir -p /proc /sys /dev /tmp /usr/bin /usr/sbin /sbin
/bin/busybox --install -s
mount -t devtmpfs devtmpfs /dev
# The kernel found no /dev/console in the archive: attach to it now.
exec </dev/console >/dev/console 2>&1
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t tmpfs tmpfs /tmp
mount -t debugfs debugfs /sys/kernel/debug
mkdir -p /dev/hugepages
mount -t hugetlbfs hugetlbfs /dev/hugepages

. /etc/vmtest.conf
echo "$HUGEPAGES" > /proc/sys/vm/nr_hugepages
echo "vmtest: kernel $(uname -r), $(grep -c ^processor /proc/cpuinfo) cpus," \
	"hugepages $(cat /proc/sys/vm/nr_hugepages)/$HUGEPAGES"

uptime_cs() {
	# Hundredths of a second since boot.
	read -r up _ < /proc/uptime
	# "1${frac} - 100" keeps a fraction like "09" from reading as octal.
	echo $(( ${up%.*} * 100 + 1${up#*.} - 100 ))
}

count=0
while read -r name; do
	[ -n "$name" ] || continue
	count=$((count + 1))
	echo "VMTEST-BEGIN $name"
	start=$(uptime_cs)
	# stdin is /dev/null: the loop reads /tests/list on it.
	(cd /tmp && timeout "$TEST_TIMEOUT" "/tests/$name" </dev/null)
	rc=$?
	end=$(uptime_cs)
	cs=$((end - start))
	case $rc in
		0) verdict=PASS ;;
		77) verdict=SKIP ;;
		*) verdict=FAIL ;;
	esac
	# Leading newline: a kernel message may have left the cursor mid-line.
	printf '\nVMTEST-RESULT %s %s rc=%d secs=%d.%02d\n' \
		"$name" "$verdict" "$rc" $((cs / 100)) $((cs % 100))
done < /tests/list
printf '\nVMTEST-DONE %d\n' "$count"
sync
poweroff -f
