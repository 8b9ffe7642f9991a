/*
 * child.c -- a command's output, read without waiting.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "child.h"
#include "clock.h"

static void run(const char *cmd, int out_fd, const char *output) __attribute__((noreturn));

static void run(const char *cmd, int out_fd, const char *output)
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

int child_start(struct child *c, const char *cmd, const char *output, size_t max,
		uint64_t timeout_ms, struct haul_error *err)
{
	int fds[2];

	memset(c, 0, sizeof(*c));
	c->fd = -1;
	c->max = max;
	c->buf = malloc(max + 2);
	if (!c->buf)
		return haul_error_set(err, HAUL_EFAIL, "out of memory");
	if (pipe2(fds, O_CLOEXEC) != 0) {
		free(c->buf);
		c->buf = NULL;
		return haul_error_set(err, HAUL_EEXPIRED, "cannot run the refresh command: %s",
				      strerror(errno));
	}
	c->pid = fork();
	if (c->pid == 0)
		run(cmd, fds[1], output);
	close(fds[1]);
	if (c->pid < 0) {
		close(fds[0]);
		free(c->buf);
		c->buf = NULL;
		return haul_error_set(err, HAUL_EEXPIRED, "cannot run the refresh command: %s",
				      strerror(errno));
	}
	/* Also from here, in case the child has not got to its own setpgid
	 * before a kill of its group. */
	setpgid(c->pid, c->pid);
	fcntl(fds[0], F_SETFL, fcntl(fds[0], F_GETFL) | O_NONBLOCK);
	c->fd = fds[0];
	c->deadline_ms = clock_ms() + timeout_ms;
	c->state = CHILD_RUNNING;
	c->buf[0] = '\0';
	return 0;
}

/* Kill the group and reap: state becomes why. */
static void end(struct child *c, enum child_state why)
{
	if (c->fd >= 0) {
		close(c->fd);
		c->fd = -1;
	}
	if (c->pid > 0) {
		kill(-c->pid, SIGKILL);
		kill(c->pid, SIGKILL);
		while (waitpid(c->pid, &c->status, 0) < 0 && errno == EINTR)
			;
		c->pid = 0;
	}
	c->state = why;
}

int child_step(struct child *c)
{
	if (c->state != CHILD_RUNNING)
		return 0;
	while (c->fd >= 0) {
		ssize_t r = read(c->fd, c->buf + c->len, c->max + 1 - c->len);

		if (r > 0) {
			c->len += (size_t)r;
			c->buf[c->len] = '\0';
			if (c->len > c->max) {
				end(c, CHILD_TOO_MUCH);
				return 0;
			}
			continue;
		}
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		close(c->fd); /* end of file (or an error): it closed its output */
		c->fd = -1;
	}
	if (c->pid > 0 && c->fd < 0) {
		pid_t r = waitpid(c->pid, &c->status, WNOHANG);

		if (r == c->pid) {
			c->pid = 0;
			c->state = CHILD_EXITED;
			return 0;
		}
	}
	if (clock_ms() >= c->deadline_ms) {
		end(c, CHILD_TIMEOUT);
		return 0;
	}
	return 1;
}

int child_fd(const struct child *c)
{
	return c->state == CHILD_RUNNING ? c->fd : -1;
}

uint64_t child_deadline(const struct child *c)
{
	return c->deadline_ms;
}

void child_kill(struct child *c)
{
	if (c->state == CHILD_RUNNING)
		end(c, CHILD_STOPPED);
}

int child_result(const struct child *c, const char *what, const char **out, size_t *len,
		 uint64_t timeout_ms, struct haul_error *err)
{
	*out = NULL;
	*len = 0;
	switch (c->state) {
	case CHILD_STOPPED:
		return haul_error_set(err, HAUL_EINTR, "interrupted");
	case CHILD_TIMEOUT:
		return haul_error_set(err, HAUL_EEXPIRED, "%s did not finish within %llu ms", what,
				      (unsigned long long)timeout_ms);
	case CHILD_TOO_MUCH:
		return haul_error_set(err, HAUL_EEXPIRED, "%s printed more than %zu bytes", what,
				      c->max);
	case CHILD_EXITED:
		break;
	default:
		return haul_error_set(err, HAUL_EFAIL, "%s has not ended", what);
	}
	if (WIFSIGNALED(c->status))
		return haul_error_set(err, HAUL_EEXPIRED, "%s was killed by signal %d", what,
				      WTERMSIG(c->status));
	if (!WIFEXITED(c->status) || WEXITSTATUS(c->status) != 0)
		return haul_error_set(err, HAUL_EEXPIRED, "%s failed with exit status %d", what,
				      WEXITSTATUS(c->status));
	*out = c->buf;
	*len = c->len;
	return 0;
}

void child_release(struct child *c)
{
	if (c->state == CHILD_RUNNING)
		end(c, CHILD_STOPPED);
	free(c->buf);
	c->buf = NULL;
	c->state = CHILD_IDLE;
}
