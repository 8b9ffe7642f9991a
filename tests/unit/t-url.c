/*
 * t-url.c -- URL checks, file names from URLs and redaction of presigned
 * URLs (S3 SigV4, GCS, Azure SAS, CloudFront shapes).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "url.h"

static void name(const char *url, const char *want)
{
	struct haul_error err;
	char *got = NULL;
	int r;

	haul_error_init(&err);
	r = url_filename(url, &got, &err);
	if (want)
		ok(r == 0 && got && strcmp(got, want) == 0, "file name of %s is '%s'", url, want);
	else
		ok(r == HAUL_EUSAGE && !got && err.msg, "no file name from %s", url);
	if (got && want && strcmp(got, want) != 0)
		diag("got '%s'", got);
	free(got);
	haul_error_release(&err);
}

static void redact(const char *url, const char *want)
{
	char *got = url_redact(url);

	is_str(got, want, "redact %.40s...", url);
	free(got);
}

static void check(const char *url, int want, const char *what)
{
	struct haul_error err;

	haul_error_init(&err);
	is_int(url_check(url, "URL", &err), want, "url_check: %s", what);
	if (want)
		ok(err.msg && strstr(err.msg, "URL") != NULL, "... the message names the URL");
	haul_error_release(&err);
}

int main(void)
{
	check("https://h.example/x", 0, "https");
	check("http://127.0.0.1:8080/x?y=z", 0, "http with port and query");
	check("", HAUL_EUSAGE, "empty");
	check("ftp://h/x", HAUL_EUSAGE, "ftp scheme");
	check("file:///etc/passwd", HAUL_EUSAGE, "file scheme");
	check("h.example/x", HAUL_EUSAGE, "no scheme");
	check("http://", HAUL_EUSAGE, "no host");
	check("http://[::1/x", HAUL_EUSAGE, "broken IPv6 literal");

	name("https://h/path/big.parquet", "big.parquet");
	name("https://h/b/k/sutro-results~job~inputs=1.parquet?X-Amz-Signature=abc&X-Amz-Date=1",
	     "sutro-results~job~inputs=1.parquet");
	name("https://h/a/b%20c.bin", "b c.bin");
	name("https://h/a/x.bin#frag", "x.bin");
	name("https://h/", NULL);
	name("https://h", NULL);
	name("https://h/dir/", NULL);
	name("https://h/a/..", NULL);
	name("https://h/a/%2e%2e", NULL);
	name("https://h/a/x%2Fy", NULL);
	name("https://h/a/x%00y", NULL);
	name("https://h/a/x%0Ay", NULL);

	redact("https://bucket.s3.us-east-1.amazonaws.com/jobs/r.parquet?X-Amz-Algorithm=AWS4-HMAC-"
	       "SHA256&X-Amz-Credential=AKIA%2F20261122%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date="
	       "20261122T081500Z&X-Amz-Expires=3600&X-Amz-SignedHeaders=host&X-Amz-Signature=deadbeef",
	       "https://bucket.s3.us-east-1.amazonaws.com/jobs/r.parquet?[redacted]");
	redact("https://storage.googleapis.com/b/o.bin?X-Goog-Algorithm=GOOG4-RSA-SHA256&"
	       "X-Goog-Credential=sa%40p.iam&X-Goog-Date=20261122T000000Z&X-Goog-Expires=900&"
	       "X-Goog-Signature=abcd",
	       "https://storage.googleapis.com/b/o.bin?[redacted]");
	redact("https://acct.blob.core.windows.net/c/0.json?sv=2022-11-02&se=2026-11-22T10%3A00%3A00Z"
	       "&sr=b&sp=r&sig=XYZ%3D",
	       "https://acct.blob.core.windows.net/c/0.json?[redacted]");
	redact("https://d111.cloudfront.net/f.bin?Expires=1700000000&Signature=abc~&Key-Pair-Id=K",
	       "https://d111.cloudfront.net/f.bin?[redacted]");
	redact("https://user:secret@h.example/f.bin", "https://h.example/f.bin");
	redact("https://h.example/f.bin", "https://h.example/f.bin");
	redact("https://h.example/f.bin#tok=1", "https://h.example/f.bin");
	redact("not a url", "[unparsable URL]");
	return tap_done();
}
