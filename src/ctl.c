/*
 * ctl.c -- one download as a state machine the loop drives: the first range
 * request as the probe (or a probe proper where one is needed), the file
 * created or resumed by an I/O job, the transfers with checkpoints and
 * fresh URLs, and the checks and the name, by I/O jobs again. Nothing here
 * waits; see ctl_int.h for the states.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "ctl_int.h"
#include "expiry.h"
#include "url.h"

void ctl_end(struct ctl *c, int ret)
{
	if (c->d->rf && c->d->rf->done)
		c->d->rf->done(c->d->rf->ctx);
	c->state = CS_DONE;
	c->result = ret;
	if (ret < 0 && !c->err.msg)
		haul_error_set(&c->err, ret, "%s", haul_code_name(ret));
}

/* Fail with err's text (moved into c->err). */
static void fail(struct ctl *c, int ret, struct haul_error *err)
{
	if (err && err != &c->err && err->msg) {
		haul_error_release(&c->err);
		c->err = *err;
		haul_error_init(err);
	}
	ctl_end(c, ret);
}

/* The fetch loop's hook: a fresh URL for the transfers (checked). */
static int on_refresh(void *ctx, struct fetch *f, struct haul_error *err)
{
	(void)f;
	return ctl_renew_start(ctx, 1, err);
}

static void start(struct ctl *c);

void ctl_renewed(struct ctl *c, int ret, struct haul_error *err)
{
	struct haul_error local;

	if (c->state == CS_DONE)
		return;
	if (c->state == CS_RENEW) {
		/* Renewed before anything went out: now it can start. */
		if (ret)
			fail(c, ret, err);
		else
			start(c);
		return;
	}
	/* The transfers ended while the renewal ran (the last bytes came in
	 * before the deadline): the URL is kept for nothing, and the download
	 * goes on with its checks -- it must not start again. */
	if (!c->fetching)
		return;
	haul_error_init(&local);
	if (!ret)
		fetch_set_url(&c->f, &c->url);
	if (!ret && c->m->rep) {
		c->item.refreshes = c->st.refreshes + c->f.stats.refreshes + 1;
		report_refresh(c->m->rep, &c->item, c->f.refresh_expired ? "expired" : "deadline");
	}
	if (!ret && c->url.expiry.known)
		msg_note(c->m, "%s: renewed the URL through %s (valid for %" PRId64 " s)",
			 c->store.path, c->d->rf->what, c->url.expiry.deadline - (int64_t)time(NULL));
	else if (!ret)
		msg_note(c->m, "%s: renewed the URL through %s", c->store.path, c->d->rf->what);
	fetch_renewed(&c->f, ret, ret ? (local.msg ? local.msg : err ? err->msg : NULL) : NULL);
	haul_error_release(&local);
}

/*
 * The whole-file checks: --checksum, then (unless --no-verify) what the
 * store claims, as trust_plan chose it. CRCs the blocks keep are combined
 * at the end; the others are read back by a thread, which starts now when
 * the size is known, at the end otherwise.
 */
int ctl_checks(struct ctl *c, struct haul_error *err)
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
	else if (r->size_known && r->size <= VERIFY_LATER_MAX)
		verify_start_later(&c->v, &c->store, r->size);
	else if (r->size_known)
		return verify_start(&c->v, &c->store, r->size, err);
	return 0;
}

/*
 * With checks that read the file back, the ranges are dealt out in rows
 * (each connection takes the next range in file order), so the gap-free
 * prefix the checks can hash grows during the download, not only at its end.
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

/* The fetch's fields that do not depend on the plan. */
static void fetch_fields(struct ctl *c, int ranged, unsigned nslots)
{
	struct fetch *f = &c->f;
	const struct remote *r = &c->remote;

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
	f->checkpoint = c->streaming ? NULL : ctl_checkpoint;
	f->cp_bytes = c->o->cp_bytes;
	f->cp_ms = c->o->cp_ms;
	f->refresh = c->d->rf ? on_refresh : NULL;
	f->on_event = ctl_on_event;
	f->ctx = c;
	/* A small file without a journal: its final fsync is all the writing
	 * back it needs, and it has nothing to record. */
	if (!c->journaling && r->size_known && r->size <= VERIFY_LATER_MAX)
		f->checkpoint = NULL;
	if (c->m->rep && c->m->rep->mode != REPORT_NONE) {
		f->on_round = ctl_on_round;
		f->max_wait_ms = 250; /* the display moves while bytes do not */
	}
}

