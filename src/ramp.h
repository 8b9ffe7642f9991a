/*
 * ramp.h -- "--connections auto": how many connections a download uses,
 * decided from what it measures. Pure arithmetic on (time, bytes) samples,
 * so the decisions are table-tested.
 *
 * More connections help only where something caps each connection (object
 * stores do); where the link, the disk or the CPU is the limit, they cost
 * memory and CPU for nothing. So a download starts with a few connections
 * and doubles them while each doubling raises the aggregate speed by a
 * clear margin; when one does not, it settles -- back on the level before,
 * if the doubling gained (almost) nothing.
 */
#ifndef HAUL_RAMP_H
#define HAUL_RAMP_H

#include <stdint.h>

/* Connections an automatic download starts with. */
#define RAMP_START 4
/* A doubling is worth keeping and repeating if the speed grew this much. */
#define RAMP_GAIN 1.25
/* Below this, a doubling bought nothing: go back to the level before. */
#define RAMP_KEEP 1.08
/* The shortest measuring window. */
#define RAMP_WINDOW_MS 250

struct ramp {
	unsigned cap;        /* connections allowed now */
	unsigned max;        /* never more than this */
	unsigned prev;       /* the level before the last doubling, 0: none */
	double prev_rate;    /* bytes/s measured at prev */
	double rate;         /* bytes/s measured at cap, 0: not yet */
	uint64_t mark_ms;    /* start of the window under way, 0: none */
	uint64_t mark_bytes; /* bytes written when it started */
	int settled;         /* no more changes */
};

/*
 * Start at start connections (at most max). start == max: a fixed count,
 * settled from the outset.
 */
void ramp_init(struct ramp *r, unsigned start, unsigned max);

/*
 * One look at the download: the time, the body bytes written so far, and
 * whether all cap connections are receiving (each has had its first byte;
 * a window is only measured while they are). window_ms: how long to
 * measure (at least RAMP_WINDOW_MS is used). Returns the new cap.
 */
unsigned ramp_sample(struct ramp *r, uint64_t now_ms, uint64_t bytes, int flowing,
		     uint64_t window_ms);

/* Stop changing (the server asked for fewer connections, say). */
void ramp_settle(struct ramp *r);

#endif
