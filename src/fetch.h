/*
 * fetch.h -- the transfer loop: one thread, one curl multi handle, one easy
 * handle per connection slot. Each slot fetches a segment of the plan with a
 * range request whose answer is checked before any byte is written, writes
 * the body with pwrite at the segment's position, and takes (or steals) the
 * next segment when done. At a bounded interval of bytes and time the loop
 * calls back for a checkpoint, so the journal can record what is on disk.
 */
#ifndef HAUL_FETCH_H
#define HAUL_FETCH_H

#include <signal.h>
#include <stdint.h>

#include "blocks.h"
#include "err.h"
#include "http.h"
#include "net.h"
#include "plan.h"
#include "store.h"

/* fetch_run's answer when the server turned out to ignore Range. */
#define FETCH_NO_RANGES 1

enum fetch_event_kind {
	FEV_REQUEST, /* a request for [first, last] went out */
	FEV_STEAL,   /* the request will take over the back of another range */
	FEV_RETRY,   /* a request failed and will be repeated */
};

struct fetch_event {
	enum fetch_event_kind kind;
	unsigned slot;
	uint64_t first, last; /* inclusive range; last is UINT64_MAX for no range */
	long status;          /* HTTP status, 0 when none (FEV_RETRY) */
	const char *why;      /* FEV_RETRY: what went wrong */
	uint64_t delay_ms;    /* FEV_RETRY: wait before the next try */
};

struct fetch_stats {
	uint64_t bytes;       /* body bytes written */
	unsigned requests;    /* requests sent */
	unsigned retries;     /* of which repeats after a failure */
	unsigned steals;      /* ranges split to help a slow connection */
	unsigned slots;       /* connection slots that sent at least one request */
	unsigned checkpoints; /* checkpoint callbacks made */
};

struct slot;

struct fetch {
	struct net *net;             /* borrowed */
	struct plan *plan;           /* borrowed */
	struct store *store;         /* borrowed */
	struct blocks *blocks;       /* borrowed; NULL: no block digests */
	const char *url;             /* borrowed */
	struct identity id;          /* the object; strings borrowed */
	int ranged;                  /* range requests; else one plain GET */
	int size_known;              /* id.size is the object's size */
	unsigned nslots;             /* connections */
	volatile sig_atomic_t *stop; /* borrowed: raised by SIGINT/SIGTERM */

	/* Called between transfers, with every written byte accounted for in
	 * blocks; returns 0 or a negative HAUL_E* (which ends the loop). */
	int (*checkpoint)(void *ctx, struct haul_error *err);
	uint64_t cp_bytes;           /* call it after this many new bytes... */
	uint64_t cp_ms;              /* ...or this many ms with new bytes */

	void (*on_event)(void *ctx, const struct fetch_event *ev); /* optional */
	void *ctx;                   /* borrowed, passed to the callbacks */
	struct fetch_stats stats;
	struct slot *slots;          /* owned, internal */
	struct curl_slist *headers;  /* owned, internal: the validators */
	uint64_t cp_at_bytes;        /* internal: stats.bytes at the last checkpoint */
	uint64_t cp_at_ms;           /* internal: time of the last checkpoint */
};

/*
 * Fetch every unwritten byte of f->plan. Returns 0 when the plan is
 * complete; FETCH_NO_RANGES when the server answered a range request with
 * the whole object (nothing was written from it); or a negative HAUL_E*
 * with err set. Unless the plan completed, a last checkpoint is made before
 * returning. For a plain GET of unknown size, the plan's single segment
 * ends where the body ended.
 */
int fetch_run(struct fetch *f, struct haul_error *err);

#endif
