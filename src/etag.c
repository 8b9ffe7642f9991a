/*
 * etag.c -- S3-style ETags and checksums: classification, the part sizes
 * a part count allows, and the digest-of-digests of a multipart upload.
 */
#include "config.h"

#include <string.h>

#include "etag.h"

#define MiB (1024ull * 1024)

enum etag_kind etag_classify(const char *etag, struct etag_info *out)
{
	size_t len;
	uint64_t n = 0;

	memset(out, 0, sizeof(*out));
	out->kind = ETAG_OPAQUE;
	if (!etag || etag[0] != '"')
		return ETAG_OPAQUE; /* absent, or weak (W/"...") */
	etag++;
	len = strlen(etag);
	if (len < 33 || etag[len - 1] != '"')
		return ETAG_OPAQUE;
	len--;
	if (digest_unhex(etag, 32, out->md5, 16))
		return ETAG_OPAQUE;
	if (len == 32)
		return out->kind = ETAG_MD5;
	if (etag[32] != '-' || len == 33 || len > 33 + 5)
		return ETAG_OPAQUE; /* at most ETAG_MAX_PARTS */
	for (size_t i = 33; i < len; i++) {
		if (etag[i] < '0' || etag[i] > '9')
			return ETAG_OPAQUE;
		n = n * 10 + (uint64_t)(etag[i] - '0');
	}
	if (!n || n > ETAG_MAX_PARTS || etag[33] == '0')
		return ETAG_OPAQUE;
	out->parts = n;
	return out->kind = ETAG_MULTIPART;
}

int etag_parse_checksum(const char *v, size_t len, enum digest_alg alg, unsigned char *want,
			uint64_t *parts)
{
	const char *dash = memchr(v, '-', len);
	uint64_t n = 0;

	*parts = 0;
	if (!dash)
		return digest_unbase64(v, len, want, digest_size(alg));
	/* base64 has no '-': what follows it is the part count. */
	for (const char *p = dash + 1; p < v + len; p++) {
		if (*p < '0' || *p > '9' || n > ETAG_MAX_PARTS)
			return -1;
		n = n * 10 + (uint64_t)(*p - '0');
	}
	if (!n || n > ETAG_MAX_PARTS || dash[1] == '0')
		return -1;
	*parts = n;
	return digest_unbase64(v, (size_t)(dash - v), want, digest_size(alg));
}

int etag_part_interval(uint64_t size, uint64_t parts, uint64_t *lo, uint64_t *hi)
{
	if (!parts)
		return -1;
	if (parts == 1) { /* one part: any size that holds the object */
		*lo = size ? size : 1;
		*hi = UINT64_MAX;
		return 0;
	}
	if (size < parts)
		return -1; /* parts >= 2 cannot be empty but the last */
	/* (parts - 1) * P < size <= parts * P */
	*lo = size / parts + (size % parts != 0);
	*hi = (size - 1) / (parts - 1);
	return *lo <= *hi ? 0 : -1;
}

struct cands {
	uint64_t *out;
	size_t n, cap;
	uint64_t lo, hi;
	uint64_t extra[8]; /* tool sizes that are neither MiB nor MB multiples */
	size_t nextra;
};

#define MB 1000000ull

static void put(struct cands *c, uint64_t p)
{
	if (p < c->lo || p > c->hi || !p)
		return;
	for (size_t i = 0; i < c->n; i++)
		if (c->out[i] == p)
			return;
	if (p % MiB && p % MB) {
		/* Counted once, whether or not there is room for it. */
		for (size_t i = 0; i < c->nextra; i++)
			if (c->extra[i] == p)
				return;
		if (c->nextra < sizeof(c->extra) / sizeof(c->extra[0]))
			c->extra[c->nextra++] = p;
	}
	if (c->n < c->cap)
		c->out[c->n++] = p;
}

/* Multiples of m in [lo, hi]. */
static uint64_t multiples(uint64_t m, uint64_t lo, uint64_t hi)
{
	uint64_t first = lo / m + (lo % m != 0);

	return hi / m >= first ? hi / m - first + 1 : 0;
}

