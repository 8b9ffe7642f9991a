/*
 * sutro.c -- the Sutro results-url call.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "sutro.h"

static char *make_url(const struct sutro *s)
{
	char *job = curl_easy_escape(NULL, s->job, 0), *url = NULL;
	int blen = (int)strlen(s->base);
	size_t n;

	if (!job)
		return NULL;
	while (blen > 0 && s->base[blen - 1] == '/')
		blen--;
	n = (size_t)blen + strlen(job) + 200;
	url = malloc(n);
	if (url) {
		int at = snprintf(url, n, "%.*s/jobs/%s/results-url?format=parquet&include_inputs=%s"
				  "&include_cumulative_logprobs=%s",
				  blen, s->base, job, s->inputs ? "true" : "false",
				  s->logprobs ? "true" : "false");

		if (s->ttl_s && at > 0 && (size_t)at < n)
			snprintf(url + at, n - (size_t)at, "&expires_in_seconds=%" PRIu64, s->ttl_s);
	}
	curl_free(job);
	return url;
}

int sutro_call(void *ctx, struct api_call *call, struct haul_error *err)
{
	struct sutro *s = ctx;
	char auth[1024];

	free(s->url);
	curl_slist_free_all(s->hdrs);
	s->url = NULL;
	s->hdrs = NULL;
	if (snprintf(auth, sizeof(auth), "Authorization: Key %s", s->key) >= (int)sizeof(auth))
		return haul_error_set(err, HAUL_EUSAGE, "SUTRO_API_KEY is too long");
	s->url = make_url(s);
	s->hdrs = curl_slist_append(NULL, auth);
	if (s->hdrs && !curl_slist_append(s->hdrs, "Accept: application/json")) {
		curl_slist_free_all(s->hdrs);
		s->hdrs = NULL;
	}
	memset(auth, 0, sizeof(auth));
	if (!s->url || !s->hdrs)
		return haul_error_set(err, HAUL_EFAIL, "out of memory");
	memset(call, 0, sizeof(*call));
	call->service = "the Sutro API";
	call->method = "GET";
	call->url = s->url;
	call->headers = s->hdrs;
	call->stop = s->stop;
	return 0;
}

int sutro_answer(void *ctx, json_t *json, long status, char **get, char **head,
		 struct haul_error *err)
{
	struct sutro *s = ctx;
	json_t *urls, *art, *size;
	const char *g, *h, *name;
	int ret = 0;

	*get = *head = NULL;
	if (status < 200 || status > 299)
		return api_refused("the Sutro API", "SUTRO_API_KEY", s->job, status, json, err);
	urls = json_object_get(json, "urls");
	art = json_object_get(json, "artifact");
	g = api_str(urls, "get");
	h = api_str(urls, "head");
	name = api_str(art, "filename");
	size = json_object_get(art, "size_bytes");
	if (!g || !*g)
		return haul_error_set(err, HAUL_ENET, "the Sutro API answered without urls.get");
	if (!name || !*name || !json_is_integer(size) || json_integer_value(size) < 0)
		return haul_error_set(err, HAUL_ENET, "the Sutro API answered without "
				      "artifact.filename and artifact.size_bytes");
	free(s->filename);
	s->filename = strdup(name);
	s->size = json_integer_value(size);
	*get = strdup(g);
	*head = h && *h ? strdup(h) : NULL;
	if (!s->filename || !*get || (h && *h && !*head))
		ret = haul_error_set(err, HAUL_EFAIL, "out of memory");
	if (ret) {
		free(*get);
		free(*head);
		*get = *head = NULL;
	}
	return ret;
}

int sutro_urls(struct sutro *s, char **get, char **head, struct haul_error *err)
{
	struct api_call call;
	json_t *json = NULL;
	long status;
	int ret;

	*get = *head = NULL;
	ret = sutro_call(s, &call, err);
	call.waiting = s->waiting;
	call.waiting_ctx = s->waiting_ctx;
	if (!ret)
		ret = api_call(s->net, &call, &json, &status, err);
	if (!ret)
		ret = sutro_answer(s, json, status, get, head, err);
	json_decref(json);
	return ret;
}

int sutro_refresh(void *ctx, char **get, char **head, struct haul_error *err)
{
	return sutro_urls(ctx, get, head, err);
}

void sutro_release(struct sutro *s)
{
	free(s->filename);
	free(s->url);
	curl_slist_free_all(s->hdrs);
	s->filename = s->url = NULL;
	s->hdrs = NULL;
}
