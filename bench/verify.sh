#!/bin/sh
# bench/verify.sh -- what verification costs: the same object with and
# without --no-verify, where the store's claim is a CRC (combined from the
# blocks as they land), beside an MD5 (read back by a thread) for contrast.
#
#   bench/verify.sh [-d DATA_DIR] [-s MIB] [-r RUNS] [-n N]
#
# A private nginx on 127.0.0.1 (tests/lib/nginx.sh) answers as S3 does,
# with x-amz-request-id and x-amz-checksum-crc64nvme (and nginx's own ETag,
# which is no digest). The cases:
#   crc        default options: the crc64nvme is checked
#   noverify   --no-verify: nothing is
#   md5        --no-verify -c md5:HEX: an MD5, read back beside the download
#              (what an S3 MD5 ETag costs; nginx cannot serve one, as its
#              If-Match only knows its own ETag)
# Each case runs RUNS times (default 5), interleaved (A B C A B C ...),
# unthrottled, to DATA_DIR (default /var/tmp/haul-bench); printed: the
# median wall time (haul returns once the file is durable and checked),
# user + system CPU, and the ratio to noverify.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
HAUL=${HAUL:-$top/src/haul}
data=/var/tmp/haul-bench
mib=1024 runs=5 n=16
while [ $# -gt 0 ]; do
	case $1 in
	-d) data=$2; shift 2 ;;
	-s) mib=$2; shift 2 ;;
	-r) runs=$2; shift 2 ;;
	-n) n=$2; shift 2 ;;
	*) echo "usage: bench/verify.sh [-d DIR] [-s MIB] [-r RUNS] [-n N]" >&2; exit 2 ;;
	esac
done
[ -x "$HAUL" ] || { echo "bench: $HAUL is not built" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "bench: needs /usr/bin/time (apt-get install time)" >&2; exit 1; }
mkdir -p "$data/out" "$data/vroot"
obj=verify-${mib}m
if [ ! -f "$data/vroot/$obj" ] || [ "$(stat -c %s "$data/vroot/$obj")" -ne $((mib * 1048576)) ]; then
	head -c $((mib * 1048576)) /dev/urandom >"$data/vroot/$obj.tmp"
	mv "$data/vroot/$obj.tmp" "$data/vroot/$obj"
fi
md5=$(md5sum "$data/vroot/$obj" | cut -c1-32)
# CRC-64/NVME of the object, base64 of its big-endian bytes, by crcmod (an
# implementation that is not haul's), with the system's python3.
c64=$(/usr/bin/python3 - "$data/vroot/$obj" <<'EOF'
import base64, sys, crcmod
f = crcmod.mkCrcFun(0x1ad93d23594c93659, initCrc=0, rev=True, xorOut=0xffffffffffffffff)
crc = 0
with open(sys.argv[1], "rb") as fh:
    while True:
        b = fh.read(1 << 24)
        if not b:
            break
        crc = f(b, crc)
print(base64.b64encode(crc.to_bytes(8, "big")).decode())
EOF
)

PATH=$PATH:/usr/sbin
. "$top/tests/lib/nginx.sh"
work=$(mktemp -d "${TMPDIR:-/tmp}/haul-verify.XXXXXX")
trap 'nginx_stop; rm -rf "$work" "$data/out/$obj"*' EXIT
NGINX_EXTRA="
location /crc/ { alias $data/vroot/; add_header x-amz-request-id BENCH always;
	add_header x-amz-checksum-crc64nvme \"$c64\" always; }"
export NGINX_EXTRA
nginx_start "$data/vroot" "$work/ngx" >/dev/null
base=http://127.0.0.1:$NGINX_PORT

# Check the set-up once: each location is verified, and by what.
"$HAUL" -n "$n" -o "$data/out/$obj" "$base/crc/$obj" 2>"$work/err" || { cat "$work/err" >&2; exit 1; }
grep -q 'crc64nvme = x-amz-checksum-crc64nvme: verified' "$work/err" ||
	{ cat "$work/err"; echo "bench: /crc/ is not verified by its crc64nvme" >&2; exit 1; }
CASES='crc noverify md5'
i=0
while [ $i -lt "$runs" ]; do
	i=$((i + 1))
	for c in $CASES; do
		case $c in
		crc) opt= ;;
		noverify) opt=--no-verify ;;
		md5) opt="--no-verify -c md5:$md5" ;;
		esac
		rm -f "$data/out/$obj"
		sync
		# shellcheck disable=SC2086
		/usr/bin/time -o "$work/t" -f '%e %U %S' "$HAUL" -q -n "$n" $opt -o "$data/out/$obj" \
			"$base/crc/$obj"
		cmp -s "$data/out/$obj" "$data/vroot/$obj" || { echo "bench: $c: wrong bytes" >&2; exit 1; }
		awk '{ printf "%s %.3f\n", $1, $2 + $3 }' "$work/t" >>"$work/$c"
	done
done
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
printf '%s MiB, -n %s, %s runs each, interleaved; %s\n' "$mib" "$n" "$runs" "$(uname -r)"
printf '%-14s %9s %13s %9s %9s\n' case wall_s wall_min-max cpu_s vs_noverify
for c in $CASES; do
	w=$(cut -d' ' -f1 "$work/$c" | median)
	u=$(cut -d' ' -f2 "$work/$c" | median)
	twin=$(cut -d' ' -f1 "$work/noverify" | median)
	mm=$(cut -d' ' -f1 "$work/$c" | sort -n | sed -n '1p;$p' | paste -sd-)
	printf '%-14s %9.3f %13s %9.3f %9.3f\n' "$c" "$w" "$mm" "$u" \
		"$(awk -v a="$w" -v b="$twin" 'BEGIN { print a / b }')"
done
