/* bench/origin.c -- the benchmark's HTTP origin: files below ROOT on
 * 127.0.0.1 (and 127.0.0.2, the same port: a second host for /x/), each
 * connection capped by the kernel's TCP pacing.
 *
 * Why not nginx's limit_rate: it lets a request send a second's worth at
 * once and rate-limits per request, so short ranges beat the cap. Pacing
 * (SO_MAX_PACING_RATE; TCP paces internally since Linux 4.13, no fq needed)
 * spaces every segment, whatever the request count. One thread, epoll,
 * non-blocking sockets and sendfile: hundreds of connections for little CPU,
 * and a delay before an answer never holds up another connection.
 *
 * The path picks the behaviour, so one process serves every scenario; its
 * leading segments, in any order, before the file's path below ROOT:
 *   /rK/   pace the connection at K MiB/s (K KiB/s with /rKk/)
 *   /tK/   all answers on /tK/ share one link of K MiB/s (a token bucket)
 *   /dMS/  wait MS milliseconds before the answer (GET and HEAD alike)
 *   /fast/ no pacing and no delay, whatever the defaults
 *   /g/    GET only, like an S3 URL presigned for GET: HEAD gets 403
 *          Forbidden (Content-Length: 0), GET the file as usual
 *   /x/    a redirect to another host: GET and HEAD get 302 Found to
 *          http://127.0.0.2:PORT and the same target without this /x/
 *          segment, query string kept (the first /x/ only: /x/x/ is two
 *          redirects); a short text body, keep-alive kept. It comes before
 *          /g/: /g/x/f redirects, HEAD included, to /g/f, which refuses HEAD.
 *          A Location that does not fit our head buffer gets 414.
 * e.g. /d100/r25/1g, /g/fast/64m. The rate is set on the socket before every
 * answer: a keep-alive connection may carry requests for different rates.
 * /dMS/ delays the 302 and the 403 too, and the query string is ignored
 * (but kept in a Location).
 *
 * GET /_stats answers {"requests":..,"connections":..,"body_bytes":..,..};
 * /_stats?reset=1 answers the same and zeroes the counters. Neither counts.
 * body_bytes is what left our sockets (TCP_INFO's bytes sent less those
 * retransmitted): data still queued in a socket buffer when its client goes
 * away is not egress. body_bytes_queued is all we handed to the kernel.
 * The 302 and 403 answers count in requests like any other; body_bytes
 * counts file bodies only, not the short texts (errors, 302).
 *
 * --mss 1448 clamps the segment size to an Ethernet path's. Loopback's
 * 64 KiB segments make TCP's initial window 640 KiB, sent before pacing
 * bites: a paced connection would get a free burst per new connection
 * (about 370 KiB) and per request after idle (about 80 KiB), rewarding
 * tools that make many requests. Unpaced, the clamp costs throughput.
 *
 *   cc -O2 -Wall -o haul-bench-origin bench/origin.c
 *   haul-bench-origin [-p PORT] [--rate BYTES_PER_S] [--delay-ms MS]
 *                     [--mss BYTES] ROOT
 * Prints "port N" on standard output once it listens (port 0: any free one).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/tcp.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>

#define IN_MAX 8192          /* request head; larger ones get 431 */
#define OUT_MAX 1024         /* response head, or a small body with it */
#define SEND_CHUNK (4u << 20) /* per wake-up, so one fast reader cannot starve the rest */
#define BUCKET_MIN 16384     /* a shared link sends no smaller pieces (but the last) */
#define BUCKETS 8
#define MIB 1048576ull

enum state { ST_READ, ST_WAIT, ST_HEAD, ST_BODY };

/* A link of `rate` bytes/s that all connections on /tK/ share. */
struct bucket {
	uint64_t rate;
	double tokens;
	uint64_t last_ns;
	struct conn *head, *tail; /* connections waiting for tokens, first come first served */
};

struct conn {
	int fd;
	enum state st;
	char in[IN_MAX];
	size_t in_len, in_used; /* in_used: the request being answered */
	char out[OUT_MAX];
	size_t out_len, out_off;
	int file;               /* owned: the body's source, or -1 */
	off_t off;
	uint64_t left;          /* body bytes still to send */
	uint64_t deadline_ns;   /* ST_WAIT: when to answer */
	uint64_t rate;          /* this answer's pacing, bytes/s; 0: none */
	int paced;              /* the socket has had a pacing rate set */
	struct bucket *bucket;  /* borrowed: this answer's shared link, or NULL */
	struct conn *bnext;     /* in the bucket's wait queue */
	int bwait;
	int keep;               /* keep the connection after this answer */
	int counted;            /* counted in connections */
	int graceful;           /* we close after a whole answer: the kernel sends what is queued */
	uint64_t wire;          /* every byte written to the socket */
	uint64_t body;          /* body bytes written since the last reset */
	struct conn *prev, *next;
};

