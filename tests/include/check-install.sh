#!/bin/bash
# SPDX-License-Identifier: MIT
#
# check-install.sh MAKE STAGE PREFIX CC OUTDIR
#
# Install into STAGE (MAKE carries DESTDIR=STAGE PREFIX=PREFIX), then build
# programs against the staged copy the way a user would, through
# pkg-config: tests/include/install-test.c (shared and static), the C
# example of README.md and examples/*.c.  Finally uninstall and check that
# no file is left behind.
set -uo pipefail

make_cmd=$1 stage=$2 prefix=$3 cc=$4 out=$5
srcdir=$(cd "$(dirname "$0")/../.." && pwd)
mkdir -p "$out"

passed=0 failed=0
try() { # try DESCRIPTION COMMAND...
	local what=$1
	shift
	if "$@" > "$out/last.log" 2>&1; then
		passed=$((passed + 1))
		echo "PASS   $what"
	else
		failed=$((failed + 1))
		echo "FAIL   $what"
		sed 's/^/    | /' "$out/last.log"
	fi
}

# pkg-config prefixes -I and -L with the sysroot, as for a cross build.
export PKG_CONFIG_PATH=$stage$prefix/lib/pkgconfig
export PKG_CONFIG_SYSROOT_DIR=$stage
export PKG_CONFIG_LIBDIR=$PKG_CONFIG_PATH
# Keep -I/usr/include and -L/usr/lib: with a sysroot they point into STAGE.
export PKG_CONFIG_ALLOW_SYSTEM_CFLAGS=1 PKG_CONFIG_ALLOW_SYSTEM_LIBS=1
libdir=$stage$prefix/lib

installed_files() {
	(cd "$stage" && find . \( -type f -o -type l \) | sort)
}

try "make install DESTDIR=$stage" $make_cmd install
try "installed: library, soname links, headers, pkg-config file" bash -c '
	cd "$1$2" &&
	test -f lib/libioasid.a && test -L lib/libioasid.so &&
	test -e lib/libioasid.so.0 && test -f include/ioasid/ioasid.h &&
	test -f include/ioasid/version.h && test -f lib/pkgconfig/libioasid.pc &&
	readelf -d lib/libioasid.so.0 | grep -q "SONAME.*\[libioasid\.so\.0\]"
' _ "$stage" "$prefix"
installed_files > "$out/installed.txt"
echo "       ($(wc -l < "$out/installed.txt") files and links installed)"

# Every public header of the tree is installed, and compiles on its own
# from the installed copy (so none includes a header that is not
# installed).
for h in "$srcdir"/include/ioasid/*.h; do
	name=ioasid/$(basename "$h")
	try "installed $name compiles on its own" bash -c "
		test -f '$stage$prefix/include/$name' &&
		printf '#include <%s>\nint installed_header_check;\n' '$name' |
			$cc -std=c11 -Wall -Wextra -Werror -pedantic-errors \
				-I'$stage$prefix/include' -x c -c - -o /dev/null"
done

cflags=$(pkg-config --cflags libioasid)
libs=$(pkg-config --libs libioasid)
static_libs=$(pkg-config --static --libs-only-other --libs-only-L libioasid)
private_libs=$(pkg-config --static --libs-only-l libioasid | sed 's/-lioasid//')

try "pkg-config --modversion = VERSION" \
	test "$(pkg-config --modversion libioasid)" = "$(cat "$srcdir/VERSION")"
try "install-test.c, shared, via pkg-config" bash -c "
	$cc -Wall -Wextra -Werror $cflags -o '$out/install-test' \
		'$srcdir/tests/include/install-test.c' $libs &&
	readelf -d '$out/install-test' | grep -q 'NEEDED.*libioasid\.so\.0' &&
	LD_LIBRARY_PATH='$libdir' '$out/install-test'"
# A VMM-like program (it uses no <ioasid/testing.h>) needs only the
# release node, never the testing one.
try "install-test needs IOASID_0.1.0 and no IOASID_TESTING node" bash -c "
	readelf -V '$out/install-test' > '$out/install-test.versions' &&
	grep -q 'Name: IOASID_0\.' '$out/install-test.versions' &&
	! grep -q IOASID_TESTING '$out/install-test.versions'"
try "install-test.c, static, via pkg-config --static" bash -c "
	$cc -Wall -Wextra -Werror $cflags -o '$out/install-test-static' \
		'$srcdir/tests/include/install-test.c' $static_libs \
		-Wl,-Bstatic -lioasid -Wl,-Bdynamic $private_libs &&
	! readelf -d '$out/install-test-static' | grep -q libioasid &&
	'$out/install-test-static'"

# The API sketch in README.md must compile and run as printed.
awk '/^```c$/ { on = 1; next } /^```/ { if (on) exit } on' \
	"$srcdir/README.md" > "$out/readme-example.c"
if [ -s "$out/readme-example.c" ]; then
	try "README.md example builds and runs" bash -c "
		$cc -Wall -Wextra -Werror $cflags -o '$out/readme-example' \
			'$out/readme-example.c' $libs &&
		LD_LIBRARY_PATH='$libdir' '$out/readme-example'"
fi

# The ioasctl session in README.md, run with the installed ioasctl: the
# lines after "$ cat vm.batch" form the batch file, every "$ ioasctl ..."
# line must succeed.
if [ -x "$stage$prefix/bin/ioasctl" ] && grep -q '^    \$ ioasctl' "$srcdir/README.md"; then
	awk '/^    \$ cat vm.batch/ { on = 1; next } /^    \$/ { on = 0 }
	     on { sub(/^    /, ""); print }' "$srcdir/README.md" > "$out/vm.batch"
	grep '^    \$ ioasctl' "$srcdir/README.md" | sed 's/^    \$ //; s/ *#.*//' > "$out/readme-commands"
	try "README.md ioasctl session runs" bash -c "
		cd '$out' && [ -s vm.batch ] &&
		while read -r ioasctl args; do
			echo \"\$ ioasctl \$args\"
			'$stage$prefix/bin/ioasctl' \$args < /dev/null || exit 1
		done < readme-commands"
fi

shopt -s nullglob
for example in "$srcdir"/examples/*.c; do
	name=$(basename "$example" .c)
	try "examples/$name.c builds" \
		$cc -Wall -Wextra -Werror $cflags -o "$out/$name" "$example" $libs
done

try "make uninstall removes every installed file" bash -c "
	$make_cmd uninstall &&
	left=\$(cd '$stage' && find . \\( -type f -o -type l \\)) &&
	{ [ -z \"\$left\" ] || { echo \"left behind:\"; echo \"\$left\"; false; }; }"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
