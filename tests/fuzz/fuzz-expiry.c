/* libFuzzer target: URL deadlines and expired-answer recognition. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "expiry.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char prefix[] = "https://h.example/k?";
	char *url = malloc(sizeof(prefix) + size);
	struct url_expiry e;
	int64_t t;

	memcpy(url, prefix, sizeof(prefix) - 1);
	memcpy(url + sizeof(prefix) - 1, data, size);
	url[sizeof(prefix) - 1 + size] = '\0';
	(void)expiry_from_url(url, &e);
	(void)expiry_parse_time(url + sizeof(prefix) - 1, &t);
	(void)expiry_answer_says_expired(403, (const char *)data, size, 0, 0);
	free(url);
	return 0;
}