struct origin {
	int lfd[2];             /* on 127.0.0.1 and 127.0.0.2; &lfd[i] tags them in epoll */
	int epfd, rootfd;
	unsigned port;          /* both listen on it */
	uint64_t rate;          /* --rate */
	unsigned delay_ms;      /* --delay-ms */
	int mss;                /* --mss: segment size, 0 for the loopback's 64 KiB */
	uint64_t requests, connections, queued, unsent_closed;
	struct conn *conns;
	unsigned nwait;         /* connections in ST_WAIT */
	struct bucket buckets[BUCKETS];
	int nbuckets;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) < 0) {
		perror("origin: clock_gettime");
		exit(1);
	}
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Digits at *s into *v; advances *s. 0, or -1 on no digits or overflow. */
static int parse_u64(const char **s, uint64_t *v)
{
	const char *p = *s;
	uint64_t n = 0;

	if (*p < '0' || *p > '9')
		return -1;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (n > (UINT64_MAX - (uint64_t)(*p - '0')) / 10)
			return -1;
		n = n * 10 + (uint64_t)(*p - '0');
	}
	*s = p;
	*v = n;
	return 0;
}

static int parse_whole_u64(const char *s, uint64_t *v)
{
	return parse_u64(&s, v) < 0 || *s ? -1 : 0;
}

static int conn_events(struct origin *o, struct conn *c, uint32_t ev)
{
	struct epoll_event e = { .events = ev, .data.ptr = c };

	if (epoll_ctl(o->epfd, EPOLL_CTL_MOD, c->fd, &e) < 0) {
		perror("origin: epoll_ctl");
		return -1;
	}
	return 0;
}

/* Body bytes written to this socket that have not left it yet; when the
 * peer went away, never will. Transmitted bytes count even when the peer
 * reset the connection before acknowledging them: the network carried
 * them. (A socket we close ourselves after a whole answer still sends its
 * queue: see graceful.) */
static uint64_t conn_unsent(const struct conn *c)
{
	struct tcp_info ti;
	socklen_t len = sizeof ti;
	uint64_t out, lost;

	memset(&ti, 0, sizeof ti);
	if (getsockopt(c->fd, IPPROTO_TCP, TCP_INFO, &ti, &len) < 0 ||
	    len < offsetof(struct tcp_info, tcpi_bytes_retrans) + sizeof ti.tcpi_bytes_retrans)
		return 0; /* cannot tell (Linux < 4.19): count it all as sent */
	out = ti.tcpi_bytes_sent - ti.tcpi_bytes_retrans;
	lost = c->wire > out ? c->wire - out : 0;
	return lost < c->body ? lost : c->body;
}

static void bucket_unqueue(struct conn *c)
{
	struct bucket *b = c->bucket;
	struct conn **pp, *prev = NULL;

	if (!c->bwait)
		return;
	for (pp = &b->head; *pp; prev = *pp, pp = &(*pp)->bnext)
		if (*pp == c) {
			*pp = c->bnext;
			if (b->tail == c)
				b->tail = prev;
			break;
		}
	c->bwait = 0;
	c->bnext = NULL;
}

static void conn_close(struct origin *o, struct conn *c)
{
	if (!c->graceful)
		o->unsent_closed += conn_unsent(c);
	bucket_unqueue(c);
	if (c->st == ST_WAIT)
		o->nwait--;
	if (c->file >= 0 && close(c->file) < 0)
		perror("origin: close file");
	/* close() also takes the socket out of the epoll set */
	if (close(c->fd) < 0)
		perror("origin: close socket");
	if (c->prev)
		c->prev->next = c->next;
	else
		o->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	free(c);
}

/* ---- the answer's head -------------------------------------------------- */

/* Appends to c->out; -1 when it does not fit (the answer becomes a 500). */
static int out_add(struct conn *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static int out_add(struct conn *c, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(c->out + c->out_len, sizeof c->out - c->out_len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof c->out - c->out_len)
		return -1;
	c->out_len += (size_t)n;
	return 0;
}

static void http_date(time_t t, char *buf, size_t size)
{
	struct tm tm;

	/* The C locale's day and month names are the ones HTTP wants. */
	if (!gmtime_r(&t, &tm) || !strftime(buf, size, "%a, %d %b %Y %H:%M:%S GMT", &tm))
		snprintf(buf, size, "Thu, 01 Jan 1970 00:00:00 GMT");
}

static const char *reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 206: return "Partial Content";
	case 302: return "Found";
	case 400: return "Bad Request";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 412: return "Precondition Failed";
	case 414: return "URI Too Long";
	case 416: return "Range Not Satisfiable";
	case 431: return "Request Header Fields Too Large";
	case 501: return "Not Implemented";
	default: return "Internal Server Error";
	}
}

