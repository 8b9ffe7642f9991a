#!/bin/sh
# The bash and zsh completions (generated from `haul --help` by
# tools/gen-completions) know every option of the table and no other, complete
# what they should when driven for real, and `make install` puts them, the
# program and both manual pages where configure says.
. "$HAUL_SRCDIR/tests/lib/tap.sh"

: "${HAUL_BUILDDIR:?HAUL_BUILDDIR must point at the build tree}"
BASHC=$HAUL_BUILDDIR/completions/haul.bash
ZSHC=$HAUL_BUILDDIR/completions/_haul
GEN=$HAUL_SRCDIR/tools/gen-completions

T=$(mktemp -d "${TMPDIR:-/tmp}/haul-test.XXXXXX") || bail "no scratch directory"
trap 'rm -rf "$T"' EXIT
[ -s "$BASHC" ] && [ -s "$ZSHC" ] || bail "no completions in $HAUL_BUILDDIR/completions"

# words: one a line, sorted, unique, as one space-separated line.
words() { tr ' ' '\n' | sed '/^$/d' | sort -u | tr '\n' ' ' | sed 's/ $//'; }

# --- the table, --help and the completions name the same options ---------

"$HAUL" --help >"$T/help"
ok $? "haul --help exits 0"

# The rows of the option table: { "name", 'x', ... or { "name", 0, ...
sed -n '/^static const struct cli_option options\[\] = {/,/^};/p' "$HAUL_SRCDIR/src/cli.c" |
	sed -n "s/^[[:space:]]*{ \"\([a-z0-9-]*\)\", \('\(.\)'\)\{0,1\}.*/--\1 -\3/p" |
	sed 's/ -$//' | words >"$T/from-table"
# --help, read as tests/t-options-sync.sh reads it.
sed -n 's/^ *\(-[A-Za-z0-9], \)\{0,1\}\(--[a-z0-9-]*\).*/\1\2/p' "$T/help" |
	tr ',' ' ' | words >"$T/from-help"
sed -n 's/^ *\(-[A-Za-z0-9], \)\{0,1\}\(--[a-z0-9-]*\) [^ ].*/\1\2/p' "$T/help" |
	tr ',' ' ' | words >"$T/help-args"
test -s "$T/from-table"
ok $? "found the option table in src/cli.c ($(wc -w <"$T/from-table") names)"
is "$(cat "$T/from-help")" "$(cat "$T/from-table")" "--help shows every option of the table"

sed -n 's/^_haul_options="\(.*\)"$/\1/p' "$BASHC" | words >"$T/from-bash"
is "$(cat "$T/from-bash")" "$(cat "$T/from-help")" "the bash completion offers exactly the --help options"
sed -n '/^_haul_takes_arg()/,/^}/s/^	\(-.*\)) return 0 ;;$/\1/p' "$BASHC" | tr '|' ' ' |
	words >"$T/bash-args"
is "$(cat "$T/bash-args")" "$(cat "$T/help-args")" \
	"the bash completion knows which options take an argument"

# zsh: the option names in front of each _arguments description.
sed -n "s/^		'\([^[]*\)\[.*/\1/p" "$ZSHC" | grep -o -- '--\{0,1\}[A-Za-z0-9][A-Za-z0-9-]*' |
	words >"$T/from-zsh"
is "$(cat "$T/from-zsh")" "$(cat "$T/from-help")" "the zsh completion offers exactly the --help options"
sed -n "s/^		'\([^[]*\)\[.*/\1/p" "$ZSHC" | grep -o -- '--\{0,1\}[A-Za-z0-9][A-Za-z0-9-]*[=+]' |
	tr -d '=+' | words >"$T/zsh-args"
is "$(cat "$T/zsh-args")" "$(cat "$T/help-args")" \
	"the zsh completion knows which options take an argument"

