/*
 * stream.c -- the window between the transfers and standard output: the
 * ring, the writer thread, and who wakes whom.
 *
 * The loop and the writer share three numbers: front (under the mutex:
 * how far the writer may go), released (atomic: how far it went; the
 * loop's room starts there) and wake_at (atomic: the loop's wish to be
 * woken once released gets there, for a range that does not fit yet).
 *
 * A reader that stops reading blocks the writer in write(2) for good. To
 * stop it all the same, the writer leaves one signal unblocked, SIGURG
 * (ignored by default, so a stray one harms nothing), with a handler that
 * does nothing: sent to the writer, it ends the write with EINTR, and the
 * writer sees that it is to quit.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "stream.h"

/* Writes and hand-overs: 1 MiB, or an eighth of a smaller window, so the
 * room freed comes back in steps the next pieces can use. */
#define CHUNK_MAX (1024u * 1024)
#define CHUNK_MIN (16u * 1024)
/* What arrived is handed over at least this often, however little. */
#define SEND_MS 50
/* A transfer paused for room goes on once this much is free. */
#define RESUME_ROOM (512u * 1024)
/* How often stream_finish looks at the interrupt flag. */
#define FINISH_POLL_MS 100
/* The signal that ends a write the reader does not take, and how often it
 * is sent until the writer has gone (one may come just before the write). */
#define WAKE_SIG SIGURG
#define KICK_MS 10

static void on_kick(int sig)
{
	(void)sig; /* only to make a blocked write(2) return */
}

void stream_init(struct stream *st)
{
	memset(st, 0, sizeof(*st));
	st->fd = -1;
	st->ops = &store_sys_ops;
	st->wp.tail = -1;
	atomic_init(&st->released, 0);
	atomic_init(&st->out, 0);
	atomic_init(&st->wake_at, UINT64_MAX);
	atomic_init(&st->werr, 0);
	atomic_init(&st->quit, 0);
}

/*
 * Write all of buf, over short writes and EINTR; 0, an errno, or ECANCELED
 * when told to quit (stream_release kicks a write that waits for a reader).
 */
