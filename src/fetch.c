/*
 * fetch.c -- the curl_multi loop: slots, request set-up, the body callback,
 * reaping finished transfers and handing out the next range.
 *
 * Callbacks stay thin: the body callback validates the response once, then
 * pwrites at the segment's position and advances it. Everything else --
 * classification, retries, stealing -- happens in the loop, never inside a
 * libcurl callback.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "fetch.h"
#include "http.h"
#include "url.h"

/* Attempts per segment in a row without progress (issue: retry policy). */
#define FETCH_MAX_TRIES 5
#define FETCH_BACKOFF_MS 250
#define FETCH_BACKOFF_MAX_MS 4000

enum slot_state {
	SLOT_IDLE = 0, /* nothing to do */
	SLOT_BUSY,     /* a transfer is in the multi handle */
	SLOT_WAIT,     /* backing off before repeating a failed request */
};

struct slot {
	struct fetch *f;      /* borrowed back pointer */
	CURL *e;              /* owned, reused for every request of this slot */
	unsigned id;
	enum slot_state state;
	long seg;             /* plan index, -1 when idle */
	uint64_t first, last; /* the requested range, inclusive */
	uint64_t wrote;       /* bytes written by the current request */
	uint64_t wake_ms;     /* SLOT_WAIT: when to try again */
	unsigned tries;       /* failures in a row on this segment */
	unsigned requests;    /* sent by this slot */
	long status;
	int checked;          /* response headers have been validated */
	enum range_check check;
	int cut;              /* we stopped it: the segment was shortened */
	int io_errno;         /* pwrite failed with this */
	int paused;           /* held until the pending checkpoint is made */
	struct bhash h;       /* digest of the block being written */
	char errbuf[CURL_ERROR_SIZE];
};

static void emit(struct fetch *f, const struct fetch_event *ev)
{
	if (f->on_event)
		f->on_event(f->ctx, ev);
}

/* Validate the response headers once, before the first body byte. */
static void slot_check(struct slot *s)
{
	struct fetch *f = s->f;
	curl_off_t len = -1;
	struct range_response rr;

	s->checked = 1;
	curl_easy_getinfo(s->e, CURLINFO_RESPONSE_CODE, &s->status);
	curl_easy_getinfo(s->e, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &len);
	rr.status = s->status;
	rr.content_range = net_header(s->e, "Content-Range");
	rr.content_encoding = net_header(s->e, "Content-Encoding");
	rr.content_length = len;
	rr.etag = net_header(s->e, "ETag");
	rr.last_modified = net_header(s->e, "Last-Modified");
	if (f->ranged) {
		s->check = http_check_range(&rr, s->first, s->last, &f->id);
		return;
	}
	if (s->status != 200)
		s->check = s->status == 206 ? RANGE_MISMATCH : RANGE_NOT_SUCCESS;
	else if (!http_same_object(&rr, &f->id))
		s->check = RANGE_CHANGED;
	else if (f->size_known && len >= 0 && (uint64_t)len != f->id.size)
		s->check = RANGE_CHANGED; /* the size changed since the probe */
	else
		s->check = RANGE_OK;
}

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct slot *s = userdata;
	struct fetch *f = s->f;
	struct seg *g;
	size_t n = size * nmemb, take;
	uint64_t room;
	int r;

	if (!s->checked)
		slot_check(s);
	if (s->check != RANGE_OK)
		return CURL_WRITEFUNC_ERROR; /* never write what we did not ask for */
	if (f->checkpoint && f->stats.bytes - f->cp_at_bytes >= f->cp_bytes) {
		/* Enough unrecorded bytes: hold this transfer (libcurl keeps the
		 * data) until the loop has made a checkpoint. */
		s->paused = 1;
		return CURL_WRITEFUNC_PAUSE;
	}
	g = &f->plan->segs[s->seg];
	room = g->end - g->pos;
	take = n <= room ? n : (size_t)room;
	if (take) {
		r = store_pwrite(f->store, ptr, take, g->pos);
		if (r) {
			s->io_errno = -r;
			return CURL_WRITEFUNC_ERROR;
		}
		if (f->blocks)
			bhash_feed(&s->h, f->blocks, ptr, take);
		g->pos += take;
		s->wrote += take;
		f->stats.bytes += take;
	}
	if (take < n) {
		/* Another slot took over the rest of this range. */
		s->cut = 1;
		return CURL_WRITEFUNC_ERROR;
	}
	return n;
}