/* Plan what is missing and get the transfers ready (not yet sent). */
int ctl_setup_fetch(struct ctl *c, int ranged, unsigned nslots, struct haul_error *err)
{
	const struct remote *r = &c->remote;
	uint64_t size = r->size_known ? r->size : UINT64_MAX;
	uint64_t align = r->size_known ? blocks_size_for(r->size) : 1;
	struct range whole = { 0, size }, *holes = NULL;
	size_t nholes = size ? 1 : 0;
	int ret;

	if (!c->checks_set && (ret = ctl_checks(c, err)) != 0)
		return ret;
	/* Without a journal everything is missing; with one, its holes. */
	if (c->journaling && blocks_holes(&c->blocks, &holes, &nholes))
		return haul_error_set(err, HAUL_EFAIL, "out of memory");
	if (c->journaling)
		ctl_shard_clip(c, holes, &nholes);
	plan_release(&c->plan);
	if (c->streaming && ranged) /* in file order, within the window */
		ret = stream_plan(&c->out, &c->plan, size, nslots, c->o->min_split);
	else
		ret = plan_init(&c->plan, size, c->journaling ? holes : &whole, nholes,
				ranged ? nslots * rows_for(c, size, nslots) : 1, c->o->min_split, align);
	free(holes);
	if (ret)
		return haul_error_set(err, HAUL_EFAIL, "out of memory");
	fetch_fields(c, ranged, nslots);
	c->f.wait_hint_ms = c->remote.wait_ms;
	c->fetching = 1;
	fetch_set_url(&c->f, &c->url);
	ret = 0;
	if (fetch_begin(&c->f))
		ret = haul_error_set(err, c->f.result, "%s", c->f.err.msg ? c->f.err.msg : "?");
	if (!ret)
		ctl_report_begin(c, c->f.nslots);
	c->state = CS_FETCH;
	return ret;
}

/* Add up one fetch's numbers and free it. */
void ctl_account(struct ctl *c)
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

/* What the probe (or the first answer) found, before the file is made. */
int ctl_learned(struct ctl *c, struct haul_error *err)
{
	ctl_say_remote(c);
	if (c->d->expect_size >= 0 &&
	    (!c->remote.size_known || c->remote.size != (uint64_t)c->d->expect_size))
		return haul_error_set(err, HAUL_ECHANGED, "%s: the API announced %" PRId64 " bytes "
				      "but the object has %" PRIu64, c->store.path,
				      c->d->expect_size, c->remote.size);
	if (!c->o->no_verify)
		trust_plan(&c->remote.claims, c->remote.etag, c->remote.size_known, &c->tplan);
	c->pn.restart = c->have_journal && c->o->restart;
	c->resuming = c->have_journal && !c->o->restart;
	c->pn.stray_part = !c->have_journal && c->have_part && !c->d->shard_n;
	return ctl_shard_learned(c, err);
}

/*
 * S3 sends its checksums on HEAD (and whole-object GETs) only. A range of
 * an S3 object whose URL lets haul ask for them (not presigned: public, or
 * signed with --aws-sigv4) is followed by one HEAD for them, before the
 * file is made; presigned GET-only URLs refuse HEAD, and skip it.
 */
static int wants_head(const struct ctl *c, long status)
{
	return status == 206 && !c->o->no_verify && c->remote.claims.backend == BACKEND_S3 &&
	       !c->remote.claims.n && trust_ask_checksums(c->url.text) == 1;
}

