/*
 * slot.c -- a connection slot's request: which range it takes next (the
 * stealing and rescuing too: they choose what a slot asks for, where
 * polite.c chooses how many ask and how often), the request, the check of
 * its answer's headers before any byte is kept, and the thin body callback.
 */
#include "config.h"

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "clock.h"
#include "fetch_int.h"
#include "http.h"
#include "net.h"
#include "num.h"
#include "plan.h"
#include "sink.h"
#include "store.h"
#include "stream.h"

/* A connection this many times slower than an idle one, for this long,
 * hands most of its range over. */
#define SLOW_FACTOR 4
#define SLOW_AFTER_MS 2000
/* No request shorter than this many leads (see lead_bytes): its wait for
 * the first byte costs the connection at most about 1/16 of its time. */
#define PIECE_LEADS 16
/* Before any speed is measured, a connection is taken to be this fast:
 * about what an object store gives one. Only the first requests are
 * sized with it; where every answer waits long (100 ms: 16 x 100 ms x
 * this is 160 MiB) they ask for all of their range, as an extra request
 * would cost more than the tail it could shorten. */
#define FIRST_RATE (100.0 * 1024 * 1024)

static uint64_t lead_bytes(const struct fetch *f);

unsigned fetch_receiving(const struct fetch *f)
{
	unsigned n = 0;

	for (unsigned i = 0; f->slots && i < f->nslots; i++)
		n += f->slots[i].state == SLOT_BUSY && f->slots[i].first_ms;
	return n;
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
void slot_check(struct slot *s)
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
	if (s->check == RANGE_OK && s->gen == fetch_gen(f))
		f->url_worked = 1;
}

/*
 * Hand the body to the sink and advance the segment (or keep the start of an
 * error answer, to tell an expired URL from other refusals); pause for a
 * checkpoint or a full window. Nothing else happens inside libcurl.
 */
size_t slot_on_body(char *ptr, size_t size, size_t nmemb, void *userdata)
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
		r = f->sink->put(s, ptr, take, g->pos);
		if (r == SINK_FULL) {
			s->paused = 1; /* until the window has room (tick) */
			return CURL_WRITEFUNC_PAUSE;
		}
		if (r) {
			s->io_errno = -r;
			return CURL_WRITEFUNC_ERROR;
		}
		g->pos += take;
		s->wrote += take;
		f->stats.bytes += take;
	}
	if (take < n) {
		/* Another slot took over the rest of this range (a rescue, or
		 * -o - helping the writer): what is on the way is lost. */
		s->cut = 1;
		s->unread = net_unread(s->e);
		return CURL_WRITEFUNC_ERROR;
	}
	return n;
}

/*
 * Will the URL serve every request this download still makes without a
 * renewal? At the speed so far; before there is one, when it has ten
 * minutes to go. Always, when it cannot be renewed (or does not expire).
 */
static int url_outlives(const struct fetch *f)
{
	int64_t now = (int64_t)time(NULL);
	double secs = clock_sec() - f->t_start;

	if (!f->refresh || !f->deadline)
		return 1;
	if (!f->stats.bytes || secs < 0.5)
		return f->refresh_at - now >= 600;
	return (double)now + (double)plan_remaining(f->plan) / ((double)f->stats.bytes / secs) <
	       (double)f->refresh_at;
}

/* Send the request for segment idx from its current position. */
int slot_start(struct slot *s, long idx)
{
	struct fetch *f = s->f;
	struct seg *g = &f->plan->segs[idx];
	struct fetch_event ev = { .kind = FEV_REQUEST, .slot = s->id };
	char range[64];
	long bufsize;

	s->seg = idx;
	if (f->refresh && f->deadline) {
		/* URLs are renewed when a request is about to start with one
		 * close to its end, not on a timer: every renewal spends the
		 * user's API quota, and requests already answered stream on
		 * whatever their URL's fate. Close: it still serves this one,
		 * the fresh one comes meanwhile. Past: this one waits for it. */
		int64_t now = (int64_t)time(NULL);

		if (now >= f->refresh_at && !f->renewing)
			f->need_refresh = 1;
		if (now >= f->deadline) {
			s->state = SLOT_EXPIRED;
			return 0;
		}
	}
	s->first = g->pos;
	if (!f->ranged) {
		s->last = UINT64_MAX;
	} else if (f->stream) {
		s->last = g->end - 1; /* wplan's pieces are short already */
		g->fence = g->end;
	} else {
		/* A piece of the segment, so that a connection out of work
		 * takes over the back of it instead of cutting this request --
		 * unless the next piece would need a renewed URL: then all of
		 * it, in flight on this URL. */
		uint64_t lead = lead_bytes(f), floor = f->plan->min_split;

		if (!lead && f->wait_ms > 0)
			lead = (uint64_t)(f->wait_ms / 1000.0 * FIRST_RATE);
		if (lead <= UINT64_MAX / PIECE_LEADS && lead * PIECE_LEADS > floor)
			floor = lead * PIECE_LEADS;
		s->last = plan_ask(f->plan, idx, url_outlives(f) ? floor : 0) - 1;
	}
	s->wrote = 0;
	s->first_ms = 0;
	s->status = 0;
	s->checked = 0;
	s->check = RANGE_OK;
	s->cut = 0;
	s->unread = 0;
	s->io_errno = 0;
	s->paused = 0;
	s->first_answer = 0;
	s->ended_early = 0;
	s->elen = 0;
	s->errbuf[0] = '\0';
	s->gen = fetch_gen(f);
	/* Buffers: this connection's share of one budget for all of them. */
	net_buffers(fetch_allowed(f), &bufsize, &s->st.want);
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
	curl_easy_setopt(s->e, CURLOPT_URL, f->url->text);
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
	fetch_emit(f, &ev);
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
 * answer: the shortest wait times the mean speed of the busy connections
 * that have received for LEAD_MIN_MS at least (before that a speed is a
 * burst, or a pause); 0 when there are none.
 */
#define LEAD_MIN_MS 100
static uint64_t lead_bytes(const struct fetch *f)
{
	uint64_t now = clock_ms(), ms;
	double sum = 0;
	unsigned n = 0;

	if (f->wait_ms <= 0)
		return 0;
	for (unsigned i = 0; i < f->nslots; i++) {
		const struct slot *o = &f->slots[i];

		if (o->state != SLOT_BUSY || !o->first_ms || now < o->first_ms + LEAD_MIN_MS ||
		    !o->wrote)
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
int slot_refill(struct slot *s)
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
		fetch_emit(f, &ev);
	}
	return slot_start(s, idx);
}
