/*
 * ctl.h -- the controller: downloads from options to finished files.
 * For each: probe -> open or resume FILE.part and its journal -> plan; then
 * all fetch together in one loop (with checkpoints and fresh URLs) -> commit
 * each, and what to tell the user.
 */
#ifndef HAUL_CTL_H
#define HAUL_CTL_H

#include <signal.h>
#include <stdint.h>

#include "err.h"
#include "msg.h"
#include "opts.h"
#include "refresh.h"
#include "store.h"

/* One file to download. */
struct download {
	const char *url;             /* borrowed: the GET URL */
	const char *head_url;        /* borrowed, NULL: a URL signed for HEAD */
	const char *output;          /* borrowed, NULL: name taken from the URL */
	int64_t expect_size;         /* the size an API promised, -1: none */
	const struct refresher *rf;  /* borrowed, NULL: no way to renew the URL */
};

/*
 * Download o->url (with o->head_url, o->output and o->refresh_cmd). Returns
 * 0 or a negative HAUL_E* with err set. *stop is the interrupt flag raised
 * by the signal handler (borrowed). ops is the I/O seam (NULL: the real
 * system calls).
 */
int ctl_run(const struct opts *o, const struct msg *m, volatile sig_atomic_t *stop,
	    const struct store_ops *ops, struct haul_error *err);

/*
 * Download ds[0..n) at once, over at most o->connections connections in
 * all. Each failure is reported on its own line; returns 0 when all
 * succeeded, else the code of the first that failed, with err saying how
 * many failed.
 */
int ctl_batch(const struct opts *o, const struct msg *m, volatile sig_atomic_t *stop,
	      const struct store_ops *ops, const struct download *ds, size_t n,
	      struct haul_error *err);

#endif