static int out_status(struct conn *c, int status)
{
	char date[64];

	http_date(time(NULL), date, sizeof date);
	c->out_len = c->out_off = 0;
	return out_add(c, "HTTP/1.1 %d %s\r\nServer: haul-bench-origin\r\nDate: %s\r\n%s",
		       status, reason(status), date, c->keep ? "" : "Connection: close\r\n");
}

/* A short text answer (errors, stats), body included unless HEAD. */
static void answer_text(struct conn *c, int status, int head, const char *type,
			const char *extra, const char *body)
{
	if (c->file >= 0 && close(c->file) < 0)
		perror("origin: close file");
	c->file = -1;
	c->left = 0;
	if (out_status(c, status) < 0 ||
	    out_add(c, "Content-Type: %s\r\nContent-Length: %zu\r\n%s\r\n%s", type,
		    strlen(body), extra, head ? "" : body) < 0) {
		/* cannot happen with the texts below; close rather than lie */
		c->keep = 0;
		c->out_len = 0;
	}
}

/* ---- the request ---------------------------------------------------------- */

struct req {
	int head;               /* HEAD, else GET */
	char *target;           /* borrowed from c->in, NUL-terminated */
	const char *range, *if_match, *if_range;
};

static int token_in(const char *list, const char *tok)
{
	size_t n = strlen(tok);

	for (const char *p = list; *p; p++)
		if (!strncasecmp(p, tok, n) && (p == list || p[-1] == ' ' || p[-1] == ',') &&
		    (!p[n] || p[n] == ' ' || p[n] == ','))
			return 1;
	return 0;
}

/* Splits the head in c->in[0..len) in place. Returns 0, or the error status. */
static int req_parse(struct conn *c, size_t len, struct req *r)
{
	char *p = c->in, *end = c->in + len, *eol, *sp;
	int http10;

	memset(r, 0, sizeof *r);
	c->keep = 0;
	eol = memchr(p, '\n', (size_t)(end - p));
	if (!eol)
		return 400;
	*eol = '\0';
	if (eol > p && eol[-1] == '\r')
		eol[-1] = '\0';
	sp = strchr(p, ' ');
	if (!sp)
		return 400;
	*sp = '\0';
	r->target = sp + 1;
	sp = strchr(r->target, ' ');
	if (!sp || strncmp(sp + 1, "HTTP/1.", 7))
		return 400;
	*sp = '\0';
	http10 = !strcmp(sp + 1, "HTTP/1.0");
	c->keep = !http10;
	r->head = !strcmp(p, "HEAD");
	for (p = eol + 1; p < end; p = eol + 1) {
		char *name = p, *val;

		eol = memchr(p, '\n', (size_t)(end - p));
		if (!eol)
			break;
		*eol = '\0';
		if (eol > p && eol[-1] == '\r')
			eol[-1] = '\0';
		if (!*name)
			break;
		val = strchr(name, ':');
		if (!val)
			return 400;
		*val++ = '\0';
		while (*val == ' ' || *val == '\t')
			val++;
		if (!strcasecmp(name, "Range"))
			r->range = val;
		else if (!strcasecmp(name, "If-Match"))
			r->if_match = val;
		else if (!strcasecmp(name, "If-Range"))
			r->if_range = val;
		else if (!strcasecmp(name, "Connection"))
			c->keep = http10 ? token_in(val, "keep-alive") : !token_in(val, "close");
		else if (!strcasecmp(name, "Transfer-Encoding") ||
			 (!strcasecmp(name, "Content-Length") && strcmp(val, "0"))) {
			c->keep = 0; /* a request body we would not know where to skip */
			return 501;
		}
	}
	if (strcmp(c->in, "GET") && !r->head)
		return 405;
	return 0;
}

/* The /rK/, /tK/, /dMS/, /fast/, /g/ and /x/ segments; returns the file's
 * path. *get_only: there was a /g/; *redirect: the first /x/, or NULL. */
