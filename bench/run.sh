#!/bin/sh
# bench/run.sh -- haul side by side with curl, aria2c, axel and lftp.
#
# One command sets everything up and runs it: the tools from Debian (as
# root, unless --no-install), a private nginx on 127.0.0.1 (tests/lib/
# nginx.sh: own prefix, stopped by its pid) and random test files. Every
# scenario runs each of its tools in turn, REPS times over (A B C A B C ...),
# into a fresh output directory, checks the output with cmp, and records the
# wall time, user+sys CPU and peak RSS (/usr/bin/time), the requests and
# connections nginx saw and how long a sync after it took. It prints medians
# (min-max) and the ratio of haul to each tool as Markdown, and writes the
# table and the raw runs to bench/results/. The machine is noisy: compare only within one run.
#
#   bench/run.sh [-r REPS] [-s SCENARIO,...] [-d DATA_DIR] [-o OUT_DIR]
#                [--no-install] [--list]
#
#   -r REPS       repetitions per tool and scenario (default 3)
#   -s LIST       scenarios to run (default: all; --list shows them)
#   -d DATA_DIR   where the test files live and are reused between runs
#                 (default /var/tmp/haul-bench; needs about 6 GiB free)
#   -o OUT_DIR    where downloads go (default DATA_DIR/out, on the same disk;
#                 give a tmpfs such as /dev/shm to leave the disk out)
#
# Environment: HAUL (default: the haul built in this tree).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
HAUL=${HAUL:-$top/src/haul}
reps=3
only=
data=/var/tmp/haul-bench
outdir=
install=1
list=0
while [ $# -gt 0 ]; do
	case $1 in
	-r) reps=$2; shift 2 ;;
	-s) only=$2; shift 2 ;;
	-d) data=$2; shift 2 ;;
	-o) outdir=$2; shift 2 ;;
	--no-install) install=0; shift ;;
	--list) list=1; shift ;;
	*) echo "usage: bench/run.sh [-r REPS] [-s SCENARIO,...] [-d DIR] [-o DIR] [--no-install] [--list]" >&2
	   exit 2 ;;
	esac
done
case $reps in '' | *[!0-9]* | 0) echo "bench: -r wants a positive number" >&2; exit 2 ;; esac
outdir=${outdir:-$data/out}

# --- the tools: one line each ------------------------------------------------
# NAME  COMMAND (sh syntax; $N connections, $N16 = min(N, 16), $URL, $OUT,
# $DIR = the directory of $OUT). aria2c takes at most 16 connections per host.
TOOLS='
haul	"$HAUL" -q -n $N -o "$OUT" "$URL"
haul-default	"$HAUL" -q -o "$OUT" "$URL"
haul-auto	"$HAUL" -q -n auto -o "$OUT" "$URL"
haul-nojournal	"$HAUL" -q --no-journal -o "$OUT" "$URL"
curl	curl -sS -o "$OUT" "$URL"
aria2c	aria2c -q -x $N16 -s $N -k 1M --allow-overwrite=true --auto-file-renaming=false -d "$DIR" -o f "$URL"
axel	axel -q -n $N -o "$OUT" "$URL"
lftp	lftp -c "pget -n $N \"$URL\" -o \"$OUT\""
lftp-1	lftp -c "pget -n 1 \"$URL\" -o \"$OUT\""
'

# --- the scenarios: one line each -------------------------------------------
# NAME  FILE  LOCATION  N  MiB/s-PER-CONNECTION (0: none)  TOOLS
# /rK/ caps each connection at K MiB/s; /dK/ adds 0.1 s before the first
# byte of every answer (echo_sleep) and then caps at K MiB/s.
SCENARIOS='
cap25-n4	1g	/r25/	4	25	haul aria2c axel lftp
cap25-n8	1g	/r25/	8	25	haul aria2c axel lftp
cap25-n16	1g	/r25/	16	25	haul aria2c axel lftp
cap10-n32	1g	/r10/	32	10	haul aria2c axel lftp
cap5-n64	1g	/r5/	64	5	haul aria2c axel lftp
delay-n16	1g	/d25/	16	25	haul aria2c axel lftp
auto-cap25	1g	/r25/	16	25	haul-default haul-auto
fast-1g	1g	/fast/	16	0	haul-default haul-auto haul-nojournal lftp-1 curl aria2c axel
fast-4g	4g	/fast/	16	0	haul-default haul-auto haul-nojournal lftp-1 curl aria2c axel
'

