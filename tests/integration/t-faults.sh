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

# A power cut at 20 random points, each resumed. The seam's crash undoes
# every write not yet fsynced -- data and journal alike -- and says how many
# of the data file's bytes it undid. Records are appended as bytes land and
# synced only every --sync-interval (200 ms here, so that a 2 s download
# holds several syncs), so a record may claim bytes the cut took away: resume
# checks every claim's digest, ends byte-identical, and of what the cut run
# had written fetches again no more than what was undone, plus one block
# (1 MiB) per connection whose durable claim outran its data, plus what was
# synced in the last 25 ms before a journal sync and recorded after it
# (256 KiB here at most).
seed=${HAUL_TEST_SEED:-$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')}
diag "seed $seed"
# rand MIN MAX: R, a pseudo-random integer (not in a subshell: seed moves on).
rand() { seed=$(( (seed * 1103515245 + 12345) % 2147483648 )); R=$(( $1 + seed % ($2 - $1 + 1) )); }
purl="$ORIGIN/f.bin?rate=1048576"
pargs="-q -n 4 --sync-interval 200ms -o $T/out/f"
clean
timeout 60 "$HAUL_FAULTY" none:0 $pargs "$purl" 2>"$T/err"
is $? 0 "at 4 x 1 MiB/s through the seam: exit 0"
ptotal=$(sed -n 's/^writes=//p' "$T/err")
diag "$ptotal write calls"
late=0 past=0
for i in $(seq 20); do
	rand 1 $((ptotal * 3 / 4))
	at=$R
	clean
	timeout 60 "$HAUL_FAULTY" crash:$at $pargs "$purl" 2>"$T/err"
	is $? 99 "power cut at write $at of $ptotal"
	dropped=$(sed -n 's/^dropped=\([0-9]*\).*/\1/p' "$T/err")
	written=$(sed -n 's/.* written=//p' "$T/err")
	run_haul -n 4 -o "$T/out/f" "$purl&run=cut$i"
	is "$rc" 0 "... then the same command: exit 0"
	same "$T/out/f" "$T/root/f.bin" "... byte-identical"
	had=$(sed -n 's/.*resuming .*: \([0-9]*\) of .*/\1/p' "$T/err")
	served=$(served_for "run=cut$i\"")
	# What it fetched again: served, less what the cut run never had.
	again=$((served - (8388608 - ${written:-0})))
	test -n "$dropped" && test -n "$written" && test "$again" -le $((dropped + 4 * 1048576 + 262144))
	ok $? "... it undid ${dropped:-?} of ${written:-?} bytes written; resume had ${had:-0}, fetched $again again"
	if [ "$at" -gt $((ptotal / 2)) ]; then
		past=$((past + 1))
		[ "${had:-0}" -gt 0 ] && late=$((late + 1))
	fi
done
# (A cut that soon after a sync may leave nothing: most must not.)
test "$past" -eq 0 || test $((late * 2)) -ge "$past"
ok $? "cuts past half-way left bytes the journal vouches for ($late of $past)"

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

# A disk slower than the network (every sync 200 ms longer): the records go
# on while a sync is under way -- transfers and checkpoints never wait for
# the disk -- and the download still ends identical.
clean
timeout 60 "$HAUL_FAULTY" slow:200 -q -n 4 -o "$T/out/f" "$ORIGIN/f.bin?rate=4194304" \
	2>"$T/err"
is $? 0 "every sync 200 ms slow: exit 0"
same "$T/out/f" "$T/root/f.bin" "... byte-identical"
jw=$(sed -n 's/.*jsyncwrites=\([0-9]*\).*/\1/p' "$T/err")
test -n "$jw" && test "$jw" -gt 0
ok $? "... $jw journal records were written while a sync was under way"

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
