/*
 * iow.c -- the I/O workers: a queue, up to IOW_THREADS threads, and group
 * commit for jobs that finish files.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "iow.h"
#include "store.h"

#define GROUP_MAX 64 /* files finished in one group */

int iow_init(struct iow *w, CURLM *wake)
{
	memset(w, 0, sizeof(*w));
	w->wake = wake;
	if (pthread_mutex_init(&w->mu, NULL))
		return -1;
	if (pthread_cond_init(&w->cv, NULL)) {
		pthread_mutex_destroy(&w->mu);
		return -1;
	}
	w->ready = 1;
	return 0;
}

/* Take the next job, and with a commit every other queued commit. */
static size_t take(struct iow *w, struct iow_job **group)
{
	struct iow_job *j = w->queue, **pp;
	size_t n = 0;

	w->queue = j->next;
	group[n++] = j;
	if (j->kind == IOW_COMMIT) {
		for (pp = &w->queue; *pp && n < GROUP_MAX;) {
			if ((*pp)->kind == IOW_COMMIT) {
				group[n++] = *pp;
				*pp = (*pp)->next;
			} else {
				pp = &(*pp)->next;
			}
		}
	}
	w->queue_tail = NULL;
	for (struct iow_job *q = w->queue; q; q = q->next)
		w->queue_tail = q;
	return n;
}

static int same_dir(const char *a, const char *b)
{
	const char *sa = strrchr(a, '/'), *sb = strrchr(b, '/');
	size_t la = sa ? (size_t)(sa - a) : 0, lb = sb ? (size_t)(sb - b) : 0;

	return la == lb && (!la || !memcmp(a, b, la));
}

/*
 * Finish n files: start the writeback of all, then sync and rename each
 * (after the first, the filesystem's journal commit has usually covered the
 * others), then sync each directory once. A failure is that job's alone.
 */
static void commit_group(struct iow_job **g, size_t n)
{
	for (size_t i = 0; i < n; i++) {
#ifdef SYNC_FILE_RANGE_WRITE
		(void)sync_file_range(g[i]->st->fd, 0, 0, SYNC_FILE_RANGE_WRITE);
#endif
		haul_error_init(&g[i]->err);
	}
	for (size_t i = 0; i < n; i++)
		g[i]->ret = store_finish(g[i]->st, g[i]->replace, &g[i]->err);
	/* Each directory once: the first job in it syncs it for all. */
	for (size_t i = 0; i < n; i++) {
		size_t lead = i;
		int r;

		if (g[i]->ret)
			continue;
		for (size_t k = 0; k < i && lead == i; k++)
			if (!g[k]->ret && same_dir(g[k]->st->path, g[i]->st->path))
				lead = k;
		if (lead != i)
			continue;
		r = store_fsync_dir(g[i]->st->path) ? errno : 0;
		for (size_t k = i; k < n && r; k++)
			if (!g[k]->ret && same_dir(g[k]->st->path, g[i]->st->path))
				g[k]->ret = haul_error_set(&g[k]->err, HAUL_EIO, "syncing the "
							   "directory of %s: %s", g[k]->st->path,
							   strerror(r));
	}
}

static void *worker(void *arg)
{
	struct iow *w = arg;
	struct iow_job *group[GROUP_MAX];

	pthread_mutex_lock(&w->mu);
	for (;;) {
		size_t n;

		while (!w->queue && !w->quit) {
			w->idle++;
			pthread_cond_wait(&w->cv, &w->mu);
			w->idle--;
		}
		if (!w->queue)
			break; /* quit, with nothing left to do */
		n = take(w, group);
		pthread_mutex_unlock(&w->mu);

		if (group[0]->kind == IOW_COMMIT)
			commit_group(group, n);
		for (size_t i = 0; i < n; i++) {
			struct iow_job *j = group[i];

			if (j->kind != IOW_COMMIT)
				haul_error_init(&j->err);
			if (j->run && !j->ret)
				j->ret = j->run(j, &j->err);
		}

		pthread_mutex_lock(&w->mu);
		for (size_t i = 0; i < n; i++) {
			group[i]->next = w->finished;
			w->finished = group[i];
		}
		if (w->wake)
			curl_multi_wakeup(w->wake);
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

int iow_submit(struct iow *w, struct iow_job *j, struct haul_error *err)
{
	int start;

	j->next = NULL;
	j->ret = 0;
	pthread_mutex_lock(&w->mu);
	if (w->queue_tail)
		w->queue_tail->next = j;
	else
		w->queue = j;
	w->queue_tail = j;
	w->pending++;
	start = !w->idle && w->nthreads < IOW_THREADS;
	if (start) {
		sigset_t all, old;
		int r;

		/* Signals are the main thread's: a worker never takes one. */
		sigfillset(&all);
		pthread_sigmask(SIG_SETMASK, &all, &old);
		r = pthread_create(&w->threads[w->nthreads], NULL, worker, w);
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		if (!r)
			w->nthreads++;
		else if (!w->nthreads) {
			/* Nobody would ever run it: take it back. */
			w->queue = NULL;
			w->queue_tail = NULL;
			w->pending--;
			pthread_mutex_unlock(&w->mu);
			return haul_error_set(err, HAUL_EFAIL, "cannot start an I/O thread");
		}
	}
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
	return 0;
}

unsigned iow_reap(struct iow *w)
{
	struct iow_job *list, *rev = NULL;
	unsigned n = 0;

	if (!w->ready)
		return 0;
	pthread_mutex_lock(&w->mu);
	list = w->finished;
	w->finished = NULL;
	pthread_mutex_unlock(&w->mu);
	/* In the order they finished. */
	while (list) {
		struct iow_job *next = list->next;

		list->next = rev;
		rev = list;
		list = next;
	}
	while (rev) {
		struct iow_job *next = rev->next;

		pthread_mutex_lock(&w->mu);
		w->pending--;
		pthread_mutex_unlock(&w->mu);
		rev->done(rev); /* may free rev, or submit more */
		rev = next;
		n++;
	}
	return n;
}

unsigned iow_pending(const struct iow *w)
{
	return w->ready ? w->pending : 0;
}

void iow_release(struct iow *w)
{
	if (!w->ready)
		return;
	pthread_mutex_lock(&w->mu);
	w->quit = 1;
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
	for (unsigned i = 0; i < w->nthreads; i++)
		pthread_join(w->threads[i], NULL);
	iow_reap(w);
	pthread_cond_destroy(&w->cv);
	pthread_mutex_destroy(&w->mu);
	w->ready = 0;
}
