#!/bin/sh
# TLS is verified by default; --cacert adds a CA, --insecure turns checking
# off. Proxies come from libcurl's environment variables.
. "$HAUL_SRCDIR/tests/lib/common.sh"

command -v openssl >/dev/null 2>&1 || skip_all "no openssl command"
mkdir "$T/root" "$T/out" "$T/pki"
mkdata "$T/root/f.bin" 3145728

# A private CA and a certificate for 127.0.0.1 signed by it.
cd "$T/pki" || bail "no pki directory"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=haul test CA" \
	-keyout ca.key -out ca.pem >/dev/null 2>&1 || bail "openssl: no CA"
openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" \
	-keyout srv.key -out srv.csr >/dev/null 2>&1 || bail "openssl: no CSR"
printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' >ext
openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
	-extfile ext -out srv.pem >/dev/null 2>&1 || bail "openssl: no certificate"
cd "$T" || bail "no work directory"

origin_start "$T/root" --tls "$T/pki/srv.pem" "$T/pki/srv.key"
https=https://127.0.0.1:$(cat "$T/origin.port")
# Neither the system's CA bundle nor a proxy from the caller's environment.
unset http_proxy https_proxy HTTPS_PROXY all_proxy ALL_PROXY no_proxy NO_PROXY
out=$T/out/f

log_reset
run_haul -q -o "$out" "$https/f.bin?X-Amz-Signature=s3cr3t"
is "$rc" 3 "a certificate from an unknown CA: exit 3"
is "$(wc -l <"$T/err")" 1 "... one line"
grep -qi 'certificate' "$T/err"
ok $? "... which names the certificate"
grep -q -- '--cacert' "$T/err"
ok $? "... and says how to trust it"
! grep -q 's3cr3t' "$T/err"
ok $? "... without the URL's query"
test ! -e "$out" && test ! -e "$out.part" && test ! -e "$out.haul"
ok $? "... nothing created on disk"
is "$(grep -c '"method"' "$ORIGIN_LOG")" 0 "... no request was sent over the unverified connection"

run_haul -q -n 4 --cacert "$T/pki/ca.pem" -o "$out" "$https/f.bin"
is "$rc" 0 "--cacert with the test CA: exit 0"
same "$out" "$T/root/f.bin" "... byte-identical"
rm -f "$out"

run_haul -q -n 4 --insecure -o "$out" "$https/f.bin"
is "$rc" 0 "--insecure: exit 0"
same "$out" "$T/root/f.bin" "... byte-identical"
rm -f "$out"

run_haul -q --cacert "$T/pki/none.pem" -o "$out" "$https/f.bin"
is "$rc" 2 "--cacert naming a missing file: usage error"
grep -q 'none.pem' "$T/err"
ok $? "... naming the file"

# http_proxy: a host name that does not resolve can only be reached through
# the proxy, which the test origin plays (it serves absolute-form requests).
origin_stop
origin_start "$T/root"
log_reset
export http_proxy=$ORIGIN
run_haul -q -n 2 -o "$out" "http://haul-test.invalid/f.bin"
is "$rc" 0 "http_proxy: exit 0"
same "$out" "$T/root/f.bin" "... byte-identical"
is "$(grep '"method":"GET"' "$ORIGIN_LOG" | grep -c '"absolute":true')" \
	"$(grep -c '"method":"GET"' "$ORIGIN_LOG")" "... every GET went through the proxy"
rm -f "$out"
export no_proxy=haul-test.invalid
run_haul -q --retries 1 -o "$out" "http://haul-test.invalid/f.bin"
is "$rc" 3 "no_proxy exempts the host: it cannot be resolved, exit 3"

tap_done
