/*
 * ctl.c -- drives downloads: decides between a fresh start and a resume,
 * runs the transfer loop with checkpoints and fresh URLs, commits, reports.
 */
#include "config.h"

#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "blocks.h"
#include "clock.h"
#include "ctl.h"
#include "expiry.h"
#include "fetch.h"
#include "journal.h"
#include "net.h"
#include "plan.h"
#include "verify.h"
#include "probe.h"
#include "report.h"
#include "store.h"
#include "stream.h"
#include "syncer.h"
#include "trust.h"
#include "url.h"

/* Tries to get a fresh URL before giving up, and the first pause between. */
#define REFRESH_TRIES 4
#define REFRESH_BACKOFF_MS 1000


struct ctl {
	const struct opts *o;        /* borrowed */
	const struct msg *m;         /* borrowed */
	volatile sig_atomic_t *stop; /* borrowed */
	const struct download *d;    /* borrowed */
	struct net *net;             /* borrowed: shared by a batch */
	char *url;                   /* owned: the GET URL now */
	char *head_url;              /* owned, NULL: the HEAD URL now */
	struct remote remote;
	struct store store;
	struct plan plan;
	struct blocks blocks;
	struct journal journal;
	struct syncer sync;          /* writes checkpoints beside the loop */
	struct fetch f;
	struct fetch_stats st;       /* over every fetch of this download */
	struct verify v;             /* whole-file checks, hashed as it lands */
	struct stream out;           /* -o -: the window to standard output */
	int streaming;               /* -o -: no file, no journal; out instead */
	int checks_set;              /* v has its checks */
	struct trust_plan tplan;     /* the store's claims to check (not with --no-verify) */
	int keep_part;               /* failed a check: keep FILE.part */
	int journaling;              /* FILE.haul is open and kept up to date */
	int created;                 /* this run created FILE.part */
	int fetching;                /* f is set up */
	char *jpath;                 /* owned: FILE.haul */
	uint64_t had;                /* bytes already on disk when we started */
	uint64_t saved;              /* bytes the journal vouches for now */
	double t0;
	struct report_item item;     /* what the progress display shows */
	int reported;                /* item was started */
};

static void on_event(void *ctx, const struct fetch_event *ev)
{
	struct ctl *c = ctx;

	switch (ev->kind) {
	case FEV_REQUEST:
		if (ev->last == UINT64_MAX)
			msg_info(c->m, "[%u] GET (whole object)", ev->slot);
		else
			msg_info(c->m, "[%u] GET bytes %" PRIu64 "-%" PRIu64, ev->slot, ev->first,
				 ev->last);
		break;
	case FEV_DONE:
		msg_debug(c->m, "[%u] done: %" PRIu64 " bytes in %" PRIu64 " ms (first byte after %"
			  PRIu64 " ms)", ev->slot, ev->bytes, ev->ms, ev->wait_ms);
		break;
	case FEV_STEAL:
		msg_info(c->m, "[%u] takes over bytes %" PRIu64 "-%" PRIu64 " from a busy range",
			 ev->slot, ev->first, ev->last);
		break;
	case FEV_RETRY:
		msg_info(c->m, "[%u] %s; retrying in %" PRIu64 " ms", ev->slot, ev->why,
			 ev->delay_ms);
		if (c->m->rep)
			report_retry(c->m->rep, &c->item, ev->first, ev->last, ev->status, ev->why,
				     ev->delay_ms);
		break;
	case FEV_EXPIRED:
		msg_info(c->m, "[%u] the URL was refused as expired (%s)", ev->slot, ev->why);
		break;
	case FEV_POLITE:
		msg_warn(c->m, "%s: the server asks to slow down (429/503); now at most %u "
			 "connections", c->store.path, ev->slot);
		break;
	case FEV_RAMP:
		msg_info(c->m, "%.1f MiB/s measured; now using up to %u connections",
			 (double)ev->bytes / (1024.0 * 1024.0), ev->slot);
		break;
	case FEV_RESCUE:
		msg_info(c->m, "[%u] takes over bytes %" PRIu64 "-%" PRIu64 " from a slow connection",
			 ev->slot, ev->first, ev->last);
		break;
	case FEV_DEADLINE:
		msg_warn(c->m, "%s: the URL expires in %" PRId64 " s but the download needs about "
			 "%" PRId64 " s more; --refresh-cmd would renew it in flight",
			 c->store.path, ev->left_s, ev->need_s);
		break;
	}
}

/* The journal vouches for more now: say so (a "checkpoint" event). */
static void note_saved(struct ctl *c, uint64_t vouch)
{
	if (vouch > c->saved && c->journaling && c->reported && c->m->rep)
		report_checkpoint(c->m->rep, &c->item, vouch);
	c->saved = vouch;
}

