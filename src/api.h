/*
 * api.h -- small JSON-over-HTTPS calls to result APIs (Sutro, Sarvam), with
 * their credentials kept to the API: no redirects are followed, so a key
 * header never reaches another host, and no message ever shows it.
 */
#ifndef HAUL_API_H
#define HAUL_API_H

#include <signal.h>
#include <stddef.h>

#include <curl/curl.h>
#include <jansson.h>

#include "err.h"
#include "loop.h"
#include "net.h"

#define API_BODY_MAX (1u << 20) /* a bigger answer is not what we asked for */
#define API_TRIES 4             /* on 429 and 5xx */

struct api_call {
	const char *service;        /* "the Sutro API": for messages */
	const char *method;         /* for messages; a body makes it a POST */
	const char *url;            /* borrowed */
	struct curl_slist *headers; /* borrowed: the key, content type */
	const char *body;           /* borrowed, NULL for none */
	volatile sig_atomic_t *stop;
	/* api_call only, NULL: told every 10 s, from 2 s on, how long the
	 * caller has waited (an API may build the artifact first). */
	void (*waiting)(void *ctx, unsigned secs);
	void *waiting_ctx;
};

/*
 * Make the call, retrying 429 and 5xx answers (honouring Retry-After up to
 * 30 s) and network errors, but not a quota refusal (HAUL_EHTTP at once),
 * nor a call that took all of --api-timeout (HAUL_ENET). Returns 0 with *json (the parsed answer, owned
 * by the caller) and *status; a 4xx answer is returned too, for the caller
 * to explain. HAUL_ENET when the service could not be reached or kept
 * failing, or answered something that is not JSON.
 */
int api_call(struct net *n, const struct api_call *call, json_t **json, long *status,
	     struct haul_error *err);

/* An API call as a transfer of the loop: it never waits. */
struct api_req {
	struct xfer x;                /* first: the transfer's CURLOPT_PRIVATE */
	struct net *net;              /* borrowed */
	struct api_call call;         /* its strings borrowed: kept by the owner */
	void (*on_done)(struct api_req *r); /* in the loop thread, once */
	void *ctx;                    /* borrowed, for on_done */
	/* Results: as api_call's. */
	int done;
	int ret;
	json_t *json;                 /* owned until taken (set to NULL) */
	long status;
	struct haul_error err;
	/* Internal. */
	CURL *e;
	char *buf;
	size_t len;
	int too_big;
	char errbuf[CURL_ERROR_SIZE];
	int tries;
	uint64_t pause, wake_ms;
	uint64_t timeout_ms, sent_ms; /* --api-timeout; when this try went out */
	int code;
};

/*
 * Start the call on n's multi handle; on_done runs when it ended (from its
 * transfer's xfer callback or api_tick). 0, or a HAUL_E* (nothing runs).
 */
int api_start(struct api_req *r, struct net *n, const struct api_call *call,
	      void (*on_done)(struct api_req *r), void *ctx);

/* A retry that is due goes out now. Returns how long the loop may sleep (ms). */
long api_tick(struct api_req *r);

/* Stop it, free what it holds; on_done is not called. Safe when done. */
void api_release(struct api_req *r);

/* A string member of obj, or NULL. */
const char *api_str(json_t *obj, const char *key);

/*
 * The human part of an API error answer, for a message: "detail" (Sutro),
 * or "error.message" with its "code" and "request_id" (Sarvam), or
 * "message" -- control characters replaced. "(no details)" when there is
 * none. Writes into buf; returns buf.
 */
const char *api_error_text(json_t *json, char *buf, size_t len);

/* 1 when an error answer says the account is out of quota: final. */
int api_quota(json_t *json, long status);

/*
 * The error for a non-2xx answer of api ("the Sutro API") about job: a key
 * refused (401/403: names keyvar, the variable it came from), an unknown
 * job (404), or another refusal, each with the API's own words. Returns
 * HAUL_EHTTP.
 */
int api_refused(const char *api, const char *keyvar, const char *job, long status, json_t *json,
		struct haul_error *err);

#endif