static const char *route(struct origin *o, struct conn *c, const char *path, unsigned *delay_ms,
			 int *get_only, const char **redirect)
{
	c->rate = o->rate;
	c->bucket = NULL;
	*delay_ms = o->delay_ms;
	*get_only = 0;
	*redirect = NULL;
	while (*path == '/') {
		const char *s = path + 2, *seg_end;
		char kind = path[1];
		uint64_t v, unit = MIB;

		seg_end = strchr(path + 1, '/');
		if (!seg_end)
			break;
		if (!strncmp(path, "/fast/", 6)) {
			c->rate = 0;
			*delay_ms = 0;
			path += 5;
			continue;
		}
		if ((kind == 'g' || kind == 'x') && seg_end == path + 2) {
			if (kind == 'g')
				*get_only = 1;
			else if (!*redirect)
				*redirect = path;
			path = seg_end;
			continue;
		}
		if ((kind != 'r' && kind != 't' && kind != 'd') || parse_u64(&s, &v) < 0)
			break;
		if (kind == 'r' && *s == 'k') {
			unit = 1024;
			s++;
		}
		if (s != seg_end || v > 1000000)
			break;
		if (kind == 'd') {
			*delay_ms = (unsigned)v;
		} else if (kind == 'r') {
			c->rate = v * unit;
		} else {
			int i;

			for (i = 0; i < o->nbuckets && o->buckets[i].rate != v * MIB; i++)
				;
			if (i == o->nbuckets && i < BUCKETS) {
				o->buckets[i].rate = v * MIB;
				o->buckets[i].last_ns = now_ns();
				o->nbuckets++;
			}
			if (i < o->nbuckets) {
				c->bucket = &o->buckets[i];
				c->rate = 0;
			}
		}
		path = seg_end;
	}
	return path + (*path == '/');
}

/* Does the If-Match / If-Range list hold our strong ETag? */
static int etag_in(const char *list, const char *etag)
{
	size_t n = strlen(etag);
	const char *p = list;

	while (*p) {
		while (*p == ' ' || *p == ',')
			p++;
		if (!strncmp(p, etag, n) && (!p[n] || p[n] == ' ' || p[n] == ','))
			return 1;
		while (*p && *p != ',')
			p++;
	}
	return 0;
}

/* Range: one "bytes=A-B", "A-" or "-N". 1 with [*a, *b], 0 to ignore it
 * (absent, malformed or several ranges: the whole file, as RFC 9110 allows),
 * -1 when unsatisfiable. */
static int range_parse(const char *h, uint64_t size, uint64_t *a, uint64_t *b)
{
	const char *s;
	uint64_t x, y;

	if (!h || strncasecmp(h, "bytes=", 6))
		return 0;
	s = h + 6;
	if (strchr(s, ','))
		return 0;
	if (*s == '-') {
		s++;
		if (parse_u64(&s, &y) < 0 || *s)
			return 0;
		if (y == 0 || size == 0)
			return -1;
		*a = y >= size ? 0 : size - y;
		*b = size - 1;
		return 1;
	}
	if (parse_u64(&s, &x) < 0 || *s++ != '-')
		return 0;
	if (!*s) {
		y = UINT64_MAX;
	} else if (parse_u64(&s, &y) < 0 || *s || y < x) {
		return 0;
	}
	if (x >= size)
		return -1;
	*a = x;
	*b = y >= size ? size - 1 : y;
	return 1;
}

/* Prepares the answer to a file request: the head in c->out, the body in
 * c->file/off/left. */