/* The data first, then the record: the journal never claims more. */

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
 * A checkpoint: while downloading, handed to the syncer so the transfers go
 * on while the disk catches up (one at a time: FETCH_CP_LATER while the last
 * is being written); at the end (final), made here before returning. With
 * --no-journal only the data's fdatasync is handed over.
 */
static int on_checkpoint(void *ctx, int final, struct haul_error *err)
{
	struct ctl *c = ctx;
	struct journal_update u;
	uint64_t vouch = c->saved;
	int ret;

	/* Everything is written out now: the checks may read up to the gap. */
	verify_advance(&c->v, frontier(c));
	if (!c->journaling && final)
		return 0;
	ret = final ? syncer_wait(&c->sync, &vouch, err) : syncer_poll(&c->sync, &vouch, err);
	if (ret < 0)
		return ret;
	note_saved(c, vouch);
	if (ret == 1)
		return FETCH_CP_LATER;
	if (final) {
		ret = store_sync(&c->store, err);
		if (!ret)
			ret = journal_commit(&c->journal, &c->blocks, err);
		if (!ret)
			note_saved(c, blocks_done_bytes(&c->blocks));
		return ret;
	}
	if (!c->journaling) {
		/* No journal, but the writeback still goes on beside the
		 * transfers, rather than all of it in the final fsync. */
		memset(&u, 0, sizeof(u));
		return syncer_submit(&c->sync, &u, 0, err);
	}
	vouch = blocks_done_bytes(&c->blocks);
	ret = journal_prepare(&c->journal, &c->blocks, &u, err);
	if (!ret && u.rlen)
		ret = syncer_submit(&c->sync, &u, vouch, err);
	journal_update_release(&u);
	return ret;
}

/* Wait for the checkpoint being written, if any; its error, if it failed. */
static int settle(struct ctl *c, struct haul_error *err)
{
	uint64_t vouch = c->saved;
	int ret = syncer_wait(&c->sync, &vouch, err);

	if (!ret)
		note_saved(c, vouch);
	return ret;
}

/* Sleep ms, waking early when interrupted. 0, or HAUL_EINTR. */
static int nap(const struct ctl *c, uint64_t ms)
{
	uint64_t until = clock_ms() + ms;

	while (clock_ms() < until) {
		if (c->stop && *c->stop)
			return HAUL_EINTR;
		poll(NULL, 0, 50);
	}
	return 0;
}

/* Does a fresh URL name our object? Probe it and compare. */
static int same_object(struct ctl *c, const char *get, const char *head, struct haul_error *err)
{
	struct remote r;
	int ret;

	remote_init(&r);
	ret = probe_run(c->net, get, head, c->stop, &r, err);
	if (!ret && r.size_known && c->remote.size_known && r.size != c->remote.size)
		ret = haul_error_set(err, HAUL_ECHANGED, "the renewed URL names another object "
				     "(%" PRIu64 " bytes, not %" PRIu64 ")", r.size, c->remote.size);
	else if (!ret && c->remote.etag && r.etag && strcmp(c->remote.etag, r.etag) != 0)
		ret = haul_error_set(err, HAUL_ECHANGED, "the renewed URL names another object "
				     "(ETag %s, not %s)", r.etag, c->remote.etag);
	remote_release(&r);
	return ret;
}

/*
 * Get fresh URLs from the download's refresher into c->url/c->head_url,
 * retrying with growing pauses. With check, make sure they name the object
 * probed at the start. 0, HAUL_ECHANGED, HAUL_EINTR or HAUL_EEXPIRED.
 */
static int renew_urls(struct ctl *c, int check, struct haul_error *err)
{
	const struct refresher *rf = c->d->rf;
	char *get = NULL, *head = NULL;
	int ret = HAUL_EEXPIRED;

	for (int i = 0; i < REFRESH_TRIES; i++) {
		if (i) {
			msg_warn(c->m, "%s: renewing the URL failed (%s); trying again in %d s",
				 c->store.path, err->msg ? err->msg : "?", (REFRESH_BACKOFF_MS << (i - 1)) / 1000);
			ret = nap(c, (uint64_t)REFRESH_BACKOFF_MS << (i - 1));
			if (ret)
				return haul_error_set(err, ret, "interrupted");
		}
		free(get);
		free(head);
		get = head = NULL;
		ret = rf->fetch(rf->ctx, &get, &head, err);
		if (!ret && url_check(get, "the renewed URL", err))
			ret = HAUL_EEXPIRED;
		if (!ret && head && url_check(head, "the renewed HEAD URL", err))
			ret = HAUL_EEXPIRED;
		if (!ret && check)
			ret = same_object(c, get, head, err);
		if (!ret || ret == HAUL_ECHANGED || ret == HAUL_EINTR)
			break;
	}
	if (ret) {
		free(get);
		free(head);
		if (ret == HAUL_ECHANGED || ret == HAUL_EINTR)
			return ret;
		return haul_error_set(err, HAUL_EEXPIRED, "the URL expired and %s could not renew "
				      "it: %s", rf->what, err->msg ? err->msg : "failed");
	}
	free(c->url);
	free(c->head_url);
	c->url = get;
	c->head_url = head;
	return 0;
}

