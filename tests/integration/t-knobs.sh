#!/bin/sh
# The usual knobs, as the origin sees them: -A, defaults from a config file
# and HAUL_* (the command line winning), --max-speed over all connections,
# -x, --netrc-file, -4/-6, -u and --aws-sigv4 (the origin verifies the
# signature), and credentials that appear in no message and no journal.
. "$HAUL_SRCDIR/tests/lib/common.sh"

mkdir "$T/root" "$T/out"
mkdata "$T/root/m.bin" 4194304
mkdata "$T/root/s.bin" 300000
KEY_ID=AKIDHAULTEST
SECRET=s3cr3tK3yHaulTest
TOKEN=t0kenHaulTest
PASSWORD=pAssw0rdHaulTest
origin_start "$T/root" --host2 127.0.0.2 --basic-auth "alice:$PASSWORD" \
	--aws-key "$KEY_ID:$SECRET" --aws-token "$TOKEN"
unset http_proxy https_proxy HTTPS_PROXY all_proxy ALL_PROXY no_proxy NO_PROXY
unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN
out=$T/out/f
clean() { rm -f "$out" "$out.part" "$out.haul"; log_reset; }

# with_env VAR=VALUE... "$HAUL" ARGS...: like run_haul, with variables set for
# haul alone (an assignment before a shell function may outlive it).
with_env() {
	timeout 120 env "$@" 2>"$T/err"
	rc=$?
	[ $rc -eq 124 ] && diag "haul timed out: $*"
	return 0
}

# field KEY: the values of one field of every GET in the log, one a line, sorted, unique.
field() {
	"$PYTHON3" -c 'import json, sys
seen = set()
for line in open(sys.argv[1]):
    try:
        r = json.loads(line)
    except ValueError:
        continue
    if r.get("method") == "GET":
        seen.add(str(r.get(sys.argv[2])))
print("\n".join(sorted(seen)))' "$ORIGIN_LOG" "$1"
}

