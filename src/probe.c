/*
 * probe.c -- HEAD, or a one-byte ranged GET, to fill in struct remote.
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

/* How much of an error answer is kept to tell an expired URL. */
#define PROBE_BODY_MAX 2048

/* What the one-byte GET's body callback saw. */
struct sink {
	CURL *e;       /* borrowed */
	long status;   /* 0 until the first body byte */
	int stopped;   /* we aborted a 200: the server is sending everything */
	int hostile;   /* we aborted: an impossible Content-Length */
	size_t len;    /* bytes of an error answer kept in body */
	char body[PROBE_BODY_MAX];
};

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
	struct sink *s = userdata;

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
		take = n < PROBE_BODY_MAX - s->len ? n : PROBE_BODY_MAX - s->len;
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

static int failed(struct haul_error *err, int curl_code, const char *errbuf, const char *url)
{
	char *safe = url_redact(url);
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
	free(safe);
	return ret;
}

static int refused(struct haul_error *err, long status, const char *url, const struct sink *s,
		   const struct net *n)
{
	char *safe = url_redact(url);
	struct url_expiry e;
	int past, ret;

	past = expiry_from_url(url, &e) == 0 && e.known && (int64_t)time(NULL) >= e.deadline;
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
	free(safe);
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

/* HEAD url. Returns 0 with r filled, 1 when HEAD gave no usable answer. */
static int probe_head(struct net *n, const char *url, volatile sig_atomic_t *stop,
		      struct remote *r, long *status, struct haul_error *err)
{
	char errbuf[CURL_ERROR_SIZE] = "";
	CURL *e = net_easy(n);
	struct curl_slist *headers = NULL;
	curl_off_t len = -1;
	const char *ar;
	int code;

	*status = 0;
	if (e && ask_checksums(n, e, url, 1, &headers)) {
		curl_easy_cleanup(e);
		e = NULL;
	}
	if (!e)
		return haul_error_set(err, HAUL_EFAIL, "out of memory");
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, errbuf);
	code = net_perform(n, e, stop);
	if (code != CURLE_OK) {
		curl_easy_cleanup(e);
		curl_slist_free_all(headers);
		return code == CURLE_ABORTED_BY_CALLBACK ? failed(err, code, errbuf, url) : 1;
	}
	curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, status);
	curl_easy_getinfo(e, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &len);
	if (*status < 200 || *status > 299 || len < 0) {
		curl_easy_cleanup(e);
		curl_slist_free_all(headers);
		return 1;
	}
	r->size = (uint64_t)len;
	r->size_known = 1;
	r->method = "HEAD";
	ar = net_header(e, "Accept-Ranges");
	if (ar && strcasecmp(ar, "bytes") == 0)
		r->ranges = RANGES_YES;
	else if (ar && strcasecmp(ar, "none") == 0)
		r->ranges = RANGES_NO;
	else
		r->ranges = RANGES_UNKNOWN;
	code = take_identity(n, e, url, r, 1);
	curl_easy_cleanup(e);
	curl_slist_free_all(headers);
	return code ? haul_error_set(err, HAUL_EFAIL, "out of memory") : 0;
}

/*
 * GET url with Range: bytes=0-0. On a failure worth repeating, *again is
 * set, with the server's Retry-After in *after_ms.
 */
static int probe_get(struct net *n, const char *url, volatile sig_atomic_t *stop,
		     struct remote *r, int *again, uint64_t *after_ms, struct haul_error *err)
{
	char errbuf[CURL_ERROR_SIZE] = "";
	struct curl_slist *headers = NULL;
	struct sink s = { .len = 0 };
	struct content_range cr;
	curl_off_t len = -1;
	long status = 0;
	int code, ret = 0;

