/*
 * report.h -- what haul shows while it works, in one of four forms:
 *
 *   bar    on a terminal: one status line on stderr, redrawn at most 4
 *          times a second -- percent, bytes, smoothed speed, time left,
 *          connections, retries and renewals, and a map of the file
 *   lines  anywhere else (CI logs): a plain line at the start, every
 *          --progress-interval, at each quarter, and the summary; no
 *          carriage returns, no escape codes
 *   json   newline-delimited JSON events (schema version 1, in haul(1)),
 *          on stderr or on the descriptor --progress-fd names
 *   none   nothing but the messages
 *
 * The controller owns one struct report_item per download and keeps its
 * numbers current; the report reads them when it draws. Messages printed
 * while a bar is on the screen go through report_message(), which clears
 * the bar first and draws it again after (msg.c calls it).
 */
#ifndef HAUL_REPORT_H
#define HAUL_REPORT_H

#include <stdint.h>
#include <stdio.h>

#include "err.h"
#include "opts.h"
#include "plan.h"
#include "progress.h"

#define REPORT_VERSION 1

/* In the order of --progress's choices (src/cli.c). */
enum report_mode {
	REPORT_AUTO = 0, /* bar on a terminal, else lines */
	REPORT_BAR,
	REPORT_LINES,
	REPORT_JSON,
	REPORT_NONE,
};

/* One download, as the controller describes it to the report. */
struct report_item {
	const char *name;        /* borrowed: the output path */
	const char *etag;        /* borrowed, NULL */
	char *url;               /* owned, NULL: the URL without its query */
	uint64_t size;           /* valid when size_known */
	int size_known;
	uint64_t had;            /* on disk before this run */
	uint64_t done;           /* on disk now (had included) */
	unsigned max_conns;      /* connections it may use */
	unsigned conns;          /* receiving now */
	unsigned retries;
	unsigned refreshes;
	const struct plan *plan; /* borrowed, NULL: no map */
	const char *waiting;     /* borrowed, NULL: a renewal source being waited
				  * for ("the Sutro API", "--refresh-cmd") */
	uint64_t waiting_since;  /* clock_ms() when that began */

	/* Kept by report.c. */
	struct speed sp;
	uint64_t next_ms;        /* the next periodic line or event */
	unsigned quarters;       /* milestones shown (lines) */
	void *digests;           /* owned (json_t *), NULL: computed digests */
	int active;              /* between start and finish/error */
	struct report_item *next;
};

/* The numbers of a finished download. */
struct report_finish {
	uint64_t bytes;       /* the file's size */
	uint64_t fetched;     /* body bytes written this run */
	uint64_t wasted;      /* received but not kept */
	double seconds;
	unsigned requests, connections, retries, refreshes;
};

struct report {
	int mode;                /* an enum report_mode, never AUTO after init */
	FILE *out;               /* stderr, or owned when --progress-fd */
	int owned;
	int on_stderr;           /* out is stderr: messages share it */
	int color;
	uint64_t t0;             /* clock_ms at report_init */
	uint64_t interval_ms;    /* lines and json: periodic output */
	uint64_t next_draw;      /* bar: not before */
	int drawn;               /* bar: a status line is on the screen */
	struct report_item *items; /* borrowed: the active ones */
	unsigned finished;       /* "finish" events sent */
	unsigned errors;         /* "error" events sent */
};

/*
 * Set up from o (progress mode, fd, interval, -q) and the environment
 * (NO_COLOR, TERM). 0, or HAUL_EUSAGE when --progress-fd is not open.
 */
int report_init(struct report *r, const struct opts *o, struct haul_error *err);
void report_release(struct report *r);

/* A download starts: the "start" event, the first line. */
void report_start(struct report *r, struct report_item *it);

/* Draw or print what is due; force: the bar now, whatever the time. */
void report_tick(struct report *r, int force);

/* Events of one download. */
void report_retry(struct report *r, struct report_item *it, uint64_t first, uint64_t last,
		  long status, const char *why, uint64_t delay_ms);
void report_refresh(struct report *r, struct report_item *it, const char *why);
void report_checkpoint(struct report *r, struct report_item *it, uint64_t saved);
/*
 * result: "verified", "mismatch", "unverifiable" or "unchecked"; hex
 * strings and why (a reason for the last two, or a mismatch decided
 * without hashing) may be NULL.
 */
void report_verify(struct report *r, struct report_item *it, const char *check,
		   const char *result, const char *expected, const char *computed,
		   const char *why);
void report_finish(struct report *r, struct report_item *it, const struct report_finish *f);

/*
 * A failure: of one download (it), or of the whole run (it NULL), with the
 * exit status it leads to. Returns 1 when the report showed it (json), so
 * the caller need not print it again.
 */
int report_error(struct report *r, struct report_item *it, int status, const char *message);

/* Forget it (without an event) if it is still shown: it is going away. */
void report_drop(struct report *r, struct report_item *it);

/* The end of a run of several downloads: how many, how many failed. */
void report_summary(struct report *r, size_t files, size_t failed, int status);

/*
 * A message line (already "haul: "-prefixed) at msg level `level`: clear
 * the bar, print it, draw the bar again; with json on stderr it becomes a
 * "warning" or "log" event (or is dropped: notes, which the events carry).
 * Returns 1 when it took care of the line, 0 when the caller prints it.
 */
int report_message(struct report *r, int level, const char *line);

#endif
