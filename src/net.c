/*
 * net.c -- the common libcurl configuration.
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>

#include "header.h"
#include "net.h"
#include "url.h"

/*
 * Buffers: a receive buffer (CURLOPT_BUFFERSIZE) and a write stage per
 * connection. Big ones cut system calls per byte -- a recv and a pwrite
 * each -- but they are most of haul's memory: one budget is shared by the
 * connections in use, two thirds receive buffer and one third stage. On
 * loopback at 1.5 GB/s (bench/run.sh), 16 connections took 0.77 s per GiB
 * with 4 MiB, 0.68 s with 6 MiB and 0.67 s with 8 MiB; under a cap of
 * 25 MiB/s per connection even 1.5 MiB cost no speed.
 */
#define NET_BUFFER_BUDGET (6L * 1024 * 1024)
#define NET_BUFFER_MIN (16L * 1024)
#define NET_BUFFER_MAX (512L * 1024)
#define NET_STAGE_MAX (256L * 1024)

void net_buffers(unsigned conns, long *recv, size_t *stage)
{
	long per = NET_BUFFER_BUDGET / (long)(conns ? conns : 1);
	long r = per / 3 * 2 / NET_BUFFER_MIN * NET_BUFFER_MIN;
	long st = per / 3 / NET_BUFFER_MIN * NET_BUFFER_MIN;

	*recv = r < NET_BUFFER_MIN ? NET_BUFFER_MIN : r > NET_BUFFER_MAX ? NET_BUFFER_MAX : r;
	*stage = (size_t)(st < NET_BUFFER_MIN ? NET_BUFFER_MIN : st > NET_STAGE_MAX ? NET_STAGE_MAX : st);
}

static int add_header(struct net *n, const char *line)
{
	struct curl_slist *l = curl_slist_append(n->headers, line);

	if (!l)
		return -1;
	n->headers = l;
	return 0;
}

/*
 * --aws-sigv4: the payload hash, in x-PROVIDER2-content-sha256. libcurl
 * 7.88 signs with the one it finds there (the SHA-256 of an empty body
 * otherwise) but does not send it, and S3 refuses a request without it;
 * newer versions add it themselves for s3, and keep one that is there.
 * GET and HEAD have empty bodies, so the hash is that of nothing.
 */