/* Send the request for segment idx from its current position. */
static int slot_start(struct slot *s, long idx, struct haul_error *err)
{
	struct fetch *f = s->f;
	struct seg *g = &f->plan->segs[idx];
	struct fetch_event ev = { .kind = FEV_REQUEST, .slot = s->id };
	char range[64];

	s->seg = idx;
	s->first = g->pos;
	s->last = f->ranged ? g->end - 1 : UINT64_MAX;
	s->wrote = 0;
	s->status = 0;
	s->checked = 0;
	s->check = RANGE_OK;
	s->cut = 0;
	s->io_errno = 0;
	s->paused = 0;
	s->errbuf[0] = '\0';
	if (f->blocks) {
		int r = bhash_seek(&s->h, f->blocks, f->store, g->pos);

		if (r)
			return haul_error_set(err, HAUL_EIO, "reading back %s: %s",
					      f->store->part_path, strerror(-r));
	}
	if (f->ranged) {
		snprintf(range, sizeof(range), "%" PRIu64 "-%" PRIu64, s->first, s->last);
		curl_easy_setopt(s->e, CURLOPT_RANGE, range);
	} else {
		curl_easy_setopt(s->e, CURLOPT_RANGE, NULL);
	}
	if (curl_multi_add_handle(f->net->multi, s->e) != CURLM_OK)
		return haul_error_set(err, HAUL_EFAIL, "cannot start a transfer");
	s->state = SLOT_BUSY;
	if (!s->requests++)
		f->stats.slots++;
	f->stats.requests++;
	ev.first = s->first;
	ev.last = s->last;
	emit(f, &ev);
	return 0;
}

/* Give an idle slot the next range, stealing one when none is free. */
static int slot_refill(struct slot *s, struct haul_error *err)
{
	struct fetch *f = s->f;
	size_t before = f->plan->nsegs;
	long idx = plan_take(f->plan, (int)s->id);

	if (idx < 0) {
		s->state = SLOT_IDLE;
		s->seg = -1;
		return 0;
	}
	s->tries = 0;
	if (f->plan->nsegs > before) {
		struct seg *g = &f->plan->segs[idx];
		struct fetch_event ev = {
			.kind = FEV_STEAL, .slot = s->id, .first = g->start, .last = g->end - 1,
		};

		f->stats.steals++;
		emit(f, &ev);
	}
	return slot_start(s, idx, err);
}

static const char *why_failed(struct slot *s, int code, char *buf, size_t len)
{
	switch (s->check) {
	case RANGE_IGNORED:
		return "the server ignored the range";
	case RANGE_MISMATCH:
		return s->f->ranged ? "the server answered with a different range"
				    : "the server sent a different size than announced";
	case RANGE_ENCODED:
		return "the server applied a Content-Encoding to a range";
	case RANGE_CHANGED:
		return "the object changed on the server (another ETag, Last-Modified or size)";
	case RANGE_NOT_SUCCESS:
	case RANGE_OK:
		break;
	}
	if (s->status >= 300) {
		snprintf(buf, len, "HTTP %ld", s->status);
		return buf;
	}
	if (code != CURLE_OK)
		return *s->errbuf ? s->errbuf : curl_easy_strerror((CURLcode)code);
	return "the body ended early";
}

static int fail(struct slot *s, int code, int haul_code, struct haul_error *err)
{
	char buf[64], *safe = url_redact(s->f->url);
	const char *why = why_failed(s, code, buf, sizeof(buf));

	haul_error_set(err, haul_code, "%s: %s", safe ? safe : "URL", why);
	free(safe);
	return haul_code;
}

