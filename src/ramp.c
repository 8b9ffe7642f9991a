/*
 * ramp.c -- connections added while they add speed (see ramp.h).
 */
#include "config.h"

#include "ramp.h"

void ramp_init(struct ramp *r, unsigned start, unsigned max)
{
	r->max = max ? max : 1;
	r->cap = start < 1 ? 1 : start > r->max ? r->max : start;
	r->prev = 0;
	r->prev_rate = 0;
	r->rate = 0;
	r->mark_ms = 0;
	r->mark_bytes = 0;
	r->settled = r->cap == r->max;
}

void ramp_settle(struct ramp *r)
{
	r->settled = 1;
	r->mark_ms = 0;
}

unsigned ramp_sample(struct ramp *r, uint64_t now_ms, uint64_t bytes, int flowing,
		     uint64_t window_ms)
{
	uint64_t ms;

	if (r->settled)
		return r->cap;
	if (!flowing) {
		/* A connection between requests, or still waiting for its
		 * answer: what the window saw so far is not this level. */
		r->mark_ms = 0;
		return r->cap;
	}
	if (!r->mark_ms || bytes < r->mark_bytes) {
		r->mark_ms = now_ms ? now_ms : 1;
		r->mark_bytes = bytes;
		return r->cap;
	}
	if (window_ms < RAMP_WINDOW_MS)
		window_ms = RAMP_WINDOW_MS;
	ms = now_ms - r->mark_ms;
	if (now_ms < r->mark_ms || ms < window_ms)
		return r->cap;
	r->rate = (double)(bytes - r->mark_bytes) * 1000.0 / (double)ms;
	r->mark_ms = 0;
	if (r->prev && r->rate < r->prev_rate * RAMP_GAIN) {
		/* The doubling did not pay: stay, or go back if it bought
		 * nothing at all. */
		if (r->rate < r->prev_rate * RAMP_KEEP) {
			r->cap = r->prev;
			r->rate = r->prev_rate;
		}
		r->settled = 1;
		return r->cap;
	}
	if (r->cap >= r->max) {
		r->settled = 1;
		return r->cap;
	}
	r->prev = r->cap;
	r->prev_rate = r->rate;
	r->cap = r->cap * 2 > r->max ? r->max : r->cap * 2;
	return r->cap;
}
