/*
 * ctl_prep.c -- a download's file: what is in the way, the I/O jobs
 * that resume it or create it, check it and give it its name, and the
 * checkpoints that record its progress on the way. The jobs run
 * in an I/O worker (iow.c) and touch only what the loop leaves them: the
 * store, journal, blocks and checks of this download, never the display.
 * What they have to say is said by their done callbacks, in the loop.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "ctl_int.h"
#include "url.h"

/* Refuse what is in the way of FILE, FILE.part or FILE.haul. */
int ctl_check_paths(struct ctl *c, struct haul_error *err)
{
	const char *paths[3] = { c->store.path, c->store.part_path, c->jpath };
	int kinds[3];

	for (int i = 0; i < 3; i++) {
		kinds[i] = store_kind(paths[i], i == 0 ? &c->fsize : NULL, err);
		if (kinds[i] < 0)
			return kinds[i];
		if (kinds[i] == STORE_DIR)
			return haul_error_set(err, HAUL_EIO, "%s: is a directory", paths[i]);
		if (kinds[i] == STORE_OTHER)
			return haul_error_set(err, HAUL_EIO, "%s: is not a regular file (a symbolic "
					      "link or device?); refusing to use it", paths[i]);
	}
	c->have_file = kinds[0] == STORE_FILE;
	c->have_part = kinds[1] == STORE_FILE;
	c->have_journal = kinds[2] == STORE_FILE;
	return 0;
}

/* FILE exists and we were not told to replace it. */
int ctl_already_there(struct ctl *c, struct haul_error *err)
{
	const struct remote *r = &c->remote;

	if (r->size_known && c->fsize == r->size) {
		msg_note(c->m, "%s is already complete (%" PRIu64 " bytes); nothing to do "
			 "(--force downloads it again)", c->store.path, c->fsize);
		return CTL_NOTHING;
	}
	if (r->size_known)
		return haul_error_set(err, HAUL_EIO, "%s: already exists and has %" PRIu64
				      " bytes, the object %" PRIu64 " (use --force to replace it)",
				      c->store.path, c->fsize, r->size);
	return haul_error_set(err, HAUL_EIO, "%s: already exists (use --force to replace it)",
			      c->store.path);
}

/* Remove FILE.part and FILE.haul left by an earlier run (a shard: only
 * its journal; the others' bytes are in FILE.part). */
void ctl_remove_state(struct ctl *c)
{
	if (!c->d->shard_n)
		unlink(c->store.part_path);
	unlink(c->jpath);
	store_fsync_dir(c->jpath);
}

/* --- preparing the file (in the worker) ------------------------------------ */

/* Does a check ask for this CRC? (--checksum, or a claim to check.) */
static int crc_wanted(const struct ctl *c, enum digest_alg alg)
{
	const struct expect *sums = c->d->checksums ? c->d->checksums : c->o->checksums;
	unsigned nsums = c->d->checksums ? c->d->nchecksums : c->o->nchecksums;

	for (unsigned i = 0; i < nsums; i++)
		if (sums[i].alg == alg)
			return 1;
	for (unsigned i = 0; i < c->tplan.n; i++)
		if (!c->tplan.k[i].parts && c->tplan.k[i].e.alg == alg)
			return 1;
	return 0;
}

/*
 * The blocks keep the CRCs the checks want, as they are written (and as
 * resume re-reads them), so the whole file's are combined, not read back.
 */
static int track_crcs(struct ctl *c, struct haul_error *err)
{
	static const enum digest_alg algs[] = { DIGEST_CRC32, DIGEST_CRC32C, DIGEST_CRC64NVME };
	enum crc_kind k;

	for (size_t i = 0; i < sizeof(algs) / sizeof(algs[0]); i++)
		if (crc_wanted(c, algs[i]) && !digest_crc_kind(algs[i], &k) &&
		    blocks_track_crc(&c->blocks, k))
			return haul_error_set(err, HAUL_EFAIL, "out of memory");
	return 0;
}

/*
 * Open the journal and the data of an earlier run. Returns 0 when resuming,
 * 1 when the state was unusable and removed (start afresh), or an error.
 * What it has to tell goes into c->pn, said later by ctl_prepared.
 */
