/*
 * t-http.c -- Content-Range and ETag parsing, range validation and the
 * outcome classifier, table-driven.
 */
#include "config.h"

#include <string.h>

#include <curl/curl.h>

#include "http.h"
#include "tap.h"

static void content_range(void)
{
	static const struct {
		const char *in;
		int ret, has_range, has_total;
		uint64_t first, last, total;
	} t[] = {
		{ "bytes 0-0/1", 0, 1, 1, 0, 0, 1 },
		{ "bytes 0-1048575/67108864", 0, 1, 1, 0, 1048575, 67108864 },
		{ "Bytes  10-19/20", 0, 1, 1, 10, 19, 20 },
		{ "bytes */0", 0, 0, 1, 0, 0, 0 },
		{ "bytes */1234", 0, 0, 1, 0, 0, 1234 },
		{ "bytes 5-9/*", 0, 1, 0, 5, 9, 0 },
		{ "bytes 0-9223372036854775806/9223372036854775807", 0, 1, 1, 0,
		  9223372036854775806ull, 9223372036854775807ull },
		{ "bytes 0-0/9223372036854775808", -1 },   /* 2^63: not a file size */
		{ "bytes 0-0/99999999999999999999999", -1 }, /* overflow */
		{ "bytes 5-4/10", -1 },                      /* last < first */
		{ "bytes 0-10/10", -1 },                     /* last >= total */
		{ "bytes */*", -1 },
		{ "bytes -1-5/10", -1 },
		{ "bytes 1-5/10 junk", -1 },
		{ "bytes=0-1/2", -1 },
		{ "items 0-1/2", -1 },
		{ "bytes0-1/2", -1 },
		{ "bytes 0-1", -1 },
		{ "", -1 },
		{ NULL, -1 },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct content_range cr;
		int r = http_parse_content_range(t[i].in, &cr);

		if (t[i].ret)
			ok(r == -1, "Content-Range '%s' is rejected", t[i].in ? t[i].in : "(null)");
		else
			ok(r == 0 && cr.has_range == t[i].has_range && cr.has_total == t[i].has_total &&
				   cr.first == t[i].first && cr.last == t[i].last &&
				   cr.total == t[i].total,
			   "Content-Range '%s' parses", t[i].in);
	}
}

static void etags(void)
{
	char big[HTTP_ETAG_MAX + 8];

	ok(http_etag_valid("\"abc\""), "strong ETag");
	ok(http_etag_valid("W/\"abc\""), "weak ETag");
	ok(http_etag_valid("\"\""), "empty quoted ETag");
	ok(http_etag_valid("\"d41d8cd98f00b204e9800998ecf8427e-12\""), "S3 multipart ETag");
	ok(!http_etag_valid("abc"), "unquoted ETag rejected");
	ok(!http_etag_valid("\"a\"b\""), "inner quote rejected");
	ok(!http_etag_valid("\"a b\""), "space rejected");
	ok(!http_etag_valid("\"abc"), "unterminated rejected");
	ok(!http_etag_valid(NULL), "NULL rejected");
	memset(big, 'a', sizeof(big));
	big[0] = '"';
	big[sizeof(big) - 2] = '"';
	big[sizeof(big) - 1] = '\0';
	ok(!http_etag_valid(big), "ETag over %d bytes rejected", HTTP_ETAG_MAX);
	ok(http_etag_weak("W/\"x\"") && !http_etag_weak("\"x\""), "weak detection");
}