/* The first answer is understood (and maybe the HEAD after it): make the file. */
static int understood(struct ctl *c, struct haul_error *err)
{
	struct fetch *f = &c->f;
	int ret = ctl_learned(c, err);

	if (ret)
		return ret;
	f->id.size = c->remote.size;
	f->id.etag = c->remote.etag;
	f->id.last_modified = c->remote.last_modified;
	f->size_known = c->remote.size_known;
	f->ranged = c->remote.ranges != RANGES_NO;
	return ctl_prepare_file(c, err);
}

/* The HEAD after the first answer ended: its checksums, if it has them. */
static void headed(struct probe *p)
{
	struct ctl *c = p->ctx;
	struct haul_error err;
	int ret = 0;

	haul_error_init(&err);
	/* A refused HEAD costs nothing but the checksums; another object is
	 * another matter. */
	if (!p->ret && c->head_r.size_known && c->head_r.size != c->remote.size)
		ret = haul_error_set(&err, HAUL_ECHANGED, "the object changed between two answers "
				     "(%" PRIu64 " bytes, then %" PRIu64 ")", c->remote.size,
				     c->head_r.size);
	else if (!p->ret && c->remote.etag && c->head_r.etag &&
		 strcmp(c->remote.etag, c->head_r.etag) != 0)
		ret = haul_error_set(&err, HAUL_ECHANGED, "the object changed between two answers "
				     "(ETag %s, then %s)", c->remote.etag, c->head_r.etag);
	else if (!p->ret && !strcmp(c->head_r.method, "HEAD"))
		c->remote.claims = c->head_r.claims;
	probe_release(p);
	remote_release(&c->head_r);
	c->heading = 0;
	if (!ret)
		ret = understood(c, &err);
	if (ret)
		fetch_fail(&c->f, ret, err.msg);
	haul_error_release(&err);
}

/* The first answer's headers are in: what they mean, and make the file. */
static int on_first(void *ctx, struct fetch *f, long status, struct haul_error *err)
{
	struct ctl *c = ctx;
	int ret;

	ret = remote_from_answer(c->net, fetch_first_handle(f), c->url.text, status, 0, &c->remote,
				 err);
	if (!ret && wants_head(c, status)) {
		remote_init(&c->head_r);
		c->heading = 1;
		ret = probe_start(&c->probe, c->net, &c->url, NULL, &c->head_r, headed, c);
		if (!ret)
			return FETCH_FIRST_WAIT;
		c->heading = 0;
		probe_release(&c->probe);
		ret = 0; /* no checksums, then */
	}
	if (!ret)
		ret = understood(c, err);
	return ret ? ret : FETCH_FIRST_WAIT;
}

/* The I/O job made (or resumed) the file: plan, and let the bytes come. */
void ctl_prepared(struct ctl *c, int ret, struct haul_error *err)
{
	const struct remote *r = &c->remote;
	struct range whole = { 0, r->size }, *holes = NULL;
	size_t nholes = r->size ? 1 : 0;
	unsigned nparts;
	uint64_t align = r->size_known ? blocks_size_for(r->size) : 1;

	ctl_say_prepared(c);
	if (!ret && c->stop && *c->stop)
		ret = haul_error_set(err, HAUL_EINTR, "interrupted");
	if (ret) {
		if (c->fetching)
			ctl_account(c);
		ret = c->journaling ? ctl_stopped(c, ret, err) : ret;
		fail(c, ret, err);
		return;
	}
	if (!c->fetching) { /* after a probe proper */
		ret = ctl_setup_fetch(c, r->size_known && r->ranges != RANGES_NO, c->nslots, err);
		if (ret)
			fail(c, ret, err);
		return;
	}
	/* After the first answer: its request goes on, the rest is planned. */
	ret = ctl_checks(c, err);
	if (!ret && c->journaling && blocks_holes(&c->blocks, &holes, &nholes))
		ret = haul_error_set(err, HAUL_EFAIL, "out of memory");
	nparts = c->nslots * (r->size_known ? rows_for(c, r->size, c->nslots) : 1);
	if (!ret) {
		c->f.blocks = c->journaling ? &c->blocks : NULL;
		c->f.can_fall_back = !c->had;
		if (!c->journaling && r->size_known && r->size <= VERIFY_LATER_MAX)
			c->f.checkpoint = NULL; /* see fetch_fields */
		if (fetch_first_plan(&c->f, c->journaling ? holes : &whole, nholes, nparts,
				     c->o->min_split, align))
			ret = haul_error_set(err, HAUL_EFAIL, "out of memory");
	}
	free(holes);
	if (ret) {
		fetch_fail(&c->f, ret, err->msg);
		return;
	}
	if (!c->f.ranged)
		msg_info(c->m, "the server ignores Range requests; fetching as one stream");
	fetch_first_ready(&c->f);
	ctl_report_begin(c, c->f.ranged ? c->f.nslots : 1);
	c->state = CS_FETCH;
}

