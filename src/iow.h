/*
 * iow.h -- disk work off the transfer loop. Creating and preallocating a
 * file, opening a journal and checking the blocks it vouches for, the
 * fdatasync, rename and directory fsync that finish a file: each can take
 * milliseconds (seconds on a slow or network filesystem), and a loop that
 * waited for them would stall every other download. The loop hands them to
 * worker threads as jobs and learns their results later: a finished job's
 * done callback runs in the loop thread, from iow_reap, after the worker
 * woke the loop (curl_multi_wakeup).
 *
 * Group commit: jobs that finish files (IOW_COMMIT) queued together are
 * taken together -- the writeback of all their files is started, then each
 * is synced (one filesystem journal commit then covers the others), renamed,
 * and each directory is synced once.
 *
 * A job's run must only touch what its owner left to it until done runs.
 */
#ifndef HAUL_IOW_H
#define HAUL_IOW_H

#include <pthread.h>

#include <curl/curl.h>

#include "err.h"

#define IOW_THREADS 2 /* one long job (checking a resumed file) blocks no other */

struct store;

enum iow_kind {
	IOW_PLAIN,  /* run() does all */
	IOW_COMMIT, /* store_finish(st), fsync of its directory; then run() */
};

struct iow_job {
	enum iow_kind kind;
	/* In a worker: the work. 0, or a HAUL_E* with err set. May be NULL
	 * for IOW_COMMIT (nothing more to do). */
	int (*run)(struct iow_job *j, struct haul_error *err);
	/* In the loop thread, from iow_reap: the result is in ret and err. */
	void (*done)(struct iow_job *j);
	void *ctx;                 /* borrowed: the owner's */
	/* IOW_COMMIT: */
	struct store *st;          /* borrowed: the file to finish */
	int replace;               /* rename over an existing file */
	/* Results. */
	int ret;
	struct haul_error err;
	/* Internal. */
	struct iow_job *next;
};

struct iow {
	CURLM *wake;               /* borrowed: woken when a job ends */
	pthread_t threads[IOW_THREADS];
	unsigned nthreads;         /* started so far */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct iow_job *queue, *queue_tail; /* to run, in order */
	struct iow_job *finished;  /* run, done not called yet */
	unsigned pending;          /* queued or running */
	unsigned idle;             /* workers waiting for a job */
	int quit;
	int ready;                 /* mu and cv are set up */
};

/* 0, or -1 when the mutex cannot be made. Nothing starts yet. */
int iow_init(struct iow *w, CURLM *wake);

/*
 * Queue j (a worker starts when none is idle, up to IOW_THREADS). j must
 * stay valid until its done callback ran. 0, or HAUL_EFAIL when no worker
 * can be started and none runs.
 */
int iow_submit(struct iow *w, struct iow_job *j, struct haul_error *err);

/* In the loop thread: call done for every finished job. How many. */
unsigned iow_reap(struct iow *w);

/* Jobs queued or running (not yet reaped or not yet done). */
unsigned iow_pending(const struct iow *w);

/*
 * Run every queued job to its end, call their done callbacks, and stop the
 * workers. Safe on an iow that never started.
 */
void iow_release(struct iow *w);

#endif
