/* t-trust.c -- which backend an answer shows, the digests its headers
 * claim, which of them are checked (and trusted), and when to ask S3 for
 * its checksums. */
#include "config.h"

#include <string.h>
#include <strings.h>

#include "tap.h"
#include "trust.h"

/* A header set: "Name: value" lines, NULL-terminated. */
static const char *get(void *ctx, const char *name, size_t index)
{
	const char *const *h = ctx;
	size_t n = strlen(name);

	for (; *h; h++) {
		if (strncasecmp(*h, name, n) == 0 && (*h)[n] == ':') {
			if (index-- == 0)
				return *h + n + 2;
		}
	}
	return NULL;
}

static void read_claims(struct claims *cl, const char *const *h, const char *url, int whole)
{
	trust_read(cl, get, (void *)h, whole, url, 0);
}

#define PLAIN "http://example.com/f.bin"
#define ETAG_MD5 "\"900150983cd24fb0d6963f7d28e17f72\""
#define ETAG_MP "\"900150983cd24fb0d6963f7d28e17f72-5\""

static void backends(void)
{
	static const char *const none[] = { "Server: nginx", NULL };
	static const char *const s3[] = { "x-amz-request-id: 4442587FB7D0A2F9", NULL };
	static const char *const s3server[] = { "Server: AmazonS3", NULL };
	static const char *const gcs[] = { "x-goog-generation: 1", NULL };
	static const char *const az[] = { "x-ms-request-id: 1-2", NULL };
	static const char *const cf[] = { "cf-ray: 8a-AMS", "Server: cloudflare", NULL };
	struct claims cl;

	read_claims(&cl, none, PLAIN, 0);
	is_int(cl.backend, BACKEND_WEB, "nginx, a plain URL: a web server");
	read_claims(&cl, s3, PLAIN, 0);
	ok(cl.backend == BACKEND_S3 && !strcmp(cl.evidence, "x-amz-request-id"),
	   "x-amz-request-id: S3, and it says why");
	read_claims(&cl, s3server, PLAIN, 0);
	is_int(cl.backend, BACKEND_S3, "Server: AmazonS3: S3");
	read_claims(&cl, gcs, PLAIN, 0);
	is_int(cl.backend, BACKEND_GCS, "x-goog-generation: GCS");
	read_claims(&cl, az, PLAIN, 0);
	is_int(cl.backend, BACKEND_AZURE, "x-ms-request-id: Azure");
	read_claims(&cl, none, "https://b.s3.amazonaws.com/k?X-Amz-Signature=ab&X-Amz-Credential=c", 0);
	is_int(cl.backend, BACKEND_S3, "an S3 presigned query: S3");
	read_claims(&cl, cf, "https://h.example/k?X-Amz-Signature=ab", 0);
	is_int(cl.backend, BACKEND_R2, "Cloudflare answering an S3-signed URL: R2");
	read_claims(&cl, cf, "https://www.example.com/f.bin", 0);
	is_int(cl.backend, BACKEND_WEB, "Cloudflare in front of a web site: a web server");
	read_claims(&cl, none, "https://acc.r2.cloudflarestorage.com/b/k", 0);
	is_int(cl.backend, BACKEND_R2, "the R2 host name: R2");
	read_claims(&cl, none, "https://x.example/k?X-Goog-Signature=ab", 0);
	is_int(cl.backend, BACKEND_GCS, "a GCS V4 signature: GCS");
	read_claims(&cl, none, "https://x.example/k?sv=2021&se=2030-01-01&sig=ab%3D", 0);
	is_int(cl.backend, BACKEND_AZURE, "an Azure SAS: Azure");
	read_claims(&cl, none, "https://x.example/k?sig=ab", 0);
	is_int(cl.backend, BACKEND_WEB, "sig= alone is not an Azure SAS");
	trust_read(&cl, get, (void *)none, 0, PLAIN, 1);
	is_int(cl.backend, BACKEND_S3, "--aws-sigv4: the user says S3");
	read_claims(&cl, gcs, "https://b.s3.amazonaws.com/k?X-Amz-Signature=ab", 0);
	is_int(cl.backend, BACKEND_GCS, "the answer wins over the URL");
}

