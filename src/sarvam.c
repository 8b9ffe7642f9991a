/*
 * sarvam.c -- the Sarvam download-files call.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "sarvam.h"
#include "url.h"

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
	call.waiting = s->waiting;
	call.waiting_ctx = s->waiting_ctx;
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
	struct sarvam *s = sf->s;
	const char *names[SARVAM_RENEW_MAX];
	size_t n = 0;

	free(sf->url);
	free(sf->body);
	curl_slist_free_all(sf->hdrs);
	sf->url = sf->body = NULL;
	sf->hdrs = NULL;
	names[n++] = sf->name;
	/* The others that have not ended and hold no fresh URL yet. */
	for (size_t i = 0; s->files && i < s->nfiles && n < SARVAM_RENEW_MAX; i++) {
		struct sarvam_file *o = &s->files[i];

		if (o != sf && o->name && !o->ended && !o->fresh)
			names[n++] = o->name;
	}
	return build(s, names, n, &sf->url, &sf->body, &sf->hdrs, call, err);
}

int sarvam_answer(void *ctx, json_t *json, long status, char **get, char **head,
		  struct haul_error *err)
{
	struct sarvam_file *sf = ctx;
	struct sarvam *s = sf->s;
	json_t *dl = json_object_get(json, "download_urls");
	int ret = parse(s, json, status, &sf->name, 1, get, err);

	*head = NULL;
	if (!ret && !*get)
		ret = haul_error_set(err, HAUL_EEXPIRED, "the Sarvam API no longer lists %s",
				     sf->name);
	/* The other files' URLs wait for those files to need them. */
	for (size_t i = 0; !ret && s->files && i < s->nfiles; i++) {
		struct sarvam_file *o = &s->files[i];
		const char *u = o != sf && o->name && !o->ended
					? api_str(json_object_get(dl, o->name), "file_url")
					: NULL;

		if (u && *u) {
			free(o->fresh);
			o->fresh = strdup(u);
		}
	}
	return ret;
}

int sarvam_cached(void *ctx, char **get)
{
	struct sarvam_file *sf = ctx;

	if (!sf->fresh)
		return 0;
	*get = sf->fresh;
	sf->fresh = NULL;
	return 1;
}

void sarvam_done(void *ctx)
{
	struct sarvam_file *sf = ctx;

	sf->ended = 1;
	free(sf->fresh);
	sf->fresh = NULL;
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
	free(sf->fresh);
	curl_slist_free_all(sf->hdrs);
	sf->url = sf->body = sf->fresh = NULL;
	sf->hdrs = NULL;
}

int sarvam_running(const char *state)
{
	return !strcmp(state, "Accepted") || !strcmp(state, "Pending") ||
	       !strcmp(state, "Running");
}

void sarvam_job_release(struct sarvam_job *j)
{
	for (size_t i = 0; i < j->noutputs; i++)
		free(j->outputs[i]);
	for (size_t i = 0; i < j->nfailed; i++)
		free(j->failed[i]);
	free(j->outputs);
	free(j->failed);
	free(j->state);
	free(j->error);
	memset(j, 0, sizeof(*j));
}

/* Append a copy of v to the list (*a)[0..*n). 0, or -1 out of memory. */
static int add(char ***a, size_t *n, const char *v)
{
	char **na = realloc(*a, (*n + 1) * sizeof(**a));

	if (!na)
		return -1;
	*a = na;
	if (!(na[*n] = strdup(v)))
		return -1;
	(*n)++;
	return 0;
}

/* The first input's name of task t, for messages. */
static const char *input_name(json_t *t)
{
	const char *n = api_str(json_array_get(json_object_get(t, "inputs"), 0), "file_name");

	return n ? n : "(an input)";
}

/* A task's error message, or NULL. The status page does not name the
 * field: error_message, as the job's own (an assumption, see haul(1)). */
static const char *task_error(json_t *t)
{
	const char *m = api_str(t, "error_message");

	return m && *m ? m : NULL;
}