static void answer_file(struct origin *o, struct conn *c, struct req *r, const char *rel)
{
	char etag[80], lm[64];
	struct stat st;
	uint64_t size, a = 0, b = 0;
	int status = 200, fd, rc;

	if (!*rel || strstr(rel, "..") || *rel == '/') {
		answer_text(c, 404, r->head, "text/plain", "", "not found\n");
		return;
	}
	fd = openat(o->rootfd, rel, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		answer_text(c, 404, r->head, "text/plain", "", "not found\n");
		return;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		if (close(fd) < 0)
			perror("origin: close file");
		answer_text(c, 404, r->head, "text/plain", "", "not found\n");
		return;
	}
	size = (uint64_t)st.st_size;
	/* Not a digest, so no client can take it for an MD5 of the body. */
	snprintf(etag, sizeof etag, "\"%llx-%llx-%llx\"", (unsigned long long)st.st_ino,
		 (unsigned long long)size, (unsigned long long)st.st_mtime);
	http_date(st.st_mtime, lm, sizeof lm);
	if (r->if_match && strcmp(r->if_match, "*") && !etag_in(r->if_match, etag)) {
		if (close(fd) < 0)
			perror("origin: close file");
		answer_text(c, 412, r->head, "text/plain", "", "precondition failed\n");
		return;
	}
	rc = range_parse(r->range, size, &a, &b);
	/* If-Range: the range only while the validator still matches. */
	if (rc && r->if_range &&
	    (r->if_range[0] == '"' || !strncmp(r->if_range, "W/", 2)
		     ? strcmp(r->if_range, etag) : strcmp(r->if_range, lm)))
		rc = 0;
	if (rc < 0) {
		char cr[64];

		if (close(fd) < 0)
			perror("origin: close file");
		snprintf(cr, sizeof cr, "Content-Range: bytes */%llu\r\n", (unsigned long long)size);
		answer_text(c, 416, r->head, "text/plain", cr, "range not satisfiable\n");
		return;
	}
	if (c->file >= 0 && close(c->file) < 0)
		perror("origin: close file");
	c->file = fd;
	if (rc > 0) {
		status = 206;
		c->off = (off_t)a;
		c->left = b - a + 1;
	} else {
		c->off = 0;
		c->left = size;
	}
	if (out_status(c, status) < 0 ||
	    out_add(c, "Content-Type: application/octet-stream\r\nContent-Length: %llu\r\n",
		    (unsigned long long)c->left) < 0 ||
	    (status == 206 &&
	     out_add(c, "Content-Range: bytes %llu-%llu/%llu\r\n", (unsigned long long)a,
		     (unsigned long long)b, (unsigned long long)size) < 0) ||
	    out_add(c, "Accept-Ranges: bytes\r\nETag: %s\r\nLast-Modified: %s\r\n\r\n", etag, lm) < 0) {
		c->keep = 0;
		c->out_len = 0;
		c->left = 0;
	}
	if (r->head)
		c->left = 0;
}

/* 302 to 127.0.0.2: target without the /x/ at x (a pointer into target),
 * then query (NULL: there was none). */
static void answer_redirect(struct origin *o, struct conn *c, struct req *r, const char *x,
			    const char *query)
{
	char loc[OUT_MAX];
	int keep = c->keep, n;

	n = snprintf(loc, sizeof loc, "Location: http://127.0.0.2:%u%.*s%s%s%s\r\n", o->port,
		     (int)(x - r->target), r->target, x + 2, query ? "?" : "", query ? query : "");
	if (n >= 0 && (size_t)n < sizeof loc) {
		answer_text(c, 302, r->head, "text/plain", loc, "found\n");
		if (c->out_len)
			return;
	}
	c->keep = keep; /* answer_text gave up on the connection: the 414 need not */
	answer_text(c, 414, r->head, "text/plain", "", "target too long to redirect\n");
}

static void answer_stats(struct origin *o, struct conn *c, const char *query)
{
	uint64_t unsent = o->unsent_closed;
	char body[256];

	for (struct conn *x = o->conns; x; x = x->next)
		unsent += conn_unsent(x);
	snprintf(body, sizeof body,
		 "{\"requests\":%llu,\"connections\":%llu,\"body_bytes\":%llu,"
		 "\"body_bytes_queued\":%llu}\n",
		 (unsigned long long)o->requests, (unsigned long long)o->connections,
		 (unsigned long long)(o->queued - (unsent < o->queued ? unsent : o->queued)),
		 (unsigned long long)o->queued);
	if (query && !strcmp(query, "reset=1")) {
		o->requests = o->connections = o->queued = o->unsent_closed = 0;
		for (struct conn *x = o->conns; x; x = x->next) {
			x->body = 0;
			x->counted = 0; /* a connection still open counts again if reused */
		}
	}
	answer_text(c, 200, 0, "application/json", "Cache-Control: no-store\r\n", body);
}

/* ---- sending -------------------------------------------------------------- */

static void conn_read(struct origin *o, struct conn *c);

/* Sets this answer's pacing on the socket; a connection never paced stays
 * untouched, so unpaced answers take no pacing path in the kernel. */
static int conn_pace(struct conn *c)
{
	uint64_t rate = c->rate ? c->rate : UINT64_MAX;
	uint32_t rate32;

	if (!c->rate && !c->paced)
		return 0;
	if (setsockopt(c->fd, SOL_SOCKET, SO_MAX_PACING_RATE, &rate, sizeof rate) < 0) {
		/* kernels before 64-bit rates take a u32 (~0U: unlimited) */
		if (errno != EINVAL)
			return -1;
		rate32 = rate >= UINT32_MAX ? UINT32_MAX : (uint32_t)rate;
		if (setsockopt(c->fd, SOL_SOCKET, SO_MAX_PACING_RATE, &rate32, sizeof rate32) < 0)
			return -1;
	}
	c->paced = 1;
	return 0;
}

