/*
 * msg.h -- what haul says to the user on stderr, at which verbosity.
 *
 * Every line starts with "haul: ". Library code never prints: it returns a
 * struct haul_error, and the controller or main decides what to say. Text
 * that may contain a URL must go through url_redact() first.
 */
#ifndef HAUL_MSG_H
#define HAUL_MSG_H

#include <stdio.h>

enum msg_level {
	MSG_QUIET = -1,  /* -q: errors only */
	MSG_NORMAL = 0,  /* warnings, notes and the final summary */
	MSG_VERBOSE = 1, /* -v: requests, ranges, retries */
	MSG_DEBUG = 2,   /* -vv: everything */
};

struct report;

struct msg {
	int level;  /* an enum msg_level */
	FILE *out;  /* borrowed; stderr unless a test says otherwise */
	struct report *rep; /* borrowed, NULL: the progress display (for the
			     * events the controller reports) */
	/* Where every line goes first (main sets it to the display's
	 * report_message): 1 when it took the line, 0 to print it to out. */
	int (*sink)(void *ctx, int kind, const char *line);
	void *sink_ctx;     /* borrowed */
};

void msg_init(struct msg *m, int level);

void msg_err(const struct msg *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void msg_warn(const struct msg *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void msg_note(const struct msg *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void msg_info(const struct msg *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void msg_debug(const struct msg *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
