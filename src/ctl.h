/*
 * ctl.h -- the controller: one download from options to a finished file.
 * probe -> open or resume FILE.part and its journal -> plan -> fetch with
 * checkpoints -> commit, and what to tell the user.
 */
#ifndef HAUL_CTL_H
#define HAUL_CTL_H

#include <signal.h>

#include "err.h"
#include "msg.h"
#include "opts.h"
#include "store.h"

/*
 * Download o->url. Returns 0 or a negative HAUL_E* with err set. *stop is
 * the interrupt flag raised by the signal handler (borrowed). ops is the
 * I/O seam (NULL: the real system calls).
 */
int ctl_run(const struct opts *o, const struct msg *m, volatile sig_atomic_t *stop,
	    const struct store_ops *ops, struct haul_error *err);

#endif
