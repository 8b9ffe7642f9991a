/*
 * jobs.c -- from a job id, or an input file, to downloads.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

int jobs_sutro(const struct opts *o, const struct msg *m, volatile sig_atomic_t *stop,
	       struct haul_error *err)
{
	struct sutro s = { .job = o->args[1], .inputs = o->include_inputs,
			   .logprobs = o->include_logprobs, .stop = stop, .size = -1 };
	struct refresher rf = { sutro_refresh, &s, "the Sutro API", NULL, sutro_call, sutro_answer };
	struct download d = { .expect_size = -1, .rf = &rf };
	struct net net = { 0 };
	char *get = NULL, *head = NULL;
	int ret;

	ret = setup(o, "SUTRO_API_KEY", "SUTRO_BASE_URL", SUTRO_DEFAULT_BASE, &s.key, &s.base,
		    err);
	if (!ret)
		ret = net_init(&net, o, err);
	s.net = &net;
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
		ret = batch_run(o, m, stop, NULL, &d, 1, err);
	}
	free(get);
	free(head);
	sutro_release(&s);
	net_release(&net);
	return ret;
}

int jobs_sarvam(const struct opts *o, const struct msg *m, volatile sig_atomic_t *stop,
		struct haul_error *err)
{
	struct sarvam s = { .job = o->args[1], .stop = stop };
	const char *const *files = (const char *const *)o->args + 2;
	size_t n = (size_t)o->nargs - 2, k = 0, missing = 0;
	char **urls = calloc(n, sizeof(*urls));
	struct download *ds = calloc(n, sizeof(*ds));
	struct refresher *rfs = calloc(n, sizeof(*rfs));
	struct sarvam_file *sfs = calloc(n, sizeof(*sfs));
	struct net net = { 0 };
	int ret = 0;

	if (!urls || !ds || !rfs || !sfs)
		ret = haul_error_set(err, HAUL_EFAIL, "out of memory");
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
		rfs[i].ctx = &sfs[i];
		rfs[i].what = "the Sarvam API";
		ds[k].url = urls[i];
		ds[k].output = o->output ? o->output : files[i];
		ds[k].expect_size = -1;
		ds[k].rf = &rfs[i];
		k++;
	}
	if (!ret && k)
		ret = batch_run(o, m, stop, NULL, ds, k, err);
	if (!ret && missing)
		ret = haul_error_set(err, HAUL_EHTTP, "%zu of %zu files are not among the job's "
				     "outputs", missing, n);
	for (size_t i = 0; urls && i < n; i++)
		free(urls[i]);
	for (size_t i = 0; sfs && i < n; i++)
		sarvam_file_release(&sfs[i]);
	free(urls);
	free(ds);
	free(rfs);
	free(sfs);
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

		/* The refresh command learns which file it renews from $HAUL_OUTPUT. */
		rcs[i] = (struct refresh_cmd){ o->refresh_cmd, o->refresh_timeout_ms, names[i], stop };
		rfs[i] = (struct refresher){ refresh_cmd_fetch, &rcs[i], "--refresh-cmd", &rcs[i],
					     NULL, NULL };
		ds[i].url = e->url;
		ds[i].head_url = e->head;
		ds[i].output = e->out;
		ds[i].expect_size = -1;
		ds[i].rf = o->refresh_cmd ? &rfs[i] : NULL;
		ds[i].checksums = e->checksums;
		ds[i].nchecksums = e->nchecksums;
	}
	if (!ret)
		ret = batch_run(o, m, stop, NULL, ds, in.n, err);
	for (size_t i = 0; names && i < in.n; i++)
		free(names[i]);
	free(names);
	free(ds);
	free(rcs);
	free(rfs);
	input_release(&in);
	return ret;
}
