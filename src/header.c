/*
 * header.c -- validation and classification of user request headers.
 */
#include "config.h"

#include <ctype.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>

#include "header.h"

/* RFC 9110 token characters. */
static int tchar(unsigned char c)
{
	return isalnum(c) || (c && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* Length of the name, or 0 when line has no colon after a valid name. */
static size_t name_len(const char *line)
{
	size_t n = 0;

	while (tchar((unsigned char)line[n]))
		n++;
	return line[n] == ':' ? n : 0;
}

static int named(const char *line, size_t n, const char *name)
{
	return strlen(name) == n && strncasecmp(line, name, n) == 0;
}

/* Headers that would break ranged fetching if the user set them. */
static const char *const reserved[] = {
	"Range", "If-Range", "If-Match", "If-None-Match", "If-Modified-Since",
	"If-Unmodified-Since", "Accept-Encoding", "Content-Length", "Transfer-Encoding",
};

const char *header_check(const char *line)
{
	size_t n;

	if (!strchr(line, ':'))
		return "no colon (want 'Name: value')";
	n = name_len(line);
	if (!n)
		return line[0] == ':' ? "empty name" : "invalid character in the name";
	for (const char *p = line + n + 1; *p; p++)
		if (iscntrl((unsigned char)*p) && *p != '\t')
			return "control character (CR, LF, ...) in the value";
	for (size_t i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++)
		if (named(line, n, reserved[i]))
			return "haul sets this header itself";
	return NULL;
}

int header_curl_guards(const char *line)
{
	size_t n = name_len(line);

	return n && (named(line, n, "Authorization") || named(line, n, "Cookie"));
}

int header_is_secret(const char *line)
{
	static const char *const words[] = {
		"auth", "cookie", "key", "token", "secret", "session", "password",
		"signature", "credential",
	};
	size_t n = name_len(line);

	for (size_t i = 0; n && i < sizeof(words) / sizeof(words[0]); i++) {
		size_t w = strlen(words[i]);

		for (size_t at = 0; at + w <= n; at++)
			if (strncasecmp(line + at, words[i], w) == 0)
				return 1;
	}
	return 0;
}
