#!/bin/sh
# I/O faults through the store/journal seam (tests/lib/faulty.c): a crash at
# write N that loses every write not yet fsynced, ENOSPC, EIO from fdatasync,
# short writes. Whatever the fault, the state left behind resumes with the
# same command to a byte-identical file.
. "$HAUL_SRCDIR/tests/lib/common.sh"

mkdir "$T/root" "$T/out"
mkdata "$T/root/f.bin" 8388608
origin_start "$T/root"
url="$ORIGIN/f.bin?rate=4194304"
args="-q -n 4 --checkpoint-bytes 256k -o $T/out/f"

clean() { rm -f "$T/out/f" "$T/out/f.part" "$T/out/f.haul"; }

# How many writes a whole download makes.
clean
timeout 60 "$HAUL_FAULTY" none:0 $args "$url" 2>"$T/err"
is $? 0 "a download through the seam works"
same "$T/out/f" "$T/root/f.bin" "... byte-identical"
total=$(sed -n 's/^writes=//p' "$T/err")
test "$total" -gt 20
ok $? "... in $total write calls"

# libcurl hands over 16 KiB at a time; haul gathers them and writes 128 KiB
# at once: 8 MiB in about 64 data writes (plus the journal's), not 512.
clean
timeout 60 "$HAUL_FAULTY" none:0 -q -n 4 -o "$T/out/f" "$ORIGIN/f.bin" 2>"$T/err"
is $? 0 "unthrottled, default checkpoints: exit 0"
same "$T/out/f" "$T/root/f.bin" "... byte-identical"
w=$(sed -n 's/^writes=//p' "$T/err")
test "$w" -le 128
ok $? "... in $w write calls for 8 MiB: pieces are gathered"

# A crash at ten points spread over the download, each resumed: the resume
# fetches only what the journal does not hold (give or take a block). How
# many journal writes a run makes depends on how checkpoints fall in time,
# so the points stay within the first 3/4 of the writes counted above: a
# run that makes fewer writes still reaches each of them.
for i in 1 2 3 4 5 6 7 8 9 10; do
	at=$((total * i * 3 / 44))
	clean
	timeout 60 "$HAUL_FAULTY" crash:$at $args "$url" 2>"$T/err"
	is $? 99 "crash at write $at of $total"
	# (The crashed run's requests may be logged late: count by a tag.)
	run_haul -n 4 --checkpoint-bytes 256k -o "$T/out/f" "$url&run=resume$i"
	is "$rc" 0 "... then the same command: exit 0"
	same "$T/out/f" "$T/root/f.bin" "... byte-identical"
	had=$(sed -n 's/.*resuming .*: \([0-9]*\) of .*/\1/p' "$T/err")
	served=$(served_for "run=resume$i\"")
	test -n "$had" && test "$served" -le $((8388608 - had + 1048576))
	ok $? "... it resumed with ${had:-?} bytes on disk and fetched $served"
	if [ $i -ge 7 ]; then
		test "${had:-0}" -gt 0
		ok $? "... a crash half-way or later left bytes the journal vouches for"
	fi
done

# Disk full in the middle: exit 5, state kept, the same command finishes.
clean
timeout 60 "$HAUL_FAULTY" enospc:$((total / 2)) $args "$url" 2>"$T/err"
is $? 5 "ENOSPC half-way: exit 5 (local I/O error)"
grep -q 'No space left' "$T/err"
ok $? "... the message names the cause"
test -f "$T/out/f.part" && test -f "$T/out/f.haul" && test ! -e "$T/out/f"
ok $? "... the .part file and journal are kept, no final file"
run_haul -v -n 4 --checkpoint-bytes 256k -o "$T/out/f" "$url"
is "$rc" 0 "after space is freed, the same command: exit 0"
same "$T/out/f" "$T/root/f.bin" "... byte-identical"
grep -q 'resuming' "$T/err"
ok $? "... it resumed"

# fdatasync failing (EIO): the checkpoint fails, the run stops, resume works.
clean
timeout 60 "$HAUL_FAULTY" eio:3 $args "$url" 2>"$T/err"
is $? 5 "EIO from fdatasync: exit 5"
run_haul $args "$url"
is "$rc" 0 "... the same command: exit 0"
same "$T/out/f" "$T/root/f.bin" "... byte-identical"

# A disk slower than the network (every sync 200 ms longer): the transfers
# wait for the checkpoint thread, so what is written but not yet durable --
# what a crash would lose -- stays near four times --checkpoint-bytes (plus
# what 4 connections have gathered, 272 KiB each at most), where without
# the wait it would be the whole 8 MiB.
clean
timeout 60 "$HAUL_FAULTY" slow:200 -q -n 4 --checkpoint-bytes 256k -o "$T/out/f" \
	"$ORIGIN/f.bin" 2>"$T/err"
is $? 0 "every sync 200 ms slow: exit 0"
same "$T/out/f" "$T/root/f.bin" "... byte-identical"
maxp=$(sed -n 's/.*maxpending=\([0-9]*\).*/\1/p' "$T/err")
test -n "$maxp" && test "$maxp" -le $((4 * 262144 + 4 * 278528))
ok $? "... at most ${maxp:-?} bytes were ever written but not durable"

# Short writes are completed by the write loop.
clean
timeout 60 "$HAUL_FAULTY" short:0 $args "$url" 2>"$T/err"
is $? 0 "short writes everywhere: exit 0"
same "$T/out/f" "$T/root/f.bin" "... byte-identical"

# Standard output goes through the same seam: short writes are completed,
# a full disk behind it is an I/O error.
timeout 60 "$HAUL_FAULTY" short:0 -q -n 4 -o - "$url" >"$T/out/stdout" 2>"$T/err"
is $? 0 "-o -, short writes to standard output: exit 0"
same "$T/out/stdout" "$T/root/f.bin" "... byte-identical"
timeout 60 "$HAUL_FAULTY" enospc:3 -q -n 4 -o - "$url" >"$T/out/stdout2" 2>"$T/err"
is $? 5 "-o -, ENOSPC on the 3rd write to standard output: exit 5"
grep -q 'No space left on device' "$T/err"
ok $? "... saying so: $(head -c 120 "$T/err")"

tap_done
