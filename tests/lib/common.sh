# common.sh -- set-up shared by the shell tests (sourced, POSIX sh).
# Provides: a scratch directory removed on exit, the test origin, data files,
# and assertions on top of tap.sh.

: "${HAUL:?HAUL must point at the haul binary}"
: "${HAUL_SRCDIR:?HAUL_SRCDIR must point at the source tree}"
: "${PYTHON3:=python3}"

. "$HAUL_SRCDIR/tests/lib/tap.sh"

T=$(mktemp -d "${TMPDIR:-/tmp}/haul-test.XXXXXX") || bail "cannot make a scratch directory"
# haul takes defaults from ~/.config/haul/config and HAUL_* variables: none
# of the caller's may change what a test sees (the suite's own stay).
XDG_CONFIG_HOME=$T/no-config; export XDG_CONFIG_HOME
for v in $(env | sed -n 's/^\(HAUL_[A-Z0-9_]*\)=.*/\1/p'); do
	case $v in HAUL_SRCDIR | HAUL_FAULTY | HAUL_BUILDDIR | HAUL_TEST_SEED) ;; *) unset "$v" ;; esac
done
ORIGIN_PID=
API_PID=
cleanup() {
	[ -n "$ORIGIN_PID" ] && kill "$ORIGIN_PID" 2>/dev/null && wait "$ORIGIN_PID" 2>/dev/null
	[ -n "$API_PID" ] && kill "$API_PID" 2>/dev/null && wait "$API_PID" 2>/dev/null
	if command -v nginx_stop >/dev/null 2>&1 && [ -n "${NGINX_WORK:-}" ]; then nginx_stop; fi
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# mkdata FILE BYTES: random, incompressible content.
mkdata() {
	head -c "$2" /dev/urandom >"$1" || bail "cannot create $1"
}

# origin_start ROOT [ORIGIN OPTIONS]: start tests/lib/origin.py on 127.0.0.1;
# sets ORIGIN (http://127.0.0.1:PORT) and ORIGIN_LOG. Waits at most 10 s.
origin_start() {
	ORIGIN_LOG=$T/origin.log
	rm -f "$T/origin.port" "$T/origin.port2"
	root=$1; shift
	"$PYTHON3" "$HAUL_SRCDIR/tests/lib/origin.py" --root "$root" --port-file "$T/origin.port" \
		--log "$ORIGIN_LOG" "$@" 2>"$T/origin.err" &
	ORIGIN_PID=$!
	i=0
	while [ ! -s "$T/origin.port" ]; do
		i=$((i + 1))
		if [ $i -gt 200 ] || ! kill -0 "$ORIGIN_PID" 2>/dev/null; then
			cat "$T/origin.err" >&2
			bail "the test origin did not start"
		fi
		sleep 0.05
	done
	ORIGIN=http://127.0.0.1:$(cat "$T/origin.port")
	# With --host2 ADDR, a second listener (the redirect target).
	[ -s "$T/origin.port2" ] && ORIGIN_PORT2=$(cat "$T/origin.port2")
	return 0
}

# origin_stop: stop the test origin (to start another one).
origin_stop() {
	[ -n "$ORIGIN_PID" ] && kill "$ORIGIN_PID" 2>/dev/null && wait "$ORIGIN_PID" 2>/dev/null
	ORIGIN_PID=
	return 0
}

# api_start [MOCKAPI OPTIONS]: start tests/lib/mockapi.py (the Sutro and
# Sarvam mocks) beside a running origin; sets API and API_LOG.
api_start() {
	API_LOG=$T/api.log
	rm -f "$T/api.port"
	"$PYTHON3" "$HAUL_SRCDIR/tests/lib/mockapi.py" --port-file "$T/api.port" --log "$API_LOG" \
		--origin "$ORIGIN" "$@" 2>"$T/api.err" &
	API_PID=$!
	i=0
	while [ ! -s "$T/api.port" ]; do
		i=$((i + 1))
		if [ $i -gt 200 ] || ! kill -0 "$API_PID" 2>/dev/null; then
			cat "$T/api.err" >&2
			bail "the mock API did not start"
		fi
		sleep 0.05
	done
	API=http://127.0.0.1:$(cat "$T/api.port")
}

# logstat KEY [--path P]: one number from the origin's request log.
logstat() {
	key=$1; shift
	"$PYTHON3" "$HAUL_SRCDIR/tests/lib/logstat.py" "$ORIGIN_LOG" "$@" |
		sed -n "s/^$key=//p"
}

# Reset the origin's log between cases. (A request is logged when it ends,
# so one cut off by a killed client may still land after a reset: tag URLs
# with a query parameter and use served_for to count one run exactly.)
log_reset() { : >"$ORIGIN_LOG"; }

# served_for TAG: body bytes the origin sent for requests whose query has TAG.
served_for() {
	grep -F "$1" "$ORIGIN_LOG" | sed -n 's/.*"bytes":\([0-9]*\).*/\1/p' |
		awk '{ s += $1 } END { print s + 0 }'
}

# same FILE1 FILE2 TEXT: byte-identical.
same() {
	a=$1 b=$2; shift 2
	cmp -s "$a" "$b"
	ok $? "$@"
}

# run_haul ARGS...: run haul with a time limit; status in $rc, stderr in $T/err.
run_haul() {
	timeout 120 "$HAUL" "$@" 2>"$T/err"
	rc=$?
	[ $rc -eq 124 ] && diag "haul timed out: $*"
	# Exit 1 is an internal error, and a sanitizer's report exits 1 too:
	# its last lines go to the test's log, the only trace CI keeps.
	if [ $rc -eq 1 ] || grep -q 'Sanitizer\|runtime error' "$T/err" 2>/dev/null; then
		tail -n 12 "$T/err" | while IFS= read -r l; do diag "stderr: $l"; done
	fi
	return 0
}
