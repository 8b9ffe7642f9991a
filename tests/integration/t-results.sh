#!/bin/sh
# The result APIs all the way (issue 18), against tests/lib/mockapi.py,
# which follows the documents in shared/reference (its ASSUMPTION comments
# mark what they do not cover): haul sarvam without file names reads the
# job status (partial, running, failed jobs; --wait), haul sutro --url-ttl,
# URLs renewed only when a request needs one (Sarvam: one POST for every
# file that needs it), a slow API waited for without a stall, and the
# API's own words (message, code, request_id) in every error -- a quota
# refusal at once.
. "$HAUL_SRCDIR/tests/lib/common.sh"

mkdir -p "$T/root/sarvam/job-ok" "$T/root/sarvam/job-partial" "$T/root/sarvam/job-later" \
	"$T/root/sarvam/job-ren" "$T/root/sarvam/job-ratelimit" "$T/out"
secret=sk_test_$$_s3cr3t
sign=k3y-$$
art="sutro-results~job-ok~inputs=0~logprobs=0.parquet"
mkdata "$T/root/$art" 33554432
for f in 0 1 2 10; do mkdata "$T/root/sarvam/job-ok/$f.json" $((65536 + f)); done
for f in 0 1 2; do mkdata "$T/root/sarvam/job-partial/$f.json" $((32768 + f)); done
mkdata "$T/root/sarvam/job-later/0.json" 4096
mkdata "$T/root/sarvam/job-ratelimit/0.json" 4096
for f in 0 1 2 3; do mkdata "$T/root/sarvam/job-ren/$f.json" $((4194304 + f)); done
origin_start "$T/root" --sign-key "$sign"
export SUTRO_API_KEY="$secret" SARVAM_API_KEY="$secret"

events() { "$PYTHON3" "$HAUL_SRCDIR/tests/lib/events.py" "$1"; }
# count PATTERN: lines of the API's log that match.
count() { grep -c -- "$1" "$API_LOG"; }
# restart_api ARGS...: a fresh mock API, with an empty log.
restart_api() {
	kill "$API_PID" 2>/dev/null
	wait "$API_PID" 2>/dev/null
	: >"$API_LOG"
	api_start --sign-key "$sign" --root "$T/root" --api-key "$secret" "$@"
}

api_start --sign-key "$sign" --root "$T/root" --api-key "$secret" --fail-file 1.json \
	--later-calls 3 --file-metadata

# --- haul sarvam JOB_ID: the outputs come from the job status ----------------
run_haul -v -n 4 --api-base "$API" -d "$T/out/ok" sarvam job-ok
is "$rc" 0 "haul sarvam job-ok without names: exit 0"
for f in 0 1 2 10; do
	same "$T/out/ok/$f.json" "$T/root/sarvam/job-ok/$f.json" "... $f.json byte-identical"
done
is "$(count '"path":"/speech-to-text/job/v1/job-ok/status"')" 1 "... one status call"
grep -q '"endpoint":"download-files".*"nfiles":4' "$API_LOG"
ok $? "... then one download-files call for the 4 outputs the status lists"
grep -q 'job-ok: Completed, 4 outputs' "$T/err"
ok $? "... and it says how many: $(grep 'outputs' "$T/err" | head -n 1)"

run_haul -q -n 4 --shard 1/2 --api-base "$API" -d "$T/out/okshard" sarvam job-ok
is "$rc" 0 "haul sarvam job-ok --shard 1/2: exit 0"
is "$(ls "$T/out/okshard" | tr '\n' ' ')" "1.json 10.json " \
	"... takes outputs 1 and 3 of 0, 1, 2, 10: 1.json and 10.json"

run_haul -n 4 --api-base "$API" -d "$T/out/partial" sarvam job-partial
is "$rc" 4 "a PartiallyCompleted job: exit 4"
same "$T/out/partial/0.json" "$T/root/sarvam/job-partial/0.json" "... 0.json downloaded"
same "$T/out/partial/2.json" "$T/root/sarvam/job-partial/2.json" "... 2.json downloaded"
test ! -e "$T/out/partial/1.json"
ok $? "... the failed input has no output"
grep -q 'input audio_1.wav: Audio could not be decoded' "$T/err"
ok $? "... the failed input is named with its error"
grep -q 'PartiallyCompleted: 1 input failed' "$T/err"
ok $? "... and the last line says why the exit status is 4"

run_haul -n 4 --api-base "$API" -d "$T/out/run" sarvam job-running
is "$rc" 4 "a Running job without --wait: exit 4"
grep -q "job-running is Running, not completed (--wait waits for it)" "$T/err"
ok $? "... naming its state and --wait"

