/* t-digest.c -- known answers for every algorithm, hex/base64 decoding,
 * --checksum parsing, ETag classification and part sizes, and the
 * multipart MD5-of-MD5s against a computation done here by hand. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "digest.h"
#include "etag.h"
#include "tap.h"

#define MiB (1024ull * 1024)
#define GiB (1024ull * MiB)

static void kat(enum digest_alg alg, const char *in, const char *want)
{
	unsigned char out[DIGEST_MAX];
	char hex[2 * DIGEST_MAX + 1];
	struct digest d;

	/* Fed in two pieces, to exercise the streaming state. */
	ok(digest_init(&d, alg) == 0, "%s: init", digest_name(alg));
	digest_update(&d, in, strlen(in) / 2);
	digest_update(&d, in + strlen(in) / 2, strlen(in) - strlen(in) / 2);
	digest_final(&d, out);
	digest_release(&d);
	digest_hex(out, digest_size(alg), hex);
	is_str(hex, want, "%s(\"%s\")", digest_name(alg), in);
}

static void vectors(void)
{
	kat(DIGEST_MD5, "", "d41d8cd98f00b204e9800998ecf8427e");
	kat(DIGEST_MD5, "abc", "900150983cd24fb0d6963f7d28e17f72");
	kat(DIGEST_SHA1, "abc", "a9993e364706816aba3e25717850c26c9cd0d89d");
	kat(DIGEST_SHA256, "abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	kat(DIGEST_SHA512, "abc",
	    "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
	    "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f");
	/* xxHash values as xxhsum -H1/-H3/-H2 prints them. */
	kat(DIGEST_XXH64, "", "ef46db3751d8e999");
	kat(DIGEST_XXH64, "abc", "44bc2cf5ad770999");
	kat(DIGEST_XXH3, "", "2d06800538d394c2");
	kat(DIGEST_XXH3, "abc", "78af5f94892f3950");
	kat(DIGEST_XXH128, "", "99aa06d3014798d86001c324468d497f");
	kat(DIGEST_XXH128, "abc", "06b05ab6733a618578af5f94892f3950");
	/* The CRC catalogue's check values, big-endian as the stores send them. */
	kat(DIGEST_CRC32, "123456789", "cbf43926");
	kat(DIGEST_CRC32C, "123456789", "e3069283");
	kat(DIGEST_CRC64NVME, "123456789", "ae8b14860a799888");
	kat(DIGEST_CRC32C, "", "00000000");
}

