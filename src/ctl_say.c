/*
 * ctl_say.c -- what a download tells the user and the progress display:
 * its requests and retries (-v), what the server said, checkpoints, the
 * summary, each check's outcome.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "ctl_int.h"
#include "url.h"

void ctl_on_event(void *ctx, const struct fetch_event *ev)
{
	struct ctl *c = ctx;

	switch (ev->kind) {
	case FEV_REQUEST:
		if (ev->last == UINT64_MAX)
			msg_info(c->m, "[%u] GET (whole object)", ev->slot);
		else
			msg_info(c->m, "[%u] GET bytes %" PRIu64 "-%" PRIu64, ev->slot, ev->first,
				 ev->last);
		break;
	case FEV_DONE:
		msg_debug(c->m, "[%u] done: %" PRIu64 " bytes in %" PRIu64 " ms (first byte after %"
			  PRIu64 " ms)", ev->slot, ev->bytes, ev->ms, ev->wait_ms);
		break;
	case FEV_STEAL:
		msg_info(c->m, "[%u] takes over bytes %" PRIu64 "-%" PRIu64 " from a busy range",
			 ev->slot, ev->first, ev->last);
		break;
	case FEV_RETRY:
		msg_info(c->m, "[%u] %s; retrying in %" PRIu64 " ms", ev->slot, ev->why,
			 ev->delay_ms);
		if (c->m->rep)
			report_retry(c->m->rep, &c->item, ev->first, ev->last, ev->status, ev->why,
				     ev->delay_ms);
		break;
	case FEV_EXPIRED:
		msg_info(c->m, "[%u] the URL was refused as expired (%s)", ev->slot, ev->why);
		break;
	case FEV_POLITE:
		msg_warn(c->m, "%s: the server asks to slow down (429/503); now at most %u "
			 "connections", c->store.path, ev->slot);
		break;
	case FEV_RAMP:
		msg_info(c->m, "%.1f MiB/s measured; now using up to %u connections",
			 (double)ev->bytes / (1024.0 * 1024.0), ev->slot);
		break;
	case FEV_RESCUE:
		msg_info(c->m, "[%u] takes over bytes %" PRIu64 "-%" PRIu64 " from a slow connection",
			 ev->slot, ev->first, ev->last);
		break;
	case FEV_DEADLINE:
		msg_warn(c->m, "%s: the URL expires in %" PRId64 " s but the download needs about "
			 "%" PRId64 " s more; --refresh-cmd would renew it in flight",
			 c->store.path, ev->left_s, ev->need_s);
		break;
	}
}

/* The journal vouches for more now: say so (a "checkpoint" event). */
void ctl_note_saved(struct ctl *c, uint64_t vouch)
{
	if (vouch > c->saved && c->journaling && c->reported && c->m->rep)
		report_checkpoint(c->m->rep, &c->item, vouch);
	c->saved = vouch;
}

void ctl_say_remote(const struct ctl *c)
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

/* Once per round of the transfer loop: the numbers the display shows. */
void ctl_on_round(void *ctx)
{
	struct ctl *c = ctx;

	c->item.done = c->had + c->st.bytes + c->f.stats.bytes;
	c->item.conns = fetch_receiving(&c->f);
	c->item.retries = c->st.retries + c->f.stats.retries;
	c->item.refreshes = c->st.refreshes + c->f.stats.refreshes;
	report_tick(c->m->rep, 0);
}

/* The download appears on the display (once, even when it restarts). */
void ctl_report_begin(struct ctl *c, unsigned nslots)
{
	if (!c->m->rep || c->reported)
		return;
	c->item.etag = c->remote.etag;
	c->item.size = c->remote.size;
	c->item.size_known = c->remote.size_known;
	c->item.had = c->had;
	c->item.max_conns = nslots;
	c->item.plan = c->remote.size_known ? &c->plan : NULL;
	c->item.url = strdup(c->url.shown);
	report_start(c->m->rep, &c->item);
	c->reported = 1;
}