/* The fetch loop's hook: a fresh URL for the transfers. */
static int on_refresh(void *ctx, struct fetch *f, struct haul_error *err)
{
	struct ctl *c = ctx;
	struct url_expiry e;
	int ret = renew_urls(c, 1, err);

	if (ret)
		return ret;
	ret = fetch_set_url(f, c->url, err);
	if (!ret && c->m->rep) {
		c->item.refreshes = c->st.refreshes + f->stats.refreshes + 1;
		report_refresh(c->m->rep, &c->item, f->refresh_expired ? "expired" : "deadline");
	}
	if (!ret && expiry_from_url(c->url, &e) == 0 && e.known)
		msg_note(c->m, "%s: renewed the URL through %s (valid for %" PRId64 " s)",
			 c->store.path, c->d->rf->what, e.deadline - (int64_t)time(NULL));
	else if (!ret)
		msg_note(c->m, "%s: renewed the URL through %s", c->store.path, c->d->rf->what);
	return ret;
}

static void say_remote(const struct ctl *c)
{
	const struct remote *r = &c->remote;
	static const char *const ranges[] = { "unknown", "yes", "no" };

	if (r->size_known)
		msg_info(c->m, "%s: %" PRIu64 " bytes, ETag %s, Last-Modified %s, ranges %s",
			 r->method, r->size, r->etag ? r->etag : "(none)",
			 r->last_modified ? r->last_modified : "(none)", ranges[r->ranges]);
	else
		msg_info(c->m, "%s: size unknown, ETag %s; one stream", r->method,
			 r->etag ? r->etag : "(none)");
}

/* FILE exists and we were not told to replace it. */
static int already_there(struct ctl *c, uint64_t have, struct haul_error *err)
{
	const struct remote *r = &c->remote;

	if (r->size_known && have == r->size) {
		msg_note(c->m, "%s is already complete (%" PRIu64 " bytes); nothing to do "
			 "(--force downloads it again)", c->store.path, have);
		return CTL_NOTHING;
	}
	if (r->size_known)
		return haul_error_set(err, HAUL_EIO, "%s: already exists and has %" PRIu64
				      " bytes, the object %" PRIu64 " (use --force to replace it)",
				      c->store.path, have, r->size);
	return haul_error_set(err, HAUL_EIO, "%s: already exists (use --force to replace it)",
			      c->store.path);
}

/* Refuse what is in the way of FILE, FILE.part or FILE.haul. */
static int check_paths(struct ctl *c, int *have_file, uint64_t *file_size, int *have_part,
		       int *have_journal, struct haul_error *err)
{
	const char *paths[3] = { c->store.path, c->store.part_path, c->jpath };
	int kinds[3];

	for (int i = 0; i < 3; i++) {
		kinds[i] = store_kind(paths[i], i == 0 ? file_size : NULL, err);
		if (kinds[i] < 0)
			return kinds[i];
		if (kinds[i] == STORE_DIR)
			return haul_error_set(err, HAUL_EIO, "%s: is a directory", paths[i]);
		if (kinds[i] == STORE_OTHER)
			return haul_error_set(err, HAUL_EIO, "%s: is not a regular file (a symbolic "
					      "link or device?); refusing to use it", paths[i]);
	}
	*have_file = kinds[0] == STORE_FILE;
	*have_part = kinds[1] == STORE_FILE;
	*have_journal = kinds[2] == STORE_FILE;
	return 0;
}

/* Remove FILE.part and FILE.haul left by an earlier run. */
static void remove_state(struct ctl *c)
{
	unlink(c->store.part_path);
	unlink(c->jpath);
	store_fsync_dir(c->jpath);
}

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
 */
