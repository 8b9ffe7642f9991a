/*
 * ctl.c -- drives one download: decides between a fresh start and a resume,
 * runs the transfer loop with checkpoints, commits, and reports.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "blocks.h"
#include "clock.h"
#include "ctl.h"
#include "fetch.h"
#include "journal.h"
#include "net.h"
#include "plan.h"
#include "probe.h"
#include "store.h"
#include "url.h"

struct ctl {
	const struct opts *o;        /* borrowed */
	const struct msg *m;         /* borrowed */
	volatile sig_atomic_t *stop; /* borrowed */
	struct net net;
	struct remote remote;
	struct store store;
	struct plan plan;
	struct blocks blocks;
	struct journal journal;
	int journaling;              /* FILE.haul is open and kept up to date */
	int created;                 /* this run created FILE.part */
	char *jpath;                 /* owned: FILE.haul */
	uint64_t had;                /* bytes already on disk when we started */
	double t0;
};

static void on_event(void *ctx, const struct fetch_event *ev)
{
	const struct ctl *c = ctx;

	switch (ev->kind) {
	case FEV_REQUEST:
		if (ev->last == UINT64_MAX)
			msg_info(c->m, "[%u] GET (whole object)", ev->slot);
		else
			msg_info(c->m, "[%u] GET bytes %" PRIu64 "-%" PRIu64, ev->slot, ev->first,
				 ev->last);
		break;
	case FEV_STEAL:
		msg_info(c->m, "[%u] takes over bytes %" PRIu64 "-%" PRIu64 " from a busy range",
			 ev->slot, ev->first, ev->last);
		break;
	case FEV_RETRY:
		msg_info(c->m, "[%u] %s; retrying in %" PRIu64 " ms", ev->slot, ev->why,
			 ev->delay_ms);
		break;
	}
}

/* The data first, then the record: the journal never claims more. */
static int on_checkpoint(void *ctx, struct haul_error *err)
{
	struct ctl *c = ctx;
	int ret;

	if (!c->journaling)
		return 0;
	ret = store_sync(&c->store, err);
	return ret ? ret : journal_commit(&c->journal, &c->blocks, err);
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
		return 0;
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
	if (ret)
		return ret;
	t = clock_sec();
	ret = blocks_verify(&c->blocks, &c->store, &bad);
	if (ret)
		return haul_error_set(err, HAUL_EIO, "%s: %s", c->store.part_path, strerror(-ret));
	c->had = blocks_done_bytes(&c->blocks);
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
	id.url = url_redact(c->o->url);
	if (blocks_init(&c->blocks, id.size, id.bsize)) {
		free(id.url);
		return haul_error_set(err, HAUL_EFAIL, "out of memory");
	}
	ret = journal_create(&c->journal, c->jpath, &id, &c->blocks, err);
	free(id.url);
	if (!ret)
		c->journaling = 1;
	return ret;
}

static int fetch_all(struct ctl *c, int ranged, struct fetch_stats *st, struct haul_error *err)
{
	const struct remote *r = &c->remote;
	struct fetch f = {
		.net = &c->net,
		.plan = &c->plan,
		.store = &c->store,
		.blocks = c->journaling ? &c->blocks : NULL,
		.url = c->o->url,
		.id = { r->size, r->etag, r->last_modified },
		.ranged = ranged,
		.size_known = r->size_known,
		.nslots = ranged ? (unsigned)c->o->connections : 1,
		.stop = c->stop,
		.checkpoint = c->journaling ? on_checkpoint : NULL,
		.cp_bytes = c->o->cp_bytes,
		.cp_ms = c->o->cp_ms,
		.on_event = on_event,
		.ctx = c,
	};
	uint64_t size = r->size_known ? r->size : UINT64_MAX;
	uint64_t align = r->size_known ? blocks_size_for(r->size) : 1;
	struct range whole = { 0, size }, *holes = NULL;
	size_t nholes = size ? 1 : 0;
	int ret;

	/* Without a journal everything is missing; with one, its holes. */
	if (c->journaling && blocks_holes(&c->blocks, &holes, &nholes))
		return haul_error_set(err, HAUL_EFAIL, "out of memory");
	ret = plan_init(&c->plan, size, c->journaling ? holes : &whole, nholes, f.nslots,
			c->o->min_split, align);
	free(holes);
	if (ret)
		return haul_error_set(err, HAUL_EFAIL, "out of memory");
	ret = fetch_run(&f, err);
	st->bytes += f.stats.bytes;
	st->requests += f.stats.requests;
	st->retries += f.stats.retries;
	st->steals += f.stats.steals;
	if (f.stats.slots > st->slots)
		st->slots = f.stats.slots;
	return ret;
}

