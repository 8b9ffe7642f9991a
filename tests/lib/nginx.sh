# nginx.sh -- run a private nginx on 127.0.0.1 (sourced, POSIX sh).
#
# Used by the integration tests, tools/demo and the benchmarks. Everything
# the server writes -- configuration, pid file, logs, temporary files -- stays
# inside one work directory; /etc/nginx, /var/log/nginx and /run are never
# touched, and the system's nginx (if any) is left alone.
#
#   nginx_start ROOT_DIR WORK_DIR [LIMIT_RATE]
#       Serve ROOT_DIR on http://127.0.0.1:$NGINX_PORT/. With LIMIT_RATE
#       (nginx size syntax: 512k, 8m, ...) each connection to "/" is capped
#       at that many bytes per second; "/fast/" serves the same files with
#       no cap. Picks a random free port in 20000-60000. Exports NGINX_PORT
#       and NGINX_WORK; returns 0, or prints one line to stderr (followed by
#       the tail of the error log when there is one) and returns 1.
#   nginx_stop
#       Stop the server started last (TERM, then KILL); safe to call twice.
#   nginx_requests [URI_PREFIX]
#       Number of requests in the access log, or of those whose URI starts
#       with URI_PREFIX.
#   nginx_connections [URI_PREFIX]
#       Number of distinct connections those requests came over.
#
# Access log ($NGINX_WORK/access.log), one request per line:
#   $connection $request_method $uri "$http_range" $status $body_bytes_sent
# e.g.  3 GET /fast/f.bin "bytes=0-1048575" 206 1048576
# An absent Range header is logged as "-". Requests still in flight are not
# in the log yet: nginx writes a line when a request finishes.
#
# For the benchmarks: $NGINX_MODULES, a list of module files (.so) to load,
# and $NGINX_EXTRA, configuration text added inside the server block (more
# locations), both empty by default.
#
# The nginx binary is $NGINX_BIN if set, else nginx from $PATH, else
# /usr/sbin/nginx. Internal names start with _ngx_ so that sourcing this
# file does not clobber the caller's variables; safe under set -eu.

NGINX_PORT=${NGINX_PORT:-}
NGINX_WORK=${NGINX_WORK:-}

_ngx_err() { printf 'nginx.sh: %s\n' "$*" >&2; }

# _ngx_fail MESSAGE: one line, then the last lines of what nginx said.
_ngx_fail() {
	_ngx_err "$*"
	if [ -s "$_ngx_work/error.log" ]; then
		echo "  last lines of $_ngx_work/error.log:" >&2
		tail -n 5 "$_ngx_work/error.log" | sed 's/^/    /' >&2
	elif [ -s "$_ngx_work/nginx.out" ]; then
		tail -n 5 "$_ngx_work/nginx.out" | sed 's/^/    /' >&2
	fi
	return 0
}

_ngx_find_bin() {
	if [ -n "${NGINX_BIN:-}" ]; then
		_ngx_bin=$NGINX_BIN
	elif _ngx_bin=$(command -v nginx 2>/dev/null) && [ -n "$_ngx_bin" ]; then
		:
	else
		_ngx_bin=/usr/sbin/nginx
	fi
	[ -x "$_ngx_bin" ]
}

# _ngx_random_port: a number in 20000..60000 (dash has no $RANDOM).
_ngx_random_port() {
	_ngx_r=$(od -An -N4 -tu4 /dev/urandom 2>/dev/null | tr -d ' \n')
	case $_ngx_r in '' | *[!0-9]*) _ngx_r=$$$(date +%N 2>/dev/null | tr -dc 0-9) ;; esac
	echo $((20000 + _ngx_r % 40001))
}

# _ngx_port_busy PORT: true when some socket (other than one in TIME_WAIT)
# already uses PORT locally. A cheap pre-check: a failed bind() costs nginx
# about 2.5 s of retries before it gives up.
_ngx_port_busy() {
	_ngx_hex=$(printf '%04X' "$1")
	cat /proc/net/tcp /proc/net/tcp6 2>/dev/null |
		awk -v p=":$_ngx_hex" 'substr($2, length($2) - 4) == p && $4 != "06" { f = 1 } END { exit !f }'
}

# _ngx_alive PID: the process exists and is not a zombie (a daemonized
# master is reparented to PID 1, which in a container may never reap it).
_ngx_alive() {
	kill -0 "$1" 2>/dev/null || return 1
	if [ -r "/proc/$1/stat" ]; then
		_ngx_st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)
		[ "$_ngx_st" != Z ] || return 1
	fi
	return 0
}

# _ngx_children PID: pids of PID's children (nginx's workers).
_ngx_children() {
	for _ngx_f in /proc/[0-9]*/stat; do
		_ngx_pp=$(sed 's/.*) //' "$_ngx_f" 2>/dev/null | cut -d' ' -f2)
		[ "$_ngx_pp" = "$1" ] && echo "${_ngx_f#/proc/}" | cut -d/ -f1
	done
	return 0
}

