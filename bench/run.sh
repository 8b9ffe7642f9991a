#!/bin/bash
# bench/run.sh -- haul side by side with curl, aria2c, axel, lftp and wget2,
# against an origin of our own that paces every connection in the kernel.
# bench/README says what each number means and why the set-up is fair.
#
#   bench/run.sh [--quick] [-r REPS] [-s SCENARIO,...] [-d DATA_DIR]
#                [-o OUT_DIR] [--no-install] [--list]
#
#   --quick       a subset of every scenario: smaller files, one repetition,
#                 fewer kill points (about 5 minutes on 2 cores)
#   -r REPS       repetitions per tool and scenario (default 3; 1 with --quick)
#   -s LIST       scenarios to run (default: all; --list shows them)
#   -d DATA_DIR   test files, the origin binary and the TLS keys, reused
#                 between runs (default /var/tmp/haul-bench; about 7 GiB)
#   -o OUT_DIR    where downloads go (default DATA_DIR/out, on the same disk;
#                 a tmpfs such as /dev/shm leaves the disk out)
#   --no-install  do not apt-get install missing tools (a missing tool is
#                 skipped, and said so), nor build haul when it is not
#                 built (as root, run.sh otherwise builds it in this tree
#                 the README's way: tools/deps, autogen.sh, configure, make)
#
# Every run: remove the last output, sync (untimed), zero the origin's
# counters, start the tool under bench/sample.py (time to return, then to
# durable: fsync of its files; CPU; peak RSS and RssAnon), read the
# counters, check the output with cmp. Tools take turns within a
# repetition, in an order rotated each repetition (A B C B C A C A B). Writes bench/results/STAMP.md (the report) and
# STAMP.runs (one JSON object per run). Environment: HAUL (default: the
# haul built in this tree), HAUL_BASE (another haul binary, shown as the
# haul-base rows beside haul: before and after a change; no such rows
# without it), CC (default cc). Copy the binaries somewhere first: a
# rebuild during a run would change what is measured.
set -eu
argv="$*"
top=$(cd "$(dirname "$0")/.." && pwd)
HAUL=${HAUL:-$top/src/haul}
reps=
only=
data=/var/tmp/haul-bench
outdir=
install=1
list=0
quick=0
usage() {
	echo "usage: bench/run.sh [--quick] [-r REPS] [-s SCENARIO,...] [-d DIR] [-o DIR] [--no-install] [--list]" >&2
	exit 2
}
while [ $# -gt 0 ]; do
	case $1 in
	-r) [ $# -ge 2 ] || usage; reps=$2; shift 2 ;;
	-s) [ $# -ge 2 ] || usage; only=$2; shift 2 ;;
	-d) [ $# -ge 2 ] || usage; data=$2; shift 2 ;;
	-o) [ $# -ge 2 ] || usage; outdir=$2; shift 2 ;;
	--quick) quick=1; shift ;;
	--no-install) install=0; shift ;;
	--list) list=1; shift ;;
	*) usage ;;
	esac
done
[ -n "$reps" ] || reps=$((quick ? 1 : 3))
case $reps in '' | *[!0-9]* | 0) echo "bench: -r wants a positive number" >&2; exit 2 ;; esac
outdir=${outdir:-$data/out}

