/*
 * verify.h -- whole-file checks computed while the file downloads.
 *
 * Digests such as md5 or sha256 need the bytes in order, but ranges arrive
 * out of order. A helper thread follows the frontier instead: the loop
 * tells it how far the file is written without a gap (verify_advance,
 * after each checkpoint's flush), and it reads that prefix back -- from
 * the page cache, as it was just written -- and feeds every check. When the
 * last byte lands, only what lies past the last frontier is left to hash.
 *
 * A CRC need not be read back: the transfer loop computes one per block
 * as the bytes land, and the caller combines them (verify_set_crc). Only
 * when it cannot (no journal, so no blocks) is the file read for it.
 *
 * A digest over parts (a multipart ETag, an S3 composite checksum) is
 * computed under several part sizes at once, the likeliest first; when
 * none of them matches, more reading passes try the others, within a
 * budget, before the check fails.
 *
 * A stream to standard output (-o -) has no file to read back: its writer
 * feeds the bytes itself, in order, as it writes them (verify_start_fed,
 * verify_feed).
 */
#ifndef HAUL_VERIFY_H
#define HAUL_VERIFY_H

#include <pthread.h>
#include <stdint.h>

#include "digest.h"
#include "err.h"
#include "etag.h"
#include "store.h"
#include "trust.h"

#define VERIFY_MAX_CHECKS 16
#define VERIFY_FIRST 8       /* part sizes hashed beside the download */
#define VERIFY_PASS 16       /* part sizes hashed in each later pass */
#define VERIFY_MAX_CANDS 1024
/* Later passes hash at most this many times the file (and at least 8 GiB). */
#define VERIFY_PASS_BUDGET 32

enum verify_result {
	VERIFY_PENDING,
	VERIFY_OK,
	VERIFY_BAD,       /* the file is not what the check describes */
	VERIFY_UNTRUSTED, /* no match, but the digest was not trusted (a web
			   * server's ETag): a warning, not a failure */
};

struct verify_check {
	char label[96];        /* "sha256", "md5 = ETag", ... */
	struct expect e;       /* the digest wanted; e.source says where from */
	int trusted;           /* a mismatch fails the download */
	int etag;              /* it is the ETag */
	struct digest d;       /* of the whole object (parts == 0) */
	int combined;          /* a CRC the caller computes: not fed */
	int have_crc;          /* combined: verify_set_crc gave it... */
	uint64_t crc;          /* ...this */
	/* A digest over parts (parts != 0): */
	uint64_t parts;
	uint64_t *cands;       /* owned: part sizes to try, likeliest first */
	size_t ncands;
	size_t next;           /* cands[0..next) are tried or being hashed */
	uint64_t total;        /* part sizes the interval holds in all */
	int given;             /* the part size came from --etag-part-size */
	struct mpart m[VERIFY_PASS];
	size_t nm;             /* m[0..nm): cands[next - nm .. next) */
	enum verify_result result;
	uint64_t matched_size; /* parts: the part size that matched */
	const char *why;       /* static: a mismatch decided without hashing */
	char got[2 * DIGEST_MAX + 1];
};

struct verify {
	struct verify_check checks[VERIFY_MAX_CHECKS];
	size_t n;
	struct store *st;   /* borrowed; only its descriptor is read */
	uint64_t size;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int started, quit;
	int fed;            /* the bytes come through verify_feed instead */
	int later;          /* verify_start_later: read it all at the end */
	uint64_t front;     /* hashed so far (the thread's) */
	uint64_t target;    /* written without a gap up to here */
	int read_errno;     /* reading back failed */
	double t_last;      /* clock_sec() when the target reached size */
	double tail_s;      /* from then to the end of hashing */
	unsigned passes;    /* reading passes after the download */
};

void verify_init(struct verify *v);

/* Add a check the user asked for (trusted); 0, or -1 out of room or memory. */
int verify_add(struct verify *v, const struct expect *e, const char *label);

/*
 * Add a check trust_plan chose, for an object of size bytes; part_size
 * (--etag-part-size, 0: none) fixes the part size of checks over parts.
 * 0, or -1 out of room or memory.
 */
int verify_add_planned(struct verify *v, const struct trust_check *k, uint64_t size,
		       uint64_t part_size);

/* The whole-object alg checks will get their CRC from verify_set_crc: 1 if any. */
int verify_combine(struct verify *v, enum digest_alg alg);

/* The CRC of the whole file (finished value, as crc_update returns it). */
void verify_set_crc(struct verify *v, enum digest_alg alg, uint64_t crc);

/*
 * A small file: no thread; verify_finish (run by an I/O worker) reads it
 * back in one go. A thread per file would cost more than the hashing.
 */
void verify_start_later(struct verify *v, struct store *st, uint64_t size);

/* Files up to this size are checked at the end (verify_start_later). */
#define VERIFY_LATER_MAX (16ull << 20)

/* Is there anything to read back? (Not for combined CRCs alone.) */
int verify_reads(const struct verify *v);

/* Start the thread (not without anything to read). 0, or HAUL_EFAIL. */
int verify_start(struct verify *v, struct store *st, uint64_t size, struct haul_error *err);

/*
 * No thread, no file: every byte will come through verify_feed, and
 * verify_finish only decides.
 */
void verify_start_fed(struct verify *v);

/* The next len bytes of the object, in order (one thread at a time). */
void verify_feed(struct verify *v, const void *buf, size_t len);

/* Bytes [0, upto) are written: they may be read back and hashed. */
void verify_advance(struct verify *v, uint64_t upto);

/*
 * After the whole file is written (or fed): wait for the hashing, make
 * the passes that are left, and decide. 0 when no trusted check failed
 * (untrusted ones may have: VERIFY_UNTRUSTED), HAUL_EINTEGRITY naming the
 * first failure, HAUL_EIO when reading back failed.
 */
int verify_finish(struct verify *v, struct haul_error *err);

/* One line for the summary: "sha256: verified", ... */
void verify_describe(const struct verify_check *c, char *buf, size_t len);

/* The result as the JSON events name it, and why (static, or NULL). */
const char *verify_result_name(const struct verify_check *c);
const char *verify_result_why(const struct verify_check *c);

/* The expected value as text: hex, and "-N" for a digest over N parts. */
void verify_expected(const struct verify_check *c, char *buf, size_t len);

/* Stop the thread and free everything; safe to call twice. */
void verify_release(struct verify *v);

#endif
