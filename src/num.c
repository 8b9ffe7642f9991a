/*
 * num.c -- strict parsing of decimal numbers, sizes and durations.
 */
#include "config.h"

#include <stddef.h>
#include <string.h>
#include <strings.h>

#include "num.h"

int num_scan_u64(const char **p, uint64_t *out)
{
	const char *s = *p;
	uint64_t v = 0;

	if (*s < '0' || *s > '9')
		return NUM_EINVAL;
	for (; *s >= '0' && *s <= '9'; s++) {
		unsigned d = (unsigned)(*s - '0');

		if (v > (UINT64_MAX - d) / 10)
			return NUM_ERANGE;
		v = v * 10 + d;
	}
	*p = s;
	*out = v;
	return NUM_OK;
}

int num_parse_u64(const char *s, uint64_t *out)
{
	uint64_t v;
	int r;

	if (!s)
		return NUM_EINVAL;
	r = num_scan_u64(&s, &v);
	if (r)
		return r;
	if (*s)
		return NUM_EINVAL;
	*out = v;
	return NUM_OK;
}

int num_parse_size(const char *s, uint64_t *out)
{
	static const char units[] = "kmgt";
	const char *u;
	uint64_t v;
	unsigned shift = 0;
	int r;

	if (!s)
		return NUM_EINVAL;
	r = num_scan_u64(&s, &v);
	if (r)
		return r;
	if (*s) {
		char c = (char)(*s | 0x20); /* ASCII lower case */

		u = strchr(units, c);
		if (!u || c == '\0')
			return NUM_EINVAL;
		shift = 10u * (unsigned)(u - units + 1);
		s++;
		if (strcasecmp(s, "ib") != 0 && strcasecmp(s, "b") != 0 && *s)
			return NUM_EINVAL;
	}
	if (shift && v > (UINT64_MAX >> shift))
		return NUM_ERANGE;
	*out = v << shift;
	return NUM_OK;
}

int num_parse_msec(const char *s, uint64_t *out_ms)
{
	uint64_t whole, frac_ms = 0;
	unsigned ndig = 0;
	int r;

	if (!s)
		return NUM_EINVAL;
	r = num_scan_u64(&s, &whole);
	if (r)
		return r;
	if (*s == '.') {
		uint64_t scale = 100;

		s++;
		if (*s < '0' || *s > '9')
			return NUM_EINVAL;
		for (; *s >= '0' && *s <= '9'; s++) {
			if (++ndig > 9)
				return NUM_EINVAL;
			frac_ms += (uint64_t)(*s - '0') * scale;
			scale /= 10;
		}
	}
	if (strcmp(s, "ms") == 0) {
		if (ndig)
			return NUM_EINVAL; /* fractions of a millisecond */
		*out_ms = whole;
		return NUM_OK;
	}
	if (*s && strcmp(s, "s") != 0)
		return NUM_EINVAL;
	if (whole > UINT64_MAX / 1000 - 1)
		return NUM_ERANGE;
	*out_ms = whole * 1000 + frac_ms;
	return NUM_OK;
}
