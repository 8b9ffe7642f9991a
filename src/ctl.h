/*
 * ctl.h -- the controller: one download from its URL to a finished file,
 * as a state machine that the loop of src/batch.c drives alongside the
 * others: the first request (which is the probe), the file created or
 * resumed, the transfers with checkpoints and fresh URLs, the checks and the
 * name -- none of it waited for.
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
	unsigned shard_k, shard_n;   /* --shard K/N of this object; N 0: none */
};

/* A download's result when the file is complete already: nothing to fetch. */
#define CTL_NOTHING 1

struct ctl;   /* one download's controller (src/ctl.c) */
struct fetch;
struct iow;
struct net;
struct report_item;

/*
 * One download: check d's names and what is on disk, and send its first
 * request on net's multi handle (at most nslots connections; disk work goes
 * to io). Nothing is waited for: ctl_tick drives it from there. *out is the
 * new controller -- also on failure, so that it can be reported (ctl_item)
 * and freed (ctl_close). Returns 0 or a HAUL_E* with err set.
 */
int ctl_open(struct ctl **out, const struct opts *o, const struct msg *m,
	     volatile sig_atomic_t *stop, const struct store_ops *ops, const struct download *d,
	     struct net *net, struct iow *io, unsigned nslots, struct haul_error *err);

/*
 * Once per round of the loop: what is due (retries, checkpoints, fresh
 * URLs, the next state). Returns how long the loop may sleep for it (ms).
 */
long ctl_tick(struct ctl *c);

/* Must the loop go round again at once, without sleeping? */
int ctl_due(const struct ctl *c);

/* A descriptor the loop must wait on for it (a refresh command's output), or -1. */
int ctl_fd(const struct ctl *c);

/*
 * Has it ended? 1 with its result in ctl_result (0, CTL_NOTHING or a
 * HAUL_E*, whose text goes into err), 0 while it runs.
 */
int ctl_done(const struct ctl *c, struct haul_error *err);
int ctl_result(const struct ctl *c);

/* The download's transfers, NULL: none now. */
struct fetch *ctl_fetch(struct ctl *c);

/* What the progress display knows of it (its name, for errors). */
struct report_item *ctl_item(struct ctl *c);

/* Free c (NULL is fine); failed: remove what a failure leaves no use for. */
void ctl_close(struct ctl *c, int failed);

#endif
