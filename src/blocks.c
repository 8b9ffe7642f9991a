/*
 * blocks.c -- the per-block table, its holes, verification against the
 * .part file, and the running per-connection digest.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "blocks.h"

/* Reads during verification and re-hashing go through one buffer this big. */
#define BLOCKS_READ_CHUNK (1u << 20)

uint32_t blocks_size_for(uint64_t size)
{
	uint64_t bs = BLOCKS_MIN_SIZE;

	while (bs < BLOCKS_MAX_SIZE && size / bs >= BLOCKS_MAX_COUNT)
		bs *= 2;
	return (uint32_t)bs;
}

int blocks_init(struct blocks *bt, uint64_t size, uint32_t bsize)
{
	memset(bt, 0, sizeof(*bt));
	if (bsize == 0 || (bsize & (bsize - 1)) != 0)
		return -1;
	bt->size = size;
	bt->bsize = bsize;
	bt->count = size / bsize + (size % bsize != 0);
	if (bt->count > BLOCKS_MAX_COUNT * 2ull)
		return -1; /* a journal could claim absurd sizes: bound the table */
	if (bt->count) {
		bt->b = calloc(bt->count, sizeof(*bt->b));
		bt->dirty = malloc(bt->count * sizeof(*bt->dirty));
		if (!bt->b || !bt->dirty) {
			blocks_release(bt);
			return -1;
		}
	}
	return 0;
}

void blocks_release(struct blocks *bt)
{
	free(bt->b);
	free(bt->dirty);
	for (int k = 0; k < CRC_NKINDS; k++) {
		free(bt->crc[k]);
		bt->crc[k] = NULL;
	}
	free(bt->crc_ok);
	bt->b = NULL;
	bt->dirty = NULL;
	bt->crc_ok = NULL;
	bt->count = bt->ndirty = 0;
}

int blocks_track_crc(struct blocks *bt, enum crc_kind kind)
{
	if (!bt->count || bt->crc[kind])
		return 0;
	bt->crc[kind] = malloc(bt->count * sizeof(*bt->crc[kind]));
	if (!bt->crc[kind])
		return -1;
	if (!bt->crc_ok && !(bt->crc_ok = calloc(bt->count, 1)))
		return -1;
	/* Blocks completed before a kind was tracked do not have it. */
	memset(bt->crc_ok, 0, bt->count);
	return 0;
}

/* A block is complete: keep its CRCs (from a bhash or a reading). */
static void keep_crcs(struct blocks *bt, uint64_t idx, const uint64_t crc[CRC_NKINDS])
{
	if (!bt->crc_ok)
		return;
	for (int k = 0; k < CRC_NKINDS; k++)
		if (bt->crc[k])
			bt->crc[k][idx] = crc[k];
	bt->crc_ok[idx] = 1;
}

int blocks_crc(const struct blocks *bt, enum crc_kind kind, uint64_t *out)
{
	uint64_t c = 0, shift;

	if (!bt->crc[kind])
		return -1;
	shift = crc_shift(kind, bt->bsize);
	for (uint64_t i = 0; i < bt->count; i++) {
		if (!bt->crc_ok[i] || bt->b[i].done != blocks_len(bt, i))
			return -1;
		/* Every block but the last is bsize long. */
		c = i + 1 < bt->count ? crc_combine_shifted(kind, c, shift, bt->crc[kind][i])
				      : crc_combine(kind, c, bt->crc[kind][i], blocks_len(bt, i));
	}
	*out = c;
	return 0;
}

void blocks_set(struct blocks *bt, uint64_t idx, uint32_t done, uint64_t digest)
{
	struct block *b = &bt->b[idx];

	if (bt->crc_ok && done != b->done)
		bt->crc_ok[idx] = 0; /* changed: a complete block's CRCs come after */
	if (b->done == done && b->digest == digest)
		return;
	b->done = done;
	b->digest = done ? digest : 0;
	if (!b->dirty) {
		b->dirty = 1;
		bt->dirty[bt->ndirty++] = idx;
	}
}

void blocks_clean(struct blocks *bt)
{
	for (uint64_t i = 0; i < bt->ndirty; i++)
		bt->b[bt->dirty[i]].dirty = 0;
	bt->ndirty = 0;
}

uint64_t blocks_done_bytes(const struct blocks *bt)
{
	uint64_t sum = 0;

	for (uint64_t i = 0; i < bt->count; i++)
		sum += bt->b[i].done;
	return sum;
}

int blocks_complete(const struct blocks *bt)
{
	for (uint64_t i = 0; i < bt->count; i++)
		if (bt->b[i].done != blocks_len(bt, i))
			return 0;
	return 1;
}

int blocks_holes(const struct blocks *bt, struct range **out, size_t *n)
{
	struct range *v = NULL;
	size_t cnt = 0, cap = 0;

	for (uint64_t i = 0; i < bt->count; i++) {
		uint64_t s = blocks_start(bt, i) + bt->b[i].done;
		uint64_t e = blocks_start(bt, i) + blocks_len(bt, i);

		if (s == e)
			continue;
		if (cnt && v[cnt - 1].end == s) {
			v[cnt - 1].end = e; /* continues the previous hole */
			continue;
		}
		if (cnt == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			struct range *nv = realloc(v, ncap * sizeof(*nv));

			if (!nv) {
				free(v);
				return -1;
			}
			v = nv;
			cap = ncap;
		}
		v[cnt].start = s;
		v[cnt].end = e;
		cnt++;
	}
	*out = v;
	*n = cnt;
	return 0;
}

