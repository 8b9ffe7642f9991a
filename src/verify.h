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
 * A stream to standard output (-o -) has no file to read back: its writer
 * feeds the bytes itself, in order, as it writes them (verify_start_fed,
 * verify_feed).
 *
 * Checks: a digest the user gave (--checksum), the MD5 in a single-part
 * S3 ETag, a multipart ETag under each plausible part size (verified when
 * one matches), and digests announced in response headers.
 */
#ifndef HAUL_VERIFY_H
#define HAUL_VERIFY_H

#include <pthread.h>
#include <stdint.h>

#include "digest.h"
#include "err.h"
#include "etag.h"
#include "store.h"

#define VERIFY_MAX_CHECKS 16
#define VERIFY_MAX_SIZES 6

enum verify_result {
	VERIFY_PENDING,
	VERIFY_OK,
	VERIFY_BAD,       /* the file is not what the check describes */
	VERIFY_UNMATCHED, /* multipart, part size guessed: no guess matched */
};

struct verify_check {
	char label[64];              /* "sha256", "md5 = ETag", ... */
	int multipart;
	struct expect e;             /* !multipart: the digest wanted */
	struct digest d;
	unsigned char want_md5[16];  /* multipart: the ETag's digest... */
	uint64_t want_parts;         /* ...and part count */
	int guessed;                 /* the part sizes are guesses */
	size_t nsizes;
	uint64_t sizes[VERIFY_MAX_SIZES];
	struct etag_mpart m[VERIFY_MAX_SIZES];
	enum verify_result result;
	uint64_t matched_size;       /* multipart: the part size that matched */
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
	uint64_t front;     /* hashed so far (the thread's) */
	uint64_t target;    /* written without a gap up to here */
	int read_errno;     /* reading back failed */
	double t_last;      /* clock_sec() when the target reached size */
	double tail_s;      /* from then to the end of hashing */
};

void verify_init(struct verify *v);

/* Add a check; 0, or -1 when there is no room or memory. */
int verify_add(struct verify *v, const struct expect *e, const char *label);

/*
 * Add the checks an ETag allows for an object of size bytes. Returns 1 when
 * it added one, 0 when the ETag is not a checkable one (*why says why, for
 * a multipart ETag without a fitting part size), -1 out of memory.
 */
int verify_add_etag(struct verify *v, const char *etag, uint64_t size, uint64_t part_size,
		    const char **why);

/* Start the thread (nothing happens without checks). 0, or HAUL_EFAIL. */
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
 * After the whole file is written (or fed): wait for the hashing and decide. 0 when
 * every check passed (or there were none), HAUL_EINTEGRITY naming the
 * first mismatch, HAUL_EIO when reading back failed.
 */
int verify_finish(struct verify *v, struct haul_error *err);

/* One line per check for the summary: "sha256: verified", ... */
void verify_describe(const struct verify_check *c, char *buf, size_t len);

/* Stop the thread and free everything; safe to call twice. */
void verify_release(struct verify *v);

#endif