static int resume(struct ctl *c, int have_part, struct haul_error *err)
{
	const struct remote *r = &c->remote;
	struct journal_id id;
	struct journal_scan scan;
	char why[256];
	uint64_t bad;
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
		msg_warn(c->m, "%s is %s; starting over", c->jpath,
			 journal_status_str((enum journal_status)ret));
		remove_state(c);
		return 1;
	}
	ret = journal_same_object(&id, r->size_known ? r->size : UINT64_MAX, r->etag,
				  r->last_modified, why, sizeof(why));
	if (!ret) {
		journal_id_release(&id);
		return haul_error_set(err, HAUL_ECHANGED, "%s was started on another object (%s); "
				      "use --restart to discard it and start over", c->jpath, why);
	}
	if (!id.etag && !id.last_modified)
		msg_warn(c->m, "the server gives no ETag or Last-Modified: resuming %s on its size "
			 "alone", c->store.path);
	journal_id_release(&id);
	if (r->ranges == RANGES_NO)
		return haul_error_set(err, HAUL_ENET, "cannot resume %s: the server no longer "
				      "serves ranges (use --restart to start over)", c->store.path);
	if (!have_part) {
		msg_warn(c->m, "%s is missing; starting over", c->store.part_path);
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
	ret = blocks_verify(&c->blocks, &c->store, &bad);
	if (ret)
		return haul_error_set(err, HAUL_EIO, "%s: %s", c->store.part_path, strerror(-ret));
	c->had = c->saved = blocks_done_bytes(&c->blocks);
	c->journaling = 1;
	msg_note(c->m, "resuming %s: %" PRIu64 " of %" PRIu64 " bytes on disk, checked in %.2f s",
		 c->store.path, c->had, r->size, clock_sec() - t);
	if (bad)
		msg_warn(c->m, "%" PRIu64 " block%s of %s did not match the journal and will be "
			 "fetched again", bad, bad == 1 ? "" : "s", c->store.part_path);
	return 0;
}

