/*
 * probe.c -- what an answer says about the object (remote_from_answer), and
 * the probe proper: HEAD, or a one-byte ranged GET, as a transfer of the loop.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <time.h>

#include <poll.h>

#include "clock.h"
#include "expiry.h"
#include "http.h"
#include "num.h"
#include "probe.h"
#include "retry.h"
#include "url.h"

void remote_init(struct remote *r)
{
	memset(r, 0, sizeof(*r));
}

void remote_release(struct remote *r)
{
	free(r->etag);
	free(r->last_modified);
	remote_init(r);
}

static size_t sink_write(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct probe_sink *s = userdata;

	size_t n = size * nmemb, take;

	if (!s->status) {
		const char *cl = net_header(s->e, "Content-Length");
		uint64_t len;

		curl_easy_getinfo(s->e, CURLINFO_RESPONSE_CODE, &s->status);
		/* A length that is no number, or past 2^63: a hostile answer. */
		if (cl && (num_parse_u64(cl, &len) != NUM_OK || len > (uint64_t)INT64_MAX)) {
			s->hostile = 1;
			return CURL_WRITEFUNC_ERROR;
		}
	}
	if (s->status == 200) {
		/* The headers told us what we need; do not fetch the object. */
		s->stopped = 1;
		return CURL_WRITEFUNC_ERROR;
	}
	if (s->status >= 300) {
		/* An error page: keep its start, to tell an expired URL. */
		take = n < sizeof(s->body) - s->len ? n : sizeof(s->body) - s->len;
		memcpy(s->body + s->len, ptr, take);
		s->len += take;
	}
	/* 206 (one byte) or an error page: read and drop, keep the connection. */
	return n;
}

/* trust_read's view of the answer's headers. */
static const char *header_at(void *ctx, const char *name, size_t index)
{
	struct curl_header *h;

	if (curl_easy_header(ctx, name, index, CURLH_HEADER, -1, &h) != CURLHE_OK)
		return NULL;
	return h->value;
}

/* Take the identity headers (and claims) of the response to url on e. */
static int take_identity(const struct net *n, CURL *e, const char *url, struct remote *r,
			 int whole)
{
	const char *etag = net_header(e, "ETag");
	const char *lm = net_header(e, "Last-Modified");

	free(r->etag);
	free(r->last_modified);
	r->etag = NULL;
	r->last_modified = NULL;
	if (etag && http_etag_valid(etag) && !(r->etag = strdup(etag)))
		return -1;
	if (lm && *lm && strlen(lm) < 64 && !(r->last_modified = strdup(lm)))
		return -1;
	trust_read(&r->claims, header_at, e, whole, url, n->o->aws_sigv4 != NULL);
	return 0;
}

static int failed(struct haul_error *err, int curl_code, const char *errbuf, const struct url *url)
{
	const char *safe = url->shown;
	int ret;

	if (curl_code == CURLE_ABORTED_BY_CALLBACK)
		ret = haul_error_set(err, HAUL_EINTR, "interrupted");
	else if (curl_code == CURLE_OUT_OF_MEMORY)
		ret = haul_error_set(err, HAUL_ENET, "%s: the answer's headers were too large "
				     "(over 100 KB), or memory ran out", safe ? safe : "URL");
	else
		ret = haul_error_set(err, HAUL_ENET, "%s: %s%s", safe ? safe : "URL",
				     *errbuf ? errbuf : curl_easy_strerror((CURLcode)curl_code),
				     http_curl_hint(curl_code));
	return ret;
}

static int refused(struct haul_error *err, long status, const struct url *url,
		   const struct probe_sink *s, const struct net *n)
{
	const char *safe = url->shown;
	int past, ret;

	past = url->expiry.known && (int64_t)time(NULL) >= url->expiry.deadline;
	if (s && expiry_answer_says_expired(status, s->body, s->len, past, 0))
		ret = haul_error_set(err, HAUL_EEXPIRED, "%s: the URL has expired (HTTP %ld)",
				     safe ? safe : "URL", status);
	else if (status >= 300 && status < 400 && n->secret)
		ret = haul_error_set(err, HAUL_EHTTP, "%s: the server redirects (HTTP %ld); not "
				     "followed, so that the %s %.*s credential goes nowhere else",
				     safe ? safe : "URL", status, n->secret_via,
				     (int)strcspn(n->secret, ":"), n->secret);
	else
		ret = haul_error_set(err, status >= 500 ? HAUL_ENET : HAUL_EHTTP,
				     "%s: the server answered HTTP %ld", safe ? safe : "URL", status);
	return ret;
}

/*
 * S3 sends its checksums only when asked (x-amz-checksum-mode), and only
 * on HEAD or a whole GET: the HEAD asks where the URL's signature allows;
 * every request must when the signature covers the header. Sets e's
 * headers to a list kept in *headers (or leaves them). 0, -1: no memory.
 */
static int ask_checksums(const struct net *n, CURL *e, const char *url, int head,
			 struct curl_slist **headers)
{
	int ask = trust_ask_checksums(url);

