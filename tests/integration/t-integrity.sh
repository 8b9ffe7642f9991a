#!/bin/sh
# Integrity: S3-style single-part and multipart ETags, digest headers and
# --checksum are checked; a byte flipped by the origin is caught with exit 9
# and no file under the final name; 'haul verify' finds a tampered block.
# The origin answers as S3 (store=s3) where an ETag must be trusted; what
# other stores and plain web servers get is in t-stores.sh.
. "$HAUL_SRCDIR/tests/lib/common.sh"

mkdir "$T/root" "$T/out" "$T/parts"
# 20 MiB + 3 bytes: 5 parts of 5 MiB, or 3 of 8 MiB.
mkdata "$T/root/obj.bin" 20971523
origin_start "$T/root"
MD5=$(md5sum "$T/root/obj.bin" | cut -c1-32)
SHA256=$(sha256sum "$T/root/obj.bin" | cut -c1-64)

# --- single-part ETag: the origin's ETag is the object's MD5 ---
S3="store=s3"
run_haul -n 4 -o "$T/out/a" "$ORIGIN/obj.bin"
is "$rc" 0 "MD5 ETag: exit 0"
same "$T/out/a" "$T/root/obj.bin" "... byte-identical"
grep -q 'md5 = ETag: verified' "$T/err"
ok $? "... the summary says 'md5 = ETag: verified'"

run_haul -n 4 --no-verify -o "$T/out/a2" "$ORIGIN/obj.bin"
is "$rc" 0 "--no-verify: exit 0"
! grep -q 'ETag: verified' "$T/err"
ok $? "... and no ETag check is claimed"

# Unknown length (one plain stream): the single-part ETag is still checked.
run_haul -o "$T/out/nl" "$ORIGIN/obj.bin?nolength=1"
is "$rc" 0 "unknown length: exit 0"
grep -q 'md5 = ETag: verified' "$T/err"
ok $? "... the ETag's MD5 verified"
run_haul -o "$T/out/nlf" "$ORIGIN/obj.bin?nolength=1&flip=5&$S3"
is "$rc" 9 "unknown length, a flipped byte: exit 9"
test ! -e "$T/out/nlf"
ok $? "... nothing under the final name"

# --- multipart ETag computed here, independently, from split parts ---
# parts_etag FILE PARTSIZE: "HEX-N" as S3 computes it.
parts_etag() {
	rm -f "$T/parts/"*
	split -b "$2" -a 4 -d "$1" "$T/parts/p"
	n=$(ls "$T/parts" | wc -l)
	for p in "$T/parts/"*; do md5sum "$p" | cut -c1-32; done | xxd -r -p | md5sum |
		sed "s/ .*/-$n/"
}
want5=$(parts_etag "$T/root/obj.bin" 5242880)
want8=$(parts_etag "$T/root/obj.bin" 8388608)
case $want5 in *-5) ok 0 "split + md5sum: 5 parts of 5 MiB" ;; *) ok 1 "split gave $want5" ;; esac

run_haul -n 4 -o "$T/out/m5" "$ORIGIN/obj.bin?multipart=5242880"
is "$rc" 0 "multipart ETag, 5 MiB parts (guessed): exit 0"
grep -o 'ETag "[^"]*"' "$T/err" >/dev/null 2>&1
curl -sSI "$ORIGIN/obj.bin?multipart=5242880" | tr -d '\r' | grep -i '^etag:' | grep -q "\"$want5\""
ok $? "... the origin's ETag equals the one computed with split and md5sum ($want5)"
grep -q 'md5 of 5 x 5 MiB parts = multipart ETag: verified' "$T/err"
ok $? "... and haul's computation matches it"

run_haul -n 4 -o "$T/out/m8" "$ORIGIN/obj.bin?multipart=8388608"
is "$rc" 0 "multipart ETag, 8 MiB parts (guessed): exit 0"
curl -sSI "$ORIGIN/obj.bin?multipart=8388608" | tr -d '\r' | grep -i '^etag:' | grep -q "\"$want8\""
ok $? "... origin ETag = split/md5sum value ($want8)"
grep -q 'md5 of 3 x 8 MiB parts = multipart ETag: verified' "$T/err"
ok $? "... verified with 8 MiB parts"

