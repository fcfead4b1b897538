#!/bin/bash
# SPDX-License-Identifier: MIT
#
# check-last-field.sh CC OUTDIR INCLUDE-FLAGS... -- HEADER...
#
# Every struct of the public headers that has an sz member (the sized
# structs of libioasid(3)) must be followed by
#     #define <struct name>__last_field <its last member>
# naming its real last member: the library accepts nothing past the end of
# that member (lib/util/util.h, IOASID_OPTS_KNOWN), so a member added
# without moving the macro would be refused, and a macro left pointing at
# an earlier member would let the bytes of a later one be ignored.
#
# The members are read from the header with comments stripped (gcc
# -fpreprocessed); the compiler then confirms what was read: the member
# taken as last has the highest offset of all, and the macro names it.
set -uo pipefail

cc=$1 out=$2
shift 2
includes=()
while [ $# -gt 0 ] && [ "$1" != -- ]; do includes+=("$1"); shift; done
shift
mkdir -p "$out"

passed=0 failed=0
pass() { passed=$((passed + 1)); echo "PASS   $*"; }
fail() { failed=$((failed + 1)); echo "FAIL   $*"; }

# The file of HEADER (ioasid/ioasid.h) on the include path.
find_header() {
	local flag
	for flag in "${includes[@]}"; do
		case $flag in -I*) [ -f "${flag#-I}/$1" ] && { echo "${flag#-I}/$1"; return; } ;; esac
	done
	return 1
}

# One line per sized struct: "NAME LAST_FIELD_MACRO_OR_- MEMBER..." with
# the members in declaration order (unnamed bit-fields left out).
sized_structs() {
	"$cc" -fpreprocessed -dD -E -P "$1" 2>/dev/null | awk '
	function flush_member(decl,   n, parts, d, name) {
		gsub(/[ \t\n]+/, " ", decl)
		sub(/^ /, "", decl); sub(/ $/, "", decl)
		if (decl == "") return
		if (decl ~ /^[A-Za-z_0-9 ]*: *[0-9]+$/ && decl !~ /[A-Za-z_0-9] +[A-Za-z_][A-Za-z_0-9]* *:/)
			return # unnamed bit-field, e.g. "size_t : 0"
		if (match(decl, /\( *\* *[A-Za-z_][A-Za-z_0-9]* *\)/)) {
			name = substr(decl, RSTART, RLENGTH)
			gsub(/[()* ]/, "", name)
			members = members " " name
			return
		}
		n = split(decl, parts, ",")
		for (d = 1; d <= n; d++) {
			name = parts[d]
			gsub(/\[[^]]*\]/, "", name)  # arrays
			sub(/:.*/, "", name)          # bit-fields
			gsub(/[* ]+$/, "", name)
			sub(/.*[ *]/, "", name)
			members = members " " name
		}
	}
	/^[ \t]*struct ioasid_[a-z_0-9]+[ \t]*\{/ && depth == 0 {
		s = $0; sub(/^[ \t]*struct /, "", s); sub(/[ \t]*\{.*/, "", s)
		cur = s; depth = 1; members = ""; decl = ""; next
	}
	depth > 0 {
		line = $0
		for (i = 1; i <= length(line); i++) {
			c = substr(line, i, 1)
			if (c == "{") depth++
			else if (c == "}") {
				depth--
				if (depth == 0) {
					if (members ~ /^ sz( |$)/) sized[cur] = members
					break
				}
			} else if (c == ";" && depth == 1) {
				flush_member(decl); decl = ""
			} else if (depth == 1) decl = decl c
		}
		decl = decl " "
		next
	}
	/^#define ioasid_[a-z_0-9]+__last_field / {
		s = $2; sub(/__last_field$/, "", s); last[s] = $3
	}
	END {
		for (s in sized)
			print s, (s in last ? last[s] : "-") sized[s]
	}' | sort
}

for header in "$@"; do
	file=$(find_header "$header") || { fail "$header: not on the include path"; continue; }
	n=0
	stem=$(echo "$header" | tr '/.' '__')
	{
		echo "#include <stddef.h>"
		echo "#include <$header>"
	} > "$out/$stem-last.c"
	while read -r name macro members; do
		n=$((n + 1))
		last=${members##* }
		if [ "$macro" = - ]; then
			fail "$header: struct $name has sz but no #define ${name}__last_field"
			continue
		fi
		if [ "$macro" != "$last" ]; then
			fail "$header: ${name}__last_field is $macro, but the last member of struct $name is $last"
			continue
		fi
		pass "$header: ${name}__last_field names $last, the last member"
		for m in $members; do
			[ "$m" = "$last" ] && continue
			echo "_Static_assert(offsetof(struct $name, $m) < offsetof(struct $name, $last), \"struct $name: $m after $last\");"
		done >> "$out/$stem-last.c"
		echo "_Static_assert(offsetof(struct $name, ${name}__last_field) == offsetof(struct $name, $last), \"${name}__last_field\");" \
			>> "$out/$stem-last.c"
	done < <(sized_structs "$file")
	[ "$n" -gt 0 ] || continue
	if "$cc" -std=gnu11 -Wall -Werror "${includes[@]}" -c "$out/$stem-last.c" \
		-o /dev/null 2> "$out/$stem-last.err"; then
		pass "$header: the compiler agrees on the $n sized structs' last members"
	else
		fail "$header: the compiler disagrees on the sized structs' members:"
		sed 's/^/    | /' "$out/$stem-last.err"
	fi
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