/* A new FILE.part, and a journal when the download can be resumed. */
static int start_fresh(struct ctl *c, int resumable, struct haul_error *err)
{
	const struct remote *r = &c->remote;
	struct journal_id id = { 0 };
	int ret;

	ret = store_open_part(&c->store, 0, err);
	if (ret)
		return ret;
	c->created = 1;
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
	id.url = url_redact(c->url);
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

/* Probe, renewing the URL first if it is already expired. */
static int probe(struct ctl *c, struct haul_error *err)
{
	struct url_expiry e;
	int ret;

	if (c->d->rf && expiry_from_url(c->url, &e) == 0 && e.known &&
	    (int64_t)time(NULL) >= e.deadline) {
		ret = renew_urls(c, 0, err);
		if (ret)
			return ret;
	}
	ret = probe_run(c->net, c->url, c->head_url, c->stop, &c->remote, err);
	if (ret == HAUL_EEXPIRED && c->d->rf) {
		ret = renew_urls(c, 0, err);
		if (!ret)
			ret = probe_run(c->net, c->url, c->head_url, c->stop, &c->remote, err);
	}
	return ret;
}

/*
 * Everything before the transfers: names, what is on disk, the probe,
 * resume or a fresh start. 0 when there is something to fetch,
 * CTL_NOTHING when the file is already there, or an error.
 */
static int prepare(struct ctl *c, struct haul_error *err)
{
	const struct opts *o = c->o;
	int ret, resumable, have_file = 0, have_part = 0, have_journal = 0;
	uint64_t fsize = 0;

	ret = c->streaming ? 0 : check_paths(c, &have_file, &fsize, &have_part, &have_journal, err);
	if (ret)
		return ret;
	if (have_journal && o->no_journal && !o->restart)
		return haul_error_set(err, HAUL_EUSAGE, "%s exists: resume without --no-journal, "
				      "or use --restart to discard it", c->jpath);
	ret = probe(c, err);
	if (ret)
		return ret;
	say_remote(c);
	if (!o->no_verify)
		trust_plan(&c->remote.claims, c->remote.etag, c->remote.size_known, &c->tplan);
	if (c->d->expect_size >= 0 &&
	    (!c->remote.size_known || c->remote.size != (uint64_t)c->d->expect_size))
		return haul_error_set(err, HAUL_ECHANGED, "%s: the API announced %" PRId64 " bytes "
				      "but the object has %" PRIu64, c->store.path,
				      c->d->expect_size, c->remote.size);
	if (c->streaming) /* nothing on disk to look at or resume */
		return stream_open(&c->out, STDOUT_FILENO, o->window, c->remote.size_known ?
				   c->remote.size : UINT64_MAX, &c->v, c->net->multi, err);
	if (have_file && !o->force)
		return already_there(c, fsize, err);
	resumable = c->remote.size_known && c->remote.ranges != RANGES_NO && !o->no_journal;
	ret = 1;
	if (have_journal && o->restart) {
		msg_note(c->m, "discarding %s and starting over", c->jpath);
		remove_state(c);
	} else if (have_journal) {
		ret = resume(c, have_part, err);
		if (ret < 0)
			return ret;
	} else if (have_part) {
		msg_warn(c->m, "%s has no journal; starting over", c->store.part_path);
	}
	return ret == 1 ? start_fresh(c, resumable, err) : 0;
}

/*
 * The whole-file checks: --checksum, then (unless --no-verify) what the
 * store claims, as trust_plan chose it. CRCs the blocks keep are combined
 * at the end; the others are read back by a thread, which starts now when
 * the size is known, at the end otherwise.
 */
static int setup_checks(struct ctl *c, struct haul_error *err)
{
	const struct remote *r = &c->remote;
	const struct expect *sums = c->d->checksums ? c->d->checksums : c->o->checksums;
	unsigned nsums = c->d->checksums ? c->d->nchecksums : c->o->nchecksums;
	enum crc_kind k;

	c->checks_set = 1;
	for (unsigned i = 0; i < nsums; i++)
		if (verify_add(&c->v, &sums[i], digest_name(sums[i].alg)))
			return haul_error_set(err, HAUL_EFAIL, "out of memory");
	for (unsigned i = 0; i < c->tplan.n; i++)
		if (verify_add_planned(&c->v, &c->tplan.k[i], r->size, c->o->etag_part_size))
			return haul_error_set(err, HAUL_EFAIL, "out of memory");
	for (unsigned i = 0; i < c->tplan.nnotes; i++)
		msg_info(c->m, "not checked: %s (%s)", c->tplan.notes[i].check, c->tplan.notes[i].why);
	for (size_t i = 0; c->journaling && i < c->v.n; i++) {
		enum digest_alg alg = c->v.checks[i].e.alg;

		if (!digest_crc_kind(alg, &k) && c->blocks.crc[k])
			verify_combine(&c->v, alg);
	}
	if (c->streaming) /* the writer feeds the checks from the window */
		verify_start_fed(&c->v);
	return r->size_known && !c->streaming ? verify_start(&c->v, &c->store, r->size, err) : 0;
}

/*
 * With whole-file checks the ranges are dealt out in rows (each connection
 * takes the next range in file order), so the gap-free prefix the checks
 * can hash grows during the download, not only at its end.
 */
#define VERIFY_ROWS 4
#define VERIFY_ROW_MIN (16ull * 1024 * 1024) /* no more requests for small files */

static unsigned rows_for(const struct ctl *c, uint64_t size, unsigned nslots)
{
	uint64_t rows = size / nslots / VERIFY_ROW_MIN;

	if (!verify_reads(&c->v))
		return 1; /* nothing to read back: no prefix to grow */
	return rows < 1 ? 1 : rows > VERIFY_ROWS ? VERIFY_ROWS : (unsigned)rows;
}

/* Once per round of the transfer loop: the numbers the display shows. */
static void on_round(void *ctx)
{
	struct ctl *c = ctx;

	c->item.done = c->had + c->st.bytes + c->f.stats.bytes;
	c->item.conns = fetch_receiving(&c->f);
	c->item.retries = c->st.retries + c->f.stats.retries;
	c->item.refreshes = c->st.refreshes + c->f.stats.refreshes;
	report_tick(c->m->rep, 0);
}

/* The download appears on the display (once, even when it restarts). */
static void report_begin(struct ctl *c, unsigned nslots)
{
	if (!c->m->rep || c->reported)
		return;
	c->item.etag = c->remote.etag;
	c->item.size = c->remote.size;
	c->item.size_known = c->remote.size_known;
	c->item.had = c->had;
	c->item.max_conns = nslots;
	c->item.plan = c->remote.size_known ? &c->plan : NULL;
	c->item.url = url_redact(c->url);
	report_start(c->m->rep, &c->item);
	c->reported = 1;
}

/* Plan what is missing and get the transfers ready (not yet sent). */
static int setup_fetch(struct ctl *c, int ranged, unsigned nslots, struct haul_error *err)
{
	const struct remote *r = &c->remote;
	uint64_t size = r->size_known ? r->size : UINT64_MAX;
	uint64_t align = r->size_known ? blocks_size_for(r->size) : 1;
	struct range whole = { 0, size }, *holes = NULL;
	size_t nholes = size ? 1 : 0;
	struct fetch *f = &c->f;
	int ret;

	if (!c->checks_set && (ret = setup_checks(c, err)) != 0)
		return ret;
	/* Without a journal everything is missing; with one, its holes. */
	if (c->journaling && blocks_holes(&c->blocks, &holes, &nholes))
		return haul_error_set(err, HAUL_EFAIL, "out of memory");
	plan_release(&c->plan);
	if (c->streaming && ranged) /* in file order, within the window */
		ret = stream_plan(&c->out, &c->plan, size, nslots, c->o->min_split);
	else
		ret = plan_init(&c->plan, size, c->journaling ? holes : &whole, nholes,
				ranged ? nslots * rows_for(c, size, nslots) : 1, c->o->min_split, align);
	free(holes);
	if (ret)
		return haul_error_set(err, HAUL_EFAIL, "out of memory");
	memset(f, 0, sizeof(*f));
	f->net = c->net;
	f->plan = &c->plan;
	f->store = &c->store;
	f->blocks = c->journaling ? &c->blocks : NULL;
	f->stream = c->streaming ? &c->out : NULL;
	f->id.size = r->size;
	f->id.etag = r->etag;
	f->id.last_modified = r->last_modified;
	f->ranged = ranged;
	f->size_known = r->size_known;
	f->nslots = ranged ? nslots : 1;
	f->auto_conns = !c->o->connections;
	f->can_fall_back = !c->had;
	f->max_tries = (unsigned)c->o->retries;
	f->max_fail_ms = c->o->retry_max_ms;
	f->retry_rate = (double)c->o->retry_rate;
	f->checkpoint = c->streaming ? NULL : on_checkpoint;
	f->cp_bytes = c->o->cp_bytes;
	f->cp_ms = c->o->cp_ms;
	f->refresh = c->d->rf ? on_refresh : NULL;
	f->on_event = on_event;
	f->ctx = c;
	if (c->m->rep && c->m->rep->mode != REPORT_NONE) {
		f->on_round = on_round;
		f->max_wait_ms = 250; /* the display moves while bytes do not */
	}
	c->fetching = 1;
	ret = fetch_set_url(f, c->url, err);
	if (!ret && fetch_begin(f))
		ret = haul_error_set(err, f->result, "%s", f->err.msg ? f->err.msg : "?");
	if (!ret)
		report_begin(c, f->nslots);
	return ret;
}

/* Add up one fetch's numbers and free it. */
static void account(struct ctl *c)
{
	struct fetch_stats *a = &c->st, *b = &c->f.stats;

	a->bytes += b->bytes;
	a->requests += b->requests;
	a->retries += b->retries;
	a->steals += b->steals;
	a->refreshes += b->refreshes;
	a->wasted += b->wasted;
	if (b->slots > a->slots)
		a->slots = b->slots;
	fetch_release(&c->f);
	c->fetching = 0;
}

/* The "finish" event: the download is complete under its name. */
static void report_done(struct ctl *c, uint64_t size)
{
	struct report_finish f = {
		.bytes = size, .fetched = c->st.bytes, .wasted = c->st.wasted,
		.seconds = clock_sec() - c->t0, .requests = c->st.requests,
		.connections = c->st.slots, .retries = c->st.retries, .refreshes = c->st.refreshes,
	};

	if (!c->m->rep)
		return;
	report_begin(c, 0); /* nothing fetched: it still starts and ends */
	c->item.done = size;
	report_finish(c->m->rep, &c->item, &f);
}

static void summary(const struct ctl *c, uint64_t size)
{
	const struct fetch_stats *st = &c->st;
	double secs = clock_sec() - c->t0;
	double rate = secs > 0 ? (double)st->bytes / secs / (1024.0 * 1024.0) : 0;
	char had[64] = "", ren[48] = "";

	if (!st->requests && !c->streaming) {
		msg_note(c->m, "saved %s: %" PRIu64 " bytes, all of them on disk already", c->store.path,
			 size);
		return;
	}
	if (c->had)
		snprintf(had, sizeof(had), "; %" PRIu64 " were on disk already", c->had);
	if (st->refreshes)
		snprintf(ren, sizeof(ren), ", %u URL renewal%s", st->refreshes,
			 st->refreshes == 1 ? "" : "s");
	msg_note(c->m, "%s%s: %" PRIu64 " bytes in %.2f s (%.1f MiB/s), %u connection%s, "
		 "%u request%s, %u retr%s%s%s", c->streaming ? "streamed to " : "saved ",
		 c->store.path, size, secs, rate, st->slots,
		 st->slots == 1 ? "" : "s", st->requests, st->requests == 1 ? "" : "s",
		 st->retries, st->retries == 1 ? "y" : "ies", ren, had);
}

/* The download stopped short: say what is kept and how to go on. */
static int stopped(struct ctl *c, int ret, struct haul_error *err)
{
	uint64_t done;
	char *cause = err->msg;
	struct haul_error late;

	/* Normally the last checkpoint was made already; if one was still in
	 * flight, wait for it. An error of its own leaves c->saved as it was. */
	haul_error_init(&late);
	settle(c, &late);
	haul_error_release(&late);
	done = c->saved; /* what the journal vouches for, not more */
	const char *how = ret == HAUL_ECHANGED ? "--restart starts over"
			  : ret == HAUL_EEXPIRED ? "run the command again with a fresh URL to resume"
						 : "run the same command (or one with a fresh URL "
						   "for the same object) to resume";

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

/* Each check's outcome as a "verify" event, and what was not checked. */
static void report_checks(struct ctl *c)
{
	char want[2 * DIGEST_MAX + 24];

	for (size_t i = 0; c->m->rep && i < c->v.n; i++) {
		const struct verify_check *k = &c->v.checks[i];

		verify_expected(k, want, sizeof(want));
		report_verify(c->m->rep, &c->item, k->label, verify_result_name(k), want,
			      k->got[0] ? k->got : NULL, verify_result_why(k));
	}
	for (unsigned i = 0; c->m->rep && i < c->tplan.nnotes; i++)
		report_verify(c->m->rep, &c->item, c->tplan.notes[i].check, "unchecked", NULL, NULL,
			      c->tplan.notes[i].why);
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
			msg_debug(c->m, "%s: combined from %" PRIu64 " blocks as they were written, "
				  "not read back", digest_name(k->e.alg), c->blocks.count);
		}
	}
}

