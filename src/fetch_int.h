/*
 * fetch_int.h -- the transfer loop's insides, shared by the files that make
 * it up: fetch.c (the loop itself: ticks, checkpoints, fresh URLs, the first
 * answer), slot.c (a slot's request), sink.c (where its body goes), reap.c
 * (what a finished request means) and polite.c (how many connections, how
 * often). Nothing outside these files includes it; fetch.h is the interface.
 */
#ifndef HAUL_FETCH_INT_H
#define HAUL_FETCH_INT_H

#include <stddef.h>
#include <stdint.h>

#include <curl/curl.h>

#include "blocks.h"
#include "fetch.h"
#include "http.h"
#include "loop.h"
#include "sink.h"

/* How much of an error answer is kept to classify it. */
#define EBODY_MAX 2048

/*
 * Transfers wait once this many times --checkpoint-bytes are not recorded
 * yet. Checkpoints record at once and never wait for the disk, so that
 * happens only while the syncer writes a fresh copy of the journal (the
 * records wait for it: FETCH_CP_LATER): the journal never lags far.
 */
#define CP_HOLD 2

enum slot_state {
	SLOT_IDLE = 0, /* nothing to do */
	SLOT_BUSY,     /* a transfer is in the multi handle */
	SLOT_WAIT,     /* backing off before repeating a failed request */
	SLOT_EXPIRED,  /* waiting for a fresh URL to repeat its request */
};

struct slot {
	struct xfer x;        /* first: its requests' CURLOPT_PRIVATE */
	struct fetch *f;      /* borrowed back pointer */
	CURL *e;              /* owned, reused for every request of this slot */
	unsigned id;
	enum slot_state state;
	long seg;             /* plan index, -1 when idle */
	uint64_t first, last; /* the requested range, inclusive */
	uint64_t wrote;       /* bytes written by the current request */
	uint64_t wake_ms;     /* SLOT_WAIT: when to try again */
	unsigned tries;       /* failures in a row on this segment */
	unsigned requests;    /* sent by this slot */
	uint64_t started_ms;  /* when the current request went out */
	uint64_t first_ms;    /* when its first body byte came, 0: not yet */
	double last_rate;     /* bytes/s of its last finished request, 0: none */
	unsigned gen;         /* which URL the current request went to */
	long status;
	int checked;          /* response headers have been validated */
	enum range_check check;
	int cut;              /* we stopped it: the segment was shortened */
	uint64_t unread;      /* bytes in its socket when it was cut: lost */
	int io_errno;         /* pwrite failed with this */
	int paused;           /* held until the pending checkpoint is made */
	int first_answer;     /* probing: this request's answer is the first */
	int ended_early;      /* probing: it ended before on_first was done */
	struct bhash h;       /* digest of the block being written */
	struct stage st;      /* the body's bytes not written yet (sink.c) */
	size_t elen;          /* bytes in ebody */
	char ebody[EBODY_MAX];/* the start of an error answer */
	char errbuf[CURL_ERROR_SIZE];
};

/* Which URL a request goes to: one more with every fresh URL taken. */
static inline unsigned fetch_gen(const struct fetch *f)
{
	return f->stats.refreshes;
}

static inline void fetch_emit(struct fetch *f, const struct fetch_event *ev)
{
	if (f->on_event)
		f->on_event(f->ctx, ev);
}

/* slot.c */
/* Give an idle slot its next range (or leave it idle): 0 or a HAUL_E*. */
int slot_refill(struct slot *s);
/* Send the request for segment idx from its position: 0 or a HAUL_E*. */
int slot_start(struct slot *s, long idx);
/* Validate the answer's headers (once, before its first body byte). */
void slot_check(struct slot *s);
/* The CURLOPT_WRITEFUNCTION of every slot. */
size_t slot_on_body(char *ptr, size_t size, size_t nmemb, void *userdata);

/* reap.c */
/* s's request ended with code: what next. 0, FETCH_NO_RANGES or a HAUL_E*
 * (f->err set); the caller finishes the download on non-zero. */
int slot_done(struct slot *s, int code);

/* polite.c */
/* A 429 or 503 came. */
void polite_overloaded(struct fetch *f);
/* A connection back when the server has been calm a while. */
void polite_calm(struct fetch *f, uint64_t ms);
/* --connections auto: measure (flowing slots receive now) and decide. */
void polite_ramp(struct fetch *f, uint64_t ms, unsigned flowing);
/* Repeat the failed requests that are due, within cap connections (busy
 * of them in use now) and the rate cap: 0 or a HAUL_E*. */
int polite_retries(struct fetch *f, uint64_t ms, unsigned cap, unsigned busy);

#endif
