/*
 * recheck.c -- "haul verify FILE": the file's digests and, with a kept
 * journal, every block's XXH3 against the table. The file is only read.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "blocks.h"
#include "journal.h"
#include "recheck.h"
#include "store.h"
#include "verify.h"

/* The kept journal's block digests against the file. */
static int by_journal(const char *path, const char *jpath, struct store *st, uint64_t size,
		      const struct msg *m, struct haul_error *err)
{
	struct journal j;
	struct journal_id id;
	struct journal_scan scan;
	struct blocks bt;
	int ret;

	memset(&bt, 0, sizeof(bt));
	journal_init(&j, NULL);
	ret = journal_open(&j, jpath, &id, &bt, &scan, err);
	if (ret > 0)
		return haul_error_set(err, HAUL_EIO, "%s is %s", jpath,
				      journal_status_str((enum journal_status)ret));
	if (ret < 0)
		return ret;
	journal_close(&j, 0);
	if (id.size != size) {
		ret = haul_error_set(err, HAUL_EINTEGRITY, "%s has %" PRIu64 " bytes, its journal "
				     "says %" PRIu64, path, size, id.size);
		goto out;
	}
	for (uint64_t i = 0; i < bt.count; i++) {
		uint64_t from = blocks_start(&bt, i);
		uint64_t len = i + 1 < bt.count ? bt.bsize : size - from;
		int r;

		if (bt.b[i].done != len) {
			ret = haul_error_set(err, HAUL_EINTEGRITY, "%s: the journal does not vouch "
					     "for block %" PRIu64 " (bytes %" PRIu64 "-%" PRIu64 "): "
					     "the download did not finish", path, i, from,
					     from + len - 1);
			goto out;
		}
		r = blocks_check(&bt, st, i);
		if (r < 0) {
			ret = haul_error_set(err, HAUL_EIO, "reading %s: %s", path, strerror(-r));
			goto out;
		}
		if (r) {
			ret = haul_error_set(err, HAUL_EINTEGRITY, "%s: block %" PRIu64 " (bytes %"
					     PRIu64 "-%" PRIu64 ") does not match its digest in %s: "
					     "the first bad block", path, i, from, from + len - 1,
					     jpath);
			goto out;
		}
	}
	msg_note(m, "%s: %" PRIu64 " blocks of %" PRIu32 " bytes match the journal", path, bt.count,
		 bt.bsize);
out:
	journal_id_release(&id);
	blocks_release(&bt);
	return ret;
}

int recheck_run(const struct opts *o, const struct msg *m, struct haul_error *err)
{
	const char *path = o->args[1];
	struct store st;
	struct stat sb;
	struct verify v;
	char *jpath = NULL;
	int have_journal, ret = 0;
	size_t n;

	n = strlen(path) + sizeof(JOURNAL_SUFFIX);
	if (!(jpath = malloc(n)))
		return haul_error_set(err, HAUL_EFAIL, "out of memory");
	snprintf(jpath, n, "%s%s", path, JOURNAL_SUFFIX);
	have_journal = access(jpath, F_OK) == 0;
	if (!o->nchecksums && !have_journal) {
		free(jpath);
		return haul_error_set(err, HAUL_EUSAGE, "nothing to check %s against: give "
				      "--checksum, or keep its journal (--keep-journal)", path);
	}
	store_init(&st, NULL);
	st.fd = open(path, O_RDONLY | O_CLOEXEC);
	if (st.fd < 0 || fstat(st.fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		ret = haul_error_set(err, HAUL_EIO, "%s: %s", path,
				     st.fd < 0 ? strerror(errno) : "not a regular file");
		goto out;
	}
	st.part_path = (char *)path; /* for messages; not freed here */
	if (have_journal) {
		ret = by_journal(path, jpath, &st, (uint64_t)sb.st_size, m, err);
		if (ret)
			goto out;
	}
	verify_init(&v);
	for (unsigned i = 0; !ret && i < o->nchecksums; i++)
		if (verify_add(&v, &o->checksums[i], digest_name(o->checksums[i].alg)))
			ret = haul_error_set(err, HAUL_EFAIL, "out of memory");
	if (!ret)
		ret = verify_start(&v, &st, (uint64_t)sb.st_size, err);
	if (!ret)
		ret = verify_finish(&v, err);
	if (!ret) {
		for (size_t i = 0; i < v.n; i++) {
			char line[160];

			verify_describe(&v.checks[i], line, sizeof(line));
			msg_note(m, "%s: %s", path, line);
		}
	} else if (ret == HAUL_EINTEGRITY) {
		char *cause = err->msg;

		err->msg = NULL;
		haul_error_set(err, ret, "%s: %s", path, cause ? cause : "mismatch");
		free(cause);
	}
	verify_release(&v);
out:
	if (st.fd >= 0)
		close(st.fd);
	free(jpath);
	return ret;
}
