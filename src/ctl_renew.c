/*
 * ctl_renew.c -- fresh URLs for a download, without stopping anything: a
 * refresh command runs as a child whose output the loop reads as it comes,
 * the new URL is checked to name the same object by a probe on the loop's
 * multi handle, and a failed try is repeated later with growing pauses.
 * Meanwhile every other download, and every request of this one that does
 * not need the new URL, goes on.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "ctl_int.h"
#include "refresh.h"
#include "url.h"

/* Tries to get a fresh URL before giving up, and the first pause between. */
#define REFRESH_TRIES 4
#define REFRESH_BACKOFF_MS 1000

static void try_once(struct ctl *c);

/* This try ended: use the URLs, try again later, or give up. */
static void tried(struct ctl *c, int ret)
{
	struct renewal *rn = &c->rn;
	const struct refresher *rf = c->d->rf;
	struct haul_error err;

	if (!ret) {
		url_move(&c->url, &rn->nget);
		url_move(&c->head, &rn->nhead);
		free(rn->get);
		free(rn->head);
		rn->get = rn->head = NULL;
		rn->active = 0;
		ctl_renewed(c, 0, NULL);
		return;
	}
	free(rn->get);
	free(rn->head);
	rn->get = rn->head = NULL;
	url_release(&rn->nget);
	url_release(&rn->nhead);
	haul_error_init(&err);
	if (ret == HAUL_ECHANGED || ret == HAUL_EINTR) {
		haul_error_set(&err, ret, "%s", rn->err.msg ? rn->err.msg : haul_code_name(ret));
	} else if (++rn->tries < REFRESH_TRIES) {
		unsigned ms = REFRESH_BACKOFF_MS << (rn->tries - 1);

		msg_warn(c->m, "%s: renewing the URL failed (%s); trying again in %u s",
			 c->store.path, rn->err.msg ? rn->err.msg : "?", ms / 1000);
		haul_error_release(&rn->err);
		rn->wake_ms = clock_ms() + ms;
		return;
	} else {
		ret = haul_error_set(&err, HAUL_EEXPIRED, "the URL expired and %s could not renew "
				     "it: %s", rf->what, rn->err.msg ? rn->err.msg : "failed");
	}
	rn->active = 0;
	haul_error_release(&rn->err);
	ctl_renewed(c, ret, &err);
	haul_error_release(&err);
}

/* The same-object probe of the new URL ended. */
static void checked(struct probe *p)
{
	struct ctl *c = p->ctx;
	struct renewal *rn = &c->rn;
	const struct remote *r = &rn->r;
	int ret = p->ret;

	rn->probing = 0;
	if (ret)
		haul_error_set(&rn->err, ret, "%s", p->err.msg ? p->err.msg : haul_code_name(ret));
	else if (r->size_known && c->remote.size_known && r->size != c->remote.size)
		ret = haul_error_set(&rn->err, HAUL_ECHANGED, "the renewed URL names another object "
				     "(%" PRIu64 " bytes, not %" PRIu64 ")", r->size,
				     c->remote.size);
	else if (c->remote.etag && r->etag && strcmp(c->remote.etag, r->etag) != 0)
		ret = haul_error_set(&rn->err, HAUL_ECHANGED, "the renewed URL names another "
				     "object (ETag %s, not %s)", r->etag, c->remote.etag);
	probe_release(p);
	remote_release(&rn->r);
	tried(c, ret);
}

/* The source gave URLs (ret 0, rn->get/head set) or failed: check them. */
static void got(struct ctl *c, int ret)
{
	struct renewal *rn = &c->rn;

	if (!ret && url_init(&rn->nget, rn->get, "the renewed URL", &rn->err))
		ret = HAUL_EEXPIRED;
	if (!ret && rn->head && url_init(&rn->nhead, rn->head, "the renewed HEAD URL", &rn->err))
		ret = HAUL_EEXPIRED;
	if (ret || !rn->check) {
		tried(c, ret);
		return;
	}
	remote_init(&rn->r);
	rn->probing = 1;
	ret = probe_start(&rn->pr, c->net, &rn->nget, rn->nhead.text ? &rn->nhead : NULL, &rn->r,
			  checked, c);
	if (ret) {
		rn->probing = 0;
		haul_error_set(&rn->err, ret, "%s", rn->pr.err.msg ? rn->pr.err.msg : "?");
		probe_release(&rn->pr);
		tried(c, ret);
	}
}

