/*
 * t-expiry.c -- URL deadlines (SigV4, SigV2, GCS V4, Azure SAS, CloudFront)
 * and the recognition of "this URL has expired" answers, on real-shaped
 * URLs and error bodies.
 */
#include "config.h"

#include <string.h>

#include <curl/curl.h>

#include "expiry.h"
#include "http.h"
#include "tap.h"

#define T0 1795335300 /* 2026-11-22T08:15:00Z */

static void times(void)
{
	int64_t t;

	ok(expiry_parse_time("20261122T081500Z", &t) == 0 && t == T0, "compact SigV4 date");
	ok(expiry_parse_time("2026-11-22T10:00:00Z", &t) == 0 && t == 1795341600, "ISO, Z");
	ok(expiry_parse_time("2026-11-22T10:00Z", &t) == 0 && t == 1795341600, "ISO without seconds");
	ok(expiry_parse_time("2026-11-22", &t) == 0 && t == 1795305600, "date only");
	ok(expiry_parse_time("2026-11-22T10:00:00.1234567Z", &t) == 0 && t == 1795341600,
	   "fractional seconds");
	ok(expiry_parse_time("2026-11-22T12:00:00+02:00", &t) == 0 && t == 1795341600,
	   "an offset of +02:00");
	ok(expiry_parse_time("2000-02-29T23:59:59Z", &t) == 0 && t == 951868799, "a leap day");
	ok(expiry_parse_time("2026-13-01", &t) == -1, "month 13 rejected");
	ok(expiry_parse_time("2026-11-22T25:00:00Z", &t) == -1, "hour 25 rejected");
	ok(expiry_parse_time("20261122T081500", &t) == -1, "compact without Z rejected");
	ok(expiry_parse_time("2026-11-22T10:00:00Zjunk", &t) == -1, "trailing junk rejected");
	ok(expiry_parse_time("", &t) == -1 && expiry_parse_time(NULL, &t) == -1, "empty rejected");
}

static void deadline(const char *url, int known, int64_t when, int64_t issued, const char *what)
{
	struct url_expiry e;

	ok(expiry_from_url(url, &e) == 0 && e.known == known && (!known || e.deadline == when) &&
		   (!known || issued == -2 || e.issued == issued),
	   "%s: %s", what, known ? "deadline read" : "no deadline");
	if (known && e.known && e.deadline != when)
		diag("deadline %lld, want %lld", (long long)e.deadline, (long long)when);
}

static void urls(void)
{
	deadline("https://b.s3.us-east-1.amazonaws.com/k.parquet?X-Amz-Algorithm=AWS4-HMAC-SHA256"
		 "&X-Amz-Credential=AKIA%2F20261122%2Fus-east-1%2Fs3%2Faws4_request"
		 "&X-Amz-Date=20261122T081500Z&X-Amz-Expires=3600&X-Amz-SignedHeaders=host"
		 "&X-Amz-Signature=abc",
		 1, T0 + 3600, T0, "S3 SigV4");
	deadline("https://acct.r2.cloudflarestorage.com/b/k?x-amz-date=20261122T081500Z"
		 "&x-amz-expires=604800&x-amz-signature=1",
		 1, T0 + 604800, T0, "R2, lower-case parameter names");
	deadline("https://storage.googleapis.com/b/o?X-Goog-Algorithm=GOOG4-RSA-SHA256"
		 "&X-Goog-Credential=sa%40p.iam.gserviceaccount.com%2F20261122%2Fauto%2Fstorage"
		 "%2Fgoog4_request&X-Goog-Date=20261122T081500Z&X-Goog-Expires=900"
		 "&X-Goog-SignedHeaders=host&X-Goog-Signature=ff",
		 1, T0 + 900, T0, "GCS V4");
	deadline("https://acct.blob.core.windows.net/c/0.json?sv=2022-11-02&st=2026-11-22T08%3A15%3A00Z"
		 "&se=2026-11-22T10%3A00%3A00Z&sr=b&sp=r&sig=XYZ%3D",
		 1, 1795341600, T0, "Azure SAS with start time");
	deadline("https://acct.blob.core.windows.net/c/0.json?sv=2022-11-02&se=2026-11-22&sr=b&sig=1",
		 1, 1795305600, -1, "Azure SAS with a date only");
	deadline("https://b.s3.amazonaws.com/k?AWSAccessKeyId=AKIA&Expires=1795335300&Signature=x",
		 1, T0, -1, "S3 SigV2");
	deadline("https://storage.googleapis.com/b/o?GoogleAccessId=x&Expires=1795335300&Signature=y",
		 1, T0, -1, "GCS V2");
	deadline("https://d111.cloudfront.net/f.bin?Expires=1795335300&Signature=abc~&Key-Pair-Id=K",
		 1, T0, -1, "CloudFront canned policy");
	deadline("https://d111.cloudfront.net/f?Policy=eyJTdGF0ZW1lbnQiOlt7IlJlc291cmNlIjoiaHR0cHM6"
		 "Ly9kLmNsb3VkZnJvbnQubmV0L2YiLCJDb25kaXRpb24iOnsiRGF0ZUxlc3NUaGFuIjp7IkFXUzpFcG9j"
		 "aFRpbWUiOjE3OTUzMzUzMDB9fX1dfQ__&Signature=s&Key-Pair-Id=K",
		 1, T0, -1, "CloudFront custom policy");
	deadline("https://h.example/f.bin", 0, 0, 0, "no query");
	deadline("https://h.example/f.bin?X-Amz-Date=20261122T081500Z", 0, 0, 0,
		 "SigV4 date without X-Amz-Expires");
	deadline("https://h.example/f.bin?X-Amz-Date=bogus&X-Amz-Expires=60", 0, 0, 0,
		 "a malformed date");
	deadline("https://h.example/f.bin?Expires=-5", 0, 0, 0, "a negative Expires");
	deadline("https://h.example/f.bin?Policy=%%%%", 0, 0, 0, "a garbage policy");
}

