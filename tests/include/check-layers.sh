#!/bin/bash
# SPDX-License-Identifier: MIT
#
# check-layers.sh NM OBJDIR MAP LAYER=ALLOWED[,ALLOWED...]...
#
# The library's folders are layers (docs/DESIGN.md); the Makefile gives
# each the include path of the layers it may use.  This checks what the
# include path cannot:
#  - sources include headers by name only: a path ("../core/core.h",
#    "viommu/wire.h") would reach around the include path;
#  - every symbol an object uses from another library object is defined
#    in its own layer or one it may use, so no layer calls upward, even
#    through a hand-written extern declaration: the calls between folders
#    have no loop.
# OBJDIR is the directory of the static objects ($(BUILD)/lib/static), MAP
# the version script; ALLOWED "public" means the symbols MAP exports.
set -uo pipefail

nm=$1 objdir=$2 map=$3
shift 3
declare -A allowed
for rule in "$@"; do
	allowed[${rule%%=*}]=",${rule#*=},"
done

passed=0 failed=0
pass() { passed=$((passed + 1)); echo "PASS   $1"; }
fail() { failed=$((failed + 1)); echo "FAIL   $1"; }

# Includes by path.
bad=$(grep -n '^[[:space:]]*#[[:space:]]*include[[:space:]]*"[^"]*/' \
	$(find lib -name '*.[ch]') 2>/dev/null)
if [ -z "$bad" ]; then
	pass "lib/ includes headers by name only"
else
	fail "lib/ includes a header by path (use the layer's include path):"
	echo "$bad" | sed 's/^/       /'
fi

layer_of() { # layer_of OBJECT-PATH: the folder under OBJDIR
	local rel=${1#"$objdir"/}
	echo "${rel%/*}"
}

# Objects of today's sources only (a build directory may hold old ones).
objs=()
for o in $(find "$objdir" -name '*.o' | sort); do
	rel=${o#"$objdir"/}
	[ -f "lib/${rel%.o}.c" ] && objs+=("$o")
done
declare -A exported
while read -r sym; do
	exported[$sym]=1
done < <(sed -n 's/^[[:space:]]*\(ioasid_[a-z0-9_]*\);.*/\1/p' "$map")
if [ ${#objs[@]} -eq 0 ]; then
	fail "no objects under $objdir (build the library first)"
	echo "$passed passed, $failed failed"
	exit 1
fi

# Which layer defines each global symbol.
declare -A defined_in
for o in "${objs[@]}"; do
	l=$(layer_of "$o")
	if [ -z "${allowed[$l]:-}" ]; then
		fail "$o: folder $l is not a layer this check knows"
		continue
	fi
	while read -r sym; do
		defined_in[$sym]=$l
	done < <("$nm" --defined-only --extern-only --format=just-symbols "$o")
done

for o in "${objs[@]}"; do
	l=$(layer_of "$o")
	[ -n "${allowed[$l]:-}" ] || continue
	ok=1
	while read -r sym; do
		d=${defined_in[$sym]:-}
		[ -n "$d" ] || continue # libc, iniparser, pthread
		[ "$d" = "$l" ] && continue
		[[ ${allowed[$l]} == *",$d,"* ]] && continue
		[[ ${allowed[$l]} == *",public,"* ]] && [ -n "${exported[$sym]:-}" ] && continue
		fail "${o#"$objdir"/} ($l) uses $sym from layer $d, which $l may not use"
		ok=0
	done < <("$nm" --undefined-only --format=just-symbols "$o")
	[ $ok = 1 ] && pass "${o#"$objdir"/} uses only layers $l may use"
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
