/*
 * trust.c -- which backend answered, what it claims about the bytes, and
 * which claims to check. See trust.h and haul(1), "Verification".
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "etag.h"
#include "trust.h"
#include "url.h"

const char *trust_backend_name(enum backend b)
{
	switch (b) {
	case BACKEND_S3: return "S3";
	case BACKEND_R2: return "R2";
	case BACKEND_GCS: return "GCS";
	case BACKEND_AZURE: return "Azure Blob Storage";
	default: return "web server";
	}
}

static int ends_with(const char *s, const char *tail)
{
	size_t n = strlen(s), t = strlen(tail);

	return n >= t && strcasecmp(s + n - t, tail) == 0;
}

static int has_param(const char *query, const char *name)
{
	char *v = url_query_param(query, name);

	free(v);
	return v != NULL;
}

/* The first header of names present, or NULL. */
static const char *any_header(trust_header_fn get, void *ctx, const char *const *names)
{
	for (; *names; names++)
		if (get(ctx, *names, 0))
			return *names;
	return NULL;
}

static void backend(struct claims *cl, trust_header_fn get, void *ctx, const char *url, int sigv4)
{
	static const char *const s3[] = { "x-amz-request-id", "x-amz-id-2", NULL };
	static const char *const gcs[] = { "x-goog-generation", "x-goog-metageneration",
					   "x-goog-stored-content-length", "x-goog-hash",
					   "x-guploader-uploadid", NULL };
	static const char *const azure[] = { "x-ms-request-id", "x-ms-version", "x-ms-blob-type",
					     NULL };
	const char *server = get(ctx, "Server", 0), *h;
	char *host = NULL, *q = NULL;
	int amz_query, cloudflare;

	url_parts(url, &host, &q);
	amz_query = q && (has_param(q, "X-Amz-Signature") || has_param(q, "X-Amz-Credential") ||
			  (has_param(q, "AWSAccessKeyId") && has_param(q, "Signature")));
	cloudflare = get(ctx, "cf-ray", 0) || (server && strcasecmp(server, "cloudflare") == 0);
	cl->backend = BACKEND_WEB;
	cl->evidence = NULL;
	/* The answer first: it is what served the bytes. */
	if ((h = any_header(get, ctx, gcs))) {
		cl->backend = BACKEND_GCS;
		cl->evidence = h;
	} else if ((h = any_header(get, ctx, azure))) {
		cl->backend = BACKEND_AZURE;
		cl->evidence = h;
	} else if ((h = any_header(get, ctx, s3)) || (server && !strncasecmp(server, "AmazonS3", 8))) {
		cl->backend = BACKEND_S3;
		cl->evidence = h ? h : "Server: AmazonS3";
	} else if (host && ends_with(host, ".r2.cloudflarestorage.com")) {
		cl->backend = BACKEND_R2;
		cl->evidence = "the host name";
	} else if (cloudflare && (amz_query || sigv4)) {
		/* Cloudflare answering an S3-signed request: R2 (a CDN in front
		 * of a web site also sends cf-ray, but is not signed for S3). */
		cl->backend = BACKEND_R2;
		cl->evidence = "cf-ray with an S3 signature";
	} else if (host && (ends_with(host, ".amazonaws.com") || !strcmp(host, "amazonaws.com"))) {
		cl->backend = BACKEND_S3;
		cl->evidence = "the host name";
	} else if (host && (!strcmp(host, "storage.googleapis.com") ||
			    ends_with(host, ".storage.googleapis.com"))) {
		cl->backend = BACKEND_GCS;
		cl->evidence = "the host name";
	} else if (host && ends_with(host, ".blob.core.windows.net")) {
		cl->backend = BACKEND_AZURE;
		cl->evidence = "the host name";
	} else if (amz_query) {
		cl->backend = BACKEND_S3;
		cl->evidence = "an S3 signature in the URL";
	} else if (q && (has_param(q, "X-Goog-Signature") || has_param(q, "GoogleAccessId"))) {
		cl->backend = BACKEND_GCS;
		cl->evidence = "a GCS signature in the URL";
	} else if (q && has_param(q, "sig") && (has_param(q, "se") || has_param(q, "sv"))) {
		cl->backend = BACKEND_AZURE;
		cl->evidence = "an Azure SAS in the URL";
	} else if (sigv4) {
		cl->backend = BACKEND_S3;
		cl->evidence = "--aws-sigv4";
	}
	free(host);
	free(q);
}