# --- the tools: one line each ------------------------------------------------
# NAME  COMMAND (sh words; no shell runs it, so the pid is the tool's).
# $N connections, $N16 = min(N, 16) (aria2c's most per host), $CHUNK =
# size / N, $URL, $OUT, $DIR = the directory of $OUT, $SRC the file itself
# (dd), $LIST an aria2-style URL list and $CONFIG a curl -K file (many
# files). $GURL: $URL with /g/ in front of its path (the origin refuses
# HEAD there, as S3 does for a URL presigned for GET) and a fake presigned
# query (haul knows S3's by the X-Amz-* parameters); $XURL: $URL with /x/
# in front (a 302 to the same origin on 127.0.0.2; through the TLS proxy
# it lands on plain HTTP). *_TLS: the options that make a tool trust the
# run's CA (empty over plain HTTP); axel has none, it reads OpenSSL's
# SSL_CERT_FILE.
# The *-kill variants are the tools with their default options.
TOOLS='
haul	"$HAUL" -q -n $N $HAUL_TLS -o "$OUT" "$URL"
haul-nj	"$HAUL" -q -n $N --no-journal $HAUL_TLS -o "$OUT" "$URL"
haul-auto	"$HAUL" -q -n auto $HAUL_TLS -o "$OUT" "$URL"
haul-def	"$HAUL" -q $HAUL_TLS -o "$OUT" "$URL"
haul-g	"$HAUL" -q -n $N $HAUL_TLS -o "$OUT" "$GURL"
haul-x	"$HAUL" -q -n $N $HAUL_TLS -o "$OUT" "$XURL"
haul-base-def	"$HAUL_BASE" -q $HAUL_TLS -o "$OUT" "$URL"
curl	curl -sS $CURL_TLS -o "$OUT" "$URL"
aria2c	aria2c -q -x $N16 -s $N -k 1M $ARIA2_TLS --allow-overwrite=true --auto-file-renaming=false -d "$DIR" -o f "$URL"
axel	env $AXEL_TLS axel -q -n $N -o "$OUT" "$URL"
lftp	lftp -c "${LFTP_TLS}pget -n $N \"$URL\" -o \"$OUT\""
lftp-1	lftp -c "${LFTP_TLS}pget -n 1 \"$URL\" -o \"$OUT\""
wget2	wget2 -q --max-threads=$N --chunk-size=$CHUNK $WGET2_TLS -O "$OUT" "$URL"
dd	dd if="$SRC" of="$OUT" bs=4M conv=fdatasync status=none
haul-i	"$HAUL" -q -i "$LIST" -j 16 -d "$DIR"
aria2c-i	aria2c -q -i "$LIST" -j 16 -d "$DIR" --allow-overwrite=true --auto-file-renaming=false
curl-K	curl -sS --parallel --parallel-max 16 -K "$CONFIG"
curl-K-now	curl -sS --parallel --parallel-immediate --parallel-max 16 -K "$CONFIG"
haul-kill	"$HAUL" -q -o "$OUT" "$URL"
haul-base-kill	"$HAUL_BASE" -q -o "$OUT" "$URL"
haul-sarvam	env SARVAM_API_KEY=$API_KEY "$HAUL" -q --api-base "$API" -d "$DIR" sarvam job-bench $FILES
haul-base	"$HAUL_BASE" -q -n $N $HAUL_TLS -o "$OUT" "$URL"
haul-base-g	"$HAUL_BASE" -q -n $N $HAUL_TLS -o "$OUT" "$GURL"
haul-base-x	"$HAUL_BASE" -q -n $N $HAUL_TLS -o "$OUT" "$XURL"
haul-base-i	"$HAUL_BASE" -q -i "$LIST" -j 16 -d "$DIR"
haul-base-sarvam	env SARVAM_API_KEY=$API_KEY "$HAUL_BASE" -q --api-base "$API" -d "$DIR" sarvam job-bench $FILES
aria2c-kill	aria2c -q -d "$DIR" -o f "$URL"
curl-kill	curl -sS -C - -o "$OUT" "$URL"
axel-kill	axel -q -o "$OUT" "$URL"
'

