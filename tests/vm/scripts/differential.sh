#!/bin/sh
# SPDX-License-Identifier: MIT
#
# Differential test, run inside the VM (busybox sh): every batch script in
# /files/scripts marked "# differential" runs with the static ioasctl on
# the kernel backend (mock devices of CONFIG_IOMMUFD_TEST) and must print
# exactly its golden file, the one tests/scripts/run.sh compares the
# simulator's run with.  A difference fails; the diff is printed.
# The Makefile (target vm-files) stages /files: ioasctl and scripts/.
#
# Error messages are compared too: the kernel backend explains a refusal
# in the simulator's words and ends with the ioctl and its errno,
# "... of hwpt 6 (IOMMU_IOAS_MAP: EINVAL) (EINVAL)"; that one part, which
# the simulator cannot have, is taken out of the kernel's output before
# the comparison (kernel_words()).  A message the kernel backend could
# not explain keeps its "IOMMU_IOAS_MAP ioas 1 ...: Invalid argument"
# form and differs.  The diff-why-*.batch scripts (-f, no "expect
# error") print a message for every refusal; the others only errnos.
#
# Then the guest's first edu device, behind the emulated VT-d (x86) or
# SMMUv3 (arm64): a topology of it written from what the guest reports
# (its group's reserved regions from sysfs; the address width from
# VT-d's CAP in sysfs, or from the SMMU's ID registers as `ioasctl
# device hw-info` decodes them) for the simulator inside the guest, and
# one batch (edu_batch()) run on both, the simulator's output against the
# kernel's: the reserved MSI window of a real device (VT-d's fixed one, or
# the software window the kernel maps on Arm), the aperture, the record
# of mappings, attach refused by a mapping or an allowed range.
#
# The golden files are the simulator's output on a 4 KiB-page host.  On a
# guest with other pages (the arm64-64k kernel) the IOVAs the kernel
# chooses follow its page size, and so do the simulator's (it models the
# CPU page size it runs on, as the kernel does): there each script's
# kernel output is compared with the simulator's in the same guest, run
# as tests/scripts/run.sh runs it (the script's topology from
# /files/topologies), and where that differs from the golden file the
# line says so.
#
# Exit status: 0 all equal, 1 a difference or nothing to compare.

files=${DIFF_FILES:-/files}
ioasctl=$files/ioasctl
scripts=$files/scripts
out=${TMPDIR:-/tmp}/differential
mkdir -p "$out"

if [ ! -x "$ioasctl" ] || [ ! -d "$scripts" ]; then
	echo "differential: $ioasctl or $scripts missing (run via make vmcheck)"
	exit 1
fi

directive() { # FILE NAME: the value of "# NAME: value", if any
	sed -n "s/^# $2: *//p" "$1" | head -n 1
}

# The kernel backend's output with the " (IOCTL: ENAME)" that ends an
# explained message as the simulator's " (ENAME)" (ioasctl prints the
# name once: its own " (ENAME)" only when the message has none).
kernel_words() { # IN OUT
	sed -E 's/ \((IOMMU|VFIO)_[A-Z0-9_]+: (E[A-Z0-9]+|errno [0-9]+)\)/ (\2)/g' \
		"$1" >"$2"
}

# The CPU page size in KiB, from the kernel's own report.
page_kib=$(sed -n 's/^KernelPageSize: *\([0-9]*\) kB$/\1/p' /proc/self/smaps | head -n 1)
[ -n "$page_kib" ] || page_kib=4

# The simulator's run of a batch in this guest, as run.sh makes it.
sim_expected() { # BATCH JSON OPTS OUT
	topo=$(directive "$1" topology)
	# shellcheck disable=SC2086 # word lists on purpose
	"$ioasctl" --sim="$files/topologies/${topo:-x86-server.ini}" $2 $3 \
		batch "$1" >"$out/sim-stdout" 2>"$out/sim-stderr"
	src=$?
	{
		echo "--- stdout"
		cat "$out/sim-stdout"
		echo "--- stderr"
		cat "$out/sim-stderr"
		echo "--- exit $src"
	} >"$4"
}

