/*
 * reap.c -- what a finished request means: classified once (http_classify),
 * then done, continued, repeated later, waiting for a fresh URL, or the end
 * of the download with an error that says why. Runs in the loop, from the
 * transfer's done callback, never inside a libcurl callback.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "blocks.h"
#include "clock.h"
#include "fetch_int.h"
#include "http.h"
#include "net.h"
#include "plan.h"
#include "retry.h"
#include "sink.h"
#include "store.h"
#include "url.h"

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
	if (code == CURLE_OUT_OF_MEMORY)
		return "the answer's headers were too large (over 100 KB), or memory ran out";
	if (code != CURLE_OK)
		return *s->errbuf ? s->errbuf : curl_easy_strerror((CURLcode)code);
	return "the body ended early";
}

static int fail(struct slot *s, int code, int haul_code)
{
	struct fetch *f = s->f;
	char buf[64];
	const char *why = why_failed(s, code, buf, sizeof(buf)), *safe = f->url->shown;
	const struct net *n = f->net;

	if (s->status >= 300 && s->status < 400 && n->secret)
		haul_error_set(&f->err, haul_code, "%s: the server redirects (HTTP %ld); not "
			       "followed, so that the %s %.*s credential goes nowhere else",
			       safe, s->status, n->secret_via,
			       (int)strcspn(n->secret, ":"), n->secret);
	else
		haul_error_set(&f->err, haul_code, "%s: %s%s", safe, why, http_curl_hint(code));
	return haul_code;
}

/* Wait, then repeat the request for the rest of the segment. */
static void slot_retry_later(struct slot *s, int code)
{
	struct fetch *f = s->f;
	uint64_t after = 0, delay;
	char buf[64];
	struct fetch_event ev = {
		.kind = FEV_RETRY, .slot = s->id, .first = s->first, .last = s->last,
		.status = s->status, .why = why_failed(s, code, buf, sizeof(buf)),
	};

	if (s->status == 429 || s->status == 503) {
		retry_after_parse(net_header(s->e, "Retry-After"), (int64_t)time(NULL), &after);
		polite_overloaded(f);
	}
	delay = retry_delay(s->tries, after, retry_random(&f->rng));
	ev.delay_ms = delay;
	fetch_emit(f, &ev);
	s->state = SLOT_WAIT;
	s->wake_ms = clock_ms() + delay;
	f->stats.retries++;
}

/*
 * The request ended: count what it received but did not keep, and write
 * what it gathered. 0, or HAUL_EIO (f->err set) when its bytes are not on
 * disk.
 */
static int settle(struct slot *s)
{
	struct fetch *f = s->f;
	curl_off_t got = 0;

	curl_easy_getinfo(s->e, CURLINFO_SIZE_DOWNLOAD_T, &got);
	if ((uint64_t)got > s->wrote)
		f->stats.wasted += (uint64_t)got - s->wrote;
	f->stats.wasted += s->unread;
	s->unread = 0;
	if (!s->io_errno) {
		int r = f->sink->flush(s);

		if (r)
			s->io_errno = -r;
	}
	if (s->io_errno)
		return haul_error_set(&f->err, HAUL_EIO, "writing %s: %s", f->store->part_path,
				      strerror(s->io_errno));
	return 0;
}

/* OUTCOME_DONE: the segment is complete; the slot is free for the next. */
static int done_well(struct slot *s)
{
	struct fetch *f = s->f;
	uint64_t ran = clock_ms() - s->started_ms;
	struct fetch_event ev = {
		.kind = FEV_DONE, .slot = s->id, .first = s->first, .last = s->last,
		.status = s->status, .bytes = s->wrote, .ms = ran,
		.wait_ms = s->first_ms ? s->first_ms - s->started_ms : ran,
	};

	fetch_emit(f, &ev);
	s->last_rate = (double)s->wrote * 1000.0 / (double)(ran ? ran : 1);
	plan_drop(f->plan, s->seg);
	s->seg = -1;
	return 0; /* idle: the next round gives it work (within the cap) */
}

/* OUTCOME_EXPIRED: the URL was refused as expired; wait for a fresh one. */
static int done_expired(struct slot *s, int code)
{
	struct fetch *f = s->f;
	char buf[64];
	struct fetch_event ev = {
		.kind = FEV_EXPIRED, .slot = s->id, .first = s->first, .last = s->last,
		.status = s->status, .why = why_failed(s, code, buf, sizeof(buf)),
	};

	f->stats.expired++;
	fetch_emit(f, &ev);
	if (!f->refresh)
		return haul_error_set(&f->err, HAUL_EEXPIRED,
				      "the URL has expired (HTTP %ld) and there is no way "
				      "to renew it", s->status);
	if (s->gen != fetch_gen(f))
		return slot_start(s, s->seg); /* sent before the last refresh */
	s->state = SLOT_EXPIRED; /* never again with this URL */
	f->need_refresh = 1;
	return 0;
}