# --- the scenarios: one line each -------------------------------------------
# NAME  KIND  SIZE  QUICK-SIZE  PATH  N  CAP  DELAY  ORIGIN  TOOLS
# KIND: get (one file), tls (the same through the TLS proxy), many (SIZE
# files of 1-64 KiB, -j 16), api (the same files as the outputs of a
# Sarvam job: haul sarvam asks tests/lib/mockapi.py for their presigned
# URLs, with its default -j; the others get the URLs of one call made
# before the run), kill (SIGKILL at 20/40/60/80 % then resume; kill4: one
# download killed at 20, 40, 60 and 80 %, then finished; killz: killed at
# 50 %, 3 MiB of what it wrote zeroed as a power cut could, finished).
# haul-base* rows run only with HAUL_BASE set.
# PATH picks the origin's behaviour (bench/origin.c): /rK/ paces each
# connection at K MiB/s, /dMS/ waits MS ms before every answer, /tK/ shares
# K MiB/s among all connections, /fast/ neither (the -g and -x tools put
# /g/ or /x/ in front of it). CAP in MiB/s per connection (shared, for
# kill), DELAY in ms: they make the ideal.
# ORIGIN: wan (segments clamped to 1448 bytes, like a real path: no free
# initial burst on paced connections) or lan (loopback's 64 KiB segments).
# dd runs beside the tools of get and tls scenarios: the disk's limit.
# clean-*: the bytes the origin sends per byte of the object on a clean
# link, sent/size (the target: 1.01 plain, 1.02 for haul-g, a presigned
# URL that refuses HEAD, and for haul-x, after a 302 to another host); no
# dd there, the times are not the point.
SCENARIOS='
pace-curl	get	256m	64m	/r25/	1	25	0	wan	curl
pace-lftp	get	1g	512m	/r25/	16	25	0	wan	lftp dd
cap25-n16	get	1g	256m	/r25/	16	25	0	wan	haul haul-base aria2c axel lftp wget2 dd
cap10-n64	get	1g	256m	/r10/	64	10	0	wan	haul haul-base aria2c axel lftp dd
cap1-n256	get	1g	256m	/r1/	256	1	0	wan	haul haul-base aria2c axel lftp dd
delay-n16	get	1g	256m	/d100/r25/	16	25	100	wan	haul haul-base aria2c axel lftp dd
fast-1g	get	1g	256m	/fast/	16	0	0	lan	haul haul-base haul-auto curl aria2c axel lftp-1 wget2 dd
fast-4g	get	4g	1g	/fast/	16	0	0	lan	haul haul-base haul-auto curl aria2c axel lftp-1 dd
journal-4g	get	4g	1g	/fast/	16	0	0	lan	haul haul-nj dd
tls-fast	tls	1g	256m	/fast/	16	0	0	lan	haul curl aria2c axel lftp dd
tls-cap25	tls	1g	256m	/r25/	16	25	0	wan	haul curl aria2c axel lftp dd
one-1m	get	1m	1m	/d200/	16	0	200	wan	haul-def haul-base-def curl aria2c axel
small	many	300	200	/d30/	16	0	30	wan	haul-i haul-base-i aria2c-i curl-K curl-K-now
sarvam	api	200	200	/d30/	16	0	30	wan	haul-sarvam haul-base-sarvam curl-K aria2c-i
kill	kill	64m	64m	/t8/	0	8	0	wan	haul-kill aria2c-kill curl-kill axel-kill
kill4	kill	64m	64m	/t8/	0	8	0	wan	haul-kill haul-base-kill aria2c-kill curl-kill axel-kill
killz	kill	64m	64m	/t8/	0	8	0	wan	haul-kill haul-base-kill curl-kill
clean-64m	get	64m	64m	/fast/	8	0	0	lan	haul haul-g haul-x haul-base haul-base-g haul-base-x curl aria2c axel
clean-1g	get	1g	256m	/fast/	8	0	0	lan	haul haul-g haul-x haul-base haul-base-g haul-base-x curl aria2c axel
'
KILL_POINTS='20 40 60 80'
[ $quick -eq 0 ] || KILL_POINTS='40 80'

if [ $list -eq 1 ]; then
	echo "$SCENARIOS" | awk -F'\t' 'NF { printf "%-10s %-4s %s (quick %s) %s N=%s via %s: %s\n", $1, $2, $3, $4, $5, $6, $9, $10 }'
	exit 0
fi

say() { printf 'bench: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

# The scenarios to run, with the size this run uses.
selected=$(echo "$SCENARIOS" | awk -F'\t' -v only="$only" -v q=$quick '
	NF && (only == "" || index("," only ",", "," $1 ",")) { $3 = q ? $4 : $3; print }' OFS='\t')
[ -n "$selected" ] || die "no such scenario: $only (see --list)"
HAUL_BASE=${HAUL_BASE:-}
if [ -z "$HAUL_BASE" ]; then
	selected=$(echo "$selected" | awk -F'\t' -v OFS='\t' '{ n = split($10, t, " "); $10 = ""
		for (i = 1; i <= n; i++) if (t[i] !~ /^haul-base/) $10 = $10 ($10 == "" ? "" : " ") t[i]
		print }')
else
	[ -x "$HAUL_BASE" ] || die "HAUL_BASE=$HAUL_BASE is not an executable"
fi

# --- set-up --------------------------------------------------------------------
wanted_tools=$(echo "$selected" | cut -f10 | tr ' ' '\n' | sed 's/-.*//' | sort -u)
need_tls=0
echo "$selected" | cut -f2 | grep -qx tls && need_tls=1
missing=
for t in $wanted_tools cmp python3 ${CC:-cc}; do
	case $t in haul | dd) continue ;; esac
	command -v "$t" >/dev/null 2>&1 || missing="$missing $t"
done
[ $need_tls -eq 0 ] || { command -v openssl >/dev/null && { command -v nginx >/dev/null || [ -x /usr/sbin/nginx ]; }; } ||
	missing="$missing openssl nginx"
if [ -n "$missing" ]; then
	if [ $install -eq 1 ] && [ "$(id -u)" -eq 0 ]; then
		say "installing:$missing"
		DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
			curl aria2 axel lftp wget2 diffutils python3 gcc libc6-dev nginx openssl >/dev/null
	else
		say "missing:$missing -- their runs are skipped"
	fi
fi
# A fresh clone: build haul here, the way the README says.
if [ ! -x "$HAUL" ] && [ "$HAUL" = "$top/src/haul" ] && [ $install -eq 1 ] && [ "$(id -u)" -eq 0 ]; then
	say "building haul in $top (tools/deps, autogen.sh, configure, make)"
	(cd "$top" && tools/deps && ./autogen.sh && ./configure && make -j2) >"$top/bench/build.log" 2>&1 ||
		die "building haul failed; see $top/bench/build.log"
fi
[ -x "$HAUL" ] || die "$HAUL is not built (./autogen.sh && ./configure && make)"
PATH=$PATH:/usr/sbin

mkdir -p "$data" "$outdir"
# The origin is built here, not by make: it is a tool of the benchmark, not of haul.
origin_bin=$data/haul-bench-origin
if [ ! -x "$origin_bin" ] || [ "$top/bench/origin.c" -nt "$origin_bin" ]; then
	${CC:-cc} -O2 -Wall -o "$origin_bin.tmp" "$top/bench/origin.c" && mv "$origin_bin.tmp" "$origin_bin" ||
		die "cannot build $origin_bin"
fi

bytes_of() { # 64m, 1g -> bytes
	case $1 in
	*m) echo $(( ${1%m} * 1048576 )) ;;
	*g) echo $(( ${1%g} * 1073741824 )) ;;
	esac
}
want=0
for f in $(echo "$selected" | awk -F'\t' '$2 != "many" && $2 != "api" { print $3 }' | sort -u); do
	sz=$(bytes_of "$f")
	[ -f "$data/$f" ] && [ "$(stat -c %s "$data/$f")" -eq "$sz" ] || want=$((want + sz / 1048576))
