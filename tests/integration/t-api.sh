#!/bin/sh
# haul sutro and haul sarvam against mock APIs (tests/lib/mockapi.py) that
# mint short-lived signed URLs on the test origin: downloads complete with
# renewals through the API, the API key reaches only the API, and every bad
# answer (bad key, unknown job, unfinished job, 429, 5xx, missing fields,
# a wrong size) gets a clear message and its exit status.
. "$HAUL_SRCDIR/tests/lib/common.sh"

mkdir -p "$T/root/sarvam/job-ok" "$T/out"
secret=sk_test_$$_s3cr3t
sign=k3y-$$
art="sutro-results~job-ok~inputs=1~logprobs=0.parquet"
mkdata "$T/root/$art" 33554432
for j in busy badsize broken; do
	mkdata "$T/root/sutro-results~job-$j~inputs=0~logprobs=0.parquet" 1048576
done
for f in 0 1 2; do mkdata "$T/root/sarvam/job-ok/$f.json" $((3145728 + f)); done
origin_start "$T/root" --sign-key "$sign"
# URLs live 2 s and answers break off after 4 MiB: renewals are needed.
api_start --sign-key "$sign" --root "$T/root" --api-key "$secret" --ttl 2 \
	--object-query "rate=2097152&dropafter=4194304"

# --- Sutro -------------------------------------------------------------------
export SUTRO_API_KEY="$secret" SARVAM_API_KEY="$secret"
run_haul -v -n 4 --api-base "$API" -d "$T/out" sutro --include-inputs job-ok
is "$rc" 0 "haul sutro: exit 0"
same "$T/out/$art" "$T/root/$art" "... the artifact, named by the API, byte-identical"
calls=$(grep -c '/jobs/job-ok/results-url' "$API_LOG")
test "$calls" -ge 2
ok $? "... the URLs were renewed through the API ($calls calls)"
grep -q 'include_inputs=true' "$API_LOG"
ok $? "... --include-inputs reached the API"
grep -q '"method":"HEAD"' "$ORIGIN_LOG"
ok $? "... urls.head was used for the probe"
is "$(grep -c '"authorization":true' "$ORIGIN_LOG")" 0 "... no Authorization header reached the storage"
is "$(grep -c '"key_ok":false' "$API_LOG")" 0 "... every API call carried the key"
grep -q "$secret" "$T/err" "$T/out/"* 2>/dev/null
ok $((! $?)) "... the key appears in no output and no file"

sutro_fails() {
	want=$1 job=$2 pattern=$3
	run_haul -n 4 --api-base "$API" -d "$T/out" sutro "$job"
	is "$rc" "$want" "haul sutro $job: exit $want"
	grep -q -- "$pattern" "$T/err"
	ok $? "... says: $(head -c 150 "$T/err")"
}
SUTRO_API_KEY=wrong sutro_fails 4 job-ok "refused the key in SUTRO_API_KEY"
sutro_fails 4 job-missing "no job 'job-missing'"
sutro_fails 4 job-running "not completed"
sutro_fails 3 job-broken "without urls.get"
sutro_fails 6 job-badsize "announced"
run_haul -q -n 4 --api-base "$API" -d "$T/out" sutro job-busy
is "$rc" 0 "a 429 from the API is waited out"
(unset SUTRO_API_KEY; run_haul -n 4 --api-base "$API" sutro job-ok; exit $rc)
is $? 2 "SUTRO_API_KEY unset: usage error"

# --- Sarvam ------------------------------------------------------------------
log_reset
run_haul -v -n 6 --api-base "$API" -d "$T/out" sarvam job-ok 0.json 1.json 2.json
is "$rc" 0 "haul sarvam with three files: exit 0"
for f in 0 1 2; do
	same "$T/out/$f.json" "$T/root/sarvam/job-ok/$f.json" "... $f.json byte-identical"
done
test "$(logstat max_concurrent)" -ge 3
ok $? "... the files were fetched at once ($(logstat max_concurrent) requests in flight)"
is "$(grep -c '"api_key":true' "$ORIGIN_LOG")" 0 "... no api-subscription-key reached the storage"
grep -q "$secret" "$T/err"
ok $((! $?)) "... the key appears in no output"
grep -q 'Azure\|se=' "$ORIGIN_LOG"
ok $? "... over Azure-SAS-style URLs"

rm -f "$T/out/"*.json
run_haul -n 4 --api-base "$API" -d "$T/out" sarvam job-ok 0.json 9.json
is "$rc" 4 "a file the job does not have: exit 4"
same "$T/out/0.json" "$T/root/sarvam/job-ok/0.json" "... the other file is downloaded"
grep -q '9.json: not among the outputs' "$T/err"
ok $? "... the missing one is named"

sarvam_fails() {
	want=$1 job=$2 pattern=$3
	run_haul -n 4 --api-base "$API" -d "$T/out" sarvam "$job" 0.json
	is "$rc" "$want" "haul sarvam $job: exit $want"
	grep -q -- "$pattern" "$T/err"
	ok $? "... says: $(head -c 150 "$T/err")"
}
SARVAM_API_KEY=wrong sarvam_fails 4 job-ok "refused the key in SARVAM_API_KEY"
sarvam_fails 4 job-running "not completed"
sarvam_fails 4 job-missing "no job"
sarvam_fails 3 job-500 "kept answering HTTP 500"

tap_done