static int resume(struct ctl *c, struct haul_error *err)
{
	const struct remote *r = &c->remote;
	struct journal_id id;
	struct journal_scan scan;
	double t;
	int ret;

	ret = journal_open(&c->journal, c->jpath, &id, &c->blocks, &scan, err);
	if (ret < 0)
		return ret;
	if (ret == JOURNAL_FUTURE)
		return haul_error_set(err, HAUL_EIO, "%s: written by a newer haul (journal version "
				      "%u); use that haul, or --restart to discard it", c->jpath,
				      scan.version);
	if (ret > 0) {
		c->pn.bad_journal = journal_status_str((enum journal_status)ret);
		ctl_remove_state(c);
		return 1;
	}
	ret = journal_same_object(&id, r->size_known ? r->size : UINT64_MAX, r->etag,
				  r->last_modified, c->pn.why, sizeof(c->pn.why));
	if (!ret) {
		journal_id_release(&id);
		return haul_error_set(err, HAUL_ECHANGED, "%s was started on another object (%s); "
				      "use --restart to discard it and start over", c->jpath,
				      c->pn.why);
	}
	c->pn.no_identity = !id.etag && !id.last_modified;
	journal_id_release(&id);
	if (r->ranges == RANGES_NO)
		return haul_error_set(err, HAUL_ENET, "cannot resume %s: the server no longer "
				      "serves ranges (use --restart to start over)", c->store.path);
	if (!c->have_part) {
		c->pn.part_missing = 1;
		journal_close(&c->journal, 1);
		blocks_release(&c->blocks);
		return 1;
	}
	ret = store_open_part(&c->store, 1, err);
	if (!ret) /* extends a truncated file; keeps what is there */
		ret = store_preallocate(&c->store, r->size, err);
	if (!ret)
		ret = track_crcs(c, err);
	if (ret)
		return ret;
	t = clock_sec();
	ret = blocks_verify(&c->blocks, &c->store, &c->pn.bad);
	if (ret)
		return haul_error_set(err, HAUL_EIO, "%s: %s", c->store.part_path, strerror(-ret));
	c->pn.secs = clock_sec() - t;
	c->pn.resumed = 1;
	return 0;
}

/* A new FILE.part, and a journal when the download can be resumed. */
static int start_fresh(struct ctl *c, int resumable, struct haul_error *err)
{
	const struct remote *r = &c->remote;
	struct journal_id id = { 0 };
	int ret;

	/* A shard shares FILE.part: whichever starts first makes it, and
	 * nobody truncates it. */
	ret = store_open_part(&c->store, c->d->shard_n ? STORE_SHARED : 0, err);
	if (ret)
		return ret;
	c->created = !c->d->shard_n;
	if (r->size_known) {
		ret = store_preallocate(&c->store, r->size, err);
		if (ret)
			return ret;
	}
	if (!resumable)
		return 0;
	id.size = r->size;
	id.bsize = blocks_size_for(r->size);
	id.created = (uint64_t)time(NULL);
	id.etag = r->etag;
	id.last_modified = r->last_modified;
	id.url = strdup(c->url.shown);
	if (blocks_init(&c->blocks, id.size, id.bsize)) {
		free(id.url);
		return haul_error_set(err, HAUL_EFAIL, "out of memory");
	}
	if ((ret = track_crcs(c, err)) != 0) {
		free(id.url);
		return ret;
	}
	ret = journal_create(&c->journal, c->jpath, &id, &c->blocks, err);
	free(id.url);
	if (!ret)
		c->journaling = 1;
	return ret;
}

static int prepare_run(struct iow_job *j, struct haul_error *err)
{
	struct ctl *c = j->ctx;
	const struct remote *r = &c->remote;
	int ret = 1;

	if (c->pn.restart)
		ctl_remove_state(c);
	if (c->resuming)
		ret = resume(c, err);
	if (ret < 0)
		return ret;
	if (!ret) {
		c->had = c->saved = blocks_done_bytes(&c->blocks);
		c->journaling = 1;
		return 0;
	}
	/* A file of one request is not worth a journal: it is fetched again. */
	return start_fresh(c, r->size_known && r->ranges != RANGES_NO && !c->o->no_journal &&
			   (r->size > FETCH_FIRST_RANGE || c->d->shard_n), err);
}

static void prepare_done(struct iow_job *j)
{
	struct ctl *c = j->ctx;

	ctl_prepared(c, j->ret, &j->err);
	haul_error_release(&j->err);
}

int ctl_job(struct ctl *c, int (*run)(struct iow_job *j, struct haul_error *err),
	    void (*done)(struct iow_job *j), enum ctl_state state, struct haul_error *err)
{
	memset(&c->job, 0, sizeof(c->job));
	c->job.kind = IOW_PLAIN;
	c->job.run = run;
	c->job.done = done;
	c->job.ctx = c;
	c->state = state;
	return iow_submit(c->io, &c->job, err);
}