# --- -A, --user-agent -----------------------------------------------------------
clean
run_haul -q -n 2 -o "$out" "$ORIGIN/s.bin"
case $(field user_agent) in haul/*) ok 0 "the default User-Agent is haul/VERSION" ;;
*) ok 1 "the default User-Agent is haul/VERSION"; diag "got '$(field user_agent)'" ;; esac
clean
run_haul -q -n 2 -A "knobs-test/1.0 (t-knobs)" --head-url "$ORIGIN/s.bin?head=1" -o "$out" \
	"$ORIGIN/s.bin"
is "$rc" 0 "-A: exit 0"
is "$(field user_agent)" "knobs-test/1.0 (t-knobs)" "... every GET carried that User-Agent"
is "$(grep '"method":"HEAD"' "$ORIGIN_LOG" | grep -c '"user_agent":"knobs-test/1.0 (t-knobs)"')" 1 \
	"... and so did the HEAD (--head-url)"

# --- defaults: config file < HAUL_* < command line ----------------------------------
# Each range is paced to 8 MiB/s, so the connections overlap measurably.
url="$ORIGIN/m.bin?rate=8388608"
cat >"$T/haul.conf" <<'EOF'
# knobs test
connections = 2
user-agent = "from the file"

no-verify
EOF
clean
run_haul -q --config "$T/haul.conf" -o "$out" "$url"
is "$rc" 0 "--config FILE: exit 0"
same "$out" "$T/root/m.bin" "... byte-identical"
is "$(logstat max_concurrent)" 2 "... connections = 2 from the file"
is "$(field user_agent)" "from the file" "... the file's user-agent"
clean
with_env HAUL_CONNECTIONS=3 HAUL_USER_AGENT=from-env "$HAUL" -q --config "$T/haul.conf" -o "$out" \
	"$url"
is "$rc" 0 "HAUL_CONNECTIONS, HAUL_USER_AGENT with the file: exit 0"
is "$(logstat max_concurrent)" 3 "... HAUL_CONNECTIONS=3 wins over the file"
is "$(field user_agent)" from-env "... and HAUL_USER_AGENT"
clean
with_env HAUL_CONNECTIONS=3 HAUL_USER_AGENT=from-env "$HAUL" -q --config "$T/haul.conf" -n 4 \
	-A from-cli -o "$out" "$url"
is "$(logstat max_concurrent)" 4 "-n 4 on the command line wins over both"
is "$(field user_agent)" from-cli "... and -A"

# The default file, under $XDG_CONFIG_HOME; --no-config skips it.
mkdir -p "$T/xdg/haul" && cp "$T/haul.conf" "$T/xdg/haul/config"
clean
with_env XDG_CONFIG_HOME="$T/xdg" "$HAUL" -q -o "$out" "$url"
is "$(field user_agent)" "from the file" "\$XDG_CONFIG_HOME/haul/config is read by default"
clean
with_env XDG_CONFIG_HOME="$T/xdg" "$HAUL" -q --no-config -o "$out" "$url"
case $(field user_agent) in haul/*) ok 0 "--no-config skips it" ;; *) ok 1 "--no-config skips it" ;; esac

printf 'connections = 2\n\nconections = 4\n' >"$T/bad.conf"
clean
run_haul -q --config "$T/bad.conf" -o "$out" "$ORIGIN/s.bin"
is "$rc" 2 "a misspelt option in the file: exit 2"
is "$(wc -l <"$T/err")" 1 "... one line: $(cat "$T/err")"
grep -q "bad.conf:3: unknown option 'conections'" "$T/err"
ok $? "... naming the file, the line and the option"
clean
run_haul -q --config "$T/no-such.conf" -o "$out" "$ORIGIN/s.bin"
is "$rc" 2 "a missing --config FILE: exit 2"
clean
with_env HAUL_MAX_SPEED=fast "$HAUL" -q -o "$out" "$ORIGIN/s.bin"
is "$rc" 2 "HAUL_MAX_SPEED=fast: exit 2"
grep -q "HAUL_MAX_SPEED" "$T/err"
ok $? "... naming the variable"
is "$(grep -c '"method"' "$ORIGIN_LOG")" 0 "... no request for any of these"

# haul sets HAUL_OUTPUT for refresh commands; the suite has HAUL_TEST_SEED.
clean
(cd "$T/out" && HAUL_OUTPUT=$T/out/other HAUL_TEST_SEED=1 HAUL_NO_SUCH=1 \
	timeout 60 "$HAUL" -q "$ORIGIN/s.bin" 2>"$T/err")
is "$?" 0 "HAUL_OUTPUT, HAUL_TEST_SEED and an unknown HAUL_* variable: exit 0"
test -f "$T/out/s.bin" && test ! -e "$T/out/other"
ok $? "... the file is named from the URL, not from HAUL_OUTPUT"
rm -f "$T/out/s.bin"

# --- --max-speed --------------------------------------------------------------------
clean
t0=$(date +%s%N)
run_haul -q -n 4 --max-speed 1M -o "$out" "$ORIGIN/m.bin"
t1=$(date +%s%N)
ms=$(((t1 - t0) / 1000000))
is "$rc" 0 "--max-speed 1M -n 4, 4 MiB: exit 0"
same "$out" "$T/root/m.bin" "... byte-identical"
test "$ms" -ge 2500
ok $? "... in at least 2.5 s: the cap is over all connections ($ms ms)"
is "$(logstat get_conns)" 4 "... which were 4"

# --- -x, --proxy --------------------------------------------------------------------
# A name that does not resolve is reached through the proxy (the origin, which
# serves absolute-form requests); -x wins over a dead http_proxy.
clean
with_env http_proxy=http://127.0.0.1:9 "$HAUL" -q -n 2 -x "$ORIGIN" -o "$out" \
	"http://haul-test.invalid/s.bin"
is "$rc" 0 "-x: exit 0"
same "$out" "$T/root/s.bin" "... byte-identical"
is "$(field absolute)" True "... every GET came through the proxy"
is "$(field host_header)" haul-test.invalid "... for the URL's host"

# --- --netrc-file ------------------------------------------------------------------
printf 'machine 127.0.0.1\nlogin alice\npassword %s\n' "$PASSWORD" >"$T/netrc"
clean
run_haul -q -n 2 --netrc-file "$T/netrc" -o "$out" "$ORIGIN/s.bin?auth=basic"
is "$rc" 0 "--netrc-file for 127.0.0.1, auth=basic: exit 0"
same "$out" "$T/root/s.bin" "... byte-identical"
is "$(field auth_user)" alice "... the origin saw Basic auth as alice"
is "$(field basic)" valid "... with the password from the file"
clean
run_haul -q -n 2 -o "$out" "$ORIGIN/s.bin?auth=basic"
is "$rc" 4 "without it: refused, exit 4"
clean
run_haul -q --netrc-file "$T/no-such-netrc" -o "$out" "$ORIGIN/s.bin"
is "$rc" 2 "--netrc-file naming a missing file: exit 2"
grep -q no-such-netrc "$T/err"
ok $? "... naming it"

# --- -4, -6 -------------------------------------------------------------------------
clean
run_haul -6 -o "$out" "$ORIGIN/s.bin"
is "$rc" 2 "-6 with http://127.0.0.1: exit 2"
is "$(wc -l <"$T/err")" 1 "... one line: $(cat "$T/err")"
grep -q 'IPv4 address.*--ipv6' "$T/err"
ok $? "... saying why"
is "$(grep -c '"method"' "$ORIGIN_LOG")" 0 "... and no request"
clean
run_haul -4 -6 -o "$out" "$ORIGIN/s.bin"
is "$rc" 2 "-4 with -6: exit 2"
clean
run_haul -q -4 -o "$out" "$ORIGIN/s.bin"
is "$rc" 0 "-4 with http://127.0.0.1: exit 0"

# --- -u and --aws-sigv4 -----------------------------------------------------------
provider=aws:amz:us-east-1:s3
clean
run_haul -vv -n 4 --keep-journal --aws-sigv4 "$provider" -u "$KEY_ID:$SECRET" -o "$out" \
	"$ORIGIN/m.bin?auth=sigv4"
is "$rc" 0 "--aws-sigv4 with -u, against an origin that checks SigV4: exit 0"
same "$out" "$T/root/m.bin" "... byte-identical"
is "$(grep -c '"method"' "$ORIGIN_LOG")" "$(grep -c '"sigv4":"valid"' "$ORIGIN_LOG")" \
	"... every request's signature verified"
is "$(field auth_user)" "$KEY_ID" "... with the key id"
test -f "$out.haul" && ! grep -q -e "$SECRET" -e "$KEY_ID" "$T/err" "$out.haul"
ok $? "... and neither the secret nor the key id on stderr (-vv) or in the journal"
clean
run_haul -q --aws-sigv4 "$provider" -u "$KEY_ID:wrong$SECRET" -o "$out" "$ORIGIN/m.bin?auth=sigv4"
is "$rc" 4 "a wrong secret: refused (403), exit 4"
is "$(field sigv4)" bad "... the origin found the signature bad"
! grep -q "wrong$SECRET" "$T/err"
ok $? "... and the message does not show it"
clean
run_haul -q -u "$KEY_ID:$SECRET" -o "$out" "$ORIGIN/m.bin?auth=sigv4"
is "$rc" 4 "-u alone is Basic auth, not a signature: exit 4"
is "$(field auth_scheme)" Basic "... Basic it was"

clean
with_env AWS_ACCESS_KEY_ID=$KEY_ID AWS_SECRET_ACCESS_KEY=$SECRET AWS_SESSION_TOKEN=$TOKEN \
	"$HAUL" -vv -n 4 --keep-journal --aws-sigv4 "$provider" -o "$out" "$ORIGIN/m.bin?auth=sigv4"
is "$rc" 0 "--aws-sigv4 with AWS_ACCESS_KEY_ID, _SECRET_ACCESS_KEY, _SESSION_TOKEN: exit 0"
same "$out" "$T/root/m.bin" "... byte-identical"
is "$(field sigv4)" valid "... signatures verified"
is "$(field amz_token)" True "... every GET carried x-amz-security-token (the origin checks its value)"
test -f "$out.haul" && ! grep -q -e "$SECRET" -e "$TOKEN" -e "$KEY_ID" "$T/err" "$out.haul"
ok $? "... no key, secret or token on stderr (-vv) or in the journal"
clean
with_env AWS_ACCESS_KEY_ID=$KEY_ID AWS_SECRET_ACCESS_KEY=$SECRET AWS_SESSION_TOKEN=wrong$TOKEN \
	"$HAUL" -q --aws-sigv4 "$provider" -o "$out" "$ORIGIN/m.bin?auth=sigv4"
is "$rc" 4 "a wrong session token: refused, exit 4"
clean
run_haul -q --aws-sigv4 "$provider" -o "$out" "$ORIGIN/m.bin"
is "$rc" 2 "--aws-sigv4 without any credentials: exit 2"
grep -q 'AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY' "$T/err"
ok $? "... naming the variables"

# Basic credentials go to the URL's host only: not after a redirect elsewhere.
clean
run_haul -vv -n 2 --keep-journal -u "alice:$PASSWORD" -o "$out" "$ORIGIN/m.bin?redirect=1"
is "$rc" 0 "-u and a 302 to another host (127.0.0.2): exit 0"
same "$out" "$T/root/m.bin" "... byte-identical"
grep '"host":"127.0.0.1"' "$ORIGIN_LOG" | grep -q '"auth_user":"alice"'
ok $? "... the first host got the credentials"
is "$(grep '"host":"127.0.0.2"' "$ORIGIN_LOG" | grep -c '"authorization":true')" 0 \
	"... the other host never did"
test -f "$out.haul" && ! grep -q "$PASSWORD" "$T/err" "$out.haul"
ok $? "... and the password is on stderr (-vv) nowhere, nor in the journal"
tap_done
