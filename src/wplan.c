/*
 * wplan.c -- pieces in file order within the window, and help for the range
 * the writer waits on.
 */
#include "config.h"

#include "wplan.h"

uint64_t wplan_piece(uint64_t window, unsigned nconns)
{
	uint64_t piece = window / (2 * (uint64_t)(nconns ? nconns : 1));

	piece -= piece % WPLAN_MIN_PIECE;
	return piece < WPLAN_MIN_PIECE ? WPLAN_MIN_PIECE : piece;
}

int wplan_init(struct wplan *w, struct plan *p, uint64_t size, uint64_t window, unsigned nconns,
	       uint64_t min_split)
{
	struct range whole = { 0, size };

	w->window = window;
	w->piece = wplan_piece(window, nconns);
	w->tail = -1;
	if (!window || plan_init(p, size, &whole, size ? 1 : 0, 1, min_split, WPLAN_MIN_PIECE))
		return -1;
	p->reuse = 1;
	if (p->nsegs) {
		w->tail = 0;
		p->segs[0].owner = PLAN_HELD;
	}
	return 0;
}

uint64_t wplan_front(const struct plan *p)
{
	uint64_t at = UINT64_MAX, end = 0;

	for (size_t i = 0; i < p->nsegs; i++) {
		const struct seg *s = &p->segs[i];

		if (s->pos < s->end && s->pos < at)
			at = s->pos;
		if (s->end > end)
			end = s->end;
	}
	/* All arrived: up to the last end (a stream of unknown size ends
	 * where its body did, not at the plan's size). */
	return at == UINT64_MAX ? end : at;
}

/* The owned range the frontier is in (the lowest one not finished), or -1. */
static long frontier_seg(const struct plan *p)
{
	long best = -1;

	for (size_t i = 0; i < p->nsegs; i++) {
		const struct seg *s = &p->segs[i];

		if (s->owner >= 0 && s->pos < s->end && (best < 0 || s->pos < p->segs[best].pos))
			best = (long)i;
	}
	return best;
}

long wplan_take(struct wplan *w, struct plan *p, int owner, uint64_t released, uint64_t *retry)
{
	uint64_t front, need = UINT64_MAX;
	long idx;

	if (w->tail >= 0 && p->segs[w->tail].pos < p->segs[w->tail].end) {
		uint64_t start = p->segs[w->tail].pos, end = p->segs[w->tail].end;

		if (end - start > w->piece)
			end = start + w->piece;
		/* released <= start: what is not handed out is not written. */
		if (end - released <= w->window) {
			idx = plan_put(p, start, end, owner);
			if (idx < 0)
				return -1;
			p->segs[w->tail].start = p->segs[w->tail].pos = end;
			return idx;
		}
		need = end - w->window;
	}
	/* The window is full. Help the range at the frontier only when the
	 * writer waits for it: otherwise standard output is what is slow, and
	 * a cut would only cost a connection. */
	front = wplan_front(p);
	if (front - released >= w->piece) {
		if (front - w->piece + 1 < need)
			need = front - w->piece + 1;
		*retry = need;
		return -1;
	}
	*retry = need;
	return plan_cut(p, frontier_seg(p), owner);
}