/* The answer is complete: next request, or close. */
static void conn_done(struct origin *o, struct conn *c)
{
	if (c->file >= 0 && close(c->file) < 0)
		perror("origin: close file");
	c->file = -1;
	if (!c->keep) {
		c->graceful = 1;
		conn_close(o, c);
		return;
	}
	memmove(c->in, c->in + c->in_used, c->in_len - c->in_used);
	c->in_len -= c->in_used;
	c->in_used = 0;
	c->st = ST_READ;
	if (conn_events(o, c, EPOLLIN) < 0) {
		conn_close(o, c);
		return;
	}
	if (c->in_len) /* pipelined */
		conn_read(o, c);
}

static void bucket_refill(struct bucket *b, uint64_t now)
{
	/* at most 50 ms of credit: a shared link has no savings account */
	double cap = (double)b->rate / 20 > BUCKET_MIN ? (double)b->rate / 20 : BUCKET_MIN;

	b->tokens += (double)b->rate * (double)(now - b->last_ns) / 1e9;
	if (b->tokens > cap)
		b->tokens = cap;
	b->last_ns = now;
}

static void conn_send(struct origin *o, struct conn *c)
{
	uint64_t budget = SEND_CHUNK;
	ssize_t n;

	while (c->st == ST_HEAD) {
		int more = c->left ? MSG_MORE : 0; /* head and body in one segment */

		n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL | more);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			goto wait;
		if (n < 0) {
			conn_close(o, c);
			return;
		}
		c->out_off += (size_t)n;
		c->wire += (uint64_t)n;
		if (c->out_off == c->out_len)
			c->st = ST_BODY;
	}
	while (c->left && budget) {
		size_t want = c->left < budget ? (size_t)c->left : (size_t)budget;

		if (c->bucket) {
			uint64_t need = c->left < BUCKET_MIN ? c->left : BUCKET_MIN;

			bucket_refill(c->bucket, now_ns());
			if (c->bucket->tokens < (double)need) {
				if (conn_events(o, c, 0) < 0) {
					conn_close(o, c);
					return;
				}
				c->bwait = 1;
				c->bnext = NULL;
				if (c->bucket->tail)
					c->bucket->tail->bnext = c;
				else
					c->bucket->head = c;
				c->bucket->tail = c;
				return;
			}
			if ((double)want > c->bucket->tokens)
				want = (size_t)c->bucket->tokens;
		}
		n = sendfile(c->fd, c->file, &c->off, want);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n <= 0) { /* the peer left, or the file shrank under us */
			conn_close(o, c);
			return;
		}
		c->left -= (uint64_t)n;
		c->wire += (uint64_t)n;
		c->body += (uint64_t)n;
		o->queued += (uint64_t)n;
		budget -= (uint64_t)n < budget ? (uint64_t)n : budget;
		if (c->bucket)
			c->bucket->tokens -= (double)n;
	}
	if (!c->left) {
		conn_done(o, c);
		return;
	}
wait:
	if (conn_events(o, c, EPOLLOUT) < 0)
		conn_close(o, c);
}

/* The delay is over (or there was none): pace, then send. */
static void conn_answer(struct origin *o, struct conn *c)
{
	if (c->out_len == 0) { /* a head that did not fit: nothing honest to say */
		conn_close(o, c);
		return;
	}
	if (conn_pace(c) < 0) {
		perror("origin: SO_MAX_PACING_RATE");
		conn_close(o, c);
		return;
	}
	c->st = ST_HEAD;
	conn_send(o, c);
}

/* ---- reading -------------------------------------------------------------- */

/* A complete head of `len` bytes is in c->in: prepare its answer. */
static void conn_request(struct origin *o, struct conn *c, size_t len)
{
	struct req r;
	unsigned delay_ms = o->delay_ms;
	int status;
	char *q;

	c->in_used = len;
	c->rate = o->rate;
	c->bucket = NULL;
	status = req_parse(c, len, &r);
	if (!status && !strncmp(r.target, "/_stats", 7) && (!r.target[7] || r.target[7] == '?')) {
		answer_stats(o, c, r.target[7] ? r.target + 8 : NULL);
		c->rate = 0;
		conn_answer(o, c);
		return;
	}
	o->requests++;
	if (!c->counted) {
		c->counted = 1;
		o->connections++;
	}
	if (status) {
		if (status != 405)
			c->keep = 0; /* we may not know where the next request starts */
		answer_text(c, status, 0, "text/plain",
			    status == 405 ? "Allow: GET, HEAD\r\n" : "", "bad request\n");
	} else {
		const char *rel, *x;
		int get_only;

		/* cut the query for routing; it stays in c->in after the NUL */
		q = strchr(r.target, '?');
		if (q)
			*q++ = '\0';
		rel = route(o, c, r.target, &delay_ms, &get_only, &x);
		if (x)
			answer_redirect(o, c, &r, x, q);
		else if (get_only && r.head)
			answer_text(c, 403, 1, "text/plain", "", "");
		else
			answer_file(o, c, &r, rel);
	}
	if (!delay_ms) {
		conn_answer(o, c);
		return;
	}
	c->st = ST_WAIT;
	c->deadline_ns = now_ns() + (uint64_t)delay_ms * 1000000u;
	o->nwait++;
	if (conn_events(o, c, 0) < 0)
		conn_close(o, c);
}

