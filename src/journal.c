/*
 * journal.c -- encode, decode and commit the resume journal.
 *
 * Layout (little-endian; haul-journal(5) has the full description):
 *   header:  "HAULJRNL" u32 version u32 header_len u64 size u32 block_size
 *            u32 flags u64 created u16 etag_len u16 lm_len u16 url_len
 *            u16 reserved, the three strings, u64 XXH3-64 of all before it
 *   record:  u32 type(1) u32 count u64 seq, count x { u64 block u32 done
 *            u32 reserved u64 digest }, u64 XXH3-64 of all before it
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "xxh.h"

#include "journal.h"

#define HDR_FIXED 48u
#define REC_FIXED 16u
#define REC_ENTRY 24u
#define REC_SUM 8u
#define REC_CHECKPOINT 1u

static void put16(unsigned char *p, uint16_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
}

static void put32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static void put64(unsigned char *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static uint16_t get16(const unsigned char *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t get32(const unsigned char *p)
{
	uint32_t v = 0;

	for (int i = 3; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static uint64_t get64(const unsigned char *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

void journal_id_release(struct journal_id *id)
{
	free(id->etag);
	free(id->last_modified);
	free(id->url);
	memset(id, 0, sizeof(*id));
}

const char *journal_status_str(enum journal_status s)
{
	switch (s) {
	case JOURNAL_OK: return "valid";
	case JOURNAL_SHORT: return "empty or cut short";
	case JOURNAL_BAD_MAGIC: return "not a haul journal";
	case JOURNAL_FUTURE: return "written by a newer haul";
	case JOURNAL_CORRUPT: return "damaged";
	}
	return "?";
}

static int same_str(const char *a, const char *b)
{
	return a && b && strcmp(a, b) == 0;
}

int journal_same_object(const struct journal_id *id, uint64_t size, const char *etag,
			const char *last_modified, char *why, size_t whylen)
{
	if (id->size != size) {
		snprintf(why, whylen, "size %llu, now %llu", (unsigned long long)id->size,
			 (unsigned long long)size);
		return 0;
	}
	if (id->etag) {
		if (same_str(id->etag, etag))
			return 1;
		snprintf(why, whylen, "ETag %.100s, now %.100s", id->etag, etag ? etag : "none");
		return 0;
	}
	if (etag) {
		snprintf(why, whylen, "no ETag, now %.100s", etag);
		return 0;
	}
	if (id->last_modified && !same_str(id->last_modified, last_modified)) {
		snprintf(why, whylen, "Last-Modified %.64s, now %.64s", id->last_modified,
			 last_modified ? last_modified : "none");
		return 0;
	}
	return 1;
}

static size_t slen(const char *s)
{
	return s ? strlen(s) : 0;
}

int journal_encode_header(const struct journal_id *id, unsigned char **out, size_t *len)
{
	size_t e = slen(id->etag), l = slen(id->last_modified), u = slen(id->url);
	size_t n = HDR_FIXED + e + l + u + 8;
	unsigned char *p;

	*out = NULL;
	if (e > JOURNAL_FIELD_MAX || l > JOURNAL_FIELD_MAX || u > JOURNAL_FIELD_MAX)
		return -1;
	p = calloc(1, n);
	if (!p)
		return -1;
	memcpy(p, JOURNAL_MAGIC, 8);
	put32(p + 8, JOURNAL_VERSION);
	put32(p + 12, (uint32_t)n);
	put64(p + 16, id->size);
	put32(p + 24, id->bsize);
	put32(p + 28, 0);
	put64(p + 32, id->created);
	put16(p + 40, (uint16_t)e);
	put16(p + 42, (uint16_t)l);
	put16(p + 44, (uint16_t)u);
	put16(p + 46, 0);
	if (e)
		memcpy(p + HDR_FIXED, id->etag, e);
	if (l)
		memcpy(p + HDR_FIXED + e, id->last_modified, l);
	if (u)
		memcpy(p + HDR_FIXED + e + l, id->url, u);
	put64(p + n - 8, XXH3_64bits(p, n - 8));
	*out = p;
	*len = n;
	return 0;
}

int journal_encode_record(uint64_t seq, const struct blocks *bt, const uint64_t *idx, uint64_t n,
			  unsigned char **out, size_t *len)
{
	size_t size = REC_FIXED + (size_t)n * REC_ENTRY + REC_SUM;
	unsigned char *p = malloc(size), *q;

	*out = NULL;
	if (!p)
		return -1;
	put32(p, REC_CHECKPOINT);
	put32(p + 4, (uint32_t)n);
	put64(p + 8, seq);
	q = p + REC_FIXED;
	for (uint64_t i = 0; i < n; i++, q += REC_ENTRY) {
		const struct block *b = &bt->b[idx[i]];

		put64(q, idx[i]);
		put32(q + 8, b->done);
		put32(q + 12, 0);
		put64(q + 16, b->digest);
	}
	put64(q, XXH3_64bits(p, size - REC_SUM));
	*out = p;
	*len = size;
	return 0;
}

/* A string field: no NUL inside. NULL when empty. 0 or -1. */
static int take_field(const unsigned char *p, size_t n, char **out)
{
	*out = NULL;
	if (!n)
		return 0;
	if (memchr(p, '\0', n))
		return -1;
	*out = malloc(n + 1);
	if (!*out)
		return -1;
	memcpy(*out, p, n);
	(*out)[n] = '\0';
	return 0;
}