static int write_full(struct stream *st, const unsigned char *buf, size_t len)
{
	while (len) {
		ssize_t n;

		if (atomic_load(&st->quit))
			return ECANCELED;
		n = st->ops->write(st->fd, buf, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno;
		}
		if (n == 0)
			return EIO; /* a zero-byte write would loop forever */
		atomic_fetch_add(&st->out, (uint64_t)n);
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* The writer has got to at: wake the loop if it asked to be. */
static void maybe_wake(struct stream *st, uint64_t at)
{
	uint64_t want = atomic_load(&st->wake_at);

	if (at >= want && atomic_compare_exchange_strong(&st->wake_at, &want, UINT64_MAX) &&
	    st->wake)
		curl_multi_wakeup(st->wake);
}

/* Write out [at, upto) from the ring, chunk by chunk; 0 or an errno. */
static int write_out(struct stream *st, uint64_t at, uint64_t upto)
{
	while (at < upto && !atomic_load(&st->quit)) {
		uint64_t in = at % st->size, len = upto - at;
		int r;

		if (len > st->chunk)
			len = st->chunk;
		if (len > st->size - in)
			len = st->size - in; /* to the end of the ring; the rest next */
		r = write_full(st, st->ring + in, (size_t)len);
		if (r)
			return r;
		/* The checks see what was written, before its room is reused. */
		if (st->v)
			verify_feed(st->v, st->ring + in, (size_t)len);
		at += len;
		atomic_store(&st->released, at);
		maybe_wake(st, at);
	}
	return 0;
}

static void *run(void *arg)
{
	struct stream *st = arg;
	uint64_t at = 0;
	int r = 0;

	pthread_mutex_lock(&st->mu);
	while (!atomic_load(&st->quit) && !r) {
		uint64_t upto = st->front;

		if (at >= upto) {
			pthread_cond_wait(&st->more, &st->mu);
			continue;
		}
		pthread_mutex_unlock(&st->mu);
		r = write_out(st, at, upto);
		at = atomic_load(&st->released);
		pthread_mutex_lock(&st->mu);
		if (r && r != ECANCELED)
			atomic_store(&st->werr, r);
		pthread_cond_broadcast(&st->drained);
	}
	st->gone = 1;
	pthread_cond_broadcast(&st->drained);
	pthread_mutex_unlock(&st->mu);
	if (r && r != ECANCELED && st->wake)
		curl_multi_wakeup(st->wake); /* the loop stops at once */
	return NULL;
}

int stream_open(struct stream *st, int fd, uint64_t window, uint64_t size, struct verify *v,
		CURLM *wake, struct haul_error *err)
{
	pthread_condattr_t ca;
	struct sigaction sa;
	sigset_t all, old;
	int rc;

	/* A piece (at least WPLAN_MIN_PIECE) must fit in the ring. */
	if (window < 2 * WPLAN_MIN_PIECE)
		return haul_error_set(err, HAUL_EUSAGE, "--window: %" PRIu64 " bytes is too small",
				      window);
	st->fd = fd;
	st->v = v;
	st->wake = wake;
	st->size = size < window ? size : window;
	if (!st->size)
		st->size = 1; /* an empty object: nothing will land */
	st->chunk = st->size / 8 > CHUNK_MAX ? CHUNK_MAX : st->size / 8;
	if (st->chunk < CHUNK_MIN)
		st->chunk = st->size < CHUNK_MIN ? st->size : CHUNK_MIN;
	if (st->size > SIZE_MAX || !(st->ring = malloc((size_t)st->size)))
		return haul_error_set(err, HAUL_EFAIL, "out of memory for a window of %" PRIu64
				      " bytes (--window)", st->size);
	if (pthread_mutex_init(&st->mu, NULL))
		return haul_error_set(err, HAUL_EFAIL, "cannot create a mutex");
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	rc = pthread_cond_init(&st->more, NULL);
	if (!rc && (rc = pthread_cond_init(&st->drained, &ca)) != 0)
		pthread_cond_destroy(&st->more);
	pthread_condattr_destroy(&ca);
	if (rc) {
		pthread_mutex_destroy(&st->mu);
		return haul_error_set(err, HAUL_EFAIL, "cannot create a condition variable");
	}
	st->inited = 1;
	st->sent_ms = clock_ms();
	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_kick; /* no SA_RESTART: the write is to end */
	if (sigaction(WAKE_SIG, &sa, &st->old_kick) == 0)
		st->kick = 1;
	/* Signals are for the loop's thread: the writer blocks them all but
	 * the kick. */
	sigfillset(&all);
	sigdelset(&all, WAKE_SIG);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&st->thread, NULL, run, st);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc)
		return haul_error_set(err, HAUL_EFAIL, "cannot start the thread writing to "
				      STREAM_NAME);
	st->started = 1;
	return 0;
}

int stream_plan(struct stream *st, struct plan *p, uint64_t size, unsigned nconns,
		uint64_t min_split)
{
	return wplan_init(&st->wp, p, size, st->size, nconns, min_split);
}

/*
 * Ask to be woken once released reaches need (the earliest wish wins).
 * Returns 1 when it already has: no need to wait.
 */
static int wake_me(struct stream *st, uint64_t need)
{
	uint64_t cur = atomic_load(&st->wake_at);

	while (need < cur && !atomic_compare_exchange_weak(&st->wake_at, &cur, need))
		;
	/* Seen after the wish is posted: the writer either sees the wish or
	 * has gone past already, and then we see it here. */
	return atomic_load(&st->released) >= need;
}

long stream_take(struct stream *st, struct plan *p, int owner)
{
	for (int i = 0; i < 2; i++) {
		uint64_t retry;
		long idx = wplan_take(&st->wp, p, owner, atomic_load(&st->released), &retry);

		if (idx >= 0 || retry == UINT64_MAX || !wake_me(st, retry))
			return idx;
	}
	return -1;
}

int stream_put(struct stream *st, const void *buf, size_t n, uint64_t off)
{
	uint64_t in = off % st->size, first;

	if (off + n - atomic_load(&st->released) > st->size && !wake_me(st, off + n - st->size))
		return STREAM_FULL;
	first = st->size - in < n ? st->size - in : n;
	memcpy(st->ring + in, buf, (size_t)first);
	if (first < n)
		memcpy(st->ring, (const unsigned char *)buf + first, n - (size_t)first);
	return 0;
}