/*
 * Hash len bytes of the .part file at off into st, and into crc[] the
 * kinds bt tracks (crc may be NULL). 0, 1 if short, -errno.
 */
static int hash_file(XXH3_state_t *st, const struct blocks *bt, uint64_t *crc,
		     struct store *sto, uint64_t off, uint64_t len, unsigned char *buf)
{
	while (len) {
		size_t want = len < BLOCKS_READ_CHUNK ? (size_t)len : BLOCKS_READ_CHUNK;
		int r = store_pread(sto, buf, want, off);

		if (r < 0)
			return r;
		if ((size_t)r < want)
			return 1; /* the file is shorter than the table says */
		XXH3_64bits_update(st, buf, want);
		for (int k = 0; crc && k < CRC_NKINDS; k++)
			if (bt->crc[k])
				crc[k] = crc_update((enum crc_kind)k, crc[k], buf, want);
		off += want;
		len -= want;
	}
	return 0;
}

int blocks_verify(struct blocks *bt, struct store *sto, uint64_t *bad)
{
	XXH3_state_t *st = XXH3_createState();
	unsigned char *buf = malloc(BLOCKS_READ_CHUNK);
	int ret = 0;

	*bad = 0;
	if (!st || !buf) {
		ret = -ENOMEM;
		goto out;
	}
	for (uint64_t i = 0; i < bt->count; i++) {
		struct block *b = &bt->b[i];
		int r;

		uint64_t crc[CRC_NKINDS] = { 0 };

		if (!b->done)
			continue;
		XXH3_64bits_reset(st);
		r = hash_file(st, bt, crc, sto, blocks_start(bt, i), b->done, buf);
		if (r < 0) {
			ret = r;
			goto out;
		}
		if (r > 0 || XXH3_64bits_digest(st) != b->digest) {
			blocks_set(bt, i, 0, 0);
			(*bad)++;
		} else if (b->done == blocks_len(bt, i)) {
			keep_crcs(bt, i, crc); /* read anyway: the object's CRC needs them */
		}
	}
out:
	XXH3_freeState(st);
	free(buf);
	return ret;
}

int blocks_check(const struct blocks *bt, struct store *sto, uint64_t idx)
{
	XXH3_state_t *st = XXH3_createState();
	unsigned char *buf = malloc(BLOCKS_READ_CHUNK);
	int r = -ENOMEM;

	if (st && buf) {
		XXH3_64bits_reset(st);
		r = hash_file(st, bt, NULL, sto, blocks_start(bt, idx), bt->b[idx].done, buf);
		if (!r && XXH3_64bits_digest(st) != bt->b[idx].digest)
			r = 1;
	}
	XXH3_freeState(st);
	free(buf);
	return r;
}

int bhash_init(struct bhash *h)
{
	h->at = UINT64_MAX;
	h->st = XXH3_createState();
	return h->st ? 0 : -1;
}

void bhash_release(struct bhash *h)
{
	XXH3_freeState(h->st);
	h->st = NULL;
}

void bhash_forget(struct bhash *h)
{
	h->at = UINT64_MAX;
}

int bhash_seek(struct bhash *h, const struct blocks *bt, struct store *sto, uint64_t pos)
{
	uint64_t start;
	unsigned char *buf;
	int r;

	if (h->at == pos)
		return 0;
	h->at = UINT64_MAX;
	XXH3_64bits_reset(h->st);
	memset(h->crc, 0, sizeof(h->crc));
	start = pos - pos % bt->bsize;
	if (start < pos) {
		buf = malloc(BLOCKS_READ_CHUNK);
		if (!buf)
			return -ENOMEM;
		r = hash_file(h->st, bt, h->crc, sto, start, pos - start, buf);
		free(buf);
		if (r)
			return r < 0 ? r : -EIO;
	}
	h->at = pos;
	return 0;
}

void bhash_feed(struct bhash *h, struct blocks *bt, const void *buf, size_t n)
{
	const unsigned char *p = buf;

	while (n) {
		uint64_t idx = h->at / bt->bsize;
		uint64_t bend = blocks_start(bt, idx) + blocks_len(bt, idx);
		size_t take = bend - h->at < n ? (size_t)(bend - h->at) : n;

		XXH3_64bits_update(h->st, p, take);
		if (bt->crc_ok)
			for (int k = 0; k < CRC_NKINDS; k++)
				if (bt->crc[k])
					h->crc[k] = crc_update((enum crc_kind)k, h->crc[k], p, take);
		h->at += take;
		p += take;
		n -= take;
		if (h->at == bend) {
			blocks_set(bt, idx, blocks_len(bt, idx), XXH3_64bits_digest(h->st));
			keep_crcs(bt, idx, h->crc);
			XXH3_64bits_reset(h->st);
			memset(h->crc, 0, sizeof(h->crc));
		}
	}
}

void bhash_note(const struct bhash *h, struct blocks *bt)
{
	uint64_t idx, start;

	if (h->at == UINT64_MAX || h->at >= bt->size)
		return;
	idx = h->at / bt->bsize;
	start = blocks_start(bt, idx);
	if (h->at > start)
		blocks_set(bt, idx, (uint32_t)(h->at - start), XXH3_64bits_digest(h->st));
}