static enum journal_status decode_header(const unsigned char *buf, size_t len,
					 struct journal_id *id, uint32_t *hlen)
{
	uint32_t version, n, e, l, u;

	if (len < 8)
		return len && memcmp(buf, JOURNAL_MAGIC, len) != 0 ? JOURNAL_BAD_MAGIC
								    : JOURNAL_SHORT;
	if (memcmp(buf, JOURNAL_MAGIC, 8) != 0)
		return JOURNAL_BAD_MAGIC;
	if (len < 16)
		return JOURNAL_SHORT;
	version = get32(buf + 8);
	if (version > JOURNAL_VERSION)
		return JOURNAL_FUTURE;
	if (version != JOURNAL_VERSION)
		return JOURNAL_CORRUPT;
	n = get32(buf + 12);
	if (n < HDR_FIXED + 8 || n > HDR_FIXED + 3 * JOURNAL_FIELD_MAX + 8)
		return JOURNAL_CORRUPT;
	if (len < n)
		return JOURNAL_SHORT;
	if (get64(buf + n - 8) != XXH3_64bits(buf, n - 8))
		return JOURNAL_CORRUPT;
	e = get16(buf + 40);
	l = get16(buf + 42);
	u = get16(buf + 44);
	if (HDR_FIXED + e + l + u + 8 != n || get32(buf + 28) != 0)
		return JOURNAL_CORRUPT;
	memset(id, 0, sizeof(*id));
	id->size = get64(buf + 16);
	id->bsize = get32(buf + 24);
	id->created = get64(buf + 32);
	if (id->size > (uint64_t)INT64_MAX || id->bsize < BLOCKS_MIN_SIZE ||
	    id->bsize > BLOCKS_MAX_SIZE || (id->bsize & (id->bsize - 1)) != 0 ||
	    take_field(buf + HDR_FIXED, e, &id->etag) ||
	    take_field(buf + HDR_FIXED + e, l, &id->last_modified) ||
	    take_field(buf + HDR_FIXED + e + l, u, &id->url)) {
		journal_id_release(id);
		return JOURNAL_CORRUPT;
	}
	*hlen = n;
	return JOURNAL_OK;
}

/* Length of a valid record at p (<= len), or 0 when it is not one. */
static size_t check_record(const unsigned char *p, size_t len, const struct blocks *bt,
			   uint64_t want_seq)
{
	uint32_t n;
	size_t size;
	const unsigned char *q;

	if (len < REC_FIXED + REC_SUM || get32(p) != REC_CHECKPOINT)
		return 0;
	n = get32(p + 4);
	if (n > bt->count)
		return 0;
	size = REC_FIXED + (size_t)n * REC_ENTRY + REC_SUM;
	if (size > len || get64(p + 8) != want_seq)
		return 0;
	if (get64(p + size - REC_SUM) != XXH3_64bits(p, size - REC_SUM))
		return 0;
	for (q = p + REC_FIXED; q < p + size - REC_SUM; q += REC_ENTRY) {
		uint64_t idx = get64(q);

		if (idx >= bt->count || get32(q + 8) > blocks_len(bt, idx) || get32(q + 12) != 0)
			return 0;
	}
	return size;
}

enum journal_status journal_decode(const unsigned char *buf, size_t len, struct journal_id *id,
				   struct blocks *bt, struct journal_scan *scan)
{
	enum journal_status s;
	uint32_t hlen = 0;
	size_t off, rec;

	memset(scan, 0, sizeof(*scan));
	if (len >= 12)
		scan->version = get32(buf + 8);
	s = decode_header(buf, len, id, &hlen);
	if (s != JOURNAL_OK)
		return s;
	if (blocks_init(bt, id->size, id->bsize)) {
		journal_id_release(id);
		return JOURNAL_CORRUPT;
	}
	off = hlen;
	while ((rec = check_record(buf + off, len - off, bt, scan->seq + 1)) != 0) {
		const unsigned char *q;

		for (q = buf + off + REC_FIXED; q < buf + off + rec - REC_SUM; q += REC_ENTRY) {
			struct block *b = &bt->b[get64(q)];

			b->done = get32(q + 8);
			b->digest = b->done ? get64(q + 16) : 0;
		}
		scan->seq++;
		scan->records++;
		off += rec;
	}
	scan->valid_len = off;
	scan->ignored = len - off;
	return JOURNAL_OK;
}