int ctl_prepare_file(struct ctl *c, struct haul_error *err)
{
	return ctl_job(c, prepare_run, prepare_done, CS_PREPARE, err);
}

/* What the job had to say (in the loop thread). */
void ctl_say_prepared(struct ctl *c)
{
	if (c->pn.restart)
		msg_note(c->m, "discarding %s and starting over", c->jpath);
	if (c->pn.bad_journal)
		msg_warn(c->m, "%s is %s; starting over", c->jpath, c->pn.bad_journal);
	if (c->pn.part_missing)
		msg_warn(c->m, "%s is missing; starting over", c->store.part_path);
	if (c->pn.stray_part)
		msg_warn(c->m, "%s has no journal; starting over", c->store.part_path);
	if (c->pn.no_identity)
		msg_warn(c->m, "the server gives no ETag or Last-Modified: resuming %s on its size "
			 "alone", c->store.path);
	if (c->pn.resumed)
		msg_note(c->m, "resuming %s: %" PRIu64 " of %" PRIu64 " bytes on disk, checked in "
			 "%.2f s", c->store.path, c->had, c->remote.size, c->pn.secs);
	if (c->pn.bad)
		msg_warn(c->m, "%" PRIu64 " block%s of %s did not match the journal and will be "
			 "fetched again", c->pn.bad, c->pn.bad == 1 ? "" : "s", c->store.part_path);
}

/* --- checkpoints ------------------------------------------------------------ */

/* Where the first byte not yet written is (the plan covers every hole). */
static uint64_t frontier(const struct ctl *c)
{
	uint64_t at = c->plan.size;

	for (size_t i = 0; i < c->plan.nsegs; i++) {
		const struct seg *g = &c->plan.segs[i];

		if (g->pos < g->end && g->pos < at)
			at = g->pos;
	}
	return at;
}

/*
 * A checkpoint: the progress since the last one is recorded in the journal
 * here and now -- an append, no sync: journal.h says why that is safe --
 * so a kill -9 loses only what came after it. The disk's slow work goes to
 * the syncer: writeback of what was written, whenever it is idle, and every
 * --sync-interval a sync (the data, then the journal). A journal that grew
 * long is copied afresh in the syncer too; records wait meanwhile
 * (FETCH_CP_LATER). The last checkpoint of a download that stops short
 * (final) is an I/O job (ctl_prep.c), started when the fetch has ended.
 * With --no-journal only the writeback and the data's sync are made.
 */
int ctl_checkpoint(void *ctx, int final, struct haul_error *err)
{
	struct ctl *c = ctx;
	struct journal_update u;
	uint64_t vouch = c->saved, ms = clock_ms();
	int ret, busy, full;

	/* Everything is written out now: the checks may read up to the gap
	 * (a shard's plan says nothing of the bytes before its share). */
	if (!c->d->shard_n || c->shard_last)
		verify_advance(&c->v, frontier(c));
	if (final) {
		c->final_due = c->journaling; /* everything is written: made later */
		return 0;
	}
	ret = syncer_poll(&c->sync, &vouch, err);
	if (ret < 0)
		return ret;
	busy = ret == 1;
	if (!busy) {
		ctl_note_saved(c, vouch);
		c->rewriting = 0;
	}
	/* A sync every --sync-interval, or sooner after --checkpoint-bytes: a
	 * fast download would leave the last sync (before the rename) seconds
	 * of writeback otherwise (16 x 25 MiB/s: 2.9 s instead of 2.65). */
	if (c->f.stats.bytes < c->synced_bytes)
		c->synced_bytes = 0; /* a new fetch counts from 0 */
	full = !busy && (ms - c->synced_ms >= c->o->sync_ms ||
			 c->f.stats.bytes - c->synced_bytes >= c->o->cp_bytes);
	if (c->journaling && c->rewriting)
		return FETCH_CP_LATER; /* the journal is being replaced */
	if (c->journaling && journal_wants_rewrite(&c->journal)) {
		if (busy)
			return FETCH_CP_LATER;
		vouch = blocks_done_bytes(&c->blocks);
		ret = journal_prepare(&c->journal, &c->blocks, &u, err);
		if (!ret && u.rlen) {
			ret = syncer_submit(&c->sync, 1, &u, vouch, err);
			c->rewriting = !ret;
			c->synced_ms = ms;
			c->synced_bytes = c->f.stats.bytes;
		}
		journal_update_release(&u);
		return ret;
	}
	if (c->journaling) {
		ret = journal_prepare(&c->journal, &c->blocks, &u, err);
		if (!ret)
			ret = journal_append(&c->journal, &u, err);
		journal_update_release(&u);
		if (ret)
			return ret;
	}
	if (busy)
		return 0;
	if (full) {
		c->synced_ms = ms;
		c->synced_bytes = c->f.stats.bytes;
	}
	return syncer_submit(&c->sync, full, NULL,
			     c->journaling ? blocks_done_bytes(&c->blocks) : 0, err);
}

