/*
 * msg.c -- user-facing lines on stderr, filtered by verbosity.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

#include "msg.h"

void msg_init(struct msg *m, int level)
{
	m->level = level;
	m->out = stderr;
}

static void say(const struct msg *m, int level, const char *tag, const char *fmt, va_list ap)
	__attribute__((format(printf, 4, 0)));

static void say(const struct msg *m, int level, const char *tag, const char *fmt, va_list ap)
{
	int saved = errno; /* callers may still want the errno they had */

	if (m->level >= level) {
		fprintf(m->out, "haul: %s", tag);
		vfprintf(m->out, fmt, ap);
		fputc('\n', m->out);
		fflush(m->out);
	}
	errno = saved;
}

#define MSG_FN(name, level, tag)                                \
	void name(const struct msg *m, const char *fmt, ...)    \
	{                                                       \
		va_list ap;                                     \
		va_start(ap, fmt);                              \
		say(m, level, tag, fmt, ap);                    \
		va_end(ap);                                     \
	}

MSG_FN(msg_err, MSG_QUIET, "")
MSG_FN(msg_warn, MSG_NORMAL, "warning: ")
MSG_FN(msg_note, MSG_NORMAL, "")
MSG_FN(msg_info, MSG_VERBOSE, "")
MSG_FN(msg_debug, MSG_DEBUG, "")
