/*
 * fetch.c -- the transfer loop of one download: its tick (fresh URLs,
 * retries that are due, checkpoints, idle slots given work, the end), the
 * first answer that is the probe, and the set-up and release of its slots.
 * A slot's request is slot.c's, where its bytes go sink.c's, what its end
 * means reap.c's, how many connections and how often polite.c's.
 *
 * Everything here runs in the loop, never inside a libcurl callback.
 */
#include "config.h"

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "expiry.h"
#include "fetch.h"
#include "fetch_int.h"
#include "http.h"
#include "net.h"
#include "plan.h"
#include "ramp.h"
#include "retry.h"
#include "sink.h"
#include "store.h"
#include "trust.h"

void fetch_set_url(struct fetch *f, const struct url *url)
{
	const struct url_expiry *e = &url->expiry;
	int64_t now = (int64_t)time(NULL), margin;

	f->url = url;
	f->url_worked = 0;
	f->warned = 0;
	f->deadline = f->refresh_at = 0;
	if (e->known) {
		f->deadline = e->deadline;
		/* Renew ahead by a quarter of the URL's life, 1 to 60 s, but
		 * never before half of what it has left has passed. */
		margin = e->issued >= 0 ? (e->deadline - e->issued) / 4 : 60;
		margin = margin < 1 ? 1 : margin > 60 ? 60 : margin;
		f->refresh_at = e->deadline - margin;
		if (f->refresh_at < now + (e->deadline - now) / 2)
			f->refresh_at = now + (e->deadline - now) / 2;
	}
}

/*
 * The user's -H lines and the validator every request carries, so a
 * replaced object answers 412.
 */
static int make_headers(struct fetch *f)
{
	const char *name = NULL, *value = NULL;
	char *h;
	size_t n;
	int ask;

	if (f->id.etag && !http_etag_weak(f->id.etag)) {
		name = "If-Match";
		value = f->id.etag;
	} else if (f->id.last_modified) {
		name = "If-Unmodified-Since";
		value = f->id.last_modified;
	}
	if (!name) {
		f->headers = net_headers_with(f->net, NULL);
		if (!f->headers && f->net->headers)
			return -1;
	} else {
		n = strlen(name) + strlen(value) + 3;
		h = malloc(n);
		if (!h)
			return -1;
		snprintf(h, n, "%s: %s", name, value);
		f->headers = net_headers_with(f->net, h);
		free(h);
		if (!f->headers)
			return -1;
	}
	/* A URL signed with x-amz-checksum-mode must carry it every time; the
	 * first request of an unsigned one asks for S3's checksums (they come
	 * with an answer that holds the whole object). */
	ask = trust_ask_checksums(f->url->text);
	if (ask == 2 || (ask == 1 && f->probing)) {
		struct curl_slist *l = curl_slist_append(f->headers, TRUST_ASK_HEADER);

		if (!l)
			return -1;
		f->headers = l;
	}
	return 0;
}

static void slot_xfer_done(struct xfer *x, int code);

static int slots_create(struct fetch *f)
{
	if (make_headers(f))
		return -1;
	f->slots = calloc(f->nslots, sizeof(*f->slots));
	if (!f->slots)
		return -1;
	for (unsigned i = 0; i < f->nslots; i++) {
		struct slot *s = &f->slots[i];

		s->x.done = slot_xfer_done;
		s->f = f;
		s->id = i;
		s->seg = -1;
		s->h.at = UINT64_MAX;
		if (f->blocks && bhash_init(&s->h))
			return -1;
		s->e = net_easy(f->net);
		if (!s->e)
			return -1;
		curl_easy_setopt(s->e, CURLOPT_WRITEFUNCTION, slot_on_body);
		curl_easy_setopt(s->e, CURLOPT_WRITEDATA, s);
		curl_easy_setopt(s->e, CURLOPT_ERRORBUFFER, s->errbuf);
	}
	return 0;
}