static void conn_read(struct origin *o, struct conn *c)
{
	for (;;) {
		char *e = c->in_len >= 4 ? memmem(c->in, c->in_len, "\r\n\r\n", 4) : NULL;
		ssize_t n;

		if (e) {
			conn_request(o, c, (size_t)(e - c->in) + 4);
			return;
		}
		if (c->in_len == sizeof c->in) {
			c->keep = 0;
			c->in_used = c->in_len;
			answer_text(c, 431, 0, "text/plain", "", "request head too large\n");
			conn_answer(o, c);
			return;
		}
		n = recv(c->fd, c->in + c->in_len, sizeof c->in - c->in_len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0) {
			conn_close(o, c);
			return;
		}
		c->in_len += (size_t)n;
	}
}

static void origin_accept(struct origin *o, int lfd)
{
	for (;;) {
		struct epoll_event e = { .events = EPOLLIN };
		struct conn *c;
		int fd, one = 1;

		fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
				perror("origin: accept4");
			return;
		}
		/* with MSG_MORE on the head, the body's last piece must not wait */
		if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) < 0)
			perror("origin: TCP_NODELAY");
		c = calloc(1, sizeof *c);
		if (!c) {
			perror("origin: calloc");
			if (close(fd) < 0)
				perror("origin: close");
			continue;
		}
		c->fd = fd;
		c->file = -1;
		e.data.ptr = c;
		if (epoll_ctl(o->epfd, EPOLL_CTL_ADD, fd, &e) < 0) {
			perror("origin: epoll_ctl");
			if (close(fd) < 0)
				perror("origin: close");
			free(c);
			continue;
		}
		c->next = o->conns;
		if (o->conns)
			o->conns->prev = c;
		o->conns = c;
	}
}

/* ---- the loop ------------------------------------------------------------- */

/* Milliseconds until the next delay ends or a shared link has tokens. */
static int origin_timeout(struct origin *o, uint64_t now)
{
	uint64_t next = UINT64_MAX;

	if (o->nwait)
		for (struct conn *c = o->conns; c; c = c->next)
			if (c->st == ST_WAIT && c->deadline_ns < next)
				next = c->deadline_ns;
	for (int i = 0; i < o->nbuckets; i++) {
		struct bucket *b = &o->buckets[i];
		double need;

		if (!b->head)
			continue;
		bucket_refill(b, now);
		need = (double)BUCKET_MIN - b->tokens;
		if (need < 0)
			need = 0;
		if (now + (uint64_t)(need / (double)b->rate * 1e9) < next)
			next = now + (uint64_t)(need / (double)b->rate * 1e9);
	}
	if (next == UINT64_MAX)
		return -1;
	if (next <= now)
		return 0;
	return (int)((next - now + 999999) / 1000000);
}

static void origin_timers(struct origin *o)
{
	uint64_t now = now_ns();
	struct conn *c, *next;

	if (o->nwait)
		for (c = o->conns; c; c = next) {
			next = c->next; /* conn_answer may free c, never another */
			if (c->st == ST_WAIT && c->deadline_ns <= now) {
				c->st = ST_HEAD;
				o->nwait--;
				conn_answer(o, c);
			}
		}
	for (int i = 0; i < o->nbuckets; i++) {
		struct bucket *b = &o->buckets[i];

		bucket_refill(b, now);
		/* first come, first served: one turn each while the tokens last */
		while ((c = b->head) && b->tokens >= (double)(c->left < BUCKET_MIN ? c->left : BUCKET_MIN)) {
			bucket_unqueue(c);
			conn_send(o, c);
		}
	}
}

/* A listening socket on addr:port (host byte order) into *fd. 0, or -1 with
 * errno set. */
