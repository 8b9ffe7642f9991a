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
	m->rep = NULL;
	m->sink = NULL;
	m->sink_ctx = NULL;
}

static void say(const struct msg *m, int level, int kind, const char *tag, const char *fmt,
		va_list ap) __attribute__((format(printf, 5, 0)));

/* kind: 'e'rror, 'w'arning, 'n'ote, 'i'nfo, 'd'ebug -- for the sink. */
static void say(const struct msg *m, int level, int kind, const char *tag, const char *fmt,
		va_list ap)
{
	int saved = errno; /* callers may still want the errno they had */
	char line[8192];
	int n;

	if (m->level >= level) {
		n = snprintf(line, sizeof(line), "haul: %s", tag);
		if (n > 0 && (size_t)n < sizeof(line))
			vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
		if (!m->sink || !m->sink(m->sink_ctx, kind, line)) {
			fputs(line, m->out);
			fputc('\n', m->out);
			fflush(m->out);
		}
	}
	errno = saved;
}

#define MSG_FN(name, level, kind, tag)                          \
	void name(const struct msg *m, const char *fmt, ...)    \
	{                                                       \
		va_list ap;                                     \
		va_start(ap, fmt);                              \
		say(m, level, kind, tag, fmt, ap);              \
		va_end(ap);                                     \
	}

MSG_FN(msg_err, MSG_QUIET, 'e', "")
MSG_FN(msg_warn, MSG_NORMAL, 'w', "warning: ")
MSG_FN(msg_note, MSG_NORMAL, 'n', "")
MSG_FN(msg_info, MSG_VERBOSE, 'i', "")
MSG_FN(msg_debug, MSG_DEBUG, 'd', "")
