/*
 * digest.c -- md5/sha* through OpenSSL EVP, xxh64/xxh3/xxh128 through
 * xxHash, the CRCs through crc.c, behind one small interface.
 */
#include "config.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "xxh.h"

#include "digest.h"

static const struct {
	const char *name;
	size_t size;
} algs[DIGEST_NALGS] = {
	[DIGEST_MD5] = { "md5", 16 },
	[DIGEST_SHA1] = { "sha1", 20 },
	[DIGEST_SHA256] = { "sha256", 32 },
	[DIGEST_SHA512] = { "sha512", 64 },
	[DIGEST_XXH64] = { "xxh64", 8 },
	[DIGEST_XXH3] = { "xxh3", 8 },
	[DIGEST_XXH128] = { "xxh128", 16 },
	[DIGEST_CRC32] = { "crc32", 4 },
	[DIGEST_CRC32C] = { "crc32c", 4 },
	[DIGEST_CRC64NVME] = { "crc64nvme", 8 },
};

int digest_crc_kind(enum digest_alg alg, enum crc_kind *k)
{
	switch (alg) {
	case DIGEST_CRC32: *k = CRC_32; return 0;
	case DIGEST_CRC32C: *k = CRC_32C; return 0;
	case DIGEST_CRC64NVME: *k = CRC_64NVME; return 0;
	default: return -1;
	}
}

const char *digest_name(enum digest_alg alg)
{
	return alg < DIGEST_NALGS ? algs[alg].name : "?";
}

size_t digest_size(enum digest_alg alg)
{
	return alg < DIGEST_NALGS ? algs[alg].size : 0;
}

int digest_lookup(const char *name, size_t len, enum digest_alg *alg)
{
	for (int i = 0; i < DIGEST_NALGS; i++) {
		if (strlen(algs[i].name) == len && !strncasecmp(algs[i].name, name, len)) {
			*alg = (enum digest_alg)i;
			return 0;
		}
	}
	return -1;
}

static const EVP_MD *evp_md(enum digest_alg alg)
{
	switch (alg) {
	case DIGEST_MD5: return EVP_md5();
	case DIGEST_SHA1: return EVP_sha1();
	case DIGEST_SHA256: return EVP_sha256();
	case DIGEST_SHA512: return EVP_sha512();
	default: return NULL;
	}
}

int digest_init(struct digest *d, enum digest_alg alg)
{
	const EVP_MD *md = evp_md(alg);
	enum crc_kind k;

	d->alg = alg;
	d->state = NULL;
	if (!digest_crc_kind(alg, &k)) {
		uint64_t *crc = calloc(1, sizeof(*crc));

		if (!crc)
			return -1;
		d->state = crc;
	} else if (md) {
		EVP_MD_CTX *ctx = EVP_MD_CTX_new();

		if (!ctx || EVP_DigestInit_ex(ctx, md, NULL) != 1) {
			EVP_MD_CTX_free(ctx);
			return -1;
		}
		d->state = ctx;
	} else if (alg == DIGEST_XXH64) {
		XXH64_state_t *st = XXH64_createState();

		if (!st)
			return -1;
		XXH64_reset(st, 0);
		d->state = st;
	} else if (alg == DIGEST_XXH3 || alg == DIGEST_XXH128) {
		XXH3_state_t *st = XXH3_createState();

		if (!st)
			return -1;
		if (alg == DIGEST_XXH3)
			XXH3_64bits_reset(st);
		else
			XXH3_128bits_reset(st);
		d->state = st;
	} else {
		return -1;
	}
	return 0;
}

void digest_update(struct digest *d, const void *buf, size_t len)
{
	enum crc_kind k;

	if (!d->state || !len)
		return;
	if (!digest_crc_kind(d->alg, &k)) {
		uint64_t *crc = d->state;

		*crc = crc_update(k, *crc, buf, len);
		return;
	}
	switch (d->alg) {
	case DIGEST_XXH64: XXH64_update(d->state, buf, len); break;
	case DIGEST_XXH3: XXH3_64bits_update(d->state, buf, len); break;
	case DIGEST_XXH128: XXH3_128bits_update(d->state, buf, len); break;
	default: EVP_DigestUpdate(d->state, buf, len); break;
	}
}

