#!/bin/bash
# SPDX-License-Identifier: MIT
#
# check-headers.sh CC CXX OUTDIR INCLUDE-FLAGS... -- HEADER...
#
# Each public header must compile on its own, first thing in a file:
#  - as ISO C99 and C11 with -pedantic-errors: the headers promise standard
#    C plus GCC's visibility attribute (which -pedantic accepts, being
#    spelled with __), so a VMM built with -std=c99 can use them;
#  - as C++11 and C++20 (extern "C", no C-only constructs);
#  - twice in one file (include guards).
# ioasid.h is also used, not just included: IOASID_OPTS needs designated
# initialisers, so that part is compiled as C and as C++20.
# Then check-last-field.sh: every sized struct's __last_field macro names
# its real last member.
set -uo pipefail

cc=$1 cxx=$2 out=$3
shift 3
includes=()
while [ $# -gt 0 ] && [ "$1" != -- ]; do includes+=("$1"); shift; done
shift
mkdir -p "$out"

passed=0 failed=0
try() { # try DESCRIPTION COMMAND...
	local what=$1
	shift
	if "$@" 2> "$out/last.err"; then
		passed=$((passed + 1))
		echo "PASS   $what"
	else
		failed=$((failed + 1))
		echo "FAIL   $what"
		sed 's/^/    | /' "$out/last.err"
	fi
}

warn=(-Wall -Wextra -Werror -pedantic-errors)
for header in "$@"; do
	stem=$(echo "$header" | tr '/.' '__')
	# The typedef keeps a header of macros only from being an empty
	# translation unit, which ISO C forbids.
	printf '#include <%s>\n#include <%s>\ntypedef int check_headers_nonempty;\n' \
		"$header" "$header" > "$out/$stem.c"
	cp "$out/$stem.c" "$out/$stem.cc"
	for std in c99 c11; do
		try "$header alone, -std=$std" \
			"$cc" -std=$std "${warn[@]}" "${includes[@]}" -c "$out/$stem.c" -o /dev/null
	done
	for std in c++11 c++20; do
		try "$header alone, -std=$std" \
			"$cxx" -std=$std "${warn[@]}" "${includes[@]}" -c "$out/$stem.cc" -o /dev/null
	done
done

# Use of the macros and types, in C and in C++20.
cat > "$out/use.c" <<'EOC'
#include <ioasid/ioasid.h>

int use(struct ioasid_ctx *ctx, void *buf);
int use(struct ioasid_ctx *ctx, void *buf)
{
	IOASID_OPTS(ioasid_map_opts, opts, .flags = IOASID_MAP_READ);
	IOASID_OPTS(ioasid_ctx_opts, copts, .backend = IOASID_BACKEND_SIM,
		    .topology = "t.ini");
	IOASID_OPTS(ioasid_dev_info, info); /* no initialisers at all */
	uint64_t iova = 0x100000;
	uint32_t id = 0;

	(void)copts;
	(void)info;
	if (ioasid_ioas_alloc(ctx, &id) < 0)
		return -1;
	return ioasid_ioas_map(ctx, id, buf, 4096, &iova, &opts);
}

#if IOASID_VERSION_MAJOR < 0 || !defined(IOASID_VERSION_STRING)
#error version macros missing
#endif
EOC
cp "$out/use.c" "$out/use.cc"
try "IOASID_OPTS and the API used, -std=c99" \
	"$cc" -std=c99 "${warn[@]}" "${includes[@]}" -c "$out/use.c" -o /dev/null
# g++ -Wextra warns about members a designated initialiser leaves out
# (C does not); C++ users of IOASID_OPTS with -Werror need this flag too.
try "IOASID_OPTS and the API used, -std=c++20" \
	"$cxx" -std=c++20 "${warn[@]}" -Wno-missing-field-initializers "${includes[@]}" -c "$out/use.cc" -o /dev/null

# No header grows past 1000 lines: split it by object instead.
for header in "$@"; do
	for dir in "${includes[@]}"; do
		f=${dir#-I}/$header
		[ -f "$f" ] || continue
		n=$(wc -l < "$f")
		try "$header: $n lines, at most 1000" test "$n" -le 1000
		break
	done
done

# <ioasid/ioasid.h> leaves the testing interface out: a VMM that includes
# it cannot name a test hook by mistake (the file-scope variables below
# would clash with their prototypes).
cat > "$out/no-testing.c" <<'EOC'
#include <ioasid/ioasid.h>
#ifdef IOASID_TESTING_H
#error <ioasid/ioasid.h> includes <ioasid/testing.h>
#endif
int ioasid_test_dirty, ioasid_ioas_msi_banks;
EOC
try "<ioasid/ioasid.h> does not declare the testing interface" \
	"$cc" -std=c11 "${warn[@]}" "${includes[@]}" -c "$out/no-testing.c" -o /dev/null

# The sized structs' __last_field macros (its own PASS/FAIL lines, counted
# here).
last_field=$(dirname "$0")/check-last-field.sh
"$last_field" "$cc" "$out" "${includes[@]}" -- "$@" > "$out/last-field.log"
grep -v '^[0-9]* passed, [0-9]* failed$' "$out/last-field.log"
read -r p _ f _ < <(tail -n 1 "$out/last-field.log")
passed=$((passed + ${p:-0})) failed=$((failed + ${f:-1}))

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
