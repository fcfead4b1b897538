#!/bin/bash
# SPDX-License-Identifier: MIT
#
# demo.sh IOASCTL [BATCH] - what "make demo" runs: BATCH (default
# examples/demo.batch) on the simulator, told as a story.  Each block of
# the batch, a comment and its commands, prints as "== the comment", then
# every command as "$ ioasctl COMMAND" and what it printed.  The objects
# live from one command to the next, so the output of command N is what
# the batch's first N commands print beyond what the first N-1 printed
# (the simulator is deterministic); it is the output of one whole run.
set -euo pipefail

ioasctl=$1
batch=${2:-$(dirname "$0")/demo.batch}
commands=()

say() { printf '%s\n' "$@"; }

# The output of the batch's first $1 commands.
upto() {
	printf '%s\n' "${commands[@]:0:$1}" | "$ioasctl" --sim batch -
}

say "libioasid demo: ioasctl driving an iommufd on the library's simulator" \
	"(no /dev/iommu, no root, nothing on this host changes)." \
	"" \
	"The topology is the simulator's built-in x86 server" \
	"(examples/topologies/x86-server.ini): one Intel VT-d IOMMU, vtd0, with" \
	"48-bit IOVAs and 4K/2M/1G pages; seven PCI functions in six IOMMU groups" \
	"(00:05.0 and 00:05.1 share group 12; 00:06.0 is held by the host's nvme" \
	"driver, the others by vfio-pci) and two mdevs on 00:05.0.  Every group" \
	"reserves the interrupt (MSI) window 0xfee00000-0xfeefffff; group 14, a" \
	"USB controller, also a range the firmware maps (direct)."

comment=() shown=0 header=1
flush_comment() {
	[ ${#comment[@]} -gt 0 ] || return 0
	say "" "== ${comment[0]}"
	[ ${#comment[@]} -gt 1 ] && printf '   %s\n' "${comment[@]:1}"
	comment=()
}
while IFS= read -r line || [ -n "$line" ]; do
	case $line in
	'#'*)
		# The file's first block (licence, how to run it) is no step.
		[ $header = 1 ] && continue
		comment+=("$(sed 's/^# \{0,1\}//' <<< "$line")")
		;;
	'')
		header=0
		;;
	*)
		header=0
		flush_comment
		commands+=("$line")
		out=$(upto ${#commands[@]})
		say "\$ ioasctl $line"
		if [ -n "$out" ]; then
			tail -n +$((shown + 1)) <<< "$out"
			shown=$(wc -l <<< "$out")
		fi
		;;
	esac
done < "$batch"

say "" "== The same in JSON, for scripts: -j (or -p, indented) on any command or" \
	"   batch (ioasctl --sim -p batch $batch: each command's words and output)." \
	"\$ ioasctl -p group show 11"
"$ioasctl" --sim -p group show 11
