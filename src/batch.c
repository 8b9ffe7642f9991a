/*
 * batch.c -- the one loop: a queue of downloads worked through o->jobs at a
 * time, all of them on one multi handle (one connection cache), sharing one
 * budget of connections and the I/O workers. Each round ticks every
 * download (ctl.c: what is due), lets libcurl move bytes, hands finished
 * transfers to their owners (loop.c) and finished disk work to its callers
 * (iow.c), and sleeps in curl_multi_poll until the next of these -- or a
 * refresh command's output -- can move. Nothing in it waits for anything
 * else: a download that ends frees its place for the next at once.
 */
#include "config.h"

#include <poll.h>
#include <stdlib.h>

#include "batch.h"
#include "ctl.h"
#include "fetch.h"
#include "iow.h"
#include "loop.h"
#include "net.h"
#include "report.h"

/* Refresh commands running at once whose output the loop watches. */
#define MAX_FDS 64

/* A place for one download under way. */
struct job {
	struct ctl *c;          /* owned, NULL: free */
	struct haul_error err;
};

struct batch {
	const struct opts *o;
	const struct msg *m;
	volatile sig_atomic_t *stop;
	const struct store_ops *ops;
	const struct download *ds;
	size_t n;
	struct net net;
	struct iow io;
	struct job *jobs;       /* owned, njobs of them */
	unsigned njobs;
	size_t next;            /* the first download not started yet */
	unsigned active;
	size_t failed;
	int first;              /* the first failure's code */
	struct haul_error first_err;
};

/* A download ended with ret: count it, say so, free its place. */
static void settle(struct batch *b, struct job *j, int ret)
{
	if (ret < 0) {
		const char *why = j->err.msg ? j->err.msg : haul_code_name(ret);
		int shown = b->m->rep &&
			    report_error(b->m->rep, ctl_item(j->c), haul_exit_status(ret), why);

		b->failed++;
		if (!b->first) {
			b->first = ret;
			haul_error_set(&b->first_err, ret, "%s", why);
		}
		if (b->n > 1 && !shown)
			msg_err(b->m, "%s", why);
	}
	ctl_close(j->c, ret < 0);
	j->c = NULL;
	haul_error_release(&j->err);
}

/*
 * Start downloads while there is room. Each gets an equal share of the
 * connections among those that will run at once. Starting one only sends
 * its first request.
 */
static void fill(struct batch *b)
{
	unsigned total = (unsigned)(b->o->connections ? b->o->connections : b->o->max_connections);

	while (b->active < b->njobs && b->next < b->n && !(b->stop && *b->stop)) {
		struct job *j = b->jobs;
		size_t left = b->n - b->next;
		unsigned at_once = b->active + (left < b->njobs - b->active ? (unsigned)left
								 : b->njobs - b->active);
		unsigned share = total / (at_once ? at_once : 1);
		int ret;

		while (j->c)
			j++;
		haul_error_init(&j->err);
		ret = ctl_open(&j->c, b->o, b->m, b->stop, b->ops, &b->ds[b->next++], &b->net,
			       &b->io, share ? share : 1, &j->err);
		if (ret) {
			settle(b, j, ret);
			continue;
		}
		b->active++;
	}
}

/* Tick every download; settle those that ended. The wait until the next tick. */
static long tick(struct batch *b)
{
	long wait = 1000;

	for (unsigned i = 0; i < b->njobs; i++) {
		struct job *j = &b->jobs[i];
		long w;

		if (!j->c)
			continue;
		w = ctl_tick(j->c);
		if (ctl_done(j->c, &j->err)) {
			int ret = ctl_result(j->c);

			settle(b, j, ret == CTL_NOTHING ? 0 : ret);
			b->active--;
			wait = 0; /* its place is free: fill it now */
			continue;
		}
		wait = w < wait ? w : wait;
	}
	return wait;
}

