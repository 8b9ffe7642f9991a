/*
 * store.h -- the output file. Data goes into a temporary "FILE.part" beside
 * the target, preallocated to the object's size and written with pwrite at
 * each byte's offset; only a complete, fsynced file is renamed to FILE, so
 * the final name never holds a partial download.
 *
 * Every system call that touches data goes through struct store_ops, so
 * tests can inject ENOSPC, EIO, short writes or a crash at write N. The
 * journal (its reads too), the checks' reading back and the stream to
 * standard output use the same table.
 */
#ifndef HAUL_STORE_H
#define HAUL_STORE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "err.h"

struct store_ops {
	ssize_t (*pwrite)(int fd, const void *buf, size_t len, off_t off);
	ssize_t (*write)(int fd, const void *buf, size_t len); /* -o -: standard output */
	ssize_t (*pread)(int fd, void *buf, size_t len, off_t off);
	int (*fdatasync)(int fd);
	int (*writeback)(int fd); /* start writing dirty pages out; no wait */
	int (*fsync)(int fd);
	int (*fallocate)(int fd, off_t len); /* 0, or -1 with errno */
	int (*rename)(const char *from, const char *to, int replace);
};

/* The real system calls. */
extern const struct store_ops store_sys_ops;

struct store {
	char *path;      /* owned: the final name */
	char *part_path; /* owned: path + ".part" */
	int fd;          /* the .part file, or -1 */
	const struct store_ops *ops; /* borrowed, static */
};

/* Suffix of the temporary data file. */
#define STORE_PART_SUFFIX ".part"

void store_init(struct store *st, const struct store_ops *ops);

/* Set the final name (and so FILE.part). Returns 0 or HAUL_EFAIL. */
int store_name(struct store *st, const char *path, struct haul_error *err);

/* What is at a path, without following a symlink there. */
enum store_kind {
	STORE_NONE = 0, /* nothing */
	STORE_FILE,     /* a regular file */
	STORE_DIR,      /* a directory */
	STORE_OTHER,    /* a symlink, device, socket... */
};

/* Returns an enum store_kind, or HAUL_EIO when the path cannot be examined;
 * *size is the file's size for STORE_FILE. */
int store_kind(const char *path, uint64_t *size, struct haul_error *err);

/* Create directory dir and its parents where missing (mode 0777 less the
 * umask), as --dir asks. 0, or HAUL_EIO naming the one that failed. */
int store_make_dir(const char *dir, struct haul_error *err);

/*
 * Create FILE.part afresh (truncated, mode 0666 less umask, never through a
 * symlink) or, with resume, open the existing one without truncating it.
 */
int store_open_part(struct store *st, int resume, struct haul_error *err);
/* store_open_part's resume for a FILE.part shared by shards: made when
 * missing, never truncated. */
#define STORE_SHARED 2

/* Reserve size bytes on disk, so running out of space shows now. */
int store_preallocate(struct store *st, uint64_t size, struct haul_error *err);

/*
 * Write all of buf at off, looping over short writes and EINTR.
 * Returns 0, or -errno. Does not allocate: this is the hot path.
 */
int store_pwrite(struct store *st, const void *buf, size_t len, uint64_t off);

/* The same for any descriptor, through ops. */
int store_pwrite_fd(const struct store_ops *ops, int fd, const void *buf, size_t len,
		    uint64_t off);

/* Read up to len bytes at off (less only at end of file): bytes, or -errno. */
int store_pread(struct store *st, void *buf, size_t len, uint64_t off);

/* fdatasync the data written so far. */
int store_sync(struct store *st, struct haul_error *err);

/*
 * Start writeback of everything written so far without waiting for it
 * (sync_file_range SYNC_FILE_RANGE_WRITE; nothing where there is none). It
 * may still wait for room in the disk's queue: not for the loop's thread.
 */
int store_writeback(struct store *st, struct haul_error *err);

/* fsync the data, rename FILE.part to FILE and fsync the directory. */
int store_commit(struct store *st, int replace, struct haul_error *err);

/* store_commit without the directory's fsync (for several files in one
 * directory, synced once after all of them: src/iow.c). */
int store_finish(struct store *st, int replace, struct haul_error *err);

/* fsync the directory holding path, making a rename or unlink durable. */
int store_fsync_dir(const char *path);

/* Close and remove FILE.part if this store opened it. */
void store_discard(struct store *st);

/* Close the file if open and free the names. */
void store_release(struct store *st);

#endif