/* The "finish" event: the download is complete under its name. */
void ctl_report_done(struct ctl *c, uint64_t size)
{
	struct report_finish f = {
		.bytes = size, .fetched = c->st.bytes, .wasted = c->st.wasted,
		.seconds = clock_sec() - c->t0, .requests = c->st.requests,
		.connections = c->st.slots, .retries = c->st.retries, .refreshes = c->st.refreshes,
	};

	if (!c->m->rep)
		return;
	ctl_report_begin(c, 0); /* nothing fetched: it still starts and ends */
	c->item.done = size;
	report_finish(c->m->rep, &c->item, &f);
}

void ctl_summary(const struct ctl *c, uint64_t size)
{
	const struct fetch_stats *st = &c->st;
	double secs = clock_sec() - c->t0;
	double rate = secs > 0 ? (double)st->bytes / secs / (1024.0 * 1024.0) : 0;
	char had[64] = "", ren[48] = "", waste[64] = "";

	if (!st->requests && !c->streaming) {
		msg_note(c->m, "saved %s: %" PRIu64 " bytes, all of them on disk already", c->store.path,
			 size);
		return;
	}
	if (c->had)
		snprintf(had, sizeof(had), "; %" PRIu64 " were on disk already", c->had);
	if (st->refreshes)
		snprintf(ren, sizeof(ren), ", %u URL renewal%s", st->refreshes,
			 st->refreshes == 1 ? "" : "s");
	/* Egress paid for and not kept (cut requests, error bodies): say it. */
	if (st->wasted)
		snprintf(waste, sizeof(waste), ", %" PRIu64 " bytes received and not kept",
			 st->wasted);
	msg_note(c->m, "%s%s: %" PRIu64 " bytes in %.2f s (%.1f MiB/s), %u connection%s, "
		 "%u request%s, %u retr%s%s%s%s", c->streaming ? "streamed to " : "saved ",
		 c->store.path, size, secs, rate, st->slots,
		 st->slots == 1 ? "" : "s", st->requests, st->requests == 1 ? "" : "s",
		 st->retries, st->retries == 1 ? "y" : "ies", ren, waste, had);
}

/* Each check's outcome as a "verify" event, and what was not checked. */
void ctl_report_checks(struct ctl *c)
{
	char want[2 * DIGEST_MAX + 24];

	for (size_t i = 0; c->m->rep && i < c->v.n; i++) {
		const struct verify_check *k = &c->v.checks[i];

		verify_expected(k, want, sizeof(want));
		report_verify(c->m->rep, &c->item, k->label, verify_result_name(k), want,
			      k->got[0] ? k->got : NULL, verify_result_why(k));
	}
	for (unsigned i = 0; c->m->rep && i < c->tplan.nnotes; i++)
		report_verify(c->m->rep, &c->item, c->tplan.notes[i].check, "unchecked", NULL, NULL,
			      c->tplan.notes[i].why);
}

/* The checks' lines for the summary, and the warning of an untrusted one. */
void ctl_say_checks(const struct ctl *c)
{
	const struct verify_check *untrusted = NULL;
	int verified = 0;

	for (size_t i = 0; i < c->v.n; i++) {
		const struct verify_check *k = &c->v.checks[i];
		char line[200];

		verify_describe(k, line, sizeof(line));
		msg_note(c->m, "%s", line);
		verified |= k->result == VERIFY_OK;
		if (k->result == VERIFY_UNTRUSTED && !untrusted)
			untrusted = k;
	}
	for (unsigned i = 0; i < c->tplan.nnotes; i++)
		msg_note(c->m, "not checked: %s (%s)", c->tplan.notes[i].check, c->tplan.notes[i].why);
	if (untrusted)
		msg_warn(c->m, "%s: %s; %s", c->store.path, verify_result_why(untrusted),
			 verified ? "the other checks passed" : "nothing verified it");
}
