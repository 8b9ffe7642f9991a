#!/bin/sh
# What each kind of server's claims are worth (tests/lib/origin.py answering
# as S3, GCS, Azure or a plain web server): a web server's 32-hex ETag that
# is no MD5 warns but saves the file; S3's fails it; SSE-KMS ETags are not
# checked; GCS composite objects (crc32c only), S3's CRC checksums (full
# object and composite) and Azure's MD5 are checked, clean and corrupted;
# CRCs come from the blocks as they are written, not read back, also after
# a resume; x-amz-checksum-mode is asked for only where a presigned URL's
# signature allows it, and sent on every request where it covers it.
. "$HAUL_SRCDIR/tests/lib/common.sh"

mkdir "$T/root" "$T/out"
# 20 MiB + 3 bytes: 5 parts of 5 MiB (the last 3 bytes).
size=20971523
mkdata "$T/root/obj.bin" $size
key=k3y-$$
origin_start "$T/root"
MD5=$(md5sum "$T/root/obj.bin" | cut -c1-32)
FLIP=12345678
# checked NAME FILE TEXT: exit 0, identical, and the summary line.
checked() {
	is "$rc" 0 "$1: exit 0"
	same "$2" "$T/root/obj.bin" "... byte-identical"
	grep -q "$3" "$T/err"
	ok $? "... '$3'"
}
# refused NAME FILE TEXT: exit 9, nothing at the final name, data kept, message.
refused() {
	is "$rc" 9 "$1: exit 9"
	test ! -e "$2" && test -s "$2.part"
	ok $? "... nothing at the final name, the data kept in .part"
	grep -q "$3" "$T/err"
	ok $? "... '$3'"
}

# --- ETags: trusted only from an object store ---------------------------------
run_haul -n 4 -o "$T/out/w" "$ORIGIN/obj.bin?etag=fake"
checked "a web server's 32-hex ETag that is no MD5" "$T/out/w" "md5 = ETag: does not match"
is "$(grep -c "this server's ETag is not an MD5 of the content; nothing verified it" "$T/err")" 1 \
	"... one warning: nothing verified it"
run_haul -n 4 -o "$T/out/w2" "$ORIGIN/obj.bin?etag=fake&amzsha256=1"
checked "... with a sha256 header beside it" "$T/out/w2" "sha256 = x-amz-checksum-sha256: verified"
run_haul -n 4 -o "$T/out/w3" "$ORIGIN/obj.bin?etag=fake&store=s3"
refused "the same ETag from S3" "$T/out/w3" "md5 mismatch (ETag)"
# A web server's ETag is no proof either way: a flipped byte under it is
# saved, with the warning -- which is what makes a non-MD5 ETag harmless.
run_haul -n 4 -o "$T/out/w4" "$ORIGIN/obj.bin?flip=$FLIP"
is "$rc" 0 "a web server's MD5 ETag, a flipped byte: exit 0 (the ETag is not trusted)"
test -e "$T/out/w4" && ! cmp -s "$T/out/w4" "$T/root/obj.bin"
ok $? "... the file is saved as served"
grep -q "this server's ETag is not an MD5 of the content; nothing verified it" "$T/err"
ok $? "... with the warning"
run_haul -n 4 -o "$T/out/k" "$ORIGIN/obj.bin?sse=kms&store=s3"
checked "an SSE-KMS object on S3 (its ETag is no MD5)" "$T/out/k" \
	"not checked: ETag (the object is encrypted with SSE-KMS or SSE-C"
run_haul -n 4 -o "$T/out/r2" "$ORIGIN/obj.bin?store=s3&multipart=5242880"
checked "S3 multipart ETag, 5 MiB parts, no hint" "$T/out/r2" \
	"md5 of 5 x 5 MiB parts = multipart ETag: verified"

