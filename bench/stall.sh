#!/bin/sh
# bench/stall.sh -- do other downloads keep their speed while a result-API
# call takes SECONDS? (issue 16: "a result-API call that takes 10 s while
# other downloads run: they keep their speed").
#
#   bench/stall.sh [-s SECONDS] [-m MIB]
#
# tests/lib/origin.py serves three files of MIB MiB (default 40), each
# connection paced at 1 MiB/s; tests/lib/mockapi.py is the Sarvam API.
# 0.json's presigned URL lives 2 s, and every renewal call answers after
# SECONDS (default 10). `haul -n 6 sarvam JOB 0.json 1.json 2.json`: two
# connections per file. From its JSON progress events (every 250 ms):
# the longest gap between two events, and the speed of 1.json and 2.json
# (which need no renewal) while the call is out, against their whole
# download. HAUL (default src/haul) and HAUL_BASE (if set: the same run
# with that binary, before and after) are the binaries.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
HAUL=${HAUL:-$top/src/haul}
HAUL_BASE=${HAUL_BASE:-}
secs=10 mib=40
while [ $# -gt 0 ]; do
	case $1 in
	-s) secs=$2; shift 2 ;;
	-m) mib=$2; shift 2 ;;
	*) echo "usage: bench/stall.sh [-s SECONDS] [-m MIB]" >&2; exit 2 ;;
	esac
done
T=$(mktemp -d "${TMPDIR:-/tmp}/haul-stall.XXXXXX")
pids=
trap 'for p in $pids; do kill $p 2>/dev/null || true; done; rm -rf "$T"' EXIT
mkdir -p "$T/root/sarvam/job-ok"
for f in 0 1 2; do head -c $((mib * 1048576)) /dev/urandom >"$T/root/sarvam/job-ok/$f.json"; done
key=stall-$$ secret=sk_stall_$$
python3 "$top/tests/lib/origin.py" --root "$T/root" --port-file "$T/origin.port" \
	--log "$T/origin.log" --sign-key "$key" 2>"$T/origin.err" &
pids="$pids $!"
i=0
while [ ! -s "$T/origin.port" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
python3 "$top/tests/lib/mockapi.py" --port-file "$T/api.port" --log "$T/api.log" \
	--origin "http://127.0.0.1:$(cat "$T/origin.port")" --sign-key "$key" --root "$T/root" \
	--api-key "$secret" --ttl 3600 --ttl-file 0.json=2 --slow-renewals "$secs" \
	--object-query rate=1048576 2>"$T/api.err" &
pids="$pids $!"
i=0
while [ ! -s "$T/api.port" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
[ -s "$T/api.port" ] || { echo "stall: the mock API did not start" >&2; exit 1; }

one() { # NAME BINARY
	rm -rf "$T/out"
	mkdir -p "$T/out"
	: >"$T/api.log"
	start=$(date +%s.%N)
	SARVAM_API_KEY=$secret "$2" -n 6 --api-base "http://127.0.0.1:$(cat "$T/api.port")" \
		--progress=json --progress-fd 3 --progress-interval 250ms -d "$T/out" \
		sarvam job-ok 0.json 1.json 2.json 3>"$T/ev" 2>"$T/err" || echo "stall: $1 exited $?" >&2
	end=$(date +%s.%N)
	for f in 0 1 2; do
		cmp -s "$T/out/$f.json" "$T/root/sarvam/job-ok/$f.json" || echo "stall: $1: $f.json differs" >&2
	done
	python3 - "$T/ev" "$T/api.log" "$1" "$start" "$end" "$secs" <<'EOF'
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
api = [json.loads(l) for l in open(sys.argv[2]) if l.strip()]
name, took, secs = sys.argv[3], float(sys.argv[5]) - float(sys.argv[4]), float(sys.argv[6])
ts = [e["t"] for e in ev]
gap = max((b - a for a, b in zip(ts, ts[1:])), default=0)
slow = sum(1 for a in api if a.get("slow"))
def rate(f, t0, t1):
    ps = [(e["t"], e["bytes"]) for e in ev if e.get("event") == "progress"
          and e["file"].endswith(f) and t0 <= e["t"] <= t1]
    if len(ps) < 2 or ps[-1][0] <= ps[0][0]:
        return float("nan")
    return (ps[-1][1] - ps[0][1]) / (ps[-1][0] - ps[0][0]) / 1048576
# 0.json's URL expires at 2 s; its renewal is asked for then and answers
# secs later: 3 s .. 2 + secs is inside the call on the events' clock.
t1 = 2 + secs
print(f"{name}: {took:.2f} s in all, {slow} slow renewal call(s), longest gap between two events {gap:.2f} s")
for f in ("1.json", "2.json"):
    print(f"  {f}: {rate(f, 3.0, t1):.2f} MiB/s from 3 to {t1:.0f} s, {rate(f, 0, 1e9):.2f} MiB/s overall")
EOF
}
one haul "$HAUL"
[ -z "$HAUL_BASE" ] || one haul-base "$HAUL_BASE"
