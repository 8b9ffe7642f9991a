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

int sarvam_urls(struct sarvam *s, const char *const *files, size_t n, char **urls,
		struct haul_error *err)
{
	char keyhdr[1024], *url = NULL, *body = make_body(s, files, n);
	struct curl_slist *hdrs = NULL;
	struct api_call call = { "the Sarvam API", "POST", NULL, NULL, NULL, s->stop };
	json_t *json = NULL, *dl;
	const char *state;
	size_t len = strlen(s->base) + 64;
	long status;
	int ret;

	for (size_t i = 0; i < n; i++)
		urls[i] = NULL;
	if (snprintf(keyhdr, sizeof(keyhdr), "api-subscription-key: %s", s->key) >=
	    (int)sizeof(keyhdr)) {
		free(body);
		return haul_error_set(err, HAUL_EUSAGE, "SARVAM_API_KEY is too long");
	}
	url = malloc(len);
	if (url) {
		int blen = (int)strlen(s->base);

		while (blen > 0 && s->base[blen - 1] == '/')
			blen--;
		snprintf(url, len, "%.*s/speech-to-text/job/v1/download-files", blen, s->base);
	}
	hdrs = curl_slist_append(NULL, keyhdr);
	hdrs = hdrs ? curl_slist_append(hdrs, "Content-Type: application/json") : NULL;
	memset(keyhdr, 0, sizeof(keyhdr));
	if (!url || !body || !hdrs) {
		ret = haul_error_set(err, HAUL_EFAIL, "out of memory");
		goto out;
	}
	call.url = url;
	call.headers = hdrs;
	call.body = body;
	ret = api_call(s->net, &call, &json, &status, err);
	if (ret)
		goto out;
	if (status < 200 || status > 299) {
		ret = api_refused(call.service, "SARVAM_API_KEY", s->job, status, json, err);
		goto out;
	}
	state = api_str(json, "job_state");
	dl = json_object_get(json, "download_urls");
	if (!state || !json_is_object(dl)) {
		ret = haul_error_set(err, HAUL_ENET, "the Sarvam API answered without job_state "
				     "and download_urls");
		goto out;
	}
	if (strcmp(state, "Completed") != 0 && strcmp(state, "PartiallyCompleted") != 0) {
		ret = haul_error_set(err, HAUL_EHTTP, "Sarvam job '%s' is %.40s, not completed",
				     s->job, state);
		goto out;
	}
	for (size_t i = 0; i < n && !ret; i++) {
		const char *u = api_str(json_object_get(dl, files[i]), "file_url");

		if (u && *u && !(urls[i] = strdup(u)))
			ret = haul_error_set(err, HAUL_EFAIL, "out of memory");
	}
out:
	if (ret)
		for (size_t i = 0; i < n; i++) {
			free(urls[i]);
			urls[i] = NULL;
		}
	json_decref(json);
	curl_slist_free_all(hdrs);
	free(url);
	free(body);
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
