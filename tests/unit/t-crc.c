/* t-crc.c -- the three CRCs against their published check values, the
 * fast paths against the table code and a bit-at-a-time one written here,
 * streaming in pieces of every alignment, and combining. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crc.h"
#include "tap.h"

/* The definition, one bit at a time: nothing shared with crc.c. */
static uint64_t slow(enum crc_kind k, const unsigned char *p, size_t len)
{
	static const uint64_t poly[] = { 0xedb88320u, 0x82f63b78u, 0x9a6c9329ac4bc9b5ull };
	uint64_t mask = k == CRC_64NVME ? ~0ull : 0xffffffffull, c = mask;

	for (size_t i = 0; i < len; i++) {
		c ^= p[i];
		for (int b = 0; b < 8; b++)
			c = (c & 1) ? (c >> 1) ^ poly[k] : c >> 1;
	}
	return c ^ mask;
}

static uint64_t rnd_state = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return rnd_state;
}

static void check_values(void)
{
	const char *s = "123456789";
	unsigned char be[8];

	/* The catalogue's check values (CRC-32/ISO-HDLC, CRC-32/ISCSI,
	 * CRC-64/NVME). */
	is_u64(crc_update(CRC_32, 0, s, 9), 0xcbf43926u, "crc32(\"123456789\")");
	is_u64(crc_update(CRC_32C, 0, s, 9), 0xe3069283u, "crc32c(\"123456789\")");
	is_u64(crc_update(CRC_64NVME, 0, s, 9), 0xae8b14860a799888ull, "crc64nvme(\"123456789\")");
	is_u64(crc64nvme_table(0, s, 9), 0xae8b14860a799888ull, "crc64nvme by table");
	for (int k = 0; k < CRC_NKINDS; k++)
		is_u64(crc_update((enum crc_kind)k, 0, "", 0), 0, "kind %d: the CRC of nothing is 0", k);
	is_int(crc_width(CRC_32C), 4, "crc32c is 4 bytes");
	is_int(crc_width(CRC_64NVME), 8, "crc64nvme is 8 bytes");
	crc_bytes(CRC_32C, 0xe3069283u, be);
	ok(be[0] == 0xe3 && be[1] == 0x06 && be[2] == 0x92 && be[3] == 0x83, "big-endian bytes");
	diag("crc64nvme uses %s", crc_impl(CRC_64NVME));
}

/* Every path (fast, table, definition) agrees on random data of lengths
 * around the fast path's 16- and 64-byte steps, at every alignment. */
static void agreement(void)
{
	size_t cap = 4096 + 64;
	unsigned char *buf = malloc(cap);
	int bad[CRC_NKINDS] = { 0 }, badt = 0;

	for (size_t i = 0; i < cap; i++)
		buf[i] = (unsigned char)rnd();
	for (size_t len = 0; len <= 300; len++) {
		for (size_t off = 0; off < 16; off += (len < 140 ? 1 : 5)) {
			for (int k = 0; k < CRC_NKINDS; k++)
				if (crc_update((enum crc_kind)k, 0, buf + off, len) !=
				    slow((enum crc_kind)k, buf + off, len))
					bad[k]++;
			if (crc64nvme_table(0, buf + off, len) != slow(CRC_64NVME, buf + off, len))
				badt++;
		}
	}
	for (int k = 0; k < CRC_NKINDS; k++)
		is_int(bad[k], 0, "kind %d: matches the bit-wise definition, lengths 0-300", k);
	is_int(badt, 0, "crc64nvme's table code matches the definition");
	for (int k = 0; k < CRC_NKINDS; k++)
		is_u64(crc_update((enum crc_kind)k, 0, buf, 4096), slow((enum crc_kind)k, buf, 4096),
		       "kind %d: 4096 bytes", k);
	free(buf);
}

/* Fed in pieces of random sizes, the result is the same. */
static void streaming(void)
{
	size_t len = 1 << 20;
	unsigned char *buf = malloc(len);

	for (size_t i = 0; i < len; i++)
		buf[i] = (unsigned char)rnd();
	for (int k = 0; k < CRC_NKINDS; k++) {
		uint64_t whole = crc_update((enum crc_kind)k, 0, buf, len), c = 0;
		size_t at = 0;

		while (at < len) {
			size_t n = (size_t)(rnd() % 5000);

			n = n > len - at ? len - at : n;
			c = crc_update((enum crc_kind)k, c, buf + at, n);
			at += n;
		}
		is_u64(c, whole, "kind %d: 1 MiB fed in random pieces", k);
		is_u64(whole, slow((enum crc_kind)k, buf, len), "kind %d: 1 MiB, definition", k);
	}
	free(buf);
}

/* CRC(A || B) from CRC(A), CRC(B) and |B|, for many splits. */
static void combining(void)
{
	size_t len = 70000;
	unsigned char *buf = malloc(len);
	int bad[CRC_NKINDS] = { 0 };

	for (size_t i = 0; i < len; i++)
		buf[i] = (unsigned char)rnd();
	for (int k = 0; k < CRC_NKINDS; k++) {
		enum crc_kind kk = (enum crc_kind)k;
		uint64_t whole = crc_update(kk, 0, buf, len);

		for (size_t cut = 0; cut <= len; cut += (cut < 100 ? 1 : 997)) {
			uint64_t a = crc_update(kk, 0, buf, cut), b = crc_update(kk, 0, buf + cut, len - cut);

			if (crc_combine(kk, a, b, len - cut) != whole)
				bad[k]++;
		}
		is_int(bad[k], 0, "kind %d: combine at 170 cuts", k);
		/* Many equal pieces through one precomputed shift. */
		{
			uint64_t sh = crc_shift(kk, 1000), c = crc_update(kk, 0, buf, 1000);

			for (size_t at = 1000; at + 1000 <= 70000; at += 1000)
				c = crc_combine_shifted(kk, c, sh, crc_update(kk, 0, buf + at, 1000));
			is_u64(c, whole, "kind %d: 70 pieces of 1000 bytes, combined", k);
		}
	}
	/* A length past 2^61 (8 * len overflows 64 bits) still works: B of
	 * zeros of length 2^62 then 2^62 again equals 2^63 of zeros. */
	{
		uint64_t z = 0x12345678u;
		uint64_t twice = crc_combine(CRC_32C, crc_combine(CRC_32C, z, 0, 1ull << 62), 0,
					     1ull << 62);
		uint64_t once = crc_combine(CRC_32C, z, 0, 1ull << 63);

		is_u64(twice, once, "huge lengths combine consistently");
	}
	free(buf);
}

int main(void)
{
	check_values();
	agreement();
	streaming();
	combining();
	return tap_done();
}
