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
	uint64_t whole, frac = 0, scale = 100000000, unit; /* frac: in 1e-9 of a unit */
	unsigned ndig = 0;
	int r;

	if (!s)
		return NUM_EINVAL;
	r = num_scan_u64(&s, &whole);
	if (r)
		return r;
	if (*s == '.') {
		s++;
		if (*s < '0' || *s > '9')
			return NUM_EINVAL;
		for (; *s >= '0' && *s <= '9'; s++) {
			if (++ndig > 9)
				return NUM_EINVAL;
			frac += (uint64_t)(*s - '0') * scale;
			scale /= 10;
		}
	}
	if (strcmp(s, "ms") == 0)
		unit = 1;
	else if (!*s || strcmp(s, "s") == 0)
		unit = 1000;
	else if (strcmp(s, "m") == 0 || strcmp(s, "min") == 0)
		unit = 60 * 1000;
	else if (strcmp(s, "h") == 0)
		unit = 3600 * 1000;
	else if (strcmp(s, "d") == 0)
		unit = 86400 * 1000;
	else
		return NUM_EINVAL;
	if (unit == 1 && ndig)
		return NUM_EINVAL; /* fractions of a millisecond */
	if (whole > (UINT64_MAX - unit) / unit)
		return NUM_ERANGE;
	*out_ms = whole * unit + frac * unit / 1000000000u;
	return NUM_OK;
}
