/*
 * crc.c -- CRC-32 and CRC-32C through Intel's ISA-L (SIMD), CRC-64/NVME
 * here (ISA-L 2.30, Debian 12's, predates it): carry-less multiplication
 * folding on x86-64 CPUs with PCLMULQDQ, a slicing-by-8 table elsewhere;
 * and the GF(2) arithmetic that combines two CRCs.
 *
 * Representation: a reflected CRC of width w keeps the coefficient of x^i
 * in bit w-1-i, so x^0 is the top bit and multiplying by x is a right
 * shift (reducing by the polynomial when a bit falls off the bottom).
 */
#include "config.h"

#include <pthread.h>
#include <string.h>

#include <isa-l/crc.h>

#include "crc.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define HAVE_CLMUL_PATH 1
#endif

/* The polynomials without their x^w term, reflected. */
static const uint64_t rpoly[CRC_NKINDS] = {
	[CRC_32] = 0xedb88320u,             /* 0x04c11db7 */
	[CRC_32C] = 0x82f63b78u,            /* 0x1edc6f41, Castagnoli */
	[CRC_64NVME] = 0x9a6c9329ac4bc9b5ull, /* 0xad93d23594c93659 */
};

static const unsigned width[CRC_NKINDS] = { 32, 32, 64 };

unsigned crc_width(enum crc_kind k)
{
	return width[k] / 8;
}

/* a * b mod P, both reduced, in the reflected representation. */
static uint64_t mulmod(enum crc_kind k, uint64_t a, uint64_t b)
{
	uint64_t p = 0;

	for (uint64_t m = 1ull << (width[k] - 1); m; m >>= 1) {
		if (a & m)
			p ^= b;
		b = (b & 1) ? (b >> 1) ^ rpoly[k] : b >> 1; /* b *= x */
	}
	return p;
}

/* x^n mod P. */
static uint64_t xpow(enum crc_kind k, uint64_t n)
{
	uint64_t r = 1ull << (width[k] - 1), base = r >> 1; /* x^0, x^1 */

	for (; n; n >>= 1) {
		if (n & 1)
			r = mulmod(k, r, base);
		base = mulmod(k, base, base);
	}
	return r;
}

/*
 * CRC(A || B): running the register over B from CRC(A)'s register is
 * linear, and the all-ones start and end cancel out, so
 * CRC(A || B) = CRC(A) * x^(8|B|) + CRC(B) (mod P).
 */
uint64_t crc_shift(enum crc_kind k, uint64_t len_b)
{
	/* 8 * len_b may not fit: x^(8n) = (x^8)^n. */
	uint64_t r = 1ull << (width[k] - 1), base = xpow(k, 8);

	for (uint64_t n = len_b; n; n >>= 1) {
		if (n & 1)
			r = mulmod(k, r, base);
		base = mulmod(k, base, base);
	}
	return r;
}

uint64_t crc_combine_shifted(enum crc_kind k, uint64_t crc_a, uint64_t shift, uint64_t crc_b)
{
	return mulmod(k, crc_a, shift) ^ crc_b;
}

uint64_t crc_combine(enum crc_kind k, uint64_t crc_a, uint64_t crc_b, uint64_t len_b)
{
	return crc_combine_shifted(k, crc_a, crc_shift(k, len_b), crc_b);
}

void crc_bytes(enum crc_kind k, uint64_t crc, unsigned char *out)
{
	unsigned n = crc_width(k);

	for (unsigned i = 0; i < n; i++)
		out[i] = (unsigned char)(crc >> (8 * (n - 1 - i)));
}

/* --- CRC-64/NVME ---------------------------------------------------------- */

static uint64_t table64[8][256];
static pthread_once_t table64_once = PTHREAD_ONCE_INIT;

