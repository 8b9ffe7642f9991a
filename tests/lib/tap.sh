# tap.sh -- TAP helpers for the shell tests (sourced, POSIX sh).
# Each assertion prints "ok N - text" or "not ok N - text"; call tap_done last.

tap_n=0
tap_failed=0

tap_plan() { echo "1..$1"; tap_planned=$1; }

# ok COND_STATUS TEXT...: pass when the status is 0.
ok() {
	st=$1; shift
	tap_n=$((tap_n + 1))
	if [ "$st" -eq 0 ]; then
		echo "ok $tap_n - $*"
	else
		echo "not ok $tap_n - $*"
		tap_failed=$((tap_failed + 1))
	fi
	return "$st"
}

# is GOT WANT TEXT...
is() {
	got=$1 want=$2; shift 2
	if [ "$got" = "$want" ]; then ok 0 "$@"; else
		ok 1 "$@"; diag "got '$got', want '$want'"; return 1
	fi
}

diag() { printf '%s\n' "$*" | sed 's/^/# /'; }

# skip N REASON: N assertions that cannot run here, passed as skipped.
skip() {
	k=$1; shift
	while [ "$k" -gt 0 ]; do
		tap_n=$((tap_n + 1))
		echo "ok $tap_n # SKIP $*"
		k=$((k - 1))
	done
}

# skip_all REASON: the whole script does not apply here.
skip_all() { echo "1..0 # SKIP $*"; exit 0; }

bail() { echo "Bail out! $*"; exit 1; }

tap_done() {
	[ -n "${tap_planned:-}" ] || echo "1..$tap_n"
	if [ -n "${tap_planned:-}" ] && [ "$tap_planned" -ne "$tap_n" ]; then
		diag "planned $tap_planned tests but ran $tap_n"
		exit 1
	fi
	[ "$tap_failed" -eq 0 ]
	exit $?
}
