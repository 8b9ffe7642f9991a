/*
 * verify.c -- the hashing frontier: a thread that reads back the gap-free
 * prefix of the file as it grows and feeds every whole-file check; then
 * the passes that try the remaining part sizes, and the verdict.
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
#define GiB (1024ull * MiB)

void verify_init(struct verify *v)
{
	memset(v, 0, sizeof(*v));
}

static struct verify_check *next_check(struct verify *v)
{
	struct verify_check *c;

	if (v->n == VERIFY_MAX_CHECKS)
		return NULL;
	c = &v->checks[v->n];
	memset(c, 0, sizeof(*c));
	return c;
}

int verify_add(struct verify *v, const struct expect *e, const char *label)
{
	struct verify_check *c = next_check(v);

	if (!c)
		return -1;
	c->e = *e;
	c->trusted = 1;
	snprintf(c->label, sizeof(c->label), "%s", label);
	if (digest_init(&c->d, e->alg))
		return -1;
	v->n++;
	return 0;
}

int verify_add_planned(struct verify *v, const struct trust_check *k, uint64_t size,
		       uint64_t part_size)
{
	struct verify_check *c;
	uint64_t lo, hi;

	if (!k->parts) {
		char label[96];

		if (k->etag)
			snprintf(label, sizeof(label), "md5 = ETag");
		else
			snprintf(label, sizeof(label), "%s = %s", digest_name(k->e.alg), k->e.source);
		if (verify_add(v, &k->e, label))
			return -1;
		v->checks[v->n - 1].trusted = k->trusted;
		v->checks[v->n - 1].etag = k->etag;
		return 0;
	}
	if (!(c = next_check(v)))
		return -1;
	c->e = k->e;
	c->trusted = k->trusted;
	c->etag = k->etag;
	c->parts = k->parts;
	c->given = part_size != 0;
	if (k->etag)
		snprintf(c->label, sizeof(c->label), "multipart ETag (%" PRIu64 " parts)", k->parts);
	else
		snprintf(c->label, sizeof(c->label), "%s of %" PRIu64 " parts = %s",
			 digest_name(k->e.alg), k->parts, k->e.source);
	c->cands = malloc(VERIFY_MAX_CANDS * sizeof(*c->cands));
	if (!c->cands)
		return -1;
	c->ncands = etag_part_candidates(size, k->parts, part_size, c->cands, VERIFY_MAX_CANDS,
					 &c->total);
	if (!c->ncands) {
		/* Decided at once: no part size makes this digest's part count. */
		c->result = VERIFY_BAD;
		c->why = part_size && !etag_part_interval(size, k->parts, &lo, &hi)
				 ? "--etag-part-size does not cut the object into that many parts"
				 : "no part size cuts the object into that many parts";
	}
	v->n++;
	return 0;
}

int verify_combine(struct verify *v, enum digest_alg alg)
{
	enum crc_kind k;
	int any = 0;

	if (digest_crc_kind(alg, &k))
		return 0;
	for (size_t i = 0; i < v->n; i++) {
		struct verify_check *c = &v->checks[i];

		if (!c->parts && c->e.alg == alg) {
			c->combined = 1;
			any = 1;
		}
	}
	return any;
}

void verify_set_crc(struct verify *v, enum digest_alg alg, uint64_t crc)
{
	enum crc_kind k;

	if (digest_crc_kind(alg, &k))
		return;
	for (size_t i = 0; i < v->n; i++) {
		struct verify_check *c = &v->checks[i];

		if (c->combined && c->e.alg == alg) {
			c->crc = crc;
			c->have_crc = 1;
		}
	}
}

/* Start hashing up to max more candidate part sizes of c. 0, -1: no memory. */
static int batch(struct verify_check *c, size_t max)
{
	for (size_t i = 0; i < c->nm; i++)
		mpart_release(&c->m[i]);
	c->nm = 0;
	while (c->nm < max && c->next < c->ncands) {
		if (mpart_init(&c->m[c->nm], c->e.alg, c->cands[c->next]))
			return -1;
		c->nm++;
		c->next++;
	}
	return 0;
}

static void first_pass(struct verify *v)
{
	for (size_t i = 0; i < v->n; i++) {
		struct verify_check *c = &v->checks[i];

		if (c->parts && c->result == VERIFY_PENDING && batch(c, VERIFY_FIRST))
			c->nm = 0; /* no memory: it will not match */
	}
}

static void feed(struct verify *v, const void *buf, size_t len)
{
	for (size_t i = 0; i < v->n; i++) {
		struct verify_check *c = &v->checks[i];

		if (c->parts)
			for (size_t k = 0; k < c->nm; k++)
				mpart_update(&c->m[k], buf, len);
		else if (!c->combined)
			digest_update(&c->d, buf, len);
	}
}

