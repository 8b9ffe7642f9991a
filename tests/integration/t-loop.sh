#!/bin/sh
# One loop that never waits. Many small files: one request each (the first
# range is the probe), 16 files at once. A refresh command that takes 4 s,
# and a result API whose renewals take 4 s, inside a batch: the progress
# events never stop for more than a second, the other downloads keep their
# speed meanwhile, and every file ends byte-identical.
. "$HAUL_SRCDIR/tests/lib/common.sh"

mkdir -p "$T/root/s" "$T/root/sarvam/job-ok" "$T/out/s" "$T/out/r" "$T/out/a"

# gaps FILE: the longest time between two events of a JSON event stream.
gaps() {
	"$PYTHON3" -c 'import json, sys
ts = [json.loads(l)["t"] for l in open(sys.argv[1]) if l.strip()]
print("%.2f" % max((b - a for a, b in zip(ts, ts[1:])), default=0))' "$1"
}

# rate FILE NAME T0 T1: MiB/s of one file from its progress events between
# t0 and t1 (event times), and over its whole download.
rates() {
	"$PYTHON3" -c 'import json, sys
ev = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
mine = [(e["t"], e["bytes"]) for e in ev if e.get("event") == "progress" and e["file"].endswith(sys.argv[2])]
t0, t1 = float(sys.argv[3]), float(sys.argv[4])
inside = [p for p in mine if t0 <= p[0] <= t1]
def r(ps):
    return (ps[-1][1] - ps[0][1]) / (ps[-1][0] - ps[0][0]) / 1048576 if len(ps) > 1 and ps[-1][0] > ps[0][0] else 0
print("%.2f %.2f" % (r(inside), r(mine)))' "$@"
}

# --- many small files ------------------------------------------------------------
n=100
i=1
: >"$T/list"
while [ $i -le $n ]; do
	mkdata "$T/root/s/f$i" $(( (i * 7919) % 65536 + 1024 ))
	i=$((i + 1))
done
origin_start "$T/root"
i=1
while [ $i -le $n ]; do
	printf '%s/s/f%s?delay=0.03\n  out=f%s\n' "$ORIGIN" "$i" "$i" >>"$T/list"
	i=$((i + 1))
done
run_haul -q -j 16 -i "$T/list" -d "$T/out/s"
is "$rc" 0 "$n small files, 30 ms before every answer, -j 16: exit 0"
bad=0
i=1
while [ $i -le $n ]; do
	cmp -s "$T/out/s/f$i" "$T/root/s/f$i" || bad=$((bad + 1))
	i=$((i + 1))
done
is "$bad" 0 "... every file byte-identical"
is "$(logstat requests)" $n "... one request each: the first range was the probe, and all of it"
is "$(logstat head)" 0 "... no HEAD"
p=$(logstat max_paths)
test "$p" -ge 12 && test "$p" -le 16
ok $? "... up to 16 files under way at once ($p), none waiting for another's probe"
ls "$T/out/s" | grep -q '\.haul$\|\.part$'
ok $((! $?)) "... no journal or .part left"
# No thread or process per file: the I/O workers are all (each file here
# has its ETag's MD5 checked, at its end, by a worker).
if command -v strace >/dev/null 2>&1; then
	rm -rf "$T/out/s2" && mkdir "$T/out/s2"
	# LeakSanitizer cannot run under ptrace and would start a thread of
	# its own; a sanitizer build runs this part without it.
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
	strace -f -qq -e trace=clone,clone3,fork,vfork -o "$T/clones" \
		"$HAUL" -q -j 16 -i "$T/list" -d "$T/out/s2" 2>"$T/err"
	is "$?" 0 "... again under strace: exit 0"
	c=$(grep -c 'clone\|fork' "$T/clones")
	test "$c" -le 2
	ok $? "... $c threads started for $n files: none per file"
else
	skip 2 "strace is not installed"
fi

# --- a refresh command that takes 4 s, in a batch of 4 ----------------------------
origin_stop
key=k3y-$$
origin_start "$T/root" --sign-key "$key"
sign="$PYTHON3 $HAUL_SRCDIR/tests/lib/sign.py --key $key --base $ORIGIN"
for f in r1 r2 r3 r4; do mkdata "$T/root/$f.bin" 8388608; done
: >"$T/rlist"
# r1's URL lives 2 s; the others an hour. 1 MiB/s per connection, 2 each.
for f in r1 r2 r3 r4; do
	ttl=3600
	[ $f = r1 ] && ttl=2
	printf '%s\n  out=%s\n' "$($sign --path /$f.bin --ttl $ttl --query rate=1048576)" "$f" \
		>>"$T/rlist"
done
cat >"$T/renew.sh" <<EOF
#!/bin/sh
sleep 4
name=\$(basename "\$HAUL_OUTPUT")
exec $sign --path /\$name.bin --ttl 3600 --query rate=1048576 --count-file "$T/renewals"
EOF
chmod +x "$T/renew.sh"
run_haul -n 8 -j 4 --progress=json --progress-fd 3 --progress-interval 250ms \
	--refresh-cmd "$T/renew.sh" -i "$T/rlist" -d "$T/out/r" 3>"$T/rev"
is "$rc" 0 "a 4 s refresh command inside a batch of 4: exit 0"
for f in r1 r2 r3 r4; do
	same "$T/out/r/$f" "$T/root/$f.bin" "... $f byte-identical"
done
test "$(cat "$T/renewals" 2>/dev/null || echo 0)" -ge 1
ok $? "... r1's URL was renewed by the command ($(cat "$T/renewals" 2>/dev/null) times)"
g=$(gaps "$T/rev")
awk -v g="$g" 'BEGIN { exit !(g <= 1.0) }'
ok $? "... no gap between two events longer than 1 s (the longest: $g s)"

# --- result API renewals that take 4 s --------------------------------------------
for f in 0 1 2; do mkdata "$T/root/sarvam/job-ok/$f.json" 12582912; done
secret=sk_test_$$_s3cr3t
api_start --sign-key "$key" --root "$T/root" --api-key "$secret" --ttl 3600 \
	--ttl-file 0.json=2 --slow-renewals 4 --object-query "rate=1048576"
SARVAM_API_KEY=$secret run_haul -n 6 --api-base "$API" --progress=json --progress-fd 3 \
	--progress-interval 250ms -d "$T/out/a" sarvam job-ok 0.json 1.json 2.json 3>"$T/aev"
is "$rc" 0 "haul sarvam, renewals of 0.json taking 4 s: exit 0"
for f in 0 1 2; do
	same "$T/out/a/$f.json" "$T/root/sarvam/job-ok/$f.json" "... $f.json byte-identical"
done
slow=$(grep -c '"slow":true' "$API_LOG")
test "$slow" -ge 1
ok $? "... $slow renewal call(s) took 4 s"
g=$(gaps "$T/aev")
awk -v g="$g" 'BEGIN { exit !(g <= 1.0) }'
ok $? "... no gap between two events longer than 1 s (the longest: $g s)"
# 0.json's URL is renewed 1 to 2 s in, and the call takes 4 s: in that
# window (the events' clock) 1.json, which needs no renewal, keeps its speed.
r=$(rates "$T/aev" 1.json 2.0 5.0)
inside=${r% *} whole=${r#* }
awk -v a="$inside" -v b="$whole" 'BEGIN { exit !(b > 0 && a >= 0.8 * b) }'
ok $? "... meanwhile 1.json kept its speed: $inside MiB/s against $whole overall"

tap_done
