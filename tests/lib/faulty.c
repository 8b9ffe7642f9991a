/*
 * faulty.c -- haul with an I/O seam that fails on purpose, for
 * tests/integration/t-faults.sh. Usage:
 *
 *   haul-faulty KIND:N [haul options] URL
 *
 * KIND is one of
 *   none    count the write calls (printed as "writes=N" on stderr)
 *   crash   at write call N, lose every write not yet fsynced (its bytes
 *           are overwritten with 0xEE, as if the page never reached the
 *           disk) and _exit(99) at once, like kill -9 or a power cut
 *   enospc  every write call from the Nth on fails with ENOSPC
 *   eio     the Nth fdatasync fails with EIO
 *   short   every write call writes only part of what it was given
 *   slow    every fdatasync and fsync takes N ms longer (a disk slower than
 *           the network); prints "syncs=N maxpending=BYTES jsyncwrites=N"
 *           on stderr: the most bytes ever written but not yet made
 *           durable, and the writes to the journal made while an fsync
 *           was under way (records that did not wait for the disk)
 *
 * A crash also prints "dropped=BYTES written=BYTES": the data file's bytes
 * it undid (the journal's are not counted), what resume has to fetch again,
 * and all it had written.
 *
 * Writes to the data file and to the journal are counted together. The
 * checkpoint thread calls fdatasync while the loop writes: the bookkeeping
 * is under one lock, and an fdatasync makes durable only the writes made
 * before it was called, once it returns.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>

#include "cli.h"
#include "batch.h"
#include "ctl.h"
#include "msg.h"
#include "num.h"
#include "store.h"

enum kind { K_NONE, K_CRASH, K_ENOSPC, K_EIO, K_SHORT, K_SLOW };

/* A write not yet made durable by an fsync of its descriptor. */
struct pending {
	int fd;
	off_t off;
	size_t len;
	uint64_t seq; /* order of the write */
};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static enum kind kind;
static uint64_t at, writes, syncs, seqs;
static struct pending *pend;
static size_t npend, cappend;
static uint64_t pending_bytes, max_pending; /* written, not yet durable */
static unsigned insync;            /* fsyncs under way */
static uint64_t jsyncwrites;       /* journal writes while one was */
static uint64_t datawritten;       /* bytes written to the data file */

/* Is fd a file whose name ends with suffix? */
static int fd_is(int fd, const char *suffix)
{
	char link[64], name[4096];
	ssize_t n;
	size_t k = strlen(suffix);

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, name, sizeof(name) - 1);
	if (n < 0)
		return 0;
	name[n] = '\0';
	return (size_t)n >= k && strcmp(name + n - k, suffix) == 0;
}

static void remember(int fd, off_t off, size_t len)
{
	if (npend == cappend) {
		cappend = cappend ? cappend * 2 : 1024;
		pend = realloc(pend, cappend * sizeof(*pend));
		if (!pend)
			abort();
	}
	pend[npend].fd = fd;
	pend[npend].off = off;
	pend[npend].len = len;
	pend[npend].seq = seqs++;
	npend++;
	pending_bytes += len;
	if (pending_bytes > max_pending)
		max_pending = pending_bytes;
}

/* An fdatasync of fd called when seqs was before returned. */
static void synced(int fd, uint64_t before)
{
	size_t j = 0;

	for (size_t i = 0; i < npend; i++)
		if (pend[i].fd != fd || pend[i].seq >= before)
			pend[j++] = pend[i];
		else
			pending_bytes -= pend[i].len;
	npend = j;
}

static void crash(void)
{
	static unsigned char junk[65536];
	uint64_t dropped = 0;

	memset(junk, 0xee, sizeof(junk));
	for (size_t i = 0; i < npend; i++) {
		if (fd_is(pend[i].fd, ".part"))
			dropped += pend[i].len;
		for (size_t done = 0; done < pend[i].len;) {
			size_t n = pend[i].len - done < sizeof(junk) ? pend[i].len - done : sizeof(junk);
			ssize_t w = pwrite(pend[i].fd, junk, n, pend[i].off + (off_t)done);

			if (w <= 0)
				break;
			done += (size_t)w;
		}
	}
	fprintf(stderr, "haul-faulty: crashed at write %llu\ndropped=%llu written=%llu\n",
		(unsigned long long)writes, (unsigned long long)dropped,
		(unsigned long long)datawritten);
	_exit(99);
}

