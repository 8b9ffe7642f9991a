/*
 * jobs.c -- from a job id, or an input file, to downloads.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "batch.h"
#include "ctl.h"
#include "input.h"
#include "jobs.h"
#include "net.h"
#include "sarvam.h"
#include "sutro.h"
#include "url.h"

/* The API key from the environment, and the base URL: option, env, default. */
static int setup(const struct opts *o, const char *key_var, const char *base_var,
		 const char *def, const char **key, const char **base, struct haul_error *err)
{
	*key = getenv(key_var);
	if (!*key || !**key)
		return haul_error_set(err, HAUL_EUSAGE, "%s is not set: it holds the API key",
				      key_var);
	*base = o->api_base ? o->api_base : getenv(base_var);
	if (!*base || !**base)
		*base = def;
	return url_check(*base, o->api_base ? "--api-base" : base_var, err);
}

/* What an API call that takes long is for, to say so. */
struct waiting {
	const struct msg *m;
	const char *what;
};

static void say_waiting(void *ctx, unsigned secs)
{
	const struct waiting *w = ctx;

	msg_note(w->m, "waiting for %s (%u s so far; at most --api-timeout)", w->what, secs);
}

int jobs_sutro(const struct opts *o, const struct msg *m, volatile sig_atomic_t *stop,
	       struct haul_error *err)
{
	struct sutro s = { .job = o->args[1], .inputs = o->include_inputs,
			   .logprobs = o->include_logprobs, .ttl_s = o->url_ttl_ms / 1000,
			   .stop = stop, .size = -1 };
	struct refresher rf = { sutro_refresh, &s, "the Sutro API", NULL, sutro_call, sutro_answer };
	struct waiting w = { m, "the Sutro API" };
	struct download d = { .expect_size = -1, .rf = &rf };
	struct net net = { 0 };
	char *get = NULL, *head = NULL;
	int ret;

	ret = setup(o, "SUTRO_API_KEY", "SUTRO_BASE_URL", SUTRO_DEFAULT_BASE, &s.key, &s.base,
		    err);
	if (!ret)
		ret = net_init(&net, o, err);
	s.net = &net;
	s.waiting = say_waiting;
	s.waiting_ctx = &w;
	if (!ret)
		ret = sutro_urls(&s, &get, &head, err);
	if (!ret && !o->output && !url_safe_name(s.filename))
		ret = haul_error_set(err, HAUL_ENET, "the Sutro API named the artifact '%.100s', "
				     "not a plain file name; use -o", s.filename);
	if (!ret) {
		msg_info(m, "Sutro job %s: %s, %lld bytes", s.job, s.filename, (long long)s.size);
		d.url = get;
		d.head_url = head;
		d.output = o->output ? o->output : s.filename;
		d.expect_size = s.size;
		d.shard_k = o->shard_k;
		d.shard_n = o->shard_n;
		ret = batch_run(o, m, stop, NULL, &d, 1, err);
	}
	free(get);
	free(head);
	sutro_release(&s);
	net_release(&net);
	return ret;
}

/* Longest pause between two looks at a running job's status. */
#define SARVAM_WAIT_MAX_MS 30000

/* Sleep ms, or less when *stop is raised. 1 when it was. */
static int nap(uint64_t ms, volatile sig_atomic_t *stop)
{
	for (uint64_t slept = 0; slept < ms; slept += 100) {
		struct timespec ts = { 0, 100 * 1000 * 1000 };

		if (*stop)
			return 1;
		nanosleep(&ts, NULL);
	}
	return *stop != 0;
}

/*
 * The outputs of the job, from its status: once it has ended (with --wait,
 * looking again with growing pauses, 1 s to 30 s apart -- far more than
 * the 5 ms the API asks for -- until it has). HAUL_EHTTP for a job that
 * has not ended (no --wait), has failed, or has no outputs.
 */
static int sarvam_outputs(const struct opts *o, const struct msg *m, struct sarvam *s,
			  struct sarvam_job *j, volatile sig_atomic_t *stop, struct haul_error *err)
{
	uint64_t pause = 1000;
	int ret;

	for (;;) {
		ret = sarvam_status(s, j, err);
		if (ret || !sarvam_running(j->state))
			break;
		if (!o->wait)
			return haul_error_set(err, HAUL_EHTTP, "Sarvam job %s is %.40s, not "
					      "completed (--wait waits for it)", s->job, j->state);
		msg_note(m, "Sarvam job %s is %.40s; looking again in %llu s", s->job, j->state,
			 (unsigned long long)pause / 1000);
		sarvam_job_release(j);
		if (nap(pause, stop))
			return haul_error_set(err, HAUL_EINTR, "interrupted");
		pause = pause * 2 > SARVAM_WAIT_MAX_MS ? SARVAM_WAIT_MAX_MS : pause * 2;
	}
	if (ret)
		return ret;
	for (size_t i = 0; i < j->nfailed; i++)
		msg_err(m, "Sarvam job %s: input %s", s->job, j->failed[i]);
	if (strcmp(j->state, "Completed") != 0 && strcmp(j->state, "PartiallyCompleted") != 0)
		return haul_error_set(err, HAUL_EHTTP, "Sarvam job %s is %.40s%s%.300s", s->job,
				      j->state, j->error ? ": " : "", j->error ? j->error : "");
	if (!j->noutputs)
		return haul_error_set(err, HAUL_EHTTP, "Sarvam job %s (%.40s) lists no outputs",
				      s->job, j->state);
	msg_info(m, "Sarvam job %s: %s, %zu output%s", s->job, j->state, j->noutputs,
		 j->noutputs == 1 ? "" : "s");
	return 0;
}

