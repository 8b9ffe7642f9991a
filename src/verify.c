/*
 * verify.c -- the hashing frontier: a thread that reads back the gap-free
 * prefix of the file as it grows and feeds every whole-file check.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "verify.h"

#define READ_SIZE (1024 * 1024)
#define MiB (1024ull * 1024)

void verify_init(struct verify *v)
{
	memset(v, 0, sizeof(*v));
}

int verify_add(struct verify *v, const struct expect *e, const char *label)
{
	struct verify_check *c;

	if (v->n == VERIFY_MAX_CHECKS)
		return -1;
	c = &v->checks[v->n];
	memset(c, 0, sizeof(*c));
	c->e = *e;
	snprintf(c->label, sizeof(c->label), "%s", label);
	if (digest_init(&c->d, e->alg))
		return -1;
	v->n++;
	return 0;
}

int verify_add_etag(struct verify *v, const char *etag, uint64_t size, uint64_t part_size,
		    const char **why)
{
	struct etag_info ei;
	struct verify_check *c;
	struct expect e;

	*why = NULL;
	switch (etag_classify(etag, &ei)) {
	case ETAG_OPAQUE:
		return 0;
	case ETAG_MD5:
		memset(&e, 0, sizeof(e));
		e.alg = DIGEST_MD5;
		memcpy(e.want, ei.md5, 16);
		e.source = "ETag";
		return verify_add(v, &e, "md5 = ETag") ? -1 : 1;
	case ETAG_MULTIPART:
		break;
	}
	if (v->n == VERIFY_MAX_CHECKS)
		return -1;
	c = &v->checks[v->n];
	memset(c, 0, sizeof(*c));
	c->multipart = 1;
	memcpy(c->want_md5, ei.md5, 16);
	c->want_parts = ei.parts;
	c->guessed = !part_size;
	c->nsizes = etag_part_sizes(size, ei.parts, part_size, c->sizes, VERIFY_MAX_SIZES);
	if (!c->nsizes) {
		*why = part_size ? "multipart ETag, --etag-part-size does not fit its part count"
				 : "multipart ETag, part size unknown (--etag-part-size)";
		return 0;
	}
	snprintf(c->label, sizeof(c->label), "multipart ETag (%" PRIu64 " parts)", ei.parts);
	for (size_t i = 0; i < c->nsizes; i++) {
		if (etag_mpart_init(&c->m[i], c->sizes[i])) {
			for (size_t k = 0; k < i; k++)
				etag_mpart_release(&c->m[k]);
			return -1;
		}
	}
	v->n++;
	return 1;
}

static void feed(struct verify *v, const void *buf, size_t len)
{
	for (size_t i = 0; i < v->n; i++) {
		struct verify_check *c = &v->checks[i];

		if (!c->multipart)
			digest_update(&c->d, buf, len);
		else
			for (size_t k = 0; k < c->nsizes; k++)
				etag_mpart_update(&c->m[k], buf, len);
	}
}

void verify_start_fed(struct verify *v)
{
	v->fed = 1;
}

void verify_feed(struct verify *v, const void *buf, size_t len)
{
	feed(v, buf, len);
}

static void *run(void *arg)
{
	struct verify *v = arg;
	unsigned char *buf = malloc(READ_SIZE);

	pthread_mutex_lock(&v->mu);
	if (!buf)
		v->read_errno = ENOMEM;
	while (!v->quit && !v->read_errno && v->front < v->size) {
		uint64_t at = v->front, upto = v->target;
		size_t len;
		int r;

		if (at >= upto) {
			pthread_cond_wait(&v->cv, &v->mu);
			continue;
		}
		pthread_mutex_unlock(&v->mu);
		len = upto - at < READ_SIZE ? (size_t)(upto - at) : READ_SIZE;
		r = store_pread(v->st, buf, len, at);
		if (r == (int)len)
			feed(v, buf, len);
		pthread_mutex_lock(&v->mu);
		if (r != (int)len)
			v->read_errno = r < 0 ? -r : EIO; /* short: the file shrank */
		else
			v->front = at + len;
	}
	if (v->front >= v->size && v->t_last > 0)
		v->tail_s = clock_sec() - v->t_last;
	pthread_cond_broadcast(&v->cv);
	pthread_mutex_unlock(&v->mu);
	free(buf);
	return NULL;
}

int verify_start(struct verify *v, struct store *st, uint64_t size, struct haul_error *err)
{
	if (!v->n)
		return 0;
	v->st = st;
	v->size = size;
	if (pthread_mutex_init(&v->mu, NULL))
		return haul_error_set(err, HAUL_EFAIL, "cannot set up the checksum thread");
	if (pthread_cond_init(&v->cv, NULL)) {
		pthread_mutex_destroy(&v->mu);
		return haul_error_set(err, HAUL_EFAIL, "cannot set up the checksum thread");
	}
	if (pthread_create(&v->thread, NULL, run, v)) {
		pthread_cond_destroy(&v->cv);
		pthread_mutex_destroy(&v->mu);
		return haul_error_set(err, HAUL_EFAIL, "cannot start the checksum thread");
	}
	v->started = 1;
	return 0;
}

