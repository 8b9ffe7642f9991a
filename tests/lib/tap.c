/*
 * tap.c -- TAP output for the unit tests.
 */
#include "config.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "tap.h"

static int planned = -1, run, failed;

void tap_plan(int n)
{
	planned = n;
	printf("1..%d\n", n);
}

static int report(int cond, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

static int report(int cond, const char *fmt, va_list ap)
{
	run++;
	if (!cond)
		failed++;
	printf("%sok %d - ", cond ? "" : "not ", run);
	vprintf(fmt, ap);
	putchar('\n');
	fflush(stdout);
	return cond;
}

int tap_ok(int cond, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report(cond, fmt, ap);
	va_end(ap);
	return cond;
}

int tap_is_u64(uint64_t got, uint64_t want, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report(got == want, fmt, ap);
	va_end(ap);
	if (got != want)
		tap_diag("got %" PRIu64 ", want %" PRIu64, got, want);
	return got == want;
}

int tap_is_int(long long got, long long want, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report(got == want, fmt, ap);
	va_end(ap);
	if (got != want)
		tap_diag("got %lld, want %lld", got, want);
	return got == want;
}

int tap_is_str(const char *got, const char *want, const char *fmt, ...)
{
	int same = (got == NULL && want == NULL) ||
		   (got != NULL && want != NULL && strcmp(got, want) == 0);
	va_list ap;

	va_start(ap, fmt);
	report(same, fmt, ap);
	va_end(ap);
	if (!same)
		tap_diag("got '%s', want '%s'", got ? got : "(null)", want ? want : "(null)");
	return same;
}

void tap_diag(const char *fmt, ...)
{
	va_list ap;

	fputs("# ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

int tap_done(void)
{
	if (planned < 0)
		printf("1..%d\n", run);
	else if (planned != run)
		tap_diag("planned %d tests but ran %d", planned, run);
	fflush(stdout);
	return failed || (planned >= 0 && planned != run) ? 1 : 0;
}
