/*
 * syncer.c -- the checkpoint thread (see syncer.h).
 */
#include "config.h"

#include <signal.h>
#include <string.h>

#include "syncer.h"

void syncer_init(struct syncer *s, struct store *st, struct journal *j, CURLM *wake)
{
	memset(s, 0, sizeof(*s));
	s->st = st;
	s->j = j;
	s->wake = wake;
	haul_error_init(&s->err);
}

static void *run(void *arg)
{
	struct syncer *s = arg;

	pthread_mutex_lock(&s->mu);
	for (;;) {
		struct haul_error err;
		int ret;

		while (!s->busy && !s->quit)
			pthread_cond_wait(&s->cv, &s->mu);
		if (!s->busy)
			break; /* quit, with nothing left to do */
		pthread_mutex_unlock(&s->mu);

		/* Writeback always; for a sync, the data before the journal:
		 * not needed for safety (the digests are), but then the
		 * journal's durable claims are mostly durable bytes too, and
		 * resume after a power cut throws little away. */
		haul_error_init(&err);
		ret = store_writeback(s->st, &err);
		if (!ret && s->full)
			ret = store_sync(s->st, &err);
		if (!ret && s->full && s->j)
			ret = s->u.rlen ? journal_write(s->j, &s->u, &err) : journal_sync(s->j, &err);

		pthread_mutex_lock(&s->mu);
		journal_update_release(&s->u);
		haul_error_release(&s->err);
		s->err = err;
		s->ret = ret;
		s->have_result = 1;
		s->busy = 0;
		pthread_cond_broadcast(&s->cv);
		if (s->wake)
			curl_multi_wakeup(s->wake);
	}
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

int syncer_submit(struct syncer *s, int full, struct journal_update *u, uint64_t vouch,
		  struct haul_error *err)
{
	if (!s->started) {
		sigset_t all, old;
		int rc;

		if (pthread_mutex_init(&s->mu, NULL) != 0)
			return haul_error_set(err, HAUL_EFAIL, "cannot create a mutex");
		if (pthread_cond_init(&s->cv, NULL) != 0) {
			pthread_mutex_destroy(&s->mu);
			return haul_error_set(err, HAUL_EFAIL, "cannot create a condition variable");
		}
		/* Signals are for the loop's thread: the helper blocks them all. */
		sigfillset(&all);
		pthread_sigmask(SIG_BLOCK, &all, &old);
		rc = pthread_create(&s->thread, NULL, run, s);
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		if (rc != 0) {
			pthread_cond_destroy(&s->cv);
			pthread_mutex_destroy(&s->mu);
			return haul_error_set(err, HAUL_EFAIL, "cannot start the checkpoint thread");
		}
		s->started = 1;
	}
	pthread_mutex_lock(&s->mu);
	if (u) {
		s->u = *u;
		memset(u, 0, sizeof(*u));
	}
	s->full = full;
	s->vouch = vouch;
	s->busy = 1;
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
	return 0;
}

/* With the lock held: hand over a finished job's result. */
static int reap(struct syncer *s, uint64_t *vouch, struct haul_error *err)
{
	int ret;

	if (!s->have_result)
		return 0;
	s->have_result = 0;
	ret = s->ret;
	if (ret) {
		haul_error_release(err);
		*err = s->err;
		haul_error_init(&s->err);
	} else if (s->full) {
		*vouch = s->vouch;
	}
	return ret;
}

int syncer_poll(struct syncer *s, uint64_t *vouch, struct haul_error *err)
{
	int ret;

	if (!s->started)
		return 0;
	pthread_mutex_lock(&s->mu);
	ret = s->busy ? 1 : reap(s, vouch, err);
	pthread_mutex_unlock(&s->mu);
	return ret;
}

int syncer_wait(struct syncer *s, uint64_t *vouch, struct haul_error *err)
{
	int ret;

	if (!s->started)
		return 0;
	pthread_mutex_lock(&s->mu);
	while (s->busy)
		pthread_cond_wait(&s->cv, &s->mu);
	ret = reap(s, vouch, err);
	pthread_mutex_unlock(&s->mu);
	return ret;
}

void syncer_release(struct syncer *s)
{
	if (s->started) {
		pthread_mutex_lock(&s->mu);
		s->quit = 1;
		pthread_cond_broadcast(&s->cv);
		pthread_mutex_unlock(&s->mu);
		pthread_join(s->thread, NULL);
		pthread_cond_destroy(&s->cv);
		pthread_mutex_destroy(&s->mu);
		s->started = 0;
	}
	journal_update_release(&s->u);
	haul_error_release(&s->err);
}
