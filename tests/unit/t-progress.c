/*
 * t-progress.c -- the smoothed speed, time left, sizes, durations and the
 * map of the file that the progress display is drawn from.
 */
#include "config.h"

#include <string.h>

#include "plan.h"
#include "progress.h"
#include "tap.h"

static void speeds(void)
{
	struct speed s;
	uint64_t t = 10000, b = 0;
	double r;

	speed_init(&s, t, 0);
	is_int((long long)speed_update(&s, t + 200, 50000000), 0, "no figure in the first 500 ms");
	/* 100 MB/s for 5 s, sampled every 250 ms. */
	for (int i = 1; i <= 20; i++)
		r = speed_update(&s, t + 250 * (uint64_t)i, b += 25000000);
	ok(r > 99e6 && r < 101e6, "a steady 100 MB/s reads 100 MB/s (%.0f)", r);
	/* Then 10 MB/s: after 3 s (one time constant) it is about 2/3 of the way. */
	for (int i = 1; i <= 12; i++)
		r = speed_update(&s, t + 5000 + 250 * (uint64_t)i, b += 2500000);
	ok(r > 35e6 && r < 50e6, "a drop to 10 MB/s: about 40 MB/s after 3 s (%.0f)", r);
	for (int i = 13; i <= 80; i++)
		r = speed_update(&s, t + 5000 + 250 * (uint64_t)i, b += 2500000);
	ok(r > 10e6 && r < 11e6, "... and 10 MB/s after 20 s (%.0f)", r);
	/* The same data sampled 10x as often gives the same figure. */
	{
		struct speed a, f;
		double ra = 0, rf = 0;
		uint64_t ba = 0, bf = 0;

		speed_init(&a, 0, 0);
		speed_init(&f, 0, 0);
		for (int i = 1; i <= 400; i++) {
			uint64_t inc = i <= 200 ? 1000000 : 100000; /* 100 then 10 MB/s */

			bf += inc;
			rf = speed_update(&f, (uint64_t)i * 10, bf);
			if (i % 10 == 0) {
				ba += 10 * inc;
				ra = speed_update(&a, (uint64_t)i * 10, ba);
			}
		}
		ok(ra / rf > 0.97 && ra / rf < 1.03, "the redraw rate does not change the speed "
		   "(%.0f vs %.0f)", ra, rf);
	}
	r = speed_update(&s, t + 1, b + 1);
	ok(r > 0, "a sample from the past is ignored");
}

static void etas(void)
{
	is_int(progress_eta(0, 0), 0, "nothing left: 0 s");
	is_int(progress_eta(100, 0.5), -1, "no speed: unknown");
	is_int(progress_eta(1000, 100), 10, "1000 bytes at 100/s: 10 s");
	is_int(progress_eta(UINT64_MAX, 1.0), -1, "centuries: unknown");
}

static void sizes(void)
{
	char b[32];
	static const struct { uint64_t v; const char *s; } t[] = {
		{ 0, "0 B" }, { 1023, "1023 B" }, { 1024, "1.00 KiB" }, { 1536, "1.50 KiB" },
		{ 10240, "10.0 KiB" }, { 1048575, "1.00 MiB" }, { 1048576, "1.00 MiB" },
		{ 123456789, "118 MiB" }, { 4294967296ull, "4.00 GiB" },
		{ 1022976, "999 KiB" }, { 1023488, "0.98 MiB" }, { UINT64_MAX, "16.0 EiB" },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		progress_size(b, sizeof(b), t[i].v);
		is_str(b, t[i].s, "%llu bytes", (unsigned long long)t[i].v);
	}
}

static void durations(void)
{
	char b[32];
	static const struct { int64_t v; const char *s; } t[] = {
		{ -1, "--" }, { 0, "0s" }, { 59, "59s" }, { 60, "1m00s" }, { 185, "3m05s" },
		{ 3600, "1h00m" }, { 7620, "2h07m" }, { 86400, "1d00h" }, { 273600, "3d04h" },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		progress_duration(b, sizeof(b), t[i].v);
		is_str(b, t[i].s, "%lld seconds", (long long)t[i].v);
	}
}

static void maps(void)
{
	struct plan p;
	struct range whole = { 0, 1000 }, holes[2] = { { 0, 100 }, { 500, 1000 } };
	char m[32];

	/* 1000 bytes in 4 segments of 250, 10 cells of 100 bytes. */
	plan_init(&p, 1000, &whole, 1, 4, 1, 1);
	progress_map(m, 10, 1000, &p);
	is_str(m, "          ", "nothing written: all empty");
	p.segs[0].pos = 100;               /* [0,100) written, no owner */
	p.segs[1].pos = 300;               /* [250,300) written */
	p.segs[1].owner = 1;               /* ... and being written at 300 */
	p.segs[3].pos = p.segs[3].end;     /* [750,1000) done */
	progress_map(m, 10, 1000, &p);
	is_str(m, "= ->   -==", "done, empty, partly done, a write head, empty, partly, done");
	progress_map(m, 5, 1000, &p);
	is_str(m, "-> -=", "the same in 5 cells of 200 bytes");
	plan_release(&p);

	/* A resume: only the holes are planned; the rest is on disk. */
	plan_init(&p, 1000, holes, 2, 2, 1, 1);
	progress_map(m, 10, 1000, &p);
	is_str(m, " ====     ", "bytes outside the plan's holes are done");
	plan_release(&p);

	plan_init(&p, 3, &whole, 1, 1, 1, 1);
	p.segs[0].end = 3;
	p.segs[0].pos = 1;
	progress_map(m, 6, 3, &p);
	is_int((int)strlen(m), 6, "more cells than bytes: still 6 cells");
	ok(m[0] == MAP_DONE && m[5] == MAP_EMPTY, "... first byte done, last not (%s)", m);
	progress_map(m, 8, 0, &p);
	is_str(m, "        ", "an unknown or empty size: all empty");
	plan_release(&p);
}

int main(void)
{
	speeds();
	etas();
	sizes();
	durations();
	maps();
	return tap_done();
}
