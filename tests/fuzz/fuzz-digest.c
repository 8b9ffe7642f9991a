/* libFuzzer target: what servers and users hand the integrity code --
 * ETags, S3 checksum values, base64 and hex digests, --checksum specs,
 * part-size candidates. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "digest.h"
#include "etag.h"
#include "trust.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The input's lines as response headers ("Name: value"). */
static const char *lines_header(void *ctx, const char *name, size_t index)
{
	const char *p = ctx;
	size_t n = strlen(name);

	while (p && *p) {
		const char *nl = strchr(p, '\n');

		if (!strncasecmp(p, name, n) && p[n] == ':' && p[n + 1] == ' ' && index-- == 0)
			return p + n + 2;
		p = nl ? nl + 1 : NULL;
	}
	return NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	unsigned char out[DIGEST_MAX];
	struct etag_info ei;
	struct expect e;
	struct haul_error err;
	static uint64_t sizes[64];
	uint64_t objsize = 0, parts = 0, total, lo, hi;
	size_t n;

	memcpy(s, data, size);
	s[size] = '\0';
	for (size_t i = 0; i < 8 && i < size; i++)
		objsize = objsize << 8 | data[i];
	if (etag_classify(s, &ei) == ETAG_MULTIPART)
		parts = ei.parts;
	else if (size > 8)
		parts = (data[8] << 8 | (size > 9 ? data[9] : 0)) % 10002;
	/* The candidates' promises: each cuts the object into exactly that
	 * many parts, none twice, never more than there are in all. */
	n = etag_part_candidates(objsize, parts, size > 10 && data[10] & 1 ? objsize >> 3 : 0,
				 sizes, 64, &total);
	if (n > total || (n && etag_part_interval(objsize, parts, &lo, &hi)))
		abort();
	for (size_t i = 0; i < n; i++) {
		if (!sizes[i] || objsize / sizes[i] + (objsize % sizes[i] != 0) !=
				 (parts == 1 && !objsize ? 0 : parts))
			if (!(parts == 1 && sizes[i] >= objsize))
				abort();
		for (size_t j = 0; j < i; j++)
			if (sizes[j] == sizes[i])
				abort();
	}
	for (int a = 0; a < DIGEST_NALGS; a++)
		(void)etag_parse_checksum(s, strlen(s), (enum digest_alg)a, out, &parts);
	for (size_t want = 1; want <= DIGEST_MAX; want *= 2) {
		(void)digest_unbase64(s, strlen(s), out, want);
		(void)digest_unhex(s, strlen(s), out, want);
	}
	/* Claims from the input as headers, and the plan: never more checks
	 * than there is room for, none of an unknown algorithm. */
	{
		struct claims cl;
		struct trust_plan p;
		char *nl;

		trust_read(&cl, lines_header, s, size & 1, s, size & 2);
		trust_plan(&cl, lines_header(s, "ETag", 0), size & 4, &p);
		if (cl.n > CLAIMS_MAX || p.n > TRUST_MAX_CHECKS || p.nnotes > TRUST_MAX_NOTES)
			abort();
		for (unsigned i = 0; i < p.n; i++)
			if (p.k[i].e.alg >= DIGEST_NALGS || p.k[i].parts > ETAG_MAX_PARTS)
				abort();
		(void)trust_ask_checksums(s);
		/* Values end at the line's end: cut them there for the rest. */
		while ((nl = strchr(s, '\n')))
			*nl = ' ';
	}
	haul_error_init(&err);
	(void)digest_parse_expect(s, &e, &err);
	haul_error_release(&err);
	free(s);
	return 0;
}
