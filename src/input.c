/*
 * input.c -- the batch input file parser: lines to entries, each value
 * checked where it is read, errors as "FILE:LINE: what is wrong". Input files
 * hold presigned URLs, so a message quotes user text only when it cannot
 * carry a query string, and URLs only through url_redact().
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "input.h"
#include "url.h"

/* The state of one input_parse() call. */
struct parser {
	struct input *in;       /* borrowed: where entries go */
	const char *name;       /* borrowed: the file's name in messages */
	struct haul_error *err; /* borrowed: the caller's */
	size_t first;           /* in->n at the start: this file's first entry */
	unsigned line;          /* the line being parsed, from 1 */
	unsigned out_line;      /* the current entry's out= line, 0: none yet */
	unsigned head_line;     /* the current entry's head= line, 0: none yet */
};

static int fail(struct parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Report "NAME:LINE: what" as a usage error. */
static int fail(struct parser *p, const char *fmt, ...)
{
	struct haul_error what;
	va_list ap;

	haul_error_init(&what);
	va_start(ap, fmt);
	haul_error_setv(&what, HAUL_EUSAGE, fmt, ap);
	va_end(ap);
	haul_error_set(p->err, HAUL_EUSAGE, "%s:%u: %s", p->name, p->line,
		       what.msg ? what.msg : "invalid line");
	haul_error_release(&what);
	return HAUL_EUSAGE;
}

static int oom(struct parser *p)
{
	return haul_error_set(p->err, HAUL_EFAIL, "out of memory");
}

static int is_space(char c)
{
	return c == ' ' || c == '\t';
}

static int is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* Narrow s[0..*n) to its text without leading and trailing blanks. */
static void trim(const char **s, size_t *n)
{
	while (*n && is_space(**s)) {
		(*s)++;
		(*n)--;
	}
	while (*n && is_space((*s)[*n - 1]))
		(*n)--;
}

/*
 * May s[0..n) appear in a message as is? Short, and only characters that
 * cannot start a query string or fragment ('?', '&', '#'), no blanks, no
 * control or non-ASCII bytes.
 */
static int quotable(const char *s, size_t n)
{
	if (n == 0 || n > 160)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!is_alnum(s[i]) && !(s[i] && strchr("-_.:=+/,@%~", s[i])))
			return 0;
	return 1;
}

/* Does s[0..n) look like a URL, "scheme://"? For a hint only. */
static int has_scheme(const char *s, size_t n)
{
	for (size_t i = 0; i + 3 <= n; i++)
		if (s[i] == ':' && s[i + 1] == '/' && s[i + 2] == '/')
			return 1;
	return 0;
}

static void entry_release(struct input_entry *e)
{
	free(e->url);
	free(e->out);
	free(e->head);
	free(e->checksums);
}

/* Drop the entries from index n on. */
static void input_truncate(struct input *in, size_t n)
{
	while (in->n > n)
		entry_release(&in->e[--in->n]);
}

void input_init(struct input *in)
{
	in->e = NULL;
	in->n = 0;
	in->cap = 0;
}

void input_release(struct input *in)
{
	input_truncate(in, 0);
	free(in->e);
	input_init(in);
}

/* A URL line, trimmed: check it and start an entry. */
static int add_url(struct parser *p, const char *s, size_t n)
{
	struct input *in = p->in;
	struct haul_error sub;
	char *url;

	if (memchr(s, ' ', n) || memchr(s, '\t', n))
		return fail(p, "white space in the URL (one URL per line, no mirrors)");
	if (in->n >= INPUT_MAX_ENTRIES)
		return fail(p, "more than %u URLs", INPUT_MAX_ENTRIES);
	url = strndup(s, n);
	if (!url)
		return oom(p);
	haul_error_init(&sub);
	if (url_check(url, "URL", &sub)) {
		char *shown = url_redact(url);
		/* Only a URL libcurl parsed is redacted; a long one is no help. */
		int show = shown && shown[0] != '[' && strlen(shown) <= 200;

		fail(p, "%s%s%s", sub.msg ? sub.msg : "invalid URL", show ? ": " : "",
		     show ? shown : "");
		free(shown);
		free(url);
		haul_error_release(&sub);
		return HAUL_EUSAGE;
	}
	if (in->n == in->cap) {
		size_t cap = in->cap ? 2 * in->cap : 16;
		struct input_entry *e = realloc(in->e, cap * sizeof(*e));

		if (!e) {
			free(url);
			return oom(p);
		}
		in->e = e;
		in->cap = cap;
	}
	in->e[in->n] = (struct input_entry){ .url = url, .line = p->line };
	in->n++;
	p->out_line = p->head_line = 0;
	return 0;
}

