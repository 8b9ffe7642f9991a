/*
 * jobs.h -- runs of more than a URL: 'haul sutro JOB_ID' and 'haul sarvam
 * JOB_ID FILE...' ask the result API for presigned URLs, download them, and
 * renew them through the same API when they expire (keys come from
 * SUTRO_API_KEY / SARVAM_API_KEY and go to the API only); 'haul -i FILE'
 * downloads the URLs an input file lists (src/input.c).
 */
#ifndef HAUL_JOBS_H
#define HAUL_JOBS_H

#include <signal.h>

#include "err.h"
#include "msg.h"
#include "opts.h"

int jobs_sutro(const struct opts *o, const struct msg *m, volatile sig_atomic_t *stop,
	       struct haul_error *err);
int jobs_sarvam(const struct opts *o, const struct msg *m, volatile sig_atomic_t *stop,
		struct haul_error *err);

/*
 * The entries of o->input, o->jobs at a time. Two entries that would be
 * saved under the same name are a usage error before anything starts.
 */
int jobs_input(const struct opts *o, const struct msg *m, volatile sig_atomic_t *stop,
	       struct haul_error *err);

#endif