void digest_final(struct digest *d, unsigned char *out)
{
	unsigned int n = 0;
	enum crc_kind k;

	if (!d->state)
		return;
	if (!digest_crc_kind(d->alg, &k)) {
		crc_bytes(k, *(uint64_t *)d->state, out);
		return;
	}
	switch (d->alg) {
	case DIGEST_XXH64: {
		XXH64_canonical_t c;

		XXH64_canonicalFromHash(&c, XXH64_digest(d->state));
		memcpy(out, c.digest, sizeof(c.digest));
		break;
	}
	case DIGEST_XXH3: {
		XXH64_canonical_t c;

		XXH64_canonicalFromHash(&c, XXH3_64bits_digest(d->state));
		memcpy(out, c.digest, sizeof(c.digest));
		break;
	}
	case DIGEST_XXH128: {
		XXH128_canonical_t c;

		XXH128_canonicalFromHash(&c, XXH3_128bits_digest(d->state));
		memcpy(out, c.digest, sizeof(c.digest));
		break;
	}
	default:
		EVP_DigestFinal_ex(d->state, out, &n);
		break;
	}
}

void digest_release(struct digest *d)
{
	if (!d->state)
		return;
	switch (d->alg) {
	case DIGEST_CRC32:
	case DIGEST_CRC32C:
	case DIGEST_CRC64NVME: free(d->state); break;
	case DIGEST_XXH64: XXH64_freeState(d->state); break;
	case DIGEST_XXH3:
	case DIGEST_XXH128: XXH3_freeState(d->state); break;
	default: EVP_MD_CTX_free(d->state); break;
	}
	d->state = NULL;
}

int digest_buf(enum digest_alg alg, const void *buf, size_t len, unsigned char *out)
{
	struct digest d;

	if (digest_init(&d, alg))
		return -1;
	digest_update(&d, buf, len);
	digest_final(&d, out);
	digest_release(&d);
	return 0;
}

void digest_hex(const unsigned char *b, size_t n, char *out)
{
	static const char hex[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hex[b[i] >> 4];
		out[2 * i + 1] = hex[b[i] & 15];
	}
	out[2 * n] = '\0';
}

static int nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int digest_unhex(const char *s, size_t len, unsigned char *out, size_t want)
{
	if (len != 2 * want)
		return -1;
	for (size_t i = 0; i < want; i++) {
		int hi = nibble(s[2 * i]), lo = nibble(s[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return 0;
}

int digest_unbase64(const char *s, size_t len, unsigned char *out, size_t want)
{
	/* Padded base64 of want bytes is exactly this long. */
	size_t enc = 4 * ((want + 2) / 3), pad = (3 - want % 3) % 3;
	unsigned char buf[4 * ((DIGEST_MAX + 2) / 3)];

	if (want > DIGEST_MAX || len != enc)
		return -1;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '+' || c == '/' || (c == '=' && i >= len - pad)))
			return -1;
	}
	for (size_t i = len - pad; i < len; i++)
		if (s[i] != '=')
			return -1;
	/* EVP_DecodeBlock counts the padding as zero bytes. */
	if (EVP_DecodeBlock(buf, (const unsigned char *)s, (int)len) != (int)(want + pad))
		return -1;
	memcpy(out, buf, want);
	return 0;
}

int digest_parse_expect(const char *spec, struct expect *e, struct haul_error *err)
{
	const char *colon = strchr(spec, ':');
	size_t n;

	if (!colon)
		return haul_error_set(err, HAUL_EUSAGE,
				      "--checksum '%.40s': want ALGO:HEX, e.g. sha256:9f86d0...", spec);
	if (digest_lookup(spec, (size_t)(colon - spec), &e->alg))
		return haul_error_set(err, HAUL_EUSAGE, "--checksum: unknown algorithm '%.*s' (%s)",
				      (int)(colon - spec > 20 ? 20 : colon - spec), spec, DIGEST_NAMES);
	n = digest_size(e->alg);
	if (digest_unhex(colon + 1, strlen(colon + 1), e->want, n) &&
	    digest_unbase64(colon + 1, strlen(colon + 1), e->want, n))
		return haul_error_set(err, HAUL_EUSAGE, "--checksum %s: want %zu hex digits or "
				      "%zu characters of base64, got '%.140s'", digest_name(e->alg),
				      2 * n, 4 * ((n + 2) / 3), colon + 1);
	e->source = "--checksum";
	return 0;
}