static void add(struct claims *cl, enum digest_alg alg, const char *v, size_t len,
		const char *source, int composite_ok)
{
	struct claim *c = &cl->c[cl->n];

	if (cl->n == CLAIMS_MAX)
		return;
	while (len && (*v == ' ' || *v == '\t')) {
		v++;
		len--;
	}
	while (len && (v[len - 1] == ' ' || v[len - 1] == '\t'))
		len--;
	memset(c, 0, sizeof(*c));
	if (composite_ok ? etag_parse_checksum(v, len, alg, c->e.want, &c->parts)
			 : digest_unbase64(v, len, c->e.want, digest_size(alg)))
		return; /* not the form the header has: not a claim */
	for (unsigned i = 0; i < cl->n; i++)
		if (cl->c[i].e.alg == alg && cl->c[i].parts == c->parts)
			return; /* said twice (Content-MD5 and x-ms-blob-content-md5) */
	c->e.alg = alg;
	c->e.source = source;
	cl->n++;
}

/* GCS: "x-goog-hash: crc32c=..., md5=..." once or once per algorithm. */
static void goog_hash(struct claims *cl, trust_header_fn get, void *ctx)
{
	for (size_t i = 0; i < 8; i++) {
		const char *v = get(ctx, "x-goog-hash", i);

		if (!v)
			break;
		while (*v) {
			size_t len = strcspn(v, ",");

			while (*v == ' ')
				v++, len--;
			if (len > 7 && !strncasecmp(v, "crc32c=", 7))
				add(cl, DIGEST_CRC32C, v + 7, len - 7, "x-goog-hash", 0);
			else if (len > 4 && !strncasecmp(v, "md5=", 4))
				add(cl, DIGEST_MD5, v + 4, len - 4, "x-goog-hash", 0);
			v += len;
			if (*v == ',')
				v++;
		}
	}
}

void trust_read(struct claims *cl, trust_header_fn get, void *ctx, int whole, const char *url,
		int sigv4)
{
	static const struct {
		const char *header;
		enum digest_alg alg;
	} amz[] = {
		{ "x-amz-checksum-crc64nvme", DIGEST_CRC64NVME },
		{ "x-amz-checksum-crc32c", DIGEST_CRC32C },
		{ "x-amz-checksum-crc32", DIGEST_CRC32 },
		{ "x-amz-checksum-sha256", DIGEST_SHA256 },
		{ "x-amz-checksum-sha1", DIGEST_SHA1 },
	};
	const char *v;

	memset(cl, 0, sizeof(*cl));
	backend(cl, get, ctx, url, sigv4);
	v = get(ctx, "x-amz-server-side-encryption", 0);
	cl->encrypted = (v && !strncasecmp(v, "aws:kms", 7)) ||
			get(ctx, "x-amz-server-side-encryption-customer-algorithm", 0);
	for (size_t i = 0; i < sizeof(amz) / sizeof(amz[0]); i++)
		if ((v = get(ctx, amz[i].header, 0)))
			add(cl, amz[i].alg, v, strlen(v), amz[i].header, 1);
	goog_hash(cl, get, ctx);
	/* Azure sends the whole blob's MD5 here, also on ranged answers. */
	if ((v = get(ctx, "x-ms-blob-content-md5", 0)))
		add(cl, DIGEST_MD5, v, strlen(v), "x-ms-blob-content-md5", 0);
	if (whole && (v = get(ctx, "Content-MD5", 0)))
		add(cl, DIGEST_MD5, v, strlen(v), "Content-MD5", 0);
}

