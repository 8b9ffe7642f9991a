/*
 * plan.h -- pure range arithmetic: which bytes of the object are fetched by
 * which connection. The object [0, size) is cut into segments; each segment
 * is owned by at most one connection, which writes it front to back. When a
 * connection runs out of work it steals the back half of the largest
 * remaining segment, so the download does not end waiting on one slow range.
 */
#ifndef HAUL_PLAN_H
#define HAUL_PLAN_H

#include <stddef.h>
#include <stdint.h>

#define PLAN_NO_OWNER (-1)

struct seg {
	uint64_t start; /* first byte of the segment */
	uint64_t pos;   /* next byte to write; start <= pos <= end */
	uint64_t end;   /* one past the last byte; may shrink when stolen from */
	int owner;      /* connection slot working on it, or PLAN_NO_OWNER */
};

struct plan {
	uint64_t size;      /* bytes in the object */
	uint64_t min_split; /* no segment smaller than this is created */
	struct seg *segs;   /* owned, malloced; indexes stay valid until release */
	size_t nsegs;
	size_t cap;
};

/*
 * Cut [0, size) into at most nparts segments of at least min_split bytes
 * (fewer when the object is small; none when size is 0). Returns 0, or -1
 * when out of memory or nparts/min_split is 0.
 */
int plan_init(struct plan *p, uint64_t size, unsigned nparts, uint64_t min_split);
void plan_release(struct plan *p);

/*
 * Give connection slot `owner` something to fetch: the first unowned,
 * unfinished segment, or else the back half of the owned segment with the
 * most bytes left, when both halves would be at least min_split.
 * Returns the segment's index, or -1 when there is nothing to hand out
 * (or no memory to split).
 */
long plan_take(struct plan *p, int owner);

/* Give a segment back (its connection failed or stopped); pos is kept. */
void plan_drop(struct plan *p, long idx);

/* Bytes not yet written, over all segments. */
uint64_t plan_remaining(const struct plan *p);

/* 1 when every byte has been written. */
int plan_complete(const struct plan *p);

#endif