t0=$(date +%s)
run_haul -n 4 --wait --api-base "$API" -d "$T/out/later" sarvam job-later
t1=$(date +%s)
is "$rc" 0 "--wait on a job that is Pending, then Running, then Completed: exit 0"
same "$T/out/later/0.json" "$T/root/sarvam/job-later/0.json" "... its output downloaded"
is "$(count '"path":"/speech-to-text/job/v1/job-later/status"')" 4 \
	"... 4 status calls (Pending, Running, Running, Completed)"
test $((t1 - t0)) -ge 3 && test $((t1 - t0)) -le 20
ok $? "... looking again 1, 2, 4 s apart ($((t1 - t0)) s in all)"

# Ctrl-C while waiting: stops at once.
HAUL_T=$T/out/wait-int
"$HAUL" -q --wait --api-base "$API" -d "$HAUL_T" sarvam job-running 2>"$T/err" &
pid=$!
sleep 1.5
kill -INT $pid
t0=$(date +%s)
wait $pid
rc=$?
t1=$(date +%s)
test "$rc" -ne 0 && test $((t1 - t0)) -le 2
ok $? "--wait: Ctrl-C stops the waiting within 2 s (exit $rc)"

run_haul -n 4 --api-base "$API" -d "$T/out/failed" sarvam job-failed
is "$rc" 4 "a Failed job: exit 4"
grep -q "job-failed is Failed: All inputs failed" "$T/err"
ok $? "... with the job's error message"

run_haul -n 4 --api-base "$API" -o "$T/out/x" sarvam job-ok
is "$rc" 2 "-o without file names: usage error (exit 2)"

# --- errors: the API's own words; quota is final ------------------------------
t0=$(date +%s)
n0=$(count '"job":"job-quota"')
run_haul -n 4 --api-base "$API" -d "$T/out/q" sarvam job-quota
t1=$(date +%s)
is "$rc" 4 "Sarvam quota refusal: exit 4"
test $((t1 - t0)) -le 5
ok $? "... within 5 s ($((t1 - t0)) s)"
is "$(($(count '"job":"job-quota"') - n0))" 1 "... after one call: quota is not retried"
grep -q 'out of quota (HTTP 429: You have exceeded your quota. Please top up.; code insufficient_quota_error; request_id 20[0-9]*_[0-9a-f-]*)' "$T/err"
ok $? "... the API's message, code and request_id: $(tail -n 1 "$T/err" | head -c 200)"
run_haul -n 4 --api-base "$API" -d "$T/out/q" sarvam job-quota 0.json
is "$rc" 4 "... also with file names (download-files refused): exit 4"
run_haul -n 4 --api-base "$API" -d "$T/out/q" sutro job-quota
is "$rc" 4 "Sutro 403 about quota: exit 4"
grep -q 'out of quota (HTTP 403: Quota exceeded' "$T/err"
ok $? "... with its detail"

run_haul -n 4 --api-base "$API" -d "$T/out/e" sarvam job-500
is "$rc" 3 "a Sarvam API answering 500: exit 3 after its retries"
grep -q 'kept answering HTTP 500 (.*; code internal_server_error; request_id 20' "$T/err"
ok $? "... naming its message, code and request_id"
run_haul -q -n 4 --api-base "$API" -d "$T/out/rl" sarvam job-ratelimit
is "$rc" 0 "rate_limit_exceeded_error twice with Retry-After: waited out, exit 0"

# --- haul sutro --url-ttl ------------------------------------------------------
run_haul -q -n 4 --url-ttl 2m --api-base "$API" -d "$T/out/ttl" sutro job-ok
is "$rc" 0 "haul sutro --url-ttl 2m: exit 0"
same "$T/out/ttl/$art" "$T/root/$art" "... byte-identical"
grep -q '"expires_in_seconds":"120"' "$API_LOG"
ok $? "... results-url was called with expires_in_seconds=120"
for bad in 0s 500ms 8d 90500ms; do
	n0=$(wc -l <"$API_LOG")
	run_haul -q --url-ttl $bad --api-base "$API" -d "$T/out/ttl" sutro job-ok
	test "$rc" -eq 2 && test "$(wc -l <"$API_LOG")" -eq "$n0"
	ok $? "--url-ttl $bad: usage error before any call ($(head -c 100 "$T/err"))"
done
run_haul -q --url-ttl 2m --api-base "$API" -d "$T/out/ttl" sarvam job-ok
is "$rc" 2 "--url-ttl with sarvam: usage error"

# --- documented shapes: GCS, Local, R2 paths ----------------------------------
restart_api --container Google \
	--r2-paths