static void decoding(void)
{
	unsigned char b[DIGEST_MAX];
	struct expect e;
	struct haul_error err;
	enum digest_alg alg;

	ok(digest_unhex("00ff7F", 6, b, 3) == 0 && b[0] == 0 && b[1] == 0xff && b[2] == 0x7f,
	   "hex of either case decodes");
	ok(digest_unhex("00f", 3, b, 2) == -1, "odd or short hex is refused");
	ok(digest_unhex("0g", 2, b, 1) == -1, "a non-hex digit is refused");
	/* base64 of md5("abc") = kAFQmDzST7DWlj99KOF/cg== */
	ok(digest_unbase64("kAFQmDzST7DWlj99KOF/cg==", 24, b, 16) == 0 && b[0] == 0x90 && b[15] == 0x72,
	   "base64 of an md5 decodes");
	ok(digest_unbase64("kAFQmDzST7DWlj99KOF/cg=", 23, b, 16) == -1, "unpadded base64 is refused");
	ok(digest_unbase64("kAFQmDzST7DWlj99KOF/c===", 24, b, 16) == -1, "wrong padding is refused");
	ok(digest_unbase64("kAFQmDzST7DWlj99KOF*cg==", 24, b, 16) == -1, "a stray byte is refused");
	ok(digest_lookup("SHA256", 6, &alg) == 0 && alg == DIGEST_SHA256, "names are case-insensitive");
	ok(digest_lookup("sha", 3, &alg) == -1, "a prefix is not a name");

	haul_error_init(&err);
	ok(digest_parse_expect("md5:900150983cd24fb0d6963f7d28e17f72", &e, &err) == 0 &&
	   e.alg == DIGEST_MD5 && e.want[0] == 0x90, "--checksum md5:HEX parses");
	ok(digest_parse_expect("blake3:00000000", &e, &err) == HAUL_EUSAGE && strstr(err.msg, "blake3"),
	   "an unknown algorithm is named in the error");
	haul_error_release(&err);
	haul_error_init(&err);
	ok(digest_parse_expect("crc32c:e3069283", &e, &err) == 0 && e.alg == DIGEST_CRC32C &&
	   !memcmp(e.want, "\xe3\x06\x92\x83", 4), "--checksum crc32c:HEX parses");
	/* The stores' form: base64 of the big-endian bytes (4waSgw== is e3 06 92 83). */
	ok(digest_parse_expect("crc32c:4waSgw==", &e, &err) == 0 &&
	   !memcmp(e.want, "\xe3\x06\x92\x83", 4), "--checksum crc32c:BASE64 parses");
	ok(digest_parse_expect("CRC64NVME:rosUhgp5mIg=", &e, &err) == 0 &&
	   e.alg == DIGEST_CRC64NVME && !memcmp(e.want, "\xae\x8b\x14\x86\x0a\x79\x98\x88", 8),
	   "--checksum crc64nvme:BASE64 parses");
	ok(digest_parse_expect("sha256:ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=", &e, &err) == 0 &&
	   e.want[0] == 0xba && e.want[31] == 0xad, "--checksum sha256:BASE64 parses");
	haul_error_release(&err);
	haul_error_init(&err);
	ok(digest_parse_expect("crc32:4wabgw=", &e, &err) == HAUL_EUSAGE &&
	   strstr(err.msg, "8 hex digits or 8 characters of base64"),
	   "bad base64 says both forms");
	haul_error_release(&err);
	haul_error_init(&err);
	ok(digest_parse_expect("sha1:abcd", &e, &err) == HAUL_EUSAGE && strstr(err.msg, "40 hex"),
	   "a short digest says how long it should be");
	haul_error_release(&err);
	haul_error_init(&err);
	ok(digest_parse_expect("deadbeef", &e, &err) == HAUL_EUSAGE && strstr(err.msg, "ALGO:HEX"),
	   "no colon: the form is shown");
	haul_error_release(&err);
}

static void etags(void)
{
	struct etag_info ei;

	ok(etag_classify("\"900150983cd24fb0d6963f7d28e17f72\"", &ei) == ETAG_MD5 && ei.md5[0] == 0x90,
	   "32 hex digits: a single-part MD5");
	ok(etag_classify("\"900150983cd24fb0d6963f7d28e17f72-12\"", &ei) == ETAG_MULTIPART &&
	   ei.parts == 12, "HEX-12: multipart, 12 parts");
	ok(etag_classify("W/\"900150983cd24fb0d6963f7d28e17f72\"", &ei) == ETAG_OPAQUE,
	   "a weak ETag says nothing");
	ok(etag_classify("\"6b02dc1e-40000000\"", &ei) == ETAG_OPAQUE, "nginx's ETag is opaque");
	ok(etag_classify("\"900150983cd24fb0d6963f7d28e17f72-0\"", &ei) == ETAG_OPAQUE,
	   "0 parts is not multipart");
	ok(etag_classify("\"900150983cd24fb0d6963f7d28e17f72-123456\"", &ei) == ETAG_OPAQUE,
	   "more than 10000 parts is not S3's");
	ok(etag_classify(NULL, &ei) == ETAG_OPAQUE, "no ETag");

	ok(etag_classify("\"900150983cd24fb0d6963f7d28e17f72-10001\"", &ei) == ETAG_OPAQUE,
	   "10001 parts is not S3's");
}

/* ceil(size / p) == parts for every candidate, no repeats, in the interval. */
static int sound(uint64_t size, uint64_t parts, const uint64_t *c, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (!c[i] || size / c[i] + (size % c[i] != 0) != parts)
			return 0;
		for (size_t j = 0; j < i; j++)
			if (c[j] == c[i])
				return 0;
	}
	return 1;
}

static int has(const uint64_t *c, size_t n, uint64_t v)
{
	for (size_t i = 0; i < n; i++)
		if (c[i] == v)
			return 1;
	return 0;
}