/* The probe proper ended. */
static void probed(struct probe *p)
{
	struct ctl *c = p->ctx;
	struct haul_error err;
	int ret = p->ret;

	haul_error_init(&err);
	if (ret)
		haul_error_set(&err, ret, "%s", p->err.msg ? p->err.msg : haul_code_name(ret));
	probe_release(p);
	if (ret == HAUL_EEXPIRED && c->d->rf && !c->renewed) {
		haul_error_release(&err);
		c->renewed = 1; /* renew once, then probe again */
		c->state = CS_RENEW;
		ctl_renew_start(c, 0, &c->err);
		return;
	}
	if (!ret)
		ret = ctl_learned(c, &err);
	if (!ret && c->have_file && !c->o->force) {
		ret = ctl_already_there(c, &err);
		if (ret == CTL_NOTHING)
			ctl_report_done(c, c->remote.size);
	}
	if (!ret)
		ret = ctl_prepare_file(c, &err);
	if (ret)
		fail(c, ret, &err);
	haul_error_release(&err);
}

/* The first request of a download whose object is not known yet. */
static int first_request(struct ctl *c, struct haul_error *err)
{
	/* With one connection, the first request is for everything. */
	uint64_t len = c->nslots > 1 ? FETCH_FIRST_RANGE : UINT64_MAX;
	struct range first = { 0, len };
	int ret;

	plan_release(&c->plan);
	if (plan_init(&c->plan, UINT64_MAX, &first, 1, 1, c->o->min_split, 1))
		return haul_error_set(err, HAUL_EFAIL, "out of memory");
	remote_init(&c->remote);
	fetch_fields(c, 1, c->nslots);
	c->f.probing = 1;
	c->f.first = 0;
	c->f.first_len = len;
	c->f.on_first = on_first;
	c->f.size_known = 0;
	c->f.id.size = UINT64_MAX;
	c->fetching = 1;
	c->state = CS_FIRST;
	fetch_set_url(&c->f, &c->url);
	ret = 0;
	if (fetch_begin(&c->f))
		ret = haul_error_set(err, c->f.result, "%s", c->f.err.msg ? c->f.err.msg : "?");
	return ret;
}

/*
 * Send the first request: the first range, which is the probe; or a probe
 * proper where one is needed first -- a HEAD URL to use, a journal to
 * resume (its object must be the one we find), a file in the way.
 */
static void start(struct ctl *c)
{
	struct haul_error err;
	int ret;

	haul_error_init(&err);
	if (c->head.text || (c->have_journal && !c->o->restart) || (c->have_file && !c->o->force) ||
	    c->d->shard_n) {
		c->state = CS_PROBE;
		ret = probe_start(&c->probe, c->net, &c->url, ctl_head(c), &c->remote, probed, c);
		if (ret) {
			haul_error_set(&err, ret, "%s", c->probe.err.msg ? c->probe.err.msg : "?");
			probe_release(&c->probe);
		}
	} else {
		ret = first_request(c, &err);
	}
	if (ret)
		fail(c, ret, &err);
	haul_error_release(&err);
}

