/*
 * err.h -- haul's outcome codes and the error record library code fills in.
 *
 * Library functions return 0 on success or a negative HAUL_E* code, and put
 * the human-readable cause into a struct haul_error supplied by the caller.
 * Only main.c turns a code into a process exit status (haul_exit_status()),
 * so the mapping below is the one documented in haul(1) under EXIT STATUS.
 */
#ifndef HAUL_ERR_H
#define HAUL_ERR_H

#include <stdarg.h>

enum haul_code {
	HAUL_OK = 0,
	HAUL_EFAIL = -1,      /* internal error, out of memory */
	HAUL_EUSAGE = -2,     /* bad command line or option value */
	HAUL_ENET = -3,       /* network or transfer failure, protocol violation */
	HAUL_EHTTP = -4,      /* the server refused the object (404, 403, ...) */
	HAUL_EIO = -5,        /* local file system error */
	HAUL_ECHANGED = -6,   /* the remote object is not the one we started on */
	HAUL_EINTR = -7,      /* interrupted by a signal; state kept, resumable */
	HAUL_EEXPIRED = -8,   /* the URL expired and could not be refreshed */
	HAUL_EINTEGRITY = -9, /* a checksum did not match */
};

/* The error a library call reports: a code and one line of text. */
struct haul_error {
	int code;  /* a HAUL_E* value, HAUL_OK when nothing happened */
	char *msg; /* owned, NULL or malloced; one line, no "haul: " prefix */
};

void haul_error_init(struct haul_error *err);
void haul_error_release(struct haul_error *err);

/*
 * Record an error, replacing any earlier one, and return its code so callers
 * can write "return haul_error_set(err, HAUL_EIO, ...);". err may be NULL.
 */
int haul_error_set(struct haul_error *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int haul_error_setv(struct haul_error *err, int code, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

/* The process exit status for a code (0..9), see haul(1). */
int haul_exit_status(int code);

/* A short name for a code, for messages and tests ("usage", "network", ...). */
const char *haul_code_name(int code);

#endif