static void part_sizes(void)
{
	static uint64_t c[1024];
	uint64_t lo, hi, total;
	size_t n;

	ok(etag_part_interval(64 * MiB, 8, &lo, &hi) == 0 && lo == 8 * MiB &&
	   hi == (64 * MiB - 1) / 7, "64 MiB in 8 parts: [8 MiB, (64 MiB - 1) / 7]");
	ok(etag_part_interval(10, 11, &lo, &hi) == -1, "more parts than bytes: none");
	ok(etag_part_interval(100, 0, &lo, &hi) == -1, "0 parts: none");
	ok(etag_part_interval(100 * MiB, 1, &lo, &hi) == 0 && lo == 100 * MiB,
	   "one part: at least the size");
	/* 20 MiB in 4 parts: P in [5 MiB, 6.67 MiB): no P gives 4 parts of 21 MiB + 3? */
	ok(etag_part_interval(21, 5, &lo, &hi) == 0 && lo == 5 && hi == 5, "21 bytes in 5 parts: 5");
	ok(etag_part_interval(20, 6, &lo, &hi) == -1, "20 bytes in 6 parts: none (4 gives 5)");

	n = etag_part_candidates(64 * MiB, 8, 0, c, 1024, &total);
	ok(n >= 1 && c[0] == 8 * MiB && sound(64 * MiB, 8, c, n), "64 MiB, 8 parts: 8 MiB first");
	ok(has(c, n, 9 * MiB) && has(c, n, 9000000) && total == n && n == 3,
	   "... then 9 MiB and 9 MB: all 3 there are");
	n = etag_part_candidates(100 * MiB, 20, 0, c, 1024, &total);
	ok(n == 1 && c[0] == 5 * MiB && total == 1, "100 MiB in 20 parts: 5 MiB alone");
	n = etag_part_candidates(1000 * MiB, 7, 0, c, 1024, &total);
	ok(c[0] == (1000 * MiB + 6) / 7 && has(c, n, 143 * MiB) && sound(1000 * MiB, 7, c, n) &&
	   n == total, "1000 MiB in 7 parts: size/7 first, every MiB and MB multiple there");
	/* An odd part size is not guessed, but given it is the only one. */
	n = etag_part_candidates(10 * MiB, 4, 0, c, 1024, &total);
	ok(sound(10 * MiB, 4, c, n) && !has(c, n, 3 * MiB + 1) && has(c, n, 3 * MiB),
	   "10 MiB in 4 parts: 3 MiB is tried, 3 MiB + 1 is not");
	n = etag_part_candidates(10 * MiB, 4, 3 * MiB + 1, c, 1024, &total);
	ok(n == 1 && c[0] == 3 * MiB + 1 && total == 1, "given: that size alone");
	n = etag_part_candidates(10 * MiB, 3, 6 * MiB, c, 1024, &total);
	ok(n == 0 && total == 0, "given, but it does not make 3 parts: none");
	/* SDK sizes for large objects: the AWS CLI doubles 8 MiB until the
	 * parts fit; the Java SDK uses ceil(size / 10000). */
	n = etag_part_candidates(100 * GiB, 6400, 0, c, 1024, &total);
	ok(has(c, n, 16 * MiB) && sound(100 * GiB, 6400, c, n),
	   "100 GiB in 6400 parts: 16 MiB (8 MiB doubled) among the first");
	diag("100 GiB / 6400 parts: %zu candidates, %llu in all", n, (unsigned long long)total);
	n = etag_part_candidates(100 * GiB, 10000, 0, c, 1024, &total);
	ok(has(c, n, (100 * GiB + 9999) / 10000) && sound(100 * GiB, 10000, c, n),
	   "100 GiB in 10000 parts: ceil(size / 10000) is tried");
	diag("100 GiB / 10000 parts: %zu candidates, %llu in all", n, (unsigned long long)total);
	n = etag_part_candidates(GiB, 128, 0, c, 1024, &total);
	ok(n == 1 && c[0] == 8 * MiB, "1 GiB in 8 MiB parts (128): one candidate");
	n = etag_part_candidates(10 * GiB, 1280, 0, c, 1024, &total);
	ok(n == 1 && c[0] == 8 * MiB, "10 GiB in 8 MiB parts (1280): one candidate");
	/* Few parts of a big object: a wide interval, counted, capped. */
	n = etag_part_candidates(GiB, 2, 0, c, 1024, &total);
	ok(n == 1024 && total > 1024 && sound(GiB, 2, c, n) && c[0] == 512 * MiB,
	   "1 GiB in 2 parts: capped at 1024 of %llu", (unsigned long long)total);
	n = etag_part_candidates(GiB, 2, 0, c, 4, &total);
	ok(n == 4 && total > 1000, "a small cap still counts them all");
	n = etag_part_candidates(5 * MiB, 1, 0, c, 1024, &total);
	ok(n == 1 && c[0] == 5 * MiB && total == 1, "one part: one candidate");
}

