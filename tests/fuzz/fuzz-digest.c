/* libFuzzer target: what servers and users hand the integrity code --
 * ETags, S3 checksum values, base64 and hex digests, --checksum specs,
 * part-size candidates. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "digest.h"
#include "etag.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

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
	haul_error_init(&err);
	(void)digest_parse_expect(s, &e, &err);
	haul_error_release(&err);
	free(s);
	return 0;
}
