/*
 * ctl.h -- the controller: one download from options to a finished file.
 * probe -> open the .part file -> plan -> fetch -> commit, and the summary.
 */
#ifndef HAUL_CTL_H
#define HAUL_CTL_H

#include <signal.h>

#include "err.h"
#include "msg.h"
#include "opts.h"

/*
 * Download o->url. Returns 0 or a negative HAUL_E* with err set. *stop is
 * the interrupt flag raised by the signal handler (borrowed).
 */
int ctl_run(const struct opts *o, const struct msg *m, volatile sig_atomic_t *stop,
	    struct haul_error *err);

#endif
