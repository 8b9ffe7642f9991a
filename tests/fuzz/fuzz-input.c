/* libFuzzer target: batch input files (haul -i FILE). Besides not crashing,
 * the parser keeps its promises: an error is one line naming the file that
 * shows no query string, and leaves the list as it was; a success holds
 * only checked URLs, sane out= names and at most 8 checksums per entry. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "input.h"
#include "url.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* One line, no control bytes, and no '?' but a redacted query's. */
static int clean(const char *msg)
{
	if (!msg || strncmp(msg, "fuzz:", 5) != 0)
		return 0;
	for (const char *p = msg; *p; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return 0;
		if (*p == '?' && strncmp(p, "?[redacted]", 11) != 0)
			return 0;
	}
	return 1;
}

static void check_entries(const struct input *in, size_t first)
{
	for (size_t i = first; i < in->n; i++) {
		const struct input_entry *e = &in->e[i];

		if (!e->url || url_check(e->url, "URL", NULL) != 0)
			abort();
		if (e->head && url_check(e->head, "head=", NULL) != 0)
			abort();
		if (e->nchecksums > CLI_MAX_CHECKSUMS || (e->nchecksums && !e->checksums))
			abort();
		for (unsigned k = 0; k < e->nchecksums; k++)
			if (e->checksums[k].alg >= DIGEST_NALGS)
				abort();
		if (i > first && e->line <= in->e[i - 1].line)
			abort(); /* lines are in file order */
		if (e->out) {
			if (!*e->out || !strcmp(e->out, "-"))
				abort();
			for (const char *p = e->out; *p; p++)
				if ((unsigned char)*p < 0x20 || *p == 0x7f)
					abort();
			for (size_t j = first; j < i; j++)
				if (in->e[j].out && !strcmp(in->e[j].out, e->out))
					abort(); /* duplicate out= accepted */
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char before[] = "http://h/earlier\n  out=x\n";
	struct haul_error err;
	struct input in;
	int r;

	haul_error_init(&err);
	input_init(&in);
	/* Append to a list that already holds an entry, as a second -i would. */
	if (input_parse(&in, before, sizeof(before) - 1, "fuzz", &err) != 0 || in.n != 1)
		abort();
	r = input_parse(&in, (const char *)data, size, "fuzz", &err);
	if (r == 0) {
		if (in.n < 2)
			abort(); /* success promises a URL */
		check_entries(&in, 1);
	} else if (r == HAUL_EUSAGE) {
		if (in.n != 1 || strcmp(in.e[0].url, "http://h/earlier") != 0 || !clean(err.msg))
			abort();
	} else if (r != HAUL_EFAIL) {
		abort();
	}
	input_release(&in);
	haul_error_release(&err);
	return 0;
}
