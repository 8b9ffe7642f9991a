/* libFuzzer target: what servers and users hand the integrity code --
 * ETags, base64 and hex digests, --checksum specs, part-size guesses. */
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
	uint64_t sizes[8], objsize = 0;

	memcpy(s, data, size);
	s[size] = '\0';
	for (size_t i = 0; i < 8 && i < size; i++)
		objsize = objsize << 8 | data[i];
	if (etag_classify(s, &ei) == ETAG_MULTIPART)
		(void)etag_part_sizes(objsize, ei.parts, 0, sizes, 8);
	(void)etag_part_sizes(objsize, size, objsize >> 3, sizes, 8);
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