static int listen_on(struct origin *o, uint32_t addr, unsigned port, int *fd)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int one = 1, e;

	sa.sin_addr.s_addr = htonl(addr);
	*fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (*fd < 0)
		return -1;
	if (setsockopt(*fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
	    (o->mss && setsockopt(*fd, IPPROTO_TCP, TCP_MAXSEG, &o->mss, sizeof o->mss) < 0) ||
	    bind(*fd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(*fd, 4096) < 0) {
		e = errno;
		if (close(*fd) < 0)
			perror("origin: close");
		*fd = -1;
		errno = e;
		return -1;
	}
	return 0;
}

/* 127.0.0.1:port, then 127.0.0.2 on the same port (port 0: any port free on
 * both; Linux routes all of 127/8 to lo). */
static int origin_listen(struct origin *o, unsigned port)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof sa;
	int i;

	for (i = 0;; i++) {
		if (listen_on(o, INADDR_LOOPBACK, port, &o->lfd[0]) < 0 ||
		    getsockname(o->lfd[0], (struct sockaddr *)&sa, &len) < 0) {
			perror("origin: listen on 127.0.0.1");
			return -1;
		}
		o->port = ntohs(sa.sin_port);
		if (listen_on(o, INADDR_LOOPBACK + 1, o->port, &o->lfd[1]) == 0)
			break;
		if (port || errno != EADDRINUSE || i == 20) {
			perror("origin: listen on 127.0.0.2");
			return -1;
		}
		/* the kernel's pick is taken on 127.0.0.2: another one */
		if (close(o->lfd[0]) < 0)
			perror("origin: close");
	}
	o->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (o->epfd < 0) {
		perror("origin: epoll");
		return -1;
	}
	for (i = 0; i < 2; i++) {
		struct epoll_event e = { .events = EPOLLIN, .data.ptr = &o->lfd[i] };

		if (epoll_ctl(o->epfd, EPOLL_CTL_ADD, o->lfd[i], &e) < 0) {
			perror("origin: epoll");
			return -1;
		}
	}
	if (printf("port %u\n", o->port) < 0 || fflush(stdout) == EOF) {
		perror("origin: stdout");
		return -1;
	}
	return 0;
}

static void origin_run(struct origin *o)
{
	struct epoll_event ev[256];

	for (;;) {
		int n = epoll_wait(o->epfd, ev, 256, origin_timeout(o, now_ns()));

		if (n < 0 && errno != EINTR) {
			perror("origin: epoll_wait");
			exit(1);
		}
		for (int i = 0; i < n; i++) {
			void *p = ev[i].data.ptr;
			struct conn *c = p;

			/* a listener's tag is its slot in o->lfd, never a conn */
			if (p == &o->lfd[0] || p == &o->lfd[1])
				origin_accept(o, *(int *)p);
			else if (c->st == ST_READ)
				conn_read(o, c);
			else if (c->st == ST_WAIT || c->bwait)
				/* we asked for no events: only a hang-up or error gets here */
				conn_close(o, c);
			else
				conn_send(o, c);
		}
		origin_timers(o);
	}
}

static void usage(void)
{
	fprintf(stderr, "usage: haul-bench-origin [-p PORT] [--rate BYTES_PER_S] [--delay-ms MS]\n"
		"                         [--mss BYTES] ROOT\n");
	exit(2);
}

int main(int argc, char **argv)
{
	struct origin o;
	struct rlimit rl;
	uint64_t port = 0, v;
	const char *root = NULL;

	memset(&o, 0, sizeof o);
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if ((!strcmp(a, "-p") || !strcmp(a, "--port")) && i + 1 < argc) {
			if (parse_whole_u64(argv[++i], &port) < 0 || port > 65535)
				usage();
		} else if (!strcmp(a, "--rate") && i + 1 < argc) {
			if (parse_whole_u64(argv[++i], &o.rate) < 0)
				usage();
		} else if (!strcmp(a, "--delay-ms") && i + 1 < argc) {
			if (parse_whole_u64(argv[++i], &v) < 0 || v > 3600000)
				usage();
			o.delay_ms = (unsigned)v;
		} else if (!strcmp(a, "--mss") && i + 1 < argc) {
			if (parse_whole_u64(argv[++i], &v) < 0 || v < 536 || v > 65535)
				usage();
			o.mss = (int)v;
		} else if (a[0] == '-' || root) {
			usage();
		} else {
			root = a;
		}
	}
	if (!root)
		usage();
	/* a peer gone mid-answer is an error code, not a signal */
	if (signal(SIGPIPE, SIG_IGN) == SIG_ERR) {
		perror("origin: signal");
		return 1;
	}
	/* 256 connections and their files need more than the usual 1024 */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
			perror("origin: setrlimit");
	}
	o.rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (o.rootfd < 0) {
		perror(root);
		return 1;
	}
	if (origin_listen(&o, (unsigned)port) < 0)
		return 1;
	origin_run(&o);
	return 0;
}
