/*
 * t-journal.c -- the journal format: golden files written from the manual
 * by tests/data/mkjournal.py decode as documented; every damaged state is
 * recognised; encode/decode round trips; files are created 0600, appended,
 * repaired after a torn tail and compacted; resume verification catches
 * damaged blocks.
 */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <xxhash.h>

#include "blocks.h"
#include "journal.h"
#include "syncer.h"
#include <inttypes.h>
#include "tap.h"

#define MiB (1u << 20)
#define SIZE (5ull * MiB + 123)

static char dir[256];

/* The object's bytes: the same formula as mkjournal.py. */
static void content(unsigned char *buf, uint64_t off, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint64_t x = off + i;

		buf[i] = (unsigned char)((x * 7 + (x >> 13)) & 0xff);
	}
}

static uint64_t digest_of(uint64_t off, size_t n)
{
	unsigned char *b = malloc(n ? n : 1);
	uint64_t d;

	content(b, off, n);
	d = XXH3_64bits(b, n);
	free(b);
	return d;
}

static unsigned char *slurp(const char *name, size_t *len)
{
	char path[512];
	const char *src = getenv("HAUL_SRCDIR");
	FILE *fp;
	unsigned char *buf = malloc(1 << 16);

	snprintf(path, sizeof(path), "%s/tests/data/%s", src ? src : ".", name);
	fp = fopen(path, "rb");
	*len = fp ? fread(buf, 1, 1 << 16, fp) : 0;
	if (!fp)
		diag("cannot read %s", path);
	else
		fclose(fp);
	return buf;
}

static enum journal_status decode_file(const char *name, struct journal_id *id,
				       struct blocks *bt, struct journal_scan *scan)
{
	size_t len;
	unsigned char *buf = slurp(name, &len);
	enum journal_status s = journal_decode(buf, len, id, bt, scan);

	free(buf);
	return s;
}

/* The state both good.haul and its damaged-tail variants describe. */
static int good_table(const struct blocks *bt)
{
	return bt->count == 6 && bt->bsize == MiB && bt->b[0].done == MiB &&
	       bt->b[0].digest == digest_of(0, MiB) && bt->b[1].done == MiB &&
	       bt->b[1].digest == digest_of(MiB, MiB) && bt->b[2].done == 0 &&
	       bt->b[3].done == 0 && bt->b[4].done == 0 && bt->b[5].done == 100 &&
	       bt->b[5].digest == digest_of(5ull * MiB, 100);
}

