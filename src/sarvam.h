/*
 * sarvam.h -- the Sarvam speech-to-text batch client: one call to
 * POST {base}/speech-to-text/job/v1/download-files with {job_id, files}
 * gives presigned URLs (Azure SAS among other stores) for a job's output
 * files; the same call renews them. The key goes only to the API
 * (api-subscription-key: ...).
 */
#ifndef HAUL_SARVAM_H
#define HAUL_SARVAM_H

#include <signal.h>
#include <stddef.h>

#include "api.h"
#include "err.h"
#include "net.h"

#define SARVAM_DEFAULT_BASE "https://api.sarvam.ai"

struct sarvam {
	struct net *net;             /* borrowed */
	const char *base;            /* borrowed */
	const char *key;             /* borrowed */
	const char *job;             /* borrowed */
	volatile sig_atomic_t *stop; /* borrowed */
};

/*
 * URLs for files[0..n): urls[i] is malloced, or NULL when the API left the
 * file out. HAUL_EHTTP when the API refuses (bad key, unknown job, job not
 * completed), HAUL_ENET when it fails or answers nonsense.
 */
int sarvam_urls(struct sarvam *s, const char *const *files, size_t n, char **urls,
		struct haul_error *err);

/* One file's refresher context. */
struct sarvam_file {
	struct sarvam *s;         /* borrowed */
	const char *name;         /* borrowed */
	char *url, *body;         /* owned: the last call's */
	struct curl_slist *hdrs;  /* owned: its headers (the key) */
};

/* The refresher functions over a struct sarvam_file ctx (refresh.h). */
int sarvam_refresh(void *ctx, char **get, char **head, struct haul_error *err);
int sarvam_call(void *ctx, struct api_call *call, struct haul_error *err);
int sarvam_answer(void *ctx, struct json_t *json, long status, char **get, char **head,
		  struct haul_error *err);
void sarvam_file_release(struct sarvam_file *sf);

#endif
