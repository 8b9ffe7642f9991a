/*
 * num.h -- the one strict number parser. Every number haul reads, from the
 * command line or from a server, goes through here: digits only, no sign, no
 * white space, overflow and trailing junk reported (no atoi/strtol).
 */
#ifndef HAUL_NUM_H
#define HAUL_NUM_H

#include <stdint.h>

enum num_result {
	NUM_OK = 0,
	NUM_EINVAL = -1, /* empty, not a number, or trailing junk */
	NUM_ERANGE = -2, /* does not fit in 64 bits (or above the caller's max) */
};

/*
 * Consume decimal digits at *p, advancing *p past them. At least one digit is
 * required; leading zeros are fine. Does not look at what follows.
 */
int num_scan_u64(const char **p, uint64_t *out);

/* The whole string must be a decimal number. */
int num_parse_u64(const char *s, uint64_t *out);

/*
 * A byte count: a decimal number with an optional binary suffix k, M, G or T
 * (any case, optionally followed by "iB" or "B"): "512k", "4M", "1GiB".
 */
int num_parse_size(const char *s, uint64_t *out);

/*
 * A duration in seconds with an optional fraction of up to 9 digits and an
 * optional unit "ms", "s", "m" (or "min"), "h" or "d": "2", "0.5", "250ms",
 * "7d". Result in milliseconds.
 */
int num_parse_msec(const char *s, uint64_t *out_ms);

#endif