/* Take every transfer of f out of the multi handle. */
static void slots_stop(struct fetch *f)
{
	for (unsigned i = 0; f->slots && i < f->nslots; i++) {
		struct slot *s = &f->slots[i];

		if (s->state == SLOT_BUSY)
			curl_multi_remove_handle(f->net->multi, s->e);
		s->state = SLOT_IDLE;
	}
}

/*
 * Account for every byte written -- the unfinished block of each slot too --
 * and let the caller make it durable and record it.
 */
static int checkpoint(struct fetch *f, int final, struct haul_error *err)
{
	int ret;

	if (!f->checkpoint)
		return 0;
	/* The journal may only record what was written. */
	for (unsigned i = 0; i < f->nslots; i++) {
		int r = f->sink->flush(&f->slots[i]);

		if (r)
			return haul_error_set(err, HAUL_EIO, "writing %s: %s", f->store->part_path,
					      strerror(-r));
	}
	if (f->blocks)
		for (unsigned i = 0; i < f->nslots; i++)
			bhash_note(&f->slots[i].h, f->blocks);
	ret = f->checkpoint(f->ctx, final, err);
	if (ret == FETCH_CP_LATER)
		return 0;
	f->cp_at_bytes = f->stats.bytes;
	f->cp_at_ms = clock_ms();
	f->stats.checkpoints++;
	return ret;
}

/* End a download: stop its transfers; unless it completed, checkpoint. */
static void finish(struct fetch *f, int result)
{
	if (f->done)
		return;
	slots_stop(f);
	if (result < 0 && f->stats.bytes != f->cp_at_bytes) {
		/* Record what is on disk; keep the first error. */
		struct haul_error cp_err;

		haul_error_init(&cp_err);
		if (checkpoint(f, 1, &cp_err) && result == HAUL_EINTR)
			result = haul_error_set(&f->err, cp_err.code, "%s",
						cp_err.msg ? cp_err.msg : "checkpoint failed");
		haul_error_release(&cp_err);
	}
	f->done = 1;
	f->result = result;
}

/* Start getting a fresh URL; what needs it waits for fetch_renewed. */
static int renew(struct fetch *f)
{
	f->refresh_expired = f->need_refresh;
	f->need_refresh = 0;
	f->renewing = 1;
	return f->refresh(f->ctx, f, &f->err);
}

void fetch_renewed(struct fetch *f, int ret, const char *msg)
{
	f->renewing = 0;
	if (f->done)
		return;
	if (ret) {
		fetch_fail(f, ret, msg);
		return;
	}
	f->stats.refreshes++;
	for (unsigned i = 0; i < f->nslots && !ret; i++)
		if (f->slots[i].state == SLOT_EXPIRED)
			ret = slot_start(&f->slots[i], f->slots[i].seg);
	if (ret)
		finish(f, ret);
}

void fetch_fail(struct fetch *f, int ret, const char *msg)
{
	if (f->done)
		return;
	if (msg && !f->err.msg)
		haul_error_set(&f->err, ret, "%s", msg);
	else if (!f->err.msg)
		haul_error_set(&f->err, ret, "%s", haul_code_name(ret));
	finish(f, ret);
}

/* Warn once when the URL will expire before the download can end. */
static void watch_deadline(struct fetch *f, int64_t now)
{
	double secs = clock_sec() - f->t_start, rate;
	uint64_t left = plan_remaining(f->plan);
	struct fetch_event ev = { .kind = FEV_DEADLINE };

	if (f->refresh || !f->deadline || f->warned || secs < 2 || !f->stats.bytes)
		return;
	rate = (double)f->stats.bytes / secs;
	ev.need_s = (int64_t)((double)left / rate);
	ev.left_s = f->deadline - now;
	if (ev.need_s > ev.left_s) {
		f->warned = 1;
		fetch_emit(f, &ev);
	}
}

/* The first answer's headers are in: ask the owner what they mean. */
static int first_answer(struct fetch *f)
{
	int ret = f->on_first(f->ctx, f, f->slots[0].status, &f->err);

	if (ret == FETCH_FIRST_WAIT)
		f->first_waiting = 1;
	else if (!ret)
		fetch_first_ready(f);
	if (ret == FETCH_FIRST_WAIT)
		ret = 0;
	return ret;
}

