# zcomplete.zsh FPATH_DIR OUT LINE -- what zsh's completion offers for LINE.
# Types LINE and a TAB into an interactive zsh (on a pseudo-terminal, as
# completion needs one) whose $fpath starts with FPATH_DIR, and writes the
# matches added, one a line, to OUT. Run as: zsh -f zcomplete.zsh ...
# Exits 2 when zsh has no zsh/zpty module.
zmodload zsh/zpty 2>/dev/null || exit 2
export ZC_DIR=$1 ZC_OUT=$2
: >$ZC_OUT || exit 1
cat >$ZC_OUT.rc <<'RC'
PS1= PROMPT= RPROMPT=
fpath=("$ZC_DIR" $fpath)
autoload -Uz compinit && compinit -u -D
# Record the matches of every compadd that adds them (not those that only
# collect candidates with -O, -A or -D).
compadd() {
	if [[ ${@[1,(i)(-|--)]} == *-(O|A|D)\ * ]]; then
		builtin compadd "$@"
		return
	fi
	local -a zc_hits
	builtin compadd -A zc_hits "$@"
	(( $#zc_hits )) && print -rl -- $zc_hits >>$ZC_OUT
	builtin compadd "$@"
}
# One completion, then leave: the line is never run.
comppostfuncs=(exit)
RC
zpty zc zsh -f -i || exit 1
zpty -w zc "source ${(q)ZC_OUT}.rc"
zpty -w -n zc "$3"$'\t'
# Wait at most 10 s for the shell to leave, reading what it prints.
integer i
for (( i = 0; i < 100; i++ )); do
	while zpty -r -t zc zc_chunk 2>/dev/null; do :; done
	zpty -t zc || break
	sleep 0.1
done
# No completion ran: ^U drops the line, exit leaves.
zpty -t zc && zpty -w -n zc $'\C-u'exit$'\n'
zpty -d zc
rm -f $ZC_OUT.rc
