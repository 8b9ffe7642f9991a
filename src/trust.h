/*
 * trust.h -- what an answer's headers claim about the object's bytes, and
 * which of those claims haul holds the file to.
 *
 * An ETag is opaque by HTTP's rules. Object stores make it a digest --
 * S3 and R2 the MD5 of an object uploaded in one piece, S3 an MD5 of the
 * parts' MD5s for one uploaded in parts -- but a web server may put 32 hex
 * digits there that are a digest of something else. So the ETag is a
 * digest only where the answer (or the URL) shows an object store, and
 * only for the stores and kinds of object that make it one; elsewhere a
 * mismatch is a warning. The stores' own checksum headers (x-amz-checksum-*,
 * x-goog-hash, x-ms-blob-content-md5) say what they are and always count.
 * Pure code: the headers come through a callback.
 */
#ifndef HAUL_TRUST_H
#define HAUL_TRUST_H

#include <stddef.h>
#include <stdint.h>

#include "digest.h"

enum backend {
	BACKEND_WEB,   /* nothing shows an object store */
	BACKEND_S3,    /* Amazon S3, or a store answering like it */
	BACKEND_R2,    /* Cloudflare R2 */
	BACKEND_GCS,   /* Google Cloud Storage */
	BACKEND_AZURE, /* Azure Blob Storage */
};

#define CLAIMS_MAX 8

/* A digest the answer announces for the object. */
struct claim {
	struct expect e; /* algorithm, value, source (the header's name) */
	uint64_t parts;  /* 0: of the whole object; N: over N parts (S3 COMPOSITE) */
};

struct claims {
	enum backend backend;
	const char *evidence; /* static: what showed the backend ("x-amz-request-id") */
	int encrypted;        /* SSE-KMS or SSE-C: S3's ETag is no digest of the bytes */
	struct claim c[CLAIMS_MAX];
	unsigned n;
};

/* The index-th value of the answer's header name (case-insensitive), or NULL. */
typedef const char *(*trust_header_fn)(void *ctx, const char *name, size_t index);

/*
 * Read the claims of one answer. whole: its body is (or, for HEAD, would
 * be) the whole object, so a Content-MD5 is the object's. url: the URL
 * asked (its host and query are evidence too); sigv4: requests are
 * signed with --aws-sigv4 (the user says it is S3).
 */
void trust_read(struct claims *cl, trust_header_fn get, void *ctx, int whole, const char *url,
		int sigv4);

/* The backend's name ("S3", "web server"). */
const char *trust_backend_name(enum backend b);

/* One check to make, as trust_plan decides it. */
struct trust_check {
	struct expect e;   /* the digest wanted (e.source names where it came from) */
	uint64_t parts;    /* 0: whole object; N: the digest is over N parts */
	int etag;          /* it comes from the ETag */
	int trusted;       /* a mismatch fails the download; else only a warning */
};

#define TRUST_MAX_CHECKS 10
#define TRUST_MAX_NOTES 4

/* A claim left unchecked, and why (both static). */
struct trust_note {
	const char *check; /* "ETag", "multipart ETag", ... */
	const char *why;
};

struct trust_plan {
	struct trust_check k[TRUST_MAX_CHECKS];
	unsigned n;
	struct trust_note notes[TRUST_MAX_NOTES];
	unsigned nnotes;
};

/*
 * Which claims to check, for an object with this ETag (NULL: none) and
 * size (size_known: the size is known; parts need it). The ETag counts as
 * an MD5 only on S3 and R2 (not R2's multipart ETags, not SSE-KMS/SSE-C
 * objects); on a web server it is checked but not trusted. A full-object
 * digest of 64 bits or more from the store makes the ETag and composite
 * checksums redundant, and a full-object CRC-64 makes the slower digests
 * (md5, sha1, sha256) redundant: they are left out, with a note.
 */
void trust_plan(const struct claims *cl, const char *etag, int size_known, struct trust_plan *p);

/*
 * Whether to ask for S3's checksums (x-amz-checksum-mode: ENABLED) on
 * requests to url: 0 never -- a signature in the query that does not
 * cover that header (S3 refuses a presigned request carrying unsigned
 * x-amz-* headers), or the query asks for them itself; 1 on the probe,
 * which is where haul reads them (S3 sends them on HEAD and on whole-object
 * GETs, never on ranges); 2 on every request, because the URL's signature
 * covers the header (X-Amz-SignedHeaders) and a request without it would
 * be refused.
 */
int trust_ask_checksums(const char *url);
#define TRUST_ASK_HEADER "x-amz-checksum-mode: ENABLED"

#endif