/*
 * Let paused transfers go on where their sink has room again, and give
 * idle slots work while fewer than cap are in use (used of them now).
 * 0 or a HAUL_E*.
 */
static int tick_slots(struct fetch *f, unsigned used, unsigned cap)
{
	int ret = 0;

	for (unsigned i = 0; i < f->nslots && !ret; i++) {
		struct slot *s = &f->slots[i];

		if (s->paused && s->state == SLOT_BUSY && !f->probing && f->sink->room(s)) {
			s->paused = 0;
			curl_easy_pause(s->e, CURLPAUSE_CONT);
		}
		/* Probing: the first request alone, until its answer is in. */
		if (s->state == SLOT_IDLE && used < cap &&
		    (!f->probing || (s->id == 0 && !f->first_pending))) {
			ret = slot_refill(s);
			used += s->state != SLOT_IDLE;
		}
	}
	return ret;
}

/*
 * After a tick's work: how long the loop may sleep for f, or the end of the
 * download when nothing is active (active: the first answer is awaited).
 */
static long tick_wait(struct fetch *f, uint64_t ms, int active)
{
	long wait = 1000;

	for (unsigned i = 0; i < f->nslots; i++) {
		struct slot *s = &f->slots[i];

		if (s->state == SLOT_WAIT && (long)(s->wake_ms - ms) < wait)
			wait = s->wake_ms > ms ? (long)(s->wake_ms - ms) : 0;
		if (s->state != SLOT_IDLE)
			active = 1;
	}
	if (!active) {
		if (plan_complete(f->plan))
			finish(f, 0);
		else if (f->stream)
			return wait; /* the rest waits for room in the window */
		else
			finish(f, haul_error_set(&f->err, HAUL_EFAIL, "transfer loop ended with %"
						 PRIu64 " bytes missing", plan_remaining(f->plan)));
		return 0;
	}
	if (f->checkpoint && (long)f->cp_ms < wait)
		wait = (long)f->cp_ms;
	return wait;
}

long fetch_tick(struct fetch *f)
{
	uint64_t ms = clock_ms();
	int64_t now = (int64_t)time(NULL);
	long wait = 1000;
	int ret = 0, active = f->probing; /* the first answer is awaited */

	if (f->done)
		return wait;
	unsigned busy = 0, used = 0, flowing = 0, cap;

	if (f->first_pending && !f->first_waiting)
		ret = first_answer(f);
	if (!ret && f->refresh && !f->renewing && f->need_refresh)
		ret = renew(f);
	if (!ret)
		ret = f->sink->pump(f);
	polite_calm(f, ms);
	for (unsigned i = 0; i < f->nslots; i++) {
		const struct slot *s = &f->slots[i];

		busy += s->state == SLOT_BUSY;
		used += s->state != SLOT_IDLE;
		flowing += s->state == SLOT_BUSY && s->first_ms && s->check == RANGE_OK;
	}
	polite_ramp(f, ms, flowing);
	cap = fetch_allowed(f);
	if (!ret)
		ret = polite_retries(f, ms, cap, busy);
	/* Made or handed over; one put off ends with a curl_multi_wakeup. */
	f->cp_due = 0;
	if (!ret && f->checkpoint && f->stats.bytes != f->cp_at_bytes &&
	    (f->stats.bytes - f->cp_at_bytes >= f->cp_bytes || ms - f->cp_at_ms >= f->cp_ms))
		ret = checkpoint(f, 0, &f->err);
	if (!ret)
		ret = tick_slots(f, used, cap);
	if (ret) {
		finish(f, ret);
		return 0;
	}
	watch_deadline(f, now);
	return tick_wait(f, ms, active);
}