/* Wait for transfers, disk work (it wakes the multi handle) or a command. */
static void sleep_until(struct batch *b, long wait)
{
	struct curl_waitfd fds[MAX_FDS];
	unsigned n = 0;

	for (unsigned i = 0; i < b->njobs && n < MAX_FDS; i++) {
		int fd = b->jobs[i].c ? ctl_fd(b->jobs[i].c) : -1;

		if (fd >= 0) {
			fds[n].fd = fd;
			fds[n].events = CURL_WAIT_POLLIN;
			fds[n++].revents = 0;
		}
	}
	curl_multi_poll(b->net.multi, n ? fds : NULL, n, (int)(wait > 0 ? wait : 0), NULL);
}

static void run(struct batch *b)
{
	for (;;) {
		long wait;
		int running;
		unsigned moved;

		fill(b);
		if (!b->active)
			break;
		wait = tick(b);
		if (!b->active && !(b->next < b->n && !(b->stop && *b->stop)))
			break;
		if (curl_multi_perform(b->net.multi, &running) != CURLM_OK)
			break; /* each download then fails as its transfers do */
		moved = xfer_dispatch(b->net.multi) + iow_reap(&b->io);
		for (unsigned i = 0; i < b->njobs && !moved; i++)
			moved = b->jobs[i].c && ctl_due(b->jobs[i].c);
		if (!moved && wait)
			sleep_until(b, wait);
	}
}

int batch_run(const struct opts *o, const struct msg *m, volatile sig_atomic_t *stop,
	      const struct store_ops *ops, const struct download *ds, size_t n,
	      struct haul_error *err)
{
	struct batch b = { .o = o, .m = m, .stop = stop, .ops = ops, .ds = ds, .n = n };
	int ret = 0, netted = 0, io = 0;

	b.njobs = o->jobs && o->jobs < n ? (unsigned)o->jobs : n ? (unsigned)n : 1;
	haul_error_init(&b.first_err);
	b.jobs = calloc(b.njobs, sizeof(*b.jobs));
	if (!b.jobs)
		ret = haul_error_set(err, HAUL_EFAIL, "out of memory");
	if (!ret && !(ret = net_init(&b.net, o, err)))
		netted = 1;
	if (!ret && iow_init(&b.io, b.net.multi))
		ret = haul_error_set(err, HAUL_EFAIL, "cannot set up the I/O threads");
	else if (!ret)
		io = 1;
	if (!ret) {
		b.net.busy = 1;
		run(&b);
		b.net.busy = 0;
	}
	/* Whatever is still open (the loop broke): end it, so it is counted. */
	for (unsigned i = 0; b.jobs && i < b.njobs; i++)
		if (b.jobs[i].c) {
			haul_error_set(&b.jobs[i].err, HAUL_EFAIL, "the transfer loop failed");
			settle(&b, &b.jobs[i], HAUL_EFAIL);
		}
	if (io)
		iow_release(&b.io);
	if (!ret && b.next < n) {
		/* Stopped with downloads not started: they did not happen. */
		b.failed += n - b.next;
		if (!b.first)
			b.first = HAUL_EINTR;
		if (n > 1)
			msg_err(m, "interrupted: %zu of %zu downloads not started", n - b.next, n);
	}
	if (ret)
		;
	else if (b.failed && n == 1)
		ret = haul_error_set(err, b.first, "%s", b.first_err.msg ? b.first_err.msg
							      : haul_code_name(b.first));
	else if (b.failed)
		ret = haul_error_set(err, b.first, "%zu of %zu downloads failed", b.failed, n);
	else if (n > 1)
		msg_note(m, "all %zu downloads saved", n);
	haul_error_release(&b.first_err);
	if (netted)
		net_release(&b.net);
	free(b.jobs);
	return ret;
}

int batch_run_one(const struct opts *o, const struct msg *m, volatile sig_atomic_t *stop,
		  const struct store_ops *ops, struct haul_error *err)
{
	struct refresh_cmd rc = { o->refresh_cmd, o->refresh_timeout_ms, o->output, stop };
	struct refresher rf = { refresh_cmd_fetch, &rc, "--refresh-cmd", &rc, NULL, NULL };
	struct download d = {
		.url = o->url,
		.head_url = o->head_url,
		.output = o->output,
		.expect_size = -1,
		.rf = o->refresh_cmd ? &rf : NULL,
		.shard_k = o->shard_k,
		.shard_n = o->shard_n,
	};

	return batch_run(o, m, stop, ops, &d, 1, err);
}
