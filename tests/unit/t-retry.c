/*
 * t-retry.c -- backoff with full jitter, Retry-After (seconds and HTTP
 * dates), the request-rate cap, and rescuing a slow range in the plan.
 */
#include "config.h"

#include "plan.h"
#include "retry.h"
#include "tap.h"

static void delays(void)
{
	uint64_t rng = 42, max1 = 0, max8 = 0, min8 = UINT64_MAX, d;
	int spread = 0;

	for (int i = 0; i < 2000; i++) {
		d = retry_delay(1, 0, retry_random(&rng));
		max1 = d > max1 ? d : max1;
		d = retry_delay(8, 0, retry_random(&rng));
		max8 = d > max8 ? d : max8;
		min8 = d < min8 ? d : min8;
	}
	ok(max1 <= RETRY_BASE_MS, "first repeat waits at most %u ms (saw %llu)", RETRY_BASE_MS,
	   (unsigned long long)max1);
	ok(max8 <= 32000 && max8 > 16000, "8th repeat waits up to 250 ms x 2^7 (saw max %llu)",
	   (unsigned long long)max8);
	ok(min8 < 4000, "... and full jitter reaches low values too (saw min %llu)",
	   (unsigned long long)min8);
	for (int i = 0; i < 100; i++)
		if (retry_delay(50, 0, retry_random(&rng)) > RETRY_CAP_MS)
			spread = 1;
	ok(!spread, "no wait above the %u ms cap, however many failures", RETRY_CAP_MS);
	ok(retry_delay(1, 5000, 7) == 5000, "Retry-After: 5 s is a floor");
	ok(retry_delay(1, 100000000, 7) == RETRY_AFTER_MAX_MS, "Retry-After is capped at 5 min");
	ok(retry_random(&rng) != retry_random(&rng), "the random source moves");
}

static void after(void)
{
	uint64_t ms = 1;
	const int64_t now = 784111777; /* Sun, 06 Nov 1994 08:49:37 GMT */

	ok(retry_after_parse("120", now, &ms) == 0 && ms == 120000, "Retry-After: 120");
	ok(retry_after_parse(" 0 ", now, &ms) == 0 && ms == 0, "Retry-After: 0 with spaces");
	ok(retry_after_parse("Sun, 06 Nov 1994 08:50:37 GMT", now, &ms) == 0 && ms == 60000,
	   "an IMF-fixdate a minute ahead");
	ok(retry_after_parse("Sunday, 06-Nov-94 08:50:37 GMT", now, &ms) == 0 && ms == 60000,
	   "an RFC 850 date");
	ok(retry_after_parse("Sun Nov  6 08:50:37 1994", now, &ms) == 0 && ms == 60000,
	   "an asctime date");
	ok(retry_after_parse("Sun, 06 Nov 1994 08:00:00 GMT", now, &ms) == 0 && ms == 0,
	   "a date in the past: no wait");
	ok(retry_after_parse("99999999999999999999999", now, &ms) == 0 && ms > RETRY_AFTER_MAX_MS,
	   "an absurd number of seconds parses (the cap applies later)");
	ok(retry_after_parse("12abc", now, &ms) == -1, "12abc rejected");
	ok(retry_after_parse("soon", now, &ms) == -1, "a word rejected");
	ok(retry_after_parse(NULL, now, &ms) == -1, "absent rejected");
}

static void cap(void)
{
	struct rate_cap rc;
	int free_now = 0;

	rate_cap_init(&rc, 10, 1000);
	while (free_now < 100 && rate_cap_take(&rc, 1000) == 0)
		free_now++;
	is_int(free_now, 10, "a burst of 10 at 10 per second");
	ok(rate_cap_take(&rc, 1000) > 90 && rate_cap_take(&rc, 1000) <= 101,
	   "the next waits about 100 ms");
	ok(rate_cap_take(&rc, 1101) == 0, "... and goes after it");
	ok(rate_cap_take(&rc, 1101) > 0, "... one at a time");
	free_now = 0;
	while (free_now < 100 && rate_cap_take(&rc, 60000) == 0)
		free_now++;
	is_int(free_now, 10, "after a long pause the burst is 10 again, not more");
}

static void rescue(void)
{
	const uint64_t M = 1 << 20;
	struct range whole = { 0, 16 * M };
	struct plan p;
	long a, r;

	plan_init(&p, 16 * M, &whole, 1, 1, 8 * M, M);
	a = plan_take(&p, 0);
	p.segs[a].pos = 3 * M + 5;
	r = plan_rescue(&p, a, 1);
	ok(r >= 0 && p.segs[r].start == 4 * M && p.segs[r].end == 16 * M && p.segs[a].end == 4 * M,
	   "rescue: the slow connection keeps its current block, the rest moves");
	ok(p.segs[r].owner == 1, "... to the rescuer");
	p.segs[r].pos = 14 * M + 1;
	a = plan_rescue(&p, r, 2);
	ok(a >= 0 && p.segs[a].start == 15 * M && p.segs[a].end == 16 * M,
	   "a rescue may move less than min_split: one block");
	p.segs[a].pos = 15 * M + 1;
	ok(plan_rescue(&p, a, 3) == -1, "no rescue inside the last block");
	plan_release(&p);
}

int main(void)
{
	delays();
	after();
	cap();
	rescue();
	return tap_done();
}
