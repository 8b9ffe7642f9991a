/*
 * batch.c -- many downloads in one run: a queue worked through o->jobs at a
 * time, all of them in one transfer loop on one multi handle, sharing one
 * budget of connections. Each download's own life (probe, resume, fetch,
 * verify, commit) is in ctl.c; this file only starts, drives and ends them.
 */
#include "config.h"

#include <stdlib.h>

#include "ctl.h"
#include "fetch.h"
#include "net.h"
#include "report.h"

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
	struct job *jobs;       /* owned, njobs of them */
	unsigned njobs;
	struct fetch **fs;      /* owned: room for njobs */
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
 * connections among those that will run at once. While others transfer,
 * the probes run on private multi handles (net.busy), so they cannot take
 * the loop's messages.
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
		b->net.busy = b->active > 0;
		ret = ctl_open(&j->c, b->o, b->m, b->stop, b->ops, &b->ds[b->next++], &b->net,
			       share ? share : 1, &j->err);
		b->net.busy = 0;
		if (ret == CTL_NOTHING)
			ret = 0;
		if (ret || !ctl_fetch(j->c)) {
			settle(b, j, ret);
			continue;
		}
		b->active++;
	}
}

/* Drive the transfers until one download ends; conclude the ended ones. */
static void drive(struct batch *b)
{
	size_t nf = 0;

	for (unsigned i = 0; i < b->njobs; i++)
		if (b->jobs[i].c)
			b->fs[nf++] = ctl_fetch(b->jobs[i].c);
	fetch_drive(b->fs, nf, b->net.multi, b->stop, b->next < b->n);
	for (unsigned i = 0; i < b->njobs; i++) {
		struct job *j = &b->jobs[i];

		if (j->c && ctl_fetch(j->c)->done) {
			settle(b, j, ctl_conclude(j->c, &j->err));
			b->active--;
		}
	}
}

int ctl_batch(const struct opts *o, const struct msg *m, volatile sig_atomic_t *stop,
	      const struct store_ops *ops, const struct download *ds, size_t n,
	      struct haul_error *err)
{
	struct batch b = { .o = o, .m = m, .stop = stop, .ops = ops, .ds = ds, .n = n };
	int ret;

	b.njobs = o->jobs && o->jobs < n ? (unsigned)o->jobs : n ? (unsigned)n : 1;
	haul_error_init(&b.first_err);
	b.jobs = calloc(b.njobs, sizeof(*b.jobs));
	b.fs = calloc(b.njobs, sizeof(*b.fs));
	ret = b.jobs && b.fs ? net_init(&b.net, o, err)
			     : haul_error_set(err, HAUL_EFAIL, "out of memory");
	while (!ret && (b.next < n || b.active)) {
		fill(&b);
		if (b.active)
			drive(&b);
		else if (b.next < n)
			break; /* interrupted before it could start more */
	}
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
	if (b.jobs)
		net_release(&b.net);
	free(b.jobs);
	free(b.fs);
	return ret;
}

int ctl_run(const struct opts *o, const struct msg *m, volatile sig_atomic_t *stop,
	    const struct store_ops *ops, struct haul_error *err)
{
	struct refresh_cmd rc = { o->refresh_cmd, o->refresh_timeout_ms, o->output, stop };
	struct refresher rf = { refresh_cmd_fetch, &rc, "--refresh-cmd" };
	struct download d = {
		.url = o->url,
		.head_url = o->head_url,
		.output = o->output,
		.expect_size = -1,
		.rf = o->refresh_cmd ? &rf : NULL,
	};

	return ctl_batch(o, m, stop, ops, &d, 1, err);
}
