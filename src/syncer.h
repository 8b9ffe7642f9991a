/*
 * syncer.h -- the disk's slow work, beside the transfers.
 *
 * The loop records progress in the journal as it lands (a record appended
 * once pwrite has returned: journal.h says why that is safe) and never
 * waits for the disk. What does wait -- starting writeback, fdatasync of
 * the data and of the journal, a fresh copy of a journal that grew too
 * long -- is a job for the syncer's one helper thread:
 *
 *   writeback  sync_file_range(SYNC_FILE_RANGE_WRITE) over FILE.part: the
 *              disk starts on what was written, so dirty data never piles
 *              up and the fdatasync before the rename has little left;
 *   sync       that, then fdatasync of the data and then of the journal
 *              (or the journal's fresh copy, written atomically): what a
 *              power cut cannot take any more.
 *
 * One job at a time; the loop learns of its end through syncer_poll (and
 * is woken with curl_multi_wakeup). The thread touches only the data
 * file's descriptor and the journal's; the loop appends to the journal
 * meanwhile, except while a fresh copy is being written (it replaces the
 * journal's descriptor and offsets).
 */
#ifndef HAUL_SYNCER_H
#define HAUL_SYNCER_H

#include <pthread.h>
#include <stdint.h>

#include <curl/curl.h>

#include "err.h"
#include "journal.h"
#include "store.h"

struct syncer {
	struct store *st;          /* borrowed */
	struct journal *j;         /* borrowed */
	CURLM *wake;               /* borrowed: woken when a job ends, or NULL */
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int started;               /* the thread runs */
	int busy;                  /* a job is queued or running */
	int quit;
	struct journal_update u;   /* the job's fresh copy, if any (owned while busy) */
	int full;                  /* a sync job, not just writeback */
	uint64_t vouch;            /* bytes the job makes durable */
	int have_result;           /* a finished job's result not yet polled */
	int ret;                   /* its result: 0 or HAUL_E* */
	struct haul_error err;     /* and its error */
};

void syncer_init(struct syncer *s, struct store *st, struct journal *j, CURLM *wake);

/*
 * Hand a job to the thread (started on first use). full: a sync job, whose
 * u (NULL, or a fresh copy of the journal) is moved to the syncer, and
 * vouch is what the journal holds durably once it ends; else writeback
 * only. The syncer must be idle (syncer_poll said so). Returns 0, or an
 * error when the thread cannot be started.
 */
int syncer_submit(struct syncer *s, int full, struct journal_update *u, uint64_t vouch,
		  struct haul_error *err);

/*
 * Has the last job ended? Returns 1 while one runs; 0 when idle, with
 * *vouch set to what the last finished sync job made durable (unchanged
 * when none finished since the last call); or the job's error (moved to
 * err).
 */
int syncer_poll(struct syncer *s, uint64_t *vouch, struct haul_error *err);

/* Like syncer_poll, but wait for a running job to end; never returns 1. */
int syncer_wait(struct syncer *s, uint64_t *vouch, struct haul_error *err);

/* Wait for the job under way, stop the thread, free everything. */
void syncer_release(struct syncer *s);

#endif
