#!/bin/sh
# The manual pages are valid mdoc: mandoc -Tlint reports no warning or error.
. "$HAUL_SRCDIR/tests/lib/tap.sh"

command -v mandoc >/dev/null 2>&1 || skip_all "mandoc is not installed"
for page in "$HAUL_SRCDIR"/man/*.[1-9]; do
	out=$(mandoc -Tlint -W warning "$page" 2>&1)
	ok $? "mandoc -Tlint: $(basename "$page") is clean"
	[ -z "$out" ] || diag "$out"
done
tap_done