if [ $list -eq 1 ]; then
	echo "$SCENARIOS" | awk -F'\t' 'NF { printf "%-10s %s file, %s, N=%s, tools: %s\n", $1, $2, $3, $4, $6 }'
	exit 0
fi

# --- set-up --------------------------------------------------------------------
need="nginx aria2c axel lftp curl cmp"
missing=
for c in $need; do command -v "$c" >/dev/null 2>&1 || [ -x "/usr/sbin/$c" ] || missing="$missing $c"; done
[ -x /usr/bin/time ] || missing="$missing time"
echo_mod=/usr/lib/nginx/modules/ngx_http_echo_module.so
[ -f "$echo_mod" ] || missing="$missing echo-module"
if [ -n "$missing" ]; then
	if [ $install -eq 1 ] && [ "$(id -u)" -eq 0 ]; then
		echo "bench: installing:$missing" >&2
		DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
			nginx aria2 axel lftp curl diffutils time libnginx-mod-http-echo >/dev/null
	else
		echo "bench: missing:$missing (run as root, or install them)" >&2
		exit 1
	fi
fi
[ -x "$HAUL" ] || { echo "bench: $HAUL is not built (./configure && make)" >&2; exit 1; }

mkdir -p "$data" "$outdir"
avail=$(df -Pk "$data" | awk 'NR == 2 { print int($4 / 1048576) }')
want=0
[ -f "$data/1g" ] && [ "$(stat -c %s "$data/1g")" -eq 1073741824 ] || want=$((want + 1))
[ -f "$data/4g" ] && [ "$(stat -c %s "$data/4g")" -eq 4294967296 ] || want=$((want + 4))
if [ "$avail" -lt $((want + 5)) ]; then
	echo "bench: $data has $avail GiB free; the test files and one output need $((want + 5)) GiB" >&2
	exit 1
fi
for f in 1g 4g; do
	sz=$(( ${f%g} * 1073741824 ))
	if [ ! -f "$data/$f" ] || [ "$(stat -c %s "$data/$f")" -ne $sz ]; then
		echo "bench: writing $data/$f (random)" >&2
		head -c $sz /dev/urandom >"$data/$f.tmp" && mv "$data/$f.tmp" "$data/$f"
	fi
done

PATH=$PATH:/usr/sbin
. "$top/tests/lib/nginx.sh"
work=$(mktemp -d "${TMPDIR:-/tmp}/haul-bench.XXXXXX")
trap 'nginx_stop; rm -rf "$work" "$outdir/run"' EXIT
NGINX_MODULES=$echo_mod
NGINX_EXTRA=$(for k in 25 10 5; do
	printf '        location /r%s/ { alias "%s/"; limit_rate %sm; }\n' "$k" "$data" "$k"
	printf '        location ~ ^/d%s/(.*)$ { echo_sleep 0.1; echo_exec /r%s/$1; }\n' "$k" "$k"
done)
export NGINX_MODULES NGINX_EXTRA
nginx_start "$data" "$work/ngx" >/dev/null
base=http://127.0.0.1:$NGINX_PORT
alog=$NGINX_WORK/access.log

