/*
 * store.c -- the .part file: create, preallocate, pwrite, commit by rename.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "store.h"

static ssize_t sys_pwrite(int fd, const void *buf, size_t len, off_t off)
{
	return pwrite(fd, buf, len, off);
}

static ssize_t sys_pread(int fd, void *buf, size_t len, off_t off)
{
	return pread(fd, buf, len, off);
}

static int sys_fdatasync(int fd)
{
#ifdef HAVE_FDATASYNC
	return fdatasync(fd);
#else
	return fsync(fd);
#endif
}

static int sys_fsync(int fd)
{
	return fsync(fd);
}

static int sys_writeback(int fd)
{
#ifdef HAVE_SYNC_FILE_RANGE
	if (sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE) == 0)
		return 0;
	/* Not supported here (some network file systems): no harm done, the
	 * kernel writes back on its own and the fdatasyncs still come. */
	if (errno == EINVAL || errno == ENOSYS || errno == EOPNOTSUPP || errno == ESPIPE)
		return 0;
	return -1;
#else
	(void)fd;
	return 0;
#endif
}

static int sys_fallocate(int fd, off_t len)
{
#ifdef HAVE_FALLOCATE
	if (fallocate(fd, 0, 0, len) == 0)
		return 0;
	/* File systems without fallocate (tmpfs before 2.6.x, NFS...): extend. */
	if (errno != EOPNOTSUPP && errno != ENOSYS)
		return -1;
#endif
	return ftruncate(fd, len);
}

static int sys_rename(const char *from, const char *to, int replace)
{
#ifdef HAVE_RENAMEAT2
	if (!replace) {
		if (renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE) == 0)
			return 0;
		if (errno != EINVAL && errno != ENOSYS)
			return -1;
		/* No RENAME_NOREPLACE here: fall back to link + unlink. */
	}
#endif
	if (!replace) {
		if (link(from, to) != 0)
			return -1;
		return unlink(from);
	}
	return rename(from, to);
}

static ssize_t sys_write(int fd, const void *buf, size_t len)
{
	return write(fd, buf, len);
}

const struct store_ops store_sys_ops = {
	.pwrite = sys_pwrite,
	.write = sys_write,
	.pread = sys_pread,
	.fdatasync = sys_fdatasync,
	.writeback = sys_writeback,
	.fsync = sys_fsync,
	.fallocate = sys_fallocate,
	.rename = sys_rename,
};

void store_init(struct store *st, const struct store_ops *ops)
{
	st->path = NULL;
	st->part_path = NULL;
	st->fd = -1;
	st->ops = ops ? ops : &store_sys_ops;
}

int store_name(struct store *st, const char *path, struct haul_error *err)
{
	size_t n = strlen(path) + sizeof(STORE_PART_SUFFIX);

	free(st->path);
	free(st->part_path);
	st->path = strdup(path);
	st->part_path = malloc(n);
	if (!st->path || !st->part_path)
		return haul_error_set(err, HAUL_EFAIL, "out of memory");
	snprintf(st->part_path, n, "%s%s", path, STORE_PART_SUFFIX);
	return 0;
}

int store_kind(const char *path, uint64_t *size, struct haul_error *err)
{
	struct stat sb;

	if (lstat(path, &sb) != 0) {
		if (errno == ENOENT)
			return STORE_NONE;
		return haul_error_set(err, HAUL_EIO, "%s: %s", path, strerror(errno));
	}
	if (S_ISDIR(sb.st_mode))
		return STORE_DIR;
	if (!S_ISREG(sb.st_mode))
		return STORE_OTHER;
	if (size)
		*size = (uint64_t)sb.st_size;
	return STORE_FILE;
}

int store_make_dir(const char *dir, struct haul_error *err)
{
	char *path;
	struct stat sb;
	int ret = 0;

	if (!*dir)
		return 0; /* "" is where we are */
	path = strdup(dir);
	if (!path)
		return haul_error_set(err, HAUL_EFAIL, "out of memory");
	/* Each parent first, then dir itself: "a/b/c" makes a, a/b, a/b/c. */
	for (char *p = path + 1; !ret; p++) {
		char c = *p;

		if (c != '/' && c != '\0')
			continue;
		*p = '\0';
		if (mkdir(path, 0777) != 0 && errno != EEXIST)
			ret = haul_error_set(err, HAUL_EIO, "cannot create directory %s: %s", path,
					     strerror(errno));
		else if (stat(path, &sb) != 0 || !S_ISDIR(sb.st_mode))
			ret = haul_error_set(err, HAUL_EIO, "%s is not a directory", path);
		*p = c;
		if (!c)
			break;
	}
	free(path);
	return ret;
}

