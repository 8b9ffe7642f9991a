/*
 * probe.h -- learn an object's size, identity and range support.
 *
 * Most downloads need no probe of their own: their first range request is
 * the probe (fetch.c asks the owner what its answer means, and
 * remote_from_answer reads it). A probe proper is a HEAD (on --head-url when
 * given, asking S3 for its checksums where the URL allows), or when HEAD is
 * refused, as it is for URLs presigned for GET only, a "Range: bytes=0-0"
 * GET. It is used where there is nothing to fetch yet: a HEAD URL, and a
 * renewed URL that must be the same object. It runs on the loop's multi
 * handle like any transfer (probe_start, probe_tick), or to its end
 * (probe_run, for -o -).
 */
#ifndef HAUL_PROBE_H
#define HAUL_PROBE_H

#include <signal.h>
#include <stdint.h>

#include "digest.h"
#include "err.h"
#include "loop.h"
#include "net.h"
#include "trust.h"
#include "url.h"

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
	double wait_ms;       /* how long the answer took once the request was
			       * sent (no connecting); 0: not measured */
};

void remote_init(struct remote *r);
void remote_release(struct remote *r);

/*
 * Fill r from the answer on e (to url) with this status: 206 (a range;
 * its Content-Range gives the size), 200 (the whole object, no ranges),
 * 416 with "bytes * /0" (an empty object) or a 2xx to HEAD (head). 0, or
 * HAUL_ENET when the answer makes no sense (a 206 without a usable
 * Content-Range), HAUL_EFAIL out of memory.
 */
int remote_from_answer(const struct net *n, CURL *e, const char *url, long status, int head,
		       struct remote *r, struct haul_error *err);

/* What a probe's body callback saw. */
struct probe_sink {
	CURL *e;       /* borrowed */
	long status;   /* 0 until the first body byte */
	int stopped;   /* we aborted a 200: the server is sending everything */
	int hostile;   /* we aborted: an impossible Content-Length */
	size_t len;    /* bytes of an error answer kept in body */
	char body[2048];
};

struct probe {
	struct xfer x;              /* first: the transfer's CURLOPT_PRIVATE */
	struct net *net;            /* borrowed */
	const struct url *url;      /* borrowed: kept alive by the owner */
	const struct url *head_url; /* borrowed, NULL: none */
	struct remote *r;           /* borrowed: filled in */
	void (*on_done)(struct probe *p); /* in the loop thread, once */
	void *ctx;                  /* borrowed, for on_done */
	/* Results. */
	int done;
	int ret;                    /* 0, or a HAUL_E* with err set */
	struct haul_error err;
	/* Internal. */
	CURL *e;                    /* owned while a request runs */
	struct curl_slist *headers; /* owned while a request runs */
	struct probe_sink sink;
	char errbuf[CURL_ERROR_SIZE];
	int get;                    /* the request is the ranged GET */
	unsigned tries;
	uint64_t t0, wake_ms;       /* first try; when to try again, 0: not waiting */
	uint64_t rnd;
};

/*
 * Start probing url (or head_url first, when not NULL) on n's multi
 * handle. on_done runs when it ended (from the transfer's xfer callback or
 * probe_tick). 0, or a HAUL_E* (then nothing runs and on_done is not called).
 */
int probe_start(struct probe *p, struct net *n, const struct url *url, const struct url *head_url,
		struct remote *r, void (*on_done)(struct probe *p), void *ctx);

/* A retry that is due goes out now. Returns how long the loop may sleep (ms). */
long probe_tick(struct probe *p);

/* Stop it (HAUL_EINTR); on_done is not called. */
void probe_abort(struct probe *p);

/* Free what it holds; safe after done, abort or a failed start. */
void probe_release(struct probe *p);

/*
 * Probe url (and head_url, NULL when none) to the end, on a multi handle of
 * its own. Returns 0 with r filled in, HAUL_EHTTP when the server refuses
 * the object, HAUL_ENET when it cannot be reached, HAUL_EINTR when *stop
 * was raised.
 */
int probe_run(struct net *n, const struct url *url, const struct url *head_url,
	      volatile sig_atomic_t *stop, struct remote *r, struct haul_error *err);

#endif
