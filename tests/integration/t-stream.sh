#!/bin/sh
# -o -: the object goes to standard output in order, fetched over several
# connections at once within the --window, in bounded memory, verified as it
# is written; no file is created; retries, stalls and fresh URLs still work;
# a terminal is refused, a reader that goes away stops haul at once (exit 5),
# an interrupted stream says it cannot be resumed (exit 7).
. "$HAUL_SRCDIR/tests/lib/common.sh"

mkdir "$T/root" "$T/cwd"
# 48 MiB + 3 bytes: not a multiple of any piece.
mkdata "$T/root/f.bin" 50331651
mkdata "$T/root/big.bin" 268435456
mkdata "$T/root/s.bin" 8388608
: >"$T/root/empty.bin"
origin_start "$T/root"
SHA=$(sha256sum "$T/root/f.bin" | cut -c1-64)
MD5=$(md5sum "$T/root/f.bin" | cut -c1-32)
cd "$T/cwd" || bail "cannot enter $T/cwd"

# stream ARGS...: haul ARGS with -o -, stdout's sha256 in $sha, the status in
# $rc and stderr in $T/err.
stream() {
	sha=$( { timeout 120 "$HAUL" -o - "$@" 2>"$T/err"; echo $? >"$T/rc"; } | sha256sum |
		cut -c1-64)
	rc=$(cat "$T/rc")
}

# --- parallel, in order -------------------------------------------------------
log_reset
t0=$(date +%s)
stream -n 8 --window 8M "$ORIGIN/f.bin?rate=2097152"
t1=$(date +%s)
is "$rc" 0 "48 MiB over 8 connections at 2 MiB/s each, --window 8M: exit 0"
is "$sha" "$SHA" "... standard output has the object's sha256"
test "$(logstat max_concurrent)" -gt 1
ok $? "... the origin saw $(logstat max_concurrent) requests at once"
reqs=$(logstat get)
conns=$(logstat get_conns)
test "$reqs" -ge 90 && test "$conns" -le 8
ok $? "... $reqs ranges of about 512 KiB (W / 2N) over $conns connections: reused"
awk '/"method":"GET"/ && match($0, /"range":"bytes=[0-9]+-[0-9]+"/) {
	split(substr($0, RSTART + 15, RLENGTH - 16), r, "-")
	if (r[2] - r[1] + 1 > 524288) bad = 1 } END { exit bad }' "$ORIGIN_LOG"
ok $? "... no range asked for is longer than 512 KiB"
diag "took $((t1 - t0)) s (8 x 2 MiB/s would take 3 s)"
test $((t1 - t0)) -lt 12
ok $? "... in $((t1 - t0)) s: as fast as the connections together"
grep -q '^haul: streamed to standard output: 50331651 bytes' "$T/err" &&
	grep -q '^haul: md5 = ETag: verified' "$T/err"
ok $? "... the summary says streamed, and the MD5 ETag verified"
is "$(ls -A "$T/cwd")" "" "... no .part, .haul or any other file in the current directory"

# --- bounded memory -------------------------------------------------------------
# AddressSanitizer's shadow memory and quarantine would be measured too.
if grep -q __asan_init "$HAUL" 2>/dev/null; then
	ok 0 "# SKIP peak RSS: haul is built with AddressSanitizer"
	ok 0 "# SKIP peak RSS: haul is built with AddressSanitizer"
elif [ -x /usr/bin/time ]; then
	/usr/bin/time -f %M -o "$T/rss" "$HAUL" --window 16M -o - "$ORIGIN/big.bin" \
		2>"$T/err" >/dev/null
	rc=$?
	rss=$(tail -n 1 "$T/rss")
	is "$rc" 0 "256 MiB, --window 16M, unthrottled: exit 0"
	test "$rss" -lt $(((16 + 25) * 1024))
	ok $? "... peak RSS $rss KiB, under the window + 25 MiB ($(((16 + 25) * 1024)) KiB)"
	/usr/bin/time -f %M -o "$T/rss" "$HAUL" --window 1M -o - "$ORIGIN/big.bin?nolength=1" \
		2>"$T/err" >/dev/null
	rc=$?
	rss=$(tail -n 1 "$T/rss")
	test "$rc" -eq 0 && test "$rss" -lt $(((1 + 25) * 1024))
	ok $? "... one plain stream of unknown size, --window 1M: exit $rc, peak RSS $rss KiB"
