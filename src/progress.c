/*
 * progress.c -- speed, time left, sizes, durations and the file map.
 */
#include "config.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "progress.h"

#define PRIME_MS 500

void speed_init(struct speed *s, uint64_t now_ms, uint64_t bytes)
{
	memset(s, 0, sizeof(*s));
	s->t0 = s->last_ms = now_ms;
	s->b0 = s->last_bytes = bytes;
}

double speed_update(struct speed *s, uint64_t now_ms, uint64_t bytes)
{
	double dt, inst, w;

	if (now_ms <= s->last_ms || bytes < s->last_bytes)
		return s->rate;
	if (!s->primed) {
		if (now_ms - s->t0 < PRIME_MS)
			return s->rate;
		/* The first figure: the mean since the start. */
		s->rate = (double)(bytes - s->b0) * 1000.0 / (double)(now_ms - s->t0);
		s->primed = 1;
	} else {
		dt = (double)(now_ms - s->last_ms);
		inst = (double)(bytes - s->last_bytes) * 1000.0 / dt;
		w = 1.0 - exp(-dt / SPEED_TAU_MS);
		s->rate += w * (inst - s->rate);
	}
	s->last_ms = now_ms;
	s->last_bytes = bytes;
	return s->rate;
}

int64_t progress_eta(uint64_t left, double rate)
{
	double secs;

	if (!left)
		return 0;
	if (rate < 1.0)
		return -1;
	secs = (double)left / rate;
	return secs > 1e9 ? -1 : (int64_t)(secs + 0.5);
}

void progress_size(char *buf, size_t len, uint64_t bytes)
{
	static const char *const unit[] = { "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	double v = (double)bytes;
	int u = -1;

	if (bytes < 1024) {
		snprintf(buf, len, "%" PRIu64 " B", bytes);
		return;
	}
	while (v >= 1024.0 && u < 5) {
		v /= 1024.0;
		u++;
	}
	/* Three significant digits, and never "1024 KiB". */
	if (v >= 999.5 && u < 5) {
		v /= 1024.0;
		u++;
	}
	snprintf(buf, len, v >= 99.95 ? "%.0f %s" : v >= 9.995 ? "%.1f %s" : "%.2f %s", v,
		 unit[u]);
}

void progress_duration(char *buf, size_t len, int64_t secs)
{
	if (secs < 0)
		snprintf(buf, len, "--");
	else if (secs < 60)
		snprintf(buf, len, "%" PRId64 "s", secs);
	else if (secs < 3600)
		snprintf(buf, len, "%" PRId64 "m%02" PRId64 "s", secs / 60, secs % 60);
	else if (secs < 86400)
		snprintf(buf, len, "%" PRId64 "h%02" PRId64 "m", secs / 3600, secs / 60 % 60);
	else
		snprintf(buf, len, "%" PRId64 "d%02" PRId64 "h", secs / 86400, secs / 3600 % 24);
}

/* The cell holding byte `at`: at * width / size without overflow. */
static size_t cell_of(uint64_t at, uint64_t size, size_t width)
{
	long double c = (long double)at * (long double)width / (long double)size;
	size_t i = (size_t)c;

	return i < width ? i : width - 1;
}

/* Add the bytes [a, b) to the cells they cover, as missing bytes. */
static void add_missing(uint64_t *miss, size_t width, uint64_t size, uint64_t a, uint64_t b)
{
	while (a < b) {
		size_t i = cell_of(a, size, width);
		/* The cell's end: the first byte of the next cell. */
		uint64_t end = (uint64_t)(((long double)(i + 1) * (long double)size +
					   (long double)width - 1) / (long double)width);
		uint64_t to;

		if (end <= a)
			end = a + 1;
		to = end < b ? end : b;
		miss[i] += to - a;
		a = to;
	}
}

void progress_map(char *buf, size_t width, uint64_t size, const struct plan *p)
{
	uint64_t *miss;

	if (!width) {
		buf[0] = '\0';
		return;
	}
	memset(buf, MAP_EMPTY, width);
	buf[width] = '\0';
	if (!size || !p)
		return;
	miss = calloc(width, sizeof(*miss));
	if (!miss)
		return;
	for (size_t k = 0; k < p->nsegs; k++) {
		const struct seg *g = &p->segs[k];

		if (g->pos < g->end && g->pos < size)
			add_missing(miss, width, size, g->pos, g->end < size ? g->end : size);
	}
	for (size_t i = 0; i < width; i++) {
		uint64_t a = (uint64_t)(((long double)i * (long double)size + (long double)width - 1) /
					(long double)width);
		uint64_t b = (uint64_t)(((long double)(i + 1) * (long double)size +
					 (long double)width - 1) / (long double)width);
		uint64_t cell = b > a ? b - a : 0;

		if (!cell)
			buf[i] = i ? buf[i - 1] : MAP_EMPTY; /* more cells than bytes */
		else
			buf[i] = miss[i] == 0 ? MAP_DONE : miss[i] >= cell ? MAP_EMPTY : MAP_PART;
	}
	for (size_t k = 0; k < p->nsegs; k++) {
		const struct seg *g = &p->segs[k];

		if (g->owner != PLAN_NO_OWNER && g->pos < g->end && g->pos < size)
			buf[cell_of(g->pos, size, width)] = MAP_HEAD;
	}
	free(miss);
}
