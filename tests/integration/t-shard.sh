#!/bin/sh
# --shard: one object fetched by several processes (cluster nodes) into
# one shared FILE.part, each its share, the last one checking the whole
# file and naming it; run one after another, all at once, with one killed
# and run again; --shard auto from a Slurm job array's or a Kubernetes
# indexed job's environment; -i LIST --shard K/N takes entries K, K+N...
. "$HAUL_SRCDIR/tests/lib/common.sh"

mkdir "$T/root" "$T/out" "$T/out/seq" "$T/out/par" "$T/out/kill" "$T/out/auto" "$T/out/list" \
	"$T/out/renew"
size=16777216
mkdata "$T/root/f.bin" $size
key=k3y-$$
origin_start "$T/root" --sign-key "$key" --sign-optional
sign="$PYTHON3 $HAUL_SRCDIR/tests/lib/sign.py --key $key --base $ORIGIN"

# ranges_within TAG LO HI: every GET tagged TAG asked for bytes in [LO, HI).
ranges_within() {
	grep -F "$1" "$ORIGIN_LOG" | grep '"method":"GET"' |
		sed -n 's/.*"range":"bytes=\([0-9]*\)-\([0-9]*\)".*/\1 \2/p' |
		awk -v lo="$2" -v hi="$3" '{ n++; if ($1 < lo || $2 >= hi) bad++ }
			END { exit !(n > 0 && !bad) }'
}

# --- four shards, one after another --------------------------------------------
log_reset
for k in 0 1 2 3; do
	run_haul -n 4 --shard $k/4 -o "$T/out/seq/f" "$ORIGIN/f.bin?seq=$k"
	is "$rc" 0 "shard $k of 4, run alone: exit 0"
	served=$(served_for "seq=$k")
	pct=$((served * 100 / size))
	test "$pct" -ge 20 && test "$pct" -le 30
	ok $? "... it fetched $pct % of the object (20-30 %)"
	if [ $k -lt 3 ]; then
		test ! -e "$T/out/seq/f" && test -e "$T/out/seq/f.part"
		ok $? "... no file at the final name yet"
		grep -q "shard $k of 4 is done (its share is on disk); waiting for shard" "$T/err"
		ok $? "... and it says which shards it waits for"
	fi
	if [ $k -eq 1 ]; then
		"$HAUL" status "$T/out/seq/f" >"$T/status" 2>&1
		grep -q 'shard 0 of 4: done' "$T/status" && grep -q 'shard 1 of 4: done' "$T/status" &&
			grep -q '2 of 4 shards done' "$T/status"
		ok $? "haul status: shards 0 and 1 done, 2 of 4 ($(tail -n 1 "$T/status"))"
	fi
done
same "$T/out/seq/f" "$T/root/f.bin" "after the last shard: byte-identical"
ls "$T/out/seq" >"$T/left"
is "$(cat "$T/left")" "f" "... and only the file is left (no .part, journals or lock)"
ranges_within "seq=2" 8388608 12582912
ok $? "shard 2 of 4 asked only for bytes 8-12 MiB"

# --- four shards at once --------------------------------------------------------
log_reset
pids=
for k in 0 1 2 3; do
	timeout 120 "$HAUL" -q -n 2 --shard $k/4 -o "$T/out/par/f" "$ORIGIN/f.bin?rate=1048576" \
		2>"$T/par$k.err" &
	pids="$pids $!"
done
fails=0
for p in $pids; do wait $p || fails=$((fails + 1)); done
is "$fails" 0 "four shards at once: all exit 0"
same "$T/out/par/f" "$T/root/f.bin" "... byte-identical"
served=$(logstat bytes --path /f.bin)
ratio=$(awk -v s="$served" -v n=$size 'BEGIN { printf "%.3f", s / n }')
awk -v r="$ratio" 'BEGIN { exit !(r <= 1.05) }'
ok $? "... served $ratio x the object (<= 1.05)"
test -z "$(ls "$T/out/par" | grep -v '^f$')"
ok $? "... no state left"

# --- one shard killed mid-way -----------------------------------------------------
log_reset
pids=
for k in 0 1 3; do
	timeout 120 "$HAUL" -q -n 2 --shard $k/4 -o "$T/out/kill/f" "$ORIGIN/f.bin?rate=524288" \
		2>"$T/kill$k.err" &
	pids="$pids $!"
