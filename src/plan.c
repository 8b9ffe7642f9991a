/*
 * plan.c -- initial split and split-the-largest work stealing.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "plan.h"

static int plan_grow(struct plan *p)
{
	size_t ncap;
	struct seg *n;

	if (p->nsegs < p->cap)
		return 0;
	ncap = p->cap ? p->cap * 2 : 16;
	n = realloc(p->segs, ncap * sizeof(*n));
	if (!n)
		return -1;
	p->segs = n;
	p->cap = ncap;
	return 0;
}

static long plan_add(struct plan *p, uint64_t start, uint64_t end, int owner)
{
	struct seg *s;

	if (plan_grow(p))
		return -1;
	s = &p->segs[p->nsegs];
	s->start = s->pos = start;
	s->end = end;
	s->owner = owner;
	return (long)p->nsegs++;
}

int plan_init(struct plan *p, uint64_t size, unsigned nparts, uint64_t min_split)
{
	uint64_t k, part, rem, at = 0;

	memset(p, 0, sizeof(*p));
	if (!nparts || !min_split)
		return -1;
	p->size = size;
	p->min_split = min_split;
	if (!size)
		return 0;
	k = size / min_split;
	if (k > nparts)
		k = nparts;
	if (k == 0)
		k = 1;
	/* Equal parts; the first `rem` get one byte more. No overflow: <= size. */
	part = size / k;
	rem = size % k;
	for (uint64_t i = 0; i < k; i++) {
		uint64_t len = part + (i < rem ? 1 : 0);

		if (plan_add(p, at, at + len, PLAN_NO_OWNER) < 0) {
			plan_release(p);
			return -1;
		}
		at += len;
	}
	return 0;
}

void plan_release(struct plan *p)
{
	free(p->segs);
	p->segs = NULL;
	p->nsegs = p->cap = 0;
}

long plan_take(struct plan *p, int owner)
{
	long best = -1;
	uint64_t best_left = 0, left, mid, end;

	for (size_t i = 0; i < p->nsegs; i++) {
		struct seg *s = &p->segs[i];

		if (s->pos >= s->end)
			continue;
		if (s->owner == PLAN_NO_OWNER) {
			s->owner = owner;
			return (long)i;
		}
		if (s->end - s->pos > best_left) {
			best_left = s->end - s->pos;
			best = (long)i;
		}
	}
	if (best < 0 || best_left / 2 < p->min_split)
		return -1;
	/* Steal the back half: the owner keeps writing the front undisturbed. */
	left = best_left;
	end = p->segs[best].end;
	mid = p->segs[best].pos + (left - left / 2);
	if (plan_grow(p))
		return -1;
	p->segs[best].end = mid;
	return plan_add(p, mid, end, owner);
}

void plan_drop(struct plan *p, long idx)
{
	if (idx >= 0 && (size_t)idx < p->nsegs)
		p->segs[idx].owner = PLAN_NO_OWNER;
}

uint64_t plan_remaining(const struct plan *p)
{
	uint64_t left = 0;

	for (size_t i = 0; i < p->nsegs; i++)
		left += p->segs[i].end - p->segs[i].pos;
	return left;
}

int plan_complete(const struct plan *p)
{
	for (size_t i = 0; i < p->nsegs; i++)
		if (p->segs[i].pos < p->segs[i].end)
			return 0;
	return 1;
}