/* --shard K/N: files K, K + N, K + 2N, ... of files[0..n) into kept;
 * *files then points there. Returns how many. */
static size_t shard_files(const struct opts *o, const struct msg *m, const char *const **files,
			  size_t n, const char **kept)
{
	size_t k = 0;

	for (size_t i = o->shard_k; i < n; i += o->shard_n)
		kept[k++] = (*files)[i];
	msg_info(m, "shard %u of %u: %zu of the %zu files", o->shard_k, o->shard_n, k, n);
	if (!k)
		msg_note(m, "shard %u of %u: no file of the job is this shard's", o->shard_k,
			 o->shard_n);
	*files = kept;
	return k;
}

int jobs_sarvam(const struct opts *o, const struct msg *m, volatile sig_atomic_t *stop,
		struct haul_error *err)
{
	struct waiting w = { m, "the Sarvam API" };
	struct sarvam s = { .job = o->args[1], .stop = stop, .waiting = say_waiting,
			    .waiting_ctx = &w };
	struct sarvam_job job = { 0 };
	const char *const *files = (const char *const *)o->args + 2;
	const char **files_kept = NULL;
	size_t n = (size_t)o->nargs - 2, k = 0, missing = 0;
	char **urls = NULL;
	struct download *ds = NULL;
	struct refresher *rfs = NULL;
	struct sarvam_file *sfs = NULL;
	struct net net = { 0 };
	int ret = 0;

	for (size_t i = 0; !ret && i < n; i++)
		if (!url_safe_name(files[i]))
			ret = haul_error_set(err, HAUL_EUSAGE, "'%s' is not a plain file name",
					     files[i]);
	if (!ret)
		ret = setup(o, "SARVAM_API_KEY", "SARVAM_BASE_URL", SARVAM_DEFAULT_BASE, &s.key,
			    &s.base, err);
	if (!ret)
		ret = net_init(&net, o, err);
	s.net = &net;
	if (!ret && !n) {
		/* No names: every output the job status lists, in its order. */
		ret = sarvam_outputs(o, m, &s, &job, stop, err);
		files = (const char *const *)job.outputs;
		n = job.noutputs;
	}
	if (!ret && o->shard_n && !(files_kept = calloc(n ? n : 1, sizeof(*files_kept))))
		ret = haul_error_set(err, HAUL_EFAIL, "out of memory");
	if (!ret && o->shard_n && !(n = shard_files(o, m, &files, n, files_kept)))
		goto out;
	if (!ret) {
		urls = calloc(n, sizeof(*urls));
		ds = calloc(n, sizeof(*ds));
		rfs = calloc(n, sizeof(*rfs));
		sfs = calloc(n, sizeof(*sfs));
		if (!urls || !ds || !rfs || !sfs)
			ret = haul_error_set(err, HAUL_EFAIL, "out of memory");
	}
	if (!ret)
		ret = sarvam_urls(&s, files, n, urls, err);
	for (size_t i = 0; !ret && i < n; i++) {
		if (!urls[i]) {
			msg_err(m, "%s: not among the outputs of Sarvam job %s", files[i], s.job);
			missing++;
			continue;
		}
		sfs[i].s = &s;
		sfs[i].name = files[i];
		rfs[i].fetch = sarvam_refresh;
		rfs[i].call = sarvam_call;
		rfs[i].answer = sarvam_answer;
		rfs[i].cached = sarvam_cached;
		rfs[i].done = sarvam_done;
		rfs[i].ctx = &sfs[i];
		rfs[i].what = "the Sarvam API";
		ds[k].url = urls[i];
		ds[k].output = o->output ? o->output : files[i];
		ds[k].expect_size = -1;
		ds[k].rf = &rfs[i];
		k++;
	}
	s.files = sfs;
	s.nfiles = n;
	if (!ret && k)
		ret = batch_run(o, m, stop, NULL, ds, k, err);
	if (!ret && missing)
		ret = haul_error_set(err, HAUL_EHTTP, "%zu of %zu files are not among the job's "
				     "outputs", missing, n);
	if (!ret && job.nfailed)
		ret = haul_error_set(err, HAUL_EHTTP, "Sarvam job %s is %s: %zu input%s failed "
				     "(named above); the %zu output%s listed %s been downloaded",
				     s.job, job.state, job.nfailed, job.nfailed == 1 ? "" : "s",
				     n, n == 1 ? "" : "s", n == 1 ? "has" : "have");
out:
	for (size_t i = 0; urls && i < n; i++)
		free(urls[i]);
	for (size_t i = 0; sfs && i < n; i++)
		sarvam_file_release(&sfs[i]);
	free(urls);
	free(ds);
	free(rfs);
	free(sfs);
	free(files_kept);
	sarvam_job_release(&job);
	net_release(&net);
	return ret;
}

