/*
 * refresh.c -- running a refresh command and reading its output.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

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

static void child(const char *cmd, int out_fd, const char *output) __attribute__((noreturn));

static void child(const char *cmd, int out_fd, const char *output)
{
	setpgid(0, 0);
	if (dup2(out_fd, STDOUT_FILENO) < 0)
		_exit(127);
	close(out_fd);
	if (output)
		setenv("HAUL_OUTPUT", output, 1);
	signal(SIGPIPE, SIG_DFL);
	execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
	_exit(127);
}

/* Wait for pid until deadline_ms; kill its group when the time is up. */
static int reap(pid_t pid, uint64_t deadline_ms, int *status)
{
	for (;;) {
		pid_t r = waitpid(pid, status, WNOHANG);

		if (r == pid)
			return 0;
		if (r < 0 && errno != EINTR)
			return -1;
		if (clock_ms() >= deadline_ms) {
			kill(-pid, SIGKILL);
			kill(pid, SIGKILL);
			while (waitpid(pid, status, 0) < 0 && errno == EINTR)
				;
			return 1;
		}
		poll(NULL, 0, 10);
	}
}

int refresh_run(const char *cmd, uint64_t timeout_ms, const char *output,
		volatile sig_atomic_t *stop, char **out, size_t *len, struct haul_error *err)
{
	uint64_t deadline = clock_ms() + timeout_ms;
	char *buf = malloc(REFRESH_OUTPUT_MAX + 2);
	size_t got = 0;
	int fds[2], status = 0, too_much = 0, timed_out = 0, stopped = 0;
	pid_t pid;

	*out = NULL;
	if (!buf)
		return haul_error_set(err, HAUL_EFAIL, "out of memory");
	if (pipe2(fds, O_CLOEXEC) != 0) {
		free(buf);
		return haul_error_set(err, HAUL_EEXPIRED, "cannot run the refresh command: %s",
				      strerror(errno));
	}
	pid = fork();
	if (pid == 0)
		child(cmd, fds[1], output);
	close(fds[1]);
	if (pid < 0) {
		close(fds[0]);
		free(buf);
		return haul_error_set(err, HAUL_EEXPIRED, "cannot run the refresh command: %s",
				      strerror(errno));
	}
	for (;;) {
		struct pollfd pfd = { fds[0], POLLIN, 0 };
		uint64_t now = clock_ms();
		ssize_t r;

		if (now >= deadline) {
			timed_out = 1;
			break;
		}
		if (stop && *stop) {
			stopped = 1;
			break;
		}
		if (poll(&pfd, 1, deadline - now < 100 ? (int)(deadline - now) : 100) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (!pfd.revents)
			continue;
		r = read(fds[0], buf + got, REFRESH_OUTPUT_MAX + 1 - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
		if (got > REFRESH_OUTPUT_MAX) {
			too_much = 1;
			break;
		}
	}
	close(fds[0]);
	if (reap(pid, timed_out || too_much || stopped ? clock_ms() : deadline, &status) > 0 &&
	    !too_much && !stopped)
		timed_out = 1;
	if (stopped) {
		free(buf);
		return haul_error_set(err, HAUL_EINTR, "interrupted");
	}
	if (timed_out || too_much || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		free(buf);
		if (timed_out)
			return haul_error_set(err, HAUL_EEXPIRED,
					      "the refresh command did not finish within %llu ms",
					      (unsigned long long)timeout_ms);
		if (too_much)
			return haul_error_set(err, HAUL_EEXPIRED,
					      "the refresh command printed more than %u bytes",
					      REFRESH_OUTPUT_MAX);
		if (WIFSIGNALED(status))
			return haul_error_set(err, HAUL_EEXPIRED,
					      "the refresh command was killed by signal %d",
					      WTERMSIG(status));
		return haul_error_set(err, HAUL_EEXPIRED,
				      "the refresh command failed with exit status %d",
				      WEXITSTATUS(status));
	}
	buf[got] = '\0';
	*out = buf;
	*len = got;
	return 0;
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
