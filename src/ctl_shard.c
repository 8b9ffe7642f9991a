/*
 * ctl_shard.c -- a download that is one shard of many (--shard K/N, see
 * shard.h): its own journal, its share of the holes, and its end -- its
 * share durable, then, holding the shards' lock, either nothing more (the
 * others are not done) or the whole file checked and named by this one.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctl_int.h"
#include "shard.h"

int ctl_shard_setup(struct ctl *c, struct haul_error *err)
{
	char *p;

	c->shard_fd = -1;
	c->share_lo = 0;
	c->share_hi = UINT64_MAX;
	if (!c->d->shard_n)
		return 0;
	p = shard_journal_path(c->store.path, c->d->shard_k, c->d->shard_n);
	if (!p)
		return haul_error_set(err, HAUL_EFAIL, "out of memory");
	free(c->jpath);
	c->jpath = p;
	return 0;
}

/* The share, once the object's size is known. */
static void share(struct ctl *c)
{
	uint64_t size = c->remote.size, bsize = blocks_size_for(size);
	uint64_t count = (size + bsize - 1) / bsize, first, end;

	shard_blocks(count, c->d->shard_k, c->d->shard_n, &first, &end);
	c->share_lo = first * bsize;
	c->share_hi = end * bsize < size ? end * bsize : size;
}

void ctl_shard_clip(const struct ctl *c, struct range *holes, size_t *n)
{
	size_t k = 0;

	if (!c->d->shard_n || c->shard_last)
		return;
	for (size_t i = 0; i < *n; i++) {
		struct range r = holes[i];

		r.start = r.start > c->share_lo ? r.start : c->share_lo;
		r.end = r.end < c->share_hi ? r.end : c->share_hi;
		if (r.start < r.end)
			holes[k++] = r;
	}
	*n = k;
}

/* Its share durable, then the lock, and what the others' journals say. */
static int done_run(struct iow_job *j, struct haul_error *err)
{
	struct ctl *c = j->ctx;
	struct stat sb;
	uint64_t bad = 0;
	int ret = ctl_durable(c, err);

	if (!ret)
		ret = shard_lock(c->store.path, &c->shard_fd, err);
	if (ret)
		return ret;
	if (stat(c->store.part_path, &sb) != 0) {
		/* Another shard gave the file its name (or it is gone). */
		snprintf(c->shard_missing, sizeof(c->shard_missing), "%s", "");
		return 0;
	}
	ret = shard_others(c->store.path, c->d->shard_k, c->d->shard_n, &c->blocks,
			   c->shard_missing, sizeof(c->shard_missing), err);
	if (ret < 0)
		return ret;
	if (!ret) {
		ctl_shard_release(c); /* not the last: the lock goes at once */
		return 0;
	}
	/* The last: every claim of the others is read back against its
	 * digest (and gives its CRCs) before the file is trusted. */
	c->shard_last = 1;
	ret = blocks_verify(&c->blocks, &c->store, &bad);
	if (ret)
		return haul_error_set(err, HAUL_EIO, "%s: %s", c->store.part_path, strerror(-ret));
	c->pn.bad = bad;
	return 0;
}

static void done_done(struct iow_job *j)
{
	struct ctl *c = j->ctx;
	int ret = j->ret;

	if (ret) {
		haul_error_set(&c->err, ret, "%s", j->err.msg ? j->err.msg : haul_code_name(ret));
		haul_error_release(&j->err);
		ctl_end(c, ret);
		return;
	}
	haul_error_release(&j->err);
	if (!c->shard_last) {
		ctl_summary(c, c->share_hi - c->share_lo);
		if (*c->shard_missing)
			msg_note(c->m, "%s: shard %u of %u is done (its share is on disk); waiting "
				 "for shard%s %s", c->store.path, c->d->shard_k, c->d->shard_n,
				 strchr(c->shard_missing, ',') ? "s" : "", c->shard_missing);
		else
			msg_note(c->m, "%s: shard %u of %u is done; another shard has completed "
				 "the file", c->store.path, c->d->shard_k, c->d->shard_n);
		ctl_report_done(c, c->share_hi - c->share_lo);
		ctl_end(c, 0);
		return;
	}
	msg_info(c->m, "%s: shard %u of %u is the last; checking the whole file",
		 c->store.path, c->d->shard_k, c->d->shard_n);
	if (!blocks_complete(&c->blocks)) {
		/* Another shard's blocks did not match their digests: this
		 * one fetches them again, wherever they are. */
		msg_warn(c->m, "%s: %" PRIu64 " block%s of other shards did not match their "
			 "digests; fetching %s again", c->store.path, c->pn.bad,
			 c->pn.bad == 1 ? "" : "s", c->pn.bad == 1 ? "it" : "them");
		ret = ctl_setup_fetch(c, 1, c->nslots, &c->err);
	} else {
		ret = ctl_finish_file(c, &c->err);
	}
	if (ret)
		ctl_end(c, ret);
}

int ctl_shard_done(struct ctl *c, struct haul_error *err)
{
	return ctl_job(c, done_run, done_done, CS_CHECK, err);
}

void ctl_shard_commit(struct ctl *c)
{
	size_t len;
	char *lock;

	if (!c->d->shard_n)
		return;
	shard_forget(c->store.path, c->d->shard_k, c->d->shard_n);
	len = strlen(c->store.path) + sizeof(SHARD_LOCK_SUFFIX);
	lock = malloc(len);
	if (lock) {
		/* A shard waiting on it then finds FILE.part gone: safe. */
		snprintf(lock, len, "%s%s", c->store.path, SHARD_LOCK_SUFFIX);
		unlink(lock);
		free(lock);
	}
	ctl_shard_release(c);
}

void ctl_shard_release(struct ctl *c)
{
	if (c->shard_fd >= 0)
		close(c->shard_fd);
	c->shard_fd = -1;
}

/* Called once the size is known (ctl_learned). */
int ctl_shard_learned(struct ctl *c, struct haul_error *err)
{
	if (!c->d->shard_n)
		return 0;
	if (!c->remote.size_known || c->remote.ranges == RANGES_NO)
		return haul_error_set(err, HAUL_ENET, "%s: --shard needs the object's size and "
				      "range requests, and the server gives %s", c->store.path,
				      c->remote.size_known ? "no ranges" : "no size");
	share(c);
	msg_info(c->m, "%s: shard %u of %u: bytes %" PRIu64 "-%" PRIu64, c->store.path,
		 c->d->shard_k, c->d->shard_n, c->share_lo, c->share_hi ? c->share_hi - 1 : 0);
	return 0;
}
