#!/bin/sh
# What haul shows while it works: plain lines when stderr is not a terminal
# (no carriage returns, no escape codes), newline-delimited JSON events of
# every kind matching the documented schema (tests/lib/events.py), on stderr
# or on another descriptor, and the status bar on a real terminal (a tmux
# pane), whose final screen is the summary, with colour only without
# NO_COLOR.
. "$HAUL_SRCDIR/tests/lib/common.sh"

mkdir "$T/root" "$T/out"
mkdata "$T/root/f.bin" 16777216
sha=$(sha256sum "$T/root/f.bin" | cut -d' ' -f1)
key=k3y-$$
origin_start "$T/root" --sign-key "$key" --sign-optional
sign="$PYTHON3 $HAUL_SRCDIR/tests/lib/sign.py --key $key --base $ORIGIN"
events() { "$PYTHON3" "$HAUL_SRCDIR/tests/lib/events.py" "$1"; }
esc=$(printf '\033')
cr=$(printf '\r')

# --- lines ---------------------------------------------------------------------
# 16 MiB at 4 x 1 MiB/s: about 4 s, a line every second and at each quarter.
run_haul -n 4 --progress-interval 1s -o "$T/out/lines" "$ORIGIN/f.bin?rate=1048576"
is "$rc" 0 "not a terminal: exit 0"
same "$T/out/lines" "$T/root/f.bin" "... byte-identical"
grep -q "$cr" "$T/err"
is $? 1 "... no carriage return on stderr"
grep -q "$esc" "$T/err"
is $? 1 "... no escape code on stderr"
grep -q '^haul: .*/lines: 16.0 MiB, 4 connections$' "$T/err"
ok $? "... a first line with the size and connections"
n=$(grep -c '^haul: .*/lines: [0-9]*%, .* of 16.0 MiB, .*/s, ETA .*, [0-9]* connection' "$T/err")
test "$n" -ge 3
ok $? "... $n progress lines (percent, bytes, speed, ETA, connections)"
for q in 25 50 75; do
	grep -q "^haul: .*/lines: $q%, " "$T/err"
	ok $? "... the $q% milestone has its line"
done
grep -q '^haul: saved .*/lines: 16777216 bytes' "$T/err"
ok $? "... and the summary ends it"

run_haul -q -n 4 -o "$T/out/quiet" "$ORIGIN/f.bin"
test "$rc" -eq 0 && test ! -s "$T/err"
ok $? "-q: nothing at all on stderr"
run_haul --progress=none -o "$T/out/none" "$ORIGIN/f.bin?rate=8388608"
test "$rc" -eq 0 && ! grep -q '%' "$T/err" && grep -q 'saved' "$T/err"
ok $? "--progress=none: the summary, no progress lines"

# --- JSON: every kind ------------------------------------------------------------
# A URL valid for 2 s renewed by --refresh-cmd, every answer broken off after
# 700 kB (retries: no request asks for less than 1 MiB), checkpoints every
# 200 ms, a sha256 to check, a .part without a journal (a warning), and -v
# (log events).
q="rate=2097152&dropafter=700000"
url=$($sign --path /f.bin --ttl 2 --query "$q")
: >"$T/out/json.part"
run_haul --progress=json -v -n 4 --checkpoint-interval 200ms -c "sha256:$sha" \
	--refresh-cmd "$sign --path /f.bin --ttl 2 --query '$q'" -o "$T/out/json" "$url"
is "$rc" 0 "--progress=json, 2 s URLs, dropped answers, a checksum: exit 0"
same "$T/out/json" "$T/root/f.bin" "... byte-identical"
events "$T/err" >"$T/check"
ok $? "... every line on stderr is an event matching the schema"
sed -n '/^line /p' "$T/check" | head -n 5 | while IFS= read -r l; do diag "$l"; done
for k in start progress retry refresh checkpoint verify finish warning log summary; do
	grep -q "^kinds=.*\\b$k\\b" "$T/check"
	ok $? "... a '$k' event"
done
grep -q '"event":"verify".*"check":"sha256","result":"verified","expected":"'"$sha"'","computed":"'"$sha"'"' "$T/err"
ok $? "... the sha256 check is verified, with both digests"
grep -q '"event":"finish".*"bytes":16777216.*"retries":[1-9].*"refreshes":[1-9].*"digests":{[^}]*"sha256":"'"$sha"'"' "$T/err"
ok $? "... finish: bytes, retries, renewals and the digests"
grep -q '"event":"summary".*"files":1,"failed":0,"status":0' "$T/err"
ok $? "... summary: one file, none failed, status 0"
grep -q 'X-Sig\|sig=' "$T/err"
is $? 1 "... no signature in any event"

