/*
 * expiry.c -- deadlines of presigned URLs and the signs of their expiry.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <jansson.h>

#include "expiry.h"
#include "url.h"
#include "num.h"

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar. */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

/* n digits at *p as a number within [lo, hi]. */
static int digits(const char **p, unsigned n, unsigned lo, unsigned hi, unsigned *out)
{
	unsigned v = 0;

	for (unsigned i = 0; i < n; i++) {
		char c = (*p)[i];

		if (c < '0' || c > '9')
			return -1;
		v = v * 10 + (unsigned)(c - '0');
	}
	if (v < lo || v > hi)
		return -1;
	*p += n;
	*out = v;
	return 0;
}

static int64_t to_unix(unsigned y, unsigned mo, unsigned d, unsigned h, unsigned mi, unsigned s)
{
	return days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s;
}

int expiry_parse_time(const char *s, int64_t *out)
{
	unsigned y, mo, d, h = 0, mi = 0, sec = 0, oh, om;
	const char *p = s;
	int64_t t, sign;

	if (!s)
		return -1;
	/* Compact: 20261122T081500Z */
	if (strlen(s) == 16 && s[8] == 'T' && s[15] == 'Z') {
		if (digits(&p, 4, 1970, 9999, &y) || digits(&p, 2, 1, 12, &mo) ||
		    digits(&p, 2, 1, 31, &d) || *p++ != 'T' || digits(&p, 2, 0, 23, &h) ||
		    digits(&p, 2, 0, 59, &mi) || digits(&p, 2, 0, 60, &sec))
			return -1;
		*out = to_unix(y, mo, d, h, mi, sec);
		return 0;
	}
	if (digits(&p, 4, 1970, 9999, &y) || *p++ != '-' || digits(&p, 2, 1, 12, &mo) ||
	    *p++ != '-' || digits(&p, 2, 1, 31, &d))
		return -1;
	if (*p == 'T') {
		p++;
		if (digits(&p, 2, 0, 23, &h) || *p++ != ':' || digits(&p, 2, 0, 59, &mi))
			return -1;
		if (*p == ':') {
			p++;
			if (digits(&p, 2, 0, 60, &sec))
				return -1;
			if (*p == '.') {
				p++;
				if (*p < '0' || *p > '9')
					return -1;
				while (*p >= '0' && *p <= '9')
					p++;
			}
		}
	}
	t = to_unix(y, mo, d, h, mi, sec);
	if (*p == 'Z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		sign = *p++ == '+' ? 1 : -1;
		if (digits(&p, 2, 0, 23, &oh) || *p++ != ':' || digits(&p, 2, 0, 59, &om))
			return -1;
		t -= sign * (int64_t)(oh * 3600 + om * 60);
	}
	if (*p)
		return -1;
	*out = t;
	return 0;
}

/* A whole decimal number of seconds within int64. */
static int seconds(const char *s, int64_t *out)
{
	uint64_t v;

	if (num_parse_u64(s, &v) || v > (uint64_t)INT64_MAX / 2)
		return -1;
	*out = (int64_t)v;
	return 0;
}

/* "date + expires" styles: SigV4 and GCS V4. */
static int dated(const char *q, const char *date_name, const char *exp_name, const char *style,
		 struct url_expiry *e)
{
	char *date = url_query_param(q, date_name), *exp = url_query_param(q, exp_name);
	int64_t t, n;
	int found = 0;

	if (date && exp && !expiry_parse_time(date, &t) && !seconds(exp, &n)) {
		e->known = 1;
		e->issued = t;
		e->deadline = t + n;
		e->style = style;
		found = 1;
	}
	free(date);
	free(exp);
	return found;
}

