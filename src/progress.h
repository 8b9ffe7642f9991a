/*
 * progress.h -- the arithmetic behind what haul shows while it works: a
 * smoothed speed, the time left, human-readable sizes and durations, and a
 * compact map of which parts of the file are done and in flight. Pure
 * functions of their arguments (the clock is passed in), table-tested in
 * tests/unit/t-progress.c; report.c draws with them.
 */
#ifndef HAUL_PROGRESS_H
#define HAUL_PROGRESS_H

#include <stddef.h>
#include <stdint.h>

#include "plan.h"

/* The time constant of the smoothed speed: about the last 3 seconds. */
#define SPEED_TAU_MS 3000.0

/*
 * A speed smoothed exponentially over time (not per sample), so that a
 * redraw rate does not change it, and primed by the first 500 ms so that
 * the first figure is not a burst.
 */
struct speed {
	double rate;          /* bytes/s, 0 until primed */
	uint64_t t0, b0;      /* the first sample */
	uint64_t last_ms;     /* the last sample */
	uint64_t last_bytes;
	int primed;
};

void speed_init(struct speed *s, uint64_t now_ms, uint64_t bytes);

/* Add a sample (bytes is a running total); returns the smoothed rate. */
double speed_update(struct speed *s, uint64_t now_ms, uint64_t bytes);

/* Seconds left for `left` bytes at `rate` bytes/s; -1 when unknown. */
int64_t progress_eta(uint64_t left, double rate);

/* "999 B", "1.5 KiB", "12.3 MiB", "4.00 GiB" (three significant digits). */
void progress_size(char *buf, size_t len, uint64_t bytes);

/* "12s", "3m05s", "2h07m", "3d04h"; "--" for a negative value. */
void progress_duration(char *buf, size_t len, int64_t secs);

/* What one cell of the map shows. */
enum map_cell {
	MAP_EMPTY = ' ',   /* nothing of it written yet */
	MAP_PART = '-',    /* some of it written */
	MAP_DONE = '=',    /* all of it written */
	MAP_HEAD = '>',    /* a connection is writing here now */
};

/*
 * Draw the file of `size` bytes as `width` cells into buf (width + 1 bytes,
 * NUL-terminated): bytes outside the plan's segments are done (on disk
 * before, or not planned), a segment's bytes before its position are done,
 * and a cell holding the write position of an owned segment is a head.
 * With size 0 (or unknown) every cell is MAP_EMPTY.
 */
void progress_map(char *buf, size_t width, uint64_t size, const struct plan *p);

#endif