int stream_room(struct stream *st, uint64_t off)
{
	uint64_t want = RESUME_ROOM < st->size / 2 ? RESUME_ROOM : st->size / 2;

	if (!want)
		want = 1;
	return off + want - atomic_load(&st->released) <= st->size ||
	       wake_me(st, off + want - st->size);
}

/* Stop the writer wherever it is, a write no reader takes included. */
static void stop_writer(struct stream *st)
{
	if (!st->started)
		return;
	pthread_mutex_lock(&st->mu);
	atomic_store(&st->quit, 1);
	pthread_cond_signal(&st->more);
	while (!st->gone) {
		struct timespec ts;

		if (st->kick)
			pthread_kill(st->thread, WAKE_SIG);
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_nsec += KICK_MS * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&st->drained, &st->mu, &ts);
	}
	pthread_mutex_unlock(&st->mu);
	pthread_join(st->thread, NULL);
	st->started = 0;
}

static int write_error(int eno, struct haul_error *err)
{
	if (eno == EPIPE)
		return haul_error_set(err, HAUL_EIO, STREAM_NAME " was closed (by the reader)");
	return haul_error_set(err, HAUL_EIO, "writing to " STREAM_NAME ": %s", strerror(eno));
}

/* Let the writer go up to front. */
static void send_to(struct stream *st, uint64_t front)
{
	pthread_mutex_lock(&st->mu);
	if (front > st->front)
		st->front = front;
	pthread_cond_signal(&st->more);
	pthread_mutex_unlock(&st->mu);
	st->sent = front;
	st->sent_ms = clock_ms();
}

int stream_pump(struct stream *st, const struct plan *p, struct haul_error *err)
{
	int eno = atomic_load(&st->werr);
	uint64_t front;

	if (eno)
		return write_error(eno, err);
	front = wplan_front(p);
	/* In chunks, not per piece of a body: each hand-over takes the lock
	 * and may wake the writer. */
	if (front > st->sent && (front - st->sent >= st->chunk || front == p->size ||
				 clock_ms() - st->sent_ms >= SEND_MS))
		send_to(st, front);
	return 0;
}

int stream_finish(struct stream *st, uint64_t total, volatile sig_atomic_t *stop,
		  struct haul_error *err)
{
	int eno = 0;

	if (!st->started)
		return 0;
	send_to(st, total);
	pthread_mutex_lock(&st->mu);
	while (atomic_load(&st->released) < total && !(eno = atomic_load(&st->werr))) {
		struct timespec ts;

		if (stop && *stop) {
			pthread_mutex_unlock(&st->mu);
			return haul_error_set(err, HAUL_EINTR, "interrupted");
		}
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_nsec += FINISH_POLL_MS * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&st->drained, &st->mu, &ts);
	}
	atomic_store(&st->quit, 1);
	pthread_cond_signal(&st->more);
	pthread_mutex_unlock(&st->mu);
	pthread_join(st->thread, NULL);
	st->started = 0;
	return eno ? write_error(eno, err) : 0;
}

uint64_t stream_written(struct stream *st)
{
	return atomic_load(&st->out);
}

int stream_stopped(struct stream *st, int ret, struct haul_error *err)
{
	char *cause = err->msg;

	stop_writer(st); /* first: what it wrote is then all it will write */
	err->msg = NULL;
	haul_error_set(err, ret, "%s; %" PRIu64 " bytes were written to " STREAM_NAME ", and a "
		       "stream cannot be resumed: run the command again to fetch the object from "
		       "the start", cause ? cause : haul_code_name(ret), stream_written(st));
	free(cause);
	return ret;
}

void stream_release(struct stream *st)
{
	stop_writer(st);
	if (st->kick) {
		sigaction(WAKE_SIG, &st->old_kick, NULL);
		st->kick = 0;
	}
	if (st->inited) {
		pthread_cond_destroy(&st->more);
		pthread_cond_destroy(&st->drained);
		pthread_mutex_destroy(&st->mu);
		st->inited = 0;
	}
	free(st->ring);
	st->ring = NULL;
}