static void golden(void)
{
	struct journal_id id;
	struct blocks bt;
	struct journal_scan scan;
	struct range *h;
	size_t nh;
	char why[256];

	ok(decode_file("journal-good.haul", &id, &bt, &scan) == JOURNAL_OK, "good: decodes");
	ok(id.size == SIZE && id.bsize == MiB && id.created == 1795335300,
	   "good: size, block size and time");
	is_str(id.etag, "\"5d41402abc4b2a76b9719d911017c592\"", "good: ETag");
	is_str(id.last_modified, "Sun, 22 Nov 2026 08:15:00 GMT", "good: Last-Modified");
	is_str(id.url, "https://bucket.example/jobs/r.parquet?[redacted]", "good: URL hint");
	ok(scan.records == 2 && scan.seq == 2 && scan.ignored == 0, "good: two records, no tail");
	ok(good_table(&bt), "good: later records replace earlier ones, block by block");
	is_u64(blocks_done_bytes(&bt), 2ull * MiB + 100, "good: bytes on disk");
	ok(blocks_holes(&bt, &h, &nh) == 0 && nh == 2 && h[0].start == 2ull * MiB &&
		   h[0].end == 5ull * MiB && h[1].start == 5ull * MiB + 100 && h[1].end == SIZE,
	   "good: holes are [2M, 5M) and [5M+100, end)");
	free(h);
	ok(journal_same_object(&id, SIZE, id.etag, NULL, why, sizeof(why)),
	   "same size and ETag: same object");
	ok(!journal_same_object(&id, SIZE, "\"x\"", id.last_modified, why, sizeof(why)) &&
		   strstr(why, "ETag"),
	   "other ETag: another object (%s)", why);
	ok(!journal_same_object(&id, SIZE - 1, id.etag, NULL, why, sizeof(why)) &&
		   strstr(why, "size"),
	   "other size: another object (%s)", why);
	ok(!journal_same_object(&id, SIZE, NULL, id.last_modified, why, sizeof(why)),
	   "the ETag disappeared: not confirmed, refused");
	free(id.etag);
	id.etag = NULL;
	ok(journal_same_object(&id, SIZE, NULL, id.last_modified, why, sizeof(why)),
	   "no ETag, same Last-Modified: same object");
	ok(!journal_same_object(&id, SIZE, NULL, "Mon, 23 Nov 2026 08:15:00 GMT", why,
				sizeof(why)),
	   "no ETag, other Last-Modified: another object");
	journal_id_release(&id);
	blocks_release(&bt);

	ok(decode_file("journal-torn.haul", &id, &bt, &scan) == JOURNAL_OK && scan.records == 2 &&
		   scan.ignored > 0 && good_table(&bt),
	   "torn last record: ignored (%zu bytes), the rest trusted", scan.ignored);
	journal_id_release(&id);
	blocks_release(&bt);
	ok(decode_file("journal-garbage.haul", &id, &bt, &scan) == JOURNAL_OK &&
		   scan.ignored == 100 && good_table(&bt),
	   "garbage tail: ignored");
	journal_id_release(&id);
	blocks_release(&bt);
	ok(decode_file("journal-badseq.haul", &id, &bt, &scan) == JOURNAL_OK &&
		   scan.records == 2 && scan.ignored > 0 && bt.b[2].done == 0,
	   "a record out of sequence is not trusted");
	journal_id_release(&id);
	blocks_release(&bt);
	ok(decode_file("journal-foreign.haul", &id, &bt, &scan) == JOURNAL_OK &&
		   !journal_same_object(&id, SIZE, "\"5d41402abc4b2a76b9719d911017c592\"", NULL, why,
					sizeof(why)),
	   "a journal for another object is recognised as such");
	journal_id_release(&id);
	blocks_release(&bt);

	is_int(decode_file("journal-zero.haul", &id, &bt, &scan), JOURNAL_BAD_MAGIC,
	       "zeroed file: not a journal");
	is_int(decode_file("journal-empty.haul", &id, &bt, &scan), JOURNAL_SHORT, "empty file");
	is_int(decode_file("journal-short.haul", &id, &bt, &scan), JOURNAL_SHORT,
	       "file cut inside the header");
	is_int(decode_file("journal-future.haul", &id, &bt, &scan), JOURNAL_FUTURE,
	       "version 2: from the future");
	ok(scan.version == 2, "... and the version is reported");
	is_int(decode_file("journal-badsum.haul", &id, &bt, &scan), JOURNAL_CORRUPT,
	       "header failing its checksum: corrupt");
}

/* The C encoder writes byte for byte what the manual (and mkjournal.py) says. */
static void same_bytes(void)
{
	struct journal_id id = { SIZE, MiB, 1795335300,
				 (char *)"\"5d41402abc4b2a76b9719d911017c592\"",
				 (char *)"Sun, 22 Nov 2026 08:15:00 GMT",
				 (char *)"https://bucket.example/jobs/r.parquet?[redacted]" };
	struct blocks bt;
	unsigned char *hdr, *r1, *r2, *gold;
	size_t hlen, l1, l2, glen;
	uint64_t idx1[] = { 0, 1 }, idx2[] = { 1, 5 };

	blocks_init(&bt, SIZE, MiB);
	blocks_set(&bt, 0, MiB, digest_of(0, MiB));
	blocks_set(&bt, 1, 1000, digest_of(MiB, 1000));
	journal_encode_header(&id, &hdr, &hlen);
	journal_encode_record(1, &bt, idx1, 2, &r1, &l1);
	blocks_set(&bt, 1, MiB, digest_of(MiB, MiB));
	blocks_set(&bt, 5, 100, digest_of(5ull * MiB, 100));
	journal_encode_record(2, &bt, idx2, 2, &r2, &l2);
	gold = slurp("journal-good.haul", &glen);
	ok(glen == hlen + l1 + l2 && memcmp(gold, hdr, hlen) == 0 &&
		   memcmp(gold + hlen, r1, l1) == 0 && memcmp(gold + hlen + l1, r2, l2) == 0,
	   "encoder output equals the golden file byte for byte");
	free(hdr);
	free(r1);
	free(r2);
	free(gold);
	blocks_release(&bt);
}

