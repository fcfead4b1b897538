#!/bin/sh
# SPDX-License-Identifier: MIT
#
# man-aliases.sh PAGE.scd... - print "ALIAS manN/PAGE" for every extra name
# a page lists under NAME ("ioasid_ioas_map, ioasid_ioas_map_file - ..."),
# so that "man ioasid_ioas_map_file" finds the page through a .so link.
set -eu

for src in "$@"; do
	page=$(basename "$src" .scd)            # ioasid_ioas_map.3
	name=${page%.*} section=${page##*.}
	# The NAME paragraph, joined into one line, up to " - ".
	awk '/^# NAME/ { on = 1; next }
	     on && /^$/ { if (text != "") exit; next }
	     on { text = text " " $0 }
	     END { sub(/ - .*/, "", text); sub(/ -$/, "", text); print text }' "$src" |
		sed 's/[*\\]//g; s/,/ /g' | tr -s ' ' '\n' |
		while read -r alias; do
			case $alias in ""|"$name"|*[!A-Za-z0-9_.-]*) continue ;; esac
			echo "$alias.$section man$section/$page"
		done
done