passed=0
failed=0
cd "$scripts" || exit 1
for batch in *.batch; do
	grep -q '^# differential$' "$batch" || continue
	name=${batch%.batch}
	opts=$(directive "$batch" options)
	modes=$(directive "$batch" modes)
	for mode in ${modes:-text}; do
		json=
		golden=$name.out
		label=$name
		if [ "$mode" = json ]; then
			json=-j
			golden=$name.json.out
			label="$name (json)"
		fi
		# No --sim and no IOASID_BACKEND: the kernel backend, as an
		# operator runs it.
		# shellcheck disable=SC2086 # word lists on purpose
		env -u IOASID_BACKEND -u IOASID_TOPOLOGY "$ioasctl" $json $opts \
			batch "$batch" >"$out/stdout" 2>"$out/stderr"
		rc=$?
		{
			echo "--- stdout"
			cat "$out/stdout"
			echo "--- stderr"
			cat "$out/stderr"
			echo "--- exit $rc"
		} >"$out/raw"
		kernel_words "$out/raw" "$out/actual"
		msgs=$(grep -c ': Error: ' "$out/actual")
		against=
		if [ "$page_kib" != 4 ]; then
			# shellcheck disable=SC2086 # word lists on purpose
			sim_expected "$batch" "$json" "$opts" "$out/sim"
			against="simulator in this guest (${page_kib} KiB pages)"
			cmp -s "$out/sim" "$golden" ||
				against="$against, whose output is not the 4 KiB golden file's"
			golden=$out/sim
		fi
		if diff -u "$golden" "$out/actual" >"$out/diff"; then
			echo "differential: PASS $label ($msgs messages${against:+; against the $against})"
			passed=$((passed + 1))
		else
			echo "differential: FAIL $label (kernel vs the ${against:-golden}):"
			sed 's/^/    /' "$out/diff"
			failed=$((failed + 1))
		fi
	done
done

# ---- the edu device: the simulator in the guest against the kernel ----

edu_bdf() {
	for d in /sys/bus/pci/devices/*; do
		[ "$(cat "$d/vendor" 2>/dev/null)" = 0x1234 ] &&
			[ "$(cat "$d/device" 2>/dev/null)" = 0x11e8 ] || continue
		echo "${d##*/}"
		return 0
	done
	return 1
}

# What the simulator needs to be this device: the IOMMU and its address
# width, the group's reserved regions as sysfs lists them, vfio-pci.
# sysfs calls the SMMU's software MSI window "msi" too; the topology says
# sw-msi, the window the kernel maps (ioasid-topology(5)).
edu_topology() { # BDF GROUP IOMMU AW_BITS MODEL
	echo "[iommu $3]"
	echo "model = $5"
	echo "aw_bits = $4"
	echo "page_sizes = ${page_kib}K" # the IOMMU's smallest: the CPU page
	echo "[group $2]"
	echo "iommu = $3"
	regions=
	while read -r start last type; do
		[ "$5" = arm-smmuv3 ] && [ "$type" = msi ] && type=sw-msi
		regions="$regions${regions:+, }$(printf '0x%x-0x%x' "$start" "$last") $type"
	done <"/sys/kernel/iommu_groups/$2/reserved_regions"
	[ -z "$regions" ] || echo "reserved = $regions"
	echo "[device $1]"
	echo "group = $2"
	echo "driver = vfio-pci"
	echo "vendor = 0x1234"
	echo "device = 0x11e8"
}

# With -f every line runs; the refused ones are the point.  TOP is empty
# for a 64-bit aperture, which has no IOVA above it.
# Sizes in CPU pages (PG): 4 KiB, or 64 KiB on the arm64-64k kernel.
edu_batch() { # BDF TOP (2^aw_bits, the first IOVA above the aperture) MSI_START MSI_LAST
	pg=$((page_kib * 1024))
	one=$(printf '0x%x' $pg)
	two=$(printf '0x%x' $((2 * pg)))
	half=$(printf '0x%x' $((pg / 2)))
	below=$(printf '0x%x' $(($3 - pg)))
	across=$(printf '0x%x' $(($4 + 1 - pg)))
	allow=$(printf '0x%x-0x%x' $(($3 & ~0xffffff)) $(($3 | 0xffffff)))
	cat <<EOF
ioas alloc name a
device open $1 name e
device bind e
device attach e to a
ioas map a iova $3 length $one
ioas map a iova $below length $two
ioas map a iova $across length $two
${2:+ioas map a iova $2 length $one
}ioas map a iova 0x100000 length $two
ioas map a iova $(printf '0x%x' $((0x100000 + pg))) length $one
ioas map a iova $(printf '0x%x' $((0x100000 + pg / 2))) length $one
ioas map a iova 0x200000 length $half
ioas unmap a iova 0x100000 length $one
ioas unmap a iova 0x300000 length $one
ioas allow a $allow
ioas destroy a
device detach e
ioas map a iova $3 length $one
device attach e to a
ioas unmap a all
ioas allow a $allow
device attach e to a
ioas allow a
device attach e to a
device close e
EOF
}

