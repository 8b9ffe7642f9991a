/*
 * retry.h -- the one retry policy: exponential backoff with full jitter,
 * Retry-After honoured, budgets per range and per download, and a cap on
 * the rate of new requests so a failing server is never hammered. Pure
 * arithmetic; the transfer loop keeps the clocks.
 */
#ifndef HAUL_RETRY_H
#define HAUL_RETRY_H

#include <stdint.h>

#define RETRY_BASE_MS 250u          /* first backoff ceiling */
#define RETRY_CAP_MS 30000u         /* no backoff ceiling above this */
#define RETRY_AFTER_MAX_MS 300000u  /* a Retry-After longer than 5 min is cut */

struct retry_policy {
	unsigned tries;        /* failed requests in a row on one range */
	uint64_t max_time_ms;  /* a download failing this long without a byte stops */
};

/*
 * How long to wait before try number `attempt` (1 for the first repeat):
 * a uniformly random time in [0, min(RETRY_CAP_MS, RETRY_BASE_MS * 2^(attempt-1))]
 * ("full jitter"), drawn from rnd; but never less than a server's
 * Retry-After (retry_after_ms, 0 when none), itself capped.
 */
uint64_t retry_delay(unsigned attempt, uint64_t retry_after_ms, uint64_t rnd);

/*
 * Parse a Retry-After value -- delay-seconds or an HTTP-date -- into
 * milliseconds from now (Unix time now_s). Returns 0, or -1 when malformed.
 * A date in the past gives 0.
 */
int retry_after_parse(const char *value, int64_t now_s, uint64_t *ms);

/* A token bucket: at most rate repeated requests per second, bursts of rate. */
struct rate_cap {
	double rate;    /* tokens per second */
	double tokens;  /* available now */
	uint64_t at_ms; /* when tokens was last brought up to date */
};

void rate_cap_init(struct rate_cap *rc, double rate, uint64_t now_ms);

/* Take a token: 0 when one was free, else the ms until one will be. */
uint64_t rate_cap_take(struct rate_cap *rc, uint64_t now_ms);

/* xorshift64*: the jitter needs spread, not secrecy. */
uint64_t retry_random(uint64_t *state);

#endif
