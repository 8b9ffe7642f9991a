#!/bin/sh
# N connections are really used at once (read from the origin's log, not
# from timing), connections are reused between ranges, and a connection
# that finishes early takes over part of a slow one's range, or all of it
# but the block in flight when the slow one is far slower.
. "$HAUL_SRCDIR/tests/lib/common.sh"

mkdir "$T/root" "$T/out"
mkdata "$T/root/f.bin" 8388608
origin_start "$T/root"

for n in 1 4 8; do
	log_reset
	run_haul -q -n $n -o "$T/out/f$n" "$ORIGIN/f.bin?rate=2097152"
	is "$rc" 0 "-n $n against a 2 MiB/s-per-connection origin: exit 0"
	same "$T/out/f$n" "$T/root/f.bin" "... byte-identical"
	is "$(logstat max_concurrent)" $n "... the origin saw $n requests at once"
	is "$(logstat get_conns)" $n "... over $n connections"
	if [ $n -eq 1 ]; then
		conns=$(sed -n 's/.*"conn":\([0-9]*\).*/\1/p' "$ORIGIN_LOG" | sort -u | wc -l)
		is "$conns" 1 "... and the probe's connection was reused for the range"
	fi
done

# Work stealing: the first request (the probe) asks for the first MiB, and
# its connection goes on with the rest of its share, the first 4 MiB, a
# piece at a time: its requests from 1 MiB on are served at 256 KiB/s,
# while the other connection (the back 4 MiB) is fast: it takes over the
# back half of what the slow one has not asked for yet (again and again,
# down to 1 MiB), reusing its connection.
log_reset
run_haul -q -n 2 -k 1M -o "$T/out/reuse" "$ORIGIN/f.bin?slowfirst=262144&slowat=1048576"
is "$rc" 0 "one slow range: exit 0"
same "$T/out/reuse" "$T/root/f.bin" "... byte-identical"
reqs=$(logstat get)
conns=$(logstat get_conns)
test "$reqs" -gt 2
ok $? "... the fast connection came back for more ($reqs requests)"
# The slow range was split: some request starts inside its first half.
awk -v half=4718592 '/"method":"GET"/ && match($0, /"range":"bytes=[0-9]+/) {
	s = substr($0, RSTART + 15, RLENGTH - 15) + 0
	if (s > 1048576 && s < half) found = 1 } END { exit !found }' "$ORIGIN_LOG"
ok $? "... a request took over the back of the slow range"
test "$conns" -lt "$reqs"
ok $? "... $reqs requests over $conns connections: connections are reused"

# A connection far slower than the rest gives up its range even when no
# halving is allowed (-k 4M: two 4 MiB shares, the first asked for as 1 MiB
# and then 3; the back one, starting at 4 MiB, is slow; nothing to split):
# after it has run a while, the fast connection takes over every block of
# the slow range but the one in flight.
log_reset
run_haul -v -n 2 -k 4M -o "$T/out/rescue" "$ORIGIN/f.bin?slowfirst=262144&slowat=4194304"
is "$rc" 0 "a slow connection and min-split 4M: exit 0"
same "$T/out/rescue" "$T/root/f.bin" "... byte-identical"
grep -q 'takes over bytes [0-9]*-8388607 from a slow connection' "$T/err"
ok $? "... the fast connection took over the slow one's remaining blocks"
awk '/"method":"GET"/ && match($0, /"range":"bytes=[0-9]+-8388607"/) {
	s = substr($0, RSTART + 15, RLENGTH - 15) + 0
	if (s > 4194304 && s % 1048576 == 0) found = 1 } END { exit !found }' "$ORIGIN_LOG"
ok $? "... with a request for them starting on a block boundary"
is "$(logstat get)" 4 "... four GETs in all (the first MiB, the rest of its share, the slow range, the take-over): nothing fetched twice"

# --connections auto: against a cap on each connection, 4 connections grow
# to 8 and then 16 (each doubling doubles the speed); on one shared link,
# 8 gain nothing over 4 and it goes back to 4.
mkdata "$T/root/g.bin" 33554432
log_reset
run_haul -v -n auto -o "$T/out/auto1" "$ORIGIN/g.bin?rate=1048576"
is "$rc" 0 "-n auto, 1 MiB/s per connection: exit 0"
same "$T/out/auto1" "$T/root/g.bin" "... byte-identical"
grep -q 'now using up to 8 connections' "$T/err" && grep -q 'now using up to 16 connections' "$T/err"
ok $? "... doubled from 4 to 8 to 16 connections"
is "$(logstat max_concurrent)" 16 "... the origin saw 16 requests at once"
log_reset
run_haul -v -n auto -o "$T/out/auto2" "$ORIGIN/g.bin?totalrate=8388608"
is "$rc" 0 "-n auto, one shared 8 MiB/s link: exit 0"
same "$T/out/auto2" "$T/root/g.bin" "... byte-identical"
sed -n 's/.*now using up to \([0-9]*\) connections.*/\1/p' "$T/err" | tr '\n' ' ' >"$T/steps"
is "$(cat "$T/steps")" "8 4 " "... tried 8 connections, went back to 4"
is "$(logstat max_concurrent)" 8 "... never more than 8 at once"
log_reset
run_haul -v -n auto --max-connections 6 -o "$T/out/auto3" "$ORIGIN/g.bin?rate=1048576"
is "$rc" 0 "-n auto --max-connections 6: exit 0"
w=$(logstat max_concurrent_whole) a=$(logstat max_concurrent)
test "$w" -le 6 && test "$a" -ge 6
ok $? "... 6 requests at once, never more than 6 whole answers ($w; $a with those a steal cut)"

# No wasted egress: on a clean link the connections that finish first take
# over only bytes nobody has asked for yet (each request asks for a piece of
# its range), so no request is cut with its bytes already sent, and the
# origin sends every byte once. Three runs, 8 connections, no rate limit.
for i in 1 2 3; do
	run_haul -q -n 8 -o "$T/out/clean$i" "$ORIGIN/g.bin?clean=$i"
	is "$rc" 0 "a clean link, -n 8, run $i: exit 0"
	same "$T/out/clean$i" "$T/root/g.bin" "... byte-identical"
	is "$(served_for "clean=$i")" 33554432 "... every byte was sent once"
done

# A transfer paused for a checkpoint (every 64 KiB here) makes no socket
# activity: the loop must checkpoint and resume it at once, not when its
# poll times out (that took about 1 s per pause, minutes in all).
log_reset
t0=$(date +%s)
run_haul -q -n 1 --checkpoint-bytes 64k -o "$T/out/paused" "$ORIGIN/f.bin"
t1=$(date +%s)
is "$rc" 0 "one connection, a checkpoint every 64 KiB: exit 0"
same "$T/out/paused" "$T/root/f.bin" "... byte-identical"
is "$(logstat get)" 1 "... in one GET"
test $((t1 - t0)) -lt 30
ok $? "... not held up by its pauses ($((t1 - t0)) s, under 30 s)"

tap_done
