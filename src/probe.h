/*
 * probe.h -- learn the object's size, identity and range support before
 * planning: HEAD (on --head-url when given), or when HEAD is refused, as it
 * is for URLs presigned for GET only, a "Range: bytes=0-0" GET. The HEAD
 * asks S3 for its checksums (x-amz-checksum-mode) where the URL allows.
 */
#ifndef HAUL_PROBE_H
#define HAUL_PROBE_H

#include <signal.h>
#include <stdint.h>

#include "digest.h"
#include "err.h"
#include "net.h"
#include "trust.h"

enum remote_ranges {
	RANGES_UNKNOWN = 0, /* not advertised: try, and check the first answer */
	RANGES_YES,         /* a 206 was seen, or Accept-Ranges: bytes */
	RANGES_NO,          /* Accept-Ranges: none, or a 200 to a ranged GET */
};

struct remote {
	uint64_t size;        /* valid when size_known */
	int size_known;
	int ranges;           /* enum remote_ranges */
	char *etag;           /* owned, NULL or malloced; well-formed only */
	char *last_modified;  /* owned, NULL or malloced */
	const char *method;   /* static: "HEAD" or "GET" (what told us) */
	struct claims claims; /* the backend, and the digests the headers announce */
};

void remote_init(struct remote *r);
void remote_release(struct remote *r);

/*
 * Probe url (and head_url, NULL when none). Returns 0 with r filled in,
 * HAUL_EHTTP when the server refuses the object, HAUL_ENET when it cannot
 * be reached, HAUL_EINTR when *stop was raised.
 */
int probe_run(struct net *n, const char *url, const char *head_url,
	      volatile sig_atomic_t *stop, struct remote *r, struct haul_error *err);

#endif
