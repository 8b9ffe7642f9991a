/*
 * shard.c -- the arithmetic, names, lock and bookkeeping of sharded
 * downloads (see shard.h); the controller does the fetching.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "journal.h"
#include "num.h"
#include "shard.h"

/* An environment variable as a number, or -1 (unset or not a number). */
static int64_t env_num(const char *name)
{
	const char *v = getenv(name);
	uint64_t n;

	if (!v || num_parse_u64(v, &n) != NUM_OK || n > INT32_MAX)
		return -1;
	return (int64_t)n;
}

int shard_parse(const char *spec, unsigned *k, unsigned *n, struct haul_error *err)
{
	const char *p = spec, *slash = strchr(spec, '/');
	uint64_t kk, nn;

	if (strncmp(spec, "auto", 4) == 0 && (!spec[4] || spec[4] == '/')) {
		int64_t id = env_num("SLURM_ARRAY_TASK_ID"), min = env_num("SLURM_ARRAY_TASK_MIN");
		int64_t count = env_num("SLURM_ARRAY_TASK_COUNT"), index = env_num("JOB_COMPLETION_INDEX");

		nn = 0;
		if (spec[4]) {
			p = spec + 5;
			if (num_scan_u64(&p, &nn) != NUM_OK || *p || !nn || nn > SHARD_MAX)
				return haul_error_set(err, HAUL_EUSAGE, "--shard %s: N must be a number "
						      "from 1 to %u", spec, SHARD_MAX);
		}
		if (id >= 0 && count > 0) {
			/* A Slurm job array (its tasks may be numbered from any
			 * MIN, and a sparse array such as 1,3,5 is not ours). */
			kk = (uint64_t)(id - (min >= 0 ? min : 0));
			if (nn && nn != (uint64_t)count)
				return haul_error_set(err, HAUL_EUSAGE, "--shard %s: the Slurm job array "
						      "has %" PRId64 " tasks", spec, count);
			nn = (uint64_t)count;
		} else if (index >= 0 && nn) {
			kk = (uint64_t)index; /* a Kubernetes indexed job */
		} else if (index >= 0) {
			return haul_error_set(err, HAUL_EUSAGE, "--shard auto: a Kubernetes indexed "
					      "job does not tell its pods how many there are: use "
					      "--shard auto/N (N = the job's completions)");
		} else {
			return haul_error_set(err, HAUL_EUSAGE, "--shard auto: neither a Slurm job "
					      "array (SLURM_ARRAY_TASK_ID, SLURM_ARRAY_TASK_COUNT) nor "
					      "a Kubernetes indexed job (JOB_COMPLETION_INDEX) is "
					      "around; give --shard K/N");
		}
	} else {
		if (!slash || num_scan_u64(&p, &kk) != NUM_OK || p != slash)
			return haul_error_set(err, HAUL_EUSAGE, "--shard '%s': want K/N (as 0/4), auto "
					      "or auto/N", spec);
		p = slash + 1;
		if (num_scan_u64(&p, &nn) != NUM_OK || *p)
			return haul_error_set(err, HAUL_EUSAGE, "--shard '%s': want K/N (as 0/4), auto "
					      "or auto/N", spec);
	}
	if (!nn || nn > SHARD_MAX || kk >= nn)
		return haul_error_set(err, HAUL_EUSAGE, "--shard %s: K must be from 0 to N - 1 and N "
				      "from 1 to %u (here K = %" PRIu64 ", N = %" PRIu64 ")", spec,
				      SHARD_MAX, kk, nn);
	*k = (unsigned)kk;
	*n = (unsigned)nn;
	return 0;
}

void shard_blocks(uint64_t count, unsigned k, unsigned n, uint64_t *first, uint64_t *end)
{
	/* count < 2^16 blocks (BLOCKS_MAX_COUNT): no overflow. */
	*first = count * k / n;
	*end = count * (k + 1) / n;
}

char *shard_journal_path(const char *file, unsigned k, unsigned n)
{
	size_t len = strlen(file) + 48;
	char *p = malloc(len);

	if (p)
		snprintf(p, len, "%s.shard-%u-of-%u%s", file, k, n, JOURNAL_SUFFIX);
	return p;
}

int shard_lock(const char *file, int *fd, struct haul_error *err)
{
	size_t len = strlen(file) + sizeof(SHARD_LOCK_SUFFIX);
	char *p = malloc(len);
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	int r;

	*fd = -1;
	if (!p)
		return haul_error_set(err, HAUL_EFAIL, "out of memory");
	snprintf(p, len, "%s%s", file, SHARD_LOCK_SUFFIX);
	*fd = open(p, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (*fd < 0) {
		haul_error_set(err, HAUL_EIO, "%s: %s", p, strerror(errno));
		free(p);
		return HAUL_EIO;
	}
	/* fcntl, not flock: NFS passes these on to the server (lockd, or
	 * NFSv4 itself), and so do Lustre and GPFS. */
	while ((r = fcntl(*fd, F_SETLKW, &fl)) != 0 && errno == EINTR)
		;
	if (r != 0) {
		haul_error_set(err, HAUL_EIO, "locking %s: %s", p, strerror(errno));
		close(*fd);
		*fd = -1;
		free(p);
		return HAUL_EIO;
	}
	free(p);
	return 0;
}

/* Read a journal into id and bt: 0, or -1 (missing, unreadable, not one). */
static int read_journal(const char *path, struct journal_id *id, struct blocks *bt)
{
	struct journal_scan scan;
	unsigned char *buf = NULL;
	struct stat sb;
	ssize_t got;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC), ret = -1;

	if (fd < 0)
		return -1;
	if (fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_size > 0 &&
	    (uint64_t)sb.st_size <= JOURNAL_FILE_MAX && (buf = malloc((size_t)sb.st_size)) != NULL) {
		got = pread(fd, buf, (size_t)sb.st_size, 0);
		if (got == sb.st_size &&
		    journal_decode(buf, (size_t)got, id, bt, &scan) == JOURNAL_OK)
			ret = 0;
	}
	free(buf);
	close(fd);
	return ret;
}