static void checksum_values(void)
{
	unsigned char w[DIGEST_MAX];
	uint64_t parts;

	ok(etag_parse_checksum("4waSgw==", 8, DIGEST_CRC32C, w, &parts) == 0 && parts == 0 &&
	   w[0] == 0xe3, "a full-object checksum");
	ok(etag_parse_checksum("4waSgw==-12", 11, DIGEST_CRC32C, w, &parts) == 0 && parts == 12,
	   "a composite one: -12");
	ok(etag_parse_checksum("4waSgw==-0", 10, DIGEST_CRC32C, w, &parts) == -1, "-0 is not a count");
	ok(etag_parse_checksum("4waSgw==-10001", 14, DIGEST_CRC32C, w, &parts) == -1,
	   "more than 10000 parts");
	ok(etag_parse_checksum("4waSgw==-", 9, DIGEST_CRC32C, w, &parts) == -1, "a bare dash");
	ok(etag_parse_checksum("4waSgw", 6, DIGEST_CRC32C, w, &parts) == -1, "unpadded base64");
	ok(etag_parse_checksum("4waSgw==", 8, DIGEST_CRC64NVME, w, &parts) == -1,
	   "the wrong length for the algorithm");
}

/* The multipart digest, fed in odd pieces, against one made by hand. */
static void multipart(void)
{
	size_t size = 3 * 65536 + 1000, ps = 65536;
	unsigned char *buf = malloc(size), parts[4 * 16], want[16], got[16];
	struct mpart m;
	uint64_t nparts = 0;

	for (size_t i = 0; i < size; i++)
		buf[i] = (unsigned char)(i * 7 + (i >> 9));
	for (size_t p = 0; p < 4; p++) {
		size_t off = p * ps, len = p < 3 ? ps : 1000;

		digest_buf(DIGEST_MD5, buf + off, len, parts + 16 * p);
	}
	digest_buf(DIGEST_MD5, parts, sizeof(parts), want);
	ok(mpart_init(&m, DIGEST_MD5, ps) == 0, "multipart state");
	for (size_t off = 0; off < size;) {
		size_t step = off % 3 ? 40000 : 777;

		step = step > size - off ? size - off : step;
		mpart_update(&m, buf + off, step);
		off += step;
	}
	mpart_final(&m, got, &nparts);
	mpart_release(&m);
	ok(nparts == 4 && !memcmp(got, want, 16), "MD5 of the 4 parts' MD5s, 4 parts");

	/* A size that is a whole number of parts: no empty last part. */
	ok(mpart_init(&m, DIGEST_MD5, ps) == 0, "multipart state again");
	mpart_update(&m, buf, 2 * ps);
	mpart_final(&m, got, &nparts);
	mpart_release(&m);
	digest_buf(DIGEST_MD5, parts, 32, want);
	ok(nparts == 2 && !memcmp(got, want, 16), "exactly 2 parts: 2, not 3");

	/* S3's composite CRC-32C: the CRC of the parts' big-endian CRCs. */
	{
		unsigned char pc[4 * 4], w4[4], g4[4];

		for (size_t p = 0; p < 4; p++) {
			size_t off = p * ps, len = p < 3 ? ps : 1000;

			digest_buf(DIGEST_CRC32C, buf + off, len, pc + 4 * p);
		}
		digest_buf(DIGEST_CRC32C, pc, sizeof(pc), w4);
		ok(mpart_init(&m, DIGEST_CRC32C, ps) == 0, "composite crc32c state");
		mpart_update(&m, buf, size);
		mpart_final(&m, g4, &nparts);
		mpart_release(&m);
		ok(nparts == 4 && !memcmp(g4, w4, 4), "composite crc32c of 4 parts");
	}
	free(buf);
}

int main(void)
{
	vectors();
	decoding();
	etags();
	part_sizes();
	checksum_values();
	multipart();
	return tap_done();
}