size_t etag_part_candidates(uint64_t size, uint64_t parts, uint64_t given, uint64_t *out,
			    size_t cap, uint64_t *total)
{
	/* Part sizes upload tools use as they are (SDK defaults, common
	 * settings), in MiB and in MB. */
	static const uint64_t mib[] = { 5, 8, 16, 10, 15, 32, 50, 64, 100, 128, 256, 512, 1024 };
	static const uint64_t mb[] = { 5, 8, 10, 15, 16, 50, 100 };
	struct cands c = { .out = out, .cap = cap };
	uint64_t per, lcm = 16384000000ull; /* lcm(2^20, 10^6) = 2^20 * 5^6 */

	*total = 0;
	if (etag_part_interval(size, parts, &c.lo, &c.hi))
		return 0;
	if (given) {
		put(&c, given);
		*total = c.n;
		return c.n;
	}
	if (parts == 1) { /* every part size gives the same digest */
		put(&c, c.lo);
		*total = 1;
		return c.n;
	}
	per = c.lo; /* ceil(size / parts): tools that cut evenly */
	put(&c, per);
	/* The AWS CLI and boto3: 8 MiB, doubled while there are too many parts. */
	for (uint64_t p = 8 * MiB; p <= c.hi && p; p *= 2)
		put(&c, p);
	for (size_t i = 0; i < sizeof(mib) / sizeof(mib[0]); i++)
		put(&c, mib[i] * MiB);
	/* SDKs that keep to 10000 parts: the AWS SDK for Java, Go's s3manager
	 * (size / 10000 + 1), minio-go (rounded up to 16 MiB). */
	put(&c, size / ETAG_MAX_PARTS + (size % ETAG_MAX_PARTS != 0));
	put(&c, size / ETAG_MAX_PARTS + 1);
	put(&c, (size / ETAG_MAX_PARTS / (16 * MiB) + 1) * 16 * MiB);
	for (size_t i = 0; i < sizeof(mb) / sizeof(mb[0]); i++)
		put(&c, mb[i] * MB);
	put(&c, (per + MiB - 1) / MiB * MiB);
	put(&c, (per + MB - 1) / MB * MB);
	/* Then every whole number of MiB, then of MB. */
	for (uint64_t p = (c.lo + MiB - 1) / MiB * MiB; p <= c.hi && c.n < c.cap; p += MiB)
		put(&c, p);
	for (uint64_t p = (c.lo + MB - 1) / MB * MB; p <= c.hi && c.n < c.cap; p += MB)
		put(&c, p);
	*total = multiples(MiB, c.lo, c.hi) + multiples(MB, c.lo, c.hi) -
		 multiples(lcm, c.lo, c.hi) + c.nextra;
	return c.n;
}

int mpart_init(struct mpart *m, enum digest_alg alg, uint64_t part_size)
{
	memset(m, 0, sizeof(*m));
	m->alg = alg;
	m->part_size = part_size;
	if (digest_init(&m->part, alg) || digest_init(&m->outer, alg)) {
		mpart_release(m);
		return -1;
	}
	return 0;
}

static void end_part(struct mpart *m)
{
	unsigned char d[DIGEST_MAX];

	digest_final(&m->part, d);
	digest_release(&m->part);
	digest_update(&m->outer, d, digest_size(m->alg));
	m->parts++;
	m->at = 0;
	if (digest_init(&m->part, m->alg))
		m->part.state = NULL; /* no memory: the result will not match */
}

void mpart_update(struct mpart *m, const void *buf, size_t len)
{
	const unsigned char *p = buf;

	while (len) {
		uint64_t room = m->part_size - m->at;
		size_t take = len < room ? len : (size_t)room;

		digest_update(&m->part, p, take);
		m->at += take;
		p += take;
		len -= take;
		if (m->at == m->part_size)
			end_part(m);
	}
}

void mpart_final(struct mpart *m, unsigned char *out, uint64_t *parts)
{
	if (m->at || !m->parts)
		end_part(m); /* the last, shorter part (or an empty object) */
	digest_final(&m->outer, out);
	*parts = m->parts;
}

void mpart_release(struct mpart *m)
{
	digest_release(&m->part);
	digest_release(&m->outer);
}
