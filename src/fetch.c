/*
 * fetch.c -- the curl_multi loop: slots, request set-up, the body callback,
 * reaping finished transfers, handing out the next range, checkpoints and
 * fresh URLs.
 *
 * Callbacks stay thin: the body callback validates the response once, then
 * pwrites at the segment's position and advances it (or keeps the first
 * bytes of an error answer, to tell an expired URL from other refusals).
 * Everything else -- classification, retries, stealing, checkpoints,
 * refreshing the URL -- happens in the loop, never inside a libcurl callback.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "clock.h"
#include "expiry.h"
#include "fetch.h"
#include "http.h"
#include "num.h"
#include "retry.h"
#include "stream.h"
#include "trust.h"
#include "url.h"

/* How much of an error answer is kept to classify it. */
#define EBODY_MAX 2048

/*
 * Transfers wait for the checkpoint thread once this many times
 * --checkpoint-bytes are not handed to it yet: a disk slower than the
 * network then slows the network, and the journal never lags far. Less
 * would pause transfers (libcurl then copies what it holds) at every
 * checkpoint that merely waits for its turn.
 */
#define CP_HOLD 2
/* Politeness: 2 answers 429/503 within this make haul halve its connections;
 * this long without one, and it adds one back every RAISE_EVERY_MS. */
#define OVERLOAD_WINDOW_MS 10000
#define CALM_MS 30000
#define RAISE_EVERY_MS 5000
/* A connection this many times slower than an idle one, for this long,
 * hands most of its range over. */
#define SLOW_FACTOR 4
#define SLOW_AFTER_MS 2000

enum slot_state {
	SLOT_IDLE = 0, /* nothing to do */
	SLOT_BUSY,     /* a transfer is in the multi handle */
	SLOT_WAIT,     /* backing off before repeating a failed request */
	SLOT_EXPIRED,  /* waiting for a fresh URL to repeat its request */
};

struct slot {
	struct xfer x;        /* first: its requests' CURLOPT_PRIVATE */
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
	uint64_t started_ms;  /* when the current request went out */
	uint64_t first_ms;    /* when its first body byte came, 0: not yet */
	double last_rate;     /* bytes/s of its last finished request, 0: none */
	unsigned gen;         /* which URL the current request went to */
	long status;
	int checked;          /* response headers have been validated */
	enum range_check check;
	int cut;              /* we stopped it: the segment was shortened */
	int io_errno;         /* pwrite failed with this */
	int paused;           /* held until the pending checkpoint is made */
	int first_answer;     /* probing: this request's answer is the first */
	int ended_early;      /* probing: it ended before on_first was done */
	struct bhash h;       /* digest of the block being written */
	/* libcurl hands the body over in pieces of at most 16 KiB, whatever the
	 * receive buffer: one pwrite each made 65536 system calls per GiB. The
	 * pieces are gathered here and written a stage at a time. */
	unsigned char *stage; /* owned, NULL until needed: bytes not yet written */
	size_t scap;          /* stage's size */
	size_t swant;         /* the size it should have (net_buffers) */
	size_t slen;          /* bytes in stage */
	uint64_t soff;        /* where stage[0] goes in the file */
	size_t elen;          /* bytes in ebody */
	char ebody[EBODY_MAX];/* the start of an error answer */
	char errbuf[CURL_ERROR_SIZE];
};

unsigned fetch_allowed(const struct fetch *f)
{
	return f->cap < f->ramp.cap ? f->cap : f->ramp.cap;
}

unsigned fetch_receiving(const struct fetch *f)
{
	unsigned n = 0;

	for (unsigned i = 0; f->slots && i < f->nslots; i++)
		n += f->slots[i].state == SLOT_BUSY && f->slots[i].first_ms;
	return n;
}

static unsigned url_gen(const struct fetch *f)
{
	return f->stats.refreshes;
}

static void emit(struct fetch *f, const struct fetch_event *ev)
{
	if (f->on_event)
		f->on_event(f->ctx, ev);
}