# --- one run -------------------------------------------------------------------
# run SCENARIO TOOL REP FILE LOCATION N: appends one line to $work/runs:
# scenario tool rep seconds user sys rss_kb requests connections sync_seconds
# Every run starts with the disk flushed (an untimed sync), so no tool pays
# for the one before; sync_seconds is how long the data the tool left in the
# page cache took to reach the disk after it exited (haul fsyncs before it
# exits; the others do not).
run() {
	sc=$1 tool=$2 rep=$3 file=$4 loc=$5 N=$6
	N16=$(( N > 16 ? 16 : N ))
	cmd=$(echo "$TOOLS" | awk -F'\t' -v t="$tool" '$1 == t { print $2 }')
	[ -n "$cmd" ] || { echo "bench: no tool '$tool'" >&2; exit 1; }
	rm -rf "$outdir/run"
	mkdir "$outdir/run"
	DIR=$outdir/run OUT=$outdir/run/f URL=$base$loc$file
	before=$(wc -l <"$alog")
	sync
	# A failed run or a wrong file is counted against the tool, not timed.
	if ! eval "/usr/bin/time -o \"$work/time\" -f '%e %U %S %M' timeout 900 $cmd" \
		>"$work/out" 2>&1 </dev/null; then
		echo "$sc $tool $rep exit $(sed -n 's/.*non-zero status \([0-9]*\).*/\1/p' "$work/time")" \
			>>"$work/failed"
		printf '%-10s %-15s #%s FAILED: %s\n' "$sc" "$tool" "$rep" "$(tail -n 2 "$work/out" | tr '\n' ' ')" >&2
		return 0
	fi
	s0=$(date +%s.%N)
	sync
	s1=$(date +%s.%N)
	if ! cmp -s "$OUT" "$data/$file"; then
		echo "$sc $tool $rep wrong-output" >>"$work/failed"
		printf '%-10s %-15s #%s: the output differs from %s\n' "$sc" "$tool" "$rep" "$data/$file" >&2
		return 0
	fi
	sleep 0.3 # let nginx write the last log lines
	tail -n +$((before + 1)) "$alog" >"$work/new"
	reqs=$(grep -vc ready "$work/new" || true)
	conns=$(awk '{ print $1 }' "$work/new" | sort -u | wc -l)
	echo "$sc $tool $rep $(cat "$work/time") $reqs $conns $(echo "$s0 $s1" | awk '{ printf "%.3f", $2 - $1 }')" \
		>>"$work/runs"
	printf '%-10s %-15s #%s %6.2f s\n' "$sc" "$tool" "$rep" "$(cut -d' ' -f1 "$work/time")" >&2
}

: >"$work/runs"
: >"$work/failed"
echo "$SCENARIOS" | awk -F'\t' 'NF' >"$work/scenarios"
while IFS='	' read -r sc file loc n cap tools; do
	case ",${only:-$sc}," in *",$sc,"*) ;; *) continue ;; esac
	for r in $(seq "$reps"); do
		for t in $tools; do
			run "$sc" "$t" "$r" "$file" "$loc" "$n"
		done
	done
done <"$work/scenarios"

