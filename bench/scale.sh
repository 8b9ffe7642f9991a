#!/bin/sh
# bench/scale.sh -- how haul's cost grows with the work.
#
#   bench/scale.sh [-d DATA_DIR] [-o OUT_DIR]
#
# Against a private nginx on 127.0.0.1 (tests/lib/nginx.sh), with the haul
# built in this tree (or $HAUL):
#   1. size: 1, 4 and 16 GiB at the default settings, unthrottled: wall
#      time, CPU seconds per GiB, peak RSS and the journal's size at the end
#      (--keep-journal). The 16 GiB object is a sparse file (zeros: nginx
#      reads holes for free, and nothing in HTTP compresses them); 1 and
#      4 GiB are the random files bench/run.sh made (made here if missing).
#   2. connections: CPU seconds per GiB for 1 GiB at -n 1, 8 and 64.
#   3. many connections: -n 256 against 1 MiB/s per connection (ideal
#      256 MiB/s): no failure, and time against the ideal.
# Prints a Markdown table and writes it to bench/results/scale-STAMP.md.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
HAUL=${HAUL:-$top/src/haul}
data=/var/tmp/haul-bench
outdir=
while [ $# -gt 0 ]; do
	case $1 in
	-d) data=$2; shift 2 ;;
	-o) outdir=$2; shift 2 ;;
	*) echo "usage: bench/scale.sh [-d DATA_DIR] [-o OUT_DIR]" >&2; exit 2 ;;
	esac
done
outdir=${outdir:-$data/out}
[ -x "$HAUL" ] || { echo "bench: $HAUL is not built" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "bench: needs /usr/bin/time (apt-get install time)" >&2; exit 1; }
mkdir -p "$data" "$outdir"
avail=$(df -Pk "$outdir" | awk 'NR == 2 { print int($4 / 1048576) }')
[ "$avail" -ge 20 ] || { echo "bench: $outdir has $avail GiB free; 20 are needed" >&2; exit 1; }
for f in 1g 4g; do
	sz=$(( ${f%g} * 1073741824 ))
	if [ ! -f "$data/$f" ] || [ "$(stat -c %s "$data/$f")" -ne $sz ]; then
		head -c $sz /dev/urandom >"$data/$f.tmp" && mv "$data/$f.tmp" "$data/$f"
	fi
done
[ -f "$data/16g-sparse" ] || truncate -s 16G "$data/16g-sparse"

PATH=$PATH:/usr/sbin
. "$top/tests/lib/nginx.sh"
work=$(mktemp -d "${TMPDIR:-/tmp}/haul-scale.XXXXXX")
trap 'nginx_stop; rm -rf "$work" "$outdir/scale"' EXIT
NGINX_EXTRA=$(printf '        location /r1/ { alias "%s/"; limit_rate 1m; }\n' "$data")
export NGINX_EXTRA
nginx_start "$data" "$work/ngx" >/dev/null
base=http://127.0.0.1:$NGINX_PORT

# one FILE LOCATION GIB [HAUL OPTIONS]: prints "seconds cpu_s_per_gib rss_mib journal_bytes"
one() {
	file=$1 loc=$2 gib=$3
	shift 3
	rm -rf "$outdir/scale"
	mkdir "$outdir/scale"
	sync
	/usr/bin/time -o "$work/time" -f '%e %U %S %M' "$HAUL" -q --keep-journal "$@" \
		-o "$outdir/scale/f" "$base$loc$file" || { echo "bench: haul failed on $file" >&2; exit 1; }
	cmp -s "$outdir/scale/f" "$data/$file" || { echo "bench: wrong output for $file" >&2; exit 1; }
	j=$(stat -c %s "$outdir/scale/f.haul")
	read -r e u s m <"$work/time"
	echo "$e $u $s $m $j" | awk -v g="$gib" '{ printf "%.2f %.2f %.1f %d", $1, ($2 + $3) / g, $4 / 1024, $5 }'
}

stamp=$(date -u +%Y%m%d-%H%M%S)
md=$top/bench/results/scale-$stamp.md
mkdir -p "$top/bench/results"
{
	echo "# haul scale, $stamp"
	echo
	echo "$(uname -srm), $(nproc) cores; output to $outdir ($(df -PT "$outdir" | awk 'NR == 2 { print $2 }'))."
	echo
	echo "## Size (default options, unthrottled)"
	echo
	echo "| object | seconds | CPU s/GiB | peak RSS MiB | journal bytes at the end |"
	echo "| --- | --- | --- | --- | --- |"
	for f in 1g 4g 16g-sparse; do
		g=${f%%g*}
		set -- $(one "$f" /fast/ "$g")
		echo "| $f | $1 | $2 | $3 | $4 |"
	done
	echo
	echo "## Connections (1 GiB, unthrottled)"
	echo
	echo "| -n | seconds | CPU s/GiB | peak RSS MiB |"
	echo "| --- | --- | --- | --- |"
	for n in 1 8 64; do
		set -- $(one 1g /fast/ 1 -n $n)
		echo "| $n | $1 | $2 | $3 |"
	done
	echo
	echo "## 256 connections, 1 MiB/s each (1 GiB; ideal 4.0 s)"
	echo
	echo "| -n | seconds | ideal / seconds | CPU s/GiB | peak RSS MiB |"
	echo "| --- | --- | --- | --- | --- |"
	set -- $(one 1g /r1/ 1 -n 256)
	echo "| 256 | $1 | $(echo "$1" | awk '{ printf "%.2f", 4.0 / $1 }') | $2 | $3 |"
} >"$md"
cat "$md"
echo "bench: wrote $md" >&2
