/*
 * etag.c -- S3-style ETags: classification, part size candidates and the
 * MD5-of-MD5s of a multipart upload.
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
		return ETAG_OPAQUE; /* S3 allows at most 10000 parts */
	for (size_t i = 33; i < len; i++) {
		if (etag[i] < '0' || etag[i] > '9')
			return ETAG_OPAQUE;
		n = n * 10 + (uint64_t)(etag[i] - '0');
	}
	if (!n || (etag[33] == '0'))
		return ETAG_OPAQUE;
	out->parts = n;
	return out->kind = ETAG_MULTIPART;
}

static int fits(uint64_t size, uint64_t parts, uint64_t ps)
{
	return ps && (size / ps + (size % ps != 0) == parts || (!size && parts == 1));
}

size_t etag_part_sizes(uint64_t size, uint64_t parts, uint64_t given, uint64_t *out, size_t cap)
{
	static const uint64_t usual[] = { 5 * MiB, 8 * MiB, 16 * MiB, 64 * MiB, 100 * MiB };
	uint64_t cand[1 + sizeof(usual) / sizeof(usual[0])];
	size_t nc = 0, n = 0;

	if (!parts)
		return 0;
	if (given) {
		cand[nc++] = given;
	} else {
		uint64_t per = size / parts + (size % parts != 0);

		cand[nc++] = (per + MiB - 1) / MiB * MiB;
		memcpy(cand + nc, usual, sizeof(usual));
		nc += sizeof(usual) / sizeof(usual[0]);
	}
	/* Keep the fitting ones, ascending, without repeats. */
	for (;;) {
		uint64_t best = 0;

		for (size_t i = 0; i < nc; i++)
			if (fits(size, parts, cand[i]) && (!n || cand[i] > out[n - 1]) &&
			    (!best || cand[i] < best))
				best = cand[i];
		if (!best || n == cap)
			return n;
		out[n++] = best;
	}
}

int etag_mpart_init(struct etag_mpart *m, uint64_t part_size)
{
	memset(m, 0, sizeof(*m));
	m->part_size = part_size;
	if (digest_init(&m->part, DIGEST_MD5) || digest_init(&m->outer, DIGEST_MD5)) {
		etag_mpart_release(m);
		return -1;
	}
	return 0;
}

static void end_part(struct etag_mpart *m)
{
	unsigned char md5[16];

	digest_final(&m->part, md5);
	digest_release(&m->part);
	digest_update(&m->outer, md5, sizeof(md5));
	m->parts++;
	m->at = 0;
	if (digest_init(&m->part, DIGEST_MD5))
		m->part.state = NULL; /* no memory: the result will not match */
}

void etag_mpart_update(struct etag_mpart *m, const void *buf, size_t len)
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

void etag_mpart_final(struct etag_mpart *m, unsigned char md5[16], uint64_t *parts)
{
	if (m->at || !m->parts)
		end_part(m); /* the last, shorter part (or an empty object) */
	digest_final(&m->outer, md5);
	*parts = m->parts;
}

void etag_mpart_release(struct etag_mpart *m)
{
	digest_release(&m->part);
	digest_release(&m->outer);
}
