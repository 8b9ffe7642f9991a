#!/bin/sh
# A size budget, so no file grows back into a heap of concerns: every
# src/*.c and src/*.h has at most 800 lines, every function in src/*.c at
# most 100. A function is a signature at column 0 and a body from a `{`
# alone at column 0 to a `}` alone at column 0 (both lines counted).
. "$HAUL_SRCDIR/tests/lib/tap.sh"

MAX_FILE=800
MAX_FUNC=100

set -- "$HAUL_SRCDIR"/src/*.c "$HAUL_SRCDIR"/src/*.h
[ -e "$1" ] || bail "no sources in $HAUL_SRCDIR/src"

# functions FILE: "LINES NAME" for every function of FILE, in order.
functions() {
	awk '
	/^[A-Za-z_].*\(/ && !/;[[:space:]]*$/ { sig = $0 }
	/^\{$/ {
		name = sig
		sub(/\(.*/, "", name)
		sub(/.*[^A-Za-z0-9_]/, "", name)
		from = NR
	}
	/^\}$/ && from { print NR - from + 1, (name == "" ? "?" : name); from = 0 }
	' "$1"
}

T=$(mktemp -d "${TMPDIR:-/tmp}/haul-test.XXXXXX") || bail "no scratch directory"
trap 'rm -rf "$T"' EXIT

for f in "$@"; do
	rel=src/${f##*/}
	lines=$(wc -l <"$f")
	lines=$((lines + 0))
	case $f in
	*.c)
		functions "$f" >"$T/funcs"
		longest=$(sort -n "$T/funcs" | tail -n 1)
		[ -n "$longest" ] || longest="0 -"
		[ "$lines" -le "$MAX_FILE" ]
		ok $? "$rel: $lines lines (at most $MAX_FILE); longest function ${longest#* }, ${longest%% *} lines"
		while read -r n name; do
			[ "$n" -le "$MAX_FUNC" ] ||
				ok 1 "$rel: $name() is $n lines (at most $MAX_FUNC)"
		done <"$T/funcs"
		;;
	*)
		[ "$lines" -le "$MAX_FILE" ]
		ok $? "$rel: $lines lines (at most $MAX_FILE)"
		;;
	esac
done
tap_done
