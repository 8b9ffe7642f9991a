#!/bin/sh
# Damaged and leftover state never gives a corrupt file or a crash: a
# garbage, zeroed, truncated, future-version or symlinked journal; a journal
# without its .part file; a .part file without a journal; a .part file shorter
# than the journal claims or with a flipped bit. Also: a complete file is
# not downloaded again; --keep-journal and --no-journal.
. "$HAUL_SRCDIR/tests/lib/common.sh"

mkdir "$T/root" "$T/out"
size=8388608
mkdata "$T/root/f.bin" $size
origin_start "$T/root"
url="$ORIGIN/f.bin?rate=1048576"
out=$T/out/f

# partial: leave FILE.part and FILE.haul from an interrupted run.
partial() {
	rm -f "$out" "$out.part" "$out.haul"
	"$HAUL" -q -n 4 -o "$out" "$url" 2>/dev/null &
	p=$!
	sleep 1.2
	kill -INT $p
	wait $p
	[ -f "$out.part" ] && [ -f "$out.haul" ] || bail "no state left to damage"
}

# resumes_ok TEXT PATTERN: the same command finishes, byte-identical, and
# says PATTERN on stderr.
resumes_ok() {
	what=$1 pattern=$2
	run_haul -n 4 -o "$out" "$url"
	is "$rc" 0 "$what: the same command: exit 0"
	same "$out" "$T/root/f.bin" "... byte-identical"
	grep -q -- "$pattern" "$T/err"
	ok $? "... says: $pattern"
}

partial
head -c 300 /dev/urandom >"$out.haul"
resumes_ok "garbage journal" "not a haul journal; starting over"

partial
head -c 300 /dev/zero >"$out.haul"
resumes_ok "zeroed journal" "not a haul journal; starting over"

partial
head -c 20 "$out.haul" >"$T/cut" && cat "$T/cut" >"$out.haul"
resumes_ok "journal cut inside its header" "cut short; starting over"

partial
rm "$out.part"
resumes_ok "journal without its .part file" "missing; starting over"

partial
rm "$out.haul"
resumes_ok "a .part file without a journal" "has no journal; starting over"

partial
truncate -s 1000000 "$out.part"
log_reset
resumes_ok "a .part file shorter than the journal claims" "fetched again"

partial
# (Flipped for real: the data is random, so writing a fixed 0xFF would be
# no change once in 256 runs.)
b=$(od -An -tu1 -j100 -N1 "$out.part" | tr -d ' ')
printf "\\$(printf %03o $((255 - b)))" | dd of="$out.part" bs=1 seek=100 conv=notrunc 2>/dev/null
url="$url&run=flip"
resumes_ok "a flipped byte in a finished block" "1 block of"
url="$ORIGIN/f.bin?rate=1048576"
on_disk=$(sed -n 's/.*resuming .*: \([0-9]*\) of .*/\1/p' "$T/err")
served=$(served_for run=flip)
test "$served" -le $((size - on_disk + 1048576))
ok $? "... it fetched $served bytes: only what was missing ($((size - on_disk)))"

partial
cp "$out.haul" "$T/j" && cp "$out.part" "$T/p"
printf '\002' | dd of="$out.haul" bs=1 seek=8 conv=notrunc 2>/dev/null
cp "$out.haul" "$T/j2"
run_haul -n 4 -o "$out" "$url"
is "$rc" 5 "a journal from a newer haul: refused, exit 5"
grep -q 'newer haul.*--restart' "$T/err"
ok $? "... the message names the cause and the way out"
cmp -s "$out.haul" "$T/j2" && cmp -s "$out.part" "$T/p"
ok $? "... nothing was changed"
run_haul -q -n 4 --restart -o "$out" "$url"
is "$rc" 0 "... --restart starts over"
same "$out" "$T/root/f.bin" "... byte-identical"

partial
rm "$out.haul"
echo precious >"$T/victim"
ln -s "$T/victim" "$out.haul"
run_haul -n 4 -o "$out" "$url"
is "$rc" 5 "a symlink in place of the journal: exit 5"
is "$(cat "$T/victim")" precious "... its target is untouched"
rm "$out.haul"

# Two SIGINTs in a row: the second ends haul at once; what is on disk still
# resumes to the same bytes.
rm -f "$out" "$out.part" "$out.haul"
"$HAUL" -q -n 4 -o "$out" "$url" 2>/dev/null &
p=$!
sleep 1
kill -INT $p
kill -INT $p
wait $p
is $? 7 "two SIGINTs: exit 7"
run_haul -q -n 4 -o "$out" "$url"
is "$rc" 0 "... the same command finishes"
same "$out" "$T/root/f.bin" "... byte-identical"

# A complete file is not downloaded again.
rm -f "$out" "$out.part" "$out.haul"
run_haul -q -n 4 -o "$out" "$ORIGIN/f.bin"
log_reset
run_haul -n 4 -o "$out" "$ORIGIN/f.bin"
is "$rc" 0 "the complete file is present: exit 0"
grep -q 'already complete' "$T/err"
ok $? "... says so"
is "$(grep -c '"method":"GET"' "$ORIGIN_LOG")" 0 "... and fetched nothing"
run_haul -q -n 4 --force -o "$out" "$ORIGIN/f.bin"
test "$(logstat bytes --path /f.bin)" -ge $size
ok $? "--force downloads it again"
same "$out" "$T/root/f.bin" "... byte-identical"
echo short >"$T/out/other"
run_haul -n 4 -o "$T/out/other" "$ORIGIN/f.bin"
is "$rc" 5 "a different file under the name: exit 5, not replaced"

# Every byte on disk, not yet renamed (a crash right before the rename):
# the resume checks the blocks and fetches nothing.
rm -f "$out" "$out.part" "$out.haul"
run_haul -q -n 4 --keep-journal -o "$out" "$ORIGIN/f.bin"
mv "$out" "$out.part"
log_reset
run_haul -n 4 -o "$out" "$ORIGIN/f.bin"
is "$rc" 0 "all blocks on disk before the rename: exit 0"
grep -q "resuming .*: $size of $size bytes" "$T/err"
ok $? "... resumed with every byte on disk"
is "$(grep -c '"method":"GET"' "$ORIGIN_LOG")" 0 "... and fetched nothing"
same "$out" "$T/root/f.bin" "... byte-identical"

# --keep-journal and --no-journal.
rm -f "$out" "$out.part" "$out.haul"
run_haul -q -n 4 --keep-journal -o "$out" "$ORIGIN/f.bin"
test "$rc" -eq 0 && test -f "$out.haul" && test ! -e "$out.part"
ok $? "--keep-journal keeps FILE.haul beside the finished file"
is "$(stat -c %a "$out.haul")" 600 "... mode 0600"
rm -f "$out" "$out.haul"
"$HAUL" -q -n 4 --no-journal -o "$out" "$url" 2>"$T/err" &
p=$!
# Wait (bounded) until the download is under way: the .part exists.
i=0
while [ ! -e "$out.part" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
sleep 0.3
test -e "$out.part" && test ! -e "$out.haul"
ok $? "--no-journal writes no journal"
kill -INT $p
wait $p
is $? 7 "... interrupted: exit 7"
test ! -e "$out.part"
ok $? "... and without a journal the partial data is not kept"

tap_done