static void range_checks(void)
{
	struct identity id = { 1000, "\"abc\"", "Sun, 22 Nov 2026 08:00:00 GMT" };
	struct identity noetag = { 1000, NULL, "Sun, 22 Nov 2026 08:00:00 GMT" };
	struct range_response r = { .status = 206, .content_range = "bytes 100-199/1000",
				    .content_length = 100, .content_length_raw = "100",
				    .etag = "\"abc\"" };

	ok(http_check_range(&r, 100, 199, &id) == RANGE_OK, "206 with the exact range is OK");
	ok(http_check_range(&r, 100, 200, &id) == RANGE_MISMATCH, "other last byte: mismatch");
	ok(http_check_range(&r, 101, 199, &id) == RANGE_MISMATCH, "other first byte: mismatch");
	id.size = 1001;
	ok(http_check_range(&r, 100, 199, &id) == RANGE_CHANGED, "other total: the object changed");
	id.size = 1000;
	r.content_length = 99;
	ok(http_check_range(&r, 100, 199, &id) == RANGE_MISMATCH, "wrong Content-Length: mismatch");
	r.content_length = -1;
	r.content_length_raw = NULL;
	ok(http_check_range(&r, 100, 199, &id) == RANGE_OK, "no Content-Length is fine");
	r.content_length_raw = "99999999999999999999";
	ok(http_check_range(&r, 100, 199, &id) == RANGE_MISMATCH, "a Content-Length past 2^64");
	r.content_length_raw = "9223372036854775808";
	ok(http_check_range(&r, 100, 199, &id) == RANGE_MISMATCH, "a Content-Length of 2^63");
	r.content_length_raw = "-5";
	ok(http_check_range(&r, 100, 199, &id) == RANGE_MISMATCH, "a negative Content-Length");
	r.content_length_raw = NULL;
	r.content_range = NULL;
	ok(http_check_range(&r, 100, 199, &id) == RANGE_MISMATCH, "206 without Content-Range");
	r.content_range = "bytes 100-199/*";
	ok(http_check_range(&r, 100, 199, &id) == RANGE_MISMATCH, "206 with unknown total");
	r.content_range = "bytes 100-199/1000";
	r.content_encoding = "gzip";
	ok(http_check_range(&r, 100, 199, &id) == RANGE_ENCODED, "Content-Encoding on a range");
	r.content_encoding = "identity";
	ok(http_check_range(&r, 100, 199, &id) == RANGE_OK, "identity encoding is fine");
	r.etag = "\"abd\"";
	ok(http_check_range(&r, 100, 199, &id) == RANGE_CHANGED, "another ETag: the object changed");
	r.etag = NULL;
	ok(http_check_range(&r, 100, 199, &id) == RANGE_OK, "no ETag in the answer: nothing to compare");
	r.last_modified = "Mon, 23 Nov 2026 08:00:00 GMT";
	ok(http_check_range(&r, 100, 199, &id) == RANGE_OK,
	   "Last-Modified is not compared when the object has an ETag");
	ok(http_check_range(&r, 100, 199, &noetag) == RANGE_CHANGED,
	   "another Last-Modified, no ETag: the object changed");
	r.last_modified = noetag.last_modified;
	ok(http_check_range(&r, 100, 199, &noetag) == RANGE_OK, "same Last-Modified is fine");
	r.status = 200;
	ok(http_check_range(&r, 100, 199, &noetag) == RANGE_IGNORED, "200 means Range was ignored");
	r.etag = "\"zzz\"";
	ok(http_check_range(&r, 100, 199, &id) == RANGE_CHANGED,
	   "200 with another ETag is a changed object, not an ignored range");
	r.status = 404;
	ok(http_check_range(&r, 100, 199, &id) == RANGE_NOT_SUCCESS, "404 is not success");
	r.status = 302;
	ok(http_check_range(&r, 100, 199, &id) == RANGE_NOT_SUCCESS, "3xx is not success");
}

