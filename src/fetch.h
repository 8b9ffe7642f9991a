/*
 * fetch.h -- the transfer loop: one thread, one curl multi handle, one easy
 * handle per connection slot, for one or several downloads at once.
 *
 * Each slot fetches a segment of its download's plan with a range request
 * whose answer is checked before any byte is written, writes the body with
 * pwrite at the segment's position, and takes (or steals) the next segment
 * when done. At a bounded interval of bytes and time the loop calls back for
 * a checkpoint, so the journal can record what is on disk. When the URL
 * expires -- or is about to, by the deadline the URL itself states -- the
 * loop calls back for a fresh one and carries on with it, keeping every
 * byte and continuing each range where it stopped.
 */
#ifndef HAUL_FETCH_H
#define HAUL_FETCH_H

#include <signal.h>
#include <stdint.h>

#include "blocks.h"
#include "err.h"
#include "http.h"
#include "loop.h"
#include "net.h"
#include "plan.h"
#include "ramp.h"
#include "retry.h"
#include "store.h"
#include "url.h"

struct stream;

/* A download's result when the server turned out to ignore Range. */
#define FETCH_NO_RANGES 1

enum fetch_event_kind {
	FEV_REQUEST,  /* a request for [first, last] went out */
	FEV_STEAL,    /* the request will take over the back of another range */
	FEV_RETRY,    /* a request failed and will be repeated */
	FEV_EXPIRED,  /* the URL was refused as expired */
	FEV_DEADLINE, /* the URL will expire before the download can finish */
	FEV_POLITE,   /* 429/503 answers: fewer connections (slot = how many now) */
	FEV_RESCUE,   /* a fast connection takes over most of a slow one's range */
	FEV_DONE,     /* a request ended well: bytes written, wait_ms, ms */
	FEV_RAMP,     /* --connections auto changed its mind: slot = how many
		       * now, bytes = the speed it measured (bytes/s) */
};

/* From a checkpoint callback: not now, ask again later. */
#define FETCH_CP_LATER 1

/* From on_first: the owner calls fetch_first_ready (or fetch_fail) later. */
#define FETCH_FIRST_WAIT 1

/* The first request of a download whose size is not known yet asks for this
 * much (from where it starts): its answer is the probe, and its body is kept.
 * A whole small object comes in it; a bigger one's first connection is done
 * soon and takes over part of another's range. With one connection, the
 * first request asks for everything. */
#define FETCH_FIRST_RANGE (1ull << 20)

struct fetch_event {
	enum fetch_event_kind kind;
	unsigned slot;
	uint64_t first, last; /* inclusive range; last is UINT64_MAX for no range */
	long status;          /* HTTP status, 0 when none */
	const char *why;      /* FEV_RETRY, FEV_EXPIRED: what went wrong */
	uint64_t delay_ms;    /* FEV_RETRY: wait before the next try */
	int64_t left_s;       /* FEV_DEADLINE: seconds the URL has left */
	int64_t need_s;       /* FEV_DEADLINE: seconds the download still needs */
	uint64_t bytes;       /* FEV_DONE: body bytes this request wrote */
	uint64_t wait_ms;     /* FEV_DONE: from the request to its first byte */
	uint64_t ms;          /* FEV_DONE: from the request to its end */
};

struct fetch_stats {
	uint64_t bytes;       /* body bytes written */
	unsigned requests;    /* requests sent */
	unsigned retries;     /* of which repeats after a failure */
	unsigned steals;      /* ranges split to help a slow connection */
	unsigned slots;       /* connection slots that sent at least one request */
	unsigned checkpoints; /* checkpoint callbacks made */
	unsigned refreshes;   /* fresh URLs taken */
	unsigned expired;     /* answers that said the URL had expired */
	unsigned rescues;     /* slow ranges taken over */
	unsigned slowdowns;   /* times 429/503 made haul use fewer connections */
	uint64_t wasted;      /* received but not kept: error bodies, bytes past
			       * a cut (libcurl's and the socket's), a stream
			       * restarted from its start */
};

struct slot;
struct sink_ops;

struct fetch {
	/* Set by the caller before fetch_begin(). */
	struct net *net;             /* borrowed */
	struct plan *plan;           /* borrowed */
	struct store *store;         /* borrowed */
	struct blocks *blocks;       /* borrowed; NULL: no block digests */
	struct stream *stream;       /* borrowed; NULL: bodies go to the store.
				      * Else (-o -) into its window, ranges
				      * from stream_take, no checkpoints */
	struct identity id;          /* the object; strings borrowed */
	int ranged;                  /* range requests; else one plain GET */
	int size_known;              /* id.size is the object's size */
	double wait_hint_ms;         /* a probe's wait for its answer; 0: none */
	/* Probing: nothing is known of the object yet. One request goes out
	 * for [first, first + FETCH_FIRST_RANGE) and, once its answer's
	 * headers are in (its body held back), on_first says what they mean
	 * (the plan holds [first, first + first_len) for it):
	 * the owner reads them from the handle (fetch_first_handle), sets id,
	 * size_known, ranged, blocks, and calls fetch_first_plan; returns 0
	 * when the transfers can go on, FETCH_FIRST_WAIT when it will call
	 * fetch_first_ready later (a file to create first), or a HAUL_E*. */
	int probing;
	uint64_t first, first_len;
	int (*on_first)(void *ctx, struct fetch *f, long status, struct haul_error *err);
	unsigned nslots;             /* connections, at most */
	int auto_conns;              /* start with fewer, add while they help */
	int can_fall_back;           /* a 200 to a range may mean "one stream" */
	unsigned max_tries;          /* failed requests in a row on one range */
	uint64_t max_fail_ms;        /* failing this long without a byte: stop */
	double retry_rate;           /* repeated requests per second, at most */