else
	ok 0 "# SKIP /usr/bin/time is not installed (tools/deps installs it)"
	ok 0 "# SKIP /usr/bin/time is not installed"
fi

# --- faults ---------------------------------------------------------------------
stream -n 8 --window 8M "$ORIGIN/f.bin?droprate=0.01&seed=7"
is "$rc" 0 "1% of 64 KiB pieces dropped: exit 0"
is "$sha" "$SHA" "... byte-identical: each dropped range went on where it stopped"
retries=$(grep '^haul: streamed' "$T/err" | sed -n 's/.* \([0-9]*\) retr.*/\1/p')
test "${retries:-0}" -gt 0
ok $? "... after ${retries:-0} retries"

t0=$(date +%s)
stream -n 2 --window 8M --stall-timeout 1 "$ORIGIN/s.bin?stallafter=1048576&stallfor=60"
t1=$(date +%s)
is "$rc" 0 "every answer stalls after 1 MiB, --stall-timeout 1: exit 0"
is "$sha" "$(sha256sum "$T/root/s.bin" | cut -c1-64)" "... byte-identical"
test $((t1 - t0)) -lt 30
ok $? "... in $((t1 - t0)) s: the stalled ranges were asked again"

# --- verification -------------------------------------------------------------------
stream -n 4 "$ORIGIN/f.bin?flip=12345678&store=s3"
is "$rc" 9 "a flipped byte under an S3 MD5 ETag: exit 9"
grep -q "^haul: the data written to standard output did not match: md5 mismatch (ETag): expected $MD5, got [0-9a-f]\{32\}$" "$T/err"
ok $? "... one line naming the check, the digest expected and the one computed"
stream -n 4 -c "sha256:$SHA" "$ORIGIN/f.bin"
is "$rc" 0 "--checksum sha256 (right): exit 0"
grep -q '^haul: sha256: verified' "$T/err"
ok $? "... the summary says sha256: verified"
bad=$(echo "$SHA" | tr '0-9a-f' '1-9a-f0')
stream -n 4 --no-verify -c "sha256:$bad" "$ORIGIN/f.bin"
is "$rc" 9 "--checksum sha256 (wrong): exit 9"
grep -q "did not match: sha256 mismatch (--checksum): expected $bad, got $SHA" "$T/err"
ok $? "... the computed digest is that of what was written"
stream "$ORIGIN/f.bin?nolength=1"
is "$rc" 0 "unknown size: one plain stream, exit 0"
is "$sha" "$SHA" "... byte-identical"
grep -q 'md5 = ETag: verified' "$T/err"
ok $? "... still checked against the MD5 ETag"
stream -n 4 "$ORIGIN/f.bin?norange=1"
is "$rc" 0 "a server that ignores Range: exit 0"
is "$sha" "$SHA" "... byte-identical, as one stream"
stream "$ORIGIN/empty.bin"
is "$rc.$sha" "0.$(sha256sum </dev/null | cut -c1-64)" "an empty object: exit 0, nothing written"

# --- expiring URLs ---------------------------------------------------------------------
origin_stop
key=k3y-$$
origin_start "$T/root" --sign-key "$key"
sign="$PYTHON3 $HAUL_SRCDIR/tests/lib/sign.py --key $key --base $ORIGIN"
q="rate=2097152&dropafter=4194304"
url=$($sign --path /f.bin --ttl 2 --query "$q")
stream -n 4 --window 16M --refresh-cmd "$sign --path /f.bin --ttl 2 --query '$q' --count-file $T/count" "$url"
is "$rc" 0 "URLs valid for 2 s, renewed by --refresh-cmd: exit 0"
is "$sha" "$SHA" "... byte-identical"
renewals=$(cat "$T/count" 2>/dev/null || echo 0)
test "$renewals" -ge 2
ok $? "... the URL was renewed $renewals times"
origin_stop
origin_start "$T/root"