	*headers = NULL;
	if (ask == 2 || (ask == 1 && head)) {
		*headers = net_headers_with(n, TRUST_ASK_HEADER);
		if (!*headers)
			return -1;
		curl_easy_setopt(e, CURLOPT_HTTPHEADER, *headers);
	}
	return 0;
}


int remote_from_answer(const struct net *n, CURL *e, const char *url, long status, int head,
		       struct remote *r, struct haul_error *err)
{
	struct content_range cr;
	curl_off_t len = -1;
	const char *ar;
	curl_off_t sent_us = 0, first_us = 0;

	curl_easy_getinfo(e, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &len);
	if (curl_easy_getinfo(e, CURLINFO_PRETRANSFER_TIME_T, &sent_us) == CURLE_OK &&
	    curl_easy_getinfo(e, CURLINFO_STARTTRANSFER_TIME_T, &first_us) == CURLE_OK &&
	    first_us > sent_us)
		r->wait_ms = (double)(first_us - sent_us) / 1000.0;
	r->method = head ? "HEAD" : "GET";
	if (head) {
		r->size = (uint64_t)len;
		r->size_known = len >= 0;
		ar = net_header(e, "Accept-Ranges");
		r->ranges = ar && !strcasecmp(ar, "bytes") ? RANGES_YES
			    : ar && !strcasecmp(ar, "none") ? RANGES_NO : RANGES_UNKNOWN;
	} else if (status == 206) {
		if (http_parse_content_range(net_header(e, "Content-Range"), &cr) != 0 ||
		    !cr.has_total)
			return haul_error_set(err, HAUL_ENET, "the server's Content-Range answer "
					      "to a range request is unusable");
		r->size = cr.total;
		r->size_known = 1;
		r->ranges = RANGES_YES;
	} else if (status == 416) {
		/* Nothing is satisfiable in an empty object: "bytes * /0". */
		r->size = 0;
		r->size_known = 1;
		r->ranges = RANGES_YES;
	} else {
		r->size_known = len >= 0;
		r->size = len >= 0 ? (uint64_t)len : 0;
		r->ranges = RANGES_NO;
	}
	/* A HEAD or a 200 describes the whole object: so does its Content-MD5. */
	if (take_identity(n, e, url, r, head || status == 200))
		return haul_error_set(err, HAUL_EFAIL, "out of memory");
	return 0;
}

/* Is this a 416 that says the object is empty? */
static int empty_object(CURL *e, long status)
{
	struct content_range cr;

	return status == 416 && http_parse_content_range(net_header(e, "Content-Range"), &cr) == 0 &&
	       cr.has_total && cr.total == 0;
}

/* Send the next request: HEAD (first), or the one-byte GET. */
static int send_request(struct probe *p)
{
	const char *url = (p->get || !p->head_url ? p->url : p->head_url)->text;

	memset(&p->sink, 0, sizeof(p->sink));
	p->errbuf[0] = '\0';
	p->e = net_easy(p->net);
	if (p->e && ask_checksums(p->net, p->e, url, !p->get, &p->headers)) {
		curl_easy_cleanup(p->e);
		p->e = NULL;
	}
	if (!p->e)
		return haul_error_set(&p->err, HAUL_EFAIL, "out of memory");
	p->sink.e = p->e;
	curl_easy_setopt(p->e, CURLOPT_URL, url);
	curl_easy_setopt(p->e, CURLOPT_ERRORBUFFER, p->errbuf);
	if (p->get) {
		curl_easy_setopt(p->e, CURLOPT_RANGE, "0-0");
		curl_easy_setopt(p->e, CURLOPT_WRITEFUNCTION, sink_write);
		curl_easy_setopt(p->e, CURLOPT_WRITEDATA, &p->sink);
	} else {
		curl_easy_setopt(p->e, CURLOPT_NOBODY, 1L);
	}
	if (xfer_add(p->net->multi, p->e, &p->x))
		return haul_error_set(&p->err, HAUL_EFAIL, "cannot start a transfer");
	return 0;
}

static void drop_request(struct probe *p)
{
	if (p->e)
		curl_easy_cleanup(p->e);
	curl_slist_free_all(p->headers);
	p->e = NULL;
	p->headers = NULL;
}

static void end(struct probe *p, int ret)
{
	drop_request(p);
	p->ret = ret;
	p->done = 1;
	p->wake_ms = 0;
	if (p->on_done)
		p->on_done(p);
}

