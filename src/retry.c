/*
 * retry.c -- backoff with full jitter, Retry-After, the request-rate cap.
 */
#include "config.h"

#include <string.h>

#include <curl/curl.h>

#include "num.h"
#include "retry.h"

uint64_t retry_delay(unsigned attempt, uint64_t retry_after_ms, uint64_t rnd)
{
	uint64_t ceiling = RETRY_BASE_MS, d;

	for (unsigned i = 1; i < attempt && ceiling < RETRY_CAP_MS; i++)
		ceiling *= 2;
	if (ceiling > RETRY_CAP_MS)
		ceiling = RETRY_CAP_MS;
	d = rnd % (ceiling + 1);
	if (retry_after_ms > RETRY_AFTER_MAX_MS)
		retry_after_ms = RETRY_AFTER_MAX_MS;
	return d < retry_after_ms ? retry_after_ms : d;
}

int retry_after_parse(const char *value, int64_t now_s, uint64_t *ms)
{
	uint64_t secs;
	time_t t;

	if (!value)
		return -1;
	while (*value == ' ' || *value == '\t')
		value++;
	if (*value >= '0' && *value <= '9') {
		const char *p = value;

		if (num_scan_u64(&p, &secs) != NUM_OK) {
			secs = UINT64_MAX / 1000; /* absurdly long: the cap applies */
			while (*p >= '0' && *p <= '9')
				p++;
		}
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p)
			return -1;
		*ms = secs > UINT64_MAX / 1000 ? UINT64_MAX : secs * 1000;
		return 0;
	}
	/* An HTTP-date; libcurl parses all three forms RFC 9110 allows. */
	t = curl_getdate(value, NULL);
	if (t == (time_t)-1)
		return -1;
	*ms = (int64_t)t > now_s ? (uint64_t)((int64_t)t - now_s) * 1000 : 0;
	return 0;
}

void rate_cap_init(struct rate_cap *rc, double rate, uint64_t now_ms)
{
	rc->rate = rate > 0 ? rate : 1;
	rc->tokens = rc->rate;
	rc->at_ms = now_ms;
}

uint64_t rate_cap_take(struct rate_cap *rc, uint64_t now_ms)
{
	if (now_ms > rc->at_ms) {
		rc->tokens += (double)(now_ms - rc->at_ms) * rc->rate / 1000.0;
		if (rc->tokens > rc->rate)
			rc->tokens = rc->rate;
		rc->at_ms = now_ms;
	}
	if (rc->tokens >= 1.0) {
		rc->tokens -= 1.0;
		return 0;
	}
	return (uint64_t)((1.0 - rc->tokens) * 1000.0 / rc->rate) + 1;
}

uint64_t retry_random(uint64_t *state)
{
	uint64_t x = *state ? *state : 0x9e3779b97f4a7c15ull;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return x * 0x2545f4914f6cdd1dull;
}