static void note(struct trust_plan *p, const char *check, const char *why)
{
	if (p->nnotes < TRUST_MAX_NOTES) {
		p->notes[p->nnotes].check = check;
		p->notes[p->nnotes++].why = why;
	}
}

static void plan_add(struct trust_plan *p, const struct expect *e, uint64_t parts, int etag,
		     int trusted)
{
	struct trust_check *k = &p->k[p->n];

	if (p->n == TRUST_MAX_CHECKS)
		return;
	k->e = *e;
	k->parts = parts;
	k->etag = etag;
	k->trusted = trusted;
	p->n++;
}

static int slow_alg(enum digest_alg a)
{
	return a == DIGEST_MD5 || a == DIGEST_SHA1 || a == DIGEST_SHA256;
}

void trust_plan(const struct claims *cl, const char *etag, int size_known, struct trust_plan *p)
{
	struct etag_info ei;
	struct expect e;
	int strong = 0, crc64 = 0, trusted;

	memset(p, 0, sizeof(*p));
	for (unsigned i = 0; i < cl->n; i++) {
		if (cl->c[i].parts)
			continue;
		if (cl->c[i].e.alg == DIGEST_CRC64NVME)
			crc64 = 1;
		if (digest_size(cl->c[i].e.alg) >= 8)
			strong = 1;
	}
	for (unsigned i = 0; i < cl->n; i++) {
		const struct claim *c = &cl->c[i];

		if (c->parts && strong)
			continue; /* the whole object's digest says it all */
		if (c->parts && !size_known) {
			note(p, c->e.source, "a checksum of parts, and the size is unknown");
			continue;
		}
		if (!c->parts && crc64 && slow_alg(c->e.alg)) {
			note(p, c->e.source, "the store's crc64nvme covers the whole object");
			continue;
		}
		plan_add(p, &c->e, c->parts, 0, 1);
	}
	if (etag_classify(etag, &ei) == ETAG_OPAQUE || strong ||
	    cl->backend == BACKEND_GCS || cl->backend == BACKEND_AZURE)
		return; /* GCS's and Azure's ETags are not digests; x-goog-hash is */
	if (cl->backend == BACKEND_S3 && cl->encrypted) {
		note(p, "ETag", "the object is encrypted with SSE-KMS or SSE-C, so its ETag is no "
			"digest of its bytes");
		return;
	}
	if (ei.kind == ETAG_MULTIPART && cl->backend == BACKEND_R2) {
		note(p, "multipart ETag", "R2's are not known to be digests of the parts");
		return;
	}
	if (ei.kind == ETAG_MULTIPART && !size_known) {
		note(p, "multipart ETag", "the size is unknown");
		return;
	}
	trusted = cl->backend == BACKEND_S3 || cl->backend == BACKEND_R2;
	memset(&e, 0, sizeof(e));
	e.alg = DIGEST_MD5;
	memcpy(e.want, ei.md5, 16);
	e.source = "ETag";
	plan_add(p, &e, ei.kind == ETAG_MULTIPART ? ei.parts : 0, 1, trusted);
}

int trust_ask_checksums(const char *url)
{
	char *host = NULL, *q = NULL, *signed_headers;
	int ask = 1;

	if (url_parts(url, &host, &q))
		return 0;
	if (q && has_param(q, "X-Amz-Checksum-Mode")) {
		ask = 0; /* the URL asks for them itself */
	} else if (q && has_param(q, "X-Amz-Signature")) {
		signed_headers = url_query_param(q, "X-Amz-SignedHeaders");
		ask = signed_headers && strstr(signed_headers, "x-amz-checksum-mode") ? 2 : 0;
		free(signed_headers);
	} else if (q && (has_param(q, "Signature") || has_param(q, "X-Goog-Signature") ||
			 has_param(q, "sig"))) {
		ask = 0; /* SigV2 signs x-amz-* headers; GCS and Azure do not know it */
	}
	free(host);
	free(q);
	return ask;
}
