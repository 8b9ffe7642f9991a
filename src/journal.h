/*
 * journal.h -- the sidecar FILE.haul that makes a download resumable.
 *
 * The journal holds the object's identity (size, ETag, Last-Modified, the
 * URL without its query), the block size, and the block table: for every
 * block, how many of its first bytes are on disk and their XXH3-64 digest.
 * It is a header followed by append-only checkpoint records, little-endian,
 * each carrying its own XXH3-64 checksum; a torn or garbage tail fails its
 * checksum and is ignored. The format is described byte by byte in
 * haul-journal(5).
 *
 * Ordering is the caller's contract: a record is appended once the bytes it
 * claims are written (pwrite returned: in the page cache, which outlives a
 * kill -9), not once they are durable. After a power cut a record may claim
 * bytes that never reached the disk; that is safe because every claim
 * carries the digest of its bytes and resume re-reads each claimed block,
 * trusting only those that match (blocks_verify). The journal itself is
 * fdatasynced now and then (journal_sync), so a power cut also loses the
 * records written since.
 */
#ifndef HAUL_JOURNAL_H
#define HAUL_JOURNAL_H

#include <stddef.h>
#include <stdint.h>

#include "blocks.h"
#include "err.h"
#include "store.h"

#define JOURNAL_MAGIC "HAULJRNL"
#define JOURNAL_VERSION 1u
#define JOURNAL_SUFFIX ".haul"
#define JOURNAL_FIELD_MAX 4096u    /* longest ETag, date or URL stored */
#define JOURNAL_FILE_MAX (64u << 20) /* a bigger journal is not ours */

/* What the journal says the object is. */
struct journal_id {
	uint64_t size;
	uint32_t bsize;
	uint64_t created;    /* Unix time the download started */
	char *etag;          /* owned, NULL or malloced */
	char *last_modified; /* owned, NULL or malloced */
	char *url;           /* owned, NULL or malloced: redacted, a hint only */
};

void journal_id_release(struct journal_id *id);

/* Why a journal could not be read. */
enum journal_status {
	JOURNAL_OK = 0,
	JOURNAL_SHORT,     /* empty or cut inside the header */
	JOURNAL_BAD_MAGIC, /* not a haul journal (garbage, zeros) */
	JOURNAL_FUTURE,    /* a version this haul does not know */
	JOURNAL_CORRUPT,   /* the header fails its checksum or makes no sense */
};

const char *journal_status_str(enum journal_status s);

/* What decoding found, besides the identity and the table. */
struct journal_scan {
	uint32_t version;
	uint64_t seq;        /* sequence number of the last valid record */
	uint64_t records;    /* valid records */
	size_t valid_len;    /* bytes of header + valid records */
	size_t ignored;      /* bytes after them: a torn or garbage tail */
};

/*
 * Pure: decode a whole journal image. On JOURNAL_OK fills id (owned by the
 * caller) and initialises bt from the header, then replays every valid
 * record into it; the first record that is cut, fails its checksum, is out
 * of sequence or names a block out of range ends the replay.
 */
enum journal_status journal_decode(const unsigned char *buf, size_t len, struct journal_id *id,
				   struct blocks *bt, struct journal_scan *scan);

/*
 * Pure: is the object described by (size, etag, last_modified), as a probe
 * found it, the one the journal was started on? Sizes must match; then the
 * ETags when the journal has one, else the Last-Modified dates. Returns 1,
 * or 0 with why (a short phrase) filled in.
 */
int journal_same_object(const struct journal_id *id, uint64_t size, const char *etag,
			const char *last_modified, char *why, size_t whylen);

/* Pure: encode the header into *out (malloced). Returns 0 or -1. */
int journal_encode_header(const struct journal_id *id, unsigned char **out, size_t *len);

/*
 * Pure: encode a record of blocks idx[0..n) with sequence number seq into
 * *out (malloced). Returns 0 or -1.
 */
int journal_encode_record(uint64_t seq, const struct blocks *bt, const uint64_t *idx, uint64_t n,
			  unsigned char **out, size_t *len);

/* An open journal file. */
struct journal {
	char *path;                  /* owned */
	int fd;                      /* open for appending, or -1 */
	uint64_t seq;                /* of the last record written */
	uint64_t off;                /* where the next record goes */
	uint64_t base;               /* size after the last rewrite */
	const struct store_ops *ops; /* borrowed */
	struct journal_id id;        /* owned copy, for rewrites */
};

void journal_init(struct journal *j, const struct store_ops *ops);

/*
 * Create path atomically (temporary file, fsync, rename, directory fsync),
 * mode 0600, holding the header and one record of the whole table.
 */
int journal_create(struct journal *j, const char *path, const struct journal_id *id,
		   struct blocks *bt, struct haul_error *err);

/*
 * Read path. Returns JOURNAL_OK (as 0) with id and bt filled and the file
 * open for appending, its torn tail cut off; a positive journal_status when
 * the file is not a usable journal (nothing is filled in); or a negative
 * HAUL_E* (the file could not be read, or is a symlink).
 */
int journal_open(struct journal *j, const char *path, struct journal_id *id, struct blocks *bt,
		 struct journal_scan *scan, struct haul_error *err);

/*
 * A journal update, encoded from the table by journal_prepare and written
 * by journal_write: possibly later and in another thread, while the table
 * goes on changing. One at a time per journal.
 */
struct journal_update {
	unsigned char *hdr, *rec; /* owned; hdr only for a rewrite */
	size_t hlen, rlen;        /* rlen 0: nothing to write */
	int rewrite;              /* a fresh copy rather than an append */
};

/*
 * Encode the dirty blocks as the next record (or the whole table, when the
 * file has grown much beyond it) into u; the table is clean afterwards.
 * Touches only the table and reads j's offsets: j must not be written
 * meanwhile.
 */
int journal_prepare(struct journal *j, struct blocks *bt, struct journal_update *u,
		    struct haul_error *err);

/* Would journal_prepare make a fresh copy rather than an append? */
int journal_wants_rewrite(const struct journal *j);

/* Append the record u (not a fresh copy) without syncing it. */
int journal_append(struct journal *j, const struct journal_update *u, struct haul_error *err);

/* fdatasync what was appended. */
int journal_sync(struct journal *j, struct haul_error *err);

/* Append u and fdatasync, or write the fresh copy atomically. */
int journal_write(struct journal *j, const struct journal_update *u, struct haul_error *err);
void journal_update_release(struct journal_update *u);

/*
 * Append a record of the dirty blocks and fdatasync it; then the table is
 * clean. When the file has grown much beyond the table, rewrite it whole
 * instead (atomically, like journal_create). No-op when nothing is dirty.
 */
int journal_commit(struct journal *j, struct blocks *bt, struct haul_error *err);

/* Close; with unlink_it, remove the file too. */
void journal_close(struct journal *j, int unlink_it);

#endif
