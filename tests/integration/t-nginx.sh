#!/bin/sh
# A real server: nginx from Debian, started by the test on 127.0.0.1 with its
# own configuration, serves a file that haul fetches byte-identically over
# several connections; with a per-connection cap, haul uses them all at once.
. "$HAUL_SRCDIR/tests/lib/common.sh"
. "$HAUL_SRCDIR/tests/lib/nginx.sh"

command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || skip_all "nginx is not installed"
PATH=$PATH:/usr/sbin

mkdir "$T/root" "$T/out" "$T/ngx"
mkdata "$T/root/f.bin" 33554433
nginx_start "$T/root" "$T/ngx" 4m || bail "nginx did not start"
base=http://127.0.0.1:$NGINX_PORT

run_haul -q -n 8 -o "$T/out/fast" "$base/fast/f.bin"
is "$rc" 0 "nginx, unthrottled, 8 connections: exit 0"
same "$T/out/fast" "$T/root/f.bin" "... byte-identical (32 MiB + 1)"
is "$(grep -c ' HEAD /fast/f.bin ' "$NGINX_WORK/access.log")" 0 "... no HEAD: the first range was the probe"
is "$(grep ' GET /fast/f.bin ' "$NGINX_WORK/access.log" | grep -c '"bytes=0-1048575" 206 1048576$')" 1 \
	"... a first range of one MiB, all of it kept"
n206=$(grep ' GET /fast/f.bin ' "$NGINX_WORK/access.log" | grep -c ' 206 ')
test "$n206" -ge 8
ok $? "... and $n206 range requests answered 206"

run_haul -q -n 8 -o "$T/out/capped" "$base/f.bin"
is "$rc" 0 "nginx capping each connection at 4 MiB/s, 8 connections: exit 0"
same "$T/out/capped" "$T/root/f.bin" "... byte-identical"
c=$(grep ' /f.bin ' "$NGINX_WORK/access.log" | grep ' 206 ' | awk '{ print $1 }' | sort -u | wc -l)
test "$c" -ge 8
ok $? "... 206 answers came over $c distinct connections"

tap_done
