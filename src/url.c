/*
 * url.c -- URL checks, file names and redaction on top of libcurl's CURLU.
 */
#include "config.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "url.h"

/* Parse with the flags haul uses everywhere: absolute URLs, no guessing. */
static CURLU *url_parse(const char *url)
{
	CURLU *u = curl_url();

	if (!u)
		return NULL;
	if (curl_url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME) != CURLUE_OK) {
		curl_url_cleanup(u);
		return NULL;
	}
	return u;
}

int url_check(const char *url, const char *what, struct haul_error *err)
{
	CURLU *u;
	char *scheme = NULL, *host = NULL;
	int ret = 0;

	if (!url || !*url)
		return haul_error_set(err, HAUL_EUSAGE, "%s is empty", what);
	if (strlen(url) > 65536)
		return haul_error_set(err, HAUL_EUSAGE, "%s is longer than 64 KiB", what);
	u = url_parse(url);
	if (!u)
		return haul_error_set(err, HAUL_EUSAGE, "%s is not a valid absolute URL", what);
	if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    (strcasecmp(scheme, "http") != 0 && strcasecmp(scheme, "https") != 0))
		ret = haul_error_set(err, HAUL_EUSAGE,
				     "%s has unsupported scheme '%s' (http and https only)",
				     what, scheme ? scheme : "");
	else if (curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK || !*host)
		ret = haul_error_set(err, HAUL_EUSAGE, "%s has no host", what);
	curl_free(scheme);
	curl_free(host);
	curl_url_cleanup(u);
	return ret;
}

int url_host_family(const char *url)
{
	CURLU *u = url_parse(url);
	char *host = NULL;
	unsigned char addr[16];
	int family = 0;

	if (u && curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK) {
		size_t len = strlen(host);

		if (inet_pton(AF_INET, host, addr) == 1) {
			family = 4;
		} else if (len > 2 && host[0] == '[' && host[len - 1] == ']') {
			host[len - 1] = '\0'; /* CURLU keeps the brackets, and a zone id */
			host[strcspn(host, "%")] = '\0';
			family = inet_pton(AF_INET6, host + 1, addr) == 1 ? 6 : 0;
		}
	}
	curl_free(host);
	curl_url_cleanup(u);
	return family;
}

int url_safe_name(const char *s)
{
	if (!*s || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
		return 0;
	for (; *s; s++)
		if (*s == '/' || (unsigned char)*s < 0x20 || *s == 0x7f)
			return 0;
	return 1;
}

int url_filename(const char *url, char **out, struct haul_error *err)
{
	CURLU *u = url_parse(url);
	char *path = NULL;
	const char *base;
	int ret = 0;

	*out = NULL;
	if (!u)
		return haul_error_set(err, HAUL_EUSAGE, "URL is not a valid absolute URL");
	/* The raw path: split on '/' before decoding, so %2F stays in the name. */
	if (curl_url_get(u, CURLUPART_PATH, &path, 0) != CURLUE_OK || !path) {
		curl_url_cleanup(u);
		return haul_error_set(err, HAUL_EUSAGE, "URL has no path");
	}
	base = strrchr(path, '/');
	base = base ? base + 1 : path;
	if (*base) {
		int len = 0;
		char *dec = curl_easy_unescape(NULL, base, 0, &len);

		if (dec && (size_t)len == strlen(dec) && url_safe_name(dec))
			*out = strdup(dec);
		curl_free(dec);
	}
	if (!*out)
		ret = haul_error_set(err, HAUL_EUSAGE,
				     "cannot take a file name from the URL's path; use -o FILE");
	curl_free(path);
	curl_url_cleanup(u);
	return ret;
}

char *url_redact(const char *url)
{
	CURLU *u = url_parse(url);
	char *query = NULL, *plain = NULL, *out;
	size_t n;

	if (!u)
		return strdup("[unparsable URL]");
	curl_url_get(u, CURLUPART_QUERY, &query, 0);
	curl_url_set(u, CURLUPART_QUERY, NULL, 0);
	curl_url_set(u, CURLUPART_FRAGMENT, NULL, 0);
	curl_url_set(u, CURLUPART_USER, NULL, 0);
	curl_url_set(u, CURLUPART_PASSWORD, NULL, 0);
	curl_url_set(u, CURLUPART_OPTIONS, NULL, 0);
	if (curl_url_get(u, CURLUPART_URL, &plain, 0) != CURLUE_OK) {
		curl_free(query);
		curl_url_cleanup(u);
		return strdup("[unparsable URL]");
	}
	n = strlen(plain) + sizeof("?[redacted]");
	out = malloc(n);
	if (out)
		snprintf(out, n, "%s%s", plain, query ? "?[redacted]" : "");
	curl_free(plain);
	curl_free(query);
	curl_url_cleanup(u);
	return out;
}

char *url_query_param(const char *query, const char *name)
{
	size_t nl = strlen(name);
	const char *p = query;

	while (p && *p) {
		const char *amp = strchr(p, '&');
		size_t len = amp ? (size_t)(amp - p) : strlen(p);

		if (len > nl && p[nl] == '=' && strncasecmp(p, name, nl) == 0) {
			int outlen = 0;
			char *v = curl_easy_unescape(NULL, p + nl + 1, (int)(len - nl - 1), &outlen);
			/* A decoded NUL would cut the value short: refuse it. */
			char *copy = v && (size_t)outlen == strlen(v) ? strdup(v) : NULL;

			curl_free(v);
			return copy;
		}
		p = amp ? amp + 1 : NULL;
	}
	return NULL;
}

int url_parts(const char *url, char **host, char **query)
{
	CURLU *u = url_parse(url);
	char *h = NULL, *q = NULL;

	*host = *query = NULL;
	if (!u)
		return -1;
	curl_url_get(u, CURLUPART_HOST, &h, 0);
	curl_url_get(u, CURLUPART_QUERY, &q, 0);
	curl_url_cleanup(u);
	*host = h ? strdup(h) : NULL;
	*query = q ? strdup(q) : NULL;
	curl_free(h);
	curl_free(q);
	if ((h && !*host) || (q && !*query)) {
		free(*host);
		free(*query);
		*host = *query = NULL;
		return -1;
	}
	for (char *c = *host; c && *c; c++)
		if (*c >= 'A' && *c <= 'Z')
			*c = (char)(*c - 'A' + 'a');
	return 0;
}

int url_init(struct url *u, const char *text, const char *what, struct haul_error *err)
{
	int ret;

	memset(u, 0, sizeof(*u));
	ret = url_check(text, what, err);
	if (ret)
		return ret;
	u->text = strdup(text);
	u->shown = url_redact(text);
	if (!u->text || !u->shown) {
		url_release(u);
		return haul_error_set(err, HAUL_EFAIL, "out of memory");
	}
	if (expiry_from_url(text, &u->expiry) != 0)
		memset(&u->expiry, 0, sizeof(u->expiry));
	return 0;
}

void url_release(struct url *u)
{
	free(u->text);
	free(u->shown);
	memset(u, 0, sizeof(*u));
}

void url_move(struct url *dst, struct url *src)
{
	url_release(dst);
	*dst = *src;
	memset(src, 0, sizeof(*src));
}
