/* libFuzzer target: what a refresh command may print. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "refresh.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct haul_error err;
	char *get = NULL, *head = NULL;

	haul_error_init(&err);
	if (refresh_parse_output((const char *)data, size, &get, &head, &err) == 0 &&
	    (!get || strlen(get) == 0))
		abort(); /* success promises a URL */
	free(get);
	free(head);
	haul_error_release(&err);
	return 0;
}
