/*
 * libFuzzer target: what servers send -- Content-Range, Retry-After and ETag
 * values, and whole range answers through the validator; and what users
 * type, -H lines. The first byte picks the parser.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "header.h"
#include "http.h"
#include "retry.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s;
	struct content_range cr;
	uint64_t ms;

	if (size < 1)
		return 0;
	s = malloc(size);
	memcpy(s, data + 1, size - 1);
	s[size - 1] = '\0';
	switch (data[0] % 5) {
	case 0:
		if (http_parse_content_range(s, &cr) == 0 && cr.has_range && cr.has_total &&
		    (cr.last < cr.first || cr.last >= cr.total))
			abort(); /* the parser promised consistency */
		break;
	case 1:
		retry_after_parse(s, 1795335300, &ms);
		break;
	case 2:
		if (http_etag_valid(s) && strlen(s) > HTTP_ETAG_MAX)
			abort();
		break;
	case 3:
		/* An accepted line has a colon and no CR or LF to smuggle. */
		if (!header_check(s) && (!strchr(s, ':') || strpbrk(s, "\r\n")))
			abort();
		(void)header_is_secret(s);
		(void)header_curl_guards(s);
		break;
	default: {
		struct identity id = { 1000, "\"x\"", NULL };
		struct range_response r = { 206, s, NULL, -1, s, "\"x\"", NULL };

		(void)http_check_range(&r, 0, 999, &id);
		break;
	}
	}
	free(s);
	return 0;
}