/* Finish the whole-file checks; a mismatch keeps FILE.part, unrenamed. */
static int check_file(struct ctl *c, struct haul_error *err)
{
	uint64_t size = c->remote.size_known ? c->remote.size : c->plan.segs[0].end;
	char *cause;
	int ret = 0;

	if (!c->v.n)
		return 0;
	if (!c->remote.size_known && !c->streaming)
		ret = verify_start(&c->v, &c->store, size, err); /* only now is the size known */
	combine_crcs(c);
	if (!ret)
		ret = verify_finish(&c->v, err);
	if (!ret || ret == HAUL_EINTEGRITY)
		report_checks(c);
	if (!ret) {
		msg_debug(c->m, "checks finished %.3f s after the last byte", c->v.tail_s);
		return 0;
	}
	if (ret != HAUL_EINTEGRITY)
		return ret;
	c->keep_part = 1;
	cause = err->msg;
	err->msg = NULL;
	if (c->streaming) /* written already: all there is to do is say so */
		haul_error_set(err, ret, "the data written to %s did not match: %s", c->store.path,
			       cause ? cause : "integrity check failed");
	else
		haul_error_set(err, ret, "%s: %s; the data is kept in %s, not renamed (--restart "
			       "downloads it again)", c->store.path,
			       cause ? cause : "integrity check failed", c->store.part_path);
	free(cause);
	return ret;
}

