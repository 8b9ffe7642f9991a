#!/bin/sh
# bench/stream.sh -- -o - beside -o FILE: the same object, the same -n.
#
#   bench/stream.sh [-d DATA_DIR] [-s MIB] [-r RUNS] [-n N] [-w WINDOW]
#
# Against a private nginx on 127.0.0.1 (tests/lib/nginx.sh), with the haul
# built in this tree (or $HAUL), for an object of MIB MiB (default 1024) of
# random data: each case RUNS times (default 3), printing the median wall
# time, its speed, user + system CPU seconds and peak RSS:
#   file     -o FILE on DATA_DIR (default /var/tmp/haul-bench)
#   null     -o - >/dev/null: the stream alone
#   sha256   -o - | sha256sum: a reader that does work
#   both again with -c sha256 (the check hashed by haul).
# Unthrottled only: nginx's limit_rate lets each request send one second's
# worth at once, so it caps -o FILE's long ranges and not the short ones
# of -o -. For a per-connection cap use tests/lib/origin.py's rate=.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
HAUL=${HAUL:-$top/src/haul}
data=/var/tmp/haul-bench
mib=1024 runs=3 n=16 win=64M
while [ $# -gt 0 ]; do
	case $1 in
	-d) data=$2; shift 2 ;;
	-s) mib=$2; shift 2 ;;
	-r) runs=$2; shift 2 ;;
	-n) n=$2; shift 2 ;;
	-w) win=$2; shift 2 ;;
	*) echo "usage: bench/stream.sh [-d DIR] [-s MIB] [-r RUNS] [-n N] [-w WINDOW]" >&2
	   exit 2 ;;
	esac
done
[ -x "$HAUL" ] || { echo "bench: $HAUL is not built" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "bench: needs /usr/bin/time (apt-get install time)" >&2; exit 1; }
mkdir -p "$data/out"
obj=stream-${mib}m
if [ ! -f "$data/$obj" ] || [ "$(stat -c %s "$data/$obj")" -ne $((mib * 1048576)) ]; then
	head -c $((mib * 1048576)) /dev/urandom >"$data/$obj.tmp" && mv "$data/$obj.tmp" "$data/$obj"
fi
sha=$(sha256sum "$data/$obj" | cut -c1-64)

PATH=$PATH:/usr/sbin
. "$top/tests/lib/nginx.sh"
work=$(mktemp -d "${TMPDIR:-/tmp}/haul-stream.XXXXXX")
trap 'nginx_stop; rm -rf "$work" "$data/out/$obj"' EXIT
nginx_start "$data" "$work/ngx" >/dev/null
base=http://127.0.0.1:$NGINX_PORT

# case NAME LOCATION HOW [HAUL OPTIONS]: HOW is file, null or sha256.
# Prints "NAME  seconds  MiB/s  cpu_s  rss_mib" (medians over RUNS).
case_() {
	name=$1 loc=$2 how=$3
	shift 3
	: >"$work/runs"
	i=0
	while [ $i -lt "$runs" ]; do
		i=$((i + 1))
		rm -f "$data/out/$obj"
		case $how in
		file) /usr/bin/time -o "$work/t" -f '%e %U %S %M' "$HAUL" -q -n "$n" "$@" \
			-o "$data/out/$obj" "$base$loc$obj" ;;
		null) /usr/bin/time -o "$work/t" -f '%e %U %S %M' "$HAUL" -q -n "$n" --window "$win" \
			"$@" -o - "$base$loc$obj" >/dev/null ;;
		sha256) got=$( { /usr/bin/time -o "$work/t" -f '%e %U %S %M' "$HAUL" -q -n "$n" \
			--window "$win" "$@" -o - "$base$loc$obj"; } | sha256sum | cut -c1-64)
			[ "$got" = "$sha" ] || { echo "bench: $name: wrong sha256" >&2; exit 1; } ;;
		esac
		cat "$work/t" >>"$work/runs"
	done
	sort -n "$work/runs" | awk -v name="$name" -v mib="$mib" -v runs="$runs" '
		NR == int((runs + 1) / 2) {
			printf "| %-28s | %6.2f | %7.1f | %6.2f | %5.0f |\n", name, $1,
			       ($1 > 0 ? mib / $1 : 0), $2 + $3, $4 / 1024 }'
}

echo "haul $("$HAUL" --version | head -n 1 | cut -d' ' -f2), $mib MiB, -n $n, --window $win," \
	"median of $runs, $(nproc) CPUs"
echo
echo "| case                         |      s |   MiB/s |  cpu s | RSS MiB |"
echo "|------------------------------|--------|---------|--------|---------|"
case_ "file, unthrottled" /fast/ file
case_ "-o - >/dev/null, unthrottled" /fast/ null
case_ "-o - | sha256sum, unthrottled" /fast/ sha256
case_ "file -c sha256" /fast/ file -c "sha256:$sha"
case_ "-o - -c sha256 >/dev/null" /fast/ null -c "sha256:$sha"