static void claims(void)
{
	static const char *const amz[] = {
		"x-amz-request-id: 1",
		"x-amz-checksum-crc64nvme: rosUhgp5mIg=",
		"x-amz-checksum-crc32c: 4waSgw==-3",
		"x-amz-checksum-sha256: not base64!",
		NULL };
	static const char *const goog[] = {
		"x-goog-hash: crc32c=4waSgw==", "x-goog-hash: md5=kAFQmDzST7DWlj99KOF/cg==", NULL };
	static const char *const goog1[] = {
		"x-goog-hash: crc32c=4waSgw==,md5=kAFQmDzST7DWlj99KOF/cg==", NULL };
	static const char *const az[] = {
		"x-ms-request-id: 1", "x-ms-blob-content-md5: kAFQmDzST7DWlj99KOF/cg==",
		"Content-MD5: kAFQmDzST7DWlj99KOF/cg==", NULL };
	static const char *const cmd5[] = { "Content-MD5: kAFQmDzST7DWlj99KOF/cg==", NULL };
	static const char *const kms[] = {
		"x-amz-request-id: 1", "x-amz-server-side-encryption: aws:kms", NULL };
	static const char *const dsse[] = {
		"x-amz-request-id: 1", "x-amz-server-side-encryption: aws:kms:dsse", NULL };
	static const char *const ssec[] = {
		"x-amz-request-id: 1", "x-amz-server-side-encryption-customer-algorithm: AES256", NULL };
	static const char *const aes[] = {
		"x-amz-request-id: 1", "x-amz-server-side-encryption: AES256", NULL };
	struct claims cl;

	read_claims(&cl, amz, PLAIN, 1);
	ok(cl.n == 2 && cl.c[0].e.alg == DIGEST_CRC64NVME && cl.c[0].parts == 0 &&
	   cl.c[0].e.want[0] == 0xae && !strcmp(cl.c[0].e.source, "x-amz-checksum-crc64nvme"),
	   "S3: a full-object crc64nvme");
	ok(cl.c[1].e.alg == DIGEST_CRC32C && cl.c[1].parts == 3, "... a composite crc32c of 3 parts");
	read_claims(&cl, goog, PLAIN, 0);
	ok(cl.n == 2 && cl.c[0].e.alg == DIGEST_CRC32C && cl.c[1].e.alg == DIGEST_MD5,
	   "GCS: x-goog-hash on two lines");
	read_claims(&cl, goog1, PLAIN, 0);
	ok(cl.n == 2 && cl.c[0].e.alg == DIGEST_CRC32C && cl.c[1].e.alg == DIGEST_MD5,
	   "GCS: x-goog-hash as one list");
	read_claims(&cl, az, PLAIN, 0);
	ok(cl.n == 1 && !strcmp(cl.c[0].e.source, "x-ms-blob-content-md5"),
	   "Azure: the blob's MD5 on a ranged answer; Content-MD5 there is the range's");
	read_claims(&cl, az, PLAIN, 1);
	is_int(cl.n, 1, "... and on a whole answer, the same MD5 is one claim");
	read_claims(&cl, cmd5, PLAIN, 0);
	is_int(cl.n, 0, "Content-MD5 of a part is no claim about the object");
	read_claims(&cl, cmd5, PLAIN, 1);
	is_int(cl.n, 1, "Content-MD5 of a whole answer is");
	read_claims(&cl, kms, PLAIN, 0);
	is_int(cl.encrypted, 1, "SSE-KMS: encrypted");
	read_claims(&cl, dsse, PLAIN, 0);
	is_int(cl.encrypted, 1, "DSSE-KMS: encrypted");
	read_claims(&cl, ssec, PLAIN, 0);
	is_int(cl.encrypted, 1, "SSE-C: encrypted");
	read_claims(&cl, aes, PLAIN, 0);
	is_int(cl.encrypted, 0, "SSE-S3 (AES256) keeps the MD5 ETag");
}

/* Plan for these headers and this ETag; the number of checks. */
static unsigned plan(const char *const *h, const char *url, const char *etag, struct trust_plan *p)
{
	struct claims cl;

	read_claims(&cl, h, url, 1);
	trust_plan(&cl, etag, 1, p);
	return p->n;
}