/* The checks' lines for the summary, and the warning of an untrusted one. */
static void say_checks(const struct ctl *c)
{
	const struct verify_check *untrusted = NULL;
	int verified = 0;

	for (size_t i = 0; i < c->v.n; i++) {
		const struct verify_check *k = &c->v.checks[i];
		char line[200];

		verify_describe(k, line, sizeof(line));
		msg_note(c->m, "%s", line);
		verified |= k->result == VERIFY_OK;
		if (k->result == VERIFY_UNTRUSTED && !untrusted)
			untrusted = k;
	}
	for (unsigned i = 0; i < c->tplan.nnotes; i++)
		msg_note(c->m, "not checked: %s (%s)", c->tplan.notes[i].check, c->tplan.notes[i].why);
	if (untrusted)
		msg_warn(c->m, "%s: %s; %s", c->store.path, verify_result_why(untrusted),
			 verified ? "the other checks passed" : "nothing verified it");
}

static int commit(struct ctl *c, struct haul_error *err)
{
	int ret;

	/* -o -: the rest of the window goes out, through the checks. */
	if (c->streaming && (ret = stream_finish(&c->out, c->remote.size_known ? c->remote.size :
						 c->plan.segs[0].end, c->stop, err)) != 0)
		return stream_stopped(&c->out, ret, err);
	/* A failed fdatasync may have dropped data: never rename after one. */
	ret = settle(c, err);
	if (ret)
		return ret;
	/* The data's final flush to disk first: the checks' last reading
	 * runs meanwhile in their thread. */
	if (c->v.n && !c->streaming && (ret = store_sync(&c->store, err)) != 0)
		return ret;
	ret = check_file(c, err);
	if (ret)
		return ret;
	if (c->journaling && c->o->keep_journal) {
		/* The journal keeps the digests of the finished file. */
		ret = store_sync(&c->store, err);
		if (!ret)
			ret = journal_commit(&c->journal, &c->blocks, err);
		if (ret)
			return ret;
	}
	ret = c->streaming ? 0 : store_commit(&c->store, c->o->force, err);
	if (ret)
		return ret;
	if (c->journaling)
		journal_close(&c->journal, !c->o->keep_journal);
	summary(c, c->remote.size_known ? c->remote.size : c->plan.segs[0].end);
	report_done(c, c->remote.size_known ? c->remote.size : c->plan.segs[0].end);
	say_checks(c);
	return 0;
}

/* After the loop: retry as one stream if need be, then commit or report. */
static int conclude(struct ctl *c, struct haul_error *err)
{
	int ret = c->f.result;

	if (ret < 0)
		haul_error_set(err, ret, "%s", c->f.err.msg ? c->f.err.msg : haul_code_name(ret));
	account(c);
	if (ret == FETCH_NO_RANGES) {
		msg_info(c->m, "the server ignores Range requests; fetching as one stream");
		if (c->journaling) {
			struct haul_error ignored;

			haul_error_init(&ignored);
			settle(c, &ignored); /* the journal goes: its errors do not matter */
			haul_error_release(&ignored);
			journal_close(&c->journal, 1);
			c->journaling = 0;
		}
		ret = setup_fetch(c, 0, 1, err);
		if (!ret) {
			fetch_drive((struct fetch *[]){ &c->f }, 1, c->net->multi, c->stop, 0);
			ret = c->f.result;
			if (ret < 0)
				haul_error_set(err, ret, "%s", c->f.err.msg ? c->f.err.msg : "?");
			account(c);
		}
	}
	if (ret < 0 && c->streaming)
		return stream_stopped(&c->out, ret, err);
	if (ret < 0)
		return c->journaling ? stopped(c, ret, err) : ret;
	return commit(c, err);
}

