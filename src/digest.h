/*
 * digest.h -- one interface over the whole-file digests haul can check:
 * md5, sha1, sha256 and sha512 from OpenSSL's EVP, xxh64, xxh3 (64 bit)
 * and xxh128 from xxHash, and the object stores' CRCs (crc32, crc32c,
 * crc64nvme: crc.h). Output bytes are in the canonical order the tools
 * print (md5sum, sha256sum, xxhsum; a CRC big-endian, as the stores send
 * it), so hex strings compare as is.
 */
#ifndef HAUL_DIGEST_H
#define HAUL_DIGEST_H

#include <stddef.h>
#include <stdint.h>

#include "crc.h"
#include "err.h"

enum digest_alg {
	DIGEST_MD5,
	DIGEST_SHA1,
	DIGEST_SHA256,
	DIGEST_SHA512,
	DIGEST_XXH64,
	DIGEST_XXH3,
	DIGEST_XXH128,
	DIGEST_CRC32,
	DIGEST_CRC32C,
	DIGEST_CRC64NVME,
	DIGEST_NALGS
};

/* Longest digest in bytes (sha512). */
#define DIGEST_MAX 64

struct digest {
	enum digest_alg alg;
	void *state; /* owned: an EVP_MD_CTX, XXH64_state_t, XXH3_state_t or
		      * a uint64_t (a CRC so far) */
};

/* The algorithm's name ("sha256"), and its digest length in bytes. */
const char *digest_name(enum digest_alg alg);
size_t digest_size(enum digest_alg alg);

/* Look a name up, case-insensitively: 0, or -1 when unknown. */
int digest_lookup(const char *name, size_t len, enum digest_alg *alg);

/* The CRC an algorithm is (0 and *k set), or -1 when it is not a CRC. */
int digest_crc_kind(enum digest_alg alg, enum crc_kind *k);

/* Every algorithm's name, comma-separated, for messages. */
#define DIGEST_NAMES "md5, sha1, sha256, sha512, xxh64, xxh3, xxh128, crc32, crc32c, crc64nvme"

/* 0, or -1 when out of memory (d is then empty and safe to release). */
int digest_init(struct digest *d, enum digest_alg alg);
void digest_update(struct digest *d, const void *buf, size_t len);
/* Write the digest to out (digest_size bytes); d can then only be released. */
void digest_final(struct digest *d, unsigned char *out);
void digest_release(struct digest *d);

/* The digest of buf in one call; 0 or -1 when out of memory. */
int digest_buf(enum digest_alg alg, const void *buf, size_t len, unsigned char *out);

/* Lower-case hex of n bytes into out (2n + 1 bytes with the NUL). */
void digest_hex(const unsigned char *b, size_t n, char *out);

/* Decode exactly want bytes of hex (either case) from s[0..len): 0 or -1. */
int digest_unhex(const char *s, size_t len, unsigned char *out, size_t want);

/* Decode standard base64 of exactly want bytes from s[0..len): 0 or -1. */
int digest_unbase64(const char *s, size_t len, unsigned char *out, size_t want);

/* A checksum to hold the file to. */
struct expect {
	enum digest_alg alg;
	unsigned char want[DIGEST_MAX];
	const char *source; /* static: where it came from ("--checksum", ...) */
};

/*
 * Parse "ALGO:VALUE" (--checksum): a known algorithm and its digest in hex
 * (exactly its length) or in padded base64 (as object stores print them).
 * 0, or HAUL_EUSAGE with a message naming what was wrong.
 */
int digest_parse_expect(const char *spec, struct expect *e, struct haul_error *err);

#endif