/* A transfer ended: decide what it means and what the slot does next. */
static int slot_done(struct slot *s, int code, struct haul_error *err)
{
	struct fetch *f = s->f;
	struct seg *g = &f->plan->segs[s->seg];
	struct xfer_result x = { .curl_code = code };
	char buf[64];

	s->state = SLOT_IDLE;
	if (!s->checked)
		slot_check(s); /* no body: an empty or header-only answer */
	if (s->io_errno)
		return haul_error_set(err, HAUL_EIO, "writing %s: %s", f->store->part_path,
				      strerror(s->io_errno));
	if (!f->ranged && !f->size_known && code == CURLE_OK && s->check == RANGE_OK)
		g->end = g->pos; /* a stream of unknown length ended cleanly */
	if (s->cut && (!f->ranged || g->end > s->last))
		s->check = RANGE_MISMATCH; /* more bytes than the object has */
	x.status = s->status;
	x.check = s->check;
	x.complete = g->pos == g->end;
	switch (http_classify(&x)) {
	case OUTCOME_DONE:
		plan_drop(f->plan, s->seg);
		return slot_refill(s, err);
	case OUTCOME_NO_RANGES:
		return f->ranged ? FETCH_NO_RANGES : fail(s, code, HAUL_ENET, err);
	case OUTCOME_CHANGED:
		return fail(s, code, HAUL_ECHANGED, err);
	case OUTCOME_REFUSED:
		return fail(s, code, HAUL_EHTTP, err);
	case OUTCOME_FAILED:
		return fail(s, code, HAUL_ENET, err);
	case OUTCOME_RETRY:
		break;
	}
	if (s->wrote)
		s->tries = 0; /* it made progress: a fresh start, from where it stopped */
	if (++s->tries >= FETCH_MAX_TRIES)
		return fail(s, code, HAUL_ENET, err);
	if (!f->ranged) {
		/* No ranges: the only way to resume is from the start. */
		f->stats.bytes -= g->pos - g->start;
		g->pos = g->start;
	}
	{
		uint64_t delay = (uint64_t)FETCH_BACKOFF_MS << (s->tries - 1);
		struct fetch_event ev = {
			.kind = FEV_RETRY, .slot = s->id, .first = s->first, .last = s->last,
			.status = s->status, .why = why_failed(s, code, buf, sizeof(buf)),
		};

		if (delay > FETCH_BACKOFF_MAX_MS)
			delay = FETCH_BACKOFF_MAX_MS;
		ev.delay_ms = delay;
		emit(f, &ev);
		s->state = SLOT_WAIT;
		s->wake_ms = clock_ms() + delay;
		f->stats.retries++;
	}
	return 0;
}

/* The validators every request carries, so a replaced object answers 412. */
static int make_headers(struct fetch *f)
{
	char *h = NULL;
	const char *name = NULL, *value = NULL;
	size_t n;

	if (f->id.etag && !http_etag_weak(f->id.etag)) {
		name = "If-Match";
		value = f->id.etag;
	} else if (f->id.last_modified) {
		name = "If-Unmodified-Since";
		value = f->id.last_modified;
	}
	if (!name)
		return 0;
	n = strlen(name) + strlen(value) + 3;
	h = malloc(n);
	if (!h)
		return -1;
	snprintf(h, n, "%s: %s", name, value);
	f->headers = curl_slist_append(NULL, h);
	free(h);
	return f->headers ? 0 : -1;
}

static int slots_create(struct fetch *f)
{
	if (make_headers(f))
		return -1;
	f->slots = calloc(f->nslots, sizeof(*f->slots));
	if (!f->slots)
		return -1;
	for (unsigned i = 0; i < f->nslots; i++) {
		struct slot *s = &f->slots[i];

		s->f = f;
		s->id = i;
		s->seg = -1;
		s->h.at = UINT64_MAX;
		if (f->blocks && bhash_init(&s->h))
			return -1;
		s->e = net_easy(f->net);
		if (!s->e)
			return -1;
		curl_easy_setopt(s->e, CURLOPT_URL, f->url);
		curl_easy_setopt(s->e, CURLOPT_HTTPHEADER, f->headers);
		curl_easy_setopt(s->e, CURLOPT_WRITEFUNCTION, on_body);
		curl_easy_setopt(s->e, CURLOPT_WRITEDATA, s);
		curl_easy_setopt(s->e, CURLOPT_PRIVATE, s);
		curl_easy_setopt(s->e, CURLOPT_ERRORBUFFER, s->errbuf);
	}
	return 0;
}

static void slots_destroy(struct fetch *f)
{
	if (f->slots) {
		for (unsigned i = 0; i < f->nslots; i++) {
			struct slot *s = &f->slots[i];

			if (s->state == SLOT_BUSY)
				curl_multi_remove_handle(f->net->multi, s->e);
			if (s->e)
				curl_easy_cleanup(s->e);
			bhash_release(&s->h);
		}
		free(f->slots);
		f->slots = NULL;
	}
	curl_slist_free_all(f->headers);
	f->headers = NULL;
}

/*
 * Account for every byte written -- the unfinished block of each slot too --
 * and let the caller make it durable and record it.
 */