/* HEAD ended. 0 with r filled; 1: go on with the GET; or an error. */
static int head_done(struct probe *p, int code)
{
	long status = 0;
	curl_off_t len = -1;

	if (code != CURLE_OK)
		return 1;
	curl_easy_getinfo(p->e, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_getinfo(p->e, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &len);
	if (status >= 200 && status <= 299 && len >= 0)
		return remote_from_answer(p->net, p->e, (p->head_url ? p->head_url : p->url)->text,
					  status, 1,
					  p->r, &p->err);
	/* The object is gone: a GET will not find it either. */
	if (!p->head_url && (status == 404 || status == 410))
		return refused(&p->err, status, p->url, NULL, p->net);
	return 1;
}

/* The GET ended. 0 with r filled, or an error; *again: worth repeating. */
static int get_done(struct probe *p, int code, int *again, uint64_t *after_ms)
{
	long status = 0;

	if (p->sink.hostile)
		return haul_error_set(&p->err, HAUL_ENET, "%s: the server announced an impossible "
				      "Content-Length", p->url->shown);
	if (code != CURLE_OK && !(code == CURLE_WRITE_ERROR && p->sink.stopped)) {
		*again = http_transient(code, 0);
		return failed(&p->err, code, p->errbuf, p->url);
	}
	curl_easy_getinfo(p->e, CURLINFO_RESPONSE_CODE, &status);
	if (http_transient(CURLE_OK, status)) {
		*again = 1;
		retry_after_parse(net_header(p->e, "Retry-After"), (int64_t)time(NULL), after_ms);
	}
	if (status == 206 || status == 200 || empty_object(p->e, status))
		return remote_from_answer(p->net, p->e, p->url->text, status, 0, p->r, &p->err);
	return refused(&p->err, status, p->url, &p->sink, p->net);
}

static void probe_done(struct xfer *x, int code)
{
	struct probe *p = (struct probe *)x;
	uint64_t after = 0;
	unsigned tries = p->net->o->retries ? (unsigned)p->net->o->retries : 1;
	int again = 0, ret;

	if (!p->get) {
		ret = head_done(p, code);
		drop_request(p);
		if (ret != 1) {
			end(p, ret);
			return;
		}
		p->get = 1; /* HEAD gave no usable answer: the ranged GET */
		if ((ret = send_request(p)) != 0)
			end(p, ret);
		return;
	}
	ret = get_done(p, code, &again, &after);
	drop_request(p);
	if (!ret || !again || ++p->tries >= tries || clock_ms() - p->t0 >= p->net->o->retry_max_ms) {
		end(p, ret);
		return;
	}
	/* The same policy as the transfers: full jitter, Retry-After. */
	haul_error_release(&p->err);
	p->wake_ms = clock_ms() + retry_delay(p->tries, after, retry_random(&p->rnd));
}

int probe_start(struct probe *p, struct net *n, const struct url *url, const struct url *head_url,
		struct remote *r, void (*on_done)(struct probe *p), void *ctx)
{
	int ret;

	memset(p, 0, sizeof(*p));
	p->x.done = probe_done;
	p->net = n;
	p->url = url;
	p->head_url = head_url;
	p->r = r;
	p->on_done = on_done;
	p->ctx = ctx;
	p->t0 = clock_ms();
	p->rnd = clock_ms() ^ 0x5bd1e995u;
	haul_error_init(&p->err);
	remote_release(r);
	ret = send_request(p);
	if (ret) {
		drop_request(p);
		p->done = 1;
		p->ret = ret;
	}
	return ret;
}

long probe_tick(struct probe *p)
{
	uint64_t now = clock_ms();
	int ret;

	if (p->done || !p->wake_ms)
		return 1000;
	if (now < p->wake_ms)
		return (long)(p->wake_ms - now);
	p->wake_ms = 0;
	p->get = 0; /* each try starts over: HEAD, then the GET */
	remote_release(p->r);
	if ((ret = send_request(p)) != 0)
		end(p, ret);
	return 0;
}

void probe_abort(struct probe *p)
{
	if (p->done)
		return;
	if (p->e)
		curl_multi_remove_handle(p->net->multi, p->e);
	drop_request(p);
	p->done = 1;
	p->wake_ms = 0;
	p->ret = haul_error_set(&p->err, HAUL_EINTR, "interrupted");
}

void probe_release(struct probe *p)
{
	if (!p->done && p->e)
		curl_multi_remove_handle(p->net->multi, p->e);
	drop_request(p);
	haul_error_release(&p->err);
}

int probe_run(struct net *n, const struct url *url, const struct url *head_url,
	      volatile sig_atomic_t *stop, struct remote *r, struct haul_error *err)
{
	struct net own = *n;
	struct probe p;
	int ret;

	/* A multi handle of its own: the caller's may be running transfers
	 * whose messages are not ours to read. */
	own.multi = curl_multi_init();
	if (!own.multi)
		return haul_error_set(err, HAUL_EFAIL, "out of memory");
	ret = probe_start(&p, &own, url, head_url, r, NULL, NULL);
	while (!ret && !p.done) {
		int running;
		long wait;

		if (stop && *stop) {
			probe_abort(&p);
			break;
		}
		wait = probe_tick(&p);
		curl_multi_perform(own.multi, &running);
		if (!xfer_dispatch(own.multi) && !p.done)
			curl_multi_poll(own.multi, NULL, 0, (int)(wait < 200 ? wait : 200), NULL);
	}
	ret = p.ret;
	if (ret)
		haul_error_set(err, ret, "%s", p.err.msg ? p.err.msg : haul_code_name(ret));
	probe_release(&p);
	curl_multi_cleanup(own.multi);
	return ret;
}