static ssize_t f_pwrite(int fd, const void *buf, size_t len, off_t off)
{
	ssize_t n;

	pthread_mutex_lock(&mu);
	writes++;
	if (kind == K_CRASH && writes == at)
		crash();
	if (kind == K_ENOSPC && writes >= at) {
		pthread_mutex_unlock(&mu);
		errno = ENOSPC;
		return -1;
	}
	if (kind == K_SHORT && len > 1)
		len = 1 + (len - 1) * (writes % 3 + 1) / 4; /* 1 .. 3/4 of it */
	if (insync && kind == K_SLOW && fd_is(fd, ".haul"))
		jsyncwrites++;
	/* Under the lock: a write and its record are one step for a crash. */
	n = pwrite(fd, buf, len, off);
	if (n > 0) {
		remember(fd, off, (size_t)n);
		if (kind == K_CRASH && fd_is(fd, ".part"))
			datawritten += (uint64_t)n;
	}
	pthread_mutex_unlock(&mu);
	return n;
}

/* Standard output (-o -): ENOSPC and short writes as for the file. */
static ssize_t f_write(int fd, const void *buf, size_t len)
{
	pthread_mutex_lock(&mu);
	writes++;
	if (kind == K_ENOSPC && writes >= at) {
		pthread_mutex_unlock(&mu);
		errno = ENOSPC;
		return -1;
	}
	if (kind == K_SHORT && len > 1)
		len = 1 + (len - 1) * (writes % 3 + 1) / 4;
	pthread_mutex_unlock(&mu);
	return write(fd, buf, len);
}

static ssize_t f_pread(int fd, void *buf, size_t len, off_t off)
{
	return pread(fd, buf, len, off);
}

static int f_sync(int fd, int data_only)
{
	uint64_t before;
	int r;

	pthread_mutex_lock(&mu);
	if (kind == K_EIO && ++syncs == at) {
		pthread_mutex_unlock(&mu);
		errno = EIO;
		return -1;
	}
	if (kind == K_SLOW)
		syncs++;
	before = seqs;
	insync++;
	pthread_mutex_unlock(&mu);
	if (kind == K_SLOW)
		usleep((useconds_t)(at * 1000));
	r = data_only ? fdatasync(fd) : fsync(fd);
	pthread_mutex_lock(&mu);
	insync--;
	if (r == 0)
		synced(fd, before);
	pthread_mutex_unlock(&mu);
	return r;
}

static int f_fdatasync(int fd)
{
	return f_sync(fd, 1);
}

static int f_fsync(int fd)
{
	return f_sync(fd, 0);
}

/* Writeback started is not writeback done: nothing becomes durable here. */
static int f_writeback(int fd)
{
	return store_sys_ops.writeback(fd);
}

static int f_fallocate(int fd, off_t len)
{
	return store_sys_ops.fallocate(fd, len);
}

static int f_rename(const char *from, const char *to, int replace)
{
	return store_sys_ops.rename(from, to, replace);
}

static const struct store_ops faulty_ops = {
	.pwrite = f_pwrite,
	.write = f_write,
	.pread = f_pread,
	.fdatasync = f_fdatasync,
	.writeback = f_writeback,
	.fsync = f_fsync,
	.fallocate = f_fallocate,
	.rename = f_rename,
};

static int parse_fault(const char *spec)
{
	static const char *const names[] = { "none", "crash", "enospc", "eio", "short", "slow" };
	const char *colon = strchr(spec, ':');

	if (!colon)
		return -1;
	for (int i = 0; i < 6; i++)
		if (strlen(names[i]) == (size_t)(colon - spec) &&
		    strncmp(spec, names[i], (size_t)(colon - spec)) == 0) {
			kind = (enum kind)i;
			return num_parse_u64(colon + 1, &at) == NUM_OK ? 0 : -1;
		}
	return -1;
}

int main(int argc, char **argv)
{
	static volatile sig_atomic_t never;
	struct haul_error err;
	struct opts o;
	struct msg m;
	int ret;

	if (argc < 3 || parse_fault(argv[1])) {
		fprintf(stderr, "usage: haul-faulty KIND:N [haul options] URL\n");
		return 2;
	}
	haul_error_init(&err);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	signal(SIGPIPE, SIG_IGN);
	argv[1] = argv[0];
	ret = cli_parse(argc - 1, argv + 1, &o, &err);
	if (ret == CLI_RUN) {
		msg_init(&m, o.quiet ? MSG_QUIET : o.verbose);
		ret = batch_run_one(&o, &m, &never, &faulty_ops, &err);
	}
	if (ret < 0)
		fprintf(stderr, "haul: %s\n", err.msg ? err.msg : haul_code_name(ret));
	fprintf(stderr, "writes=%llu\n", (unsigned long long)writes);
	if (kind == K_SLOW)
		fprintf(stderr, "syncs=%llu maxpending=%llu jsyncwrites=%llu\n",
			(unsigned long long)syncs, (unsigned long long)max_pending,
			(unsigned long long)jsyncwrites);
	haul_error_release(&err);
	curl_global_cleanup();
	free(pend);
	return haul_exit_status(ret);
}
