/*
 * err.c -- the error record and the code to exit status mapping.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"

void haul_error_init(struct haul_error *err)
{
	err->code = HAUL_OK;
	err->msg = NULL;
}

void haul_error_release(struct haul_error *err)
{
	free(err->msg);
	haul_error_init(err);
}

int haul_error_setv(struct haul_error *err, int code, const char *fmt, va_list ap)
{
	va_list aq;
	int len;
	char *msg;

	if (!err)
		return code;
	va_copy(aq, ap);
	len = vsnprintf(NULL, 0, fmt, aq);
	va_end(aq);
	msg = len >= 0 ? malloc((size_t)len + 1) : NULL;
	if (msg)
		vsnprintf(msg, (size_t)len + 1, fmt, ap);
	free(err->msg);
	/* Out of memory while reporting: keep the code, lose the text. */
	err->msg = msg;
	err->code = code;
	return code;
}

int haul_error_set(struct haul_error *err, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	haul_error_setv(err, code, fmt, ap);
	va_end(ap);
	return code;
}

int haul_exit_status(int code)
{
	if (code >= 0)
		return 0;
	if (code < HAUL_EINTEGRITY)
		return 1;
	return -code;
}

const char *haul_code_name(int code)
{
	switch (code) {
	case HAUL_OK: return "ok";
	case HAUL_EFAIL: return "internal";
	case HAUL_EUSAGE: return "usage";
	case HAUL_ENET: return "network";
	case HAUL_EHTTP: return "http";
	case HAUL_EIO: return "io";
	case HAUL_ECHANGED: return "changed";
	case HAUL_EINTR: return "interrupted";
	case HAUL_EEXPIRED: return "expired";
	case HAUL_EINTEGRITY: return "integrity";
	}
	return "unknown";
}
