#!/bin/sh
# bench/connections.sh -- how haul's speed depends on -n, to pick the default.
# Starts a private nginx (tests/lib/nginx.sh) serving a random file, and
# downloads it with haul -n N for each N, against an uncapped location and one
# capping each connection (like an object store), interleaving the runs.
#
#   bench/connections.sh [SIZE_MIB] [CAP] [REPS] [N...]
#   defaults: 512 MiB, 25m per connection, 3 repetitions, N = 1 2 4 8 16 32
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
HAUL=${HAUL:-$top/src/haul}
size=${1:-512}
cap=${2:-25m}
reps=${3:-3}
shift $(( $# > 3 ? 3 : $# ))
ns=${*:-1 2 4 8 16 32}
PATH=$PATH:/usr/sbin
. "$top/tests/lib/nginx.sh"

w=$(mktemp -d "${TMPDIR:-/tmp}/haul-bench.XXXXXX")
trap 'nginx_stop; rm -rf "$w"' EXIT
mkdir "$w/root" "$w/ngx" "$w/out"
head -c $((size * 1048576)) /dev/urandom >"$w/root/f.bin"
nginx_start "$w/root" "$w/ngx" "$cap" >/dev/null
base=http://127.0.0.1:$NGINX_PORT

# one LOCATION N: seconds for one download.
one() {
	rm -f "$w/out/f"
	t0=$(date +%s.%N)
	"$HAUL" -q -n "$2" -o "$w/out/f" "$base$1f.bin"
	t1=$(date +%s.%N)
	cmp -s "$w/out/f" "$w/root/f.bin" || { echo "bench: output differs" >&2; exit 1; }
	echo "$t0 $t1" | awk '{ printf "%.3f", $2 - $1 }'
}

for loc in /fast/ /; do
	for r in $(seq "$reps"); do
		for n in $ns; do
			echo "$loc $n $(one "$loc" "$n")"
		done
	done
done >"$w/times"

echo "# haul -n N, $size MiB, median of $reps runs (MiB/s); capped = $cap per connection"
printf '| N | uncapped | capped |\n| --- | --- | --- |\n'
for n in $ns; do
	med() {
		awk -v l="$1" -v n="$n" '$1 == l && $2 == n { print $3 }' "$w/times" | sort -n |
			awk -v s="$size" '{ v[NR] = $1 } END { printf "%.0f", s / v[int((NR + 1) / 2)] }'
	}
	printf '| %s | %s | %s |\n' "$n" "$(med /fast/)" "$(med /)"
done