static int set_out(struct parser *p, struct input_entry *e, const char *v, size_t n)
{
	if (p->out_line)
		return fail(p, "out= repeated (the first is on line %u)", p->out_line);
	if (!n)
		return fail(p, "out= is empty");
	if (n == 1 && v[0] == '-')
		return fail(p, "out=- is not supported (no standard output in input files)");
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)v[i] < 0x20 || v[i] == 0x7f)
			return fail(p, "out= has a control character");
	e->out = strndup(v, n);
	if (!e->out)
		return oom(p);
	p->out_line = p->line;
	return 0;
}

static int set_head(struct parser *p, struct input_entry *e, const char *v, size_t n)
{
	struct haul_error sub;
	char *url;

	if (p->head_line)
		return fail(p, "head= repeated (the first is on line %u)", p->head_line);
	url = strndup(v, n);
	if (!url)
		return oom(p);
	haul_error_init(&sub);
	if (memchr(v, ' ', n) || memchr(v, '\t', n) || url_check(url, "head=", &sub)) {
		fail(p, "%s", sub.msg ? sub.msg : "white space in the head= URL");
		haul_error_release(&sub);
		free(url);
		return HAUL_EUSAGE;
	}
	e->head = url;
	p->head_line = p->line;
	return 0;
}

/* aria2's checksum type names that differ from haul's. */
static const struct {
	const char *aria2, *haul;
} aria2_algs[] = {
	{ "sha-1", "sha1" },
	{ "sha-256", "sha256" },
	{ "sha-512", "sha512" },
};

/* checksum=ALGO:HEX, or aria2's checksum=TYPE=HEX. */
static int add_checksum(struct parser *p, struct input_entry *e, const char *v, size_t n)
{
	const char *alg = v, *sep = NULL;
	size_t alen, len;
	struct haul_error sub;
	struct expect x, *sums;
	char *spec;
	int r;

	if (e->nchecksums == CLI_MAX_CHECKSUMS)
		return fail(p, "more than %d checksum= options", CLI_MAX_CHECKSUMS);
	for (size_t i = 0; i < n && !sep; i++)
		if (v[i] == ':' || v[i] == '=')
			sep = v + i;
	alen = sep ? (size_t)(sep - v) : n;
	for (size_t i = 0; sep && i < sizeof(aria2_algs) / sizeof(aria2_algs[0]); i++) {
		if (strlen(aria2_algs[i].aria2) == alen && !strncasecmp(v, aria2_algs[i].aria2, alen)) {
			alg = aria2_algs[i].haul;
			alen = strlen(alg);
			break;
		}
	}
	/* Rebuilt as "ALGO:HEX" for digest_parse_expect(). */
	len = sep ? alen + 1 + (n - (size_t)(sep + 1 - v)) : n;
	spec = malloc(len + 1);
	if (!spec)
		return oom(p);
	if (sep)
		snprintf(spec, len + 1, "%.*s:%.*s", (int)alen, alg, (int)(n - (size_t)(sep + 1 - v)),
			 sep + 1);
	else
		snprintf(spec, len + 1, "%.*s", (int)n, v);
	haul_error_init(&sub);
	r = digest_parse_expect(spec, &x, &sub);
	free(spec);
	if (r) {
		/* Its message is about --checksum and quotes the value. */
		if (quotable(v, n) && sub.msg && !strncmp(sub.msg, "--checksum", 10))
			fail(p, "checksum=%s", sub.msg + 10);
		else
			fail(p, "checksum= wants ALGO:HEX (%s) or aria2's TYPE=HEX", DIGEST_NAMES);
		haul_error_release(&sub);
		return HAUL_EUSAGE;
	}
	x.source = "checksum= in the input file";
	sums = realloc(e->checksums, (e->nchecksums + 1) * sizeof(*sums));
	if (!sums)
		return oom(p);
	sums[e->nchecksums++] = x;
	e->checksums = sums;
	return 0;
}

/* An option line, trimmed: NAME=VALUE for the entry above it. */
static int add_option(struct parser *p, const char *s, size_t n)
{
	const char *hint = has_scheme(s, n) ? " (a URL starts at column 0)" : "";
	const char *eq = memchr(s, '=', n), *v;
	struct input_entry *e;
	size_t nlen, vlen;

	if (p->in->n == p->first)
		return fail(p, "an indented line is an option of the URL above it, and there is "
			       "no URL yet%s", hint);
	if (!eq)
		return fail(p, "want NAME=VALUE%s", hint);
	nlen = (size_t)(eq - s);
	v = eq + 1;
	vlen = n - nlen - 1;
	trim(&s, &nlen);
	trim(&v, &vlen);
	e = &p->in->e[p->in->n - 1];
	if (nlen == 3 && !memcmp(s, "out", 3))
		return set_out(p, e, v, vlen);
	if (nlen == 8 && !memcmp(s, "checksum", 8))
		return add_checksum(p, e, v, vlen);
	if (nlen == 4 && !memcmp(s, "head", 4))
		return set_head(p, e, v, vlen);
	if (nlen <= 32 && quotable(s, nlen) && !memchr(s, ':', nlen) && !memchr(s, '/', nlen))
		return fail(p, "unknown option '%.*s' (out=, checksum=, head=)", (int)nlen, s);
	return fail(p, "unknown option (out=, checksum=, head=)%s", hint);
}