static int checkpoint(struct fetch *f, struct haul_error *err)
{
	int ret;

	if (!f->checkpoint)
		return 0;
	if (f->blocks)
		for (unsigned i = 0; i < f->nslots; i++)
			bhash_note(&f->slots[i].h, f->blocks);
	ret = f->checkpoint(f->ctx, err);
	f->cp_at_bytes = f->stats.bytes;
	f->cp_at_ms = clock_ms();
	f->stats.checkpoints++;
	return ret;
}

static int checkpoint_due(const struct fetch *f)
{
	uint64_t fresh = f->stats.bytes - f->cp_at_bytes;

	return f->checkpoint && fresh &&
	       (fresh >= f->cp_bytes || clock_ms() - f->cp_at_ms >= f->cp_ms);
}

/* Start what is due; returns how long the loop may sleep, -1 when all idle. */
static long wake_due(struct fetch *f, int *ret, struct haul_error *err)
{
	uint64_t now = clock_ms();
	long wait = 1000;
	int any = 0;

	for (unsigned i = 0; i < f->nslots && !*ret; i++) {
		struct slot *s = &f->slots[i];

		if (s->state == SLOT_WAIT && s->wake_ms <= now)
			*ret = slot_start(s, s->seg, err);
		if (s->state == SLOT_WAIT && (long)(s->wake_ms - now) < wait)
			wait = (long)(s->wake_ms - now);
		if (s->state != SLOT_IDLE)
			any = 1;
	}
	if (f->checkpoint && f->cp_ms < 1000 && (long)f->cp_ms < wait)
		wait = (long)f->cp_ms;
	return any ? wait : -1;
}

static int loop(struct fetch *f, struct haul_error *err)
{
	int ret = 0, running, left;
	long wait;
	CURLMsg *m;

	for (unsigned i = 0; i < f->nslots && !ret; i++)
		ret = slot_refill(&f->slots[i], err);
	while (!ret) {
		int finished = 0;

		if (f->stop && *f->stop)
			return haul_error_set(err, HAUL_EINTR, "interrupted");
		wait = wake_due(f, &ret, err);
		if (ret || wait < 0)
			break;
		if (curl_multi_perform(f->net->multi, &running) != CURLM_OK)
			return haul_error_set(err, HAUL_EFAIL, "libcurl multi interface failed");
		while (!ret && (m = curl_multi_info_read(f->net->multi, &left))) {
			struct slot *s;

			if (m->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&s);
			curl_multi_remove_handle(f->net->multi, s->e);
			ret = slot_done(s, (int)m->data.result, err);
			finished = 1;
		}
		if (ret)
			break;
		if (checkpoint_due(f))
			ret = checkpoint(f, err);
		for (unsigned i = 0; i < f->nslots && !ret; i++) {
			struct slot *s = &f->slots[i];

			if (s->paused && s->state == SLOT_BUSY) {
				s->paused = 0;
				curl_easy_pause(s->e, CURLPAUSE_CONT);
			}
		}
		if (finished) {
			/* Work may have freed up for slots that had none. */
			for (unsigned i = 0; i < f->nslots && !ret; i++)
				if (f->slots[i].state == SLOT_IDLE)
					ret = slot_refill(&f->slots[i], err);
			continue;
		}
		curl_multi_poll(f->net->multi, NULL, 0, (int)wait, NULL);
	}
	if (ret)
		return ret;
	if (!plan_complete(f->plan))
		return haul_error_set(err, HAUL_EFAIL, "transfer loop ended with %" PRIu64
				      " bytes missing", plan_remaining(f->plan));
	return 0;
}

int fetch_run(struct fetch *f, struct haul_error *err)
{
	int ret;

	memset(&f->stats, 0, sizeof(f->stats));
	f->cp_at_bytes = 0;
	f->cp_at_ms = clock_ms();
	if (slots_create(f)) {
		slots_destroy(f);
		return haul_error_set(err, HAUL_EFAIL, "out of memory");
	}
	ret = loop(f, err);
	if (ret < 0 && f->stats.bytes != f->cp_at_bytes) {
		/* Stopping short: record what is on disk, keep the first error. */
		struct haul_error cp_err;

		haul_error_init(&cp_err);
		if (checkpoint(f, &cp_err) && ret == HAUL_EINTR)
			ret = haul_error_set(err, cp_err.code, "%s", cp_err.msg ? cp_err.msg : "");
		haul_error_release(&cp_err);
	}
	slots_destroy(f);
	return ret;
}