# 7 parts: 3 MiB and 3 MB are both in the interval the part count allows,
# and both are tried; --etag-part-size names one, and a wrong one fails.
run_haul -n 4 -o "$T/out/m3" "$ORIGIN/obj.bin?multipart=3145728&$S3"
is "$rc" 0 "multipart ETag, 3 MiB parts (7): exit 0"
grep -q 'md5 of 7 x 3 MiB parts = multipart ETag: verified' "$T/err"
ok $? "... verified with 3 MiB parts, found without a hint"
run_haul -n 4 -o "$T/out/m3m" "$ORIGIN/obj.bin?multipart=3000000&$S3"
is "$rc" 0 "multipart ETag, 3 MB parts (7): exit 0"
grep -q 'md5 of 7 x 3 MB parts = multipart ETag: verified' "$T/err"
ok $? "... verified with 3 MB parts"
run_haul -n 4 --etag-part-size 3M -o "$T/out/m3g" "$ORIGIN/obj.bin?multipart=3145728&$S3"
is "$rc" 0 "--etag-part-size 3M: exit 0"
grep -q 'md5 of 7 x 3 MiB parts = multipart ETag: verified' "$T/err"
ok $? "... verified with the given part size"
run_haul -n 4 --etag-part-size 3200k -o "$T/out/mbad" "$ORIGIN/obj.bin?multipart=3145728&$S3"
is "$rc" 9 "a wrong --etag-part-size with the right part count: exit 9"
test ! -e "$T/out/mbad" && test -s "$T/out/mbad.part"
ok $? "... no final file, the data kept in .part"
grep -q 'in parts of 3276800 bytes (--etag-part-size)' "$T/err"
ok $? "... the message names the part size given"
# An odd part size (3 MiB + 1 byte, 7 parts) no uploader default makes:
# decided, not guessed -- exit 9 naming the way out, and verified when given.
run_haul -n 4 -o "$T/out/modd" "$ORIGIN/obj.bin?multipart=3145729&$S3"
is "$rc" 9 "an odd part size (3 MiB + 1), no hint: exit 9"
test ! -e "$T/out/modd" && test -s "$T/out/modd.part"
ok $? "... no final file, the data kept in .part"
grep -q 'none of the [0-9]* part sizes tried matched (of [0-9]* possible).*--etag-part-size SIZE.*--no-verify' "$T/err"
ok $? "... the message counts the part sizes tried and names --etag-part-size and --no-verify"
run_haul -n 4 --etag-part-size 3145729 -o "$T/out/modd2" "$ORIGIN/obj.bin?multipart=3145729&$S3"
is "$rc" 0 "... with --etag-part-size 3145729: exit 0"
grep -q 'md5 of 7 x 3145729-byte parts = multipart ETag: verified' "$T/err"
ok $? "... verified in 3145729-byte parts"
same "$T/out/modd2" "$T/root/obj.bin" "... byte-identical"

# --- digest headers ---
run_haul -n 4 -o "$T/out/h1" "$ORIGIN/obj.bin?amzsha256=1"
is "$rc" 0 "x-amz-checksum-sha256: exit 0"
grep -q 'sha256 = x-amz-checksum-sha256: verified' "$T/err"
ok $? "... verified"
run_haul -n 4 -o "$T/out/h2" "$ORIGIN/obj.bin?amzsha256=bad"
is "$rc" 9 "a wrong x-amz-checksum-sha256: exit 9"
grep -q 'sha256 mismatch (x-amz-checksum-sha256)' "$T/err"
ok $? "... the message names the header"
test ! -e "$T/out/h2" && test -s "$T/out/h2.part"
ok $? "... no final file, data kept in .part"
run_haul -n 4 -o "$T/out/h3" "$ORIGIN/obj.bin?googhash=1"
is "$rc" 0 "x-goog-hash: exit 0"
grep -q 'md5 = x-goog-hash: verified' "$T/err"
ok $? "... its md5 verified"
# Content-MD5 is the object's on an answer with all of it (here a 200: the
# server ignores ranges); on a range it is the range's, and not used.
run_haul -n 4 -o "$T/out/h4" "$ORIGIN/obj.bin?contentmd5=1&norange=1"
is "$rc" 0 "Content-MD5 on a 200 with the whole object: exit 0"
grep -q 'md5 = Content-MD5: verified' "$T/err"
ok $? "... verified"

# --- --checksum ---
run_haul -n 4 -c "sha256:$SHA256" -c "md5:$MD5" -o "$T/out/c1" "$ORIGIN/obj.bin"
is "$rc" 0 "--checksum sha256 and md5: exit 0"
grep -q '^haul: sha256: verified' "$T/err" && grep -q '^haul: md5: verified' "$T/err"
ok $? "... both named as verified"
bad=$(echo "$SHA256" | tr '0-9a-f' '1-9a-f0')
run_haul -n 4 -c "sha256:$bad" -o "$T/out/c2" "$ORIGIN/obj.bin"
is "$rc" 9 "a wrong --checksum: exit 9"
grep -q "sha256 mismatch (--checksum): expected $bad, got $SHA256" "$T/err"
ok $? "... the message gives both digests"
test ! -e "$T/out/c2" && test -s "$T/out/c2.part"
ok $? "... no final file, data kept in .part"
run_haul -c "sha3:00" -o "$T/out/c3" "$ORIGIN/obj.bin"
is "$rc" 2 "an unknown algorithm: exit 2"