static void classify(void)
{
	static const struct {
		struct xfer_result x;
		enum outcome want;
		const char *what;
	} t[] = {
		{ { CURLE_OK, 206, RANGE_OK, 1 }, OUTCOME_DONE, "complete 206" },
		{ { CURLE_WRITE_ERROR, 206, RANGE_OK, 1 }, OUTCOME_DONE,
		  "stopped on purpose after the shortened range" },
		{ { CURLE_OK, 206, RANGE_OK, 0 }, OUTCOME_RETRY, "body ended early" },
		{ { CURLE_PARTIAL_FILE, 206, RANGE_OK, 0 }, OUTCOME_RETRY, "partial file" },
		{ { CURLE_RECV_ERROR, 206, RANGE_OK, 0 }, OUTCOME_RETRY, "connection reset" },
		{ { CURLE_COULDNT_CONNECT, 0, RANGE_OK, 0 }, OUTCOME_RETRY, "connect refused" },
		{ { CURLE_OPERATION_TIMEDOUT, 0, RANGE_OK, 0 }, OUTCOME_RETRY, "timeout" },
		{ { CURLE_WRITE_ERROR, 200, RANGE_IGNORED, 0 }, OUTCOME_NO_RANGES, "200 to a range" },
		{ { CURLE_WRITE_ERROR, 206, RANGE_MISMATCH, 0 }, OUTCOME_RETRY, "wrong range" },
		{ { CURLE_WRITE_ERROR, 206, RANGE_ENCODED, 0 }, OUTCOME_FAILED, "encoded range" },
		{ { CURLE_WRITE_ERROR, 206, RANGE_CHANGED, 0 }, OUTCOME_CHANGED, "another ETag" },
		{ { CURLE_OK, 404, RANGE_NOT_SUCCESS, 0 }, OUTCOME_REFUSED, "404" },
		{ { CURLE_OK, 410, RANGE_NOT_SUCCESS, 0 }, OUTCOME_REFUSED, "410" },
		{ { CURLE_OK, 403, RANGE_NOT_SUCCESS, 0 }, OUTCOME_REFUSED, "403" },
		{ { CURLE_OK, 412, RANGE_NOT_SUCCESS, 0 }, OUTCOME_CHANGED, "412 precondition failed" },
		{ { CURLE_OK, 416, RANGE_NOT_SUCCESS, 0 }, OUTCOME_CHANGED, "416 not satisfiable" },
		{ { CURLE_OK, 500, RANGE_NOT_SUCCESS, 0 }, OUTCOME_RETRY, "500" },
		{ { CURLE_OK, 503, RANGE_NOT_SUCCESS, 0 }, OUTCOME_RETRY, "503" },
		{ { CURLE_OK, 429, RANGE_NOT_SUCCESS, 0 }, OUTCOME_RETRY, "429" },
		{ { CURLE_OK, 408, RANGE_NOT_SUCCESS, 0 }, OUTCOME_RETRY, "408" },
		{ { CURLE_TOO_MANY_REDIRECTS, 302, RANGE_NOT_SUCCESS, 0 }, OUTCOME_REFUSED,
		  "redirect loop ends on a 3xx" },
		{ { CURLE_UNSUPPORTED_PROTOCOL, 0, RANGE_NOT_SUCCESS, 0 }, OUTCOME_RETRY,
		  "garbage instead of a status line (a dirty reused connection)" },
		{ { CURLE_UNSUPPORTED_PROTOCOL, 302, RANGE_NOT_SUCCESS, 0 }, OUTCOME_REFUSED,
		  "a redirect to another protocol" },
		{ { CURLE_RECV_ERROR, 0, RANGE_NOT_SUCCESS, 0 }, OUTCOME_RETRY,
		  "a reset before any answer" },
		{ { CURLE_UNSUPPORTED_PROTOCOL, 0, RANGE_OK, 0 }, OUTCOME_FAILED, "bad protocol" },
		{ { CURLE_PEER_FAILED_VERIFICATION, 0, RANGE_OK, 0 }, OUTCOME_FAILED,
		  "TLS verification failure" },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		enum outcome got = http_classify(&t[i].x);

		ok(got == t[i].want, "classify %s -> %s", t[i].what, http_outcome_name(t[i].want));
		if (got != t[i].want)
			diag("got %s", http_outcome_name(got));
	}
}

int main(void)
{
	content_range();
	etags();
	range_checks();
	classify();
	return tap_done();
}
