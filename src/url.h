/*
 * url.h -- what haul needs to know about a URL, parsed by libcurl's own URL
 * API (CURLU) rather than by hand: is it one we can fetch, what file name does
 * it suggest, and how to show it without leaking its credentials.
 */
#ifndef HAUL_URL_H
#define HAUL_URL_H

#include "err.h"
#include "expiry.h"

/*
 * Check that url is an absolute http:// or https:// URL with a host.
 * Returns 0, or HAUL_EUSAGE with err saying what is wrong; what names the
 * URL in the message ("URL", "--head-url").
 */
int url_check(const char *url, const char *what, struct haul_error *err);

/*
 * The file name a URL suggests: the last segment of its path, percent-decoded,
 * without the query. Fails (HAUL_EUSAGE) when there is none or it is not a
 * safe plain name (empty, ".", "..", contains '/' or a control character).
 * *out is malloced and owned by the caller.
 */
int url_filename(const char *url, char **out, struct haul_error *err);

/* 4 or 6 when url's host is an IPv4 or IPv6 address, 0 for a name. */
int url_host_family(const char *url);

/* Is name a plain file name: not empty, ".", "..", no '/' or control character? */
int url_safe_name(const char *name);

/*
 * A copy of url safe to print or store: user name and password, query string
 * and fragment are removed; a removed query shows as "?[redacted]". Presigned
 * URLs carry their signature in the query, so this is what every log line,
 * error message and journal entry uses. Returns a malloced string, or NULL
 * when out of memory; an unparsable URL gives "[unparsable URL]".
 */
char *url_redact(const char *url);

/*
 * A URL as haul passes it around, parsed once: its text (credentials and
 * all: only libcurl gets it), what may be shown of it, and when it stops
 * working.
 */
struct url {
	char *text;               /* owned, NULL: none */
	char *shown;              /* owned: url_redact(text), for messages and the journal */
	struct url_expiry expiry; /* the deadline its query states, if any */
};

/*
 * Check text (url_check, naming it what) and fill u. 0, or HAUL_EUSAGE /
 * HAUL_EFAIL with err set (u is then empty).
 */
int url_init(struct url *u, const char *text, const char *what, struct haul_error *err);

/* Free u (an empty one too); it is empty afterwards. */
void url_release(struct url *u);

/* Move src into dst (dst's old value is freed; src is empty afterwards). */
void url_move(struct url *dst, struct url *src);

/*
 * The host name (lower case) and the raw query of url, each malloced or
 * NULL when the URL has none. 0, or -1 when it does not parse or memory
 * ran out (both NULL then).
 */
int url_parts(const char *url, char **host, char **query);

/*
 * One parameter of a raw query (names compared case-insensitively),
 * percent-decoded and malloced; NULL when absent (or not decodable).
 */
char *url_query_param(const char *query, const char *name);

#endif