static void table64_make(void)
{
	for (unsigned i = 0; i < 256; i++) {
		uint64_t c = i;

		for (int j = 0; j < 8; j++)
			c = (c & 1) ? (c >> 1) ^ rpoly[CRC_64NVME] : c >> 1;
		table64[0][i] = c;
	}
	/* table64[j][i]: byte i followed by j zero bytes. */
	for (unsigned i = 0; i < 256; i++)
		for (int j = 1; j < 8; j++)
			table64[j][i] = (table64[j - 1][i] >> 8) ^ table64[0][table64[j - 1][i] & 0xff];
}

/* The register (not the finished value) over buf, eight bytes a step. */
static uint64_t reg64_table(uint64_t reg, const unsigned char *p, size_t len)
{
	while (len >= 8) {
		uint64_t v = reg;

		for (int i = 0; i < 8; i++) /* little-endian, whatever the host */
			v ^= (uint64_t)p[i] << (8 * i);
		reg = table64[7][v & 0xff] ^ table64[6][(v >> 8) & 0xff] ^
		      table64[5][(v >> 16) & 0xff] ^ table64[4][(v >> 24) & 0xff] ^
		      table64[3][(v >> 32) & 0xff] ^ table64[2][(v >> 40) & 0xff] ^
		      table64[1][(v >> 48) & 0xff] ^ table64[0][v >> 56];
		p += 8;
		len -= 8;
	}
	while (len--)
		reg = table64[0][(reg ^ *p++) & 0xff] ^ (reg >> 8);
	return reg;
}

uint64_t crc64nvme_table(uint64_t crc, const void *buf, size_t len)
{
	pthread_once(&table64_once, table64_make);
	return ~reg64_table(~crc, buf, len);
}

#ifdef HAVE_CLMUL_PATH
/*
 * Folding. A 16-byte chunk loaded little-endian holds, in the reflected
 * order, H (its low half, the higher powers) and L: the chunk is
 * H * x^64 + L. Moving it d bits further down the message multiplies it by
 * x^d, so it becomes H * x^(64+d) + L * x^d, congruent to
 * clmul(H, x^(d+63) mod P) + clmul(L, x^(d-1) mod P): a carry-less product
 * of two reflected 64-bit values comes out multiplied by one extra x, hence
 * the -1 in both exponents. The result is again a 128-bit chunk, so LANES
 * lanes fold LANES * 128 bits at a time and are folded into one at the end, and
 * the last 16 bytes are run through the table with a zero register: that
 * is their value times x^64 mod P, which is the CRC register.
 */
#define LANES 8 /* independent products in flight: the multiplier's latency */

static uint64_t keys_step[2];          /* fold by LANES * 128 bits */
static uint64_t keys_lane[LANES][2];   /* lane i by (LANES - 1 - i) * 128 bits */
static uint64_t keys_wide[4][2];       /* by 2048, 1536, 1024, 512 bits */
static int have_clmul, have_vclmul;
static pthread_once_t clmul_once = PTHREAD_ONCE_INIT;

static void keys_for(uint64_t out[2], unsigned d)
{
	out[0] = xpow(CRC_64NVME, d + 63); /* for H */
	out[1] = xpow(CRC_64NVME, d - 1);  /* for L */
}

static void clmul_setup(void)
{
	__builtin_cpu_init();
	have_clmul = __builtin_cpu_supports("pclmul") && __builtin_cpu_supports("sse4.1");
	keys_for(keys_step, LANES * 128);
	for (unsigned i = 0; i + 1 < LANES; i++)
		keys_for(keys_lane[i], (LANES - 1 - i) * 128);
	have_vclmul = have_clmul && __builtin_cpu_supports("avx512f") &&
		      __builtin_cpu_supports("vpclmulqdq");
	for (unsigned i = 0; i < 4; i++)
		keys_for(keys_wide[i], (4 - i) * 512);
}

__attribute__((target("pclmul,sse4.1")))
static inline __m128i fold(__m128i x, __m128i k)
{
	return _mm_xor_si128(_mm_clmulepi64_si128(x, k, 0x00), _mm_clmulepi64_si128(x, k, 0x11));
}

__attribute__((target("pclmul,sse4.1")))
static inline __m128i key(const uint64_t k[2])
{
	return _mm_set_epi64x((long long)k[1], (long long)k[0]);
}