/* CloudFront custom policy: URL-safe base64 JSON with AWS:EpochTime. */
static int cloudfront_policy(const char *q, struct url_expiry *e)
{
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char *pol = url_query_param(q, "Policy");
	unsigned char *raw;
	size_t n = 0, bits = 0;
	uint32_t acc = 0;
	json_t *root, *t;
	int found = 0;

	if (!pol)
		return 0;
	raw = malloc(strlen(pol) + 1);
	for (char *c = pol; raw && *c && *c != '_' && *c != '='; c++) {
		char ch = *c == '-' ? '+' : *c == '~' ? '/' : *c;
		const char *at = strchr(b64, ch);

		if (!at || !ch) {
			n = 0;
			break;
		}
		acc = acc << 6 | (uint32_t)(at - b64);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			raw[n++] = (unsigned char)(acc >> bits);
		}
	}
	root = raw && n ? json_loadb((const char *)raw, n, 0, NULL) : NULL;
	t = json_object_get(json_object_get(json_object_get(json_array_get(
		json_object_get(root, "Statement"), 0), "Condition"), "DateLessThan"), "AWS:EpochTime");
	if (json_is_integer(t) && json_integer_value(t) > 0) {
		e->known = 1;
		e->deadline = json_integer_value(t);
		e->style = "CloudFront policy";
		found = 1;
	}
	json_decref(root);
	free(raw);
	free(pol);
	return found;
}

int expiry_from_url(const char *url, struct url_expiry *e)
{
	CURLU *u = curl_url();
	char *q = NULL, *v;
	int64_t t;

	memset(e, 0, sizeof(*e));
	e->issued = -1;
	if (!u || curl_url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME) != CURLUE_OK) {
		curl_url_cleanup(u);
		return -1;
	}
	curl_url_get(u, CURLUPART_QUERY, &q, 0);
	curl_url_cleanup(u);
	if (!q)
		return 0;
	if (dated(q, "X-Amz-Date", "X-Amz-Expires", "AWS SigV4", e) ||
	    dated(q, "X-Goog-Date", "X-Goog-Expires", "GCS V4", e) || cloudfront_policy(q, e))
		goto out;
	if ((v = url_query_param(q, "se"))) {
		if (!expiry_parse_time(v, &t)) {
			e->known = 1;
			e->deadline = t;
			e->style = "Azure SAS";
		}
		free(v);
		if (e->known && (v = url_query_param(q, "st"))) {
			if (!expiry_parse_time(v, &t))
				e->issued = t;
			free(v);
		}
		goto out;
	}
	if ((v = url_query_param(q, "Expires"))) {
		if (!seconds(v, &t)) {
			e->known = 1;
			e->deadline = t;
			e->style = "Expires=";
		}
		free(v);
	}
out:
	curl_free(q);
	return 0;
}

static int has(const char *body, size_t len, const char *needle)
{
	size_t n = strlen(needle);

	if (!body || len < n)
		return 0;
	for (size_t i = 0; i + n <= len; i++)
		if (body[i] == needle[0] && memcmp(body + i, needle, n) == 0)
			return 1;
	return 0;
}

int expiry_answer_says_expired(long status, const char *body, size_t len, int past_deadline,
			       int worked)
{
	if (status != 400 && status != 401 && status != 403)
		return 0;
	/* S3 and R2 */
	if (has(body, len, "Request has expired") || has(body, len, "<Code>ExpiredToken</Code>") ||
	    has(body, len, "<Code>ExpiredRequest</Code>") ||
	    has(body, len, "<Code>TokenRefreshRequired</Code>"))
		return 1;
	/* GCS */
	if (has(body, len, "The provided token has expired") ||
	    has(body, len, "Request signature expired") || has(body, len, "ExpiredToken"))
		return 1;
	/* Azure: the SAS time window is over */
	if (has(body, len, "AuthenticationFailed") &&
	    (past_deadline || has(body, len, "Signature not valid in the specified time frame") ||
	     has(body, len, "Signed expiry time")))
		return 1;
	if (past_deadline)
		return 1;
	return worked && status != 400;
}