/* The transfers ended: fall back to one stream, finish, or say what is kept. */
static void fetched(struct ctl *c)
{
	int ret = c->f.result;

	if (ret < 0)
		haul_error_set(&c->err, ret, "%s", c->f.err.msg ? c->f.err.msg : haul_code_name(ret));
	ctl_account(c);
	if (ret == FETCH_NO_RANGES) {
		msg_info(c->m, "the server ignores Range requests; fetching as one stream");
		if (c->journaling) {
			struct haul_error ignored;

			haul_error_init(&ignored);
			ctl_settle(c, &ignored); /* the journal goes: its errors do not matter */
			haul_error_release(&ignored);
			journal_close(&c->journal, 1);
			c->journaling = 0;
		}
		ret = ctl_setup_fetch(c, 0, 1, &c->err);
		if (ret)
			ctl_end(c, ret);
		return;
	}
	if (ret < 0 && c->streaming)
		ret = stream_stopped(&c->out, ret, &c->err);
	else if (ret < 0 && c->journaling && c->final_due) {
		/* The last checkpoint is disk work: the loop goes on meanwhile. */
		c->final_due = 0;
		ret = ctl_final_checkpoint(c, ret);
		if (!ret)
			return;
	} else if (ret < 0 && c->journaling)
		ret = ctl_stopped(c, ret, &c->err);
	else if (!ret && c->streaming)
		ret = ctl_end_stream(c, &c->err);
	else if (!ret && c->d->shard_n && !c->shard_last)
		ret = ctl_shard_done(c, &c->err);
	else if (!ret)
		ret = ctl_finish_file(c, &c->err);
	if (ret || c->streaming)
		ctl_end(c, ret);
}

long ctl_tick(struct ctl *c)
{
	long wait = 1000, w;

	if (c->state == CS_DONE)
		return wait;
	if (c->stop && *c->stop) {
		/* An I/O job under way ends first: its callback sees the stop. */
		ctl_renew_release(c);
		if (c->state == CS_PROBE) {
			probe_abort(&c->probe);
			probe_release(&c->probe);
		}
		if (c->state == CS_PROBE || c->state == CS_RENEW) {
			ctl_end(c, haul_error_set(&c->err, HAUL_EINTR, "interrupted"));
			return wait;
		}
		if (c->fetching && c->state != CS_PREPARE)
			fetch_fail(&c->f, HAUL_EINTR, "interrupted");
	}
	if (c->rn.active) {
		w = ctl_renew_tick(c);
		wait = w < wait ? w : wait;
	}
	if (c->state == CS_PROBE || c->heading) {
		w = probe_tick(&c->probe);
		wait = w < wait ? w : wait;
	}
	if (c->state != CS_PROBE && c->fetching &&
	    (c->state == CS_FIRST || c->state == CS_FETCH)) {
		w = fetch_tick(&c->f);
		wait = w < wait ? w : wait;
		if (c->f.done)
			fetched(c);
		else if (c->f.on_round)
			c->f.on_round(c);
	}
	return c->state == CS_DONE ? 0 : wait;
}

int ctl_due(const struct ctl *c)
{
	return c->fetching && c->state != CS_PREPARE && fetch_due(&c->f);
}

int ctl_fd(const struct ctl *c)
{
	return ctl_renew_fd(c);
}

int ctl_done(const struct ctl *c, struct haul_error *err)
{
	if (c->state != CS_DONE)
		return 0;
	if (c->result < 0 && err) {
		haul_error_set(err, c->result, "%s",
			       c->err.msg ? c->err.msg : haul_code_name(c->result));
	}
	return 1;
}

int ctl_result(const struct ctl *c)
{
	return c->result;
}

static int ctl_init(struct ctl *c, const struct opts *o, const struct msg *m,
		    volatile sig_atomic_t *stop, const struct store_ops *ops,
		    const struct download *d, struct net *net, struct iow *io,
		    struct haul_error *err)
{
	char *output = NULL;
	size_t n;
	int ret;

