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

struct sarvam_file;

struct sarvam {
	struct net *net;             /* borrowed */
	const char *base;            /* borrowed */
	const char *key;             /* borrowed */
	const char *job;             /* borrowed */
	volatile sig_atomic_t *stop; /* borrowed */
	void (*waiting)(void *ctx, unsigned secs); /* NULL; see api_call */
	void *waiting_ctx;           /* borrowed */
	struct sarvam_file *files;   /* borrowed, NULL: every file of the batch */
	size_t nfiles;
};

/* Most file names one renewal asks for (the answer stays well below
 * API_BODY_MAX). */
#define SARVAM_RENEW_MAX 100

/*
 * URLs for files[0..n): urls[i] is malloced, or NULL when the API left the
 * file out. HAUL_EHTTP when the API refuses (bad key, unknown job, job not
 * completed), HAUL_ENET when it fails or answers nonsense.
 */
int sarvam_urls(struct sarvam *s, const char *const *files, size_t n, char **urls,
		struct haul_error *err);

/* What the job status says (sarvam_status). */
struct sarvam_job {
	char *state;       /* owned: job_state */
	char *error;       /* owned, NULL: the job's error message */
	char **outputs;    /* owned: output file names, in the status's order */
	size_t noutputs;
	char **failed;     /* owned: "INPUT: MESSAGE" of each task that failed */
	size_t nfailed;
};

/*
 * GET {base}/speech-to-text/job/v1/{job}/status into *j (release it with
 * sarvam_job_release, also after an error). HAUL_EHTTP when the API
 * refuses, HAUL_ENET when it fails or answers nonsense (an output name
 * that is not a plain file name among it).
 */
int sarvam_status(struct sarvam *s, struct sarvam_job *j, struct haul_error *err);
void sarvam_job_release(struct sarvam_job *j);

/* 1 for the states of a job that has not ended (Accepted, Pending, Running). */
int sarvam_running(const char *state);

/*
 * One file's refresher context. A renewal asks for the URLs of every file
 * of the batch that has not ended (up to SARVAM_RENEW_MAX), not just its
 * own: their URLs came from the same call and expire together, so one POST
 * serves them all, and each keeps its fresh URL until it needs one.
 */
struct sarvam_file {
	struct sarvam *s;         /* borrowed */
	const char *name;         /* borrowed */
	char *url, *body;         /* owned: the last call's */
	struct curl_slist *hdrs;  /* owned: its headers (the key) */
	char *fresh;              /* owned, NULL: a URL another file's call got */
	int ended;                /* its download has ended */
};

/* The refresher functions over a struct sarvam_file ctx (refresh.h). */
int sarvam_refresh(void *ctx, char **get, char **head, struct haul_error *err);
int sarvam_call(void *ctx, struct api_call *call, struct haul_error *err);
int sarvam_answer(void *ctx, struct json_t *json, long status, char **get, char **head,
		  struct haul_error *err);
int sarvam_cached(void *ctx, char **get);
void sarvam_done(void *ctx);
void sarvam_file_release(struct sarvam_file *sf);

#endif