static void files(void)
{
	struct journal_id id = { SIZE, MiB, 1, (char *)"\"e\"", NULL, (char *)"http://h/f" }, id2;
	struct journal j, j2;
	struct blocks bt, bt2;
	struct journal_scan scan;
	struct haul_error err;
	struct stat sb;
	char path[300];
	off_t before;
	int fd;

	haul_error_init(&err);
	snprintf(path, sizeof(path), "%s/x.haul", dir);
	blocks_init(&bt, SIZE, MiB);
	journal_init(&j, NULL);
	umask(022);
	ok(journal_create(&j, path, &id, &bt, &err) == 0, "journal_create");
	ok(stat(path, &sb) == 0 && (sb.st_mode & 0777) == 0600, "the journal is mode 0600");
	blocks_set(&bt, 2, MiB, 42);
	blocks_set(&bt, 3, 7, 43);
	ok(journal_commit(&j, &bt, &err) == 0 && bt.ndirty == 0, "commit appends and cleans");
	ok(journal_commit(&j, &bt, &err) == 0, "a commit with nothing dirty is a no-op");
	journal_close(&j, 0);

	/* A torn append: half a record of garbage after the last good one. */
	fd = open(path, O_WRONLY | O_APPEND);
	ok(write(fd, "\x01\x00\x00\x00garbage", 11) == 11, "append a torn record");
	close(fd);
	stat(path, &sb);
	before = sb.st_size;
	journal_init(&j2, NULL);
	ok(journal_open(&j2, path, &id2, &bt2, &scan, &err) == 0 && bt2.b[2].done == MiB &&
		   bt2.b[2].digest == 42 && bt2.b[3].done == 7 && scan.ignored == 11,
	   "reopen: the state is back, the torn tail noticed");
	stat(path, &sb);
	ok(sb.st_size == before - 11, "... and cut off the file");
	blocks_set(&bt2, 4, MiB, 44);
	ok(journal_commit(&j2, &bt2, &err) == 0, "append after the repair");
	journal_close(&j2, 0);
	journal_id_release(&id2);
	blocks_release(&bt2);
	ok(journal_open(&j2, path, &id2, &bt2, &scan, &err) == 0 && bt2.b[4].done == MiB &&
		   scan.ignored == 0 && scan.records == 3,
	   "the chain continues: three valid records");

	/* Many small commits trigger a rewrite that keeps the state. */
	for (int i = 0; i < 50000 && j2.off - j2.base <= (1u << 20); i++) {
		blocks_set(&bt2, 5, (uint32_t)(i % 100) + 1, (uint64_t)i);
		journal_commit(&j2, &bt2, &err);
	}
	blocks_set(&bt2, 5, 99, 4242);
	ok(journal_commit(&j2, &bt2, &err) == 0 && j2.seq == 1 && j2.off == j2.base,
	   "a journal grown past 1 MiB of appends is rewritten whole");
	stat(path, &sb);
	ok(sb.st_size < 4096 && (sb.st_mode & 0777) == 0600,
	   "... small again (%lld bytes), still 0600", (long long)sb.st_size);
	journal_close(&j2, 0);
	journal_id_release(&id2);
	blocks_release(&bt2);
	ok(journal_open(&j2, path, &id2, &bt2, &scan, &err) == 0 && bt2.b[5].done == 99 &&
		   bt2.b[5].digest == 4242 && bt2.b[2].digest == 42,
	   "... and holds the same state");
	journal_close(&j2, 1);
	ok(access(path, F_OK) != 0, "journal_close can remove the file");
	journal_id_release(&id2);
	blocks_release(&bt2);
	blocks_release(&bt);

	/* Not followed through a symlink. */
	ok(symlink("/etc/passwd", path) == 0, "put a symlink where the journal goes");
	journal_init(&j2, NULL);
	ok(journal_open(&j2, path, &id2, &bt2, &scan, &err) == HAUL_EIO && err.msg &&
		   strstr(err.msg, "symbolic link"),
	   "journal_open refuses a symlink");
	unlink(path);
	haul_error_release(&err);
}

/*
 * A checkpoint written while the table goes on changing (the syncer):
 * the journal holds the table as it was when the update was prepared.
 */