edu() {
	bdf=$(edu_bdf) || { echo "differential: SKIP edu (no edu device)"; return 0; }
	grp=$(basename "$(readlink "/sys/bus/pci/devices/$bdf/iommu_group")")
	iommu=$(basename "$(readlink "/sys/bus/pci/devices/$bdf/iommu")")
	msi=$(awk '$3 == "msi" { print $1, $2; exit }' \
		"/sys/kernel/iommu_groups/$grp/reserved_regions")
	if [ -z "$msi" ]; then
		echo "differential: FAIL edu: group $grp of $bdf lists no msi region"
		failed=$((failed + 1))
		return 0
	fi
	msi_start=$((${msi% *}))
	msi_last=$((${msi#* }))
	driver=$(readlink "/sys/bus/pci/devices/$bdf/driver")
	if ! "$ioasctl" device bind "$bdf" >"$out/edu-bind" 2>&1; then
		echo "differential: FAIL edu: cannot bind $bdf to vfio-pci:"
		sed 's/^/    /' "$out/edu-bind"
		failed=$((failed + 1))
		return 0
	fi
	cap=/sys/class/iommu/$iommu/intel-iommu/cap
	if [ -r "$cap" ]; then
		model=intel-vtd
		aw=$((((0x$(cat "$cap") >> 16) & 0x3f) + 1))
	else
		# Not VT-d: the ID registers say (an SMMUv3's paging domain is
		# stage 1, as wide as its input addresses).
		"$ioasctl" -j device hw-info "$bdf" >"$out/edu-hw" 2>&1
		if grep -q '"type":"arm-smmuv3"' "$out/edu-hw"; then
			model=arm-smmuv3
			aw=$(sed -n 's/.*"va_bits":\([0-9]*\).*/\1/p' "$out/edu-hw")
		elif grep -q '"type":"none"' "$out/edu-hw"; then
			# No hw_info data (virtio-iommu): no registers give the
			# width; the library's ceiling with the device bound,
			# which it must know from the kernel's ranges of a
			# scratch IOAS, does.
			model=virtio-iommu
			printf 'device open %s name e\ndevice bind e\nranges device %s\ndevice close e\n' \
				"$bdf" "$bdf" >"$out/edu-ranges.batch"
			"$ioasctl" batch "$out/edu-ranges.batch" >"$out/edu-ranges" 2>&1
			top=$(sed -n 's/.* ceiling \(0x[0-9a-f]*\).*/\1/p' "$out/edu-ranges")
			aw=
			if [ "$top" = 0xffffffffffffffff ]; then
				aw=64
			elif [ -n "$top" ] && ! grep -q estimated "$out/edu-ranges"; then
				for b in $(seq 12 63); do
					[ $(((1 << b) - 1)) -eq $((top)) ] && aw=$b
				done
			fi
			if [ -z "$aw" ]; then
				echo "differential: FAIL edu: hw info type none and no known power-of-two ceiling:"
				sed 's/^/    /' "$out/edu-ranges"
				failed=$((failed + 1))
				return 0
			fi
		else
			echo "differential: FAIL edu: $bdf is behind neither VT-d, an SMMUv3 nor an IOMMU without hw info:"
			sed 's/^/    /' "$out/edu-hw"
			failed=$((failed + 1))
			return 0
		fi
	fi
	edu_topology "$bdf" "$grp" "$iommu" "$aw" "$model" >"$out/edu.ini"
	above=
	[ "$aw" -ge 64 ] || above=$(printf '0x%x' $((1 << aw)))
	edu_batch "$bdf" "$above" "$msi_start" "$msi_last" \
		>"$out/edu.batch"
	(cd "$out" && "$ioasctl" -f --sim="$out/edu.ini" batch edu.batch) \
		>"$out/edu-sim" 2>&1
	echo "--- exit $?" >>"$out/edu-sim"
	(cd "$out" && env -u IOASID_BACKEND -u IOASID_TOPOLOGY "$ioasctl" -f batch edu.batch) \
		>"$out/edu-raw" 2>&1
	echo "--- exit $?" >>"$out/edu-raw"
	kernel_words "$out/edu-raw" "$out/edu-kernel"
	[ -n "$driver" ] || "$ioasctl" device unbind "$bdf" >/dev/null 2>&1
	msgs=$(grep -c ': Error: ' "$out/edu-kernel")
	if diff -u "$out/edu-sim" "$out/edu-kernel" >"$out/diff"; then
		echo "differential: PASS edu $bdf, $model aw $aw ($msgs messages)"
		passed=$((passed + 1))
	else
		echo "differential: FAIL edu $bdf, $model aw $aw (kernel vs simulator):"
		sed 's/^/    /' "$out/diff"
		failed=$((failed + 1))
	fi
}
edu

echo "differential: $passed passed, $failed failed"
if [ $((passed + failed)) -eq 0 ]; then
	echo "differential: no script is marked \"# differential\""
	exit 1
fi
[ $failed -eq 0 ]