/* A refresh command ended: its output is the URLs. */
static void command_ended(struct ctl *c)
{
	struct renewal *rn = &c->rn;
	const struct refresh_cmd *cmd = c->d->rf->cmd;
	const char *out;
	size_t len;
	int ret;

	c->item.waiting = NULL;
	ret = child_result(&rn->ch, "the refresh command", &out, &len, cmd->timeout_ms, &rn->err);
	if (!ret)
		ret = refresh_parse_output(out, len, &rn->get, &rn->head, &rn->err);
	child_release(&rn->ch);
	got(c, ret);
}

/* A result API's call ended: its answer is the URLs. */
static void api_answered(struct api_req *r)
{
	struct ctl *c = r->ctx;
	struct renewal *rn = &c->rn;
	const struct refresher *rf = c->d->rf;
	int ret = r->ret;

	rn->calling = 0;
	c->item.waiting = NULL;
	if (ret)
		haul_error_set(&rn->err, ret, "%s", r->err.msg ? r->err.msg : haul_code_name(ret));
	else
		ret = rf->answer(rf->ctx, r->json, r->status, &rn->get, &rn->head, &rn->err);
	api_release(r);
	got(c, ret);
}

static void try_once(struct ctl *c)
{
	struct renewal *rn = &c->rn;
	const struct refresher *rf = c->d->rf;
	int ret;

	rn->wake_ms = 0;
	haul_error_init(&rn->err);
	if (rf->cmd) {
		ret = child_start(&rn->ch, rf->cmd->cmd, rf->cmd->output, REFRESH_OUTPUT_MAX,
				  rf->cmd->timeout_ms, &rn->err);
		if (ret) {
			got(c, ret);
			return;
		}
		/* The progress output says what the download waits for. */
		c->item.waiting = rf->what;
		c->item.waiting_since = clock_ms();
		return; /* ctl_renew_tick reads it */
	}
	if (rf->cached && rf->cached(rf->ctx, &rn->get)) {
		/* Another download's call brought this one's URL too. */
		got(c, 0);
		return;
	}
	if (rf->call) {
		/* A result API: its call is one more transfer of the loop. */
		struct api_call call;

		ret = rf->call(rf->ctx, &call, &rn->err);
		if (!ret) {
			rn->calling = 1;
			c->item.waiting = rf->what;
			c->item.waiting_since = clock_ms();
			ret = api_start(&rn->api, c->net, &call, api_answered, c);
			if (ret) {
				rn->calling = 0;
				c->item.waiting = NULL;
				haul_error_set(&rn->err, ret, "%s", rn->api.err.msg ? rn->api.err.msg
										: "?");
				api_release(&rn->api);
			}
		}
		if (ret)
			got(c, ret);
		return;
	}
	ret = rf->fetch(rf->ctx, &rn->get, &rn->head, &rn->err);
	got(c, ret);
}

int ctl_renew_start(struct ctl *c, int check, struct haul_error *err)
{
	struct renewal *rn = &c->rn;

	(void)err;
	if (rn->active)
		return 0;
	rn->active = 1;
	rn->check = check;
	rn->tries = 0;
	try_once(c);
	return 0;
}

long ctl_renew_tick(struct ctl *c)
{
	struct renewal *rn = &c->rn;
	uint64_t now = clock_ms();

	if (!rn->active)
		return 1000;
	if (rn->probing)
		return probe_tick(&rn->pr);
	if (rn->calling)
		return api_tick(&rn->api);
	if (rn->ch.state == CHILD_RUNNING) {
		if (child_step(&rn->ch)) {
			uint64_t dl = child_deadline(&rn->ch);

			/* Its output wakes the loop; its end without output does
			 * not (it may have closed it early): look again soon. */
			if (child_fd(&rn->ch) < 0)
				return 50;
			return dl > now ? (long)(dl - now < 1000 ? dl - now : 1000) : 0;
		}
		command_ended(c);
		return 0;
	}
	if (rn->wake_ms && now >= rn->wake_ms) {
		try_once(c);
		return 0;
	}
	return rn->wake_ms ? (long)(rn->wake_ms - now) : 1000;
}

int ctl_renew_fd(const struct ctl *c)
{
	return c->rn.active ? child_fd(&c->rn.ch) : -1;
}

void ctl_renew_release(struct ctl *c)
{
	struct renewal *rn = &c->rn;

	child_release(&rn->ch);
	if (rn->probing)
		probe_release(&rn->pr);
	if (rn->calling)
		api_release(&rn->api);
	rn->probing = rn->calling = 0;
	c->item.waiting = NULL;
	remote_release(&rn->r);
	free(rn->get);
	free(rn->head);
	rn->get = rn->head = NULL;
	url_release(&rn->nget);
	url_release(&rn->nhead);
	haul_error_release(&rn->err);
	rn->active = 0;
}
