#!/bin/sh
# One test for the option table and everything made from it: every option
# in `haul --help` (generated from the table) is in the OPTIONS section of
# haul(1) and in both shell completions, and nothing else is there.
# (tests/t-completions.sh drives the completions and checks the table.)
. "$HAUL_SRCDIR/tests/lib/tap.sh"

T=$(mktemp -d "${TMPDIR:-/tmp}/haul-test.XXXXXX") || bail "no scratch directory"
trap 'rm -rf "$T"' EXIT

"$HAUL" --help >"$T/help"
ok $? "haul --help exits 0"

# From --help: "  -n, --connections N  ..." and "      --http2  ...".
sed -n 's/^ *\(-[A-Za-z0-9], \)\{0,1\}\(--[a-z0-9-]*\).*/\1\2/p' "$T/help" |
	tr ',' '\n' | sed 's/^ *//; /^$/d' | sort -u >"$T/from-help"

# From the man page: the ".It Fl" lines of the OPTIONS list.
sed -n '/^\.Sh OPTIONS/,/^\.Sh /p' "$HAUL_SRCDIR/man/haul.1" | sed -n 's/^\.It //p' |
	awk '{ for (i = 1; i < NF; i++) if ($i == "Fl") { f = $(i + 1); gsub(/\\-/, "-", f);
		print "-" f } }' | sort -u >"$T/from-man"

test -s "$T/from-help"
ok $? "found options in --help ($(wc -l <"$T/from-help"))"
test -s "$T/from-man"
ok $? "found options in haul(1) ($(wc -l <"$T/from-man"))"

missing=$(comm -23 "$T/from-help" "$T/from-man" | tr '\n' ' ')
is "$missing" "" "every --help option is documented in haul(1)"
extra=$(comm -13 "$T/from-help" "$T/from-man" | tr '\n' ' ')
is "$extra" "" "every option in haul(1) exists in --help"

# The completions (generated from --help at build time) offer the same.
if [ -n "${HAUL_BUILDDIR:-}" ] && [ -s "$HAUL_BUILDDIR/completions/haul.bash" ]; then
	sed -n 's/^_haul_options="\(.*\)"$/\1/p' "$HAUL_BUILDDIR/completions/haul.bash" |
		tr ' ' '\n' | sed '/^$/d' | sort -u >"$T/from-bash"
	is "$(comm -3 "$T/from-help" "$T/from-bash" | tr -d '\t' | tr '\n' ' ')" "" \
		"the bash completion offers exactly the --help options"
	sed -n "s/^		'\([^[]*\)\[.*/\1/p" "$HAUL_BUILDDIR/completions/_haul" |
		grep -o -- '--\{0,1\}[A-Za-z0-9][A-Za-z0-9-]*' | sort -u >"$T/from-zsh"
	is "$(comm -3 "$T/from-help" "$T/from-zsh" | tr -d '\t' | tr '\n' ' ')" "" \
		"the zsh completion offers exactly the --help options"
else
	skip 2 "no completions built"
fi

# The synopsis names every short option too.
syn=$(sed -n '/^\.Sh SYNOPSIS/,/^\.Sh /p' "$HAUL_SRCDIR/man/haul.1")
for opt in $(grep '^-[A-Za-z0-9]$' "$T/from-help"); do
	l=${opt#-}
	echo "$syn" | grep -Eq "^\.Op (.* )?Fl [A-Za-z0-9]*$l" || echo "$syn" | grep -q "^\.Fl $l "
	ok $? "synopsis lists $opt"
done
tap_done