done
avail=$(df -Pk "$data" | awk 'NR == 2 { print int($4 / 1024) }')
[ "$avail" -gt $((want + 5120)) ] || die "$data has $avail MiB free; the test files and one output need $((want + 5120))"
for f in $(echo "$selected" | awk -F'\t' '$2 != "many" && $2 != "api" { print $3 }' | sort -u); do
	sz=$(bytes_of "$f")
	if [ ! -f "$data/$f" ] || [ "$(stat -c %s "$data/$f")" -ne "$sz" ]; then
		say "writing $data/$f (random)"
		head -c "$sz" /dev/urandom >"$data/$f.tmp" && mv "$data/$f.tmp" "$data/$f"
	fi
done
# Many small files: sizes from 1 to 64 KiB, the same every time.
if [ ! -f "$data/small/f300" ]; then
	say "writing $data/small (300 files)"
	mkdir -p "$data/small"
	for i in $(seq 1 300); do
		head -c $(( (i * 7919) % 65536 + 1024 )) /dev/urandom >"$data/small/f$i"
	done
fi
sync # the test files' own writeback must not land in the first runs

work=$(mktemp -d "${TMPDIR:-/tmp}/haul-bench.XXXXXX")
pids=
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null || true; done
	rm -rf "$work" "$outdir/run"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# start_origin NAME ARGS...: one origin over DATA_DIR; sets NAME_port.
