/*
 * ctl_stream.c -- the -o - download's start and end. It is the only download
 * of its run, so it probes, and drains its window to standard output through
 * the checks, in line: nothing else waits for the loop meanwhile.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "ctl_int.h"

/* -o -: one download, probed and set up in line (nothing else runs). */
int ctl_start_stream(struct ctl *c, struct haul_error *err)
{
	int ret = probe_run(c->net, &c->url, ctl_head(c), c->stop, &c->remote, err);

	if (ret == HAUL_EEXPIRED && c->d->rf) {
		char *get = NULL, *head = NULL;

		ret = c->d->rf->fetch(c->d->rf->ctx, &get, &head, err);
		if (!ret) {
			struct url nget = { 0 }, nhead = { 0 };

			ret = url_init(&nget, get, "the renewed URL", err);
			if (!ret && head)
				ret = url_init(&nhead, head, "the renewed HEAD URL", err);
			if (!ret) {
				url_move(&c->url, &nget);
				url_move(&c->head, &nhead);
				ret = probe_run(c->net, &c->url, ctl_head(c), c->stop, &c->remote, err);
			}
			url_release(&nget);
			url_release(&nhead);
			free(get);
			free(head);
		}
	}
	if (!ret)
		ret = ctl_learned(c, err);
	if (!ret)
		ret = stream_open(&c->out, STDOUT_FILENO, c->o->window, c->remote.size_known ?
				  c->remote.size : UINT64_MAX, &c->v, c->net->multi, err);
	if (!ret)
		ret = ctl_setup_fetch(c, c->remote.size_known && c->remote.ranges != RANGES_NO,
				      c->nslots, err);
	return ret;
}

/* -o -: the rest of the window goes out, through the checks. */
int ctl_end_stream(struct ctl *c, struct haul_error *err)
{
	uint64_t size = c->remote.size_known ? c->remote.size : c->plan.segs[0].end;
	char *cause;
	int ret = stream_finish(&c->out, size, c->stop, err);

	if (ret)
		return stream_stopped(&c->out, ret, err);
	ret = verify_finish(&c->v, err);
	if (!ret || ret == HAUL_EINTEGRITY)
		ctl_report_checks(c);
	if (ret == HAUL_EINTEGRITY) {
		cause = err->msg;
		err->msg = NULL;
		haul_error_set(err, ret, "the data written to %s did not match: %s", c->store.path,
			       cause ? cause : "integrity check failed");
		free(cause);
	}
	if (ret)
		return ret;
	ctl_summary(c, size);
	ctl_report_done(c, size);
	ctl_say_checks(c);
	return 0;
}