static void plans(void)
{
	static const char *const web[] = { "Server: nginx", NULL };
	static const char *const s3[] = { "x-amz-request-id: 1", NULL };
	static const char *const r2[] = { "cf-ray: 1", NULL };
	static const char *const kms[] = {
		"x-amz-request-id: 1", "x-amz-server-side-encryption: aws:kms", NULL };
	static const char *const c64[] = {
		"x-amz-request-id: 1", "x-amz-checksum-crc64nvme: rosUhgp5mIg=",
		"x-amz-checksum-sha256: ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=", NULL };
	static const char *const c32[] = {
		"x-amz-request-id: 1", "x-amz-checksum-crc32c: 4waSgw==", NULL };
	static const char *const comp[] = {
		"x-amz-request-id: 1", "x-amz-checksum-crc32c: 4waSgw==-5", NULL };
	static const char *const gcs[] = { "x-goog-hash: crc32c=4waSgw==", NULL };
	struct trust_plan p;

	ok(plan(web, PLAIN, ETAG_MD5, &p) == 1 && p.k[0].etag && !p.k[0].trusted,
	   "a web server's MD5 ETag: checked, not trusted");
	ok(plan(s3, PLAIN, ETAG_MD5, &p) == 1 && p.k[0].trusted && p.k[0].parts == 0,
	   "S3's: checked and trusted");
	ok(plan(s3, PLAIN, ETAG_MP, &p) == 1 && p.k[0].trusted && p.k[0].parts == 5,
	   "S3's multipart ETag: trusted, 5 parts");
	ok(plan(r2, "https://h/k?X-Amz-Signature=a", ETAG_MD5, &p) == 1 && p.k[0].trusted,
	   "R2's single-part ETag: trusted");
	ok(plan(r2, "https://h/k?X-Amz-Signature=a", ETAG_MP, &p) == 0 && p.nnotes == 1 &&
	   !strcmp(p.notes[0].check, "multipart ETag"), "R2's multipart ETag: not checked, noted");
	ok(plan(kms, PLAIN, ETAG_MD5, &p) == 0 && p.nnotes == 1 && strstr(p.notes[0].why, "SSE-KMS"),
	   "SSE-KMS: the ETag is not checked, noted");
	ok(plan(s3, PLAIN, "W/\"abc\"", &p) == 0 && p.nnotes == 0, "a weak ETag: nothing");
	ok(plan(c64, PLAIN, ETAG_MD5, &p) == 1 && p.k[0].e.alg == DIGEST_CRC64NVME && p.nnotes == 1 &&
	   !strcmp(p.notes[0].check, "x-amz-checksum-sha256"),
	   "crc64nvme: sha256 and the ETag add nothing (sha256 noted)");
	ok(plan(c32, PLAIN, ETAG_MD5, &p) == 2 && p.k[0].e.alg == DIGEST_CRC32C && p.k[1].etag,
	   "a 32-bit CRC alone: the ETag is checked too");
	ok(plan(comp, PLAIN, ETAG_MP, &p) == 2 && p.k[0].parts == 5 && p.k[1].parts == 5,
	   "a composite crc32c and the multipart ETag: both, over 5 parts");
	ok(plan(gcs, PLAIN, ETAG_MD5, &p) == 1 && p.k[0].e.alg == DIGEST_CRC32C,
	   "GCS: x-goog-hash, never the ETag");
	{
		struct claims cl;

		read_claims(&cl, s3, PLAIN, 1);
		trust_plan(&cl, ETAG_MP, 0, &p);
		ok(p.n == 0 && p.nnotes == 1, "a multipart ETag without the size: not checked, noted");
		trust_plan(&cl, ETAG_MD5, 0, &p);
		is_int(p.n, 1, "a single-part one needs no size");
	}
}

static void asking(void)
{
	is_int(trust_ask_checksums(PLAIN), 1, "a plain URL: ask on the probe");
	is_int(trust_ask_checksums("https://b/k?X-Amz-Signature=a&X-Amz-SignedHeaders=host"), 0,
	       "a presigned URL signing host only: never (S3 would refuse it)");
	is_int(trust_ask_checksums("https://b/k?X-Amz-Signature=a"), 0,
	       "a presigned URL without the list: never");
	is_int(trust_ask_checksums("https://b/k?X-Amz-Signature=a&"
				   "X-Amz-SignedHeaders=host%3Bx-amz-checksum-mode"), 2,
	       "a presigned URL that signs the header: on every request");
	is_int(trust_ask_checksums("https://b/k?X-Amz-Signature=a&X-Amz-Checksum-Mode=ENABLED"), 0,
	       "a URL that asks in its query: no header");
	is_int(trust_ask_checksums("https://b/k?AWSAccessKeyId=a&Signature=b&Expires=1"), 0,
	       "SigV2 signs x-amz-* headers: never");
	is_int(trust_ask_checksums("https://b/k?X-Goog-Signature=a"), 0, "GCS: never");
	is_int(trust_ask_checksums("https://b/k?sv=1&sig=a"), 0, "Azure: never");
}

int main(void)
{
	backends();
	claims();
	plans();
	asking();
	return tap_done();
}