int fetch_set_url(struct fetch *f, const char *url, struct haul_error *err)
{
	struct url_expiry e;
	char *copy = strdup(url);
	int64_t now = (int64_t)time(NULL), margin;

	if (!copy)
		return haul_error_set(err, HAUL_EFAIL, "out of memory");
	free(f->url);
	f->url = copy;
	f->url_worked = 0;
	f->warned = 0;
	f->deadline = f->refresh_at = 0;
	if (expiry_from_url(url, &e) == 0 && e.known) {
		f->deadline = e.deadline;
		/* Renew ahead by a quarter of the URL's life, 1 to 60 s, but
		 * never before half of what it has left has passed. */
		margin = e.issued >= 0 ? (e.deadline - e.issued) / 4 : 60;
		margin = margin < 1 ? 1 : margin > 60 ? 60 : margin;
		f->refresh_at = e.deadline - margin;
		if (f->refresh_at < now + (e.deadline - now) / 2)
			f->refresh_at = now + (e.deadline - now) / 2;
	}
	return 0;
}

/*
 * Probing: is this answer what on_first is to read? A 206 from where we
 * asked, a 200 (the whole object: no ranges) or a 416 saying the object is
 * empty. Anything else is classified as usual (an error page, an expired
 * URL, a range from elsewhere).
 */
static enum range_check first_check(struct slot *s, const struct range_response *rr)
{
	struct content_range cr;

	if (s->status == 206 || s->status == 200 || s->status == 416) {
		if (rr->content_length_raw) {
			/* A length that is no number, or past 2^63: hostile. */
			const char *p = rr->content_length_raw;
			uint64_t len;

			if (num_scan_u64(&p, &len) != NUM_OK || *p || len > (uint64_t)INT64_MAX)
				return RANGE_MISMATCH;
		}
		if (s->status == 206 && (http_parse_content_range(rr->content_range, &cr) != 0 ||
					 !cr.has_range || cr.first != s->first))
			return RANGE_MISMATCH;
		if (s->status == 416 && (http_parse_content_range(rr->content_range, &cr) != 0 ||
					 !cr.has_total || cr.total != 0))
			return RANGE_NOT_SUCCESS;
		if (rr->content_encoding && strcasecmp(rr->content_encoding, "identity") != 0)
			return RANGE_ENCODED;
		s->f->first_pending = 1;
		s->first_answer = 1;
		return RANGE_OK;
	}
	return s->status >= 200 && s->status <= 299 ? RANGE_MISMATCH : RANGE_NOT_SUCCESS;
}

/* Validate the response headers once, before the first body byte. */
static void slot_check(struct slot *s)
{
	struct fetch *f = s->f;
	curl_off_t len = -1;
	struct range_response rr;

	s->checked = 1;
	s->first_ms = clock_ms();
	/* How long a request waits for its answer, for plan_set_lead: the
	 * shortest wait seen, as the others include time this loop spent
	 * draining other connections (a new connection's first burst). */
	if (f->wait_ms < 0 || (double)(s->first_ms - s->started_ms) < f->wait_ms)
		f->wait_ms = (double)(s->first_ms - s->started_ms);
	curl_easy_getinfo(s->e, CURLINFO_RESPONSE_CODE, &s->status);
	curl_easy_getinfo(s->e, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &len);
	rr.status = s->status;
	rr.content_range = net_header(s->e, "Content-Range");
	rr.content_encoding = net_header(s->e, "Content-Encoding");
	rr.content_length = len;
	rr.content_length_raw = net_header(s->e, "Content-Length");
	rr.etag = net_header(s->e, "ETag");
	rr.last_modified = net_header(s->e, "Last-Modified");
	if (f->probing)
		s->check = first_check(s, &rr);
	else if (f->ranged)
		s->check = http_check_range(&rr, s->first, s->last, &f->id);
	else if (s->status != 200)
		s->check = s->status == 206 ? RANGE_MISMATCH : RANGE_NOT_SUCCESS;
	else if (!http_same_object(&rr, &f->id))
		s->check = RANGE_CHANGED;
	else if (f->size_known && len >= 0 && (uint64_t)len != f->id.size)
		s->check = RANGE_CHANGED; /* the size changed since the probe */
	else
		s->check = RANGE_OK;
	if (s->check == RANGE_OK && s->gen == url_gen(f))
		f->url_worked = 1;
}

/*
 * Write what the slot has gathered. 0, or a negative errno. A failure is
 * sticky: the bytes stay gathered (they were digested already), so every
 * later checkpoint fails too and the journal never records them.
 */
static int stage_flush(struct slot *s)
{
	int r = 0;

	if (s->slen)
		r = store_pwrite(s->f->store, s->stage, s->slen, s->soff);
	if (!r)
		s->slen = 0;
	return r;
}

/*
 * Accept n bytes for offset off (right after what is gathered): gather
 * them, or write them straight away when they are a stage's worth.
 */