void verify_advance(struct verify *v, uint64_t upto)
{
	if (!v->started)
		return;
	pthread_mutex_lock(&v->mu);
	if (upto > v->target) {
		v->target = upto > v->size ? v->size : upto;
		if (v->target == v->size && v->t_last <= 0)
			v->t_last = clock_sec();
		pthread_cond_signal(&v->cv);
	}
	pthread_mutex_unlock(&v->mu);
}

static void decide(struct verify_check *c)
{
	unsigned char got[DIGEST_MAX];
	uint64_t parts;

	if (!c->multipart) {
		size_t n = digest_size(c->e.alg);

		digest_final(&c->d, got);
		digest_hex(got, n, c->got);
		c->result = memcmp(got, c->e.want, n) ? VERIFY_BAD : VERIFY_OK;
		return;
	}
	c->result = c->guessed ? VERIFY_UNMATCHED : VERIFY_BAD;
	for (size_t k = 0; k < c->nsizes; k++) {
		etag_mpart_final(&c->m[k], got, &parts);
		if (k == 0)
			digest_hex(got, 16, c->got);
		if (parts == c->want_parts && !memcmp(got, c->want_md5, 16)) {
			c->result = VERIFY_OK;
			c->matched_size = c->sizes[k];
			digest_hex(got, 16, c->got);
		}
	}
}

/* Every byte was hashed: decide each check; the first mismatch, if any. */
static int verdict(struct verify *v, struct haul_error *err)
{
	for (size_t i = 0; i < v->n; i++)
		decide(&v->checks[i]);
	for (size_t i = 0; i < v->n; i++) {
		struct verify_check *c = &v->checks[i];
		char want[2 * DIGEST_MAX + 1];

		if (c->result != VERIFY_BAD)
			continue;
		if (c->multipart) {
			digest_hex(c->want_md5, 16, want);
			return haul_error_set(err, HAUL_EINTEGRITY,
					      "the file does not match its multipart ETag (%s-%" PRIu64
					      ", %" PRIu64 "-byte parts: got %s)", want, c->want_parts,
					      c->sizes[0], c->got);
		}
		digest_hex(c->e.want, digest_size(c->e.alg), want);
		return haul_error_set(err, HAUL_EINTEGRITY, "%s mismatch (%s): expected %s, got %s",
				      digest_name(c->e.alg), c->e.source, want, c->got);
	}
	return 0;
}

int verify_finish(struct verify *v, struct haul_error *err)
{
	int eno;

	if (!v->started && v->fed) {
		v->fed = 0; /* decided once: the digests are final now */
		return verdict(v, err);
	}
	if (!v->started)
		return 0;
	verify_advance(v, v->size);
	pthread_mutex_lock(&v->mu);
	while (v->front < v->size && !v->read_errno)
		pthread_cond_wait(&v->cv, &v->mu);
	eno = v->read_errno;
	pthread_mutex_unlock(&v->mu);
	pthread_join(v->thread, NULL);
	v->started = 0;
	pthread_cond_destroy(&v->cv);
	pthread_mutex_destroy(&v->mu);
	if (eno)
		return haul_error_set(err, HAUL_EIO, "reading %s back to check it: %s",
				      v->st->part_path, strerror(eno));
	return verdict(v, err);
}

void verify_describe(const struct verify_check *c, char *buf, size_t len)
{
	const char *what = c->result == VERIFY_OK	 ? "verified"
			   : c->result == VERIFY_BAD	 ? "MISMATCH"
			   : c->result == VERIFY_UNMATCHED ? "not verifiable"
							   : "not checked";

	if (c->multipart && c->result == VERIFY_OK)
		snprintf(buf, len, "md5 of %" PRIu64 " x %" PRIu64 " MiB parts = multipart ETag: verified",
			 c->want_parts, (uint64_t)(c->matched_size / MiB));
	else if (c->multipart && c->result == VERIFY_UNMATCHED)
		snprintf(buf, len, "not verifiable: multipart ETag, no usual part size matched "
			 "(give --etag-part-size)");
	else
		snprintf(buf, len, "%s: %s", c->label, what);
}

void verify_release(struct verify *v)
{
	if (v->started) {
		pthread_mutex_lock(&v->mu);
		v->quit = 1;
		pthread_cond_broadcast(&v->cv);
		pthread_mutex_unlock(&v->mu);
		pthread_join(v->thread, NULL);
		pthread_cond_destroy(&v->cv);
		pthread_mutex_destroy(&v->mu);
		v->started = 0;
	}
	for (size_t i = 0; i < v->n; i++) {
		struct verify_check *c = &v->checks[i];

		digest_release(&c->d);
		for (size_t k = 0; k < c->nsizes; k++)
			etag_mpart_release(&c->m[k]);
	}
	v->n = 0;
}
