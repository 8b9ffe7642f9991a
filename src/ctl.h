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
	const struct expect *checksums; /* borrowed, NULL: o->checksums apply */
	unsigned nchecksums;
};

/* ctl_open's answer when the file is complete already: nothing to fetch. */
#define CTL_NOTHING 1

struct ctl;   /* one download's controller (src/ctl.c) */
struct fetch;
struct net;
struct report_item;

/*
 * One download, up to the start of its transfers: check d's names, look at
 * what is on disk, probe the server, resume or start FILE.part and its
 * journal, plan, and get the transfers ready on net's multi handle with at
 * most nslots connections. *out is the new controller -- also on failure,
 * so that it can be reported (ctl_item) and freed (ctl_close). Returns 0,
 * CTL_NOTHING (the file is complete already: reported as finished), or a
 * HAUL_E* with err set (what is kept and how to resume is in err).
 */
int ctl_open(struct ctl **out, const struct opts *o, const struct msg *m,
	     volatile sig_atomic_t *stop, const struct store_ops *ops, const struct download *d,
	     struct net *net, unsigned nslots, struct haul_error *err);

/* The download's transfers (drive them with fetch_drive), NULL: none. */
struct fetch *ctl_fetch(struct ctl *c);

/* What the progress display knows of it (its name, for errors). */
struct report_item *ctl_item(struct ctl *c);

/*
 * After its transfers ended: fall back to one stream if the server ignored
 * ranges, check the file, give it its name; or keep the state and say how
 * to resume. 0 or a HAUL_E* with err set.
 */
int ctl_conclude(struct ctl *c, struct haul_error *err);

/* Free c (NULL is fine); failed: remove what a failure leaves no use for. */
void ctl_close(struct ctl *c, int failed);

/*
 * Download o->url (with o->head_url, o->output and o->refresh_cmd). Returns
 * 0 or a negative HAUL_E* with err set. *stop is the interrupt flag raised
 * by the signal handler (borrowed). ops is the I/O seam (NULL: the real
 * system calls).
 */
int ctl_run(const struct opts *o, const struct msg *m, volatile sig_atomic_t *stop,
	    const struct store_ops *ops, struct haul_error *err);

/*
 * Download ds[0..n), o->jobs at a time, over at most o->connections
 * connections in all (src/batch.c). Each failure is reported on its own
 * line; returns 0 when all succeeded, else the code of the first that
 * failed, with err saying how many failed.
 */
int ctl_batch(const struct opts *o, const struct msg *m, volatile sig_atomic_t *stop,
	      const struct store_ops *ops, const struct download *ds, size_t n,
	      struct haul_error *err);

#endif