start_origin() {
	local name=$1 port
	shift
	"$origin_bin" "$@" "$data" >"$work/$name.out" 2>"$work/$name.err" &
	pids="$pids $!"
	for _ in $(seq 50); do
		port=$(awk '/^port/ { print $2 }' "$work/$name.out")
		[ -z "$port" ] || break
		sleep 0.1
	done
	[ -n "$port" ] || die "the $name origin did not start: $(cat "$work/$name.err")"
	eval "${name}_port=$port"
}
start_origin wan --mss 1448
start_origin lan

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# TLS: a CA of this run's own, and nginx terminating TLS in front of each
# origin. HTTP/1.1 has one request in flight per client connection, and
# nginx serves it over one upstream connection, which the origin paces per
# request: the per-connection cap holds through the proxy. proxy_buffering
# off: nginx forwards what it reads (no temporary files on the disk the
# tools write to). The certificate names 127.0.0.1 both as an IP address
# and as a DNS name: axel 2.17 matches DNS names only.
CA=
if [ $need_tls -eq 1 ]; then
	tls=$data/tls
	if [ ! -f "$tls/server.pem" ]; then
		mkdir -p "$tls"
		openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=haul bench CA" \
			-keyout "$tls/ca.key" -out "$tls/ca.pem" 2>/dev/null &&
		openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" \
			-keyout "$tls/server.key" -out "$tls/server.csr" 2>/dev/null &&
		printf 'subjectAltName=IP:127.0.0.1,DNS:127.0.0.1\nextendedKeyUsage=serverAuth\n' >"$tls/ext" &&
		openssl x509 -req -in "$tls/server.csr" -CA "$tls/ca.pem" -CAkey "$tls/ca.key" \
			-CAcreateserial -days 3650 -extfile "$tls/ext" -out "$tls/server.pem" 2>/dev/null ||
			die "cannot make the TLS certificates in $tls"
	fi
	CA=$tls/ca.pem
	mkdir -p "$work/nginx/tmp"
	for try in 1 2 3; do
		tls_wan_port=$(free_port) tls_lan_port=$(free_port)
		{
			echo "daemon off; worker_processes 2; pid $work/nginx/nginx.pid;"
			echo "error_log $work/nginx/error.log;"
			[ "$(id -u)" -ne 0 ] || echo "user root;"
			echo "events { worker_connections 4096; }"
			echo "http {"
			echo "  access_log off;"
			for d in client_body proxy fastcgi uwsgi scgi; do echo "  ${d}_temp_path $work/nginx/tmp/$d;"; done
			for o in wan lan; do
				eval "up=\$${o}_port; port=\$tls_${o}_port"
				echo "  upstream $o { server 127.0.0.1:$up; keepalive 64; }"
				echo "  server {"
				echo "    listen 127.0.0.1:$port ssl;"
				echo "    ssl_certificate $tls/server.pem; ssl_certificate_key $tls/server.key;"
				echo "    keepalive_requests 100000;"
				echo "    location / {"
				echo "      proxy_pass http://$o; proxy_http_version 1.1; proxy_set_header Connection \"\";"
				echo "      proxy_buffering off; proxy_buffer_size 256k; proxy_buffers 4 256k;"
				echo "      proxy_busy_buffers_size 256k; proxy_read_timeout 900s;"
				echo "    }"
				echo "  }"
			done
			echo "}"
		} >"$work/nginx/nginx.conf"
		nginx -p "$work/nginx" -c "$work/nginx/nginx.conf" >"$work/nginx/out" 2>&1 &
		ngx_pid=$!
		ok=0
		for _ in $(seq 30); do
			if curl -s -o /dev/null --cacert "$CA" "https://127.0.0.1:$tls_lan_port/_stats"; then ok=1; break; fi
			kill -0 $ngx_pid 2>/dev/null || break
			sleep 0.1
		done
		[ $ok -eq 0 ] || break
		kill $ngx_pid 2>/dev/null || true
		wait $ngx_pid 2>/dev/null || true
	done
	[ $ok -eq 1 ] || die "nginx (TLS) did not start: $(tail -n 3 "$work/nginx/error.log" "$work/nginx/out" 2>/dev/null)"
	pids="$pids $ngx_pid"
fi

# --- one run -------------------------------------------------------------------
runs=$work/runs
: >"$runs"
: >"$work/failed"

tool_cmd() { echo "$TOOLS" | awk -F'\t' -v t="$1" '$1 == t { print $2 }'; }

# measure SC TOOL REP STATS_URL CHECK EXTRA_JSON KILL_BYTES WORD...: run the
# tool's WORDs under sample.py, read the origin's counters, check the
# output; appends one JSON object to $runs, or a line to $work/failed.
# CHECK: "file SRC OUT", "dir SRC_DIR OUT_DIR N" or "none"; EXTRA_JSON is
# merged into the record; KILL_BYTES, if not empty, is when to SIGKILL.
measure() {
	local sc=$1 tool=$2 rep=$3 stats=$4 check=$5 extra=$6 kill=$7
	shift 7
	local args=(--out "$work/one.json" --sync "$outdir/run" --timeout "$run_timeout")
	[ -z "$kill" ] || args+=(--kill-at "$stats" "$kill")
	command -v "$1" >/dev/null 2>&1 ||
		{ echo "$sc $tool $rep not-installed" >>"$work/failed"; return 0; }
	python3 "$top/bench/sample.py" "${args[@]}" -- "$@" >"$work/tool.out" 2>&1 || true
	local st
	st=$(curl -s "$stats") || st='{}'
	local rc
	rc=$(python3 -c 'import json,sys; r = json.load(open(sys.argv[1])); print("timeout" if r["timed_out"] else r["rc"])' "$work/one.json")
	local ok=1 why=
	if [ -z "$kill" ] && [ "$rc" != 0 ]; then
		ok=0 why="exit $rc: $(tail -n 2 "$work/tool.out" | tr '\n' ' ')"
	elif [ -z "$kill" ]; then
		set -- $check
		case $1 in
		file) cmp -s "$2" "$3" || { ok=0; why="output differs"; } ;;
		dir)
			local i
			for i in $(seq 1 "$4"); do
				cmp -s "$2/f$i" "$3/f$i" || { ok=0; why="f$i differs or is missing"; break; }
			done ;;
		esac
	fi
	if [ $ok -eq 0 ]; then
		echo "$sc $tool #$rep: $why" >>"$work/failed"
		say "$sc $tool #$rep FAILED: $why"
		return 0
	fi
	python3 - "$work/one.json" "$st" "$sc" "$tool" "$rep" "$extra" >>"$runs" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
