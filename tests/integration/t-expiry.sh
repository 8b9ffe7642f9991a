#!/bin/sh
# Presigned URLs that expire mid-download (tests/lib/origin.py --sign-key:
# HMAC over method, path and expiry, like S3): --refresh-cmd renews them in
# flight, a 64 MiB download outliving 20 URLs completes byte-identical with
# few re-fetched bytes, and no expired URL is used twice on a connection per
# renewal. Without a way to renew, the run stops with exit 8 and the same
# command with a fresh URL finishes without fetching a block again.
. "$HAUL_SRCDIR/tests/lib/common.sh"

mkdir "$T/root" "$T/out"
size=67108864
mkdata "$T/root/f.bin" $size
mkdata "$T/root/g.bin" $size
key=k3y-$$
origin_start "$T/root" --sign-key "$key"
sign="$PYTHON3 $HAUL_SRCDIR/tests/lib/sign.py --key $key --base $ORIGIN"
# 4 connections x 1.6 MiB/s: 10 s for 64 MiB; every answer breaks off
# after 8 MiB, so ranges are asked for again during the download.
q="rate=1677722&dropafter=8388608"

# --- renewed in flight ------------------------------------------------------
log_reset
url=$($sign --path /f.bin --ttl 2 --query "$q")
run_haul -v -n 4 --refresh-cmd "$sign --path /f.bin --ttl 2 --query '$q' --count-file $T/count" \
	-o "$T/out/f" "$url"
is "$rc" 0 "64 MiB through URLs valid for 2 s, with --refresh-cmd: exit 0"
same "$T/out/f" "$T/root/f.bin" "... byte-identical"
renewals=$(cat "$T/count" 2>/dev/null || echo 0)
# Renewed only when a request was about to start (a retry after a drop)
# with the URL near its end: at least once, and never more often than
# there were such requests (7 drops at most: 56 of the 64 MiB).
test "$renewals" -ge 1 && test "$renewals" -le 8
ok $? "... the URL was renewed $renewals times, only when a request needed it"
served=$(logstat bytes --path /f.bin)
ratio=$(awk -v s="$served" -v n=$size 'BEGIN { printf "%.4f", s / n }')
awk -v r="$ratio" 'BEGIN { exit !(r <= 1.05) }'
ok $? "... bytes served / size = $ratio (<= 1.05)"
# Requests already under way when the first refusal comes back carry the
# old URL too (and libcurl may send one over the connection that was just
# refused); after a refusal a connection waits for a fresh URL, so no URL
# is refused more often than there are connections.
reused=$(grep '"sig":"expired"' "$ORIGIN_LOG" | sed -n 's/.*"sig_id":"\([^"]*\)".*/\1/p' |
	sort | uniq -c | awk '$1 > 4' | wc -l)
is "$reused" 0 "... no expired URL was refused more than once per connection"
expired=$(grep -c '"sig":"expired"' "$ORIGIN_LOG")
test "$expired" -le $((4 * (renewals + 1)))
ok $? "... $expired requests with an expired URL, at most one per connection per renewal"
grep -q '"method":"HEAD".*"sig":"wrongmethod"' "$ORIGIN_LOG"
ok $? "... a URL signed for GET was refused for HEAD (403), and the probe fell back to GET"
sigs=$(sed -n 's/.*"sig_id":"\([^"]*\)".*/\1/p' "$ORIGIN_LOG" | sort -u)
leak=0
for s in $sigs; do grep -q -- "$s" "$T/err" && leak=1; done
is "$leak" 0 "... no signature appears in haul's output, even with -v"

# --- renewed when refused: URLs whose deadline haul cannot read ------------------
rm -f "$T/out/"* "$T/count"
log_reset
url=$($sign --path /f.bin --ttl 2 --style opaque --query "$q")
run_haul -v -n 4 --refresh-cmd \
	"$sign --path /f.bin --ttl 2 --style opaque --query '$q' --count-file $T/count" \
	-o "$T/out/f" "$url"
is "$rc" 0 "opaque URLs, renewed only when the origin says they expired: exit 0"
same "$T/out/f" "$T/root/f.bin" "... byte-identical"
renewals=$(cat "$T/count" 2>/dev/null || echo 0)
expired=$(grep -c '"sig":"expired"' "$ORIGIN_LOG")
test "$expired" -ge 1 && test "$renewals" -ge 1
ok $? "... $expired requests were refused as expired, $renewals renewals followed"
reused=$(grep '"sig":"expired"' "$ORIGIN_LOG" | sed -n 's/.*"sig_id":"\([^"]*\)".*/\1/p' |
	sort | uniq -c | awk '$1 > 4' | wc -l)
is "$reused" 0 "... no expired URL was refused more than once per connection"
test "$expired" -le $((4 * renewals))
ok $? "... at most one refused request per connection per renewal"
served=$(logstat bytes --path /f.bin)
ratio=$(awk -v s="$served" -v n=$size 'BEGIN { printf "%.4f", s / n }')
awk -v r="$ratio" 'BEGIN { exit !(r <= 1.05) }'
ok $? "... bytes served / size = $ratio (<= 1.05)"

# --- a renewal that fails at first, then works ------------------------------------
rm -f "$T/out/"* "$T/count"
url=$($sign --path /f.bin --ttl 2 --query "$q")
run_haul -q -n 4 --refresh-cmd \
	"$sign --path /f.bin --ttl 2 --query '$q' --count-file $T/count --fail-first 1" \
	-o "$T/out/f" "$url"
is "$rc" 0 "a refresh command that fails once is tried again"
same "$T/out/f" "$T/root/f.bin" "... byte-identical"

# --- no way to renew ----------------------------------------------------------
rm -f "$T/out/"*
url=$($sign --path /f.bin --ttl 2 --query "$q")
run_haul -n 4 -o "$T/out/f" "$url"
is "$rc" 8 "no --refresh-cmd: the URL expires, exit 8"
grep -q 'expire' "$T/err" && grep -q 'fresh URL' "$T/err"
ok $? "... the message says the URL expired and how to resume"
grep -q 'needs about' "$T/err"
ok $? "... and haul warned ahead that the deadline came before the end"
test -f "$T/out/f.part" && test -f "$T/out/f.haul" && test ! -e "$T/out/f"
ok $? "... the .part file and journal are kept"
url=$($sign --path /f.bin --ttl 60 --query "rate=16777216&run=fresh")
run_haul -n 4 -o "$T/out/f" "$url"
is "$rc" 0 "the same command with a fresh URL finishes"
same "$T/out/f" "$T/root/f.bin" "... byte-identical"
had=$(sed -n 's/.*resuming .*: \([0-9]*\) of .*/\1/p' "$T/err")
served=$(served_for run=fresh)
test -n "$had" && test "$had" -gt 0 && test "$served" -le $((size - had + 1048576))
ok $? "... fetching $served bytes for the $((size - ${had:-0})) missing: no block again"

# --- the renewal goes wrong ------------------------------------------------------
rm -f "$T/out/"*
url=$($sign --path /f.bin --ttl 2 --query "$q")
run_haul -n 4 --refresh-cmd "$sign --path /g.bin --ttl 60" -o "$T/out/f" "$url"
is "$rc" 6 "a renewed URL for another object: exit 6"
rm -f "$T/out/"*
url=$($sign --path /f.bin --ttl 2 --query "$q")
run_haul -n 4 --refresh-cmd "sleep 10" --refresh-timeout 200ms -o "$T/out/f" "$url"
is "$rc" 8 "a refresh command that hangs, tried 4 times: exit 8"
grep -q 'within 200 ms' "$T/err"
ok $? "... the message says why"

tap_done
