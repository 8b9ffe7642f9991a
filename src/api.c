/*
 * api.c -- one JSON API call with retries, for the result-API clients.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "clock.h"
#include "num.h"

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct api_req *r = userdata;
	size_t n = size * nmemb;
	char *nb;

	if (r->len + n > API_BODY_MAX) {
		r->too_big = 1;
		return CURL_WRITEFUNC_ERROR;
	}
	nb = realloc(r->buf, r->len + n + 1);
	if (!nb)
		return CURL_WRITEFUNC_ERROR;
	memcpy(nb + r->len, ptr, n);
	r->buf = nb;
	r->len += n;
	r->buf[r->len] = '\0';
	return n;
}

/* Seconds a 429/503 asks us to wait (Retry-After: N), capped; else def. */
static uint64_t retry_after(CURL *e, uint64_t def)
{
	const char *v = net_header(e, "Retry-After");
	uint64_t s;

	if (v && num_parse_u64(v, &s) == NUM_OK)
		return (s > 30 ? 30 : s) * 1000;
	return def;
}

static void drop(struct api_req *r)
{
	if (r->e)
		curl_easy_cleanup(r->e);
	r->e = NULL;
	free(r->buf);
	r->buf = NULL;
	r->len = 0;
	r->too_big = 0;
}