/* Where entry e is saved: out= or the URL's name, under --dir. Malloced. */
static char *saved_as(const struct opts *o, const struct input_entry *e, struct haul_error *err)
{
	char *name = NULL, *path;
	size_t len;

	if (e->out && !(name = strdup(e->out)))
		return haul_error_set(err, HAUL_EFAIL, "out of memory"), NULL;
	if (!e->out && url_filename(e->url, &name, err))
		return NULL;
	if (!o->dir || name[0] == '/')
		return name;
	len = strlen(o->dir) + strlen(name) + 2;
	path = malloc(len);
	if (path)
		snprintf(path, len, "%s/%s", o->dir, name);
	else
		haul_error_set(err, HAUL_EFAIL, "out of memory");
	free(name);
	return path;
}

static const char *const *sort_names;

static int by_name(const void *a, const void *b)
{
	return strcmp(sort_names[*(const size_t *)a], sort_names[*(const size_t *)b]);
}

/* Two entries saved under one name would overwrite each other: refuse. */
static int distinct(const struct opts *o, const struct input *in, char **names,
		    struct haul_error *err)
{
	size_t *ix = malloc(in->n * sizeof(*ix));

	if (!ix)
		return haul_error_set(err, HAUL_EFAIL, "out of memory");
	for (size_t i = 0; i < in->n; i++)
		ix[i] = i;
	sort_names = (const char *const *)names;
	qsort(ix, in->n, sizeof(*ix), by_name);
	for (size_t i = 1; i < in->n; i++) {
		size_t a = ix[i - 1], b = ix[i];

		if (strcmp(names[a], names[b]) == 0) {
			if (a > b) {
				size_t t = a;
				a = b;
				b = t;
			}
			free(ix);
			return haul_error_set(err, HAUL_EUSAGE, "%s: lines %u and %u would both be "
					      "saved as %s (give one of them out=)",
					      strcmp(o->input, "-") ? o->input : "standard input",
					      in->e[a].line, in->e[b].line, names[a]);
		}
	}
	free(ix);
	return 0;
}

int jobs_input(const struct opts *o, const struct msg *m, volatile sig_atomic_t *stop,
	       struct haul_error *err)
{
	struct input in;
	struct download *ds = NULL;
	struct refresh_cmd *rcs = NULL;
	struct refresher *rfs = NULL;
	char **names = NULL;
	size_t k = 0;
	int ret;

	input_init(&in);
	ret = input_read(&in, o->input, err);
	if (!ret) {
		ds = calloc(in.n, sizeof(*ds));
		rcs = calloc(in.n, sizeof(*rcs));
		rfs = calloc(in.n, sizeof(*rfs));
		names = calloc(in.n, sizeof(*names));
		if (!ds || !rcs || !rfs || !names)
			ret = haul_error_set(err, HAUL_EFAIL, "out of memory");
	}
	for (size_t i = 0; !ret && i < in.n; i++)
		if (!(names[i] = saved_as(o, &in.e[i], err)))
			ret = err->code ? err->code : HAUL_EFAIL;
	if (!ret)
		ret = distinct(o, &in, names, err);
	for (size_t i = 0; !ret && i < in.n; i++) {
		const struct input_entry *e = &in.e[i];

		if (o->shard_n && i % o->shard_n != o->shard_k)
			continue; /* --shard K/N: entries K, K + N, ... only */
		/* The refresh command learns which file it renews from $HAUL_OUTPUT. */
		rcs[i] = (struct refresh_cmd){ o->refresh_cmd, o->refresh_timeout_ms, names[i], stop };
		rfs[i] = (struct refresher){ refresh_cmd_fetch, &rcs[i], "--refresh-cmd", &rcs[i],
					     NULL, NULL };
		ds[k].url = e->url;
		ds[k].head_url = e->head;
		ds[k].output = e->out;
		ds[k].expect_size = -1;
		ds[k].rf = o->refresh_cmd ? &rfs[i] : NULL;
		ds[k].checksums = e->checksums;
		ds[k].nchecksums = e->nchecksums;
		k++;
	}
	if (!ret && o->shard_n)
		msg_info(m, "shard %u of %u: %zu of the %zu entries", o->shard_k, o->shard_n, k,
			 in.n);
	if (!ret && k)
		ret = batch_run(o, m, stop, NULL, ds, k, err);
	for (size_t i = 0; names && i < in.n; i++)
		free(names[i]);
	free(names);
	free(ds);
	free(rcs);
	free(rfs);
	input_release(&in);
	return ret;
}