int fetch_begin(struct fetch *f)
{
	uint64_t unit, left;

	memset(&f->stats, 0, sizeof(f->stats));
	haul_error_init(&f->err);
	f->sink = sink_for(f);
	f->done = 0;
	f->result = 0;
	f->need_refresh = 0;
	f->t_start = clock_sec();
	f->cp_at_bytes = 0;
	f->cp_at_ms = clock_ms();
	f->cap = f->probing ? 1 : f->nslots; /* probing: the first request alone */
	f->first_pending = f->first_waiting = 0;
	f->renewing = 0;
	/*
	 * Under --max-speed each connection's speed is haul's own choice, so
	 * the ramp would measure nothing of the server; and a request keeps
	 * its share of the cap until it ends, so shares of a count that then
	 * grew would add up to more than the cap. -n auto is then a fixed
	 * --max-connections.
	 */
	ramp_init(&f->ramp, f->auto_conns && !f->net->o->max_speed ? RAMP_START : f->nslots,
		  f->nslots);
	/* Cuts fall on blocks and leave min_split: a small object keeps fewer
	 * connections busy, and --max-speed is shared among those. */
	unit = f->plan->min_split > f->plan->align ? f->plan->min_split : f->plan->align;
	left = unit ? plan_remaining(f->plan) / unit : 1;
	f->busy_max = left < 1 ? 1 : left > f->nslots ? f->nslots : (unsigned)left;
	f->overloads = 0;
	f->overload_ms = f->raised_ms = 0;
	f->failing_since = 0;
	f->wait_ms = f->wait_hint_ms > 0 ? f->wait_hint_ms : -1;
	f->rng = (uint64_t)clock_ms() * 0x9e3779b97f4a7c15ull ^ (uint64_t)(uintptr_t)f;
	rate_cap_init(&f->rc, f->retry_rate > 0 ? f->retry_rate : 10, clock_ms());
	if (!f->max_tries)
		f->max_tries = 10;
	if (!f->max_fail_ms)
		f->max_fail_ms = 600000;
	if (!f->url || slots_create(f)) {
		finish(f, haul_error_set(&f->err, HAUL_EFAIL, "out of memory"));
		return f->result;
	}
	return 0;
}

/* A slot's request ended (it is out of the multi handle). */
static void slot_xfer_done(struct xfer *x, int code)
{
	struct slot *s = (struct slot *)x;
	int ret;

	s->state = SLOT_IDLE;
	if (s->f->done)
		return;
	ret = slot_done(s, code);
	if (ret)
		finish(s->f, ret);
}

int fetch_due(const struct fetch *f)
{
	return !f->done && (f->cp_due || (f->first_pending && !f->first_waiting));
}

CURL *fetch_first_handle(struct fetch *f)
{
	return f->slots[0].e;
}