static int read_status(const struct sarvam *s, json_t *json, long status, struct sarvam_job *j,
		       struct haul_error *err)
{
	json_t *details, *t;
	const char *state, *e;
	size_t i;
	char line[600];

	if (status < 200 || status > 299)
		return api_refused("the Sarvam API", "SARVAM_API_KEY", s->job, status, json, err);
	state = api_str(json, "job_state");
	details = json_object_get(json, "job_details");
	if (!state || (details && !json_is_array(details)))
		return haul_error_set(err, HAUL_ENET, "the Sarvam API answered a job status without "
				      "job_state");
	if (!(j->state = strdup(state)))
		return haul_error_set(err, HAUL_EFAIL, "out of memory");
	e = api_str(json, "error_message");
	if (e && *e && !(j->error = strdup(e)))
		return haul_error_set(err, HAUL_EFAIL, "out of memory");
	json_array_foreach(details, i, t) {
		json_t *outs = json_object_get(t, "outputs"), *o;
		const char *ts = api_str(t, "state");
		size_t k;
		int failed = (ts && !strcmp(ts, "Failed")) || task_error(t);

		json_array_foreach(outs, k, o) {
			const char *name = api_str(o, "file_name");

			if (!name || !*name)
				continue;
			if (!url_safe_name(name))
				return haul_error_set(err, HAUL_ENET, "the Sarvam API named an output "
						      "'%.100s', not a plain file name", name);
			if (add(&j->outputs, &j->noutputs, name))
				return haul_error_set(err, HAUL_EFAIL, "out of memory");
		}
		if (failed) {
			snprintf(line, sizeof(line), "%.200s: %.300s", input_name(t),
				 task_error(t) ? task_error(t) : ts ? ts : "failed");
			for (char *c = line; *c; c++)
				if ((unsigned char)*c < 0x20)
					*c = ' ';
			if (add(&j->failed, &j->nfailed, line))
				return haul_error_set(err, HAUL_EFAIL, "out of memory");
		}
	}
	return 0;
}

int sarvam_status(struct sarvam *s, struct sarvam_job *j, struct haul_error *err)
{
	char keyhdr[1024], *url = NULL, *job = curl_easy_escape(NULL, s->job, 0);
	struct curl_slist *hdrs = NULL;
	struct api_call call;
	json_t *json = NULL;
	long status = 0;
	int blen = (int)strlen(s->base), ret;
	size_t len;

	memset(j, 0, sizeof(*j));
	while (blen > 0 && s->base[blen - 1] == '/')
		blen--;
	if (snprintf(keyhdr, sizeof(keyhdr), "api-subscription-key: %s", s->key) >=
	    (int)sizeof(keyhdr)) {
		curl_free(job);
		return haul_error_set(err, HAUL_EUSAGE, "SARVAM_API_KEY is too long");
	}
	len = (size_t)blen + (job ? strlen(job) : 0) + 64;
	if (job && (url = malloc(len)) != NULL)
		snprintf(url, len, "%.*s/speech-to-text/job/v1/%s/status", blen, s->base, job);
	hdrs = curl_slist_append(NULL, keyhdr);
	memset(keyhdr, 0, sizeof(keyhdr));
	curl_free(job);
	if (!url || !hdrs) {
		ret = haul_error_set(err, HAUL_EFAIL, "out of memory");
	} else {
		memset(&call, 0, sizeof(call));
		call.service = "the Sarvam API";
		call.method = "GET";
		call.url = url;
		call.headers = hdrs;
		call.stop = s->stop;
		call.waiting = s->waiting;
		call.waiting_ctx = s->waiting_ctx;
		ret = api_call(s->net, &call, &json, &status, err);
		if (!ret)
			ret = read_status(s, json, status, j, err);
	}
	json_decref(json);
	curl_slist_free_all(hdrs);
	free(url);
	return ret;
}