static int sigv4_headers(struct net *n, const struct opts *o)
{
	const char *p = o->aws_sigv4, *colon = strchr(p, ':');
	size_t len;
	char line[128];

	if (colon) {
		p = colon + 1;
		colon = strchr(p, ':');
	}
	len = colon ? (size_t)(colon - p) : strlen(p);
	snprintf(line, sizeof(line), "x-%.*s-content-sha256", (int)(len < 64 ? len : 64), p);
	for (char *c = line; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	for (unsigned i = 0; i < o->nheaders; i++)
		if (strncasecmp(o->headers[i], line, strlen(line)) == 0 &&
		    o->headers[i][strlen(line)] == ':')
			return 0; /* the user's own */
	snprintf(line + strlen(line), sizeof(line) - strlen(line), ": %s",
		 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	return add_header(n, line);
}

/* AWS_SESSION_TOKEN goes with the key it belongs to, as a header (signed). */
static int token_header(struct net *n, const struct opts *o)
{
	static const char name[] = "x-amz-security-token: ";
	size_t len = sizeof(name) + strlen(o->aws_token);
	char *line = malloc(len);
	int r;

	if (!line)
		return -1;
	snprintf(line, len, "%s%s", name, o->aws_token);
	r = add_header(n, line);
	free(line);
	/* A credential libcurl would pass on to another host: no redirects. */
	if (!r && !n->secret) {
		n->secret = "x-amz-security-token";
		n->secret_via = "AWS_SESSION_TOKEN";
	}
	return r;
}

int net_init(struct net *n, const struct opts *o, struct haul_error *err)
{
	n->o = o;
	n->headers = NULL;
	n->secret = NULL;
	n->secret_via = "-H";
	n->multi = curl_multi_init();
	n->share = curl_share_init();
	if (!n->multi || !n->share) {
		net_release(n);
		return haul_error_set(err, HAUL_EFAIL, "out of memory");
	}
	/*
	 * Never multiplex: with --http2 each range must still get its own TCP
	 * connection, because servers cap throughput per connection.
	 */
	curl_multi_setopt(n->multi, CURLMOPT_PIPELINING, (long)CURLPIPE_NOTHING);
	/* Single-threaded: no lock callbacks needed. */
	curl_share_setopt(n->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
	curl_share_setopt(n->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
	for (unsigned i = 0; i < o->nheaders; i++) {
		if (add_header(n, o->headers[i])) {
			net_release(n);
			return haul_error_set(err, HAUL_EFAIL, "out of memory");
		}
		/*
		 * libcurl keeps Authorization and Cookie to the first host on
		 * a redirect, but sends any other header everywhere: with
		 * such a credential, haul follows no redirect at all.
		 */
		if (!n->secret && header_is_secret(o->headers[i]) &&
		    !header_curl_guards(o->headers[i]))
			n->secret = o->headers[i];
	}
	if ((o->aws_sigv4 && sigv4_headers(n, o)) || (o->aws_token && token_header(n, o))) {
		net_release(n);
		return haul_error_set(err, HAUL_EFAIL, "out of memory");
	}
	return 0;
}

struct curl_slist *net_headers_with(const struct net *n, const char *extra)
{
	struct curl_slist *l = NULL, *t;

	for (const struct curl_slist *h = n->headers; h; h = h->next) {
		t = curl_slist_append(l, h->data);
		if (!t)
			goto fail;
		l = t;
	}
	if (extra) {
		t = curl_slist_append(l, extra);
		if (!t)
			goto fail;
		l = t;
	}
	return l;
fail:
	curl_slist_free_all(l);
	return NULL;
}

void net_release(struct net *n)
{
	if (n->multi)
		curl_multi_cleanup(n->multi);
	if (n->share)
		curl_share_cleanup(n->share);
	curl_slist_free_all(n->headers);
	n->multi = NULL;
	n->share = NULL;
	n->headers = NULL;
	n->secret = NULL;
}

int net_perform(struct net *n, CURL *e, volatile sig_atomic_t *stop)
{
	CURLM *multi = n->busy ? curl_multi_init() : n->multi;
	CURLMsg *m;
	int running = 1, left, result = CURLE_OK, done = 0;

	if (!multi || curl_multi_add_handle(multi, e) != CURLM_OK) {
		if (multi && multi != n->multi)
			curl_multi_cleanup(multi);
		return CURLE_OUT_OF_MEMORY;
	}
	while (!done) {
		if (stop && *stop) {
			result = CURLE_ABORTED_BY_CALLBACK;
			break;
		}
		if (curl_multi_perform(multi, &running) != CURLM_OK) {
			result = CURLE_OUT_OF_MEMORY;
			break;
		}
		while ((m = curl_multi_info_read(multi, &left))) {
			if (m->msg == CURLMSG_DONE && m->easy_handle == e) {
				result = (int)m->data.result;
				done = 1;
			}
		}
		if (!done)
			curl_multi_poll(multi, NULL, 0, 200, NULL);
	}
	curl_multi_remove_handle(multi, e);
	if (multi != n->multi)
		curl_multi_cleanup(multi);
	return result;
}

/*
 * The user's credentials for the object's host. libcurl sends --user (and
 * signs with it) only to the host of the first URL: on a redirect to
 * another host it sends nothing, as CURLOPT_UNRESTRICTED_AUTH is left off.
 * netrc credentials are looked up for each host anew.
 */
static void net_credentials(const struct net *n, CURL *e)
{
	if (n->o->netrc) {
		curl_easy_setopt(e, CURLOPT_NETRC, (long)CURL_NETRC_OPTIONAL);
		if (n->o->netrc_file)
			curl_easy_setopt(e, CURLOPT_NETRC_FILE, n->o->netrc_file);
	}
	if (n->o->user)
		curl_easy_setopt(e, CURLOPT_USERPWD, n->o->user);
	/* libcurl's own signing (it also sets CURLOPT_HTTPAUTH to SigV4). */
	if (n->o->aws_sigv4)
		curl_easy_setopt(e, CURLOPT_AWS_SIGV4, n->o->aws_sigv4);
	curl_easy_setopt(e, CURLOPT_UNRESTRICTED_AUTH, 0L);
}

void net_no_credentials(CURL *e)
{
	curl_easy_setopt(e, CURLOPT_NETRC, (long)CURL_NETRC_IGNORED);
	curl_easy_setopt(e, CURLOPT_USERPWD, NULL);
	curl_easy_setopt(e, CURLOPT_AWS_SIGV4, NULL);
	curl_easy_setopt(e, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
}

void net_max_speed(const struct net *n, CURL *e, unsigned conns, long *bufsize)
{
	curl_off_t share;

	if (!n->o->max_speed) {
		curl_easy_setopt(e, CURLOPT_MAX_RECV_SPEED_LARGE, (curl_off_t)0);
		return;
	}
	share = (curl_off_t)(n->o->max_speed / (conns ? conns : 1));
	share = share ? share : 1;
	curl_easy_setopt(e, CURLOPT_MAX_RECV_SPEED_LARGE, share);
	/*
	 * libcurl 7.88 checks the cap only between bursts of up to 101 reads
	 * of a buffer each (while the socket stays readable): on a fast link,
	 * big buffers would fetch whole ranges before the cap is looked at.
	 * A burst of half a second's worth at most (but libcurl's minimum
	 * buffer of 1 KiB); at a capped speed small reads cost little.
	 */
	if (*bufsize > share / 202)
		*bufsize = share / 202 < 1024 ? 1024 : (long)(share / 202);
}

/* Whether libcurl may send url to a proxy (a guess on the safe side). */
static int maybe_proxied(const struct opts *o, const char *url)
{
	static const char *const vars[] = { "all_proxy", "ALL_PROXY", "https_proxy",
					    "HTTPS_PROXY", "http_proxy" };

	if (o->proxy)
		return *o->proxy != '\0'; /* "" turns proxies off */
	for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {
		const char *v = getenv(vars[i]);

		/* libcurl reads only the lower case http_proxy for http://. */
		if (v && *v && (strncasecmp(url, "https:", 6) == 0 || (i != 2 && i != 3)))
			return 1;
	}
	return 0;
}

int net_check_family(const struct net *n, const char *url, const char *what,
		     struct haul_error *err)
{
	int want = n->o->ipv4 ? 4 : n->o->ipv6 ? 6 : 0, got;

	if (!want || maybe_proxied(n->o, url))
		return 0;
	got = url_host_family(url);
	if (got && got != want)
		return haul_error_set(err, HAUL_EUSAGE, "%s names an IPv%d address, which "
				      "--ipv%d cannot reach", what, got, want);
	return 0;
}

CURL *net_easy(const struct net *n)
{
	CURL *e = curl_easy_init();

	if (!e)
		return NULL;
	curl_easy_setopt(e, CURLOPT_SHARE, n->share);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, n->secret ? 0L : 1L);
	if (n->headers)
		curl_easy_setopt(e, CURLOPT_HTTPHEADER, n->headers);
	curl_easy_setopt(e, CURLOPT_MAXREDIRS, 10L);
	curl_easy_setopt(e, CURLOPT_USERAGENT,
			 n->o->user_agent ? n->o->user_agent : PACKAGE_NAME "/" PACKAGE_VERSION);
	/* Without one, libcurl reads http_proxy, https_proxy and no_proxy. */
	if (n->o->proxy)
		curl_easy_setopt(e, CURLOPT_PROXY, n->o->proxy);
	if (n->o->ipv4 || n->o->ipv6)
		curl_easy_setopt(e, CURLOPT_IPRESOLVE,
				 n->o->ipv4 ? (long)CURL_IPRESOLVE_V4 : (long)CURL_IPRESOLVE_V6);
	net_credentials(n, e);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)n->o->connect_ms);
	/* A stalled transfer (no byte for stall_ms) fails and is asked again
	 * from where it stopped. */
	curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, (long)((n->o->stall_ms + 999) / 1000));
	if (n->o->insecure) {
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	if (n->o->cacert)
		curl_easy_setopt(e, CURLOPT_CAINFO, n->o->cacert);
	curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
	/*
	 * HTTP/1.1 unless asked: object stores cap each TCP connection, and
	 * HTTP/2 would put every range on one connection. With --http2 the
	 * multi handle is told not to multiplex (see fetch.c).
	 */
	curl_easy_setopt(e, CURLOPT_HTTP_VERSION,
			 n->o->http2 ? (long)CURL_HTTP_VERSION_2TLS : (long)CURL_HTTP_VERSION_1_1);
	return e;
}

const char *net_header(CURL *e, const char *name)
{
	struct curl_header *h;

	if (curl_easy_header(e, name, 0, CURLH_HEADER, -1, &h) != CURLHE_OK)
		return NULL;
	return h->value;
}

uint64_t net_unread(CURL *e)
{
	curl_socket_t fd = CURL_SOCKET_BAD;
	int queued = 0;

	if (curl_easy_getinfo(e, CURLINFO_ACTIVESOCKET, &fd) != CURLE_OK || fd == CURL_SOCKET_BAD ||
	    ioctl(fd, FIONREAD, &queued) != 0 || queued < 0)
		return 0;
	return (uint64_t)queued;
}
