#!/bin/sh
# Failures end with one clear line and a documented exit code, and leave
# neither a final file nor a .part file behind.
. "$HAUL_SRCDIR/tests/lib/common.sh"

mkdir "$T/root" "$T/out"
mkdata "$T/root/f.bin" 100000
origin_start "$T/root"

expect() {
	want=$1 what=$2; shift 2
	run_haul "$@"
	is "$rc" "$want" "$what: exit $want"
	is "$(wc -l <"$T/err")" 1 "... one line on stderr: $(head -c 100 "$T/err")"
	grep -q '^haul: ' "$T/err"
	ok $? "... starting with 'haul: '"
}

expect 4 "404" -o "$T/out/a" "$ORIGIN/missing.bin"
test "$(grep -c '/missing.bin' "$ORIGIN_LOG")" -le 1
ok $? "... at once: no request was repeated"
test ! -e "$T/out/a" && test ! -e "$T/out/a.part"
ok $? "... no file and no .part left"
expect 4 "410 on every request" -o "$T/out/b" "$ORIGIN/f.bin?status=410"
log_reset
expect 3 "500 on every request (retried, then given up)" --retries 3 -o "$T/out/c" \
	"$ORIGIN/f.bin?status=500"
is "$(grep -c '"method":"GET"' "$ORIGIN_LOG")" 3 "... after exactly 3 tries (--retries 3)"
test ! -e "$T/out/c.part"
ok $? "... no .part left"

# Nothing listens on a port we just found free.
port=$("$PYTHON3" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
expect 3 "connection refused" --retries 2 -o "$T/out/d" "http://127.0.0.1:$port/f.bin"

expect 2 "unsupported scheme" -o "$T/out/e" "ftp://127.0.0.1/f.bin"
expect 2 "empty URL" -o "$T/out/e" ""
expect 2 "unknown option" --no-such-option "$ORIGIN/f.bin"
expect 2 "bad number" -n many "$ORIGIN/f.bin"
expect 2 "no file name in the URL" "$ORIGIN/"
log_reset
expect 2 "a header without a colon" -H "X-Api-Key k" -o "$T/out/e" "$ORIGIN/f.bin"
grep -q "X-Api-Key ...': no colon" "$T/err"
ok $? "... naming the header"
! grep -q "Key k" "$T/err"
ok $? "... but not what may be its value"
expect 2 "a header with CR LF in its value" -H "$(printf 'X-A: b\r\nX-Evil: 1')" \
	-o "$T/out/e" "$ORIGIN/f.bin"
expect 2 "a header haul sets itself" -H "Range: bytes=0-9" -o "$T/out/e" "$ORIGIN/f.bin"
expect 2 "a secret header with a bad name" -H "Bad Name: s3cr3t" -o "$T/out/e" "$ORIGIN/f.bin"
! grep -q s3cr3t "$T/err"
ok $? "... the header's value is not printed"
is "$(grep -c '"method"' "$ORIGIN_LOG")" 0 "... no request for any usage error"
test -z "$(ls "$T/out")"
ok $? "usage errors created nothing"

expect 5 "output directory missing" -o "$T/out/no/such/dir/f" "$ORIGIN/f.bin"
mkdir "$T/out/adir"
expect 5 "output is a directory" -o "$T/out/adir" "$ORIGIN/f.bin"
expect 5 "output is a directory even with --force" --force -o "$T/out/adir" "$ORIGIN/f.bin"

# A symlink in place of the .part file is not followed.
echo precious >"$T/victim"
ln -s "$T/victim" "$T/out/g.part"
expect 5 "a symlink in place of the .part file" -o "$T/out/g" "$ORIGIN/f.bin"
is "$(cat "$T/victim")" precious "... its target is untouched"
test -L "$T/out/g.part"
ok $? "... and the symlink itself is left alone"

if [ "$(id -u)" -ne 0 ]; then
	mkdir "$T/ro" && chmod 555 "$T/ro"
	expect 5 "unwritable directory" -o "$T/ro/f" "$ORIGIN/f.bin"
fi

tap_done