/* ---- files ------------------------------------------------------------ */

void journal_init(struct journal *j, const struct store_ops *ops)
{
	memset(j, 0, sizeof(*j));
	j->fd = -1;
	j->ops = ops ? ops : &store_sys_ops;
}

static int copy_id(struct journal_id *dst, const struct journal_id *src)
{
	memset(dst, 0, sizeof(*dst));
	dst->size = src->size;
	dst->bsize = src->bsize;
	dst->created = src->created;
	if ((src->etag && !(dst->etag = strdup(src->etag))) ||
	    (src->last_modified && !(dst->last_modified = strdup(src->last_modified))) ||
	    (src->url && !(dst->url = strdup(src->url)))) {
		journal_id_release(dst);
		return -1;
	}
	return 0;
}

/* Indexes of every written block, for a full record. */
static uint64_t *all_written(const struct blocks *bt, uint64_t *n)
{
	uint64_t *v = malloc((bt->count ? bt->count : 1) * sizeof(*v));

	*n = 0;
	if (!v)
		return NULL;
	for (uint64_t i = 0; i < bt->count; i++)
		if (bt->b[i].done)
			v[(*n)++] = i;
	return v;
}

/* Write the header and a full record to path.tmp, sync, rename over path. */
/* Encode the header and a record of every written block into u. */
static int encode_whole(const struct journal *j, const struct blocks *bt, struct journal_update *u)
{
	uint64_t cnt, *idx = all_written(bt, &cnt);

	memset(u, 0, sizeof(*u));
	u->rewrite = 1;
	if (!idx || journal_encode_header(&j->id, &u->hdr, &u->hlen) ||
	    journal_encode_record(1, bt, idx, cnt, &u->rec, &u->rlen)) {
		free(idx);
		journal_update_release(u);
		return -1;
	}
	free(idx);
	return 0;
}

/* Write a fresh copy of the journal from u (header + whole table). */
static int rewrite(struct journal *j, const struct journal_update *u, struct haul_error *err)
{
	const unsigned char *hdr = u->hdr, *rec = u->rec;
	size_t hlen = u->hlen, rlen = u->rlen, n = strlen(j->path) + 5;
	char *tmp = malloc(n);
	int fd = -1, ret = 0;

	if (!tmp) {
		ret = haul_error_set(err, HAUL_EFAIL, "out of memory");
		goto out;
	}
	snprintf(tmp, n, "%s.tmp", j->path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0 || fchmod(fd, 0600) != 0 ||
	    store_pwrite_fd(j->ops, fd, hdr, hlen, 0) != 0 ||
	    store_pwrite_fd(j->ops, fd, rec, rlen, hlen) != 0 || j->ops->fsync(fd) != 0) {
		ret = haul_error_set(err, HAUL_EIO, "%s: cannot write the journal: %s", tmp,
				     strerror(errno));
		if (fd >= 0)
			unlink(tmp);
		goto out;
	}
	if (j->ops->rename(tmp, j->path, 1) != 0) {
		ret = haul_error_set(err, HAUL_EIO, "cannot rename %s to %s: %s", tmp, j->path,
				     strerror(errno));
		unlink(tmp);
		goto out;
	}
	if (store_fsync_dir(j->path) != 0) {
		ret = haul_error_set(err, HAUL_EIO, "%s: fsync of directory: %s", j->path,
				     strerror(errno));
		goto out;
	}
	if (j->fd >= 0)
		close(j->fd);
	j->fd = fd;
	fd = -1;
	j->seq = 1;
	j->off = j->base = hlen + rlen;
out:
	if (fd >= 0)
		close(fd);
	free(tmp);
	return ret;
}

int journal_create(struct journal *j, const char *path, const struct journal_id *id,
		   struct blocks *bt, struct haul_error *err)
{
	struct journal_update u;
	int ret;

	memset(&u, 0, sizeof(u));
	j->path = strdup(path);
	if (!j->path || copy_id(&j->id, id) || encode_whole(j, bt, &u))
		return haul_error_set(err, HAUL_EFAIL, "out of memory");
	ret = rewrite(j, &u, err);
	journal_update_release(&u);
	if (!ret)
		blocks_clean(bt);
	return ret;
}

int journal_open(struct journal *j, const char *path, struct journal_id *id, struct blocks *bt,
		 struct journal_scan *scan, struct haul_error *err)
{
	struct stat sb;
	unsigned char *buf = NULL;
	size_t got = 0;
	enum journal_status s;
	int fd, ret;

