#!/bin/sh
# Local faults on a real, small file system (a 16 MiB tmpfs mounted by the
# test; skipped where mounting is not allowed): too little space is found
# before downloading; a disk that fills up during the download stops it with
# its journal consistent, and after space is freed the same command
# finishes; an output path that is a device is refused.
. "$HAUL_SRCDIR/tests/lib/common.sh"

mkdir "$T/root" "$T/fs"
if ! mount -t tmpfs -o size=16m tmpfs "$T/fs" 2>/dev/null; then
	skip_all "cannot mount a tmpfs here (not root?)"
fi
trap 'umount "$T/fs" 2>/dev/null; cleanup' EXIT
mkdata "$T/root/big.bin" 33554432
mkdata "$T/root/f.bin" 8388608
origin_start "$T/root"

# --- too big for the disk: refused at the first answer, before its body --------------
run_haul -n 4 -o "$T/fs/big" "$ORIGIN/big.bin"
is "$rc" 5 "32 MiB onto a 16 MiB file system: exit 5"
grep -q 'not enough space for 33554432 bytes' "$T/err"
ok $? "... says so: $(head -c 120 "$T/err")"
test "$(grep -c '"method":"GET"' "$ORIGIN_LOG")" -le 1
ok $? "... after the first request (the probe) alone"
test -z "$(ls "$T/fs")"
ok $? "... and leaves nothing behind"

# --- the disk fills up during the download ----------------------------------------
# 8 MiB preallocated; then another writer takes every free byte, so the
# journal's next record cannot be written.
"$HAUL" -q -n 4 --checkpoint-interval 50ms -o "$T/fs/f" "$ORIGIN/f.bin?rate=1048576" \
	2>"$T/err" &
pid=$!
i=0
while [ ! -s "$T/fs/f.haul" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
sleep 0.5
dd if=/dev/zero of="$T/fs/filler" bs=64k 2>/dev/null
wait $pid
is $? 5 "the disk fills up mid-download: exit 5"
grep -q 'No space left' "$T/err"
ok $? "... says so: $(head -c 160 "$T/err")"
test -f "$T/fs/f.part" && test -f "$T/fs/f.haul" && test ! -e "$T/fs/f"
ok $? "... keeps the .part file and the journal"
rm "$T/fs/filler"
run_haul -n 4 -o "$T/fs/f" "$ORIGIN/f.bin"
is "$rc" 0 "after space is freed the same command finishes"
grep -q 'resuming' "$T/err"
ok $? "... resuming"
same "$T/fs/f" "$T/root/f.bin" "... byte-identical"

# --- a device as the output --------------------------------------------------------
run_haul -n 4 -o /dev/null "$ORIGIN/f.bin"
is "$rc" 5 "-o /dev/null (a device): exit 5"
grep -q 'not a regular file' "$T/err"
ok $? "... says so"

tap_done
