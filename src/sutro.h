/*
 * sutro.h -- the Sutro results API client: one call to
 * GET {base}/jobs/{job}/results-url gives presigned GET and HEAD URLs for a
 * job's results artifact, its file name and its size; the same call renews
 * them. The API key goes only to the API (Authorization: Key ...).
 */
#ifndef HAUL_SUTRO_H
#define HAUL_SUTRO_H

#include <signal.h>
#include <stdint.h>

#include "api.h"
#include "err.h"
#include "net.h"

#define SUTRO_DEFAULT_BASE "https://api.sutro.sh"

struct sutro {
	struct net *net;             /* borrowed */
	const char *base;            /* borrowed: the API's base URL */
	const char *key;             /* borrowed: the API key */
	const char *job;             /* borrowed: the job id */
	int inputs;                  /* include_inputs */
	int logprobs;                /* include_cumulative_logprobs */
	uint64_t ttl_s;              /* expires_in_seconds; 0: the API's default */
	volatile sig_atomic_t *stop; /* borrowed */
	void (*waiting)(void *ctx, unsigned secs); /* NULL; see api_call */
	void *waiting_ctx;           /* borrowed */
	char *filename;              /* owned, after a call: artifact.filename */
	int64_t size;                /* after a call: artifact.size_bytes, -1 */
	char *url;                   /* owned: the call's URL */
	struct curl_slist *hdrs;     /* owned: its headers (the key) */
};

/*
 * Ask for the results URLs: *get and *head malloced; s->filename and
 * s->size filled in. Errors: HAUL_EHTTP for a refusal (bad key, no such job,
 * job not finished), HAUL_ENET for an API that fails or answers nonsense.
 */
int sutro_urls(struct sutro *s, char **get, char **head, struct haul_error *err);

/* The refresher functions over a struct sutro ctx (refresh.h). */
int sutro_refresh(void *ctx, char **get, char **head, struct haul_error *err);
int sutro_call(void *ctx, struct api_call *call, struct haul_error *err);
int sutro_answer(void *ctx, struct json_t *json, long status, char **get, char **head,
		 struct haul_error *err);

void sutro_release(struct sutro *s);

#endif
