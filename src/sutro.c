/*
 * sutro.c -- the Sutro results-url call.
 */
#include "config.h"

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
	n = (size_t)blen + strlen(job) + 160;
	url = malloc(n);
	if (url)
		snprintf(url, n, "%.*s/jobs/%s/results-url?format=parquet&include_inputs=%s"
			 "&include_cumulative_logprobs=%s",
			 blen, s->base, job, s->inputs ? "true" : "false",
			 s->logprobs ? "true" : "false");
	curl_free(job);
	return url;
}

int sutro_urls(struct sutro *s, char **get, char **head, struct haul_error *err)
{
	char auth[1024];
	struct curl_slist *hdrs = NULL;
	struct api_call call = { "the Sutro API", "GET", NULL, NULL, NULL, s->stop };
	json_t *json = NULL, *urls, *art, *size;
	const char *g, *h, *name;
	long status;
	int ret;

	*get = *head = NULL;
	if (snprintf(auth, sizeof(auth), "Authorization: Key %s", s->key) >= (int)sizeof(auth))
		return haul_error_set(err, HAUL_EUSAGE, "SUTRO_API_KEY is too long");
	call.url = make_url(s);
	hdrs = curl_slist_append(NULL, auth);
	hdrs = hdrs ? curl_slist_append(hdrs, "Accept: application/json") : NULL;
	memset(auth, 0, sizeof(auth));
	if (!call.url || !hdrs) {
		ret = haul_error_set(err, HAUL_EFAIL, "out of memory");
		goto out;
	}
	call.headers = hdrs;
	ret = api_call(s->net, &call, &json, &status, err);
	if (ret)
		goto out;
	if (status < 200 || status > 299) {
		ret = api_refused(call.service, "SUTRO_API_KEY", s->job, status, json, err);
		goto out;
	}
	urls = json_object_get(json, "urls");
	art = json_object_get(json, "artifact");
	g = api_str(urls, "get");
	h = api_str(urls, "head");
	name = api_str(art, "filename");
	size = json_object_get(art, "size_bytes");
	if (!g || !*g) {
		ret = haul_error_set(err, HAUL_ENET, "the Sutro API answered without urls.get");
		goto out;
	}
	if (!name || !*name || !json_is_integer(size) || json_integer_value(size) < 0) {
		ret = haul_error_set(err, HAUL_ENET, "the Sutro API answered without "
				     "artifact.filename and artifact.size_bytes");
		goto out;
	}
	free(s->filename);
	s->filename = strdup(name);
	s->size = json_integer_value(size);
	*get = strdup(g);
	*head = h && *h ? strdup(h) : NULL;
	if (!s->filename || !*get || (h && *h && !*head))
		ret = haul_error_set(err, HAUL_EFAIL, "out of memory");
out:
	if (ret) {
		free(*get);
		free(*head);
		*get = *head = NULL;
	}
	json_decref(json);
	curl_slist_free_all(hdrs);
	free((char *)call.url);
	return ret;
}

int sutro_refresh(void *ctx, char **get, char **head, struct haul_error *err)
{
	return sutro_urls(ctx, get, head, err);
}

void sutro_release(struct sutro *s)
{
	free(s->filename);
	s->filename = NULL;
}
