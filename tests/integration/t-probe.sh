#!/bin/sh
# Probing: HEAD, the ranged-GET fallback when HEAD is refused (as for a URL
# presigned for GET), --head-url, servers that ignore Range, unknown sizes.
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
	# (The log is in order of completion, so look for the probe anywhere.)
	is "$(grep '"method":"GET"' "$ORIGIN_LOG" | grep -c '"range":"bytes=0-0"')" 1 \
		"... the size came from one GET with Range: bytes=0-0"
done

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
is "$(grep -c '"status":206' "$ORIGIN_LOG")" 4 "... over 4 range requests"

# -v shows the probe result; the URL's query never appears.
run_haul -v -n 2 -o "$T/out/verbose" "$ORIGIN/f.bin?X-Amz-Signature=topsecret"
is "$rc" 0 "-v download succeeds"
grep -q "HEAD: $size bytes" "$T/err"
ok $? "-v reports the probed size"
grep -q topsecret "$T/err"
ok $((! $?)) "-v output contains no query string"

tap_done
