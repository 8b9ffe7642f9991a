/*
 * child.h -- a command run through "sh -c" whose standard output is read as
 * it comes, without waiting: the transfer loop watches its descriptor beside
 * the transfers (curl_multi_poll's extra descriptors) and steps it each
 * round, so a slow refresh command holds up nothing else. Its standard error
 * passes through; it runs in a process group of its own, killed whole when
 * its time is up.
 */
#ifndef HAUL_CHILD_H
#define HAUL_CHILD_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "err.h"

enum child_state {
	CHILD_IDLE = 0, /* not started, or released */
	CHILD_RUNNING,
	CHILD_EXITED,   /* it exited or was killed by a signal: status tells */
	CHILD_TIMEOUT,  /* killed: its time was up */
	CHILD_TOO_MUCH, /* killed: it printed more than the limit */
	CHILD_STOPPED,  /* killed: haul was interrupted (child_kill) */
};

struct child {
	enum child_state state;
	pid_t pid;             /* while it runs (or until reaped) */
	int fd;                /* its standard output (non-blocking), -1 when closed */
	char *buf;             /* owned: what it printed, NUL-terminated */
	size_t len, max;       /* bytes in buf; the most it may print */
	uint64_t deadline_ms;  /* clock_ms() at which it is killed */
	int status;            /* waitpid's, once it ended */
};

/*
 * Start cmd with "sh -c", HAUL_OUTPUT=output in its environment (when not
 * NULL), at most max bytes of output, killed after timeout_ms. 0, or
 * HAUL_EEXPIRED with err set (it could not be started).
 */
int child_start(struct child *c, const char *cmd, const char *output, size_t max,
		uint64_t timeout_ms, struct haul_error *err);

/*
 * Read what it printed, reap it when it ends, kill it when its time is up
 * or it printed too much. Returns 1 while it runs, 0 once it ended.
 */
int child_step(struct child *c);

/* The descriptor to wait on while it runs (-1: none), and until when. */
int child_fd(const struct child *c);
uint64_t child_deadline(const struct child *c);

/* Kill it now (its group), reap it: CHILD_STOPPED. */
void child_kill(struct child *c);

/*
 * After it ended: 0 when it exited with status 0 (its output in *out,
 * borrowed from c, and *len), else HAUL_EEXPIRED with err saying why
 * (timed out, printed too much, failed, killed), or HAUL_EINTR.
 */
int child_result(const struct child *c, const char *what, const char **out, size_t *len,
		 uint64_t timeout_ms, struct haul_error *err);

/* Kill it if it still runs; free the output. */
void child_release(struct child *c);

#endif
