/*
 * t-header.c -- which -H lines are accepted, and which are credentials.
 */
#include "config.h"

#include <stddef.h>
#include <string.h>

#include "header.h"
#include "tap.h"

static void good(const char *line)
{
	const char *why = header_check(line);

	ok(why == NULL, "accepted: %s", line);
	if (why)
		diag("refused: %s", why);
}

static void bad(const char *line, const char *label, const char *want)
{
	const char *why = header_check(line);

	ok(why && strstr(why, want), "refused (%s): %s", want, label);
}

int main(void)
{
	good("X-Trace: 7");
	good("Authorization: Bearer abc");
	good("Host: example.com");
	good("User-Agent:");
	good("X-Tab: a\tb");
	good("x-amz-request-payer: requester");
	bad("X-Api-Key k", "no colon", "no colon");
	bad("", "empty line", "no colon");
	bad(": v", "': v'", "empty name");
	bad("Bad Name: v", "space in the name", "invalid character");
	bad("X(y): v", "parenthesis in the name", "invalid character");
	bad("X-A: b\r\nX-Evil: 1", "CR LF in the value", "control character");
	bad("X-A: b\n", "LF at the end", "control character");
	bad("Range: bytes=0-9", "Range", "sets this header itself");
	bad("range: bytes=0-9", "range (lower case)", "sets this header itself");
	bad("If-Match: \"x\"", "If-Match", "sets this header itself");
	bad("Accept-Encoding: gzip", "Accept-Encoding", "sets this header itself");
	good("Ranges: x"); /* only the exact name is reserved */

	ok(header_is_secret("Authorization: x"), "Authorization is a credential");
	ok(header_is_secret("X-Api-Key: x"), "X-Api-Key is a credential");
	ok(header_is_secret("x-amz-security-token: x"), "x-amz-security-token is a credential");
	ok(header_is_secret("api-subscription-key: x"), "api-subscription-key is a credential");
	ok(header_is_secret("Cookie: a=b"), "Cookie is a credential");
	ok(!header_is_secret("X-Trace: key token"), "a value does not make a credential");
	ok(!header_is_secret("User-Agent: x"), "User-Agent is not a credential");
	ok(header_curl_guards("authorization: x"), "libcurl guards Authorization");
	ok(header_curl_guards("Cookie: a=b"), "libcurl guards Cookie");
	ok(!header_curl_guards("X-Api-Key: x"), "libcurl does not guard X-Api-Key");
	ok(!header_curl_guards("Authorization-X: x"), "... nor Authorization-X");
	return tap_done();
}
