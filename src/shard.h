/*
 * shard.h -- one object fetched by N processes (cluster nodes) at once into
 * one shared FILE.part on a shared file system, each its own share.
 *
 * Shard K of N owns a contiguous stripe of the object's blocks: blocks
 * [K * count / N, (K + 1) * count / N). Contiguous, not interleaved: each
 * node then writes one region front to back, as on one machine (a
 * parallel file system stripes it over its servers anyway, and a block
 * is 1 MiB or more, a multiple of the usual stripe sizes), and the tail of
 * each share is balanced by the shard's own connections. Each shard keeps
 * its own journal, FILE.shard-K-of-N.haul, of the whole table in which it
 * claims only its stripe. The shard that completes last -- it finds every
 * other journal complete over its stripe, holding an fcntl lock on
 * FILE.shard.lock -- checks the whole file and gives it its name.
 */
#ifndef HAUL_SHARD_H
#define HAUL_SHARD_H

#include <stddef.h>
#include <stdint.h>

#include "blocks.h"
#include "err.h"

#define SHARD_MAX 4096u
#define SHARD_LOCK_SUFFIX ".shard.lock"

/*
 * Read --shard: "K/N" (0 <= K < N <= SHARD_MAX), "auto" (a Slurm job
 * array: K = SLURM_ARRAY_TASK_ID - SLURM_ARRAY_TASK_MIN, N =
 * SLURM_ARRAY_TASK_COUNT) or "auto/N" (also a Kubernetes indexed job: K =
 * JOB_COMPLETION_INDEX). 0, or HAUL_EUSAGE with err saying what is wrong.
 */
int shard_parse(const char *spec, unsigned *k, unsigned *n, struct haul_error *err);

/* Pure: shard k of n's blocks, [*first, *end) of count. */
void shard_blocks(uint64_t count, unsigned k, unsigned n, uint64_t *first, uint64_t *end);

/* FILE.shard-K-of-N.haul, malloced (NULL when out of memory). */
char *shard_journal_path(const char *file, unsigned k, unsigned n);

/*
 * Take the lock of FILE's shards (FILE.shard.lock, created 0600 when
 * missing), waiting for whoever holds it. *fd is the lock's descriptor:
 * closing it lets go. 0, or HAUL_EIO.
 *
 * Waiting, not trying: a shard that gave up on a held lock could miss the
 * finish -- the holder may be one that found this shard's stripe not yet
 * done and is about to let go -- and then nobody would name the file. The
 * price: a shard that ends while another finishes the file waits for that.
 */
int shard_lock(const char *file, int *fd, struct haul_error *err);

/*
 * With the lock held: is every other shard's stripe complete in its
 * journal? Then their claims are copied into bt (the caller's table, of
 * the same object: same size and block size) and 1 is returned; else 0,
 * with the shards still missing listed in missing ("1, 3"). A journal
 * that cannot be read counts as missing. -errno-free: HAUL_EFAIL only
 * when out of memory.
 */
int shard_others(const char *file, unsigned k, unsigned n, struct blocks *bt, char *missing,
		 size_t len, struct haul_error *err);

/* Remove every other shard's journal (the file has its name). */
void shard_forget(const char *file, unsigned k, unsigned n);

/*
 * haul status FILE: print what the journals of FILE's shards say, one line
 * each, and whether FILE has its name. 0, or HAUL_EIO when there is
 * neither FILE nor a journal of it.
 */
int shard_status(const char *file, struct haul_error *err);

#endif
