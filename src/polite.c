/*
 * polite.c -- how many connections a download uses, and how often it asks
 * again: fewer after 429/503 answers and one back after a calm while, the
 * --connections auto ramp, and the rate cap on repeated requests, so that
 * a struggling server is not hammered.
 */
#include "config.h"

#include <stdint.h>

#include "clock.h"
#include "fetch_int.h"
#include "ramp.h"
#include "retry.h"

/* Politeness: 2 answers 429/503 within this make haul halve its connections;
 * this long without one, and it adds one back every RAISE_EVERY_MS. */
#define OVERLOAD_WINDOW_MS 10000
#define CALM_MS 30000
#define RAISE_EVERY_MS 5000

unsigned fetch_allowed(const struct fetch *f)
{
	return f->cap < f->ramp.cap ? f->cap : f->ramp.cap;
}

/* 429 or 503: the server wants less; after two, use half the connections. */
void polite_overloaded(struct fetch *f)
{
	uint64_t now = clock_ms();
	struct fetch_event ev = { .kind = FEV_POLITE };

	f->overloads = now - f->overload_ms < OVERLOAD_WINDOW_MS ? f->overloads + 1 : 1;
	f->overload_ms = now;
	ramp_settle(&f->ramp); /* no more connections for this server */
	if (f->overloads < 2 || fetch_allowed(f) <= 1)
		return;
	f->cap = (fetch_allowed(f) + 1) / 2;
	f->overloads = 0;
	f->stats.slowdowns++;
	ev.slot = f->cap;
	fetch_emit(f, &ev);
}

void polite_calm(struct fetch *f, uint64_t ms)
{
	if (f->cap < f->ramp.cap && ms - f->overload_ms >= CALM_MS &&
	    ms - f->raised_ms >= RAISE_EVERY_MS) {
		f->cap++; /* the server has been calm: one connection back */
		f->raised_ms = ms;
	}
}

void polite_ramp(struct fetch *f, uint64_t ms, unsigned flowing)
{
	unsigned cap = f->ramp.cap;

	/* --connections auto: more connections while they add speed. */
	if (ramp_sample(&f->ramp, ms, f->stats.bytes, flowing >= fetch_allowed(f),
			f->wait_ms > 0 ? (uint64_t)(4 * f->wait_ms) : 0) != cap) {
		struct fetch_event ev = {
			.kind = FEV_RAMP, .slot = f->ramp.cap, .bytes = (uint64_t)f->ramp.rate,
		};

		fetch_emit(f, &ev);
	}
}

int polite_retries(struct fetch *f, uint64_t ms, unsigned cap, unsigned busy)
{
	int ret = 0;

	for (unsigned i = 0; i < f->nslots && !ret; i++) {
		struct slot *s = &f->slots[i];
		uint64_t later;

		if (s->state != SLOT_WAIT || s->wake_ms > ms || busy >= cap)
			continue;
		/* Repeated requests are rationed: a failing server is not hammered. */
		later = rate_cap_take(&f->rc, ms);
		if (later) {
			s->wake_ms = ms + later;
			continue;
		}
		ret = slot_start(s, s->seg);
		busy += s->state == SLOT_BUSY;
	}
	return ret;
}