# _ngx_ready PORT: the server answers HTTP (needs curl), or at least has a
# listening socket on PORT.
_ngx_ready() {
	if command -v curl >/dev/null 2>&1; then
		_ngx_code=$(curl -s -o /dev/null -m 1 -w '%{http_code}' \
			"http://127.0.0.1:$1/__nginx_sh_ready__" 2>/dev/null) || true
		[ "$_ngx_code" = 204 ]
	else
		_ngx_hex=$(printf '%04X' "$1")
		awk -v p=":$_ngx_hex" 'substr($2, length($2) - 4) == p && $4 == "0A" { f = 1 } END { exit !f }' \
			/proc/net/tcp
	fi
}

# _ngx_safe_path WHAT PATH: refuse what nginx's parser would mangle.
_ngx_safe_path() {
	case $2 in
	*[\"\\\$]* | *'
'*)
		_ngx_err "$1 '$2' contains a character nginx.conf cannot hold (\" \\ \$ or newline)"
		return 1 ;;
	esac
	return 0
}

# _ngx_write_conf PORT: WORK/nginx.conf for this try.
_ngx_write_conf() {
	{
		echo "# Written by tests/lib/nginx.sh -- private nginx, all state in this directory."
		echo "daemon on;"
		echo "master_process on;"
		echo "worker_processes 2;"
		# As root the workers would otherwise run as nobody, who may not
		# read a 0700 mktemp directory. Elsewhere the directive is moot.
		[ "$(id -u)" -eq 0 ] && echo "user root;"
		for _ngx_mod in ${NGINX_MODULES:-}; do
			echo "load_module \"$_ngx_mod\";"
		done
		echo "pid \"$_ngx_work/nginx.pid\";"
		echo "error_log \"$_ngx_work/error.log\" warn;"
		[ "$_ngx_nofile" -ge 4096 ] 2>/dev/null && echo "worker_rlimit_nofile 4096;"
		echo ""
		echo "events {"
		echo "    worker_connections 1024;"
		echo "}"
		echo ""
		echo "http {"
		echo "    types { }"
		echo "    default_type application/octet-stream;"
		echo "    sendfile on;"
		echo "    tcp_nopush on;"
		echo "    server_tokens off;"
		echo "    keepalive_timeout 65s;"
		echo "    keepalive_requests 10000;"
		echo "    log_format haul '\$connection \$request_method \$uri \"\$http_range\" \$status \$body_bytes_sent';"
		echo "    access_log \"$_ngx_work/access.log\" haul;"
		echo "    client_body_temp_path \"$_ngx_work/tmp/client_body\";"
		for _ngx_m in proxy fastcgi uwsgi scgi; do
			case $_ngx_V in *"--without-http_${_ngx_m}_module"*) continue ;; esac
			echo "    ${_ngx_m}_temp_path \"$_ngx_work/tmp/$_ngx_m\";"
		done
		echo ""
		echo "    server {"
		echo "        listen 127.0.0.1:$1;"
		echo "        server_name localhost;"
		echo "        root \"$_ngx_root\";"
		echo ""
		echo "        location / {"
		if [ -n "$_ngx_rate" ]; then
			echo "            limit_rate $_ngx_rate;"
		fi
		echo "        }"
		echo "        # The same files, never capped."
		echo "        location /fast/ {"
		echo "            alias \"$_ngx_root/\";"
		echo "            limit_rate 0;"
		echo "        }"
		[ -n "${NGINX_EXTRA:-}" ] && printf '%s\n' "$NGINX_EXTRA"
		echo "        # Polled by nginx_start; kept out of the access log."
		echo "        location = /__nginx_sh_ready__ {"
		echo "            access_log off;"
		echo "            return 204;"
		echo "        }"
		echo "    }"
		echo "}"
	} >"$_ngx_work/nginx.conf"
}

