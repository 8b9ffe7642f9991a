/*
 * t-ramp.c -- --connections auto: doubling while the speed grows, settling
 * when it does not, going back when a doubling bought nothing, and never
 * deciding on a window in which a connection was not receiving.
 */
#include "config.h"

#include "ramp.h"
#include "tap.h"

#define MB (1000000ull)

/*
 * Feed r a steady rate (bytes/s) for ms milliseconds, all connections
 * flowing, in 10 ms steps on from the given time and byte count. Returns
 * the cap at the end.
 */
static unsigned run(struct ramp *r, uint64_t *now, uint64_t *bytes, double rate, uint64_t ms)
{
	unsigned cap = r->cap;

	for (uint64_t t = 0; t < ms; t += 10) {
		*now += 10;
		*bytes += (uint64_t)(rate / 100);
		cap = ramp_sample(r, *now, *bytes, 1, 0);
	}
	return cap;
}

/* Every connection gets 25 MB/s: the aggregate grows with each doubling. */
static void per_connection_cap(void)
{
	struct ramp r;
	uint64_t now = 1000, bytes = 0;

	ramp_init(&r, RAMP_START, 16);
	is_int(r.cap, 4, "auto starts with 4 connections");
	ok(!r.settled, "... and is not settled");
	is_int(run(&r, &now, &bytes, 4 * 25 * MB, 300), 8, "4 x 25 MB/s: doubles to 8");
	is_int(run(&r, &now, &bytes, 8 * 25 * MB, 300), 16, "8 x 25 MB/s: doubles to 16");
	is_int(run(&r, &now, &bytes, 16 * 25 * MB, 300), 16, "16 is the maximum");
	ok(r.settled, "... where it settles");
	is_int(run(&r, &now, &bytes, 1 * MB, 2000), 16, "settled: a slump changes nothing");
}

/* One link of 100 MB/s, however many connections. */
static void shared_link(void)
{
	struct ramp r;
	uint64_t now = 1000, bytes = 0;

	ramp_init(&r, RAMP_START, 16);
	is_int(run(&r, &now, &bytes, 100 * MB, 300), 8, "a shared link: 4 -> 8 to find out");
	is_int(run(&r, &now, &bytes, 101 * MB, 300), 4,
	       "8 connections gained 1%%: back to 4");
	ok(r.settled, "... and settled there");
	is_int(run(&r, &now, &bytes, 400 * MB, 2000), 4, "... for good");
}

/* A doubling that helps, but less than RAMP_GAIN: keep it, stop there. */
static void small_gain(void)
{
	struct ramp r;
	uint64_t now = 1000, bytes = 0;

	ramp_init(&r, RAMP_START, 64);
	run(&r, &now, &bytes, 100 * MB, 300);
	is_int(run(&r, &now, &bytes, 115 * MB, 300), 8, "+15%%: keeps 8 connections");
	ok(r.settled, "... and stops growing");
}

/* The window: long enough, and only while all connections receive. */
static void windows(void)
{
	struct ramp r;
	uint64_t now = 1000, bytes = 0;

	ramp_init(&r, RAMP_START, 16);
	is_int(run(&r, &now, &bytes, 100 * MB, RAMP_WINDOW_MS - 20), 4,
	       "no decision before %d ms", RAMP_WINDOW_MS);
	is_int(run(&r, &now, &bytes, 100 * MB, 40), 8, "... one just after");

	ramp_init(&r, RAMP_START, 16);
	now = 1000;
	bytes = 0;
	run(&r, &now, &bytes, 100 * MB, 200);
	now += 10;
	bytes += 1;
	is_int(ramp_sample(&r, now, bytes, 0, 0), 4, "a connection not receiving...");
	is_int(run(&r, &now, &bytes, 100 * MB, 200), 4, "... restarts the window");
	is_int(run(&r, &now, &bytes, 100 * MB, 100), 8, "... which then runs its full length");

	ramp_init(&r, RAMP_START, 16);
	now = 1000;
	bytes = 0;
	is_int(run(&r, &now, &bytes, 100 * MB, 300), 8, "4 -> 8 ...");
	for (int i = 0; i < 90; i++) {
		now += 10;
		bytes += 2 * MB;
		ramp_sample(&r, now, bytes, 1, 1000);
	}
	is_int(r.cap, 8, "a longer window asked for (4 x the first-byte wait) is waited for");
	now += 200;
	bytes += 40 * MB;
	is_int(ramp_sample(&r, now, bytes, 1, 1000), 16, "... and then decided on");
}

static void fixed(void)
{
	struct ramp r;
	uint64_t now = 1000, bytes = 0;

	ramp_init(&r, 16, 16);
	ok(r.settled && r.cap == 16, "a fixed count is settled from the start");
	is_int(run(&r, &now, &bytes, 100 * MB, 1000), 16, "... and never changes");
	ramp_init(&r, RAMP_START, 2);
	ok(r.cap == 2 && r.settled, "auto with a maximum of 2 starts (and stays) at 2");
	ramp_init(&r, RAMP_START, 6);
	run(&r, &now, &bytes, 100 * MB, 300);
	is_int(r.cap, 6, "doubling stops at the maximum (6, not 8)");
	ramp_init(&r, RAMP_START, 16);
	ramp_settle(&r);
	is_int(run(&r, &now, &bytes, 100 * MB, 1000), 4, "ramp_settle: no more doubling");
}

int main(void)
{
	per_connection_cap();
	shared_link();
	small_gain();
	windows();
	fixed();
	return tap_done();
}