	s.e = net_easy(n);
	if (s.e && ask_checksums(n, s.e, url, 0, &headers)) {
		curl_easy_cleanup(s.e);
		s.e = NULL;
	}
	if (!s.e)
		return haul_error_set(err, HAUL_EFAIL, "out of memory");
	curl_easy_setopt(s.e, CURLOPT_URL, url);
	curl_easy_setopt(s.e, CURLOPT_RANGE, "0-0");
	curl_easy_setopt(s.e, CURLOPT_WRITEFUNCTION, sink_write);
	curl_easy_setopt(s.e, CURLOPT_WRITEDATA, &s);
	curl_easy_setopt(s.e, CURLOPT_ERRORBUFFER, errbuf);
	code = net_perform(n, s.e, stop);
	if (s.hostile) {
		char *safe = url_redact(url);

		ret = haul_error_set(err, HAUL_ENET, "%s: the server announced an impossible "
				     "Content-Length", safe ? safe : "URL");
		free(safe);
		goto out;
	}
	if (code != CURLE_OK && !(code == CURLE_WRITE_ERROR && s.stopped)) {
		*again = http_transient(code, 0);
		ret = failed(err, code, errbuf, url);
		goto out;
	}
	curl_easy_getinfo(s.e, CURLINFO_RESPONSE_CODE, &status);
	if (http_transient(CURLE_OK, status)) {
		*again = 1;
		retry_after_parse(net_header(s.e, "Retry-After"), (int64_t)time(NULL), after_ms);
	}
	r->method = "GET";
	if (status == 206) {
		if (http_parse_content_range(net_header(s.e, "Content-Range"), &cr) != 0 ||
		    !cr.has_total) {
			ret = haul_error_set(err, HAUL_ENET,
					     "the server's Content-Range answer to a range request is unusable");
			goto out;
		}
		r->size = cr.total;
		r->size_known = 1;
		r->ranges = RANGES_YES;
	} else if (status == 416) {
		/* Nothing is satisfiable in an empty object: "bytes '*'/0". */
		if (http_parse_content_range(net_header(s.e, "Content-Range"), &cr) != 0 ||
		    !cr.has_total || cr.total != 0) {
			ret = refused(err, status, url, &s, n);
			goto out;
		}
		r->size = 0;
		r->size_known = 1;
		r->ranges = RANGES_YES;
	} else if (status == 200) {
		curl_easy_getinfo(s.e, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &len);
		r->size_known = len >= 0;
		r->size = len >= 0 ? (uint64_t)len : 0;
		r->ranges = RANGES_NO;
	} else {
		ret = refused(err, status, url, &s, n);
		goto out;
	}
	if (take_identity(n, s.e, url, r, status == 200))
		ret = haul_error_set(err, HAUL_EFAIL, "out of memory");
out:
	curl_easy_cleanup(s.e);
	curl_slist_free_all(headers);
	return ret;
}

/* One probe: HEAD, then the ranged GET when HEAD gives no answer. */
static int probe_once(struct net *n, const char *url, const char *head_url,
		      volatile sig_atomic_t *stop, struct remote *r, int *again,
		      uint64_t *after_ms, struct haul_error *err)
{
	long status;
	int ret;

	ret = probe_head(n, head_url ? head_url : url, stop, r, &status, err);
	if (ret != 1)
		return ret; /* HEAD answered, or failed for good (interrupted...) */
	/* The object is gone: a GET will not find it either. */
	if (!head_url && (status == 404 || status == 410))
		return refused(err, status, url, NULL, n);
	return probe_get(n, url, stop, r, again, after_ms, err);
}

int probe_run(struct net *n, const char *url, const char *head_url,
	      volatile sig_atomic_t *stop, struct remote *r, struct haul_error *err)
{
	uint64_t rnd = clock_ms() ^ 0x5bd1e995u, after, until;
	unsigned tries = n->o->retries ? (unsigned)n->o->retries : 1;
	int ret = 0, again;

	uint64_t t0 = clock_ms();

	for (unsigned i = 1; i <= tries; i++) {
		again = 0;
		after = 0;
		remote_release(r);
		ret = probe_once(n, url, head_url, stop, r, &again, &after, err);
		if (!ret || !again || i == tries || clock_ms() - t0 >= n->o->retry_max_ms)
			break;
		/* The same policy as the transfers: full jitter, Retry-After. */
		until = clock_ms() + retry_delay(i, after, retry_random(&rnd));
		while (clock_ms() < until) {
			if (stop && *stop)
				return haul_error_set(err, HAUL_EINTR, "interrupted");
			poll(NULL, 0, 50);
		}
	}
	return ret;
}