/*
 * The request failed in a way worth repeating: repeat it later, unless it
 * failed too often in a row, or for too long, or cannot be repeated.
 */
static int done_again(struct slot *s, int code)
{
	struct fetch *f = s->f;
	struct seg *g = &f->plan->segs[s->seg];

	if (s->wrote)
		s->tries = 0; /* it made progress: a fresh start, from where it stopped */
	if (++s->tries >= f->max_tries) {
		fail(s, code, HAUL_ENET);
		return haul_error_set(&f->err, HAUL_ENET, "%s (gave up after %u tries in a row)",
				      f->err.msg ? f->err.msg : "", f->max_tries);
	}
	if (!f->failing_since || f->stats.bytes != f->fail_mark) {
		f->failing_since = clock_ms();
		f->fail_mark = f->stats.bytes;
	} else if (clock_ms() - f->failing_since >= f->max_fail_ms) {
		fail(s, code, HAUL_ENET);
		return haul_error_set(&f->err, HAUL_ENET, "%s (no progress for %llu s)",
				      f->err.msg ? f->err.msg : "",
				      (unsigned long long)f->max_fail_ms / 1000);
	}
	if (!f->ranged && f->stream && g->pos > g->start) {
		/* -o - without ranges: what went out cannot be fetched again. */
		fail(s, code, HAUL_ENET);
		return haul_error_set(&f->err, HAUL_ENET, "%s (without ranges a broken stream "
				      "cannot be continued)", f->err.msg ? f->err.msg : "");
	}
	if (!f->ranged) {
		/* No ranges: the only way to resume is from the start. */
		f->stats.bytes -= g->pos - g->start;
		f->stats.wasted += g->pos - g->start;
		g->pos = g->start;
		bhash_forget(&s->h);
	}
	slot_retry_later(s, code);
	return 0;
}

/* What the classified answer x means for s, and what s does next. */
static int outcome(struct slot *s, int code, const struct xfer_result *x)
{
	struct fetch *f = s->f;

	switch (http_classify(x)) {
	case OUTCOME_DONE:
		return done_well(s);
	case OUTCOME_NO_RANGES:
		/* At the start, a server without ranges: one stream. Later, a
		 * server that stopped honouring them: try again, then stop. */
		if (!f->ranged)
			return fail(s, code, HAUL_ENET);
		if (f->can_fall_back && !f->stats.bytes)
			return FETCH_NO_RANGES;
		break;
	case OUTCOME_CHANGED:
		return fail(s, code, HAUL_ECHANGED);
	case OUTCOME_REFUSED:
		return fail(s, code, HAUL_EHTTP);
	case OUTCOME_FAILED:
		return fail(s, code, HAUL_ENET);
	case OUTCOME_EXPIRED:
		return done_expired(s, code);
	case OUTCOME_RETRY:
		break;
	}
	return done_again(s, code);
}

/* A transfer ended: decide what it means and what the slot does next. */
int slot_done(struct slot *s, int code)
{
	struct fetch *f = s->f;
	struct seg *g = &f->plan->segs[s->seg];
	struct xfer_result x = { .curl_code = code };
	int ret;

	s->state = SLOT_IDLE;
	if (!s->checked)
		slot_check(s); /* no body: an empty or header-only answer */
	if (f->probing && s->first_answer) {
		/* on_first reads its headers; the bytes (if any) come again. */
		s->ended_early = 1;
		return 0;
	}
	ret = settle(s);
	if (ret)
		return ret;
	if (g->owner == (int)s->id)
		plan_rest(f->plan, s->seg); /* no request of its runs now */
	if (!f->ranged && !f->size_known && code == CURLE_OK && s->check == RANGE_OK)
		g->end = g->pos; /* a stream of unknown length ended cleanly */
	if (s->cut && (!f->ranged || g->end > s->last))
		s->check = RANGE_MISMATCH; /* more bytes than the object has */
	x.status = s->status;
	x.check = s->check;
	x.complete = g->pos == g->end;
	x.body = s->ebody;
	x.body_len = s->elen;
	x.past_deadline = f->deadline && (int64_t)time(NULL) >= f->deadline;
	x.url_worked = f->url_worked && s->gen == fetch_gen(f);
	if (code == CURLE_OK && s->check == RANGE_OK && f->ranged && !x.complete &&
	    g->pos == s->last + 1) {
		/* All it asked for came, and the segment goes on (the first
		 * request of a huge object ends before its block does). */
		s->tries = 0;
		return slot_start(s, s->seg);
	}
	return outcome(s, code, &x);
}