st = json.loads(sys.argv[2] or "{}")
r.update(scenario=sys.argv[3], tool=sys.argv[4], rep=int(sys.argv[5]), origin=st)
r.update(json.loads(sys.argv[6] or "{}"))
print(json.dumps(r))
EOF
	printf 'bench: %-10s %-12s #%s %7.2f s return %7.2f s durable\n' "$sc" "$tool" "$rep" \
		"$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["return"])' "$work/one.json")" \
		"$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["durable"])' "$work/one.json")" >&2
}

# fresh: an empty output directory and a flushed disk, untimed.
# in_turn REP TOOLS...: the tools in the order repetition REP runs them,
# rotated by one each repetition and reversed every other one (A B C,
# C B A, C A B, B A C, ...), so no tool is always the first of a
# repetition nor always the one after dd.
in_turn() {
	local r=$1 i j
	shift
	local k=$(( (r - 1) % $# ))
	turn=()
	for ((i = 0; i < $#; i++)); do
		j=$(( r % 2 ? i : $# - 1 - i ))
		eval "turn[$j]=\${$(( (i + k) % $# + 1 ))}"
	done
}

# fresh [SETTLE]: an empty output directory, everything synced; then SETTLE
# seconds of rest. This machine's disk is a virtual one: after a big file
# is written, synced and removed, its host goes on working for a few
# seconds where the guest cannot see it (the guest's disk stats are idle),
# and a 1 GiB download started then took 0.25 s longer (2.0 s instead of
# 1.75, whichever tool ran after dd; 2 s of rest took the cost away).
fresh() {
	rm -rf "$outdir/run"
	mkdir "$outdir/run"
	sync
	[ "${1:-0}" = 0 ] || sleep "$1"
}

# tool_words TOOL: the tool's command, expanded, into the array words.
tool_words() {
	local cmd
	cmd=$(tool_cmd "$1")
	[ -n "$cmd" ] || die "no tool '$1'"
	eval "words=($cmd)"
}

# The query of $GURL: what an S3 URL presigned for GET carries (the origin
# ignores it; haul knows an S3 presigned URL by its X-Amz-* parameters).
PRESIGNED='X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20261207%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20261207T000000Z&X-Amz-Expires=3600&X-Amz-SignedHeaders=host&X-Amz-Signature=0123456789abcdef'

run_get() { # SC KIND FILE PATH N ORIGIN TOOLS...
	local sc=$1 kind=$2 file=$3 path=$4 n=$5 origin=$6
	shift 6
	local size port stats base
	size=$(bytes_of "$file")
	eval "port=\$${origin}_port"
	stats=http://127.0.0.1:$port/_stats
	if [ "$kind" = tls ]; then
		eval "base=https://127.0.0.1:\$tls_${origin}_port"
		HAUL_TLS="--cacert $CA" CURL_TLS="--cacert $CA" ARIA2_TLS="--ca-certificate=$CA"
		AXEL_TLS="SSL_CERT_FILE=$CA" LFTP_TLS="set ssl:ca-file $CA; " WGET2_TLS="--ca-certificate=$CA"
	else
		base=http://127.0.0.1:$port
		HAUL_TLS= CURL_TLS= ARIA2_TLS= AXEL_TLS= LFTP_TLS= WGET2_TLS=
	fi
	N=$n N16=$(( n > 16 ? 16 : n )) CHUNK=$(( (size + n - 1) / n ))
	URL=$base$path$file DIR=$outdir/run OUT=$outdir/run/f SRC=$data/$file
	GURL=$base/g$path$file?$PRESIGNED XURL=$base/x$path$file
	run_timeout=$((quick ? 300 : 1200))
	# 3 s of rest, 3 s more for each GiB past the first
	local r t settle=$(( size >= 256 * 1024 * 1024 ? 3 * (size > 1073741824 ? size / 1073741824 : 1) : 0 ))
	for r in $(seq "$reps"); do
		in_turn "$r" "$@"
		for t in "${turn[@]}"; do
			fresh "$settle"
			curl -s -o /dev/null "$stats?reset=1"
			tool_words "$t"
			measure "$sc" "$t" "$r" "$stats?reset=0" "file $SRC $OUT" \
				"{\"size\": $size}" "" "${words[@]}"
		done
	done
}

# run_files SC PORT COUNT SIZE TOOLS...: the repetitions of a many-files
# scenario (the small files, fetched into $DIR).
run_files() {
	local sc=$1 port=$2 count=$3 size=$4 r t
	shift 4
	for r in $(seq "$reps"); do
		in_turn "$r" "$@"
		for t in "${turn[@]}"; do
			fresh
			curl -s -o /dev/null "http://127.0.0.1:$port/_stats?reset=1"
			tool_words "$t"
			measure "$sc" "$t" "$r" "http://127.0.0.1:$port/_stats?reset=0" \
				"dir $data/small $DIR $count" "{\"size\": $size, \"files\": $count}" "" "${words[@]}"
		done
	done
}

run_many() { # SC COUNT PATH ORIGIN TOOLS...
	local sc=$1 count=$2 path=$3 origin=$4
	shift 4
	local port i size=0
	eval "port=\$${origin}_port"
	LIST=$work/list CONFIG=$work/curl.config DIR=$outdir/run
	: >"$LIST"
	: >"$CONFIG"
	for i in $(seq 1 "$count"); do
		printf 'http://127.0.0.1:%s%ssmall/f%s\n  out=f%s\n' "$port" "$path" "$i" "$i" >>"$LIST"
		printf 'url = "http://127.0.0.1:%s%ssmall/f%s"\noutput = "%s/f%s"\n' "$port" "$path" "$i" "$DIR" "$i" >>"$CONFIG"
		size=$((size + $(stat -c %s "$data/small/f$i")))
	done
	run_timeout=300
	run_files "$sc" "$port" "$count" "$size" "$@"
}

run_api() { # SC COUNT PATH ORIGIN TOOLS...
	local sc=$1 count=$2 path=$3 origin=$4
	shift 4
	local port i size=0 names=() job=$data/sarvam/job-bench
	eval "port=\$${origin}_port"
	# The job's outputs are the small files (hard links: the origin serves
	# them under the mock's paths).
	mkdir -p "$job"
	for i in $(seq 1 "$count"); do
		[ -f "$job/f$i" ] || ln "$data/small/f$i" "$job/f$i"
		names+=("f$i")
		size=$((size + $(stat -c %s "$data/small/f$i")))
	done
	API_KEY=bench-$$-key
	rm -f "$work/api.port"
	python3 "$top/tests/lib/mockapi.py" --port-file "$work/api.port" --log "$work/api.log" \
		--origin "http://127.0.0.1:$port${path%/}" --sign-key "bench-$$" --root "$data" \
		--api-key "$API_KEY" >"$work/api.out" 2>&1 &
	local api_pid=$!
	pids="$pids $api_pid"
	for _ in $(seq 50); do [ -s "$work/api.port" ] && break; sleep 0.1; done
	[ -s "$work/api.port" ] || die "the mock API did not start: $(cat "$work/api.out")"
	API=http://127.0.0.1:$(cat "$work/api.port")
	FILES=${names[*]}
	LIST=$work/list CONFIG=$work/curl.config DIR=$outdir/run
	# One call for every URL, untimed, for the tools that cannot ask.
	curl -sS -X POST -H "api-subscription-key: $API_KEY" -H 'Content-Type: application/json' \
		-d "$(python3 -c 'import json,sys; print(json.dumps({"job_id": "job-bench", "files": sys.argv[1:]}))' "${names[@]}")" \
		"$API/speech-to-text/job/v1/download-files" >"$work/api.answer" ||
		die "the mock API did not answer"
	python3 -c '
import json, sys
urls = json.load(open(sys.argv[1]))["download_urls"]
with open(sys.argv[2], "w") as lst, open(sys.argv[3], "w") as cfg:
    for n in sys.argv[5:]:
        u = urls[n]["file_url"]
        lst.write("%s\n  out=%s\n" % (u, n))
        cfg.write("url = \"%s\"\noutput = \"%s/%s\"\n" % (u, sys.argv[4], n))
' "$work/api.answer" "$LIST" "$CONFIG" "$DIR" "${names[@]}" || die "the mock API's answer lacks URLs"
	run_timeout=300
	run_files "$sc" "$port" "$count" "$size" "$@"
	kill "$api_pid" 2>/dev/null || true
}

# lose_writes: zero MiB 0, 4 and 8 of the file a killed tool was writing
# ($OUT.part for haul, $OUT itself for the others): 3 MiB that every tool
# here has written by half-way (the first MiB of its first three ranges,
# for haul's 4 MiB ranges of 64 MiB; sequential writers have all of it).
lose_writes() {
	local f=$OUT m
	[ -e "$OUT.part" ] && f=$OUT.part
	if [ -e "$f" ]; then
		for m in 0 4 8; do
			dd if=/dev/zero of="$f" bs=1048576 seek=$m count=1 conv=notrunc 2>/dev/null
		done
	fi
	sync
}

run_kill() { # SC FILE PATH ORIGIN TOOLS...
	local sc=$1 file=$2 path=$3 origin=$4
	shift 4
	local port size stats
	size=$(bytes_of "$file")
	eval "port=\$${origin}_port"
	stats=http://127.0.0.1:$port/_stats
	URL=http://127.0.0.1:$port$path$file DIR=$outdir/run OUT=$outdir/run/f SRC=$data/$file
	GURL=http://127.0.0.1:$port/g$path$file?$PRESIGNED XURL=http://127.0.0.1:$port/x$path$file
	run_timeout=$((quick ? 300 : 900))
	local r t p q points=$KILL_POINTS
	# kill4: one download killed four times, then finished; killz: killed
	# half-way, 3 MiB of its writes lost, then finished
	[ "$sc" != kill4 ] || points=20+40+60+80
	[ "$sc" != killz ] || points=50
	for r in $(seq "$reps"); do
		in_turn "$r" "$@"
		for p in $points; do
			for t in "${turn[@]}"; do
				fresh
				curl -s -o /dev/null "$stats?reset=1"
				tool_words "$t"
				# first runs: SIGKILL once the origin has sent q % of the
				# file, for each q of p (20+40: at 20 %, then again at 40 %)
				for q in ${p//+/ }; do
					measure "$sc" "$t-killed" "$r" "$stats?reset=0" none \
						"{\"size\": $size, \"kill_pct\": \"$p\"}" $((size * q / 100)) \
						"${words[@]}"
				done
				# killz: what a power cut after the kill could take, 3 MiB
				# of written data, lost from whatever file the tool
				# writes into
				[ "$sc" != killz ] || lose_writes
				# then the same command again, to the end (the counters run on)
				measure "$sc" "$t" "$r" "$stats?reset=0" "file $SRC $OUT" \
					"{\"size\": $size, \"kill_pct\": \"$p\"}" "" "${words[@]}"
			done
		done
	done
}

t_start=$(date +%s)
while IFS='	' read -r sc kind file qfile path n cap delay origin tools; do
	[ -n "$sc" ] || continue
	echo "$sc	$kind	$file	$path	$n	$cap	$delay	$origin	$tools" >>"$work/scenarios"
	say "scenario $sc: $tools"
	case $kind in
	get | tls) run_get "$sc" "$kind" "$file" "$path" "$n" "$origin" $tools ;;
	many) run_many "$sc" "$file" "$path" "$origin" $tools ;;
	api) run_api "$sc" "$file" "$path" "$origin" $tools ;;
	kill) run_kill "$sc" "$file" "$path" "$origin" $tools ;;
	esac
done <<EOF
$selected
EOF
elapsed=$(( $(date +%s) - t_start ))

# --- the report ----------------------------------------------------------------
stamp=$(date -u +%Y%m%d-%H%M%S)
mkdir -p "$top/bench/results"
raw=$top/bench/results/$stamp.runs
md=$top/bench/results/$stamp.md
cp "$runs" "$raw"
{
	echo "cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)"
	echo "cores=$(nproc)"
	echo "kernel=$(uname -sr)"
	echo "memory=$(awk '/^MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)"
	dev=$(df -P "$outdir" | awk 'NR == 2 { print $1 }')
	echo "disk=$outdir: $(df -PT "$outdir" | awk 'NR == 2 { print $2 }') on $dev, $(lsblk -dno SIZE "$dev" 2>/dev/null | tr -d ' ' || echo '?')$(lsblk -dno MODEL "$dev" 2>/dev/null | sed 's/^ *\(.\)/ \1/') (the kernel says rotational=$(lsblk -dno ROTA "$dev" 2>/dev/null | tr -d ' '))"
	echo "haul=$("$HAUL" --version 2>/dev/null | head -n 1)"
	echo "curl=$(curl --version | head -n 1 | cut -d' ' -f1-2)"
	echo "aria2c=$(aria2c --version 2>/dev/null | head -n 1)"
	echo "axel=$(axel --version 2>/dev/null | head -n 1 | cut -d' ' -f1-2)"
	echo "lftp=$(lftp --version 2>/dev/null | head -n 1 | sed 's/^LFTP | Version \([^ ]*\).*/lftp \1/')"
	echo "wget2=$(wget2 --version 2>/dev/null | head -n 1 | cut -d' ' -f2-3)"
	[ $need_tls -eq 0 ] || echo "nginx=$(nginx -v 2>&1 | sed 's/.*: //')"
	echo "reps=$reps"
	echo "quick=$quick"
	echo "elapsed=$elapsed"
	echo "outdir=$outdir"
	echo "command=bench/run.sh $argv"
} >"$work/machine"
python3 "$top/bench/report.py" "$work/machine" "$work/scenarios" "$runs" "$work/failed" "$stamp" >"$md"
cat "$md"
say "wrote $md and $raw in $elapsed s"