# The algorithm list of tools/gen-completions against src/digest.c's table.
algs=$(sed -n 's/^[[:space:]]*\[DIGEST_[A-Z0-9]*\] = { "\([a-z0-9]*\)".*/\1/p' \
	"$HAUL_SRCDIR/src/digest.c" | words)
test -n "$algs"
ok $? "found the digest algorithms in src/digest.c ($algs)"
is "$(sed -n 's/^_haul_algorithms="\(.*\)"$/\1/p' "$BASHC" | words)" "$algs" \
	"the bash completion offers the algorithms of src/digest.c"
is "$(sed -n 's/.*compadd -S : -- //p' "$ZSHC" | words)" "$algs" \
	"the zsh completion offers the algorithms of src/digest.c"

# --- bash, driven as readline would ---------------------------------------

command -v bash >/dev/null 2>&1 || bail "no bash"
bash -n "$BASHC"
ok $? "bash -n: completions/haul.bash parses"

# drive.bash FILE WORD...: the replies of FILE's completion for "haul WORD...",
# the last WORD the one being completed, split at COMP_WORDBREAKS as given
# (bash sets that itself: $WORDBREAKS replaces it).
cat >"$T/drive.bash" <<'EOF'
. "$1" || exit 1
[ -z "${WORDBREAKS:-}" ] || COMP_WORDBREAKS=$WORDBREAKS
shift
COMP_WORDS=(haul "$@")
COMP_CWORD=$#
COMP_LINE="haul $*"
COMP_POINT=${#COMP_LINE}
_haul haul "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
complete -p haul >/dev/null || exit 1
printf '%s\n' "${COMPREPLY[@]}"
EOF
mkdir "$T/cwd" "$T/cwd/subdir" && : >"$T/cwd/data.bin" || bail "no scratch files"
bcompf() { (cd "$T/cwd" && bash "$T/drive.bash" "$@") | words; }
bcomp() { bcompf "$BASHC" "$@"; }

is "$(bcomp --conn)" "--connect-timeout --connections" "bash: haul --conn offers --connections and --connect-timeout"
is "$(bcomp -c '')" "crc32: crc32c: crc64nvme: md5: sha1: sha256: sha512: xxh128: xxh3: xxh64:" \
	"bash: haul -c offers the algorithms, each with a ':'"
is "$(bcomp -c sha2)" "sha256:" "bash: haul -c sha2 offers sha256:"
is "$(bcomp -c sha256 : '')" "" "bash: haul -c sha256: offers nothing for the hex digest"
is "$(bcomp -o '')" "data.bin subdir" "bash: haul -o offers the files here"
is "$(bcomp -d '')" "subdir" "bash: haul -d offers directories only"
mkdir "$T/odd" && : >"$T/odd/[ab]" && : >"$T/odd/a" || bail "no scratch files"
is "$(cd "$T/odd" && bash "$T/drive.bash" "$BASHC" -o '[')" "[ab]" \
	"bash: a file name is offered as it is, not as a glob"
is "$(bcomp --output = da)" "data.bin" "bash: haul --output=da offers data.bin (= split off)"
is "$(WORDBREAKS=' ' bcomp --output=da)" "--output=data.bin" \
	"bash: haul --output=da offers --output=data.bin (= not a word break)"
is "$(bcomp --connections '')" "auto" "bash: haul --connections offers auto"
is "$(bcomp -n a)" "auto" "bash: haul -n a offers auto"
is "$(bcomp --progress '')" "auto bar json lines none" "bash: haul --progress offers its A|B|C words"
is "$(bcomp --retries '')" "" "bash: haul --retries offers nothing for N"
is "$(bcomp ver)" "verify" "bash: haul ver offers verify"
is "$(bcomp '')" "sarvam sutro verify" "bash: haul offers the subcommands"
is "$(bcomp -n 4 -fo out '')" "sarvam sutro verify" \
	"bash: option arguments are not operands (-n 4 -fo out)"
is "$(bcomp verify '')" "data.bin subdir" "bash: haul verify offers files"
is "$(bcomp -q verify data.bin '')" "" "bash: haul verify FILE takes nothing more"
is "$(bcomp sutro '')" "" "bash: haul sutro offers nothing for JOB_ID"
is "$(bcomp sarvam job-1 -d out '')" "data.bin subdir" "bash: haul sarvam JOB_ID offers files"
is "$(bcomp sarvam job-1 a.json d)" "data.bin" "bash: haul sarvam JOB_ID FILE... goes on with files"
is "$(bcomp https : //host/x '')" "" "bash: after the URL, nothing"
is "$(bcomp -- -x)" "" "bash: after --, a word with '-' is no option"
is "$(bcomp --)" "$(tr ' ' '\n' <"$T/from-help" | grep -- '^--' | words)" \
	"bash: haul -- offers every long option"

# The generator on a --help it has not seen: meta names new to it complete to
# nothing, alternatives to their words, and a [=N] argument is optional.
cat >"$T/new-help" <<'EOF'
Usage: haul [OPTIONS] URL
       haul frob [OPTIONS] THING OUT_DIR

Options:
  -w, --widget WIDGET      a meta name gen-completions has never seen
      --mode fast|slow|N   alternatives
      --level[=N]          an optional argument
  -x, --extra              a flag
EOF
AWK=${AWK:-awk} sh "$GEN" bash "$T/new-help" >"$T/new.bash" && bash -n "$T/new.bash"
ok $? "gen-completions bash: a --help with new meta names still gives a script"
is "$(bcompf "$T/new.bash" -w '')" "" "gen-completions bash: an unknown meta name completes to nothing"
is "$(bcompf "$T/new.bash" --mode '')" "fast slow" \
	"gen-completions bash: fast|slow|N completes to fast and slow"
is "$(bcompf "$T/new.bash" -xw 1 --level '')" "frob" \
	"gen-completions bash: -xw takes an argument, --level[=N] not"
is "$(bcompf "$T/new.bash" frob t '')" "subdir" \
	"gen-completions bash: the operand OUT_DIR completes to directories"
sh "$GEN" bash </dev/null >/dev/null 2>&1
[ $? -ne 0 ]
ok $? "gen-completions: fails on a --help without options"
sh "$GEN" fish </dev/null >/dev/null 2>&1
[ $? -eq 2 ]
ok $? "gen-completions: fails on an unknown shell"

# --- zsh -----------------------------------------------------------------

if ! command -v zsh >/dev/null 2>&1; then
	skip 1 "zsh is not installed: no zsh tests"
else
	zsh -n "$ZSHC"
	ok $? "zsh -n: completions/_haul parses"
	AWK=${AWK:-awk} sh "$GEN" zsh "$T/new-help" >"$T/_new" && zsh -n "$T/_new"
	ok $? "gen-completions zsh: a --help with new meta names still gives a script"
	# Through compinit, found in $fpath by its #compdef line.
	mkdir "$T/fpath" && cp "$ZSHC" "$T/fpath/_haul" || bail "no scratch fpath"
	out=$(cd "$T" && zsh -f -c 'fpath=("$1" $fpath); autoload -Uz compinit &&
		compinit -u -D && print -r -- $_comps[haul] && autoload +X _haul &&
		(( $+functions[_haul] )) && print defined' zsh "$T/fpath" 2>&1 | tr '\n' ' ')
	is "$out" "_haul defined " "zsh: compinit binds haul to _haul"
	zcomp() {
		(cd "$T/cwd" && timeout 30 zsh -f "$HAUL_SRCDIR/tests/lib/zcomplete.zsh" \
			"$T/fpath" "$T/zout" "haul $1") >/dev/null 2>&1
		zrc=$?
		words <"$T/zout"
	}
	zcomp '' >/dev/null
	if [ "$zrc" -eq 2 ]; then
		skip 1 "zsh has no zsh/zpty module: zsh completion not driven"
	else
		is "$(zcomp '--conn')" "--connect-timeout --connections" \
			"zsh: haul --conn offers --connections and --connect-timeout"
		is "$(zcomp '-c ')" "crc32 crc32c crc64nvme md5 sha1 sha256 sha512 xxh128 xxh3 xxh64" \
			"zsh: haul -c offers the algorithms (':' as their suffix)"
		is "$(zcomp '-o ')" "data.bin subdir" "zsh: haul -o offers the files here"
		is "$(zcomp '-d ')" "subdir" "zsh: haul -d offers directories"
		is "$(zcomp '--connections ')" "auto" "zsh: haul --connections offers auto"
		is "$(zcomp '--progress ')" "auto bar json lines none" "zsh: haul --progress offers its A|B|C words"
		is "$(zcomp 'ver')" "verify" "zsh: haul ver offers verify"
		is "$(zcomp '-n 4 ')" "sarvam sutro verify" "zsh: haul -n 4 offers the subcommands"
		is "$(zcomp 'verify ')" "data.bin subdir" "zsh: haul verify offers files"
		is "$(zcomp 'sutro ')" "" "zsh: haul sutro offers nothing for JOB_ID"
		is "$(zcomp 'sarvam job-1 a.json ')" "data.bin subdir" "zsh: haul sarvam JOB_ID FILE... offers files"
		is "$(zcomp 'sutro --include-i')" "--include-inputs" "zsh: options follow a subcommand"
	fi
fi

# --- make install, make uninstall ----------------------------------------

# Where configure put things (AM_TESTS_ENVIRONMENT passes them on).
if [ -z "${HAUL_INST_BINDIR:-}" ] || [ -z "${MAKE:-}" ]; then
	skip 1 "not run from make check: no make install"
else
	(
		unset MAKEFLAGS MFLAGS MAKELEVEL
		$MAKE -C "$HAUL_BUILDDIR" install DESTDIR="$T/root"
	) >"$T/install.log" 2>&1
	ok $? "make install DESTDIR=... succeeds" || diag "$(sed -n '1,40p' "$T/install.log")"
	want="$HAUL_INST_BINDIR/haul $HAUL_INST_MAN1DIR/haul.1 $HAUL_INST_MAN5DIR/haul-journal.5"
	[ -n "$HAUL_INST_BASHCOMPDIR" ] && want="$want $HAUL_INST_BASHCOMPDIR/haul"
	[ -n "$HAUL_INST_ZSHCOMPDIR" ] && want="$want $HAUL_INST_ZSHCOMPDIR/_haul"
	got=$(cd "$T/root" && find . -type f | sed 's/^\.//' | words)
	is "$got" "$(echo "$want" | words)" \
		"make install puts haul, haul(1), haul-journal(5) and the completions where configured"
	if [ -n "$HAUL_INST_BASHCOMPDIR" ]; then
		cmp -s "$T/root$HAUL_INST_BASHCOMPDIR/haul" "$BASHC"
		ok $? "the installed bash completion is completions/haul.bash"
	fi
	# bash-completion, where installed, finds it by the command's name.
	bc=/usr/share/bash-completion/bash_completion
	case $HAUL_INST_BASHCOMPDIR in
	*/completions)
		if [ -r "$bc" ]; then
			out=$(BASH_COMPLETION_USER_DIR="$T/root${HAUL_INST_BASHCOMPDIR%/completions}" \
				bash -c '. "$1" && __load_completion haul && complete -p haul' bash "$bc" 2>&1)
			is "$out" "complete -F _haul haul" "bash-completion loads the installed completion for haul"
		else
			skip 1 "bash-completion is not installed"
		fi ;;
	esac
	(
		unset MAKEFLAGS MFLAGS MAKELEVEL
		$MAKE -C "$HAUL_BUILDDIR" uninstall DESTDIR="$T/root"
	) >"$T/uninstall.log" 2>&1
	ok $? "make uninstall DESTDIR=... succeeds"
	is "$(cd "$T/root" && find . -type f | words)" "" "make uninstall leaves no file behind"
fi
tap_done
