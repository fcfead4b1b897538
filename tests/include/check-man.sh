#!/bin/bash
# SPDX-License-Identifier: MIT
#
# check-man.sh HEADER MANDIR SCD... - the section 3 pages document the API
# as it is:
#  - every IOASID_API function has a page or a .so alias in MANDIR;
#  - every prototype in a SYNOPSIS is, whitespace aside, the header's;
#  - every built page renders without groff warnings.
set -uo pipefail

header=$1 mandir=$2
shift 2
passed=0 failed=0
pass() { passed=$((passed + 1)); }
fail() { failed=$((failed + 1)); echo "FAIL   $*"; }

# One declaration per line, from the first word to ";", whitespace squeezed.
normalize() {
	sed -E 's/[[:space:]]+/ /g; s/^ //; s/ $//; s/\( /(/g; s/ \)/)/g; s/ ,/,/g'
}
header_decls() {
	awk '/^IOASID_API/ { on = 1; text = "" }
	     on { text = text " " $0 }
	     on && /;/ { print text; on = 0 }' "$header" |
		sed 's/IOASID_API //' | normalize
}
# Prototypes inside the code blocks of SYNOPSIS sections.
man_decls() {
	awk '/^# SYNOPSIS/ { syn = 1; next }
	     /^# / { syn = 0 }
	     syn && /^```/ { code = !code; next }
	     syn && code && !on && /ioasid_[a-z_0-9]*\(/ && !/^#|^typedef/ { on = 1; text = "" }
	     on { text = text " " $0 }
	     on && /;/ { print text; on = 0 }' "$@" | normalize
}

header_decls | sort -u > "${TMPDIR:-/tmp}/check-man.h.$$"
man_decls "$@" | sort -u > "${TMPDIR:-/tmp}/check-man.m.$$"
trap 'rm -f "${TMPDIR:-/tmp}"/check-man.[hm].$$' EXIT

while read -r decl; do
	fn=$(echo "$decl" | sed -E 's/^[^(]*[ *]([a-z_0-9]+)\(.*/\1/')
	if [ -e "$mandir/$fn.3" ]; then pass; else fail "$fn has no man page"; fi
	if grep -qxF "$decl" "${TMPDIR:-/tmp}/check-man.m.$$"; then
		pass
	else
		fail "$fn: no SYNOPSIS has the header's prototype: $decl"
		grep -F "$fn(" "${TMPDIR:-/tmp}/check-man.m.$$" | sed 's/^/         man: /'
	fi
done < "${TMPDIR:-/tmp}/check-man.h.$$"

# Prototypes in the pages that the header does not have.
while read -r decl; do
	grep -qxF "$decl" "${TMPDIR:-/tmp}/check-man.h.$$" && continue
	fail "a SYNOPSIS declares what the header does not: $decl"
done < "${TMPDIR:-/tmp}/check-man.m.$$"

for page in "$mandir"/*.[0-9]; do
	grep -q '^\.so ' "$page" && continue
	warnings=$(groff -ww -z -man -Tutf8 "$page" 2>&1)
	if [ -z "$warnings" ]; then pass; else fail "$(basename "$page") renders with warnings:"; echo "$warnings" | sed 's/^/    | /'; fi
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
