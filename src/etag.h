/*
 * etag.h -- digests of objects uploaded in parts. S3 gives an object
 * uploaded in one piece the MD5 of its bytes as ETag (32 hex digits); one
 * uploaded in N parts gets "HEX-N", HEX being the MD5 of the concatenated
 * binary MD5s of the parts. S3's composite checksums are built the same
 * way with their own algorithm ("BASE64-N" in x-amz-checksum-ALG). Every
 * part but the last has the same size, which neither says: N fixes it to
 * an interval (every P with ceil(size / P) = N), and the sizes upload
 * tools choose within it are tried, most likely first.
 */
#ifndef HAUL_ETAG_H
#define HAUL_ETAG_H

#include <stddef.h>
#include <stdint.h>

#include "digest.h"

/* S3 allows at most 10000 parts. */
#define ETAG_MAX_PARTS 10000

enum etag_kind {
	ETAG_OPAQUE,    /* nothing to check: weak, absent or another format */
	ETAG_MD5,       /* 32 hex digits: the MD5 of the object */
	ETAG_MULTIPART, /* 32 hex digits, '-', a part count */
};

struct etag_info {
	enum etag_kind kind;
	unsigned char md5[16]; /* the digest the ETag carries */
	uint64_t parts;        /* ETAG_MULTIPART: how many parts */
};

/* Classify an ETag header value (quotes included, as sent). */
enum etag_kind etag_classify(const char *etag, struct etag_info *out);

/*
 * An S3 checksum header's value for alg: "BASE64" (the whole object's,
 * *parts = 0) or "BASE64-N" (composite: of the N parts' checksums). 0,
 * or -1 when it does not decode.
 */
int etag_parse_checksum(const char *v, size_t len, enum digest_alg alg, unsigned char *want,
			uint64_t *parts);

/*
 * The part sizes P that cut size bytes into exactly parts parts:
 * [*lo, *hi]. 0, or -1 when there is none (then the digest cannot be of
 * this object).
 */
int etag_part_interval(uint64_t size, uint64_t parts, uint64_t *lo, uint64_t *hi);

/*
 * The part sizes worth trying for parts parts of size bytes, most likely
 * first: `given` alone when not 0 (if it fits); else the sizes upload
 * tools choose (the AWS CLI's 8 MiB doubled until the parts fit, 5 MiB,
 * ceil(size / parts), ceil(size / 10000), 16 MiB multiples, ...), then
 * every multiple of 1 MiB and of 1 MB (10^6) in the interval. Writes at
 * most cap of them into out and returns how many; *total is how many
 * there are in all.
 */
size_t etag_part_candidates(uint64_t size, uint64_t parts, uint64_t given, uint64_t *out,
			    size_t cap, uint64_t *total);

/* A composite digest (alg over the parts' alg digests) of bytes fed in order. */
struct mpart {
	enum digest_alg alg;
	uint64_t part_size;
	uint64_t at;    /* bytes in the current part */
	uint64_t parts; /* finished parts */
	struct digest part, outer;
};

int mpart_init(struct mpart *m, enum digest_alg alg, uint64_t part_size); /* 0, -1: no memory */
void mpart_update(struct mpart *m, const void *buf, size_t len);
/* The composite digest (digest_size(alg) bytes) and part count; then only release. */
void mpart_final(struct mpart *m, unsigned char *out, uint64_t *parts);
void mpart_release(struct mpart *m);

#endif
