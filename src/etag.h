/*
 * etag.h -- what an object store's ETag says about the bytes. S3 and R2
 * give an object uploaded in one piece the MD5 of its bytes as ETag (32 hex
 * digits); one uploaded in N parts gets "HEX-N", HEX being the MD5 of the
 * concatenated binary MD5s of the parts. Every part but the last has the
 * same size, which the ETag does not say: it is given (--etag-part-size)
 * or guessed from the usual choices of upload tools.
 */
#ifndef HAUL_ETAG_H
#define HAUL_ETAG_H

#include <stddef.h>
#include <stdint.h>

#include "digest.h"

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
 * The part sizes that could have produced `parts` parts for `size` bytes:
 * `given` alone when not 0, else size / parts rounded up to a MiB and the
 * sizes upload tools use by default (5, 8, 16, 64, 100 MiB), keeping those
 * for which ceil(size / part size) == parts. Writes at most cap sizes,
 * smallest first, and returns how many it wrote.
 */
size_t etag_part_sizes(uint64_t size, uint64_t parts, uint64_t given, uint64_t *out, size_t cap);

/* The multipart digest of a byte stream fed in order. */
struct etag_mpart {
	uint64_t part_size;
	uint64_t at;    /* bytes in the current part */
	uint64_t parts; /* finished parts */
	struct digest part, outer;
};

int etag_mpart_init(struct etag_mpart *m, uint64_t part_size); /* 0, -1: no memory */
void etag_mpart_update(struct etag_mpart *m, const void *buf, size_t len);
/* The ETag digest and part count; m can then only be released. */
void etag_mpart_final(struct etag_mpart *m, unsigned char md5[16], uint64_t *parts);
void etag_mpart_release(struct etag_mpart *m);

#endif
