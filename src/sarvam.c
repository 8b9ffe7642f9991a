/*
 * sarvam.c -- the Sarvam download-files call.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "sarvam.h"

static char *make_body(const struct sarvam *s, const char *const *files, size_t n)
{
	json_t *root = json_object(), *arr = json_array();
	char *body = NULL;

	if (root && arr && !json_object_set_new(root, "job_id", json_string(s->job))) {
		for (size_t i = 0; i < n; i++)
			json_array_append_new(arr, json_string(files[i]));
		if (!json_object_set(root, "files", arr))
			body = json_dumps(root, JSON_COMPACT);
	}
	json_decref(arr);
	json_decref(root);
	return body;
}

/* The call for files[0..n): *url, *body and *hdrs malloced. 0 or an error. */
static int build(const struct sarvam *s, const char *const *files, size_t n, char **url,
		 char **body, struct curl_slist **hdrs, struct api_call *call,
		 struct haul_error *err)
{
	char keyhdr[1024];
	size_t len = strlen(s->base) + 64;
	int blen = (int)strlen(s->base);

	*url = *body = NULL;
	*hdrs = NULL;
	if (snprintf(keyhdr, sizeof(keyhdr), "api-subscription-key: %s", s->key) >=
	    (int)sizeof(keyhdr))
		return haul_error_set(err, HAUL_EUSAGE, "SARVAM_API_KEY is too long");
	*body = make_body(s, files, n);
	*url = malloc(len);
	while (blen > 0 && s->base[blen - 1] == '/')
		blen--;
	if (*url)
		snprintf(*url, len, "%.*s/speech-to-text/job/v1/download-files", blen, s->base);
	*hdrs = curl_slist_append(NULL, keyhdr);
	if (*hdrs && !curl_slist_append(*hdrs, "Content-Type: application/json")) {
		curl_slist_free_all(*hdrs);
		*hdrs = NULL;
	}
	memset(keyhdr, 0, sizeof(keyhdr));
	if (!*url || !*body || !*hdrs) {
		free(*url);
		free(*body);
		curl_slist_free_all(*hdrs);
		*url = *body = NULL;
		*hdrs = NULL;
		return haul_error_set(err, HAUL_EFAIL, "out of memory");
	}
	memset(call, 0, sizeof(*call));
	call->service = "the Sarvam API";
	call->method = "POST";
	call->url = *url;
	call->headers = *hdrs;
	call->body = *body;
	call->stop = s->stop;
	return 0;
}

/* The answer's URLs for files[0..n) into urls[] (NULL where it has none). */
static int parse(const struct sarvam *s, json_t *json, long status, const char *const *files,
		 size_t n, char **urls, struct haul_error *err)
{
	json_t *dl;
	const char *state;
	int ret = 0;

	for (size_t i = 0; i < n; i++)
		urls[i] = NULL;
	if (status < 200 || status > 299)
		return api_refused("the Sarvam API", "SARVAM_API_KEY", s->job, status, json, err);
	state = api_str(json, "job_state");
	dl = json_object_get(json, "download_urls");
	if (!state || !json_is_object(dl))
		return haul_error_set(err, HAUL_ENET, "the Sarvam API answered without job_state "
				      "and download_urls");
	if (strcmp(state, "Completed") != 0 && strcmp(state, "PartiallyCompleted") != 0)
		return haul_error_set(err, HAUL_EHTTP, "Sarvam job '%s' is %.40s, not completed",
				      s->job, state);
	for (size_t i = 0; i < n && !ret; i++) {
		const char *u = api_str(json_object_get(dl, files[i]), "file_url");

		if (u && *u && !(urls[i] = strdup(u)))
			ret = haul_error_set(err, HAUL_EFAIL, "out of memory");
	}
	if (ret)
		for (size_t i = 0; i < n; i++) {
			free(urls[i]);
			urls[i] = NULL;
		}
	return ret;
}

int sarvam_urls(struct sarvam *s, const char *const *files, size_t n, char **urls,
		struct haul_error *err)
{
	char *url, *body;
	struct curl_slist *hdrs;
	struct api_call call;
	json_t *json = NULL;
	long status;
	int ret;

	for (size_t i = 0; i < n; i++)
		urls[i] = NULL;
	ret = build(s, files, n, &url, &body, &hdrs, &call, err);
	if (!ret)
		ret = api_call(s->net, &call, &json, &status, err);
	if (!ret)
		ret = parse(s, json, status, files, n, urls, err);
	json_decref(json);
	curl_slist_free_all(hdrs);
	free(url);
	free(body);
	return ret;
}

int sarvam_call(void *ctx, struct api_call *call, struct haul_error *err)
{
	struct sarvam_file *sf = ctx;

	sarvam_file_release(sf);
	return build(sf->s, &sf->name, 1, &sf->url, &sf->body, &sf->hdrs, call, err);
}

int sarvam_answer(void *ctx, json_t *json, long status, char **get, char **head,
		  struct haul_error *err)
{
	struct sarvam_file *sf = ctx;
	int ret = parse(sf->s, json, status, &sf->name, 1, get, err);

	*head = NULL;
	if (!ret && !*get)
		ret = haul_error_set(err, HAUL_EEXPIRED, "the Sarvam API no longer lists %s",
				     sf->name);
	return ret;
}

int sarvam_refresh(void *ctx, char **get, char **head, struct haul_error *err)
{
	struct sarvam_file *sf = ctx;
	int ret;

	*head = NULL;
	ret = sarvam_urls(sf->s, &sf->name, 1, get, err);
	if (!ret && !*get)
		ret = haul_error_set(err, HAUL_EEXPIRED, "the Sarvam API no longer lists %s",
				     sf->name);
	return ret;
}

void sarvam_file_release(struct sarvam_file *sf)
{
	free(sf->url);
	free(sf->body);
	curl_slist_free_all(sf->hdrs);
	sf->url = sf->body = NULL;
	sf->hdrs = NULL;
}