static int ctl_init(struct ctl *c, const struct opts *o, const struct msg *m,
		    volatile sig_atomic_t *stop, const struct store_ops *ops,
		    const struct download *d, struct net *net, struct haul_error *err)
{
	char *output = NULL;
	size_t n;
	int ret;

	c->o = o;
	c->m = m;
	c->stop = stop;
	c->d = d;
	c->net = net;
	c->t0 = clock_sec();
	remote_init(&c->remote);
	store_init(&c->store, ops);
	journal_init(&c->journal, ops);
	syncer_init(&c->sync, &c->store, &c->journal, net->multi);
	verify_init(&c->v);
	stream_init(&c->out);
	c->streaming = d->output && strcmp(d->output, "-") == 0;
	ret = url_check(d->url, "URL", err);
	if (!ret)
		ret = net_check_family(net, d->url, "the URL", err);
	if (!ret && d->head_url)
		ret = url_check(d->head_url, "--head-url", err);
	if (!ret && d->head_url)
		ret = net_check_family(net, d->head_url, "--head-url", err);
	c->item.name = "";
	if (!ret && !d->output)
		ret = url_filename(d->url, &output, err);
	if (!ret && o->dir && (d->output ? d->output : output)[0] != '/') {
		/* --dir DIR: relative names go there. */
		const char *name = d->output ? d->output : output;
		size_t len = strlen(o->dir) + strlen(name) + 2;
		char *joined = malloc(len);

		if (joined)
			snprintf(joined, len, "%s/%s", o->dir, name);
		free(output);
		output = joined;
		if (!output)
			ret = haul_error_set(err, HAUL_EFAIL, "out of memory");
	}
	if (!ret)
		ret = store_name(&c->store, c->streaming ? STREAM_NAME : output ? output : d->output,
				 err);
	free(output);
	if (ret)
		return ret;
	c->item.name = c->store.path;
	n = strlen(c->store.path) + sizeof(JOURNAL_SUFFIX);
	c->jpath = malloc(n);
	c->url = strdup(d->url);
	c->head_url = d->head_url ? strdup(d->head_url) : NULL;
	if (!c->jpath || !c->url || (d->head_url && !c->head_url))
		return haul_error_set(err, HAUL_EFAIL, "out of memory");
	snprintf(c->jpath, n, "%s%s", c->store.path, JOURNAL_SUFFIX);
	return 0;
}

static void ctl_release(struct ctl *c, int failed)
{
	if (c->m->rep)
		report_drop(c->m->rep, &c->item); /* it points into c */
	free(c->item.url);
	if (c->fetching)
		fetch_release(&c->f);
	syncer_release(&c->sync); /* before the journal and the file go */
	stream_release(&c->out); /* its writer feeds the checks */
	verify_release(&c->v); /* its thread reads the file: stopped first */
	if (failed && !c->journaling && !c->keep_part)
		store_discard(&c->store);
	journal_close(&c->journal, 0);
	blocks_release(&c->blocks);
	plan_release(&c->plan);
	store_release(&c->store);
	remote_release(&c->remote);
	free(c->jpath);
	free(c->url);
	free(c->head_url);
}

int ctl_open(struct ctl **out, const struct opts *o, const struct msg *m,
	     volatile sig_atomic_t *stop, const struct store_ops *ops, const struct download *d,
	     struct net *net, unsigned nslots, struct haul_error *err)
{
	struct ctl *c = calloc(1, sizeof(*c));
	int ret;

	*out = c;
	if (!c)
		return haul_error_set(err, HAUL_EFAIL, "out of memory");
	ret = ctl_init(c, o, m, stop, ops, d, net, err);
	if (!ret)
		ret = prepare(c, err);
	if (!ret)
		ret = setup_fetch(c, c->remote.size_known && c->remote.ranges != RANGES_NO,
				  nslots ? nslots : 1, err);
	if (ret == CTL_NOTHING)
		report_done(c, c->remote.size);
	else if (ret < 0 && c->journaling)
		ret = stopped(c, ret, err);
	return ret;
}

struct fetch *ctl_fetch(struct ctl *c)
{
	return c->fetching ? &c->f : NULL;
}

struct report_item *ctl_item(struct ctl *c)
{
	return &c->item;
}

int ctl_conclude(struct ctl *c, struct haul_error *err)
{
	return conclude(c, err);
}

void ctl_close(struct ctl *c, int failed)
{
	if (!c)
		return;
	ctl_release(c, failed);
	free(c);
}
