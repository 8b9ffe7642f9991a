/*
 * wplan.h -- windowed planning for -o -: which range an idle connection
 * fetches next when the object goes out in order. Pure arithmetic on a
 * struct plan.
 *
 * Bytes that arrive ahead of the first byte not yet written out wait in a
 * window of W bytes, so ranges are handed out in file order and never end
 * past that byte + W. The bytes not handed out yet are one held segment,
 * [next, size); each idle connection takes a piece of about W / (2 N) from
 * its front: N connections fill half the window, and the other half lets
 * the next pieces start while the first ones are still being written out.
 * When no piece fits and the writer is waiting for the range at the
 * frontier, an idle connection takes over the back half of that range.
 */
#ifndef HAUL_WPLAN_H
#define HAUL_WPLAN_H

#include <stdint.h>

#include "plan.h"

/* The smallest piece, and what every piece is a multiple of. */
#define WPLAN_MIN_PIECE (64u * 1024)

struct wplan {
	uint64_t window; /* W: no range ends past the first unwritten byte + W */
	uint64_t piece;  /* bytes per fresh range */
	long tail;       /* plan index of the held segment; -1: none (0 bytes) */
};

/* The piece for nconns connections in a window: W / (2 N), rounded down to
 * a multiple of WPLAN_MIN_PIECE, at least that. */
uint64_t wplan_piece(uint64_t window, unsigned nconns);

/*
 * Plan [0, size) for windowed hand-out into p: one held segment (none for
 * 0 bytes). Steals obey min_split and the plan's lead, as in plan_take;
 * finished segments are reused, so the plan stays as small as what is in
 * flight.
 * Returns 0, or -1 when out of memory or window is 0.
 */
int wplan_init(struct wplan *w, struct plan *p, uint64_t size, uint64_t window, unsigned nconns,
	       uint64_t min_split);

/*
 * A range for connection owner, released being the first byte not yet
 * written out: the next piece when it ends within released + W; else, when
 * the writer has caught up to within a piece of the frontier, the back half
 * of the range the frontier is in (plan_cut: p->splits counts it).
 * Returns the segment's index, or -1 with *retry set to the value released
 * must reach before asking again can give more (UINT64_MAX: only a range
 * ending can).
 */
long wplan_take(struct wplan *w, struct plan *p, int owner, uint64_t released, uint64_t *retry);

/* The first byte not yet received: everything before it may be written
 * out. When all has, the end of the last segment (for a plan of unknown
 * size, where the body ended). */
uint64_t wplan_front(const struct plan *p);

#endif
