#!/bin/sh
# Probing: the first range request is the probe (no HEAD, its body kept),
# also where HEAD is refused (as for a URL presigned for GET); a small object
# is one request; --head-url; servers that ignore Range; unknown sizes.
. "$HAUL_SRCDIR/tests/lib/common.sh"

mkdir "$T/root" "$T/out"
mkdata "$T/root/f.bin" 5000000
: >"$T/root/empty.bin"
origin_start "$T/root"
size=5000000

for code in 403 405 501; do
	log_reset
	run_haul -q -n 4 -o "$T/out/nohead$code" "$ORIGIN/f.bin?nohead=$code"
	is "$rc" 0 "HEAD refused with $code: download succeeds"
	same "$T/out/nohead$code" "$T/root/f.bin" "... byte-identical"
	is "$(logstat head)" 0 "... no HEAD was sent"
	# (The log is in order of completion, so look for the first one anywhere.)
	is "$(grep '"method":"GET"' "$ORIGIN_LOG" | grep -c '"range":"bytes=0-1048575"')" 1 \
		"... the size came from the first range request, bytes=0-1048575"
	# Its body was kept: no other request asked for any of its bytes.
	awk '/"method":"GET"/ && match($0, /"range":"bytes=[0-9]+/) {
		if (substr($0, RSTART + 15, RLENGTH - 15) + 0 < 1048576) n++ }
		END { exit n != 1 }' "$ORIGIN_LOG"
	ok $? "... whose body was kept: no other request asked for its bytes"
done

# A small object is one request: the first range holds all of it.
mkdata "$T/root/small.bin" 300000
log_reset
run_haul -q -o "$T/out/small" "$ORIGIN/small.bin"
is "$rc" 0 "a 300 KB object: exit 0"
same "$T/out/small" "$T/root/small.bin" "... byte-identical"
is "$(logstat requests)" 1 "... in one request"
test ! -e "$T/out/small.haul" && test ! -e "$T/out/small.part"
ok $? "... leaving neither journal nor .part (one request is not worth a journal)"

log_reset
run_haul -q -n 4 -o "$T/out/empty" "$ORIGIN/empty.bin?nohead=403"
is "$rc" 0 "empty object with HEAD refused (the ranged GET answers 416)"
is "$(wc -c <"$T/out/empty")" 0 "... gives an empty file"

# A URL signed for GET refuses HEAD; a separately signed HEAD URL answers it.
log_reset
run_haul -q -n 4 --head-url "$ORIGIN/f.bin?sig=head" -o "$T/out/headurl" "$ORIGIN/f.bin?nohead=403&sig=get"
is "$rc" 0 "--head-url: download succeeds"
same "$T/out/headurl" "$T/root/f.bin" "... byte-identical"
is "$(grep -c '"method":"HEAD"' "$ORIGIN_LOG")" 1 "... one HEAD request"
grep '"method":"HEAD"' "$ORIGIN_LOG" | grep -q '"query":"sig=head"'
ok $? "... and it went to the HEAD URL"
grep '"method":"GET"' "$ORIGIN_LOG" | grep -v -q '"query":"nohead=403&sig=get"'
ok $((! $?)) "... every GET went to the GET URL"
grep -q '"range":"bytes=0-0"' "$ORIGIN_LOG"
ok $((! $?)) "... and no ranged-GET probe was needed"

# A server that ignores Range: one plain stream, no 200 body written at an offset.
log_reset
run_haul -q -n 8 -o "$T/out/norange" "$ORIGIN/f.bin?norange=1"
is "$rc" 0 "server ignoring Range: download succeeds"
same "$T/out/norange" "$T/root/f.bin" "... byte-identical"
full=$(grep '"method":"GET"' "$ORIGIN_LOG" | grep '"status":200' | grep -c '"aborted":false')
is "$full" 1 "... exactly one complete 200 response was used"

# No Content-Length anywhere: size unknown, one stream to the end.
log_reset
run_haul -q -n 8 -o "$T/out/nolen" "$ORIGIN/f.bin?nolength=1"
is "$rc" 0 "unknown size (chunked, no length): download succeeds"
same "$T/out/nolen" "$T/root/f.bin" "... byte-identical"

# Accept-Ranges missing is not a refusal: ranges are tried and checked.
log_reset
run_haul -q -n 4 -o "$T/out/noar" "$ORIGIN/f.bin?noranges_header=1"
is "$rc" 0 "no Accept-Ranges header: download succeeds"
same "$T/out/noar" "$T/root/f.bin" "... byte-identical"
n206=$(grep -c '"status":206' "$ORIGIN_LOG")
test "$n206" -ge 3 && test "$n206" -eq "$(logstat get)"
ok $? "... every GET a range answered 206 ($n206)"

# -v shows the probe result; the URL's query never appears.
run_haul -v -n 2 -o "$T/out/verbose" "$ORIGIN/f.bin?X-Amz-Signature=topsecret"
is "$rc" 0 "-v download succeeds"
grep -q "GET: $size bytes" "$T/err"
ok $? "-v reports the probed size"
grep -q topsecret "$T/err"
ok $((! $?)) "-v output contains no query string"

tap_done
