/*
 * batch.h -- running downloads: one, or a queue of them worked through
 * o->jobs at a time, all in one loop on one multi handle.
 */
#ifndef HAUL_BATCH_H
#define HAUL_BATCH_H

#include <signal.h>
#include <stddef.h>

#include "ctl.h"
#include "err.h"
#include "msg.h"
#include "opts.h"
#include "store.h"

/*
 * Download o->url (with o->head_url, o->output and o->refresh_cmd). Returns
 * 0 or a negative HAUL_E* with err set. *stop is the interrupt flag raised
 * by the signal handler (borrowed). ops is the I/O seam (NULL: the real
 * system calls).
 */
int batch_run_one(const struct opts *o, const struct msg *m, volatile sig_atomic_t *stop,
		  const struct store_ops *ops, struct haul_error *err);

/*
 * Download ds[0..n), o->jobs at a time, over at most o->connections
 * connections in all. Each failure is reported on its own line; returns 0
 * when all succeeded, else the code of the first that failed, with err
 * saying how many failed.
 */
int batch_run(const struct opts *o, const struct msg *m, volatile sig_atomic_t *stop,
	      const struct store_ops *ops, const struct download *ds, size_t n,
	      struct haul_error *err);

#endif
