/*
 * loop.h -- what the one transfer loop dispatches to. Every easy handle on
 * the shared multi handle -- a connection slot's request, a probe, a result
 * API call -- has a struct xfer as its CURLOPT_PRIVATE; when libcurl says
 * the transfer ended, the loop takes it out of the multi handle and calls
 * its done. Nothing is ever waited for inside a callback: callbacks record,
 * the loop acts.
 */
#ifndef HAUL_LOOP_H
#define HAUL_LOOP_H

#include <curl/curl.h>

struct xfer {
	/* The transfer ended with this CURLcode; its handle is out of the
	 * multi handle already. Runs in the loop thread. */
	void (*done)(struct xfer *x, int code);
};

/* Add e (whose CURLOPT_PRIVATE is x) to multi. 0, or -1. */
int xfer_add(CURLM *multi, CURL *e, struct xfer *x);

/*
 * Hand every finished transfer of multi to its xfer's done. Returns how
 * many ended.
 */
unsigned xfer_dispatch(CURLM *multi);

#endif
