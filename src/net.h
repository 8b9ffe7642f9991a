/*
 * net.h -- libcurl set-up shared by every request haul makes: one multi
 * handle (so the probe's connection is reused by the first range), one share
 * handle (DNS cache, TLS sessions) and the easy-handle options every request
 * gets (protocols, redirects, HTTP version, buffers).
 */
#ifndef HAUL_NET_H
#define HAUL_NET_H

#include <signal.h>

#include <curl/curl.h>

#include "err.h"
#include "opts.h"

struct net {
	CURLM *multi;          /* owned: every transfer runs here */
	CURLSH *share;         /* owned */
	const struct opts *o;  /* borrowed from the caller */
	struct curl_slist *headers; /* owned: the user's -H lines, or NULL */
	const char *secret;    /* borrowed: a -H credential libcurl would pass on
			        * to another host on a redirect, or NULL; then
			        * redirects are not followed at all */
	const char *secret_via; /* static: where secret came from, "-H" or a variable */
	int busy;              /* the transfer loop runs on multi */
};

int net_init(struct net *n, const struct opts *o, struct haul_error *err);
void net_release(struct net *n);

/*
 * The receive buffer (CURLOPT_BUFFERSIZE) and write stage sizes for each
 * of conns connections at once: shares of one memory budget.
 */
void net_buffers(unsigned conns, long *recv, size_t *stage);

/*
 * A new easy handle with haul's common options set. Returns NULL when out
 * of memory. The caller owns it (curl_easy_cleanup).
 */
CURL *net_easy(const struct net *n);

/*
 * Cap e's next transfer at its share of --max-speed when conns connections
 * of the download may run at once (or lift the cap), and lower *bufsize,
 * the receive buffer it is to get, so that libcurl paces it smoothly.
 */
void net_max_speed(const struct net *n, CURL *e, unsigned conns, long *bufsize);

/*
 * Take the user's credentials (--user, --aws-sigv4, --netrc) off a handle
 * from net_easy(), for requests to a result API, which get their own key.
 */
void net_no_credentials(CURL *e);

/*
 * With --ipv4 or --ipv6: HAUL_EUSAGE when url's host is an address of the
 * other family, which could never be reached (unless a proxy, which
 * resolves it instead, may be in the way). what names the URL.
 */
int net_check_family(const struct net *n, const char *url, const char *what,
		     struct haul_error *err);

/*
 * Run one transfer to its end and return its CURLcode: on the shared multi
 * handle (so its connection can be reused), or on a private one while the
 * transfer loop runs there (a probe of a refreshed URL must not consume the
 * loop's messages). Stops early with CURLE_ABORTED_BY_CALLBACK when *stop
 * becomes non-zero.
 */
int net_perform(struct net *n, CURL *e, volatile sig_atomic_t *stop);

/*
 * A copy of the user's headers with one more line appended (when extra is
 * not NULL), for a transfer that needs its own. NULL when out of memory
 * (or when there is nothing to send). The caller owns it.
 */
struct curl_slist *net_headers_with(const struct net *n, const char *extra);

/*
 * Read one response header of the last response (after redirects) into
 * a borrowed pointer valid until the next transfer on e, or NULL.
 */
const char *net_header(CURL *e, const char *name);

/*
 * Bytes that reached this host on e's connection and were not read yet
 * (the socket's receive queue): what a transfer stopped now throws away
 * besides what libcurl holds. 0 when unknown.
 */
uint64_t net_unread(CURL *e);

#endif
