/*
 * api.c -- one JSON API call with retries, for the result-API clients.
 */
#include "config.h"

#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "clock.h"
#include "num.h"

struct body {
	char *buf;
	size_t len;
	int too_big;
};

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct body *b = userdata;
	size_t n = size * nmemb;
	char *nb;

	if (b->len + n > API_BODY_MAX) {
		b->too_big = 1;
		return CURL_WRITEFUNC_ERROR;
	}
	nb = realloc(b->buf, b->len + n + 1);
	if (!nb)
		return CURL_WRITEFUNC_ERROR;
	memcpy(nb + b->len, ptr, n);
	b->buf = nb;
	b->len += n;
	b->buf[b->len] = '\0';
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

static int wait_ms(volatile sig_atomic_t *stop, uint64_t ms)
{
	uint64_t until = clock_ms() + ms;

	while (clock_ms() < until) {
		if (stop && *stop)
			return -1;
		poll(NULL, 0, 50);
	}
	return 0;
}

int api_call(struct net *n, const struct api_call *call, json_t **json, long *status,
	     struct haul_error *err)
{
	char errbuf[CURL_ERROR_SIZE];
	uint64_t pause = 1000;
	int code = 0;

	*json = NULL;
	*status = 0;
	for (int i = 0; i < API_TRIES; i++) {
		struct body b = { NULL, 0, 0 };
		CURL *e = net_easy(n);

		if (!e)
			return haul_error_set(err, HAUL_EFAIL, "out of memory");
		errbuf[0] = '\0';
		curl_easy_setopt(e, CURLOPT_URL, call->url);
		/* Keys travel in headers: never follow a redirect elsewhere. */
		curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
		curl_easy_setopt(e, CURLOPT_HTTPHEADER, call->headers);
		net_no_credentials(e);
		if (call->body)
			curl_easy_setopt(e, CURLOPT_POSTFIELDS, call->body);
		curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_data);
		curl_easy_setopt(e, CURLOPT_WRITEDATA, &b);
		curl_easy_setopt(e, CURLOPT_ERRORBUFFER, errbuf);
		curl_easy_setopt(e, CURLOPT_TIMEOUT, 60L);
		code = net_perform(n, e, call->stop);
		curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, status);
		if (code == CURLE_ABORTED_BY_CALLBACK) {
			curl_easy_cleanup(e);
			free(b.buf);
			return haul_error_set(err, HAUL_EINTR, "interrupted");
		}
		if (code == CURLE_OK && *status != 429 && *status < 500) {
			json_error_t jerr;

			*json = b.len ? json_loadb(b.buf, b.len, 0, &jerr) : NULL;
			curl_easy_cleanup(e);
			free(b.buf);
			if (!*json && *status >= 200 && *status < 300)
				return haul_error_set(err, HAUL_ENET, "%s answered HTTP %ld with no "
						      "JSON", call->service, *status);
			return 0;
		}
		if (b.too_big) {
			curl_easy_cleanup(e);
			free(b.buf);
			return haul_error_set(err, HAUL_ENET, "%s answered more than %u bytes",
					      call->service, API_BODY_MAX);
		}
		if (code == CURLE_OK)
			pause = retry_after(e, pause);
		curl_easy_cleanup(e);
		free(b.buf);
		if (i + 1 < API_TRIES && wait_ms(call->stop, pause))
			return haul_error_set(err, HAUL_EINTR, "interrupted");
		pause *= 2;
	}
	if (code != CURLE_OK)
		return haul_error_set(err, HAUL_ENET, "%s: %s", call->service,
				      *errbuf ? errbuf : curl_easy_strerror((CURLcode)code));
	return haul_error_set(err, HAUL_ENET, "%s kept answering HTTP %ld", call->service,
			      *status);
}

const char *api_str(json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

int api_refused(const char *api, const char *keyvar, const char *job, long status, json_t *json,
		struct haul_error *err)
{
	char text[256];
	const char *why = api_error_text(json, text, sizeof(text));

	if (status == 401 || status == 403)
		return haul_error_set(err, HAUL_EHTTP, "%s refused the key in %s (HTTP %ld: %s)",
				      api, keyvar, status, why);
	if (status == 404)
		return haul_error_set(err, HAUL_EHTTP, "%s knows no job '%s' (HTTP 404: %s)", api,
				      job, why);
	return haul_error_set(err, HAUL_EHTTP, "%s refused job '%s' (HTTP %ld: %s)", api, job,
			      status, why);
}

const char *api_error_text(json_t *json, char *buf, size_t len)
{
	const char *t = api_str(json, "detail");
	size_t i;

	if (!t)
		t = api_str(json_object_get(json, "error"), "message");
	if (!t)
		t = api_str(json, "message");
	if (!t || !len)
		return "(no details)";
	for (i = 0; t[i] && i + 1 < len && i < 200; i++)
		buf[i] = (unsigned char)t[i] < 0x20 ? ' ' : t[i];
	buf[i] = '\0';
	return buf;
}
