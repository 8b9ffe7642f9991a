/*
 * plan.c -- cutting the missing bytes into segments, and work stealing.
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
	s->start = s->pos = s->fence = start;
	s->end = end;
	s->owner = owner;
	return (long)p->nsegs++;
}

/* The first multiple of align at or after v, or UINT64_MAX if none fits. */
static uint64_t align_up(uint64_t v, uint64_t align)
{
	uint64_t r = v % align;

	if (!r)
		return v;
	return v > UINT64_MAX - (align - r) ? UINT64_MAX : v + (align - r);
}

/* Cut [s, e) into k segments at aligned offsets (fewer if they collapse). */
static int add_hole(struct plan *p, uint64_t s, uint64_t e, uint64_t k)
{
	uint64_t len = e - s, part = len / k, rem = len % k, at = s;

	for (uint64_t i = 1; i < k; i++) {
		uint64_t cut = align_up(s + i * part + (i < rem ? i : rem), p->align);

		if (cut <= at || cut >= e || e - cut < p->min_split || cut - at < p->min_split)
			continue;
		if (plan_add(p, at, cut, PLAN_NO_OWNER) < 0)
			return -1;
		at = cut;
	}
	return plan_add(p, at, e, PLAN_NO_OWNER) < 0 ? -1 : 0;
}

int plan_init(struct plan *p, uint64_t size, const struct range *holes, size_t nholes,
	      unsigned nparts, uint64_t min_split, uint64_t align)
{
	uint64_t total = 0, want, *parts = NULL;
	size_t given;

	memset(p, 0, sizeof(*p));
	if (!nparts || !min_split || !align)
		return -1;
	p->size = size;
	p->min_split = min_split;
	p->align = align;
	if (!nholes)
		return 0;
	parts = calloc(nholes, sizeof(*parts));
	if (!parts)
		return -1;
	for (size_t i = 0; i < nholes; i++) {
		total += holes[i].end - holes[i].start;
		parts[i] = 1;
	}
	/* How many parts in all, then hand each extra one to the hole whose
	 * parts are currently the longest. */
	want = total / min_split;
	if (want > nparts)
		want = nparts;
	for (given = nholes; given < want; given++) {
		size_t best = nholes;
		uint64_t best_len = 0;

		for (size_t i = 0; i < nholes; i++) {
			uint64_t len = holes[i].end - holes[i].start;

			if (len / (parts[i] + 1) >= min_split && len / parts[i] > best_len) {
				best_len = len / parts[i];
				best = i;
			}
		}
		if (best == nholes)
			break;
		parts[best]++;
	}
	for (size_t i = 0; i < nholes; i++) {
		if (add_hole(p, holes[i].start, holes[i].end, parts[i])) {
			free(parts);
			plan_release(p);
			return -1;
		}
	}
	free(parts);
	return 0;
}

void plan_release(struct plan *p)
{
	free(p->segs);
	p->segs = NULL;
	p->nsegs = p->cap = 0;
}

/* The first byte of segment s nobody has asked for. */
static uint64_t unasked(const struct seg *s)
{
	return s->fence > s->pos ? s->fence : s->pos;
}

long plan_take(struct plan *p, int owner)
{
	long best = -1;
	uint64_t best_left = 0;

	for (size_t i = 0; i < p->nsegs; i++) {
		struct seg *s = &p->segs[i];

		if (s->pos >= s->end || s->owner == PLAN_HELD)
			continue;
		if (s->owner == PLAN_NO_OWNER) {
			s->owner = owner;
			s->fence = s->pos;
			return (long)i;
		}
		if (unasked(s) < s->end && s->end - unasked(s) > best_left) {
			best_left = s->end - unasked(s);
			best = (long)i;
		}
	}
	return best < 0 ? -1 : plan_split(p, best, owner);
}

/* Segment idx ends at mid now; owner gets [mid, old end). */
static long plan_divide(struct plan *p, long idx, uint64_t mid, int owner)
{
	uint64_t end = p->segs[idx].end;

	if (plan_grow(p))
		return -1;
	p->segs[idx].end = mid;
	if (p->segs[idx].fence > mid)
		p->segs[idx].fence = mid;
	p->splits++;
	return p->reuse ? plan_put(p, mid, end, owner) : plan_add(p, mid, end, owner);
}

long plan_split(struct plan *p, long idx, int owner)
{
	uint64_t from, mid, end;

	if (idx < 0 || (size_t)idx >= p->nsegs || p->segs[idx].pos >= p->segs[idx].end)
		return -1;
	/* The back half of what the owner has not asked for: it goes on
	 * undisturbed with its request, then asks for the front half. */
	from = unasked(&p->segs[idx]);
	end = p->segs[idx].end;
	if (from >= end)
		return -1;
	mid = align_up(from + (end - from) / 2, p->align);
	if (mid >= end || end - mid < p->min_split)
		return -1;
	return plan_divide(p, idx, mid, owner);
}

long plan_cut(struct plan *p, long idx, int owner)
{
	uint64_t left, mid, end;

	if (idx < 0 || (size_t)idx >= p->nsegs || p->segs[idx].pos >= p->segs[idx].end)
		return -1;
	/* Steal the back half: the owner keeps writing the front undisturbed
	 * -- and the lead on top while the thief's request gets going. The
	 * owner then writes (left + lead) / 2 and the thief the rest. */
	left = p->segs[idx].end - p->segs[idx].pos;
	if (p->lead >= left)
		return -1;
	end = p->segs[idx].end;
	mid = align_up(p->segs[idx].pos + (left - (left - p->lead) / 2), p->align);
	if (mid >= end || end - mid < p->min_split)
		return -1;
	return plan_divide(p, idx, mid, owner);
}

uint64_t plan_ask(struct plan *p, long idx, uint64_t piece)
{
	struct seg *s = &p->segs[idx];
	uint64_t left = s->end - s->pos, want = left / 2 > piece ? left / 2 : piece;
	uint64_t ask = align_up(s->pos + want, p->align);

	if (!piece || ask >= s->end || s->end - ask < piece)
		ask = s->end;
	s->fence = ask;
	return ask;
}

void plan_rest(struct plan *p, long idx)
{
	if (idx >= 0 && (size_t)idx < p->nsegs)
		p->segs[idx].fence = p->segs[idx].pos;
}

long plan_put(struct plan *p, uint64_t start, uint64_t end, int owner)
{
	for (size_t i = 0; i < p->nsegs; i++) {
		struct seg *s = &p->segs[i];

		if (s->pos >= s->end && s->owner == PLAN_NO_OWNER) {
			s->start = s->pos = s->fence = start;
			s->end = end;
			s->owner = owner;
			return (long)i;
		}
	}
	return plan_add(p, start, end, owner);
}

void plan_set_lead(struct plan *p, uint64_t lead)
{
	p->lead = lead;
}

long plan_rescue(struct plan *p, long idx, int owner)
{
	uint64_t cut;

	if (idx < 0 || (size_t)idx >= p->nsegs)
		return -1;
	cut = align_up(p->segs[idx].pos + 1, p->align);
	if (cut >= p->segs[idx].end)
		return -1;
	return plan_divide(p, idx, cut, owner);
}

void plan_drop(struct plan *p, long idx)
{
	if (idx >= 0 && (size_t)idx < p->nsegs) {
		p->segs[idx].owner = PLAN_NO_OWNER;
		p->segs[idx].fence = p->segs[idx].pos;
	}
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