static int stage_put(struct slot *s, const char *p, size_t n, uint64_t off)
{
	int r;

	if (s->slen && (s->soff + s->slen != off || s->slen + n > s->scap)) {
		r = stage_flush(s);
		if (r)
			return r;
	}
	if (!s->slen && s->scap != s->swant) {
		/* Empty: resize it to this connection's share now. */
		free(s->stage);
		s->stage = NULL;
		s->scap = 0;
	}
	if (!s->stage) {
		if (!(s->stage = malloc(s->swant)))
			return store_pwrite(s->f->store, p, n, off); /* no gathering */
		s->scap = s->swant;
	}
	if (n >= s->scap)
		return store_pwrite(s->f->store, p, n, off);
	if (!s->slen)
		s->soff = off;
	memcpy(s->stage + s->slen, p, n);
	s->slen += n;
	return 0;
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
	if (s->check == RANGE_NOT_SUCCESS) {
		/* An error answer: keep its start to classify it, write nothing. */
		take = n < EBODY_MAX - s->elen ? n : EBODY_MAX - s->elen;
		memcpy(s->ebody + s->elen, ptr, take);
		s->elen += take;
		return take == n ? n : CURL_WRITEFUNC_ERROR;
	}
	if (s->check != RANGE_OK)
		return CURL_WRITEFUNC_ERROR; /* never write what we did not ask for */
	if (f->probing) {
		/* Held until the owner knows what the answer means (and has a
		 * file for it): libcurl keeps the bytes meanwhile. */
		s->paused = 1;
		return CURL_WRITEFUNC_PAUSE;
	}
	if (f->checkpoint && f->stats.bytes - f->cp_at_bytes >= CP_HOLD * f->cp_bytes) {
		/* Enough unrecorded bytes: hold this transfer (libcurl keeps the
		 * data) until the loop has made a checkpoint. */
		s->paused = 1;
		f->cp_due = 1; /* the loop checkpoints at once, without waiting */
		return CURL_WRITEFUNC_PAUSE;
	}
	g = &f->plan->segs[s->seg];
	room = g->end - g->pos;
	take = n <= room ? n : (size_t)room;
	if (take) {
		r = f->stream ? stream_put(f->stream, ptr, take, g->pos)
			      : stage_put(s, ptr, take, g->pos);
		if (r == STREAM_FULL) {
			s->paused = 1; /* until the window has room (tick) */
			return CURL_WRITEFUNC_PAUSE;
		}
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
static int slot_start(struct slot *s, long idx)
{
	struct fetch *f = s->f;
	struct seg *g = &f->plan->segs[idx];
	struct fetch_event ev = { .kind = FEV_REQUEST, .slot = s->id };
	char range[64];
	long bufsize;

	s->seg = idx;
	if (f->refresh && f->deadline && (int64_t)time(NULL) >= f->deadline) {
		/* The URL is past its deadline: get a fresh one first. */
		s->state = SLOT_EXPIRED;
		f->need_refresh = 1;
		return 0;
	}
	s->first = g->pos;
	s->last = f->ranged ? g->end - 1 : UINT64_MAX;
	s->wrote = 0;
	s->first_ms = 0;
	s->status = 0;
	s->checked = 0;
	s->check = RANGE_OK;
	s->cut = 0;
	s->io_errno = 0;
	s->paused = 0;
	s->first_answer = 0;
	s->ended_early = 0;
	s->elen = 0;
	s->errbuf[0] = '\0';
	s->gen = url_gen(f);
	/* Buffers: this connection's share of one budget for all of them. */
	net_buffers(fetch_allowed(f), &bufsize, &s->swant);
	/* --max-speed: a share for each connection that may run at once. */
	net_max_speed(f->net, s->e,
		      fetch_allowed(f) < f->busy_max ? fetch_allowed(f) : f->busy_max, &bufsize);
	curl_easy_setopt(s->e, CURLOPT_BUFFERSIZE, bufsize);
	if (f->blocks) {
		int r = bhash_seek(&s->h, f->blocks, f->store, g->pos);

		if (r)
			return haul_error_set(&f->err, HAUL_EIO, "reading back %s: %s",
					      f->store->part_path, strerror(-r));
	}
	curl_easy_setopt(s->e, CURLOPT_URL, f->url);
	curl_easy_setopt(s->e, CURLOPT_HTTPHEADER, f->headers);
	if (f->ranged) {
		snprintf(range, sizeof(range), "%" PRIu64 "-%" PRIu64, s->first, s->last);
		curl_easy_setopt(s->e, CURLOPT_RANGE, range);
	} else {
		curl_easy_setopt(s->e, CURLOPT_RANGE, NULL);
	}
	if (xfer_add(f->net->multi, s->e, &s->x))
		return haul_error_set(&f->err, HAUL_EFAIL, "cannot start a transfer");
	s->state = SLOT_BUSY;
	s->started_ms = clock_ms();
	if (!s->requests++)
		f->stats.slots++;
	f->stats.requests++;
	ev.first = s->first;
	ev.last = s->last;
	emit(f, &ev);
	return 0;
}

/* The busy slot (not s) most worth rescuing: far slower than s was. */
static struct slot *slowest(struct slot *s)
{
	struct fetch *f = s->f;
	struct slot *worst = NULL;
	uint64_t now = clock_ms();
	double worst_rate = 0;

	if (s->last_rate <= 0)
		return NULL;
	for (unsigned i = 0; i < f->nslots; i++) {
		struct slot *o = &f->slots[i];
		uint64_t ran = now - o->started_ms;
		double rate;

		if (o == s || o->state != SLOT_BUSY || ran < SLOW_AFTER_MS)
			continue;
		rate = (double)o->wrote * 1000.0 / (double)ran;
		if (rate * SLOW_FACTOR < s->last_rate && (!worst || rate < worst_rate)) {
			worst = o;
			worst_rate = rate;
		}
	}
	return worst;
}

/*
 * The bytes a busy connection writes while a new request waits for its
 * answer: the shortest wait times the mean speed of the busy connections.
 */
static uint64_t lead_bytes(const struct fetch *f)
{
	uint64_t now = clock_ms(), ms;
	double sum = 0;
	unsigned n = 0;

	if (f->wait_ms <= 0)
		return 0;
	for (unsigned i = 0; i < f->nslots; i++) {
		const struct slot *o = &f->slots[i];

		if (o->state != SLOT_BUSY || !o->first_ms || now <= o->first_ms || !o->wrote)
			continue;
		ms = now - o->first_ms;
		sum += (double)o->wrote * 1000.0 / (double)ms;
		n++;
	}
	if (!n)
		return 0;
	return (uint64_t)(sum / n * f->wait_ms / 1000.0);
}

/*
 * Give an idle slot the next range: a free segment, the back half of the
 * biggest one, or -- when none can be halved -- most of the range of a
 * connection far slower than this one was, so no slow tail remains.
 */
static int slot_refill(struct slot *s)
{
	struct fetch *f = s->f;
	unsigned before = f->plan->splits;
	long idx;
	struct fetch_event ev = { .kind = FEV_STEAL, .slot = s->id };
	struct slot *victim;

	plan_set_lead(f->plan, lead_bytes(f));
	idx = f->stream && f->ranged ? stream_take(f->stream, f->plan, (int)s->id)
				     : plan_take(f->plan, (int)s->id);

	if (idx < 0 && f->ranged && (victim = slowest(s)) != NULL) {
		idx = plan_rescue(f->plan, victim->seg, (int)s->id);
		ev.kind = FEV_RESCUE;
	}
	if (idx < 0) {
		s->state = SLOT_IDLE;
		s->seg = -1;
		return 0;
	}
	s->tries = 0;
	if (f->plan->splits != before) {
		struct seg *g = &f->plan->segs[idx];

		ev.first = g->start;
		ev.last = g->end - 1;
		if (ev.kind == FEV_RESCUE)
			f->stats.rescues++;
		else
			f->stats.steals++;
		emit(f, &ev);
	}
	return slot_start(s, idx);
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
	if (code == CURLE_OUT_OF_MEMORY)
		return "the answer's headers were too large (over 100 KB), or memory ran out";
	if (code != CURLE_OK)
		return *s->errbuf ? s->errbuf : curl_easy_strerror((CURLcode)code);
	return "the body ended early";
}

static int fail(struct slot *s, int code, int haul_code)
{
	struct fetch *f = s->f;
	char buf[64], *safe = url_redact(f->url);
	const char *why = why_failed(s, code, buf, sizeof(buf));
	const struct net *n = f->net;

	if (s->status >= 300 && s->status < 400 && n->secret)
		haul_error_set(&f->err, haul_code, "%s: the server redirects (HTTP %ld); not "
			       "followed, so that the %s %.*s credential goes nowhere else",
			       safe ? safe : "URL", s->status, n->secret_via,
			       (int)strcspn(n->secret, ":"), n->secret);
	else
		haul_error_set(&f->err, haul_code, "%s: %s%s", safe ? safe : "URL", why,
			       http_curl_hint(code));
	free(safe);
	return haul_code;
}

/* 429 or 503: the server wants less; after two, use half the connections. */
static void overloaded(struct fetch *f)
{
	uint64_t now = clock_ms();
	struct fetch_event ev = { .kind = FEV_POLITE };

	f->overloads = now - f->overload_ms < OVERLOAD_WINDOW_MS ? f->overloads + 1 : 1;
	f->overload_ms = now;
	ramp_settle(&f->ramp); /* no more connections for this server */
	if (f->overloads < 2 || fetch_allowed(f) <= 1)
		return;
	f->cap = (fetch_allowed(f) + 1) / 2;
	f->overloads = 0;
	f->stats.slowdowns++;
	ev.slot = f->cap;
	emit(f, &ev);
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
		overloaded(f);
	}
	delay = retry_delay(s->tries, after, retry_random(&f->rng));
	ev.delay_ms = delay;
	emit(f, &ev);
	s->state = SLOT_WAIT;
	s->wake_ms = clock_ms() + delay;
	f->stats.retries++;
}

/* A transfer ended: decide what it means and what the slot does next. */
static int slot_done(struct slot *s, int code)
{
	struct fetch *f = s->f;
	struct seg *g = &f->plan->segs[s->seg];
	struct xfer_result x = { .curl_code = code };
	char buf[64];

	s->state = SLOT_IDLE;
	if (!s->checked)
		slot_check(s); /* no body: an empty or header-only answer */
	if (f->probing && s->first_answer) {
		/* on_first reads its headers; the bytes (if any) come again. */
		s->ended_early = 1;
		return 0;
	}
	{
		curl_off_t got = 0;

		curl_easy_getinfo(s->e, CURLINFO_SIZE_DOWNLOAD_T, &got);
		if ((uint64_t)got > s->wrote)
			f->stats.wasted += (uint64_t)got - s->wrote;
	}
	if (!s->io_errno) {
		int r = stage_flush(s);

		if (r)
			s->io_errno = -r;
	}
	if (s->io_errno)
		return haul_error_set(&f->err, HAUL_EIO, "writing %s: %s", f->store->part_path,
				      strerror(s->io_errno));
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
	x.url_worked = f->url_worked && s->gen == url_gen(f);
	if (code == CURLE_OK && s->check == RANGE_OK && f->ranged && !x.complete &&
	    g->pos == s->last + 1) {
		/* All it asked for came, and the segment goes on (the first
		 * request of a huge object ends before its block does). */
		s->tries = 0;
		return slot_start(s, s->seg);
	}
	switch (http_classify(&x)) {
	case OUTCOME_DONE: {
		uint64_t ran = clock_ms() - s->started_ms;
		struct fetch_event ev = {
			.kind = FEV_DONE, .slot = s->id, .first = s->first, .last = s->last,
			.status = s->status, .bytes = s->wrote, .ms = ran,
			.wait_ms = s->first_ms ? s->first_ms - s->started_ms : ran,
		};

		emit(f, &ev);
		s->last_rate = (double)s->wrote * 1000.0 / (double)(ran ? ran : 1);
		plan_drop(f->plan, s->seg);
		s->seg = -1;
		return 0; /* idle: the next round gives it work (within the cap) */
	}
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
	case OUTCOME_EXPIRED: {
		struct fetch_event ev = {
			.kind = FEV_EXPIRED, .slot = s->id, .first = s->first, .last = s->last,
			.status = s->status, .why = why_failed(s, code, buf, sizeof(buf)),
		};

		f->stats.expired++;
		emit(f, &ev);
		if (!f->refresh)
			return haul_error_set(&f->err, HAUL_EEXPIRED,
					      "the URL has expired (HTTP %ld) and there is no way "
					      "to renew it", s->status);
		if (s->gen != url_gen(f))
			return slot_start(s, s->seg); /* sent before the last refresh */
		s->state = SLOT_EXPIRED; /* never again with this URL */
		f->need_refresh = 1;
		return 0;
	}
	case OUTCOME_RETRY:
		break;
	}
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
	ask = trust_ask_checksums(f->url);
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
		curl_easy_setopt(s->e, CURLOPT_WRITEFUNCTION, on_body);
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
		int r = stage_flush(&f->slots[i]);

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
		emit(f, &ev);
	}
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

	if (f->first_pending && !f->first_waiting) {
		ret = f->on_first(f->ctx, f, f->slots[0].status, &f->err);
		if (ret == FETCH_FIRST_WAIT)
			f->first_waiting = 1;
		else if (!ret)
			fetch_first_ready(f);
		if (ret == FETCH_FIRST_WAIT)
			ret = 0;
	}
	if (!ret && f->refresh && !f->renewing &&
	    (f->need_refresh || (f->refresh_at && now >= f->refresh_at)))
		ret = renew(f);
	if (!ret && f->stream)
		ret = stream_pump(f->stream, f->plan, &f->err); /* what arrived goes out */
	if (f->cap < f->ramp.cap && ms - f->overload_ms >= CALM_MS &&
	    ms - f->raised_ms >= RAISE_EVERY_MS) {
		f->cap++; /* the server has been calm: one connection back */
		f->raised_ms = ms;
	}
	for (unsigned i = 0; i < f->nslots; i++) {
		const struct slot *s = &f->slots[i];

		busy += s->state == SLOT_BUSY;
		used += s->state != SLOT_IDLE;
		flowing += s->state == SLOT_BUSY && s->first_ms && s->check == RANGE_OK;
	}
	/* --connections auto: more connections while they add speed. */
	cap = f->ramp.cap;
	if (ramp_sample(&f->ramp, ms, f->stats.bytes, flowing >= fetch_allowed(f),
			f->wait_ms > 0 ? (uint64_t)(4 * f->wait_ms) : 0) != cap) {
		struct fetch_event ev = {
			.kind = FEV_RAMP, .slot = f->ramp.cap, .bytes = (uint64_t)f->ramp.rate,
		};

		emit(f, &ev);
	}
	cap = fetch_allowed(f);
	for (unsigned i = 0; i < f->nslots && !ret; i++) {
		struct slot *s = &f->slots[i];
		uint64_t later;

		if (s->state != SLOT_WAIT || s->wake_ms > ms || busy >= cap)
			continue;
		/* Repeated requests are rationed: a failing server is not hammered. */
		later = rate_cap_take(&f->rc, ms);
		if (later) {
			s->wake_ms = ms + later;
			continue;
		}
		ret = slot_start(s, s->seg);
		busy += s->state == SLOT_BUSY;
	}
	/* Made or handed over; one put off ends with a curl_multi_wakeup. */
	f->cp_due = 0;
	if (!ret && f->checkpoint && f->stats.bytes != f->cp_at_bytes &&
	    (f->stats.bytes - f->cp_at_bytes >= f->cp_bytes || ms - f->cp_at_ms >= f->cp_ms))
		ret = checkpoint(f, 0, &f->err);
	for (unsigned i = 0; i < f->nslots && !ret; i++) {
		struct slot *s = &f->slots[i];

		if (s->paused && s->state == SLOT_BUSY && !f->probing &&
		    (f->stream ? stream_room(f->stream, f->plan->segs[s->seg].pos)
			       : f->stats.bytes - f->cp_at_bytes < CP_HOLD * f->cp_bytes)) {
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
	if (ret) {
		finish(f, ret);
		return 0;
	}
	watch_deadline(f, now);
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
	if (f->refresh && f->refresh_at && (f->refresh_at - now) * 1000 < wait)
		wait = f->refresh_at > now ? (long)(f->refresh_at - now) * 1000 : 0;
	return wait;
}

int fetch_begin(struct fetch *f)
{
	uint64_t unit, left;

	memset(&f->stats, 0, sizeof(f->stats));
	haul_error_init(&f->err);
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
	f->wait_ms = -1;
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
	uint64_t size = f->size_known ? f->id.size : UINT64_MAX, a = f->first, b;
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
	/* The first request's part: what it asked for, within the object and
	 * the first hole, ending on a block (the request may end before it:
	 * then it goes on, see slot_done). */
	b = a >= size ? size : f->first_len > size - a ? size : a + f->first_len;
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
	ret = plan_init(f->plan, size, rest, nrest, nparts ? nparts : 1, min_split, align);
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
			free(s->stage);
		}
		free(f->slots);
		f->slots = NULL;
	}
	curl_slist_free_all(f->headers);
	curl_slist_free_all(f->stale_headers);
	f->headers = f->stale_headers = NULL;
	free(f->url);
	f->url = NULL;
	haul_error_release(&f->err);
}
