/*
 * t-num.c -- the strict number, size and duration parsers.
 */
#include "config.h"

#include <stddef.h>

#include "num.h"
#include "tap.h"

int main(void)
{
	uint64_t v = 0;

	ok(num_parse_u64("0", &v) == NUM_OK && v == 0, "0 parses");
	ok(num_parse_u64("18446744073709551615", &v) == NUM_OK && v == UINT64_MAX,
	   "2^64-1 parses");
	ok(num_parse_u64("18446744073709551616", &v) == NUM_ERANGE, "2^64 overflows");
	ok(num_parse_u64("99999999999999999999999", &v) == NUM_ERANGE, "huge overflows");
	ok(num_parse_u64("", &v) == NUM_EINVAL, "empty is invalid");
	ok(num_parse_u64("-1", &v) == NUM_EINVAL, "a sign is invalid");
	ok(num_parse_u64("+1", &v) == NUM_EINVAL, "a plus sign is invalid");
	ok(num_parse_u64(" 1", &v) == NUM_EINVAL, "leading space is invalid");
	ok(num_parse_u64("12abc", &v) == NUM_EINVAL, "trailing junk is invalid");
	ok(num_parse_u64("0x10", &v) == NUM_EINVAL, "hex is invalid");
	ok(num_parse_u64(NULL, &v) == NUM_EINVAL, "NULL is invalid");

	ok(num_parse_size("512", &v) == NUM_OK && v == 512, "plain bytes");
	ok(num_parse_size("4k", &v) == NUM_OK && v == 4096, "4k");
	ok(num_parse_size("4K", &v) == NUM_OK && v == 4096, "4K");
	ok(num_parse_size("3M", &v) == NUM_OK && v == 3u << 20, "3M");
	ok(num_parse_size("1GiB", &v) == NUM_OK && v == 1u << 30, "1GiB");
	ok(num_parse_size("2TB", &v) == NUM_OK && v == 2ull << 40, "2TB");
	ok(num_parse_size("16777216T", &v) == NUM_ERANGE, "2^64 bytes in T overflows");
	ok(num_parse_size("1X", &v) == NUM_EINVAL, "unknown unit");
	ok(num_parse_size("1Mx", &v) == NUM_EINVAL, "junk after unit");
	ok(num_parse_size("M", &v) == NUM_EINVAL, "unit without number");

	ok(num_parse_msec("2", &v) == NUM_OK && v == 2000, "2 s");
	ok(num_parse_msec("0.5", &v) == NUM_OK && v == 500, "0.5 s");
	ok(num_parse_msec("1.25s", &v) == NUM_OK && v == 1250, "1.25s");
	ok(num_parse_msec("250ms", &v) == NUM_OK && v == 250, "250ms");
	ok(num_parse_msec("1.5ms", &v) == NUM_EINVAL, "fractional ms invalid");
	ok(num_parse_msec("1.", &v) == NUM_EINVAL, "dangling point invalid");
	ok(num_parse_msec("1m", &v) == NUM_OK && v == 60000, "1m is a minute");
	ok(num_parse_msec("1.5min", &v) == NUM_OK && v == 90000, "1.5min");
	ok(num_parse_msec("2h", &v) == NUM_OK && v == 7200000, "2h");
	ok(num_parse_msec("0.001s", &v) == NUM_OK && v == 1, "0.001s is 1 ms");
	ok(num_parse_msec("7d", &v) == NUM_OK && v == 604800000, "7d");
	ok(num_parse_msec("1w", &v) == NUM_EINVAL, "unknown unit invalid");
	ok(num_parse_msec("1 s", &v) == NUM_EINVAL, "no blank before the unit");
	ok(num_parse_msec("5124095576030432h", &v) == NUM_ERANGE, "too many hours");
	ok(num_parse_msec("18446744073709551", &v) == NUM_ERANGE, "too many seconds");

	{
		const char *p = "123-456";
		ok(num_scan_u64(&p, &v) == NUM_OK && v == 123 && *p == '-',
		   "scan stops at the first non-digit");
	}
	return tap_done();
}