static void summary(const struct ctl *c, uint64_t size, const struct fetch_stats *st)
{
	double secs = clock_sec() - c->t0;
	double rate = secs > 0 ? (double)st->bytes / secs / (1024.0 * 1024.0) : 0;
	char had[64] = "";

	if (!st->requests) {
		msg_note(c->m, "saved %s: %" PRIu64 " bytes, all of them on disk already", c->store.path,
			 size);
		return;
	}
	if (c->had)
		snprintf(had, sizeof(had), "; %" PRIu64 " were on disk already", c->had);
	msg_note(c->m, "saved %s: %" PRIu64 " bytes in %.2f s (%.1f MiB/s), %u connection%s, "
		 "%u request%s, %u retr%s%s", c->store.path, size, secs, rate, st->slots,
		 st->slots == 1 ? "" : "s", st->requests, st->requests == 1 ? "" : "s",
		 st->retries, st->retries == 1 ? "y" : "ies", had);
}

/* The download stopped short: say what is kept and how to go on. */
static int stopped(struct ctl *c, int ret, struct haul_error *err)
{
	uint64_t done = blocks_done_bytes(&c->blocks);
	char *cause = err->msg;
	const char *how = ret == HAUL_ECHANGED ? "--restart starts over"
						 : "run the same command (or one with a fresh URL for "
						   "the same object) to resume";

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

static int finish(struct ctl *c, struct haul_error *err)
{
	int ret;

	if (c->journaling && c->o->keep_journal) {
		/* The journal keeps the digests of the finished file. */
		ret = store_sync(&c->store, err);
		if (!ret)
			ret = journal_commit(&c->journal, &c->blocks, err);
		if (ret)
			return ret;
	}
	ret = store_commit(&c->store, c->o->force, err);
	if (ret)
		return ret;
	if (c->journaling)
		journal_close(&c->journal, !c->o->keep_journal);
	return 0;
}

static int run(struct ctl *c, struct haul_error *err)
{
	const struct opts *o = c->o;
	struct fetch_stats st = { 0 };
	int ret, ranged, resumable, have_file = 0, have_part = 0, have_journal = 0;
	uint64_t fsize = 0;

	ret = check_paths(c, &have_file, &fsize, &have_part, &have_journal, err);
	if (ret)
		return ret;
	if (have_journal && o->no_journal && !o->restart)
		return haul_error_set(err, HAUL_EUSAGE, "%s exists: resume without --no-journal, "
				      "or use --restart to discard it", c->jpath);
	ret = net_init(&c->net, o, err);
	if (!ret)
		ret = probe_run(&c->net, o->url, o->head_url, c->stop, &c->remote, err);
	if (ret)
		return ret;
	say_remote(c);
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
	if (ret == 1) {
		ret = start_fresh(c, resumable, err);
		if (ret)
			return ret;
	}
	ranged = c->remote.size_known && c->remote.ranges != RANGES_NO;
	ret = fetch_all(c, ranged, &st, err);
	if (ret == FETCH_NO_RANGES) {
		msg_info(c->m, "the server ignores Range requests; fetching as one stream");
		plan_release(&c->plan);
		if (c->journaling) {
			journal_close(&c->journal, 1);
			c->journaling = 0;
		}
		ret = fetch_all(c, 0, &st, err);
	}
	if (ret < 0)
		return c->journaling ? stopped(c, ret, err) : ret;
	ret = finish(c, err);
	if (ret)
		return ret;
	summary(c, c->remote.size_known ? c->remote.size : c->plan.segs[0].end, &st);
	return 0;
}

int ctl_run(const struct opts *o, const struct msg *m, volatile sig_atomic_t *stop,
	    const struct store_ops *ops, struct haul_error *err)
{
	struct ctl c = { .o = o, .m = m, .stop = stop, .t0 = clock_sec() };
	char *output = NULL;
	size_t n;
	int ret;

	remote_init(&c.remote);
	store_init(&c.store, ops);
	journal_init(&c.journal, ops);
	ret = url_check(o->url, "URL", err);
	if (!ret && o->head_url)
		ret = url_check(o->head_url, "--head-url", err);
	if (!ret && !o->output)
		ret = url_filename(o->url, &output, err);
	if (!ret)
		ret = store_name(&c.store, o->output ? o->output : output, err);
	free(output);
	if (!ret) {
		n = strlen(c.store.path) + sizeof(JOURNAL_SUFFIX);
		c.jpath = malloc(n);
		if (!c.jpath)
			ret = haul_error_set(err, HAUL_EFAIL, "out of memory");
		else
			snprintf(c.jpath, n, "%s%s", c.store.path, JOURNAL_SUFFIX);
	}
	if (!ret)
		ret = run(&c, err);
	if (ret && !c.journaling)
		store_discard(&c.store);
	journal_close(&c.journal, 0);
	blocks_release(&c.blocks);
	plan_release(&c.plan);
	store_release(&c.store);
	remote_release(&c.remote);
	net_release(&c.net);
	free(c.jpath);
	return ret;
}
