#!/bin/sh
# Byte-identical downloads of sizes 0, 1, 1 MiB + 1 and 64 MiB; the output
# name comes from the URL path without its query; the final name never holds
# a partial file; an existing file is kept unless --force.
. "$HAUL_SRCDIR/tests/lib/common.sh"

mkdir "$T/root" "$T/out"
mkdata "$T/root/one.bin" 1
mkdata "$T/root/mib1.bin" 1048577
mkdata "$T/root/big.bin" 67108864
: >"$T/root/zero.bin"
origin_start "$T/root"

for f in zero one mib1 big; do
	run_haul -q -n 8 -o "$T/out/$f" "$ORIGIN/$f.bin"
	is "$rc" 0 "$f.bin: exit 0"
	same "$T/out/$f" "$T/root/$f.bin" "$f.bin: byte-identical ($(wc -c <"$T/root/$f.bin") bytes)"
	test ! -e "$T/out/$f.part"
	ok $? "$f.bin: no .part file left behind"
done

# The name comes from the last path segment; the query (a signature) is dropped.
(cd "$T/out" && timeout 60 "$HAUL" -q "$ORIGIN/mib1.bin?X-Amz-Signature=secret&X-Amz-Expires=60")
is $? 0 "download named from the URL"
same "$T/out/mib1.bin" "$T/root/mib1.bin" "file named mib1.bin, without the query string"

# An existing output file is not replaced without --force.
echo keep >"$T/out/existing"
run_haul -q -o "$T/out/existing" "$ORIGIN/one.bin"
is "$rc" 5 "existing output: exit 5 (local file error)"
grep -q 'already exists' "$T/err"
ok $? "... the message says it exists"
is "$(cat "$T/out/existing")" keep "... and the file is untouched"
test ! -e "$T/out/existing.part"
ok $? "... and no .part file was created"
run_haul -q --force -o "$T/out/existing" "$ORIGIN/mib1.bin"
is "$rc" 0 "--force replaces it"
same "$T/out/existing" "$T/root/mib1.bin" "... with the downloaded bytes"

# The data file is preallocated to the full size before the body arrives.
run_haul -q -n 2 -o "$T/out/slow" "$ORIGIN/mib1.bin?rate=262144" &
pid=$!
i=0
while [ ! -s "$T/out/slow.part" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
is "$(wc -c <"$T/out/slow.part" 2>/dev/null)" 1048577 ".part is preallocated to the object's size"
test ! -e "$T/out/slow"
ok $? "... and the final name does not exist while downloading"
wait $pid
same "$T/out/slow" "$T/root/mib1.bin" "... which completes byte-identical"

tap_done
