#!/bin/bash
# SPDX-License-Identifier: MIT
#
# check-abi.sh NM LIBRARY MAP HEADER - the library exports exactly the
# functions its version map lists, and the map lists exactly the
# IOASID_API functions of the public header.
set -euo pipefail

nm=$1 lib=$2 map=$3 header=$4
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Defined dynamic symbols, without the @@IOASID_x.y.z suffix; the version
# nodes themselves are absolute symbols (type A) and are left out.
$nm -D --defined-only "$lib" | awk '$2 != "A" { sub(/@.*/, "", $3); print $3 }' |
	sort -u > "$tmp/exported"

# Every "name;" in a global: section of the map.
awk '
	/global:/ { g = 1; next }
	/local:/ { g = 0; next }
	/}/ { g = 0 }
	g { gsub(/[ \t;]/, ""); if ($0 != "") print }
' "$map" | sort -u > "$tmp/map"

# The first identifier before "(" on each line starting with IOASID_API.
grep -o '^IOASID_API[^(]*(' "$header" |
	sed -E 's/.*[^A-Za-z0-9_]([A-Za-z_][A-Za-z0-9_]*)\($/\1/' |
	sort -u > "$tmp/header"

fail=0
report() { # report FILE-A FILE-B WHAT
	local extra
	extra=$(comm -23 "$tmp/$1" "$tmp/$2")
	if [ -n "$extra" ]; then
		echo "check-abi: $3:"
		echo "$extra" | sed 's/^/    /'
		fail=1
	fi
}
report exported map "exported by $(basename "$lib") but not in $map"
report map exported "in $map but not exported by $(basename "$lib")"
report header map "IOASID_API in $header but not in $map"
report map header "in $map but not IOASID_API in $header"

n=$(wc -l < "$tmp/map")
if [ "$fail" -eq 0 ]; then
	echo "check-abi: $n symbols: library, map and header agree"
	echo "1 passed, 0 failed"
else
	echo "0 passed, 1 failed"
fi
exit "$fail"
