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
	long buffer_size;      /* CURLOPT_BUFFERSIZE for transfers */
	int busy;              /* the transfer loop runs on multi */
};

int net_init(struct net *n, const struct opts *o, struct haul_error *err);
void net_release(struct net *n);

/*
 * A new easy handle with haul's common options set. Returns NULL when out
 * of memory. The caller owns it (curl_easy_cleanup).
 */
CURL *net_easy(const struct net *n);

/*
 * Run one transfer to its end and return its CURLcode: on the shared multi
 * handle (so its connection can be reused), or on a private one while the
 * transfer loop runs there (a probe of a refreshed URL must not consume the
 * loop's messages). Stops early with CURLE_ABORTED_BY_CALLBACK when *stop
 * becomes non-zero.
 */
int net_perform(struct net *n, CURL *e, volatile sig_atomic_t *stop);

/*
 * Read one response header of the last response (after redirects) into
 * a borrowed pointer valid until the next transfer on e, or NULL.
 */
const char *net_header(CURL *e, const char *name);

#endif
