/*
 * syncer.h -- checkpoints that do not stop the transfers.
 *
 * A checkpoint makes the data durable (fdatasync of FILE.part) and then
 * records it in the journal (append + fdatasync). Done in the transfer
 * loop, both wait for the disk: when the network is faster than the disk's
 * writeback, every download stalls once per checkpoint. The syncer does
 * them in one helper thread instead. The loop encodes the journal update
 * (journal_prepare: it owns the block table) and hands it over; the thread
 * fdatasyncs the data, then writes the update, so the journal still never
 * claims a byte that was not durable before the record was written. One
 * checkpoint is in flight at a time; the loop learns of its end through
 * syncer_poll (and is woken with curl_multi_wakeup).
 *
 * The thread touches only the data file's descriptor and the journal; the
 * loop does not write the journal while a job runs.
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
	struct journal_update u;   /* the job's update (owned while busy) */
	uint64_t vouch;            /* bytes the job makes durable */
	int have_result;           /* a finished job's result not yet polled */
	int ret;                   /* its result: 0 or HAUL_E* */
	struct haul_error err;     /* and its error */
};

void syncer_init(struct syncer *s, struct store *st, struct journal *j, CURLM *wake);

/*
 * Hand a checkpoint to the thread (started on first use): u is moved (its
 * buffers belong to the syncer now); vouch is what the journal will vouch
 * for once it is written. The syncer must be idle (syncer_poll said so).
 * Returns 0, or an error when the thread cannot be started.
 */
int syncer_submit(struct syncer *s, struct journal_update *u, uint64_t vouch,
		  struct haul_error *err);

/*
 * Has the last job ended? Returns 1 while one runs; 0 when idle, with
 * *vouch set to what the last finished job made durable (unchanged when
 * none finished since the last call); or the job's error (moved to err).
 */
int syncer_poll(struct syncer *s, uint64_t *vouch, struct haul_error *err);

/* Like syncer_poll, but wait for a running job to end; never returns 1. */
int syncer_wait(struct syncer *s, uint64_t *vouch, struct haul_error *err);

/* Wait for the job under way, stop the thread, free everything. */
void syncer_release(struct syncer *s);

#endif