done
"$HAUL" -q -n 2 --shard 2/4 -o "$T/out/kill/f" "$ORIGIN/f.bin?rate=524288" 2>"$T/kill2.err" &
victim=$!
sleep 2
kill -9 $victim
wait $victim 2>/dev/null
fails=0
for p in $pids; do wait $p || fails=$((fails + 1)); done
is "$fails" 0 "shard 2 killed (-9) after 2 s: the other three exit 0"
test ! -e "$T/out/kill/f"
ok $? "... and no file has the final name"
run_haul -q -n 2 --shard 2/4 -o "$T/out/kill/f" "$ORIGIN/f.bin?rate=524288"
is "$rc" 0 "shard 2 run again: exit 0"
same "$T/out/kill/f" "$T/root/f.bin" "... byte-identical"
served=$(logstat bytes --path /f.bin)
ratio=$(awk -v s="$served" -v n=$size 'BEGIN { printf "%.3f", s / n }')
awk -v r="$ratio" 'BEGIN { exit !(r <= 1.10) }'
ok $? "... served $ratio x the object in all (<= 1.10)"

# --- each shard renews its own URL ------------------------------------------------
# URLs valid 2 s, answers broken off after 1 MiB: every retry after the
# first second needs a fresh URL, and each shard gets its own.
log_reset
q="rate=1048576&dropafter=1048576"
pids=
for k in 0 1; do
	url=$($sign --path /f.bin --ttl 2 --query "$q&renew=$k")
	timeout 120 "$HAUL" -q -n 2 --shard $k/2 -o "$T/out/renew/f" \
		--refresh-cmd "$sign --path /f.bin --ttl 2 --query '$q&renew=$k' --count-file $T/count$k" \
		"$url" 2>"$T/renew$k.err" &
	pids="$pids $!"
done
fails=0
for p in $pids; do wait $p || fails=$((fails + 1)); done
is "$fails" 0 "two shards on URLs valid 2 s, each with --refresh-cmd: both exit 0"
same "$T/out/renew/f" "$T/root/f.bin" "... byte-identical"
c0=$(cat "$T/count0" 2>/dev/null || echo 0) c1=$(cat "$T/count1" 2>/dev/null || echo 0)
test "$c0" -ge 1 && test "$c1" -ge 1
ok $? "... each renewed its own URL ($c0 and $c1 times)"

# --- --shard auto -----------------------------------------------------------------
log_reset
(export SLURM_ARRAY_TASK_ID=6 SLURM_ARRAY_TASK_MIN=4 SLURM_ARRAY_TASK_COUNT=4
 exec "$HAUL" -q --shard auto -o "$T/out/auto/f" "$ORIGIN/f.bin?slurm=1") 2>"$T/err"
is "$?" 0 "--shard auto in Slurm array task 6 of 4..7: exit 0"
ranges_within "slurm=1" 8388608 12582912
ok $? "... it took share 2 (bytes 8-12 MiB)"
(export JOB_COMPLETION_INDEX=1; unset SLURM_ARRAY_TASK_ID
 exec "$HAUL" -q --shard auto/4 -o "$T/out/auto/f" "$ORIGIN/f.bin?k8s=1") 2>"$T/err"
is "$?" 0 "--shard auto/4 as Kubernetes indexed job pod 1: exit 0"
ranges_within "k8s=1" 4194304 8388608
ok $? "... it took share 1 (bytes 4-8 MiB)"
(unset SLURM_ARRAY_TASK_ID JOB_COMPLETION_INDEX
 exec "$HAUL" -q --shard auto -o "$T/out/auto/g" "$ORIGIN/f.bin") 2>"$T/err"
is "$?" 2 "--shard auto outside Slurm and Kubernetes: usage error"
grep -q 'neither a Slurm job array' "$T/err"
ok $? "... saying so"
(export JOB_COMPLETION_INDEX=1; unset SLURM_ARRAY_TASK_ID
 exec "$HAUL" -q --shard auto -o "$T/out/auto/g" "$ORIGIN/f.bin") 2>"$T/err"
is "$?" 2 "--shard auto in a Kubernetes pod without /N: usage error"
for bad in 4/4 1/0 x/2 1/ 3; do
	run_haul -q --shard "$bad" -o "$T/out/auto/g" "$ORIGIN/f.bin"
	is "$rc" 2 "--shard $bad: usage error"
done

# --- batches: entries K, K+N, ... -------------------------------------------------
log_reset
: >"$T/list"
for i in 0 1 2 3 4 5 6 7; do
	mkdata "$T/root/e$i.bin" $((65536 + i))
	echo "$ORIGIN/e$i.bin" >>"$T/list"
done
run_haul -q -i "$T/list" --shard 1/4 -d "$T/out/list"
is "$rc" 0 "-i with 8 URLs and --shard 1/4: exit 0"
is "$(ls "$T/out/list" | tr '\n' ' ')" "e1.bin e5.bin " "... downloads exactly entries 1 and 5"
same "$T/out/list/e5.bin" "$T/root/e5.bin" "... byte-identical"

tap_done