int store_open_part(struct store *st, int resume, struct haul_error *err)
{
	int flags = O_RDWR | O_NOFOLLOW | O_CLOEXEC |
		    (resume == STORE_SHARED ? O_CREAT : resume ? 0 : O_CREAT | O_TRUNC);
	struct stat sb;

	st->fd = open(st->part_path, flags, 0666);
	if (st->fd < 0) {
		if (errno == ELOOP)
			return haul_error_set(err, HAUL_EIO,
					      "%s: is a symbolic link; refusing to write through it",
					      st->part_path);
		return haul_error_set(err, HAUL_EIO, "%s: %s", st->part_path, strerror(errno));
	}
	if (fstat(st->fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		close(st->fd);
		st->fd = -1;
		return haul_error_set(err, HAUL_EIO, "%s: not a regular file", st->part_path);
	}
	return 0;
}

/*
 * Is there room for the file to grow to size? Checked before fallocate,
 * which some file systems lack (the ftruncate fallback reserves nothing).
 * When the free space cannot be read, say yes: fallocate will tell.
 */
static int enough_space(int fd, uint64_t size)
{
	struct statvfs vfs;
	struct stat sb;
	uint64_t have, need;

	if (fstatvfs(fd, &vfs) != 0 || fstat(fd, &sb) != 0 || !vfs.f_frsize)
		return 1;
	have = (uint64_t)sb.st_blocks * 512;
	need = size > have ? size - have : 0;
	return need / vfs.f_frsize <= (uint64_t)vfs.f_bavail;
}

int store_preallocate(struct store *st, uint64_t size, struct haul_error *err)
{
	if (size == 0)
		return 0;
	if (size > (uint64_t)INT64_MAX)
		return haul_error_set(err, HAUL_EIO, "%s: size %llu is too large", st->part_path,
				      (unsigned long long)size);
	if (!enough_space(st->fd, size)) {
		errno = ENOSPC;
		return haul_error_set(err, HAUL_EIO, "%s: not enough space for %llu bytes: %s",
				      st->part_path, (unsigned long long)size, strerror(errno));
	}
	if (st->ops->fallocate(st->fd, (off_t)size) != 0) {
		if (errno == ENOSPC || errno == EDQUOT || errno == EFBIG)
			return haul_error_set(err, HAUL_EIO,
					      "%s: not enough space for %llu bytes: %s",
					      st->part_path, (unsigned long long)size,
					      strerror(errno));
		return haul_error_set(err, HAUL_EIO, "%s: cannot preallocate: %s", st->part_path,
				      strerror(errno));
	}
	return 0;
}

int store_pwrite(struct store *st, const void *buf, size_t len, uint64_t off)
{
	return store_pwrite_fd(st->ops, st->fd, buf, len, off);
}

int store_pwrite_fd(const struct store_ops *ops, int fd, const void *buf, size_t len,
		    uint64_t off)
{
	const char *p = buf;

	while (len) {
		ssize_t n = ops->pwrite(fd, p, len, (off_t)off);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return -EIO; /* a zero-byte write would loop forever */
		p += n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
	return 0;
}

int store_pread(struct store *st, void *buf, size_t len, uint64_t off)
{
	char *p = buf;
	size_t got = 0;

	while (got < len) {
		ssize_t n = st->ops->pread(st->fd, p + got, len - got, (off_t)(off + got));

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			break; /* end of file */
		got += (size_t)n;
	}
	return (int)got;
}

int store_sync(struct store *st, struct haul_error *err)
{
	if (st->ops->fdatasync(st->fd) != 0)
		return haul_error_set(err, HAUL_EIO, "%s: fdatasync: %s", st->part_path,
				      strerror(errno));
	return 0;
}

int store_writeback(struct store *st, struct haul_error *err)
{
	if (st->fd >= 0 && st->ops->writeback(st->fd) != 0)
		return haul_error_set(err, HAUL_EIO, "%s: writeback: %s", st->part_path,
				      strerror(errno));
	return 0;
}

int store_fsync_dir(const char *path)
{
	char *copy = strdup(path);
	int fd, ret = -1;

	if (!copy)
		return -1;
	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		ret = fsync(fd);
		close(fd);
	}
	free(copy);
	return ret;
}

int store_finish(struct store *st, int replace, struct haul_error *err)
{
	if (st->ops->fsync(st->fd) != 0)
		return haul_error_set(err, HAUL_EIO, "%s: fsync: %s", st->part_path,
				      strerror(errno));
	if (close(st->fd) != 0) {
		st->fd = -1;
		return haul_error_set(err, HAUL_EIO, "%s: close: %s", st->part_path,
				      strerror(errno));
	}
	st->fd = -1;
	if (st->ops->rename(st->part_path, st->path, replace) != 0) {
		if (errno == EEXIST)
			return haul_error_set(err, HAUL_EIO,
					      "%s: appeared while downloading; the download is in %s",
					      st->path, st->part_path);
		return haul_error_set(err, HAUL_EIO, "cannot rename %s to %s: %s", st->part_path,
				      st->path, strerror(errno));
	}
	return 0;
}

int store_commit(struct store *st, int replace, struct haul_error *err)
{
	int ret = store_finish(st, replace, err);

	if (!ret && store_fsync_dir(st->path) != 0)
		ret = haul_error_set(err, HAUL_EIO, "%s: fsync of directory: %s", st->path,
				     strerror(errno));
	return ret;
}

void store_discard(struct store *st)
{
	/* Only a file this store opened is ours to remove. */
	if (st->fd < 0)
		return;
	close(st->fd);
	st->fd = -1;
	unlink(st->part_path);
}

void store_release(struct store *st)
{
	if (st->fd >= 0)
		close(st->fd);
	free(st->path);
	free(st->part_path);
	store_init(st, st->ops);
}