/* --- settling, checking and naming the file -------------------------------- */

/* Wait for the checkpoint being written, if any (in the worker: no note). */
static int settle_quiet(struct ctl *c, uint64_t *vouch, struct haul_error *err)
{
	*vouch = c->saved;
	return syncer_wait(&c->sync, vouch, err);
}

int ctl_settle(struct ctl *c, struct haul_error *err)
{
	uint64_t vouch;
	int ret = settle_quiet(c, &vouch, err);

	if (!ret)
		ctl_note_saved(c, vouch);
	return ret;
}

/* The CRCs the blocks kept, combined into the whole file's. */
static void combine_crcs(struct ctl *c)
{
	for (size_t i = 0; c->journaling && i < c->v.n; i++) {
		const struct verify_check *k = &c->v.checks[i];
		enum crc_kind kind;
		uint64_t crc;

		if (k->combined && !digest_crc_kind(k->e.alg, &kind) &&
		    !blocks_crc(&c->blocks, kind, &crc)) {
			verify_set_crc(&c->v, k->e.alg, crc);
			c->pn.combined = c->blocks.count;
		}
	}
}

/* The checks (in the worker): the data synced first, the hashing meanwhile. */
static int check_run(struct iow_job *j, struct haul_error *err)
{
	struct ctl *c = j->ctx;
	uint64_t size = c->remote.size_known ? c->remote.size : c->plan.segs[0].end;
	int ret;

	/* A failed fdatasync may have dropped data: never rename after one. */
	ret = settle_quiet(c, &c->pn.vouch, err);
	if (!ret && c->v.n && (ret = store_sync(&c->store, err)) != 0)
		return ret;
	if (!ret && c->v.n && !c->remote.size_known)
		ret = verify_start(&c->v, &c->store, size, err); /* only now is the size known */
	if (!ret && c->v.n) {
		combine_crcs(c);
		ret = verify_finish(&c->v, err);
	}
	if (!ret && c->journaling && c->o->keep_journal) {
		/* The journal keeps the digests of the finished file. */
		ret = store_sync(&c->store, err);
		if (!ret)
			ret = journal_commit(&c->journal, &c->blocks, err);
	}
	return ret;
}

static int commit_run(struct iow_job *j, struct haul_error *err)
{
	struct ctl *c = j->ctx;

	(void)err;
	if (c->journaling)
		journal_close(&c->journal, !c->o->keep_journal);
	ctl_shard_commit(c); /* the file has its name: the shards' state goes */
	return 0;
}

int ctl_durable(struct ctl *c, struct haul_error *err)
{
	int ret = settle_quiet(c, &c->pn.vouch, err);

	if (!ret)
		ret = store_sync(&c->store, err);
	if (!ret)
		ret = journal_commit(&c->journal, &c->blocks, err);
	return ret;
}

static uint64_t final_size(const struct ctl *c)
{
	return c->remote.size_known ? c->remote.size : c->plan.segs[0].end;
}

static void commit_done(struct iow_job *j)
{
	struct ctl *c = j->ctx;
	int ret = j->ret;

	if (ret) {
		haul_error_set(&c->err, ret, "%s", j->err.msg ? j->err.msg : haul_code_name(ret));
		haul_error_release(&j->err);
		ctl_end(c, ret);
		return;
	}
	ctl_summary(c, final_size(c));
	ctl_report_done(c, final_size(c));
	ctl_say_checks(c);
	ctl_end(c, 0);
}

