/*
 * stream.h -- -o -: the object to standard output, in order, through one
 * window of W bytes.
 *
 * The transfers copy each byte into a ring of W bytes at its offset modulo
 * W (stream_put, from the body callback: the only copy -o - adds), and
 * ranges are handed out only within W bytes of the first byte not yet
 * written out (stream_take; see wplan.h), so a byte never lands on one
 * still waiting. Between transfers the loop hands the gap-free prefix to a
 * writer thread (stream_pump), which writes it to standard output, feeds
 * every whole-file check with it and only then frees its room. Standard
 * output is written in order, by a thread that may block on a slow reader
 * while the transfers go on; the loop waits only when the window is full.
 *
 * Memory: the ring, allocated once (W, or the object's size when smaller),
 * and nothing per byte or per range.
 */
#ifndef HAUL_STREAM_H
#define HAUL_STREAM_H

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include <curl/curl.h>

#include "err.h"
#include "store.h"
#include "plan.h"
#include "verify.h"
#include "wplan.h"

/* stream_put: the bytes do not fit yet; pause the transfer. */
#define STREAM_FULL 1

/* What messages call the stream's destination. */
#define STREAM_NAME "standard output"

struct stream {
	unsigned char *ring;       /* owned, malloced once: byte pos at ring[pos % size] */
	uint64_t size;             /* the ring's */
	uint64_t chunk;            /* bytes per write, and per hand-over to the writer */
	int fd;                    /* borrowed: standard output */
	const struct store_ops *ops; /* borrowed, static: how it is written
				      * (stream_init: the real write(2)) */
	struct verify *v;          /* borrowed, NULL: fed every byte before it is freed */
	CURLM *wake;               /* borrowed, NULL: woken when room is freed or a write fails */
	struct wplan wp;           /* the hand-out of ranges (ranged fetches) */
	uint64_t sent;             /* loop: the prefix handed to the writer */
	uint64_t sent_ms;          /* loop: when it last grew */
	_Atomic uint64_t released; /* writer: written and fed; its room is free */
	_Atomic uint64_t out;      /* writer: bytes write(2) took, a part chunk too */
	_Atomic uint64_t wake_at;  /* loop: wake me once released gets here */
	_Atomic int werr;          /* writer: errno of the write that failed, 0 */
	_Atomic int quit;          /* loop: stop writing */
	pthread_mutex_t mu;
	pthread_cond_t more;       /* to the writer: front moved, or quit */
	pthread_cond_t drained;    /* from the writer: released moved, or it failed */
	uint64_t front;            /* under mu: the writer may write up to here */
	pthread_t thread;
	int inited;                /* mu and the condition variables exist */
	int started;               /* the thread runs */
	int gone;                  /* under mu: the thread has left its loop */
	int kick;                  /* the handler for kicking a write is set */
	struct sigaction old_kick; /* the one it replaced */
};

void stream_init(struct stream *st);

/*
 * Allocate the ring for an object of size bytes (UINT64_MAX: unknown) and
 * a window of window bytes, and start the writer on fd. Returns 0, or
 * HAUL_EFAIL with err set.
 */
int stream_open(struct stream *st, int fd, uint64_t window, uint64_t size, struct verify *v,
		CURLM *wake, struct haul_error *err);

/* Plan [0, size) for hand-out within the window (see wplan_init). */
int stream_plan(struct stream *st, struct plan *p, uint64_t size, unsigned nconns,
		uint64_t min_split);

/* A range for connection owner (wplan_take), or -1: the loop is woken
 * when asking again may give one. */
long stream_take(struct stream *st, struct plan *p, int owner);

/*
 * From the body callback: copy n bytes for offset off into the window.
 * 0, or STREAM_FULL when they would cover bytes not yet written out (the
 * loop is woken when there is room: see stream_room).
 */
int stream_put(struct stream *st, const void *buf, size_t n, uint64_t off);

/* Is there room to go on writing at off (a transfer paused by
 * STREAM_FULL)? 1, or 0 and the loop is woken once there is. */
int stream_room(struct stream *st, uint64_t off);

/*
 * Between transfers: hand what arrived without a gap to the writer, and
 * report its failure. 0, or HAUL_EIO (standard output closed or failing).
 */
int stream_pump(struct stream *st, const struct plan *p, struct haul_error *err);

/*
 * Everything up to total has arrived: wait until the writer has written
 * it, then stop it. 0; HAUL_EIO; HAUL_EINTR when *stop is raised meanwhile
 * (a reader that does not read can hold the writer forever).
 */
int stream_finish(struct stream *st, uint64_t total, volatile sig_atomic_t *stop,
		  struct haul_error *err);

/* Bytes written to standard output so far (but for a write cut short by
 * stream_release, which cannot tell). */
uint64_t stream_written(struct stream *st);

/*
 * The stream stopped short with ret: stop the writer, and make err's
 * message say what it wrote and that a stream cannot be resumed. Returns
 * ret.
 */
int stream_stopped(struct stream *st, int ret, struct haul_error *err);

/* Stop the writer, even in a write no reader takes, and free the ring. */
void stream_release(struct stream *st);

#endif