/* Bytes of bt's blocks [first, end) on disk, and in all. */
static void stripe_bytes(const struct blocks *bt, uint64_t first, uint64_t end, uint64_t *have,
			 uint64_t *all)
{
	*have = *all = 0;
	for (uint64_t i = first; i < end && i < bt->count; i++) {
		*have += bt->b[i].done;
		*all += blocks_len(bt, i);
	}
}

int shard_others(const char *file, unsigned k, unsigned n, struct blocks *bt, char *missing,
		 size_t len, struct haul_error *err)
{
	int all = 1;

	if (len)
		missing[0] = '\0';
	for (unsigned i = 0; i < n; i++) {
		struct journal_id id = { 0 };
		struct blocks other;
		uint64_t first, end, have, want;
		char *path;
		int ok;

		if (i == k)
			continue;
		path = shard_journal_path(file, i, n);
		if (!path)
			return haul_error_set(err, HAUL_EFAIL, "out of memory");
		memset(&other, 0, sizeof(other));
		ok = read_journal(path, &id, &other) == 0;
		free(path);
		shard_blocks(bt->count, i, n, &first, &end);
		if (ok && (other.size != bt->size || other.bsize != bt->bsize))
			ok = 0; /* another object: resume would have said so */
		if (ok) {
			stripe_bytes(&other, first, end, &have, &want);
			ok = have == want;
		}
		if (ok) {
			for (uint64_t b = first; b < end; b++)
				blocks_set(bt, b, other.b[b].done, other.b[b].digest);
		} else {
			size_t at = strlen(missing);

			all = 0;
			if (at + 12 < len)
				snprintf(missing + at, len - at, "%s%u", at ? ", " : "", i);
		}
		if (other.b)
			blocks_release(&other);
		journal_id_release(&id);
	}
	return all;
}

void shard_forget(const char *file, unsigned k, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		char *path = i == k ? NULL : shard_journal_path(file, i, n);

		if (path)
			unlink(path);
		free(path);
	}
}

/* Is name FILE's shard journal? Its K and N then. */
static int journal_name(const char *name, const char *base, unsigned *k, unsigned *n)
{
	size_t bl = strlen(base);
	const char *p = name + bl;
	uint64_t kk, nn;

	if (strncmp(name, base, bl) != 0 || strncmp(p, ".shard-", 7) != 0)
		return 0;
	p += 7;
	if (num_scan_u64(&p, &kk) != NUM_OK || strncmp(p, "-of-", 4) != 0)
		return 0;
	p += 4;
	if (num_scan_u64(&p, &nn) != NUM_OK || strcmp(p, JOURNAL_SUFFIX) != 0 || !nn ||
	    nn > SHARD_MAX || kk >= nn)
		return 0;
	*k = (unsigned)kk;
	*n = (unsigned)nn;
	return 1;
}

int shard_status(const char *file, struct haul_error *err)
{
	const char *slash = strrchr(file, '/'), *base = slash ? slash + 1 : file;
	char *dir = slash ? strndup(file, (size_t)(slash - file) + (slash == file)) : strdup(".");
	struct stat sb;
	struct dirent *de;
	DIR *d;
	unsigned found = 0, done = 0, total = 0;

	if (!dir)
		return haul_error_set(err, HAUL_EFAIL, "out of memory");
	if (stat(file, &sb) == 0 && S_ISREG(sb.st_mode))
		printf("%s: complete (%" PRIu64 " bytes)\n", file, (uint64_t)sb.st_size);
	d = opendir(dir);
	while (d && (de = readdir(d)) != NULL) {
		struct journal_id id = { 0 };
		struct blocks bt;
		unsigned k, n;
		uint64_t first, end, have, want;
		char *path;

		if (!journal_name(de->d_name, base, &k, &n))
			continue;
		path = shard_journal_path(file, k, n);
		memset(&bt, 0, sizeof(bt));
		found++;
		total = n;
		if (!path || read_journal(path, &id, &bt) != 0) {
			printf("%s: shard %u of %u: journal unreadable\n", file, k, n);
			free(path);
			continue;
		}
		shard_blocks(bt.count, k, n, &first, &end);
		stripe_bytes(&bt, first, end, &have, &want);
		done += have == want;
		printf("%s: shard %u of %u: %s, %" PRIu64 " of %" PRIu64 " bytes (blocks %" PRIu64
		       "-%" PRIu64 ")\n", file, k, n, have == want ? "done" : "partial", have, want,
		       first, end ? end - 1 : 0);
		blocks_release(&bt);
		journal_id_release(&id);
		free(path);
	}
	if (d)
		closedir(d);
	free(dir);
	if (found)
		printf("%s: %u of %u shards done%s\n", file, done, total,
		       found < total ? " (the others have not started)" : "");
	if (!found && stat(file, &sb) != 0)
		return haul_error_set(err, HAUL_EIO, "%s: neither the file nor a shard journal of "
				      "it is here", file);
	return 0;
}