int fetch_first_plan(struct fetch *f, const struct range *holes, size_t nholes,
		     unsigned nparts, uint64_t min_split, uint64_t align)
{
	struct slot *s0 = &f->slots[0];
	uint64_t size = f->size_known ? f->id.size : UINT64_MAX, a = f->first, b, total = 0, per;
	struct range *rest = NULL;
	size_t nrest = 0;
	long idx;
	int ret;

	plan_release(f->plan);
	if (!f->ranged) {
		/* A 200: the answer is the whole object, one stream. */
		struct range whole = { 0, size };

		if (plan_init(f->plan, size, &whole, size ? 1 : 0, 1, min_split, 1))
			return -1;
		s0->seg = size ? 0 : -1;
		if (size)
			f->plan->segs[0].owner = (int)s0->id;
		s0->last = UINT64_MAX;
		return 0;
	}
	/*
	 * The first request's part: what it asked for, or as much as every
	 * other part when that is more -- all parts the same, so that they end
	 * together (the rest of 1 GiB in 255 parts of whole 1 MiB blocks has
	 * three parts a block longer than the others: a tail of one block at
	 * one connection's speed), and at least --min-split-size. Within the
	 * object and the first hole, ending on a block; the request may end
	 * before its part: then it goes on, see slot_done.
	 */
	for (size_t i = 0; i < nholes; i++)
		total += holes[i].end - holes[i].start;
	per = nparts ? total / nparts : total;
	per = per > min_split ? per : min_split; /* no part smaller (-k) */
	b = a >= size ? size : f->first_len > size - a ? size : a + f->first_len;
	if (b < size && per > b - a)
		b = per > size - a ? size : a + per;
	if (b < size && b % align)
		b = b + (align - b % align) > size ? size : b + (align - b % align);
	if (nholes && holes[0].start == a && b > holes[0].end)
		b = holes[0].end;
	if (nholes) {
		rest = malloc(nholes * sizeof(*rest));
		if (!rest)
			return -1;
		for (size_t i = 0; i < nholes; i++) {
			struct range r = holes[i];

			if (r.start < b && r.end > a) /* the part the first request takes */
				r.start = b > r.start ? b : r.start;
			if (r.start < r.end)
				rest[nrest++] = r;
		}
	}
	ret = plan_init(f->plan, size, rest, nrest, nparts > 1 ? nparts - 1 : 1, min_split, align);
	free(rest);
	if (ret)
		return -1;
	if (a >= b) {
		s0->seg = -1; /* nothing to fetch there (an empty object) */
		return 0;
	}
	idx = plan_put(f->plan, a, b, (int)s0->id);
	if (idx < 0)
		return -1;
	s0->seg = idx;
	if (s0->last > b - 1 || s0->last < a)
		s0->last = b - 1;
	f->plan->segs[idx].fence = s0->last + 1; /* what it asked for is on the way */
	return 0;
}

void fetch_first_ready(struct fetch *f)
{
	struct slot *s0 = &f->slots[0];
	uint64_t unit, left;

	f->probing = 0;
	f->first_pending = 0;
	f->first_waiting = 0;
	f->cap = f->ranged ? f->nslots : 1; /* no ranges: one stream */
	curl_slist_free_all(f->stale_headers);
	f->stale_headers = f->headers; /* slot 0's request may still use them */
	f->headers = NULL;
	if (make_headers(f)) {
		finish(f, haul_error_set(&f->err, HAUL_EFAIL, "out of memory"));
		return;
	}
	unit = f->plan->min_split > f->plan->align ? f->plan->min_split : f->plan->align;
	left = unit ? plan_remaining(f->plan) / unit : 1;
	f->busy_max = left < 1 ? 1 : left > f->nslots ? f->nslots : (unsigned)left;
	/* The blocks are known only now: every slot digests what it writes. */
	for (unsigned i = 0; f->blocks && i < f->nslots; i++) {
		struct slot *s = &f->slots[i];

		if ((!s->h.st && bhash_init(&s->h)) ||
		    (s == s0 && s0->seg >= 0 && !s0->ended_early &&
		     bhash_seek(&s->h, f->blocks, f->store, f->plan->segs[s0->seg].pos))) {
			finish(f, haul_error_set(&f->err, HAUL_EFAIL, "out of memory, or reading "
						 "back %s failed", f->store->part_path));
			return;
		}
	}
	if (s0->ended_early || s0->seg < 0) {
		/* Its answer ended already: its part is anybody's. */
		if (s0->seg >= 0)
			plan_drop(f->plan, s0->seg);
		s0->seg = -1;
	} else if (s0->state == SLOT_BUSY && s0->paused) {
		s0->paused = 0;
		curl_easy_pause(s0->e, CURLPAUSE_CONT);
	}
}

void fetch_release(struct fetch *f)
{
	if (f->slots) {
		for (unsigned i = 0; i < f->nslots; i++) {
			struct slot *s = &f->slots[i];

			if (s->state == SLOT_BUSY)
				curl_multi_remove_handle(f->net->multi, s->e);
			if (s->e)
				curl_easy_cleanup(s->e);
			bhash_release(&s->h);
			stage_release(&s->st);
		}
		free(f->slots);
		f->slots = NULL;
	}
	curl_slist_free_all(f->headers);
	curl_slist_free_all(f->stale_headers);
	f->headers = f->stale_headers = NULL;
	f->url = NULL;
	haul_error_release(&f->err);
}