static int send_call(struct api_req *r)
{
	r->errbuf[0] = '\0';
	r->e = net_easy(r->net);
	if (!r->e)
		return haul_error_set(&r->err, HAUL_EFAIL, "out of memory");
	curl_easy_setopt(r->e, CURLOPT_URL, r->call.url);
	/* Keys travel in headers: never follow a redirect elsewhere. */
	curl_easy_setopt(r->e, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(r->e, CURLOPT_HTTPHEADER, r->call.headers);
	net_no_credentials(r->e);
	if (r->call.body)
		curl_easy_setopt(r->e, CURLOPT_POSTFIELDS, r->call.body);
	curl_easy_setopt(r->e, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(r->e, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(r->e, CURLOPT_ERRORBUFFER, r->errbuf);
	/* An API may build the artifact before it answers: no stall timeout
	 * (that is for transfers), one limit for the whole call instead. */
	curl_easy_setopt(r->e, CURLOPT_LOW_SPEED_TIME, 0L);
	curl_easy_setopt(r->e, CURLOPT_TIMEOUT_MS, (long)r->timeout_ms);
	if (xfer_add(r->net->multi, r->e, &r->x))
		return haul_error_set(&r->err, HAUL_EFAIL, "cannot start a transfer");
	r->sent_ms = clock_ms();
	return 0;
}

static void end(struct api_req *r, int ret)
{
	drop(r);
	r->ret = ret;
	r->done = 1;
	r->wake_ms = 0;
	if (r->on_done)
		r->on_done(r);
}

/* The answer's body as JSON, or NULL. */
static json_t *parsed(const struct api_req *r)
{
	json_error_t jerr;

	return r->len ? json_loadb(r->buf, r->len, 0, &jerr) : NULL;
}

/* The call ended: its answer, or a retry later, or the failure. */
static void call_done(struct xfer *x, int code)
{
	struct api_req *r = (struct api_req *)x;
	char why[400];

	r->code = code;
	curl_easy_getinfo(r->e, CURLINFO_RESPONSE_CODE, &r->status);
	if (code == CURLE_OK && r->status != 429 && r->status < 500) {
		r->json = parsed(r);
		if (!r->json && r->status >= 200 && r->status < 300) {
			end(r, haul_error_set(&r->err, HAUL_ENET, "%s answered HTTP %ld with no JSON",
					      r->call.service, r->status));
			return;
		}
		end(r, 0);
		return;
	}
	if (r->too_big) {
		end(r, haul_error_set(&r->err, HAUL_ENET, "%s answered more than %u bytes",
				      r->call.service, API_BODY_MAX));
		return;
	}
	if (code == CURLE_OPERATION_TIMEDOUT && clock_ms() - r->sent_ms + 50 >= r->timeout_ms) {
		/* Its own limit, not a network hiccup: asking again would only
		 * wait as long again. */
		end(r, haul_error_set(&r->err, HAUL_ENET, "%s did not answer within %" PRIu64
				      " s (--api-timeout)", r->call.service, r->timeout_ms / 1000));
		return;
	}
	if (code == CURLE_OK) {
		json_t *j = parsed(r);

		api_error_text(j, why, sizeof(why));
		if (api_quota(j, r->status)) {
			/* Waiting does not bring quota back: stop at once. */
			json_decref(j);
			end(r, haul_error_set(&r->err, HAUL_EHTTP, "%s refused: out of quota (HTTP "
					      "%ld: %s)", r->call.service, r->status, why));
			return;
		}
		json_decref(j);
		r->pause = retry_after(r->e, r->pause);
	}
	if (++r->tries >= API_TRIES) {
		if (code != CURLE_OK)
			end(r, haul_error_set(&r->err, HAUL_ENET, "%s: %s", r->call.service,
					      *r->errbuf ? r->errbuf
							 : curl_easy_strerror((CURLcode)code)));
		else
			end(r, haul_error_set(&r->err, HAUL_ENET, "%s kept answering HTTP %ld (%s)",
					      r->call.service, r->status, why));
		return;
	}
	drop(r);
	r->wake_ms = clock_ms() + r->pause;
	r->pause *= 2;
}

int api_start(struct api_req *r, struct net *n, const struct api_call *call,
	      void (*on_done)(struct api_req *r), void *ctx)
{
	int ret;

	memset(r, 0, sizeof(*r));
	r->x.done = call_done;
	r->net = n;
	r->call = *call;
	r->on_done = on_done;
	r->ctx = ctx;
	r->pause = 1000;
	r->timeout_ms = n->o && n->o->api_timeout_ms ? n->o->api_timeout_ms : 300000;
	haul_error_init(&r->err);
	ret = send_call(r);
	if (ret) {
		drop(r);
		r->done = 1;
		r->ret = ret;
	}
	return ret;
}

long api_tick(struct api_req *r)
{
	uint64_t now = clock_ms();
	int ret;

	if (r->done || !r->wake_ms)
		return 1000;
	if (now < r->wake_ms)
		return (long)(r->wake_ms - now);
	r->wake_ms = 0;
	if ((ret = send_call(r)) != 0)
		end(r, ret);
	return 0;
}

void api_release(struct api_req *r)
{
	if (!r->done && r->e)
		curl_multi_remove_handle(r->net->multi, r->e);
	drop(r);
	json_decref(r->json);
	r->json = NULL;
	haul_error_release(&r->err);
	r->done = 1;
}

int api_call(struct net *n, const struct api_call *call, json_t **json, long *status,
	     struct haul_error *err)
{
	struct net own = *n;
	struct api_req r;
	uint64_t t0, told = 2000;
	int ret;

	*json = NULL;
	*status = 0;
	/* A multi handle of its own: the caller's may be running transfers
	 * whose messages are not ours to read. */
	own.multi = curl_multi_init();
	if (!own.multi)
		return haul_error_set(err, HAUL_EFAIL, "out of memory");
	ret = api_start(&r, &own, call, NULL, NULL);
	t0 = clock_ms();
	while (!ret && !r.done) {
		uint64_t waited = clock_ms() - t0;
		int running;
		long wait;

		if (call->waiting && waited >= told) {
			call->waiting(call->waiting_ctx, (unsigned)(waited / 1000));
			told = (waited / 10000 + 1) * 10000 + 2000;
		}
		if (call->stop && *call->stop) {
			api_release(&r);
			r.ret = haul_error_set(&r.err, HAUL_EINTR, "interrupted");
			break;
		}
		wait = api_tick(&r);
		curl_multi_perform(own.multi, &running);
		if (!xfer_dispatch(own.multi) && !r.done)
			curl_multi_poll(own.multi, NULL, 0, (int)(wait < 200 ? wait : 200), NULL);
	}
	ret = r.ret;
	if (ret)
		haul_error_set(err, ret, "%s", r.err.msg ? r.err.msg : haul_code_name(ret));
	*json = r.json;
	*status = r.status;
	r.json = NULL;
	api_release(&r);
	curl_multi_cleanup(own.multi);
	return ret;
}

const char *api_str(json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

int api_quota(json_t *json, long status)
{
	const char *code = api_str(json_object_get(json, "error"), "code");
	char text[256];

	if (code && strcmp(code, "insufficient_quota_error") == 0)
		return 1;
	/* Sutro documents no quota error; a 403 or 429 whose words are
	 * about quota is one (an assumption, see haul(1)). */
	return (status == 403 || status == 429) &&
	       strstr(api_error_text(json, text, sizeof(text)), "uota") != NULL;
}

int api_refused(const char *api, const char *keyvar, const char *job, long status, json_t *json,
		struct haul_error *err)
{
	char text[400];
	const char *why = api_error_text(json, text, sizeof(text));

	if (api_quota(json, status))
		return haul_error_set(err, HAUL_EHTTP, "%s refused: out of quota (HTTP %ld: %s)",
				      api, status, why);
	if (status == 401 || status == 403)
		return haul_error_set(err, HAUL_EHTTP, "%s refused the key in %s (HTTP %ld: %s)",
				      api, keyvar, status, why);
	if (status == 404)
		return haul_error_set(err, HAUL_EHTTP, "%s knows no job '%s' (HTTP 404: %s)", api,
				      job, why);
	return haul_error_set(err, HAUL_EHTTP, "%s refused job '%s' (HTTP %ld: %s)", api, job,
			      status, why);
}

/* Append s to buf[*at..len), control characters blanked, at most max. */
static void put(char *buf, size_t len, size_t *at, const char *s, size_t max)
{
	for (size_t i = 0; s[i] && *at + 1 < len && i < max; i++)
		buf[(*at)++] = (unsigned char)s[i] < 0x20 ? ' ' : s[i];
	buf[*at] = '\0';
}

const char *api_error_text(json_t *json, char *buf, size_t len)
{
	json_t *e = json_object_get(json, "error");
	const char *t = api_str(json, "detail"), *code = api_str(e, "code");
	const char *id = api_str(e, "request_id");
	size_t at = 0;

	if (!t)
		t = api_str(e, "message");
	if (!t)
		t = api_str(json, "message");
	if (!len)
		return "(no details)";
	buf[0] = '\0';
	put(buf, len, &at, t ? t : "(no details)", 200);
	if (code && *code) {
		put(buf, len, &at, "; code ", 10);
		put(buf, len, &at, code, 60);
	}
	if (id && *id) {
		put(buf, len, &at, "; request_id ", 20);
		put(buf, len, &at, id, 80);
	}
	return buf;
}