# --- standard output ---------------------------------------------------------------------
log_reset
"$PYTHON3" - "$HAUL" "$ORIGIN/f.bin" >"$T/err" 2>&1 <<'EOF'
import os, pty, subprocess, sys
master, slave = pty.openpty()
p = subprocess.run([sys.argv[1], "-o", "-", sys.argv[2]], stdout=slave, stderr=subprocess.PIPE)
sys.stdout.write(p.stderr.decode())
sys.exit(p.returncode)
EOF
rc=$?
is "$rc" 2 "standard output a terminal: exit 2"
grep -q '^haul: refusing to write the object to a terminal; redirect or pipe it$' "$T/err"
ok $? "... refused with one line"
is "$(logstat requests)" 0 "... before any request"
run_haul -o - "$ORIGIN/f.bin" >&-
is "$rc" 2 "standard output closed: exit 2"
grep -q 'standard output is closed' "$T/err"
ok $? "... saying so (descriptor 1 would be the next socket opened)"

t0=$(date +%s)
{ timeout 60 "$HAUL" --progress=none -o - "$ORIGIN/f.bin?rate=1048576" 2>"$T/err"; echo $? >"$T/rc"; } |
	head -c 1000 >/dev/null
t1=$(date +%s)
is "$(cat "$T/rc")" 5 "a reader that closes after 1000 bytes (head -c): exit 5"
test $((t1 - t0)) -lt 10
ok $? "... at once ($((t1 - t0)) s; all of it would take a minute)"
is "$(grep -c . "$T/err")" 1 "... with one line"
grep -q '^haul: standard output was closed' "$T/err"
ok $? "... saying standard output was closed"

"$HAUL" -o - "$ORIGIN/f.bin?rate=1048576" >"$T/part" 2>"$T/err" &
pid=$!
sleep 1
kill -INT $pid
wait $pid
is $? 7 "SIGINT in the middle: exit 7"
tail -n 1 "$T/err" | grep -q 'interrupted; [0-9]* bytes were written to standard output, and a stream cannot be resumed: run the command again'
ok $? "... the last line says the stream cannot be resumed: $(tail -n 1 "$T/err" | head -c 100)"
n=$(stat -c %s "$T/part")
test "$n" -gt 0 && head -c "$n" "$T/root/f.bin" | cmp -s - "$T/part"
ok $? "... the $n bytes written are the object's first"
is "$(ls -A "$T/cwd")" "" "... and there is still no file in the current directory"

# A reader that reads nothing blocks the writer in write(2); SIGINT still
# ends haul at once: while fetching (256 MiB, the window full), and while
# waiting for the last bytes to go out (48 MiB, all of it fetched).
for obj in big.bin f.bin; do
	rm -f "$T/rc"
	{ "$HAUL" --window 8M -o - "$ORIGIN/$obj" 2>"$T/err" & echo $! >"$T/pid"; wait $!
	  echo $? >"$T/rc"; } | sleep 8 &
	reader=$!
	sleep 1.5
	kill -INT "$(cat "$T/pid")"
	i=0
	while [ ! -s "$T/rc" ] && [ $i -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	is "$(cat "$T/rc" 2>/dev/null)" 7 "$obj to a reader that reads nothing, SIGINT: exit 7"
	test $i -lt 20
	ok $? "... at once ($i x 0.1 s), though a write waits for the reader"
	tail -n 1 "$T/err" | grep -q 'cannot be resumed'
	ok $? "... saying the stream cannot be resumed"
	wait $reader
done

# --- usage errors ---------------------------------------------------------------------------
for opt in "--dir $T" --keep-journal --restart --force; do
	run_haul -o - $opt "$ORIGIN/f.bin"
	is "$rc" 2 "-o - with ${opt%% *}: exit 2"
	grep -q "^haul: ${opt%% *} does not go with -o -" "$T/err"
	ok $? "... saying so"
done
run_haul sarvam -o - job a.json b.json
is "$rc" 2 "-o - with two files of a job: exit 2"
grep -q 'streams one download' "$T/err"
ok $? "... saying it streams one download"
run_haul --window 512k -o - "$ORIGIN/f.bin"
is "$rc" 2 "--window below 1M: exit 2"

tap_done
