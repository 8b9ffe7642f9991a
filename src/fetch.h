/*
 * fetch.h -- the transfer loop: one thread, one curl multi handle, one easy
 * handle per connection slot. Each slot fetches a segment of the plan with a
 * range request whose answer is checked before any byte is written, writes
 * the body with pwrite at the segment's position, and takes (or steals) the
 * next segment when done.
 */
#ifndef HAUL_FETCH_H
#define HAUL_FETCH_H

#include <signal.h>
#include <stdint.h>

#include "err.h"
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
	uint64_t bytes;    /* body bytes written */
	unsigned requests; /* requests sent */
	unsigned retries;  /* of which repeats after a failure */
	unsigned steals;   /* ranges split to help a slow connection */
	unsigned slots;    /* connection slots that sent at least one request */
};

struct slot;

struct fetch {
	struct net *net;             /* borrowed */
	struct plan *plan;           /* borrowed */
	struct store *store;         /* borrowed */
	const char *url;             /* borrowed */
	int ranged;                  /* range requests; else one plain GET */
	int size_known;              /* plan->size is the object's size */
	unsigned nslots;             /* connections */
	volatile sig_atomic_t *stop; /* borrowed: raised by SIGINT/SIGTERM */
	void (*on_event)(void *ctx, const struct fetch_event *ev); /* optional */
	void *event_ctx;             /* borrowed, passed to on_event */
	struct fetch_stats stats;
	struct slot *slots;          /* owned, internal */
};

/*
 * Fetch every unwritten byte of f->plan. Returns 0 when the plan is
 * complete; FETCH_NO_RANGES when the server answered a range request with
 * the whole object (nothing was written from it); or a negative HAUL_E*
 * with err set. For a plain GET of unknown size, the plan's single segment
 * ends where the body ended.
 */
int fetch_run(struct fetch *f, struct haul_error *err);

#endif
