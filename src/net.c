/*
 * net.c -- the common libcurl configuration.
 */
#include "config.h"

#include "header.h"
#include "net.h"

/*
 * Receive buffers: big ones cut the number of callbacks (and pwrite calls)
 * per byte, but each connection has one. Spend about 8 MiB over all
 * connections, within libcurl's limits.
 */
#define NET_BUFFER_BUDGET (8L * 1024 * 1024)
#define NET_BUFFER_MIN (16L * 1024)
#define NET_BUFFER_MAX (512L * 1024)

int net_init(struct net *n, const struct opts *o, struct haul_error *err)
{
	long per;

	n->o = o;
	n->headers = NULL;
	n->secret = NULL;
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
	per = NET_BUFFER_BUDGET / (long)(o->connections ? o->connections : 1);
	if (per < NET_BUFFER_MIN)
		per = NET_BUFFER_MIN;
	if (per > NET_BUFFER_MAX)
		per = NET_BUFFER_MAX;
	n->buffer_size = per;
	for (unsigned i = 0; i < o->nheaders; i++) {
		struct curl_slist *l = curl_slist_append(n->headers, o->headers[i]);

		if (!l) {
			net_release(n);
			return haul_error_set(err, HAUL_EFAIL, "out of memory");
		}
		n->headers = l;
		/*
		 * libcurl keeps Authorization and Cookie to the first host on
		 * a redirect, but sends any other header everywhere: with
		 * such a credential, haul follows no redirect at all.
		 */
		if (!n->secret && header_is_secret(o->headers[i]) &&
		    !header_curl_guards(o->headers[i]))
			n->secret = o->headers[i];
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
	curl_easy_setopt(e, CURLOPT_USERAGENT, PACKAGE_NAME "/" PACKAGE_VERSION);
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
	curl_easy_setopt(e, CURLOPT_BUFFERSIZE, n->buffer_size);
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