static void check_done(struct iow_job *j)
{
	struct ctl *c = j->ctx;
	int ret = j->ret;
	char *cause;

	ctl_note_saved(c, c->pn.vouch);
	if (c->pn.combined)
		for (size_t i = 0; i < c->v.n; i++)
			if (c->v.checks[i].combined && c->v.checks[i].have_crc)
				msg_debug(c->m, "%s: combined from %" PRIu64 " blocks as they were "
					  "written, not read back", digest_name(c->v.checks[i].e.alg),
					  c->pn.combined);
	if (!ret || ret == HAUL_EINTEGRITY)
		ctl_report_checks(c);
	if (!ret && c->v.n)
		msg_debug(c->m, "checks finished %.3f s after the last byte", c->v.tail_s);
	if (ret == HAUL_EINTEGRITY) {
		c->keep_part = 1;
		cause = j->err.msg;
		j->err.msg = NULL;
		haul_error_set(&c->err, ret, "%s: %s; the data is kept in %s, not renamed (--restart "
			       "downloads it again)", c->store.path,
			       cause ? cause : "integrity check failed", c->store.part_path);
		free(cause);
	} else if (ret) {
		haul_error_set(&c->err, ret, "%s", j->err.msg ? j->err.msg : haul_code_name(ret));
	}
	haul_error_release(&j->err);
	if (ret) {
		ctl_end(c, ret);
		return;
	}
	/* The name: with other files that finish now (group commit). */
	memset(&c->job, 0, sizeof(c->job));
	c->job.kind = IOW_COMMIT;
	c->job.st = &c->store;
	c->job.replace = c->o->force;
	c->job.run = commit_run;
	c->job.done = commit_done;
	c->job.ctx = c;
	c->state = CS_COMMIT;
	if ((ret = iow_submit(c->io, &c->job, &c->err)) != 0)
		ctl_end(c, ret);
}

int ctl_finish_file(struct ctl *c, struct haul_error *err)
{
	return ctl_job(c, check_run, check_done, CS_CHECK, err);
}

/* The last checkpoint (in the worker): the data, then the record. */
static int final_run(struct iow_job *j, struct haul_error *err)
{
	struct ctl *c = j->ctx;
	int ret = settle_quiet(c, &c->pn.vouch, err);

	if (!ret)
		ret = store_sync(&c->store, err);
	if (!ret)
		ret = journal_commit(&c->journal, &c->blocks, err);
	if (!ret)
		c->pn.vouch = blocks_done_bytes(&c->blocks);
	return ret;
}

static void final_done(struct iow_job *j)
{
	struct ctl *c = j->ctx;
	int ret = c->pn.stopped;

	ctl_note_saved(c, c->pn.vouch);
	/* Interrupted, and the checkpoint failed: that is the news. */
	if (j->ret && ret == HAUL_EINTR) {
		haul_error_release(&c->err);
		haul_error_set(&c->err, j->ret, "%s", j->err.msg ? j->err.msg : "checkpoint failed");
		ret = j->ret;
	}
	haul_error_release(&j->err);
	ctl_end(c, ctl_stopped(c, ret, &c->err));
}

int ctl_final_checkpoint(struct ctl *c, int ret)
{
	c->pn.stopped = ret;
	if (ctl_job(c, final_run, final_done, CS_CHECK, &c->err) == 0)
		return 0;
	/* No worker to be had: the loop waits for this one. */
	c->job.ret = final_run(&c->job, &c->job.err);
	final_done(&c->job);
	return c->result ? c->result : HAUL_EIO;
}

/* The download stopped short: say what is kept and how to go on. */
int ctl_stopped(struct ctl *c, int ret, struct haul_error *err)
{
	uint64_t done;
	char *cause = err->msg;
	struct haul_error late;
	const char *how = ret == HAUL_ECHANGED ? "--restart starts over"
			  : ret == HAUL_EEXPIRED ? "run the command again with a fresh URL to resume"
						 : "run the same command (or one with a fresh URL "
						   "for the same object) to resume";

	/* Normally the last checkpoint was made already; if one was still in
	 * flight, wait for it. An error of its own leaves c->saved as it was. */
	haul_error_init(&late);
	ctl_settle(c, &late);
	haul_error_release(&late);
	done = c->saved; /* what the journal vouches for, not more */
	if (c->created && !done) {
		/* Nothing worth keeping: leave no litter. */
		journal_close(&c->journal, 1);
		store_discard(&c->store);
		return ret;
	}
	err->msg = NULL;
	haul_error_set(err, ret, "%s; %" PRIu64 " of %" PRIu64 " bytes are saved in %s: %s",
		       cause ? cause : haul_code_name(ret), done, c->remote.size,
		       c->store.part_path, how);
	free(cause);
	return ret;
}
