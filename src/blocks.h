/*
 * blocks.h -- what of the object is on disk, block by block.
 *
 * The object is cut into fixed-size blocks. For each block the table holds
 * how many of its first bytes are written and the XXH3-64 digest of those
 * bytes. Within a block, written bytes always form a prefix: ranges are only
 * ever split at block boundaries, and a resumed range continues a prefix.
 * The transfer loop fills the table as bytes arrive (struct bhash, one per
 * connection), the journal persists it, and resume verification re-reads the
 * .part file against it.
 *
 * Optionally the table also holds each complete block's CRCs (the kinds an
 * object store announced), computed in the same places, so the whole
 * object's CRC is their combination (blocks_crc) without reading it back.
 * They are not journaled: resume recomputes them as it verifies.
 */
#ifndef HAUL_BLOCKS_H
#define HAUL_BLOCKS_H

#include <stddef.h>
#include <stdint.h>

#include "xxh.h"

#include "crc.h"
#include "plan.h"
#include "store.h"

#define BLOCKS_MIN_SIZE (1u << 20)  /* 1 MiB */
#define BLOCKS_MAX_SIZE (1u << 30)  /* 1 GiB */
#define BLOCKS_MAX_COUNT 65536u     /* the table stays under ~1 MiB */

struct block {
	uint32_t done;   /* bytes of the block's prefix on disk, 0..len */
	uint32_t dirty;  /* changed since the last journal record */
	uint64_t digest; /* XXH3-64 of those bytes (0 when done is 0) */
};

struct blocks {
	uint64_t size;      /* bytes in the object */
	uint32_t bsize;     /* bytes per block (the last may be shorter) */
	uint64_t count;     /* number of blocks */
	struct block *b;    /* owned, count entries */
	uint64_t *dirty;    /* owned: indexes of dirty blocks, ndirty of them */
	uint64_t ndirty;
	uint64_t *crc[CRC_NKINDS]; /* owned or NULL: each complete block's CRC... */
	unsigned char *crc_ok;     /* owned or NULL: ...where this is 1 */
};

/* The block size haul uses for an object: 1 MiB, doubled while there would
 * be more than BLOCKS_MAX_COUNT blocks. */
uint32_t blocks_size_for(uint64_t size);

/* All blocks empty. Returns 0, or -1 when out of memory or bsize is bad. */
int blocks_init(struct blocks *bt, uint64_t size, uint32_t bsize);
void blocks_release(struct blocks *bt);

static inline uint64_t blocks_start(const struct blocks *bt, uint64_t idx)
{
	return idx * bt->bsize;
}

static inline uint32_t blocks_len(const struct blocks *bt, uint64_t idx)
{
	uint64_t left = bt->size - idx * bt->bsize;

	return left < bt->bsize ? (uint32_t)left : bt->bsize;
}

/* Set a block's state, remembering it for the next journal record. */
void blocks_set(struct blocks *bt, uint64_t idx, uint32_t done, uint64_t digest);

/*
 * Keep kind's CRC of every block completed from now on (and of those
 * blocks_verify checks). 0, or -1 when out of memory.
 */
int blocks_track_crc(struct blocks *bt, enum crc_kind kind);

/*
 * The whole object's CRC of kind, combined from its blocks' (0), or -1
 * when a block is incomplete or its CRC was not kept.
 */
int blocks_crc(const struct blocks *bt, enum crc_kind kind, uint64_t *out);

/* Forget which blocks are dirty (after a journal record was written). */
void blocks_clean(struct blocks *bt);

/* Bytes on disk in all. */
uint64_t blocks_done_bytes(const struct blocks *bt);

/* 1 when every block is complete. */
int blocks_complete(const struct blocks *bt);

/*
 * The holes, in order, into *out (malloced, owned by the caller); *n is
 * their number. Returns 0, or -1 when out of memory.
 */
int blocks_holes(const struct blocks *bt, struct range **out, size_t *n);

/*
 * Re-read every written prefix from the .part file and compare its digest;
 * a block that does not match (or cannot be read in full) is marked empty.
 * *bad counts those blocks. Returns 0, or -errno on a read error other
 * than a short file.
 */
int blocks_verify(struct blocks *bt, struct store *st, uint64_t *bad);

/*
 * Check block idx of the table against the file: 0 when its written prefix
 * matches, 1 when it does not (or the file is too short), -errno.
 */
int blocks_check(const struct blocks *bt, struct store *st, uint64_t idx);

/*
 * The running digest of one connection's bytes. It follows the connection's
 * write position; finished blocks go into the table at once, the unfinished
 * one when bhash_note() is called (at a checkpoint).
 */
struct bhash {
	XXH3_state_t *st; /* owned */
	uint64_t at;      /* offset of the next byte to hash; UINT64_MAX: none */
	uint64_t crc[CRC_NKINDS]; /* the block's CRCs so far (kinds bt tracks) */
};

int bhash_init(struct bhash *h);
void bhash_release(struct bhash *h);

/*
 * Get ready to hash bytes written from pos on. If the state is not already
 * there, restart it at pos's block and re-read the block's prefix up to pos
 * from the .part file. Returns 0, or -errno.
 */
int bhash_seek(struct bhash *h, const struct blocks *bt, struct store *st, uint64_t pos);

/* Hash n bytes just written at h->at, completing blocks into bt. */
void bhash_feed(struct bhash *h, struct blocks *bt, const void *buf, size_t n);

/* Record the unfinished block's prefix and digest in bt. */
void bhash_note(const struct bhash *h, struct blocks *bt);

/* Forget the position (the bytes after it may be rewritten). */
void bhash_forget(struct bhash *h);

#endif