# --- GCS: x-goog-hash, composite objects have a crc32c only -------------------
run_haul -n 4 -vv -o "$T/out/g" "$ORIGIN/obj.bin?store=gcs&googhash=crc32c&etag=fake"
checked "a GCS composite object (crc32c only)" "$T/out/g" "crc32c = x-goog-hash: verified"
! grep -q 'md5 = ETag' "$T/err"
ok $? "... its ETag (no MD5) is not used"
grep -q 'crc32c: combined from 21 blocks' "$T/err"
ok $? "... the crc32c combined from the blocks, not read back"
run_haul -n 4 -o "$T/out/g2" "$ORIGIN/obj.bin?store=gcs&googhash=crc32c&etag=fake&flip=$FLIP"
refused "... a flipped byte" "$T/out/g2" "crc32c mismatch (x-goog-hash)"
run_haul -n 4 -o "$T/out/g3" "$ORIGIN/obj.bin?store=gcs&googhash=1"
checked "a GCS object with md5 and crc32c" "$T/out/g3" "md5 = x-goog-hash: verified"
grep -q 'crc32c = x-goog-hash: verified' "$T/err"
ok $? "... and crc32c"
run_haul -n 4 -o "$T/out/g4" "$ORIGIN/obj.bin?store=gcs&googhash=1&googhashbad=1"
refused "wrong x-goog-hash values" "$T/out/g4" "mismatch (x-goog-hash)"

# --- S3 checksums: asked for with x-amz-checksum-mode, on the HEAD ------------
log_reset
run_haul -n 4 -vv -o "$T/out/c64" "$ORIGIN/obj.bin?store=s3&etag=opaque&amzsum=crc64nvme"
checked "x-amz-checksum-crc64nvme, an opaque ETag" "$T/out/c64" \
	"crc64nvme = x-amz-checksum-crc64nvme: verified"
grep -q 'crc64nvme: combined from 21 blocks' "$T/err"
ok $? "... combined from the blocks as they were written"
grep '"method":"HEAD"' "$ORIGIN_LOG" | grep -q '"checksum_mode":true'
ok $? "... the HEAD asked for the checksums (x-amz-checksum-mode: ENABLED)"
test "$(grep '"method":"GET"' "$ORIGIN_LOG" | grep -c '"checksum_mode":true')" -le 1
ok $? "... of the GETs, the first alone did (an answer with the whole object has them)"
run_haul -n 4 -o "$T/out/c64f" "$ORIGIN/obj.bin?store=s3&etag=opaque&amzsum=crc64nvme&flip=$FLIP"
refused "... a flipped byte" "$T/out/c64f" "crc64nvme mismatch (x-amz-checksum-crc64nvme)"
run_haul -n 4 -o "$T/out/c32" "$ORIGIN/obj.bin?store=s3&etag=opaque&amzsum=crc32c"
checked "x-amz-checksum-crc32c, an opaque ETag" "$T/out/c32" \
	"crc32c = x-amz-checksum-crc32c: verified"
run_haul -n 4 -o "$T/out/c32f" "$ORIGIN/obj.bin?store=s3&etag=opaque&amzsum=crc32c&flip=$FLIP"
refused "... a flipped byte" "$T/out/c32f" "crc32c mismatch (x-amz-checksum-crc32c)"
run_haul -n 4 -o "$T/out/c1" "$ORIGIN/obj.bin?store=s3&amzsum=crc32,sha1"
checked "x-amz-checksum-crc32 and -sha1" "$T/out/c1" "crc32 = x-amz-checksum-crc32: verified"
grep -q 'sha1 = x-amz-checksum-sha1: verified' "$T/err"
ok $? "... and sha1; the ETag adds nothing beside sha1"
! grep -q 'md5 = ETag' "$T/err"
ok $? "... so it is not computed"
run_haul -n 4 -o "$T/out/c2" "$ORIGIN/obj.bin?store=s3&amzsum=crc64nvme,sha256"
checked "crc64nvme beside sha256" "$T/out/c2" "crc64nvme = x-amz-checksum-crc64nvme: verified"
grep -q 'not checked: x-amz-checksum-sha256 (the store.s crc64nvme covers the whole object)' "$T/err"
ok $? "... sha256 is not computed: crc64nvme covers the object"
run_haul -n 4 -o "$T/out/c3" "$ORIGIN/obj.bin?store=s3&amzsum=crc32c&amzsumbad=1"
refused "a wrong crc32c" "$T/out/c3" "crc32c mismatch"
run_haul -n 4 --no-journal -o "$T/out/c4" "$ORIGIN/obj.bin?store=s3&etag=opaque&amzsum=crc64nvme"
checked "--no-journal (no blocks): read back instead" "$T/out/c4" \
	"crc64nvme = x-amz-checksum-crc64nvme: verified"