# --- the report ----------------------------------------------------------------
stamp=$(date -u +%Y%m%d-%H%M%S)
mkdir -p "$top/bench/results"
raw=$top/bench/results/$stamp.runs
md=$top/bench/results/$stamp.md
{
	echo "# scenario tool rep seconds user sys rss_kb requests connections sync_seconds"
	cat "$work/runs"
} >"$raw"
{
	echo "# haul benchmark, $stamp"
	echo
	echo "$(uname -srm), $(nproc) cores; haul $("$HAUL" --version 2>/dev/null | head -n 1 | cut -d' ' -f2);"
	echo "$(nginx -v 2>&1 | sed 's/.*: //'), $(curl --version | head -n 1 | cut -d' ' -f1-2),"
	echo "$(aria2c --version | head -n 1), $(axel --version 2>/dev/null | head -n 1 | cut -d' ' -f1-2),"
	echo "$(lftp --version | head -n 1 | sed 's/^LFTP | Version \([^ ]*\).*/lftp \1/'). Output to $outdir"
	echo "($(df -PT "$outdir" | awk 'NR == 2 { print $2 }')). $reps runs per tool, interleaved; medians (min-max)."
	echo
	awk -v scen="$work/scenarios" '
	function med(a, n,   i, j, t) {
		for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j - 1] > a[j]; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
		return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
	}
	BEGIN {
		while ((getline l < scen) > 0) {
			split(l, f, "\t"); size[f[1]] = f[2] == "4g" ? 4096 : 1024
			n[f[1]] = f[4]; cap[f[1]] = f[5]; order[++ns] = f[1]; tl[f[1]] = f[6]
		}
	}
	{
		k = $1 SUBSEP $2; c = ++cnt[k]
		sp[k, c] = size[$1] / $4; cpu[k, c] = ($5 + $6) / (size[$1] / 1024)
		rss[k, c] = $7 / 1024; rq[k, c] = $8; cn[k, c] = $9; seen[$1] = 1
		dsp[k, c] = size[$1] / ($4 + $10)
	}
	END {
		for (s = 1; s <= ns; s++) {
			sc = order[s]
			if (!seen[sc]) continue
			nt = split(tl[sc], tools, " ")
			ideal = cap[sc] ? cap[sc] * n[sc] : 0
			printf "## %s: %d MiB, N = %d%s\n\n", sc, size[sc], n[sc], \
				cap[sc] ? sprintf(", %d MiB/s per connection (ideal %d MiB/s)", cap[sc], ideal) : ", no cap"
			printf "| tool | MiB/s | CPU s/GiB | peak RSS MiB | requests | connections | haul / tool | MiB/s to disk | haul / tool to disk |\n"
			printf "| --- | --- | --- | --- | --- | --- | --- | --- | --- |\n"
			ref = ""
			for (t = 1; t <= nt; t++) if (tools[t] ~ /^haul/) { ref = tools[t]; break }
			# Medians first: a tool listed before haul still gets its ratio.
			for (t = 1; t <= nt; t++) {
				k = sc SUBSEP tools[t]; c = cnt[k]
				if (!c) continue
				for (i = 1; i <= c; i++) a[i] = sp[k, i]; speed[tools[t]] = med(a, c)
				for (i = 1; i <= c; i++) a[i] = dsp[k, i]; dspeed[tools[t]] = med(a, c)
			}
			for (t = 1; t <= nt; t++) {
				k = sc SUBSEP tools[t]; c = cnt[k]
				if (!c) continue
				lo = 1e18; hi = 0
				for (i = 1; i <= c; i++) { a[i] = sp[k, i]; if (a[i] < lo) lo = a[i]; if (a[i] > hi) hi = a[i] }
				m = speed[tools[t]]
				for (i = 1; i <= c; i++) a[i] = cpu[k, i]; mc = med(a, c)
				for (i = 1; i <= c; i++) a[i] = rss[k, i]; mr = med(a, c)
				for (i = 1; i <= c; i++) a[i] = rq[k, i]; mq = med(a, c)
				for (i = 1; i <= c; i++) a[i] = cn[k, i]; mn = med(a, c)
				md = dspeed[tools[t]]
				printf "| %s | %.0f (%.0f-%.0f) | %.2f | %.1f | %d | %d | %s | %.0f | %s |\n", tools[t], m, lo, hi, mc, mr, mq, mn, \
					tools[t] == ref ? (ideal ? sprintf("%.3f x ideal", m / ideal) : "-") : \
					sprintf("%.2f", speed[ref] / m), md, \
					tools[t] == ref ? "-" : sprintf("%.2f", dspeed[ref] / md)
			}
			printf "\n"
		}
	}' "$work/runs"
	if [ -s "$work/failed" ]; then
		echo "Failed runs (not timed): scenario tool repetition reason"
		echo
		sed 's/^/    /' "$work/failed"
	fi
} >"$md"
cat "$md"
echo "bench: wrote $md and $raw" >&2