__attribute__((target("pclmul,sse4.1")))
static uint64_t reg64_clmul(uint64_t reg, const unsigned char *p, size_t len)
{
	__m128i x[LANES], acc, step = key(keys_step);
	unsigned char last[16];

#pragma GCC unroll 8
	for (unsigned i = 0; i < LANES; i++)
		x[i] = _mm_loadu_si128((const __m128i *)(p + 16 * i));
	/* The register is added to the first 8 bytes of the message. */
	x[0] = _mm_xor_si128(x[0], _mm_cvtsi64_si128((long long)reg));
	p += 16 * LANES;
	len -= 16 * LANES;
	while (len >= 16 * LANES) {
#pragma GCC unroll 8
		for (unsigned i = 0; i < LANES; i++)
			x[i] = _mm_xor_si128(fold(x[i], step),
					     _mm_loadu_si128((const __m128i *)(p + 16 * i)));
		p += 16 * LANES;
		len -= 16 * LANES;
	}
	acc = x[LANES - 1];
#pragma GCC unroll 8
	for (unsigned i = 0; i + 1 < LANES; i++)
		acc = _mm_xor_si128(acc, fold(x[i], key(keys_lane[i])));
	while (len >= 16) {
		acc = _mm_xor_si128(fold(acc, key(keys_lane[LANES - 2])), _mm_loadu_si128((const __m128i *)p));
		p += 16;
		len -= 16;
	}
	_mm_storeu_si128((__m128i *)last, acc);
	reg = reg64_table(0, last, 16);
	return reg64_table(reg, p, len);
}

/* One lane, for pieces too short for eight (at least 16 bytes). */
__attribute__((target("pclmul,sse4.1")))
static uint64_t reg64_clmul1(uint64_t reg, const unsigned char *p, size_t len)
{
	__m128i acc = _mm_xor_si128(_mm_loadu_si128((const __m128i *)p),
				    _mm_cvtsi64_si128((long long)reg));
	__m128i k = key(keys_lane[LANES - 2]);
	unsigned char last[16];

	p += 16;
	len -= 16;
	while (len >= 16) {
		acc = _mm_xor_si128(fold(acc, k), _mm_loadu_si128((const __m128i *)p));
		p += 16;
		len -= 16;
	}
	_mm_storeu_si128((__m128i *)last, acc);
	reg = reg64_table(0, last, 16);
	return reg64_table(reg, p, len);
}

/*
 * The same with AVX-512's VPCLMULQDQ: four 128-bit chunks per register,
 * four registers (256 bytes) a step; then the four lanes of the last
 * register are folded as above.
 */
__attribute__((target("vpclmulqdq,avx512f,pclmul,sse4.1")))
static inline __m512i fold4(__m512i z, __m512i k)
{
	return _mm512_xor_si512(_mm512_clmulepi64_epi128(z, k, 0x00),
				_mm512_clmulepi64_epi128(z, k, 0x11));
}

/* Folded and added to the next 64 bytes in one step (a three-way XOR). */
__attribute__((target("vpclmulqdq,avx512f,pclmul,sse4.1")))
static inline __m512i fold4_add(__m512i z, __m512i k, const unsigned char *p)
{
	return _mm512_ternarylogic_epi64(_mm512_clmulepi64_epi128(z, k, 0x00),
					 _mm512_clmulepi64_epi128(z, k, 0x11),
					 _mm512_loadu_si512(p), 0x96);
}

__attribute__((target("vpclmulqdq,avx512f,pclmul,sse4.1")))
static __m512i key4(const uint64_t k[2])
{
	return _mm512_set_epi64((long long)k[1], (long long)k[0], (long long)k[1], (long long)k[0],
				(long long)k[1], (long long)k[0], (long long)k[1], (long long)k[0]);
}