	fd = open(path, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ELOOP)
			return haul_error_set(err, HAUL_EIO,
					      "%s: is a symbolic link; refusing to use it", path);
		return haul_error_set(err, HAUL_EIO, "%s: %s", path, strerror(errno));
	}
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		close(fd);
		return haul_error_set(err, HAUL_EIO, "%s: not a regular file", path);
	}
	if ((uint64_t)sb.st_size > JOURNAL_FILE_MAX) {
		close(fd);
		memset(scan, 0, sizeof(*scan));
		return JOURNAL_CORRUPT;
	}
	buf = malloc((size_t)sb.st_size + 1);
	if (!buf) {
		close(fd);
		return haul_error_set(err, HAUL_EFAIL, "out of memory");
	}
	while (got < (size_t)sb.st_size) {
		ssize_t r = j->ops->pread(fd, buf + got, (size_t)sb.st_size - got, (off_t)got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	s = journal_decode(buf, got, id, bt, scan);
	free(buf);
	if (s != JOURNAL_OK) {
		close(fd);
		return (int)s;
	}
	/* Cut a torn tail, so the next record continues a valid chain. */
	if (scan->ignored && ftruncate(fd, (off_t)scan->valid_len) != 0) {
		ret = haul_error_set(err, HAUL_EIO, "%s: %s", path, strerror(errno));
		goto fail;
	}
	fchmod(fd, 0600);
	j->path = strdup(path);
	if (!j->path || copy_id(&j->id, id)) {
		ret = haul_error_set(err, HAUL_EFAIL, "out of memory");
		goto fail;
	}
	j->fd = fd;
	j->seq = scan->seq;
	j->off = j->base = scan->valid_len;
	return 0;
fail:
	close(fd);
	journal_id_release(id);
	blocks_release(bt);
	return ret;
}

int journal_wants_rewrite(const struct journal *j)
{
	/* Appends only add; once they outweigh a fresh copy, write one. */
	return j->off - j->base > (j->base > (1u << 20) ? j->base : (1u << 20));
}

int journal_prepare(struct journal *j, struct blocks *bt, struct journal_update *u,
		    struct haul_error *err)
{
	memset(u, 0, sizeof(*u));
	if (!bt->ndirty)
		return 0;
	if (journal_wants_rewrite(j)) {
		if (encode_whole(j, bt, u))
			return haul_error_set(err, HAUL_EFAIL, "out of memory");
	} else if (journal_encode_record(j->seq + 1, bt, bt->dirty, bt->ndirty, &u->rec,
					 &u->rlen)) {
		journal_update_release(u);
		return haul_error_set(err, HAUL_EFAIL, "out of memory");
	}
	blocks_clean(bt);
	return 0;
}

int journal_append(struct journal *j, const struct journal_update *u, struct haul_error *err)
{
	int r;

	if (!u->rlen)
		return 0;
	if (u->rewrite)
		return haul_error_set(err, HAUL_EFAIL, "%s: a fresh copy is not an append", j->path);
	r = store_pwrite_fd(j->ops, j->fd, u->rec, u->rlen, j->off);
	if (r)
		/* j->off is unchanged: the next record overwrites a torn one. */
		return haul_error_set(err, HAUL_EIO, "%s: cannot write the journal: %s", j->path,
				      strerror(-r));
	j->seq++;
	j->off += u->rlen;
	return 0;
}

int journal_sync(struct journal *j, struct haul_error *err)
{
	if (j->fd >= 0 && j->ops->fdatasync(j->fd) != 0)
		return haul_error_set(err, HAUL_EIO, "%s: cannot sync the journal: %s", j->path,
				      strerror(errno));
	return 0;
}

int journal_write(struct journal *j, const struct journal_update *u, struct haul_error *err)
{
	int ret;

	if (!u->rlen)
		return 0;
	if (u->rewrite)
		return rewrite(j, u, err);
	ret = journal_append(j, u, err);
	return ret ? ret : journal_sync(j, err);
}

void journal_update_release(struct journal_update *u)
{
	free(u->hdr);
	free(u->rec);
	memset(u, 0, sizeof(*u));
}

int journal_commit(struct journal *j, struct blocks *bt, struct haul_error *err)
{
	struct journal_update u;
	int ret = journal_prepare(j, bt, &u, err);

	if (!ret)
		ret = journal_write(j, &u, err);
	journal_update_release(&u);
	return ret;
}

void journal_close(struct journal *j, int unlink_it)
{
	if (j->fd >= 0)
		close(j->fd);
	if (unlink_it && j->path) {
		unlink(j->path);
		store_fsync_dir(j->path);
	}
	free(j->path);
	journal_id_release(&j->id);
	journal_init(j, j->ops);
}
