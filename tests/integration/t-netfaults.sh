#!/bin/sh
# Network and server faults from the test origin's fault modes, each with a
# fixed seed: drops, 503/429 with Retry-After, a stall, wrong Content-Range,
# short and long bodies, a server that stops honouring Range, gzip on a
# range, a redirect to another host, hostile headers. Every case ends with
# the right exit status and a byte-identical file or no final file.
. "$HAUL_SRCDIR/tests/lib/common.sh"

mkdir "$T/root" "$T/out"
size=67108864
mkdata "$T/root/f.bin" $size
mkdata "$T/root/s.bin" 8388608
origin_start "$T/root" --host2 127.0.0.2
seed=${HAUL_TEST_SEED:-20261122}
diag "seed $seed"
out=$T/out/f

clean() { rm -f "$out" "$out.part" "$out.haul"; }

# --- 1% drops, 64 MiB, 8 connections ------------------------------------------
clean
log_reset
run_haul -v -n 8 -o "$out" "$ORIGIN/f.bin?droprate=0.01&seed=$seed"
is "$rc" 0 "1% of 64 KiB pieces dropped, 8 connections: exit 0"
same "$out" "$T/root/f.bin" "... byte-identical"
drops=$(grep -c '"dropped":true\|"aborted":true' "$ORIGIN_LOG")
test "$drops" -ge 3
ok $? "... the origin dropped $drops answers"
served=$(logstat bytes --path /f.bin)
ratio=$(awk -v s="$served" -v n=$size 'BEGIN { printf "%.4f", s / n }')
awk -v r="$ratio" 'BEGIN { exit !(r <= 1.10) }'
ok $? "... bytes served / size = $ratio (<= 1.10): drops resume where they stopped"

# --- 503 with Retry-After, in seconds and as an HTTP date ---------------------
# (failfirst counts per URL: each case has its own.)
for kind in seconds date; do
	ra=2
	[ $kind = date ] && ra=$(date -u -d '+3 seconds' '+%a, %d %b %Y %H:%M:%S GMT')
	clean
	log_reset
	t0=$(date +%s.%N)
	run_haul -q -n 2 -o "$out" "$ORIGIN/s.bin?fail=503&failfirst=2&retryafter=$(printf %s "$ra" | sed 's/ /%20/g')&n=$seed"
	t1=$(date +%s.%N)
	is "$rc" 0 "503 twice with Retry-After: $ra: exit 0"
	same "$out" "$T/root/s.bin" "... byte-identical"
	awk -v a="$t0" -v b="$t1" 'BEGIN { exit !(b - a >= 1.0) }'
	ok $? "... haul waited for the server ($(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s)"
done

# --- 429s: fewer connections ------------------------------------------------------
clean
run_haul -n 8 -o "$out" "$ORIGIN/f.bin?fail=429&failrate=0.2&retryafter=0&seed=$seed"
is "$rc" 0 "one request in five answered 429: exit 0"
same "$out" "$T/root/f.bin" "... byte-identical"
grep -q 'asks to slow down.*at most [0-9]* connections' "$T/err"
ok $? "... haul used fewer connections: $(grep -o 'at most [0-9]* connections' "$T/err" | head -1)"

# --- a server that fails every request is not hammered ----------------------------
# HEAD works, every GET answers 503: 16 connections keep retrying until
# --retry-max-time, rationed to --retry-rate repeats per second.
clean
log_reset
t0=$(date +%s)
# (The first answer is a good one: the probe; every GET after it fails.)
run_haul -n 16 --retries 1000 --retry-max-time 6 --retry-rate 5 -o "$out" \
	"$ORIGIN/s.bin?fail=503&failfrom=2&failmethod=GET&retryafter=0&seed=$seed"
t1=$(date +%s)
is "$rc" 3 "503 on every GET after the first: exit 3 after --retry-max-time"
reqs=$(grep -c '"method":"GET"' "$ORIGIN_LOG")
secs=$((t1 - t0 + 1))
test "$reqs" -gt 16 && test "$reqs" -le $((16 + 5 + 5 * secs))
ok $? "... $reqs GETs in about $secs s from 16 connections: at most 16 + 5/s (--retry-rate 5)"
test ! -e "$out" && test -e "$out.part" && test -e "$out.haul"
ok $? "... no final file; the first answer's MiB is kept to resume"

# --- a stall ------------------------------------------------------------------------
clean
t0=$(date +%s)
run_haul -n 2 --stall-timeout 2 -o "$out" "$ORIGIN/s.bin?stallafter=1048576&stallfor=60"
t1=$(date +%s)
is "$rc" 0 "a connection that stalls for 60 s, --stall-timeout 2: exit 0"
same "$out" "$T/root/s.bin" "... byte-identical"
test $((t1 - t0)) -lt 30
ok $? "... in $((t1 - t0)) s: the stalled range was asked again"

# --- answers that must never be written ------------------------------------------
clean
run_haul -n 2 --retries 3 -o "$out" "$ORIGIN/s.bin?badrange=1"
is "$rc" 3 "a wrong Content-Range on every answer: exit 3"
grep -q 'different range' "$T/err"
ok $? "... says so"
test ! -e "$out"
ok $? "... no final file"

