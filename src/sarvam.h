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
	struct sarvam *s; /* borrowed */
	const char *name; /* borrowed */
};

/* A struct refresher fetch function over a struct sarvam_file ctx. */
int sarvam_refresh(void *ctx, char **get, char **head, struct haul_error *err);

#endif
