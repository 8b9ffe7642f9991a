/*
 * crc.h -- the CRCs object stores announce for whole objects: CRC-32
 * (S3's crc32, zlib's), CRC-32C (S3's crc32c, GCS's x-goog-hash) and
 * CRC-64/NVME (S3's crc64nvme). All three are reflected, start from all
 * ones and end XORed with all ones, so they are linear in the way that
 * lets two pieces' CRCs be combined into the CRC of the pieces joined
 * (crc_combine): ranges fetched out of order are checked without reading
 * the file back.
 *
 * Values are the finished CRC, as the tools print it (crc32c("123456789")
 * = e3069283), and crc_update continues from one: crc_update(k, 0, ...)
 * starts a new one, as zlib's crc32() does. The bytes on the wire (base64
 * in a header) are the value in big-endian order (crc_bytes).
 */
#ifndef HAUL_CRC_H
#define HAUL_CRC_H

#include <stddef.h>
#include <stdint.h>

enum crc_kind {
	CRC_32,
	CRC_32C,
	CRC_64NVME,
	CRC_NKINDS
};

/* 4 or 8: the value's width in bytes. */
unsigned crc_width(enum crc_kind k);

/* The CRC of what crc covered followed by buf[0..len). */
uint64_t crc_update(enum crc_kind k, uint64_t crc, const void *buf, size_t len);

/*
 * The CRC of A followed by B, from crc_a = CRC(A), crc_b = CRC(B) and
 * B's length. crc_shift(k, len_b) precomputes the part that depends on
 * len_b alone, for combining many pieces of one length: then
 * crc_combine_shifted(k, crc_a, shift, crc_b) is one multiplication.
 */
uint64_t crc_combine(enum crc_kind k, uint64_t crc_a, uint64_t crc_b, uint64_t len_b);
uint64_t crc_shift(enum crc_kind k, uint64_t len_b);
uint64_t crc_combine_shifted(enum crc_kind k, uint64_t crc_a, uint64_t shift, uint64_t crc_b);

/* The value as the stores send it: crc_width bytes, big-endian. */
void crc_bytes(enum crc_kind k, uint64_t crc, unsigned char *out);

/* Which implementation crc_update uses for k ("isa-l", "pclmul", "table"). */
const char *crc_impl(enum crc_kind k);

/* For the tests: CRC-64/NVME by the portable table code alone. */
uint64_t crc64nvme_table(uint64_t crc, const void *buf, size_t len);

#endif