run_haul -q -n 4 --api-base "$API" -d "$T/out/gcs" sarvam job-ok
is "$rc" 0 "storage_container_type Google (GCS V4 URLs): exit 0"
same "$T/out/gcs/10.json" "$T/root/sarvam/job-ok/10.json" "... byte-identical"
grep -q 'X-Goog-Signature' "$ORIGIN_LOG"
ok $? "... the origin saw GCS-style signatures"
run_haul -q -n 4 --api-base "$API" -d "$T/out/r2" sutro job-ok
is "$rc" 0 "Sutro with R2 paths (/<bucket>/<key>, '=' as %3D): exit 0"
same "$T/out/r2/$art" "$T/root/$art" "... byte-identical, named after artifact.filename"
grep -q '"path":"/sutro-data/jobs/user/job-ok/results/' "$ORIGIN_LOG"
ok $? "... fetched from the bucket path"
restart_api --container Local
run_haul -q -n 4 --api-base "$API" -d "$T/out/local" sarvam job-ok 2.json
is "$rc" 0 "storage_container_type Local (an assumption: S3-style URLs): exit 0"
same "$T/out/local/2.json" "$T/root/sarvam/job-ok/2.json" "... byte-identical"

# --- renew only when a request needs a URL -------------------------------------
# 32 MiB over 16 connections at 256 KiB/s each: about 8 s; URLs valid 2 s.
# Every range is asked for whole at once on the first URL (it will not
# last the download), so no renewal is needed: at most 3 calls in all.
restart_api --ttl 2 \
	--object-query "rate=262144"
t0=$(date +%s)
run_haul -q -n 16 --api-base "$API" -d "$T/out/ren" sutro job-ok
t1=$(date +%s)
is "$rc" 0 "Sutro, 32 MiB over 16 connections, URLs valid 2 s: exit 0"
same "$T/out/ren/$art" "$T/root/$art" "... byte-identical"
calls=$(count '/jobs/job-ok/results-url')
test "$calls" -le 3
ok $? "... $calls results-url calls in $((t1 - t0)) s (at most 3)"
test $((t1 - t0)) -ge 5
ok $? "... and the download did outlive its first URL ($((t1 - t0)) s)"

# Sarvam: 4 files whose answers break off after 1 MiB, URLs valid 2 s: each
# retry needs a fresh URL, and one POST renews every file still going.
restart_api --ttl 2 \
	--object-query "rate=1048576&dropafter=1048576"
run_haul --progress=json -n 8 --api-base "$API" -d "$T/out/sren" sarvam job-ren
is "$rc" 0 "Sarvam, 4 files, URLs valid 2 s, answers broken off every MiB: exit 0"
for f in 0 1 2 3; do
	same "$T/out/sren/$f.json" "$T/root/sarvam/job-ren/$f.json" "... $f.json byte-identical"
done
posts=$(count '"endpoint":"download-files"')
renewals=$(sed -n 's/.*"event":"finish".*"refreshes":\([0-9]*\).*/\1/p' "$T/err" |
	awk '{ s += $1 } END { print s + 0 }')
grep '"endpoint":"download-files"' "$API_LOG" | sed -n '2,$p' | grep -q '"nfiles":[2-4]'
ok $? "... a renewal asked for the URLs of several files at once"
test "$renewals" -ge 2 && test "$posts" -lt $((renewals + 1))
ok $? "... $renewals renewals took $((posts - 1)) download-files calls (fewer: shared)"

# --- a slow API is waited for, not stalled out --------------------------------
# Every results-url call takes 40 s (longer than --stall-timeout's 30 s);
# haul says what it waits for.
restart_api --slow-api 40
t0=$(date +%s)
run_haul --progress=none -n 4 --api-base "$API" -d "$T/out/slow" sutro job-ok
t1=$(date +%s)
is "$rc" 0 "every results-url call taking 40 s: exit 0 ($((t1 - t0)) s)"
same "$T/out/slow/$art" "$T/root/$art" "... byte-identical"
grep -q 'waiting for the Sutro API (32 s so far' "$T/err"
ok $? "... saying every 10 s that it waits for the API ($(grep -c 'waiting for' "$T/err") notes)"
run_haul -q -n 4 --api-timeout 2s --api-base "$API" -d "$T/out/slow2" sutro job-ok
is "$rc" 3 "--api-timeout 2s with a 40 s API: exit 3"
grep -q 'did not answer within 2 s (--api-timeout)' "$T/err"
ok $? "... saying so"

# A renewal that waits for the API shows in the progress output.
restart_api --ttl 2 --slow-renewals 3 \
	--object-query "rate=2097152&dropafter=2097152"
run_haul --progress=json --progress-interval 500ms -n 4 --api-base "$API" \
	-d "$T/out/wait" sutro job-ok
is "$rc" 0 "renewals taking 3 s: exit 0"
grep -q '"event":"progress".*"waiting":"the Sutro API"' "$T/err"
ok $? "... progress events say the download waits for the Sutro API"
events "$T/err" >"$T/check"
ok $? "... and match the schema"

tap_done
