/*
 * tap.h -- a minimal Test Anything Protocol emitter for the unit tests,
 * read by automake's tap-driver.sh.
 */
#ifndef HAUL_TAP_H
#define HAUL_TAP_H

#include <stdint.h>

void tap_plan(int n);
/* Returns cond, so a test can add diagnostics when it failed. */
int tap_ok(int cond, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int tap_is_u64(uint64_t got, uint64_t want, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int tap_is_int(long long got, long long want, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int tap_is_str(const char *got, const char *want, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void tap_diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Print the plan if none was given; the exit status for main(). */
int tap_done(void);

#define ok tap_ok
#define is_u64 tap_is_u64
#define is_int tap_is_int
#define is_str tap_is_str
#define diag tap_diag

#endif
