#!/bin/sh
# Batches: -i FILE downloads 20 files, -j at a time, sharing the -n
# connections; one 404 and one checksum mismatch are reported on their own
# (lines, and JSON error events with their exit status) while the others are
# saved; the exit status is the first failure's. Input file errors stop the
# run before it starts.
. "$HAUL_SRCDIR/tests/lib/common.sh"

mkdir "$T/root" "$T/out" "$T/out2"
for i in $(seq 1 20); do
	mkdata "$T/root/f$i.bin" $((2097152 + i * 65536))
done
origin_start "$T/root"
: >"$T/list.txt"
for i in $(seq 1 20); do
	case $i in
	3) echo "$ORIGIN/missing.bin" >>"$T/list.txt"; echo "  out=f3.bin" >>"$T/list.txt" ;;
	12) echo "$ORIGIN/f12.bin?rate=4194304" >>"$T/list.txt"
	    echo "  checksum=sha256:$(printf '%064d' 0)" >>"$T/list.txt" ;;
	7) echo "# a comment, and a blank line" >>"$T/list.txt"; echo >>"$T/list.txt"
	   echo "$ORIGIN/f7.bin?rate=4194304" >>"$T/list.txt"
	   echo "	checksum=sha256:$(sha256sum "$T/root/f7.bin" | cut -d' ' -f1)" >>"$T/list.txt"
	   echo "  out=seven.bin" >>"$T/list.txt" ;;
	*) echo "$ORIGIN/f$i.bin?rate=4194304" >>"$T/list.txt" ;;
	esac
done

log_reset
run_haul -n 8 -j 4 -d "$T/out" -i "$T/list.txt"
is "$rc" 4 "20 files, one 404 and one bad checksum: exit 4 (the first failure's)"
ok=0
for i in $(seq 1 20); do
	case $i in 3 | 12) continue ;; 7) n=seven.bin ;; *) n=f$i.bin ;; esac
	cmp -s "$T/out/$n" "$T/root/f$i.bin" && ok=$((ok + 1))
done
is "$ok" 18 "... the 18 others are saved, byte-identical"
test ! -e "$T/out/f3.bin" && test ! -e "$T/out/f12.bin"
ok $? "... neither failed file exists under its name"
test -f "$T/out/f12.bin.part"
ok $? "... the mismatching data is kept in f12.bin.part"
grep -q "^haul: .*missing.bin.*404" "$T/err"
ok $? "... the 404 has its own line"
grep -q "^haul: .*f12.bin: .*sha256 mismatch" "$T/err" || grep -q "^haul: .*f12.bin: .*sha256" "$T/err"
ok $? "... the mismatch has its own line"
grep -q '^haul: 2 of 20 downloads failed$' "$T/err"
ok $? "... and the last line counts them"
is "$(grep -c '^haul: saved ' "$T/err")" 18 "... one summary line per saved file"
at_once=$("$PYTHON3" "$HAUL_SRCDIR/tests/lib/logstat.py" "$ORIGIN_LOG" | sed -n 's/^max_paths=//p')
test "$at_once" -ge 2 && test "$at_once" -le 4
ok $? "... up to 4 files at once ($at_once)"
conns=$(logstat max_concurrent)
test "$conns" -le 8 && test "$conns" -gt 4
ok $? "... at most 8 requests at once in all, more than one per file ($conns)"

rm -rf "$T/out"/*
run_haul --progress=json -n 8 -j 4 -d "$T/out" -i "$T/list.txt"
is "$rc" 4 "the same batch with --progress=json: exit 4"
"$PYTHON3" "$HAUL_SRCDIR/tests/lib/events.py" "$T/err" >"$T/check"
ok $? "... every event matches the schema"
is "$(grep -c '"event":"finish"' "$T/err")" 18 "... 18 finish events"
grep -q '"event":"error","t":[0-9.]*,"file":"[^"]*/f3.bin","status":4,' "$T/err"
ok $? "... an error event for f3.bin with status 4"
grep -q '"event":"error","t":[0-9.]*,"file":"[^"]*/f12.bin","status":9,' "$T/err"
ok $? "... an error event for f12.bin with status 9"
grep -q '"event":"verify".*seven.bin","check":"sha256","result":"verified"' "$T/err"
ok $? "... seven.bin's own checksum verified"
grep -q '"event":"summary","t":[0-9.]*,"files":20,"failed":2,"status":4}' "$T/err"
ok $? "... and the summary: 20 files, 2 failed, status 4"

# Standard input, and everything already there: nothing is fetched again.
log_reset
for i in 1 2 4 5 6 8 9 10; do echo "$ORIGIN/f$i.bin"; done |
	timeout 60 "$HAUL" -q -d "$T/out" -i - 2>"$T/err"
is $? 0 "-i - (standard input), every file already complete: exit 0"
is "$(logstat get)" 0 "... and no GET"

# Input errors: exit 2 before any request.
log_reset
printf '%s\n  out=a\n%s\n  out=a\n' "$ORIGIN/f1.bin" "$ORIGIN/f2.bin" >"$T/dup"
run_haul -d "$T/out2" -i "$T/dup"
is "$rc" 2 "two entries with the same out=: exit 2"
grep -q 'dup:3: .*line 1' "$T/err"
ok $? "... naming both lines"
printf '%s\n%s\n' "$ORIGIN/a/f1.bin?x=1" "$ORIGIN/b/f1.bin?x=2" >"$T/same"
run_haul -d "$T/out2" -i "$T/same"
is "$rc" 2 "two URLs ending in the same name: exit 2"
grep -q 'lines 1 and 2 would both be saved as .*f1.bin' "$T/err"
ok $? "... saying which lines and what name"
printf '%s\n  outfile=x\n' "$ORIGIN/f1.bin" >"$T/bad"
run_haul -d "$T/out2" -i "$T/bad"
is "$rc" 2 "an unknown option in the file: exit 2"
grep -q 'bad:2:' "$T/err"
ok $? "... with file and line"
is "$(logstat requests)" 0 "... no request was made for any of them"
run_haul -i "$T/list.txt" "$ORIGIN/f1.bin"
is "$rc" 2 "-i and a URL: usage error"
run_haul -i "$T/list.txt" -o x
is "$rc" 2 "-i and -o: usage error"
run_haul -i "$T/nonexistent"
is "$rc" 2 "-i of a missing file: usage error"

tap_done