static void answers(void)
{
	static const char s3[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>AccessDenied"
				 "</Code><Message>Request has expired</Message><X-Amz-Expires>2"
				 "</X-Amz-Expires></Error>";
	static const char s3denied[] = "<Error><Code>AccessDenied</Code><Message>Access Denied"
				       "</Message></Error>";
	static const char token[] = "<Error><Code>ExpiredToken</Code><Message>The provided token "
				    "has expired.</Message></Error>";
	static const char gcs[] = "<Error><Code>ExpiredToken</Code><Message>Invalid argument."
				  "</Message><Details>Request signature expired at: "
				  "2026-11-22T08:15:02+00:00</Details></Error>";
	static const char azure[] = "<Error><Code>AuthenticationFailed</Code><Message>Server failed "
				    "to authenticate the request.</Message><AuthenticationErrorDetail>"
				    "Signature not valid in the specified time frame: Start [x] - "
				    "Expiry [y] - Current [z]</AuthenticationErrorDetail></Error>";
	static const char azure_other[] = "<Error><Code>AuthenticationFailed</Code><Message>Server "
					  "failed to authenticate the request.</Message></Error>";
	struct xfer_result x = { CURLE_OK, 403, RANGE_NOT_SUCCESS, 0, s3, sizeof(s3) - 1, 0, 0 };

	ok(expiry_answer_says_expired(403, s3, strlen(s3), 0, 0), "S3/R2 403 Request has expired");
	ok(expiry_answer_says_expired(400, token, strlen(token), 0, 0), "400 ExpiredToken");
	ok(expiry_answer_says_expired(400, gcs, strlen(gcs), 0, 0), "GCS signature expired");
	ok(expiry_answer_says_expired(403, azure, strlen(azure), 0, 0),
	   "Azure: signature not valid in the time frame");
	ok(!expiry_answer_says_expired(403, azure_other, strlen(azure_other), 0, 0),
	   "Azure AuthenticationFailed before the deadline: not expiry");
	ok(expiry_answer_says_expired(403, azure_other, strlen(azure_other), 1, 0),
	   "Azure AuthenticationFailed past se=: expiry");
	ok(!expiry_answer_says_expired(403, s3denied, strlen(s3denied), 0, 0),
	   "a plain 403 Access Denied on a new URL: not expiry");
	ok(expiry_answer_says_expired(403, s3denied, strlen(s3denied), 0, 1),
	   "a 403 on a URL that worked seconds ago: expiry");
	ok(expiry_answer_says_expired(401, NULL, 0, 0, 1), "a 401 on a URL that worked: expiry");
	ok(!expiry_answer_says_expired(400, NULL, 0, 0, 1), "a bare 400 on a URL that worked: no");
	ok(expiry_answer_says_expired(403, NULL, 0, 1, 0), "any 403 past the URL's deadline");
	ok(!expiry_answer_says_expired(404, s3, strlen(s3), 1, 1), "404 is never expiry");
	ok(!expiry_answer_says_expired(500, NULL, 0, 1, 1), "500 is never expiry");
	ok(!expiry_answer_says_expired(403, s3, 10, 0, 0), "a body cut before the words: no");

	ok(http_classify(&x) == OUTCOME_EXPIRED, "classify: 403 Request has expired -> expired");
	x.body = s3denied;
	x.body_len = strlen(s3denied);
	ok(http_classify(&x) == OUTCOME_REFUSED, "classify: 403 Access Denied -> refused");
	x.url_worked = 1;
	ok(http_classify(&x) == OUTCOME_EXPIRED, "classify: ... on a URL that worked -> expired");
}

int main(void)
{
	times();
	urls();
	answers();
	return tap_done();
}