static int parse_line(struct parser *p, const char *s, size_t n)
{
	const char *t = s;
	size_t tn = n;

	if (memchr(s, '\0', n))
		return fail(p, "a NUL byte, not a text file");
	if (n > INPUT_MAX_LINE)
		return fail(p, "line longer than %u KiB", INPUT_MAX_LINE >> 10);
	trim(&t, &tn);
	/* Blank lines, comments, and indented comments ("  #out=x"). */
	if (!tn || t[0] == '#')
		return 0;
	return is_space(s[0]) ? add_option(p, t, tn) : add_url(p, t, tn);
}

struct out_ref {
	const char *out; /* borrowed from an entry */
	unsigned line;
};

static int out_ref_cmp(const void *a, const void *b)
{
	const struct out_ref *x = a, *y = b;
	int c = strcmp(x->out, y->out);

	return c ? c : (x->line > y->line) - (x->line < y->line);
}

/* Two entries of this file with one out=: report the earliest such pair. */
static int check_outs(struct parser *p)
{
	struct input *in = p->in;
	struct out_ref *v = malloc((in->n - p->first) * sizeof(*v));
	size_t n = 0, dup = 0;

	if (!v)
		return oom(p);
	for (size_t i = p->first; i < in->n; i++)
		if (in->e[i].out)
			v[n++] = (struct out_ref){ in->e[i].out, in->e[i].line };
	qsort(v, n, sizeof(*v), out_ref_cmp);
	for (size_t i = 1; i < n; i++)
		if (!strcmp(v[i - 1].out, v[i].out) && (!dup || v[i].line < v[dup].line))
			dup = i;
	if (dup) {
		const char *o = v[dup].out;
		int q = quotable(o, strlen(o));

		p->line = v[dup].line;
		fail(p, "out=%s%s%s is also the output of the URL on line %u", q ? "'" : "",
		     q ? o : "", q ? "'" : "", v[dup - 1].line);
	}
	free(v);
	return dup ? HAUL_EUSAGE : 0;
}

int input_parse(struct input *in, const char *text, size_t len, const char *name,
		struct haul_error *err)
{
	struct parser p = { .in = in, .name = name, .err = err, .first = in->n };
	size_t pos = 0;
	int r = 0;

	if (len > INPUT_MAX_BYTES)
		return haul_error_set(err, HAUL_EUSAGE, "%s: larger than %u MiB", name,
				      INPUT_MAX_BYTES >> 20);
	if (len >= 3 && !memcmp(text, "\xef\xbb\xbf", 3))
		pos = 3;
	while (!r && pos < len) {
		const char *s = text + pos, *nl = memchr(s, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - s) : len - pos;

		pos += n + (nl != NULL);
		p.line++;
		if (n && s[n - 1] == '\r')
			n--;
		r = parse_line(&p, s, n);
	}
	if (!r && in->n == p.first)
		r = haul_error_set(err, HAUL_EUSAGE, "%s: no URLs", name);
	if (!r)
		r = check_outs(&p);
	if (r)
		input_truncate(in, p.first);
	return r;
}

int input_read(struct input *in, const char *path, struct haul_error *err)
{
	int is_stdin = !strcmp(path, "-");
	const char *name = is_stdin ? "standard input" : path;
	int fd = is_stdin ? 0 : open(path, O_RDONLY | O_CLOEXEC);
	size_t len = 0, cap = 0;
	char *buf = NULL;
	int r = 0;

	if (fd < 0)
		return haul_error_set(err, HAUL_EUSAGE, "%s: %s", name, strerror(errno));
	/* Read one byte past the limit to tell "exactly at" from "over". */
	while (len <= INPUT_MAX_BYTES) {
		ssize_t got;

		if (len == cap) {
			size_t ncap = cap ? 2 * cap : 64u << 10;
			char *nbuf;

			if (ncap > INPUT_MAX_BYTES + 1u)
				ncap = INPUT_MAX_BYTES + 1u;
			nbuf = realloc(buf, ncap);
			if (!nbuf) {
				r = haul_error_set(err, HAUL_EFAIL, "out of memory");
				break;
			}
			buf = nbuf;
			cap = ncap;
		}
		got = read(fd, buf + len, cap - len);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			r = haul_error_set(err, HAUL_EUSAGE, "%s: %s", name, strerror(errno));
			break;
		}
		if (got == 0)
			break;
		len += (size_t)got;
	}
	if (!is_stdin)
		close(fd);
	if (!r && len > INPUT_MAX_BYTES)
		r = haul_error_set(err, HAUL_EUSAGE, "%s: larger than %u MiB", name,
				   INPUT_MAX_BYTES >> 20);
	if (!r)
		r = input_parse(in, buf ? buf : "", len, name, err);
	free(buf);
	return r;
}
