/* libFuzzer target: the journal decoder, on any bytes. */
#include "config.h"

#include <stddef.h>
#include <stdlib.h>
#include <stdint.h>

#include "blocks.h"
#include "journal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct journal_id id;
	struct blocks bt;
	struct journal_scan scan;
	struct range *holes;
	size_t n;

	if (journal_decode(data, size, &id, &bt, &scan) == JOURNAL_OK) {
		/* What a resume would do next with the state. */
		if (blocks_holes(&bt, &holes, &n) == 0)
			free(holes);
		(void)blocks_done_bytes(&bt);
		journal_id_release(&id);
		blocks_release(&bt);
	}
	return 0;
}