static void later(void)
{
	struct journal_id id = { SIZE, MiB, 1, (char *)"\"e\"", NULL, (char *)"http://h/f" }, id2;
	struct journal j, j2;
	struct journal_update u;
	struct blocks bt, bt2;
	struct journal_scan scan;
	struct haul_error err;
	struct store st;
	struct syncer sy;
	uint64_t vouch = 0;
	char path[300], data[300];

	haul_error_init(&err);
	snprintf(path, sizeof(path), "%s/later.haul", dir);
	snprintf(data, sizeof(data), "%s/later", dir);
	blocks_init(&bt, SIZE, MiB);
	journal_init(&j, NULL);
	ok(journal_create(&j, path, &id, &bt, &err) == 0, "later: journal_create");
	blocks_set(&bt, 1, MiB, 11);
	ok(journal_prepare(&j, &bt, &u, &err) == 0 && u.rlen > 0 && bt.ndirty == 0,
	   "journal_prepare encodes the dirty block and cleans the table");
	blocks_set(&bt, 1, 5, 12); /* changes after the snapshot... */
	blocks_set(&bt, 2, MiB, 21);
	ok(journal_write(&j, &u, &err) == 0, "journal_write writes the snapshot");
	journal_update_release(&u);
	journal_close(&j, 0);
	journal_init(&j2, NULL);
	ok(journal_open(&j2, path, &id2, &bt2, &scan, &err) == 0 && bt2.b[1].done == MiB &&
		   bt2.b[1].digest == 11 && bt2.b[2].done == 0,
	   "... and only it: later changes wait for the next update");
	journal_id_release(&id2);
	blocks_release(&bt2);

	/* The same through the syncer's thread, after an fdatasync of data. */
	store_init(&st, NULL);
	ok(store_name(&st, data, &err) == 0 && store_open_part(&st, 0, &err) == 0,
	   "syncer: a data file");
	syncer_init(&sy, &st, &j2, NULL);
	ok(syncer_poll(&sy, &vouch, &err) == 0 && vouch == 0, "syncer: idle before any job");
	ok(journal_prepare(&j2, &bt, &u, &err) == 0 && u.rlen > 0, "syncer: prepare blocks 1 and 2");
	ok(syncer_submit(&sy, 1, &u, 3 * MiB, &err) == 0 && u.rec == NULL,
	   "syncer: submit takes the update over");
	ok(syncer_wait(&sy, &vouch, &err) == 0 && vouch == 3 * MiB,
	   "syncer: the job ends and vouches for what it was given");
	ok(syncer_poll(&sy, &vouch, &err) == 0, "syncer: idle again");
	/* A writeback job vouches for nothing: it makes nothing durable. */
	ok(syncer_submit(&sy, 0, NULL, 5 * MiB, &err) == 0, "syncer: a writeback job");
	ok(syncer_wait(&sy, &vouch, &err) == 0 && vouch == 3 * MiB,
	   "syncer: ... ends, and what is vouched for stays as it was");
	syncer_release(&sy);
	journal_close(&j2, 0);
	ok(journal_open(&j2, path, &id2, &bt2, &scan, &err) == 0 && bt2.b[1].done == 5 &&
		   bt2.b[1].digest == 12 && bt2.b[2].digest == 21,
	   "syncer: the journal holds its record");
	journal_close(&j2, 1);
	journal_id_release(&id2);
	blocks_release(&bt2);

	/* A job that fails hands its error over once. */
	journal_init(&j, NULL);
	j.path = strdup(path);
	j.fd = -1; /* appends fail: EBADF */
	syncer_init(&sy, &st, &j, NULL);
	blocks_set(&bt, 3, MiB, 31);
	journal_prepare(&j, &bt, &u, &err);
	ok(syncer_submit(&sy, 1, &u, 4 * MiB, &err) == 0, "syncer: submit a job bound to fail");
	vouch = 1;
	ok(syncer_wait(&sy, &vouch, &err) == HAUL_EIO && err.msg && vouch == 1,
	   "syncer: its error comes back, nothing vouched for");
	ok(syncer_poll(&sy, &vouch, &err) == 0, "syncer: reported once");
	syncer_release(&sy);
	journal_close(&j, 0);
	store_discard(&st);
	store_release(&st);
	blocks_release(&bt);
	haul_error_release(&err);
}