__attribute__((target("vpclmulqdq,avx512f,pclmul,sse4.1")))
static uint64_t reg64_vclmul(uint64_t reg, const unsigned char *p, size_t len)
{
	__m512i z0, z1, z2, z3, step = key4(keys_wide[0]);
	__m128i lane[4], acc;
	unsigned char last[16];

	z0 = _mm512_loadu_si512(p);
	z1 = _mm512_loadu_si512(p + 64);
	z2 = _mm512_loadu_si512(p + 128);
	z3 = _mm512_loadu_si512(p + 192);
	z0 = _mm512_xor_si512(z0, _mm512_zextsi128_si512(_mm_cvtsi64_si128((long long)reg)));
	p += 256;
	len -= 256;
	while (len >= 256) {
		z0 = fold4_add(z0, step, p);
		z1 = fold4_add(z1, step, p + 64);
		z2 = fold4_add(z2, step, p + 128);
		z3 = fold4_add(z3, step, p + 192);
		p += 256;
		len -= 256;
	}
	z3 = _mm512_xor_si512(z3, fold4(z0, key4(keys_wide[1])));
	z3 = _mm512_xor_si512(z3, fold4(z1, key4(keys_wide[2])));
	z3 = _mm512_xor_si512(z3, fold4(z2, key4(keys_wide[3])));
	lane[0] = _mm512_extracti32x4_epi32(z3, 0);
	lane[1] = _mm512_extracti32x4_epi32(z3, 1);
	lane[2] = _mm512_extracti32x4_epi32(z3, 2);
	lane[3] = _mm512_extracti32x4_epi32(z3, 3);
	acc = _mm_xor_si128(lane[3], fold(lane[0], key(keys_lane[LANES - 4])));
	acc = _mm_xor_si128(acc, fold(lane[1], key(keys_lane[LANES - 3])));
	acc = _mm_xor_si128(acc, fold(lane[2], key(keys_lane[LANES - 2])));
	while (len >= 16) {
		acc = _mm_xor_si128(fold(acc, key(keys_lane[LANES - 2])), _mm_loadu_si128((const __m128i *)p));
		p += 16;
		len -= 16;
	}
	_mm_storeu_si128((__m128i *)last, acc);
	reg = reg64_table(0, last, 16);
	return reg64_table(reg, p, len);
}
#endif

static uint64_t crc64nvme(uint64_t crc, const unsigned char *p, size_t len)
{
	pthread_once(&table64_once, table64_make);
#ifdef HAVE_CLMUL_PATH
	pthread_once(&clmul_once, clmul_setup);
	if (have_vclmul && len >= 256)
		return ~reg64_vclmul(~crc, p, len);
	if (have_clmul && len >= 16 * LANES)
		return ~reg64_clmul(~crc, p, len);
	if (have_clmul && len >= 32)
		return ~reg64_clmul1(~crc, p, len);
#endif
	return ~reg64_table(~crc, p, len);
}

/* --- the interface -------------------------------------------------------- */

uint64_t crc_update(enum crc_kind k, uint64_t crc, const void *buf, size_t len)
{
	/* ISA-L takes an int length: feed it in pieces below 2 GiB. */
	const unsigned char *p = buf;

	if (k == CRC_64NVME)
		return crc64nvme(crc, p, len);
	while (len) {
		size_t n = len < (1u << 30) ? len : (1u << 30);

		if (k == CRC_32) /* ISA-L's gzip CRC is zlib's: finished values */
			crc = crc32_gzip_refl((uint32_t)crc, (unsigned char *)p, n);
		else /* its iSCSI CRC works on the register */
			crc = ~crc32_iscsi((unsigned char *)p, (int)n, ~(uint32_t)crc) & 0xffffffffu;
		p += n;
		len -= n;
	}
	return crc;
}

const char *crc_impl(enum crc_kind k)
{
	if (k != CRC_64NVME)
		return "isa-l";
#ifdef HAVE_CLMUL_PATH
	pthread_once(&clmul_once, clmul_setup);
	if (have_vclmul)
		return "vpclmulqdq";
	if (have_clmul)
		return "pclmul";
#endif
	return "table";
}