run_haul -n 4 -o "$T/out/c5" "$ORIGIN/obj.bin?store=s3&etag=opaque&amzsum=crc64nvme&nohead=403"
checked "GET-only (HEAD refused): no checksums on ranges" "$T/out/c5" "saved"
! grep -q 'crc64nvme' "$T/err"
ok $? "... so none is claimed"

# Composite (of parts, "BASE64-N"): the part size is decided like an ETag's.
run_haul -n 4 -o "$T/out/p1" "$ORIGIN/obj.bin?store=s3&etag=opaque&amzsum=crc32c,sha256&amzsumtype=composite&parts=5242880"
checked "composite crc32c and sha256 of 5 MiB parts" "$T/out/p1" \
	"crc32c of 5 x 5 MiB parts = x-amz-checksum-crc32c: verified"
grep -q 'sha256 of 5 x 5 MiB parts = x-amz-checksum-sha256: verified' "$T/err"
ok $? "... and the sha256 one"
run_haul -n 4 -o "$T/out/p2" "$ORIGIN/obj.bin?store=s3&etag=opaque&amzsum=crc32c&amzsumtype=composite&parts=5242880&flip=$FLIP"
refused "... a flipped byte" "$T/out/p2" "does not match x-amz-checksum-crc32c"

# --- JSON: each check's result, and why ---------------------------------------
# jq-like picks with python: "check|result|why" of every verify event.
verify_events() {
	"$PYTHON3" -c 'import json, sys
for line in open(sys.argv[1]):
    e = json.loads(line)
    if e.get("event") == "verify":
        print("%s|%s|%s" % (e["check"], e["result"], e["why"]))' "$1"
}
run_haul -n 4 --progress=json --progress-fd 3 -o "$T/out/j1" \
	"$ORIGIN/obj.bin?store=s3&etag=fake&amzsum=crc64nvme,sha256&amzsumtype=full" 3>"$T/ev1"
is "$rc" 0 "--progress=json, crc64nvme and sha256 (and a fake ETag) from S3: exit 0"
"$PYTHON3" "$HAUL_SRCDIR/tests/lib/events.py" "$T/ev1" >/dev/null
ok $? "... every event matches the schema"
verify_events "$T/ev1" >"$T/ev1.v"
grep -qx 'crc64nvme = x-amz-checksum-crc64nvme|verified|None' "$T/ev1.v" &&
	grep -qx "x-amz-checksum-sha256|unchecked|the store's crc64nvme covers the whole object" "$T/ev1.v"
ok $? "... verify events: crc64nvme verified, sha256 unchecked and why"
run_haul -n 4 --progress=json --progress-fd 3 -o "$T/out/j2" "$ORIGIN/obj.bin?etag=fake" 3>"$T/ev2"
verify_events "$T/ev2" >"$T/ev2.v"
grep -qx "md5 = ETag|unverifiable|this server's ETag is not an MD5 of the content" "$T/ev2.v"
ok $? "... a web server's ETag: unverifiable, and why"
run_haul -n 4 --progress=json --progress-fd 3 -o "$T/out/j3" \
	"$ORIGIN/obj.bin?store=s3&multipart=3145729" 3>"$T/ev3"
verify_events "$T/ev3" >"$T/ev3.v"
is "$rc" 9 "... an undecidable multipart ETag: exit 9"
grep -qx "multipart ETag (7 parts)|mismatch|no part size tried matched" "$T/ev3.v"
ok $? "... its verify event: mismatch, no part size tried matched"

# --- Azure: x-ms-blob-content-md5 on ranged answers too ----------------------
run_haul -n 4 -o "$T/out/a" "$ORIGIN/obj.bin?store=azure&etag=opaque&azmd5=1"
checked "Azure's blob MD5" "$T/out/a" "md5 = x-ms-blob-content-md5: verified"
run_haul -n 4 -o "$T/out/a2" "$ORIGIN/obj.bin?store=azure&etag=opaque&azmd5=bad"
refused "... a wrong one" "$T/out/a2" "md5 mismatch (x-ms-blob-content-md5)"

# --- --checksum with the stores' CRCs, hex and base64; haul verify ------------
C64=$(curl -sSI -H 'x-amz-checksum-mode: ENABLED' "$ORIGIN/obj.bin?amzsum=crc64nvme" | tr -d '\r' |
	sed -n 's/^x-amz-checksum-crc64nvme: //Ip')
