/*
 * store.h -- the output file. Data goes into a temporary "FILE.part" beside
 * the target, preallocated to the object's size and written with pwrite at
 * each byte's offset; only a complete, fsynced file is renamed to FILE, so
 * the final name never holds a partial download.
 *
 * All system calls that touch data go through struct store_ops, so tests can
 * inject ENOSPC, EIO, short writes or a crash at write N.
 */
#ifndef HAUL_STORE_H
#define HAUL_STORE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "err.h"

struct store_ops {
	ssize_t (*pwrite)(int fd, const void *buf, size_t len, off_t off);
	int (*fdatasync)(int fd);
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

/*
 * Check the target and create FILE.part (truncated, never through a
 * symlink). Refuses (HAUL_EIO) when FILE exists and !force, or is a
 * directory or other non-regular file.
 */
int store_open(struct store *st, const char *path, int force, struct haul_error *err);

/* Reserve size bytes on disk, so running out of space shows now. */
int store_preallocate(struct store *st, uint64_t size, struct haul_error *err);

/*
 * Write all of buf at off, looping over short writes and EINTR.
 * Returns 0, or -errno. Does not allocate: this is the hot path.
 */
int store_pwrite(struct store *st, const void *buf, size_t len, uint64_t off);

/* fsync the data, rename FILE.part to FILE and fsync the directory. */
int store_commit(struct store *st, int replace, struct haul_error *err);

/* Close and remove FILE.part if this store opened it (a failed download). */
void store_discard(struct store *st);

/* Close the file if open and free the names. */
void store_release(struct store *st);

#endif