void verify_start_fed(struct verify *v)
{
	v->fed = 1;
	first_pass(v);
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

int verify_reads(const struct verify *v)
{
	for (size_t i = 0; i < v->n; i++)
		if (v->checks[i].parts ? v->checks[i].result == VERIFY_PENDING : !v->checks[i].combined)
			return 1;
	return 0;
}

int verify_start(struct verify *v, struct store *st, uint64_t size, struct haul_error *err)
{
	if (!v->n)
		return 0;
	first_pass(v);
	v->st = st;
	v->size = size;
	if (!verify_reads(v))
		return 0;
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

void verify_start_later(struct verify *v, struct store *st, uint64_t size)
{
	v->st = st;
	v->size = size;
	v->later = 1;
	first_pass(v);
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

/* The candidates being hashed are done: did one match? */
static void decide_parts(struct verify_check *c)
{
	unsigned char got[DIGEST_MAX];
	size_t n = digest_size(c->e.alg);
	uint64_t parts;

	for (size_t k = 0; k < c->nm; k++) {
		mpart_final(&c->m[k], got, &parts);
		if (!c->got[0])
			digest_hex(got, n, c->got); /* the likeliest size's, for the message */
		if (c->result != VERIFY_OK && parts == c->parts && !memcmp(got, c->e.want, n)) {
			c->result = VERIFY_OK;
			c->matched_size = c->m[k].part_size;
			digest_hex(got, n, c->got);
		}
		mpart_release(&c->m[k]);
	}
	c->nm = 0;
}

static void decide(struct verify_check *c)
{
	unsigned char got[DIGEST_MAX];
	size_t n = digest_size(c->e.alg);
	enum crc_kind k;

	if (c->result != VERIFY_PENDING)
		return;
	if (c->parts) {
		decide_parts(c);
		return;
	}
	if (c->combined && !c->have_crc)
		return; /* a reading pass will compute it */
	if (c->combined && !digest_crc_kind(c->e.alg, &k))
		crc_bytes(k, c->crc, got);
	else
		digest_final(&c->d, got);
	digest_hex(got, n, c->got);
	c->result = memcmp(got, c->e.want, n) ? VERIFY_BAD : VERIFY_OK;
}

/* Close the undecided checks: a mismatch, or a warning when untrusted. */
static void conclude(struct verify_check *c)
{
	if (c->result == VERIFY_PENDING || (c->result == VERIFY_BAD && !c->why))
		c->result = c->trusted ? VERIFY_BAD : VERIFY_UNTRUSTED;
	else if (c->result == VERIFY_BAD && !c->trusted)
		c->result = VERIFY_UNTRUSTED;
}

/*
 * Set up another reading pass: combined CRCs nobody supplied, and part
 * sizes not tried yet (trusted checks only: an untrusted one would only
 * warn), as many as the budget allows. 1 when there is a pass to make.
 */
static int plan_pass(struct verify *v, uint64_t *budget)
{
	int any = 0;

	for (size_t i = 0; i < v->n; i++) {
		struct verify_check *c = &v->checks[i];
		size_t room;

		if (c->result != VERIFY_PENDING)
			continue;
		if (!c->parts) {
			if (c->combined && !c->have_crc) { /* read it after all */
				c->combined = 0;
				if (digest_init(&c->d, c->e.alg))
					continue;
				any = 1;
			}
			continue;
		}
		if (!c->trusted || c->next == c->ncands || !v->size)
			continue;
		room = (size_t)(*budget / v->size < VERIFY_PASS ? *budget / v->size : VERIFY_PASS);
		if (!room || batch(c, room))
			continue;
		*budget -= c->nm * v->size;
		any = c->nm != 0 || any;
	}
	return any;
}

/* Read the whole file once, feeding what plan_pass set up. 0 or -errno. */
static int read_pass(struct verify *v)
{
	unsigned char *buf = malloc(READ_SIZE);
	uint64_t at = 0;

	if (!buf)
		return -ENOMEM;
	while (at < v->size) {
		size_t len = v->size - at < READ_SIZE ? (size_t)(v->size - at) : READ_SIZE;
		int r = store_pread(v->st, buf, len, at);

		if (r != (int)len) {
			free(buf);
			return r < 0 ? r : -EIO;
		}
		feed(v, buf, len);
		at += len;
	}
	free(buf);
	v->passes++;
	return 0;
}

static int failure(struct verify_check *c, struct haul_error *err)
{
	char want[2 * DIGEST_MAX + 1];
	const char *what = c->etag ? "its multipart ETag" : c->e.source;

	digest_hex(c->e.want, digest_size(c->e.alg), want);
	if (!c->parts)
		return haul_error_set(err, HAUL_EINTEGRITY, "%s mismatch (%s): expected %s, got %s",
				      digest_name(c->e.alg), c->e.source, want, c->got);
	if (c->why)
		return haul_error_set(err, HAUL_EINTEGRITY, "the file does not match %s (%s-%" PRIu64
				      "): %s", what, want, c->parts, c->why);
	if (c->given)
		return haul_error_set(err, HAUL_EINTEGRITY, "the file does not match %s (%s-%" PRIu64
				      ") in parts of %" PRIu64 " bytes (--etag-part-size): got %s",
				      what, want, c->parts, c->cands[0], c->got);
	return haul_error_set(err, HAUL_EINTEGRITY, "the file does not match %s (%s-%" PRIu64 "): "
			      "none of the %zu part sizes tried matched (of %" PRIu64 " possible); "
			      "if it was uploaded in parts of another size, give it with "
			      "--etag-part-size SIZE, or skip the check with --no-verify",
			      what, want, c->parts, c->next, c->total);
}

/* Every byte was hashed: decide, try more part sizes, give the verdict. */
static int verdict(struct verify *v, int can_read, struct haul_error *err)
{
	uint64_t budget = VERIFY_PASS_BUDGET * v->size > 8 * GiB ? VERIFY_PASS_BUDGET * v->size
								   : 8 * GiB;
	int r;

	for (;;) {
		for (size_t i = 0; i < v->n; i++)
			decide(&v->checks[i]);
		if (!can_read || !plan_pass(v, &budget))
			break;
		r = read_pass(v);
		if (r)
			return haul_error_set(err, HAUL_EIO, "reading %s back to check it: %s",
					      v->st->part_path, strerror(-r));
	}
	for (size_t i = 0; i < v->n; i++)
		conclude(&v->checks[i]);
	for (size_t i = 0; i < v->n; i++)
		if (v->checks[i].result == VERIFY_BAD)
			return failure(&v->checks[i], err);
	return 0;
}

int verify_finish(struct verify *v, struct haul_error *err)
{
	int eno;

	if (!v->started && v->fed) {
		v->fed = 0; /* decided once: the digests are final now */
		return verdict(v, 0, err);
	}
	if (!v->n)
		return 0;
	if (!v->started && v->later && verify_reads(v)) {
		int r = read_pass(v); /* the whole (small) file, for every check */

		v->later = 0;
		if (r)
			return haul_error_set(err, HAUL_EIO, "reading %s back to check it: %s",
					      v->st->part_path, strerror(-r));
	}
	if (!v->started) /* nothing was read: combined CRCs, decided checks */
		return verdict(v, v->st != NULL, err);
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
	return verdict(v, 1, err);
}

/* A part size as people write it: "8 MiB", "5 MB", or bytes. */
static void size_text(uint64_t n, char *buf, size_t len)
{
	if (n && n % MiB == 0)
		snprintf(buf, len, "%" PRIu64 " MiB", (uint64_t)(n / MiB));
	else if (n && n % 1000000 == 0)
		snprintf(buf, len, "%" PRIu64 " MB", n / 1000000);
	else
		snprintf(buf, len, "%" PRIu64 "-byte", n);
}

void verify_describe(const struct verify_check *c, char *buf, size_t len)
{
	char ps[32];

	if (c->parts && c->result == VERIFY_OK) {
		size_text(c->matched_size, ps, sizeof(ps));
		snprintf(buf, len, "%s of %" PRIu64 " x %s parts = %s: verified",
			 digest_name(c->e.alg), c->parts, ps, c->etag ? "multipart ETag" : c->e.source);
	} else if (c->result == VERIFY_UNTRUSTED) {
		snprintf(buf, len, "%s: does not match (%s)", c->label, verify_result_why(c));
	} else {
		snprintf(buf, len, "%s: %s", c->label, c->result == VERIFY_OK ? "verified"
						       : c->result == VERIFY_BAD ? "MISMATCH"
										 : "not checked");
	}
}

const char *verify_result_name(const struct verify_check *c)
{
	switch (c->result) {
	case VERIFY_OK: return "verified";
	case VERIFY_BAD: return "mismatch";
	case VERIFY_UNTRUSTED: return "unverifiable";
	default: return "unchecked";
	}
}

const char *verify_result_why(const struct verify_check *c)
{
	if (c->result == VERIFY_UNTRUSTED)
		return c->etag ? "this server's ETag is not an MD5 of the content"
			       : "the digest is not known to be of the content";
	if (c->result == VERIFY_BAD && c->why)
		return c->why;
	if (c->result == VERIFY_BAD && c->parts)
		return "no part size tried matched";
	return NULL;
}

void verify_expected(const struct verify_check *c, char *buf, size_t len)
{
	char hex[2 * DIGEST_MAX + 1];

	digest_hex(c->e.want, digest_size(c->e.alg), hex);
	if (c->parts)
		snprintf(buf, len, "%s-%" PRIu64, hex, c->parts);
	else
		snprintf(buf, len, "%s", hex);
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
		for (size_t k = 0; k < c->nm; k++)
			mpart_release(&c->m[k]);
		free(c->cands);
	}
	v->n = 0;
}
