/*
 * refresh.c -- running a refresh command and reading its output.
 */
#include "config.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "child.h"
#include "clock.h"
#include "refresh.h"

static int dup_string(json_t *v, char **out)
{
	const char *s = json_string_value(v);

	*out = NULL;
	if (!s || !*s)
		return -1;
	*out = strdup(s);
	return *out ? 0 : -1;
}

static int parse_json(const char *text, size_t len, char **get, char **head,
		      struct haul_error *err)
{
	json_t *root = json_loadb(text, len, 0, NULL), *urls;
	int ret = 0;

	if (!json_is_object(root)) {
		json_decref(root);
		return haul_error_set(err, HAUL_EEXPIRED,
				      "the refresh output is not valid JSON (an object was expected)");
	}
	urls = json_object_get(root, "urls");
	if (urls) {
		if (dup_string(json_object_get(urls, "get"), get))
			ret = haul_error_set(err, HAUL_EEXPIRED,
					     "the refresh output's \"urls\" has no \"get\" string");
		else if (json_object_get(urls, "head") &&
			 dup_string(json_object_get(urls, "head"), head))
			ret = haul_error_set(err, HAUL_EEXPIRED,
					     "the refresh output's \"urls.head\" is not a string");
	} else if (dup_string(json_object_get(root, "url"), get)) {
		ret = haul_error_set(err, HAUL_EEXPIRED,
				     "the refresh output's JSON has neither \"urls.get\" nor \"url\"");
	}
	json_decref(root);
	if (ret) {
		free(*get);
		free(*head);
		*get = *head = NULL;
	}
	return ret;
}

int refresh_parse_output(const char *text, size_t len, char **get, char **head,
			 struct haul_error *err)
{
	const char *p = text, *end = text + len, *line = NULL, *line_end = NULL;

	*get = *head = NULL;
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
		p++;
	if (p == end)
		return haul_error_set(err, HAUL_EEXPIRED, "the refresh output is empty");
	if (memchr(p, '\0', (size_t)(end - p)))
		return haul_error_set(err, HAUL_EEXPIRED, "the refresh output holds a NUL byte");
	if (*p == '{')
		return parse_json(p, (size_t)(end - p), get, head, err);
	/* Exactly one non-empty line. */
	for (const char *q = p; q < end;) {
		const char *nl = memchr(q, '\n', (size_t)(end - q)), *e = nl ? nl : end, *t = e;

		while (t > q && (t[-1] == ' ' || t[-1] == '\t' || t[-1] == '\r'))
			t--;
		while (q < t && (*q == ' ' || *q == '\t'))
			q++;
		if (t > q) {
			if (line)
				return haul_error_set(err, HAUL_EEXPIRED,
						      "the refresh output has more than one line");
			line = q;
			line_end = t;
		}
		q = nl ? nl + 1 : end;
	}
	for (const char *c = line; c < line_end; c++)
		if (*c == ' ' || *c == '\t' || (unsigned char)*c < 0x20)
			return haul_error_set(err, HAUL_EEXPIRED,
					      "the refresh output is not a URL (it has spaces)");
	/* The output is not NUL-terminated: compare within the line only. */
	if (!(line_end - line >= 7 && strncasecmp(line, "http://", 7) == 0) &&
	    !(line_end - line >= 8 && strncasecmp(line, "https://", 8) == 0))
		return haul_error_set(err, HAUL_EEXPIRED,
				      "the refresh output is not an http:// or https:// URL");
	*get = strndup(line, (size_t)(line_end - line));
	return *get ? 0 : haul_error_set(err, HAUL_EFAIL, "out of memory");
}

int refresh_run(const char *cmd, uint64_t timeout_ms, const char *output,
		volatile sig_atomic_t *stop, char **out, size_t *len, struct haul_error *err)
{
	struct child c;
	const char *text;
	int ret;

	*out = NULL;
	ret = child_start(&c, cmd, output, REFRESH_OUTPUT_MAX, timeout_ms, err);
	if (ret)
		return ret;
	while (child_step(&c)) {
		struct pollfd pfd = { child_fd(&c), POLLIN, 0 };
		uint64_t now = clock_ms(), left = child_deadline(&c) > now ? child_deadline(&c) - now : 0;

		if (stop && *stop) {
			child_kill(&c);
			break;
		}
		/* Wake for output, the deadline or an interruption (every 100 ms). */
		poll(pfd.fd >= 0 ? &pfd : NULL, pfd.fd >= 0, left < 100 ? (int)left : 100);
	}
	ret = child_result(&c, "the refresh command", &text, len, timeout_ms, err);
	if (!ret && !(*out = malloc(*len + 1)))
		ret = haul_error_set(err, HAUL_EFAIL, "out of memory");
	if (!ret)
		memcpy(*out, text, *len + 1);
	child_release(&c);
	return ret;
}

int refresh_cmd_fetch(void *ctx, char **get, char **head, struct haul_error *err)
{
	const struct refresh_cmd *rc = ctx;
	char *out;
	size_t len;
	int ret;

	*get = *head = NULL;
	ret = refresh_run(rc->cmd, rc->timeout_ms, rc->output, rc->stop, &out, &len, err);
	if (ret)
		return ret;
	ret = refresh_parse_output(out, len, get, head, err);
	free(out);
	return ret;
}