nginx_start() {
	if [ $# -lt 2 ] || [ $# -gt 3 ]; then
		_ngx_err "usage: nginx_start ROOT_DIR WORK_DIR [LIMIT_RATE]"
		return 1
	fi
	_ngx_rate=${3:-}
	case $_ngx_rate in
	'') ;;
	*[!0-9kKmM]* | [!0-9]* | *[kKmM]?*)
		_ngx_err "bad LIMIT_RATE '$_ngx_rate' (want bytes per second in nginx size syntax, e.g. 512k or 8m)"
		return 1 ;;
	esac
	if [ ! -d "$1" ]; then
		_ngx_err "ROOT_DIR '$1' is not a directory"
		return 1
	fi
	_ngx_root=$(cd "$1" && pwd) || return 1
	if ! mkdir -p "$2" 2>/dev/null || ! _ngx_work=$(cd "$2" && pwd); then
		_ngx_err "cannot create WORK_DIR '$2'"
		return 1
	fi
	_ngx_safe_path ROOT_DIR "$_ngx_root" || return 1
	_ngx_safe_path WORK_DIR "$_ngx_work" || return 1
	if ! _ngx_find_bin; then
		_ngx_err "nginx not found (looked in \$NGINX_BIN, \$PATH and /usr/sbin); install it: apt-get install nginx-light"
		return 1
	fi
	if [ -s "$_ngx_work/nginx.pid" ] && _ngx_alive "$(cat "$_ngx_work/nginx.pid")"; then
		_ngx_err "an nginx already runs from $_ngx_work (pid $(cat "$_ngx_work/nginx.pid")); call nginx_stop first"
		return 1
	fi
	_ngx_V=$("$_ngx_bin" -V 2>&1) || true
	# ulimit -H is not POSIX, but dash, bash and busybox sh all have it.
	# shellcheck disable=SC3045
	_ngx_nofile=$(ulimit -Hn 2>/dev/null) || _ngx_nofile=0
	[ "$_ngx_nofile" = unlimited ] && _ngx_nofile=1048576
	mkdir -p "$_ngx_work/tmp" || return 1
	rm -f "$_ngx_work/nginx.pid" "$_ngx_work/nginx.out"

	_ngx_try=0
	_ngx_port=
	while [ "$_ngx_try" -lt 20 ]; do
		_ngx_try=$((_ngx_try + 1))
		_ngx_port=$(_ngx_random_port)
		_ngx_port_busy "$_ngx_port" && continue
		_ngx_write_conf "$_ngx_port" || return 1
		if "$_ngx_bin" -p "$_ngx_work/" -c "$_ngx_work/nginx.conf" -e "$_ngx_work/error.log" \
			</dev/null >"$_ngx_work/nginx.out" 2>&1; then
			break
		fi
		if grep -q 'Address already in use' "$_ngx_work/nginx.out" 2>/dev/null; then
			_ngx_port=
			continue
		fi
		_ngx_fail "nginx failed to start (config $_ngx_work/nginx.conf)"
		return 1
	done
	if [ -z "$_ngx_port" ]; then
		_ngx_fail "nginx found no free port in 20000-60000 after $_ngx_try tries"
		return 1
	fi

	# The parent returns once the sockets are bound; the daemonized master
	# writes the pid file and starts the workers just after.
	_ngx_i=0
	while :; do
		if [ -s "$_ngx_work/nginx.pid" ] && _ngx_ready "$_ngx_port"; then
			break
		fi
		_ngx_i=$((_ngx_i + 1))
		if [ "$_ngx_i" -gt 100 ]; then
			NGINX_WORK=$_ngx_work
			nginx_stop
			_ngx_fail "nginx started but did not answer on 127.0.0.1:$_ngx_port within 5 s"
			return 1
		fi
		sleep 0.05
	done
	NGINX_PORT=$_ngx_port
	NGINX_WORK=$_ngx_work
	export NGINX_PORT NGINX_WORK
	return 0
}

nginx_stop() {
	[ -n "${NGINX_WORK:-}" ] || return 0
	_ngx_pidf=$NGINX_WORK/nginx.pid
	[ -s "$_ngx_pidf" ] || return 0
	_ngx_pid=$(tr -dc 0-9 <"$_ngx_pidf" 2>/dev/null) || _ngx_pid=
	if [ -z "$_ngx_pid" ] || ! _ngx_alive "$_ngx_pid"; then
		rm -f "$_ngx_pidf"
		return 0
	fi
	_ngx_kids=$(_ngx_children "$_ngx_pid")
	kill -TERM "$_ngx_pid" 2>/dev/null || true
	_ngx_i=0
	while _ngx_alive "$_ngx_pid" && [ "$_ngx_i" -lt 100 ]; do
		sleep 0.05
		_ngx_i=$((_ngx_i + 1))
	done
	if _ngx_alive "$_ngx_pid"; then
		_ngx_err "nginx (pid $_ngx_pid) ignored TERM for 5 s; killing it"
		kill -KILL "$_ngx_pid" 2>/dev/null || true
	fi
	# The master reaps its workers on TERM; after a KILL they would linger.
	for _ngx_k in $_ngx_kids; do
		_ngx_alive "$_ngx_k" && kill -KILL "$_ngx_k" 2>/dev/null
	done
	_ngx_i=0
	while [ "$_ngx_i" -lt 40 ]; do
		_ngx_left=
		for _ngx_k in $_ngx_pid $_ngx_kids; do
			_ngx_alive "$_ngx_k" && _ngx_left=1
		done
		[ -z "$_ngx_left" ] && break
		sleep 0.05
		_ngx_i=$((_ngx_i + 1))
	done
	rm -f "$_ngx_pidf"
	return 0
}

# _ngx_count WHAT [URI_PREFIX]: WHAT is requests or connections.
_ngx_count() {
	_ngx_log=${NGINX_WORK:-.}/access.log
	if [ -z "${NGINX_WORK:-}" ] || [ ! -f "$_ngx_log" ]; then
		echo 0
		return 0
	fi
	_NGX_WHAT=$1 _NGX_PREFIX=${2:-} awk '
		BEGIN { p = ENVIRON["_NGX_PREFIX"]; c = (ENVIRON["_NGX_WHAT"] == "connections") }
		p == "" || index($3, p) == 1 {
			if (!c) n++
			else if (!($1 in seen)) { seen[$1] = 1; n++ }
		}
		END { print n + 0 }' "$_ngx_log"
}

nginx_requests() { _ngx_count requests "${1:-}"; }
nginx_connections() { _ngx_count connections "${1:-}"; }