	/* Called between transfers, with every written byte accounted for in
	 * blocks; returns 0, FETCH_CP_LATER when it cannot record yet (asked
	 * again soon; transfers that got twice cp_bytes past the last
	 * checkpoint wait meanwhile), or a negative HAUL_E* (which ends this
	 * download).
	 * With final set (the download ends) it must finish before returning. */
	int (*checkpoint)(void *ctx, int final, struct haul_error *err);
	uint64_t cp_bytes;           /* call it after this many new bytes... */
	uint64_t cp_ms;              /* ...or this many ms with new bytes */

	/* Called when the URL expired or is about to: start getting a fresh
	 * one (the owner checks it is the same object, fetch_set_url()s it and
	 * calls fetch_renewed); 0, or a HAUL_E* that ends the download. The
	 * requests that need the new URL wait; the others go on. NULL: an
	 * expired URL ends the download with HAUL_EEXPIRED. */
	int (*refresh)(void *ctx, struct fetch *f, struct haul_error *err);

	void (*on_event)(void *ctx, const struct fetch_event *ev); /* optional */
	void (*on_round)(void *ctx); /* optional: once per round of the loop */
	long max_wait_ms;            /* the loop sleeps at most this long, 0: 1 s */
	void *ctx;                   /* borrowed, passed to the callbacks */

	/* Results. */
	struct fetch_stats stats;
	int done;                    /* finished, one way or the other */
	int result;                  /* 0, FETCH_NO_RANGES or a HAUL_E* */
	struct haul_error err;       /* owned: why, when result < 0 */

	/* Internal. */
	const struct url *url;       /* borrowed: the URL requests go to now */
	int64_t deadline;            /* Unix time the URL expires, 0: unknown */
	int64_t refresh_at;          /* Unix time to renew it ahead, 0: never */
	int url_worked;              /* the current URL got a 2xx answer */
	int need_refresh;            /* a slot is waiting for a fresh URL */
	int renewing;                /* refresh was called, fetch_renewed not yet */
	int first_pending;           /* the first answer's headers are in */
	int first_waiting;           /* on_first said FETCH_FIRST_WAIT */
	int refresh_expired;         /* the renewal under way: after a refusal,
				      * not ahead of the deadline */
	int warned;                  /* FEV_DEADLINE was sent */
	double t_start;              /* clock_sec() at fetch_begin */
	struct slot *slots;          /* owned */
	const struct sink_ops *sink; /* static: where bodies go (file, stream) */
	struct curl_slist *headers;  /* owned: the validators */
	struct curl_slist *stale_headers; /* owned: those before on_first */
	uint64_t cp_at_bytes;        /* stats.bytes at the last checkpoint */
	uint64_t cp_at_ms;           /* time of the last checkpoint */
	int cp_due;                  /* a transfer paused for a checkpoint */
	struct rate_cap rc;          /* on repeated requests */
	uint64_t rng;                /* jitter */
	uint64_t failing_since;      /* ms: failures without a byte since, 0: none */
	uint64_t fail_mark;          /* stats.bytes when failing_since was set */
	unsigned cap;                /* connections allowed now (politeness) */
	unsigned busy_max;           /* connections the plan can keep busy */
	struct ramp ramp;            /* ...and by --connections auto */
	unsigned overloads;          /* 429/503 answers lately */
	uint64_t overload_ms;        /* when the last one came */
	uint64_t raised_ms;          /* when cap last went up */
	double wait_ms;              /* shortest request to first byte; <0: none yet */
};

/* How many connections f may use now: politeness and the ramp's say. */
unsigned fetch_allowed(const struct fetch *f);

/* How many connections are receiving now. */
unsigned fetch_receiving(const struct fetch *f);

/* Set (or replace) the URL requests go to (kept by the caller), and read its deadline. */
void fetch_set_url(struct fetch *f, const struct url *url);

/*
 * Prepare f (its URL set): slots and validators. Its requests go out on
 * its first tick. Returns 0, or a HAUL_E* with f->err set and f->done.
 */
int fetch_begin(struct fetch *f);

/*
 * Everything between two rounds of transfers: fresh URLs, retries that are
 * due, checkpoints, new ranges for idle slots, the end. Its transfers are on
 * f->net's multi handle and report through their struct xfer
 * (xfer_dispatch). Returns how long the loop may sleep for f (ms).
 */
long fetch_tick(struct fetch *f);

/*
 * Does f need the loop at once, before it sleeps? A transfer held for a
 * checkpoint, or a first answer waiting to be read, makes no noise that
 * would wake the poll.
 */
int fetch_due(const struct fetch *f);

/* End the download now with ret (and err's text); no-op once done. */
void fetch_fail(struct fetch *f, int ret, const char *msg);

/* Probing: the handle whose answer on_first reads. */
CURL *fetch_first_handle(struct fetch *f);

/*
 * Probing, from on_first: plan the holes (everything, or what a journal
 * lacks) of an object of f->id.size bytes in about nparts segments, one of
 * them the first request's: what it asked for, or a whole share when that
 * is more (cut to the object, ended on a block). 0, or -1 out of memory.
 */
int fetch_first_plan(struct fetch *f, const struct range *holes, size_t nholes,
		     unsigned nparts, uint64_t min_split, uint64_t align);

/* After FETCH_FIRST_WAIT: the first answer's body may come now. */
void fetch_first_ready(struct fetch *f);

/* The renewal refresh started ended: 0 (fetch_set_url was called) or ret. */
void fetch_renewed(struct fetch *f, int ret, const char *msg);

/* Free what fetch_begin() made (the URL, slots, error text). */
void fetch_release(struct fetch *f);

#endif