static void verify(void)
{
	struct journal_id id;
	struct blocks bt;
	struct journal_scan scan;
	struct store st;
	struct haul_error err;
	unsigned char *data = malloc(SIZE);
	uint64_t bad;
	char path[300];
	int fd;

	haul_error_init(&err);
	content(data, 0, SIZE);
	snprintf(path, sizeof(path), "%s/v", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	ok(write(fd, data, SIZE) == (ssize_t)SIZE, "write the object's bytes");
	close(fd);
	store_init(&st, NULL);
	store_name(&st, path, &err);
	rename(path, st.part_path);
	store_open_part(&st, 1, &err);

	decode_file("journal-good.haul", &id, &bt, &scan);
	ok(blocks_verify(&bt, &st, &bad) == 0 && bad == 0 && good_table(&bt),
	   "an intact file verifies against the journal");
	data[MiB + 4000] ^= 0x40; /* a flipped bit in block 1 */
	pwrite(st.fd, data + MiB + 4000, 1, MiB + 4000);
	ok(blocks_verify(&bt, &st, &bad) == 0 && bad == 1 && bt.b[1].done == 0 &&
		   bt.b[0].done == MiB,
	   "one flipped bit: exactly that block is dropped");
	ok(bt.ndirty == 1 && bt.dirty[0] == 1, "... and marked for the next record");
	ftruncate(st.fd, 5 * MiB + 50);
	ok(blocks_verify(&bt, &st, &bad) == 0 && bad == 1 && bt.b[5].done == 0,
	   "a file shorter than the journal claims: the missing prefix is dropped");
	store_discard(&st);
	store_release(&st);
	journal_id_release(&id);
	blocks_release(&bt);
	free(data);
	haul_error_release(&err);
}

static void blocks_sizes(void)
{
	is_u64(blocks_size_for(0), MiB, "block size for 0 bytes");
	is_u64(blocks_size_for(4ull << 30), MiB, "4 GiB: 1 MiB blocks (4096 of them)");
	is_u64(blocks_size_for(64ull << 30), 2 * MiB, "64 GiB: 2 MiB blocks");
	is_u64(blocks_size_for(1ull << 40), 32 * MiB, "1 TiB: 32 MiB blocks");
	ok((1ull << 40) / blocks_size_for(1ull << 40) <= BLOCKS_MAX_COUNT,
	   "the table stays within %u blocks", BLOCKS_MAX_COUNT);
}

/*
 * Records as progress lands: appended without a sync (the page cache keeps
 * them through a kill), read back by the next open; once the appends
 * outweigh a fresh copy, the next update is one, and it is no append.
 */
static void appends(void)
{
	struct journal_id id = { SIZE, MiB, 1, (char *)"\"e\"", NULL, (char *)"http://h/f" }, id2;
	struct journal j, j2;
	struct journal_update u;
	struct blocks bt, bt2;
	struct journal_scan scan;
	struct haul_error err;
	char path[300];
	uint64_t seq, n = 0;
	int r;

	haul_error_init(&err);
	snprintf(path, sizeof(path), "%s/appends.haul", dir);
	blocks_init(&bt, SIZE, MiB);
	journal_init(&j, NULL);
	ok(journal_create(&j, path, &id, &bt, &err) == 0, "appends: journal_create");
	ok(!journal_wants_rewrite(&j), "appends: a fresh journal wants no fresh copy");
	seq = j.seq;
	blocks_set(&bt, 0, 4096, 7);
	ok(journal_prepare(&j, &bt, &u, &err) == 0 && !u.rewrite &&
		   journal_append(&j, &u, &err) == 0 && j.seq == seq + 1,
	   "appends: a record appended, no sync");
	journal_update_release(&u);
	journal_init(&j2, NULL);
	ok(journal_open(&j2, path, &id2, &bt2, &scan, &err) == 0 && bt2.b[0].done == 4096 &&
		   bt2.b[0].digest == 7,
	   "appends: the next open reads it");
	journal_close(&j2, 0);
	journal_id_release(&id2);
	blocks_release(&bt2);
	/* 1 MiB of small records, then a fresh copy. */
	while (!journal_wants_rewrite(&j) && n < 100000) {
		blocks_set(&bt, n % 4, (uint32_t)(n % 4096) + 1, n);
		if (journal_prepare(&j, &bt, &u, &err) || journal_append(&j, &u, &err))
			break;
		journal_update_release(&u);
		n++;
	}
	ok(journal_wants_rewrite(&j) && n > 1000, "appends: a fresh copy is due after %" PRIu64
	   " records", n);
	blocks_set(&bt, 4, MiB, 55);
	ok(journal_prepare(&j, &bt, &u, &err) == 0 && u.rewrite, "appends: the next update is one");
	ok(journal_append(&j, &u, &err) == HAUL_EFAIL, "appends: ... which journal_append refuses");
	haul_error_release(&err);
	ok(journal_write(&j, &u, &err) == 0 && !journal_wants_rewrite(&j),
	   "appends: journal_write writes it, and the journal is short again");
	ok(journal_sync(&j, &err) == 0, "appends: journal_sync");
	journal_update_release(&u);
	journal_close(&j, 0);
	journal_init(&j2, NULL);
	r = journal_open(&j2, path, &id2, &bt2, &scan, &err);
	ok(r == 0 && bt2.b[4].digest == 55 && scan.records == 1,
	   "appends: the fresh copy holds the whole table in one record (%d, %" PRIu64 ")", r,
	   scan.records);
	journal_close(&j2, 1);
	journal_id_release(&id2);
	blocks_release(&bt2);
	blocks_release(&bt);
	haul_error_release(&err);
}

int main(void)
{
	snprintf(dir, sizeof(dir), "%s/haul-tj.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(dir))
		return 1;
	golden();
	same_bytes();
	files();
	later();
	appends();
	verify();
	blocks_sizes();
	rmdir(dir);
	return tap_done();
}