clean
run_haul -n 2 -o "$out" "$ORIGIN/s.bin?gzip=1"
is "$rc" 3 "Content-Encoding on a range: exit 3"
grep -q 'Content-Encoding' "$T/err"
ok $? "... says so"

clean
run_haul -q -n 4 -o "$out" "$ORIGIN/f.bin?short=1000&shortrate=0.5&seed=$seed"
is "$rc" 0 "half the answers 1000 bytes short: exit 0"
same "$out" "$T/root/f.bin" "... byte-identical"

clean
run_haul -q -n 4 -o "$out" "$ORIGIN/s.bin?long=5000"
is "$rc" 0 "answers with 5000 bytes too many: exit 0"
same "$out" "$T/root/s.bin" "... byte-identical: the extra bytes were not written"

# --- a server that stops honouring Range ---------------------------------------
clean
run_haul -n 4 --retries 3 -o "$out" "$ORIGIN/f.bin?ignorerangeafter=4&dropafter=4194304&rate=33554432"
is "$rc" 3 "the server stops honouring Range mid-download: exit 3"
grep -q 'ignored the range' "$T/err" && test -f "$out.part" && test -f "$out.haul"
ok $? "... says so, and keeps what it has"
run_haul -q -n 4 -o "$out" "$ORIGIN/f.bin"
is "$rc" 0 "... the same command against a sane server resumes"
same "$out" "$T/root/f.bin" "... byte-identical"

# --- a redirect to another host -----------------------------------------------
clean
log_reset
run_haul -q -n 4 -o "$out" "http://user:pw@127.0.0.1:${ORIGIN#http://127.0.0.1:}/s.bin?redirect=1"
is "$rc" 0 "a 302 to another host (127.0.0.2): exit 0"
same "$out" "$T/root/s.bin" "... byte-identical"
is "$(grep '"host":"127.0.0.1"' "$ORIGIN_LOG" | grep -c '"status":206')" 0 \
	"... every range came from the other host"
is "$(grep '"host":"127.0.0.2"' "$ORIGIN_LOG" | grep -c '"authorization":true')" 0 \
	"... which never saw the URL's credentials"
grep '"host":"127.0.0.1"' "$ORIGIN_LOG" | grep -q '"authorization":true'
ok $? "... that the first host did get"

# -H credentials: libcurl keeps Authorization and Cookie to the first host;
# any other credential-like header makes haul refuse to follow a redirect.
clean
log_reset
run_haul -q -n 4 -H 'Authorization: Bearer t0k' -H 'Cookie: c=1' -H 'X-Trace: 7' -o "$out" \
	"$ORIGIN/s.bin?redirect=1"
is "$rc" 0 "-H Authorization, Cookie, X-Trace and a 302 elsewhere: exit 0"
same "$out" "$T/root/s.bin" "... byte-identical"
is "$(grep '"host":"127.0.0.2"' "$ORIGIN_LOG" | grep -c -E '"(authorization|cookie)"[],]')" 0 \
	"... the other host never got Authorization or Cookie"
is "$(grep '"host":"127.0.0.2"' "$ORIGIN_LOG" | grep -c '"x-trace"[],]')" \
	"$(grep -c '"host":"127.0.0.2"' "$ORIGIN_LOG")" "... but every request there had X-Trace"
is "$(grep '"host":"127.0.0.1"' "$ORIGIN_LOG" | grep -c '"authorization"[],]')" \
	"$(grep -c '"host":"127.0.0.1"' "$ORIGIN_LOG")" "... and every request to the first host had Authorization"
clean
log_reset
run_haul -q -n 4 -H 'X-Api-Key: s3cr3t' -o "$out" "$ORIGIN/s.bin?redirect=1"
is "$rc" 4 "-H X-Api-Key and a 302 elsewhere: exit 4"
grep -q 'redirects.*not followed.*-H X-Api-Key credential' "$T/err"
ok $? "... saying the redirect was not followed for the header's sake"
! grep -q s3cr3t "$T/err"
ok $? "... without the header's value"
is "$(grep -c '"host":"127.0.0.2"' "$ORIGIN_LOG")" 0 "... the other host got no request"
test ! -e "$out" && test ! -e "$out.part"
ok $? "... no file left"
clean
log_reset
run_haul -q -n 4 -H 'X-Api-Key: s3cr3t' -o "$out" "$ORIGIN/s.bin"
is "$rc" 0 "-H X-Api-Key without a redirect: exit 0"
is "$(grep -c '"x-api-key"[],]' "$ORIGIN_LOG")" "$(grep -c '"method"' "$ORIGIN_LOG")" \
	"... sent with every request"

# --- hostile headers -------------------------------------------------------------
for q in "bigheader=200000" "bigetag=10000000" "hugelen=1"; do
	clean
	run_haul -n 2 --retries 2 --stall-timeout 2 -o "$out" "$ORIGIN/s.bin?$q"
	test "$rc" -eq 3 || test "$rc" -eq 4
	ok $? "$q: refused with exit $rc, no crash"
	is "$(wc -l <"$T/err")" 1 "... one line: $(head -c 120 "$T/err")"
	test ! -e "$out"
	ok $? "... no final file"
done

tap_done