C32=$(curl -sSI -H 'x-amz-checksum-mode: ENABLED' "$ORIGIN/obj.bin?amzsum=crc32c" | tr -d '\r' |
	sed -n 's/^x-amz-checksum-crc32c: //Ip')
C32HEX=$(printf '%s' "$C32" | base64 -d | xxd -p)
test -n "$C64" && test ${#C32HEX} -eq 8
ok $? "the origin's crc64nvme ($C64) and crc32c ($C32HEX)"
run_haul -n 4 -c "crc64nvme:$C64" -c "crc32c:$C32HEX" -o "$T/out/u" "$ORIGIN/obj.bin?etag=opaque"
checked "--checksum crc64nvme:BASE64 and crc32c:HEX" "$T/out/u" "^haul: crc64nvme: verified"
run_haul -n 4 -c "crc32c:00000000" -o "$T/out/u2" "$ORIGIN/obj.bin?etag=opaque"
refused "a wrong --checksum crc32c" "$T/out/u2" "crc32c mismatch (--checksum): expected 00000000, got $C32HEX"
run_haul verify -c "crc64nvme:$C64" -c "crc32:$(printf '%s' "$(curl -sSI -H 'x-amz-checksum-mode: ENABLED' "$ORIGIN/obj.bin?amzsum=crc32" | tr -d '\r' | sed -n 's/^x-amz-checksum-crc32: //Ip')")" "$T/out/u"
is "$rc" 0 "haul verify -c crc64nvme: -c crc32: on the file: exit 0"
run_haul verify -c "crc32c:00000000" "$T/out/u"
is "$rc" 9 "haul verify -c with a wrong crc32c: exit 9"

# --- a resumed download: the blocks on disk give their CRCs as resume reads them
slow="$ORIGIN/obj.bin?store=s3&etag=opaque&amzsum=crc64nvme&rate=2097152&run=resume"
"$HAUL" -q -n 4 -o "$T/out/res" "$slow" 2>/dev/null &
pid=$!
sleep 1.5
kill -INT $pid
wait $pid
is $? 7 "interrupted half-way: exit 7"
run_haul -n 4 -vv -o "$T/out/res" "$ORIGIN/obj.bin?store=s3&etag=opaque&amzsum=crc64nvme"
checked "... resumed" "$T/out/res" "crc64nvme = x-amz-checksum-crc64nvme: verified"
grep -q 'resuming .* of 20971523 bytes on disk' "$T/err" && grep -q 'crc64nvme: combined from 21 blocks' "$T/err"
ok $? "... what was on disk and what came after, combined"

# --- presigned URLs: x-amz-checksum-mode only where the signature allows ------
origin_stop
origin_start "$T/root" --sign-key "$key"
sign="$PYTHON3 $HAUL_SRCDIR/tests/lib/sign.py --key $key --base $ORIGIN"
q="store=s3&etag=opaque&amzsum=crc64nvme"
log_reset
url=$($sign --path /obj.bin --ttl 600 --query "$q")
run_haul -n 4 -o "$T/out/s1" "$url"
is "$rc" 0 "a presigned URL that does not sign x-amz-checksum-mode: exit 0"
! grep -q '"checksum_mode":true' "$ORIGIN_LOG"
ok $? "... the header was never sent (S3 would refuse it: HeadersNotSigned)"
! grep -q 'headersnotsigned' "$ORIGIN_LOG"
ok $? "... and nothing was refused for it"
log_reset
url=$($sign --path /obj.bin --ttl 600 --query "$q" --signed-headers 'host;x-amz-checksum-mode')
run_haul -n 4 -o "$T/out/s2" "$url"
is "$rc" 0 "a presigned URL whose signature covers x-amz-checksum-mode: exit 0"
same "$T/out/s2" "$T/root/obj.bin" "... byte-identical"
test "$(grep -c '"checksum_mode":true' "$ORIGIN_LOG")" -eq "$(grep -c '"method"' "$ORIGIN_LOG")"
ok $? "... every request carried it, as the signature requires"
! grep -q 'k3y\|X-Amz-Signature=' "$T/err"
ok $? "... no signature in the messages"

tap_done