# --- a byte flipped in one response: caught by the ETag and --checksum ---
for n in 1 4; do
	run_haul -n $n -o "$T/out/f$n" "$ORIGIN/obj.bin?flip=12345678&$S3"
	is "$rc" 9 "-n $n: one flipped byte, MD5 ETag: exit 9"
	test ! -e "$T/out/f$n" && test -s "$T/out/f$n.part"
	ok $? "... no file under the final name; the data is in .part"
	grep -q 'md5 mismatch (ETag)' "$T/err" && grep -q 'f'$n'.part, not renamed' "$T/err"
	ok $? "... the message names the check and where the data is"
done
# Only the first answer is corrupted. The same command again re-checks the
# whole file: it fetches what the journal did not vouch for yet, so it
# either fails again (the bad block was journaled) or ends with the right
# bytes -- never a wrong file under the final name. --restart fetches all.
run_haul -n 4 -o "$T/out/ff" "$ORIGIN/obj.bin?flip=777777&flipfirst=1&$S3"
is "$rc" 9 "one corrupted answer: exit 9"
grep -q -- '--restart downloads it again' "$T/err"
ok $? "... the message says how to fetch it again"
run_haul -n 4 -o "$T/out/ff" "$ORIGIN/obj.bin?flip=777777&flipfirst=1&$S3"
if [ "$rc" = 0 ]; then
	same "$T/out/ff" "$T/root/obj.bin" "the same command again: exit 0 only with the right bytes"
else
	is "$rc" 9 "the same command again: exit 9 ..."
	test ! -e "$T/out/ff"
	ok $? "... and no file under the final name"
fi
rm -f "$T/out/ff"
run_haul -n 4 --restart -o "$T/out/ff" "$ORIGIN/obj.bin?flip=777777&flipfirst=1&$S3"
is "$rc" 0 "--restart: exit 0"
same "$T/out/ff" "$T/root/obj.bin" "... byte-identical"

run_haul -n 4 --no-verify -c "xxh128:$(xxhsum -H2 "$T/root/obj.bin" | cut -d' ' -f1)" \
	-o "$T/out/fx" "$ORIGIN/obj.bin?flip=20971522&noetag=1"
is "$rc" 9 "the last byte flipped, xxh128 --checksum: exit 9"
# A corrupted byte makes every part size fail: that is a mismatch, not a
# "not verifiable" (the part count is known, so the candidates are all tried).
run_haul -n 4 -o "$T/out/fm" "$ORIGIN/obj.bin?flip=0&multipart=5242880&$S3"
is "$rc" 9 "the first byte flipped under a multipart ETag (no hint): exit 9"
test ! -e "$T/out/fm" && test -s "$T/out/fm.part"
ok $? "... nothing at the final name, the data kept in .part"
! grep -q 'not verifiable' "$T/err"
ok $? "... and never 'not verifiable'"
run_haul -n 4 --etag-part-size 5M -o "$T/out/fm2" "$ORIGIN/obj.bin?flip=0&multipart=5242880&$S3"
is "$rc" 9 "... with --etag-part-size: exit 9 too"
# The issue's case: 64 MiB uploaded in 8 MiB parts, a byte flipped at 10 MiB.
mkdata "$T/root/m64.bin" 67108864
run_haul -o "$T/out/f64" "$ORIGIN/m64.bin?flip=10485760&multipart=8388608&$S3"
is "$rc" 9 "64 MiB in 8 MiB parts, a byte flipped at 10 MiB: exit 9"
test ! -e "$T/out/f64" && test -s "$T/out/f64.part"
ok $? "... nothing at the final name, the data kept"
run_haul -o "$T/out/g64" "$ORIGIN/m64.bin?multipart=8388608&$S3"
is "$rc" 0 "... and without the flip: exit 0"
grep -q 'md5 of 8 x 8 MiB parts = multipart ETag: verified' "$T/err"
ok $? "... verified"

# --- haul verify ---
run_haul -n 4 --keep-journal -o "$T/out/v" "$ORIGIN/obj.bin"
is "$rc" 0 "download with --keep-journal"
run_haul verify "$T/out/v"
is "$rc" 0 "haul verify FILE (journal): exit 0"
grep -q 'blocks of 1048576 bytes match the journal' "$T/err"
ok $? "... every block matches"
printf 'X' | dd of="$T/out/v" bs=1 seek=9437190 conv=notrunc 2>/dev/null
run_haul verify "$T/out/v"
is "$rc" 9 "a tampered byte: exit 9"
grep -q 'block 9 (bytes 9437184-10485759) does not match' "$T/err"
ok $? "... the first bad block is named (block 9)"
run_haul verify -c "md5:$MD5" "$T/out/a"
is "$rc" 0 "haul verify --checksum on a good file: exit 0"
run_haul verify -c "md5:$MD5" "$T/out/v.haul" 
is "$rc" 9 "haul verify --checksum on another file: exit 9"
rm -f "$T/out/a.haul"
run_haul verify "$T/out/a"
is "$rc" 2 "nothing to check against: exit 2"

tap_done
