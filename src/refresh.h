/*
 * refresh.h -- fresh URLs for an expiring download: the source (a user's
 * command, or a result API client) and the parser of what a command prints.
 */
#ifndef HAUL_REFRESH_H
#define HAUL_REFRESH_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

struct refresh_cmd;
struct api_call;
struct json_t;

/* Where fresh URLs come from. */
struct refresher {
	/* Get a fresh GET URL (*get, malloced) and, when the source gives one,
	 * a HEAD URL (*head, malloced or NULL). 0 or a HAUL_E* with err set. */
	int (*fetch)(void *ctx, char **get, char **head, struct haul_error *err);
	void *ctx;         /* borrowed by the refresher's user */
	const char *what;  /* for messages: "--refresh-cmd", "the Sutro API" */
	/* A command: the loop runs it itself (child.h), waiting for nothing;
	 * fetch is then the same, run to its end. NULL for an API client. */
	const struct refresh_cmd *cmd;
	/* An API client: the call to make (its strings kept in ctx until the
	 * next call) and what its answer means; the loop makes the call as
	 * one of its transfers (api.h). fetch is the same, run to its end. */
	int (*call)(void *ctx, struct api_call *call, struct haul_error *err);
	int (*answer)(void *ctx, struct json_t *json, long status, char **get, char **head,
		      struct haul_error *err);
	/* NULL, or: a fresh URL an earlier call gave for this download
	 * besides the one it was made for (*get malloced, 1), or 0 when there
	 * is none and a call is needed. */
	int (*cached)(void *ctx, char **get);
	/* NULL, or: the download has ended; its URLs are needed no more. */
	void (*done)(void *ctx);
};

/* Most a refresh command may print. */
#define REFRESH_OUTPUT_MAX (64u * 1024)

/*
 * Pure: read fresh URLs from a refresh command's output: either one line
 * holding a URL, or JSON with "urls": {"get": ..., "head": ...} (the Sutro
 * shape) or "url". Returns 0 with *get (and maybe *head) malloced, or
 * HAUL_EEXPIRED with err saying what was wrong (never echoing the output,
 * which holds credentials).
 */
int refresh_parse_output(const char *text, size_t len, char **get, char **head,
			 struct haul_error *err);

/* A refresh command: run through "sh -c" with a time limit. */
struct refresh_cmd {
	const char *cmd;        /* borrowed */
	uint64_t timeout_ms;
	const char *output;     /* borrowed: the file being downloaded, for $HAUL_OUTPUT */
	volatile sig_atomic_t *stop; /* borrowed: SIGINT/SIGTERM end the command */
};

/* The refresher's fetch for a struct refresh_cmd ctx. */
int refresh_cmd_fetch(void *ctx, char **get, char **head, struct haul_error *err);

/*
 * Run cmd with "sh -c", its standard output captured (at most
 * REFRESH_OUTPUT_MAX bytes), its standard error passed through, killed after
 * timeout_ms, or at once when *stop is raised (HAUL_EINTR). HAUL_OUTPUT is
 * set to output in its environment. Returns 0 with *out malloced
 * (NUL-terminated, *len bytes), or HAUL_EEXPIRED.
 */
int refresh_run(const char *cmd, uint64_t timeout_ms, const char *output,
		volatile sig_atomic_t *stop, char **out, size_t *len, struct haul_error *err);

#endif
