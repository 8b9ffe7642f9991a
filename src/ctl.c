/*
 * ctl.c -- drives one download and reports on it.
 */
#include "config.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "ctl.h"
#include "fetch.h"
#include "net.h"
#include "plan.h"
#include "probe.h"
#include "store.h"
#include "url.h"

struct ctl {
	const struct opts *o;         /* borrowed */
	const struct msg *m;          /* borrowed */
	volatile sig_atomic_t *stop;  /* borrowed */
	struct net net;
	struct remote remote;
	struct store store;
	struct plan plan;
	char *output;                 /* owned: the target path */
	double t0;
};

static void on_event(void *ctx, const struct fetch_event *ev)
{
	const struct ctl *c = ctx;

	switch (ev->kind) {
	case FEV_REQUEST:
		if (ev->last == UINT64_MAX)
			msg_info(c->m, "[%u] GET (whole object)", ev->slot);
		else
			msg_info(c->m, "[%u] GET bytes %" PRIu64 "-%" PRIu64, ev->slot, ev->first,
				 ev->last);
		break;
	case FEV_STEAL:
		msg_info(c->m, "[%u] takes over bytes %" PRIu64 "-%" PRIu64 " from a busy range",
			 ev->slot, ev->first, ev->last);
		break;
	case FEV_RETRY:
		msg_info(c->m, "[%u] %s; retrying in %" PRIu64 " ms", ev->slot, ev->why,
			 ev->delay_ms);
		break;
	}
}

static void say_remote(const struct ctl *c)
{
	const struct remote *r = &c->remote;
	static const char *const ranges[] = { "unknown", "yes", "no" };

	if (r->size_known)
		msg_info(c->m, "%s: %" PRIu64 " bytes, ETag %s, Last-Modified %s, ranges %s",
			 r->method, r->size, r->etag ? r->etag : "(none)",
			 r->last_modified ? r->last_modified : "(none)", ranges[r->ranges]);
	else
		msg_info(c->m, "%s: size unknown, ETag %s; one stream", r->method,
			 r->etag ? r->etag : "(none)");
}

static int fetch_all(struct ctl *c, int ranged, struct fetch_stats *st, struct haul_error *err)
{
	const struct remote *r = &c->remote;
	struct fetch f = {
		.net = &c->net,
		.plan = &c->plan,
		.store = &c->store,
		.url = c->o->url,
		.size_known = r->size_known,
		.stop = c->stop,
		.on_event = on_event,
		.event_ctx = c,
	};
	uint64_t size = r->size_known ? r->size : UINT64_MAX;
	int ret;

	f.ranged = ranged;
	f.nslots = ranged ? (unsigned)c->o->connections : 1;
	if (plan_init(&c->plan, size, f.nslots, c->o->min_split))
		return haul_error_set(err, HAUL_EFAIL, "out of memory");
	ret = fetch_run(&f, err);
	st->bytes += f.stats.bytes;
	st->requests += f.stats.requests;
	st->retries += f.stats.retries;
	st->steals += f.stats.steals;
	if (f.stats.slots > st->slots)
		st->slots = f.stats.slots;
	return ret;
}

static void summary(const struct ctl *c, uint64_t size, const struct fetch_stats *st)
{
	unsigned conns = st->slots;

	double secs = clock_sec() - c->t0;
	double rate = secs > 0 ? (double)st->bytes / secs / (1024.0 * 1024.0) : 0;

	msg_note(c->m, "saved %s: %" PRIu64 " bytes in %.2f s (%.1f MiB/s), %u connection%s, "
		 "%u request%s, %u retr%s", c->output, size, secs, rate, conns,
		 conns == 1 ? "" : "s", st->requests, st->requests == 1 ? "" : "s",
		 st->retries, st->retries == 1 ? "y" : "ies");
}

static int run(struct ctl *c, struct haul_error *err)
{
	const struct opts *o = c->o;
	struct fetch_stats st = { 0 };
	int ret, ranged;
	uint64_t size;

	ret = store_open(&c->store, c->output, o->force, err);
	if (ret)
		return ret;
	ret = net_init(&c->net, o, err);
	if (ret)
		return ret;
	ret = probe_run(&c->net, o->url, o->head_url, c->stop, &c->remote, err);
	if (ret)
		return ret;
	say_remote(c);
	if (c->remote.size_known) {
		ret = store_preallocate(&c->store, c->remote.size, err);
		if (ret)
			return ret;
	}
	ranged = c->remote.size_known && c->remote.ranges != RANGES_NO;
	ret = fetch_all(c, ranged, &st, err);
	if (ret == FETCH_NO_RANGES) {
		msg_info(c->m, "the server ignores Range requests; fetching as one stream");
		plan_release(&c->plan);
		ranged = 0;
		ret = fetch_all(c, ranged, &st, err);
	}
	if (ret)
		return ret;
	size = c->remote.size_known ? c->remote.size : c->plan.segs[0].end;
	ret = store_commit(&c->store, o->force, err);
	if (ret)
		return ret;
	summary(c, size, &st);
	return 0;
}

int ctl_run(const struct opts *o, const struct msg *m, volatile sig_atomic_t *stop,
	    struct haul_error *err)
{
	struct ctl c = { .o = o, .m = m, .stop = stop, .t0 = clock_sec() };
	int ret;

	remote_init(&c.remote);
	store_init(&c.store, NULL);
	ret = url_check(o->url, "URL", err);
	if (!ret && o->head_url)
		ret = url_check(o->head_url, "--head-url", err);
	if (ret)
		return ret;
	if (o->output) {
		c.output = strdup(o->output);
		if (!c.output)
			return haul_error_set(err, HAUL_EFAIL, "out of memory");
	} else {
		ret = url_filename(o->url, &c.output, err);
		if (ret)
			return ret;
	}
	ret = run(&c, err);
	if (ret)
		store_discard(&c.store);
	plan_release(&c.plan);
	store_release(&c.store);
	remote_release(&c.remote);
	net_release(&c.net);
	free(c.output);
	return ret;
}
