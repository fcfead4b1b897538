#!/bin/bash
# SPDX-License-Identifier: MIT
#
# check-abi.sh NM LIBRARY MAP HEADER... - the library exports exactly the
# functions its version map lists, the map lists exactly the IOASID_API
# functions of the public headers, and each function sits in the right
# node, in the map and in the library:
#  - the functions of <ioasid/testing.h> (test plumbing, simulator-only
#    hooks) in an IOASID_TESTING_x.y.z node, which a VMM never needs;
#  - every other function in a release node, IOASID_x.y.z.
set -euo pipefail

nm=$1 lib=$2 map=$3
shift 3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Defined dynamic symbols as "name node"; the version nodes themselves
# are absolute symbols (type A) and are left out.
$nm -D --defined-only "$lib" | awk '$2 != "A" {
	name = $3; node = "-"
	if (index(name, "@")) { node = name; sub(/^[^@]*@+/, "", node); sub(/@.*/, "", name) }
	print name, node
}' | sort -u > "$tmp/exported-nodes"
cut -d' ' -f1 "$tmp/exported-nodes" | sort -u > "$tmp/exported"

# Every "name;" in a global: section of the map, as "name node".
awk '
	/^[A-Z][A-Z0-9_.]*[ \t]*\{/ { node = $1; sub(/\{.*/, "", node) }
	/global:/ { g = 1; next }
	/local:/ { g = 0; next }
	/}/ { g = 0 }
	g { gsub(/[ \t;]/, ""); if ($0 != "") print $0, node }
' "$map" | sort -u > "$tmp/map-nodes"
cut -d' ' -f1 "$tmp/map-nodes" | sort -u > "$tmp/map"

# The first identifier before "(" on each line starting with IOASID_API,
# as "name header".
for header in "$@"; do
	{ grep -o '^IOASID_API[^(]*(' "$header" || true; } |
		sed -E 's/.*[^A-Za-z0-9_]([A-Za-z_][A-Za-z0-9_]*)\($/\1/' |
		sed "s|\$| $(basename "$header")|"
done | sort -u > "$tmp/header-files"
cut -d' ' -f1 "$tmp/header-files" | sort -u > "$tmp/header"

fail=0
checks=0
report() { # report FILE-A FILE-B WHAT
	local extra
	checks=$((checks + 1))
	extra=$(comm -23 "$tmp/$1" "$tmp/$2")
	if [ -n "$extra" ]; then
		echo "check-abi: $3:"
		echo "$extra" | sed 's/^/    /'
		fail=$((fail + 1))
	fi
}
report exported map "exported by $(basename "$lib") but not in $map"
report map exported "in $map but not exported by $(basename "$lib")"
report header map "IOASID_API in the headers but not in $map"
report map header "in $map but not IOASID_API in the headers"

# Which node each header's functions belong in.
awk '{ print $1, ($2 == "testing.h" ? "IOASID_TESTING_" : "IOASID_") }' \
	"$tmp/header-files" | sort -u > "$tmp/want-prefix"
checks=$((checks + 1))
bad=$(join "$tmp/want-prefix" "$tmp/map-nodes" | awk '{
	rest = substr($3, length($2) + 1)
	if (index($3, $2) != 1 || rest !~ /^[0-9]+\.[0-9]+\.[0-9]+$/)
		printf "    %s: in node %s, wants %sx.y.z\n", $1, $3, $2
}')
if [ -n "$bad" ]; then
	echo "check-abi: functions in the wrong node of $map:"
	echo "$bad"
	fail=$((fail + 1))
fi
checks=$((checks + 1))
bad=$(join "$tmp/map-nodes" "$tmp/exported-nodes" | awk '$2 != $3 {
	printf "    %s: %s in the map, %s in the library\n", $1, $2, $3 }')
if [ -n "$bad" ]; then
	echo "check-abi: $(basename "$lib") exports functions under another node than the map's:"
	echo "$bad"
	fail=$((fail + 1))
fi

n=$(wc -l < "$tmp/map")
t=$(grep -c ' IOASID_TESTING_' "$tmp/map-nodes" || true)
if [ "$fail" -eq 0 ]; then
	echo "check-abi: $n symbols ($t of them testing): library, map and headers agree"
fi
echo "$((checks - fail)) passed, $fail failed"
[ "$fail" -eq 0 ]