# A server that ignores Range answers the first range request with the
# whole object: that answer is the download, nothing is wasted.
mkdata "$T/root/w.bin" 4194304
log_reset
run_haul --progress=json -o "$T/out/w" "$ORIGIN/w.bin?norange=1"
is "$rc" 0 "a server ignoring Range: exit 0"
same "$T/out/w" "$T/root/w.bin" "... byte-identical"
wasted=$(sed -n 's/.*"event":"finish".*"wasted":\([0-9]*\).*/\1/p' "$T/err")
served=$(logstat bytes --path /w.bin)
test "$wasted" = 0 && test "$served" = 4194304
ok $? "... its 200 is the download: $wasted bytes wasted, $served served"
# An error answer's body is received and not kept: wasted.
log_reset
run_haul --progress=json -o "$T/out/w2" "$ORIGIN/w.bin?fail=503&failfirst=2"
is "$rc" 0 "two 503 answers, then the object: exit 0"
wasted=$(sed -n 's/.*"event":"finish".*"wasted":\([0-9]*\).*/\1/p' "$T/err")
test -n "$wasted" && test "$wasted" -gt 0 && test "$wasted" -le 1024
ok $? "... finish counts the error bodies' $wasted bytes as wasted"
run_haul -o "$T/out/w3" "$ORIGIN/w.bin?fail=503&failfirst=2&run=summary"
grep -q "saved .*, [0-9]* bytes received and not kept" "$T/err"
ok $? "... and the summary line says how many bytes were received and not kept"

run_haul --progress=json -o "$T/out/missing" "$ORIGIN/missing.bin"
is "$rc" 4 "a 404 with --progress=json: exit 4"
events "$T/err" >"$T/check"
ok $? "... its events match the schema"
grep -q '"event":"error".*"file":"[^"]*/missing","status":4,"message":"[^"]*404' "$T/err"
ok $? "... an error event names the file, the status and the cause"
grep -q '"event":"summary".*"files":1,"failed":1,"status":4' "$T/err"
ok $? "... the summary says one of one failed, status 4"
test "$(grep -vc '^{' "$T/err")" -eq 0
ok $? "... nothing but JSON on stderr"

run_haul --progress=json -c "sha256:$(printf '%064d' 0)" -o "$T/out/bad" "$ORIGIN/f.bin"
is "$rc" 9 "a wrong sha256 with --progress=json: exit 9"
grep -q '"event":"verify".*"result":"mismatch".*"computed":"'"$sha"'"' "$T/err"
ok $? "... a verify event says mismatch, with the computed digest"

# On another descriptor: stderr keeps its human lines.
timeout 60 "$HAUL" --progress=json --progress-fd 3 -o "$T/out/fd" "$ORIGIN/f.bin" \
	3>"$T/events" 2>"$T/err"
is $? 0 "--progress-fd 3: exit 0"
events "$T/events" >"$T/check"
ok $? "... the events on descriptor 3 match the schema"
grep -q '"event":"finish"' "$T/events" && grep -q '^haul: saved' "$T/err"
ok $? "... finish there, the summary line on stderr"
run_haul --progress=json --progress-fd 9 -o "$T/out/nofd" "$ORIGIN/f.bin"
is "$rc" 2 "--progress-fd of a closed descriptor: usage error"
grep -q 'progress-fd 9: not an open descriptor' "$T/err"
ok $? "... saying so"
run_haul --progress=dots "$ORIGIN/f.bin"
is "$rc" 2 "--progress=dots: usage error"

# --- the bar, on a terminal --------------------------------------------------------
if ! command -v tmux >/dev/null 2>&1; then
	skip 8 "tmux is not installed"
	tap_done
	exit 0
fi
sock=$T/tmux.sock
pane() { tmux -S "$sock" capture-pane -p "$@" -t t; }
bar() {
	rm -f "$T/out/bar" "$T/done"
	tmux -S "$sock" new-session -d -s t -x 100 -y 12 \
		"$1 $HAUL -n 4 -o $T/out/bar '$ORIGIN/f.bin?rate=1048576'; echo \$? >$T/done; sleep 60"
	# Wait (at most 10 s) until the bar shows some progress.
	i=0
	until pane | grep -q ' [2-9][0-9]% '; do
		i=$((i + 1)); [ $i -gt 100 ] && break; sleep 0.1
	done
}
bar ""
pane >"$T/screen1"
pane -e >"$T/screen1e"
grep -q '^bar  *[0-9]*% \[[-=> ]*\] [0-9.]* [KM]iB/16.0 MiB .*/s ETA [0-9]*s [0-9] conn' "$T/screen1"
ok $? "a terminal: the bar shows name, percent, map, bytes, speed, ETA, connections"
diag "$(head -n 1 "$T/screen1")"
grep -q "$esc\\[32m" "$T/screen1e"
ok $? "... done parts of the map in colour"
tmux -S "$sock" resize-window -t t -x 40
sleep 0.6
pane >"$T/screen2"
test "$(grep -c . "$T/screen2")" -le 1 && test "$(awk '{ print length }' "$T/screen2" | sort -n | tail -n 1)" -le 40
ok $? "... narrowed to 40 columns: still one line, no wider"
i=0
until [ -s "$T/done" ]; do i=$((i + 1)); [ $i -gt 200 ] && break; sleep 0.1; done
is "$(cat "$T/done" 2>/dev/null)" 0 "... exit 0"
same "$T/out/bar" "$T/root/f.bin" "... byte-identical"
pane -J >"$T/screen3"
grep -q '^haul: saved .*/bar: 16777216 bytes' "$T/screen3"
ok $? "... the final screen has the summary"
grep -q '%' "$T/screen3"
is $? 1 "... and no bar left over"
tmux -S "$sock" kill-server
bar "NO_COLOR=1"
pane -e >"$T/screen4"
grep -q "$esc\\[3" "$T/screen4"
is $? 1 "NO_COLOR: no colour in the bar"
tmux -S "$sock" kill-server

tap_done