	c->o = o;
	c->m = m;
	c->stop = stop;
	c->d = d;
	c->net = net;
	c->io = io;
	c->t0 = clock_sec();
	haul_error_init(&c->err);
	haul_error_init(&c->rn.err);
	c->rn.ch.fd = -1;
	remote_init(&c->remote);
	store_init(&c->store, ops);
	journal_init(&c->journal, ops);
	syncer_init(&c->sync, &c->store, &c->journal, net->multi);
	verify_init(&c->v);
	stream_init(&c->out);
	if (ops)
		c->out.ops = ops;
	c->streaming = d->output && strcmp(d->output, "-") == 0;
	c->item.name = "";
	ret = url_init(&c->url, d->url, "URL", err);
	if (!ret)
		ret = net_check_family(net, d->url, "the URL", err);
	if (!ret && d->head_url)
		ret = url_init(&c->head, d->head_url, "--head-url", err);
	if (!ret && d->head_url)
		ret = net_check_family(net, d->head_url, "--head-url", err);
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
	if (!c->jpath)
		return haul_error_set(err, HAUL_EFAIL, "out of memory");
	snprintf(c->jpath, n, "%s%s", c->store.path, JOURNAL_SUFFIX);
	return ctl_shard_setup(c, err);
}

static void ctl_release(struct ctl *c, int failed)
{
	if (c->m->rep)
		report_drop(c->m->rep, &c->item); /* it points into c */
	free(c->item.url);
	ctl_renew_release(c);
	if (c->state == CS_PROBE || c->heading)
		probe_release(&c->probe);
	remote_release(&c->head_r);
	if (c->fetching)
		fetch_release(&c->f);
	ctl_shard_release(c);
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
	haul_error_release(&c->err);
	free(c->jpath);
	url_release(&c->url);
	url_release(&c->head);
}

int ctl_open(struct ctl **out, const struct opts *o, const struct msg *m,
	     volatile sig_atomic_t *stop, const struct store_ops *ops, const struct download *d,
	     struct net *net, struct iow *io, unsigned nslots, struct haul_error *err)
{
	struct ctl *c = calloc(1, sizeof(*c));
	int ret;

	*out = c;
	if (!c)
		return haul_error_set(err, HAUL_EFAIL, "out of memory");
	c->nslots = nslots ? nslots : 1;
	ret = ctl_init(c, o, m, stop, ops, d, net, io, err);
	if (!ret && !c->streaming)
		ret = ctl_check_paths(c, err);
	if (!ret && c->have_journal && o->no_journal && !o->restart)
		ret = haul_error_set(err, HAUL_EUSAGE, "%s exists: resume without --no-journal, "
				     "or use --restart to discard it", c->jpath);
	if (!ret && c->streaming) {
		ret = ctl_start_stream(c, err);
		if (ret == CTL_NOTHING)
			ret = 0;
		return ret;
	}
	if (ret)
		return ret;
	/* Already expired: renew it before anything goes out. */
	if (d->rf && c->url.expiry.known && (int64_t)time(NULL) >= c->url.expiry.deadline) {
		c->state = CS_RENEW;
		c->renewed = 1;
		return ctl_renew_start(c, 0, err);
	}
	start(c);
	if (c->state == CS_DONE && c->result < 0)
		return haul_error_set(err, c->result, "%s", c->err.msg ? c->err.msg : "?");
	return 0;
}

const struct url *ctl_head(const struct ctl *c)
{
	return c->head.text ? &c->head : NULL;
}

struct fetch *ctl_fetch(struct ctl *c)
{
	return c->fetching ? &c->f : NULL;
}

struct report_item *ctl_item(struct ctl *c)
{
	return &c->item;
}

void ctl_close(struct ctl *c, int failed)
{
	if (!c)
		return;
	ctl_release(c, failed);
	free(c);
}
