/*
 * t-refresh.c -- what a refresh command may print, and running one: exit
 * status, time limit, output cap, $HAUL_OUTPUT. Error messages never echo
 * the output (it holds credentials).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "refresh.h"
#include "tap.h"

static void parses(const char *out, const char *want_get, const char *want_head, const char *what)
{
	struct haul_error err;
	char *get = NULL, *head = NULL;
	int r;

	haul_error_init(&err);
	r = refresh_parse_output(out, strlen(out), &get, &head, &err);
	ok(r == 0 && get && strcmp(get, want_get) == 0 &&
		   ((!want_head && !head) || (want_head && head && strcmp(head, want_head) == 0)),
	   "%s", what);
	free(get);
	free(head);
	haul_error_release(&err);
}

static void refuses(const char *out, size_t len, const char *needle, const char *what)
{
	struct haul_error err;
	char *get = NULL, *head = NULL;
	int r;

	haul_error_init(&err);
	r = refresh_parse_output(out, len ? len : strlen(out), &get, &head, &err);
	ok(r == HAUL_EEXPIRED && !get && !head && err.msg && strstr(err.msg, needle) &&
		   !strstr(err.msg, "secret"),
	   "%s: refused (%s)", what, err.msg ? err.msg : "?");
	haul_error_release(&err);
}

static void parsing(void)
{
	parses("https://h/f?sig=secret\n", "https://h/f?sig=secret", NULL, "one URL line");
	parses("\n  https://h/f?sig=secret \r\n\n", "https://h/f?sig=secret", NULL,
	       "blank lines and spaces around it");
	parses("{\"urls\": {\"get\": \"https://h/g?s=1\", \"head\": \"https://h/h?s=2\"}, "
	       "\"artifact\": {\"filename\": \"r.parquet\", \"size_bytes\": 5}}",
	       "https://h/g?s=1", "https://h/h?s=2", "the Sutro shape: urls.get and urls.head");
	parses("{\"urls\": {\"get\": \"https://h/g\"}}", "https://h/g", NULL, "urls.get alone");
	parses("  {\"url\": \"https://h/u\"}\n", "https://h/u", NULL, "{\"url\": ...}");
	refuses("\n", 1, "empty", "no output");
	refuses(" \n\t\n", 4, "empty", "only white space");
	refuses("https://h/a?secret\nhttps://h/b?secret\n", 0, "more than one line", "two lines");
	refuses("not a url secret", 0, "spaces", "a sentence");
	refuses("{\"urls\": {\"head\": \"https://h/h?secret\"}}", 0, "no \"get\"", "urls without get");
	refuses("{\"urls\": {\"get\": 5}}", 0, "no \"get\"", "urls.get not a string");
	refuses("{\"urls\": {\"get\": \"https://h/g\", \"head\": []}}", 0, "urls.head",
		"urls.head not a string");
	refuses("{\"link\": \"https://h/u?secret\"}", 0, "neither", "JSON with neither field");
	refuses("{\"url\": \"https://h/u?secret\"", 0, "not valid JSON", "broken JSON");
	refuses("[\"https://h/u?secret\"]", 0, "not an http", "a JSON array");
	refuses("ftp://h/u?secret", 0, "not an http", "another scheme");
	refuses("https://h/a\0secret", 18, "NUL", "a NUL byte");
	{
		/* Found by fuzz-refresh: a short line at the very end of the
		 * output (not NUL-terminated) was compared past its end. */
		char *five = malloc(5);

		memcpy(five, "http:", 5);
		refuses(five, 5, "not an http", "\"http:\" with nothing after it");
		free(five);
	}
}

static void running(void)
{
	struct haul_error err;
	char *out = NULL;
	size_t len = 0;
	double t;
	int r;

	haul_error_init(&err);
	r = refresh_run("echo https://h/x", 5000, NULL, NULL, &out, &len, &err);
	ok(r == 0 && out && strcmp(out, "https://h/x\n") == 0 && len == 12, "runs a command");
	free(out);
	r = refresh_run("printf %s \"$HAUL_OUTPUT\"", 5000, "dir/file.bin", NULL, &out, &len, &err);
	ok(r == 0 && out && strcmp(out, "dir/file.bin") == 0, "$HAUL_OUTPUT names the file");
	free(out);
	r = refresh_run("echo secret; exit 3", 5000, NULL, NULL, &out, &len, &err);
	ok(r == HAUL_EEXPIRED && !out && strstr(err.msg, "exit status 3") && !strstr(err.msg, "secret"),
	   "a failing command: its exit status, not its output");
	t = clock_sec();
	r = refresh_run("sleep 10", 300, NULL, NULL, &out, &len, &err);
	ok(r == HAUL_EEXPIRED && strstr(err.msg, "within 300 ms") && clock_sec() - t < 3,
	   "a command past its time limit is killed (%.2f s)", clock_sec() - t);
	t = clock_sec();
	r = refresh_run("sleep 10 & echo https://h/x", 300, NULL, NULL, &out, &len, &err);
	ok(clock_sec() - t < 3, "a background child holding stdout does not hang haul (%.2f s)",
	   clock_sec() - t);
	free(out);
	out = NULL;
	r = refresh_run("head -c 70000 /dev/zero | tr '\\0' a", 5000, NULL, NULL, &out, &len, &err);
	ok(r == HAUL_EEXPIRED && strstr(err.msg, "more than"), "output over 64 KiB is refused");
	r = refresh_run("kill -9 $$", 5000, NULL, NULL, &out, &len, &err);
	ok(r == HAUL_EEXPIRED && strstr(err.msg, "signal 9"), "a command killed by a signal");
	{
		volatile sig_atomic_t stop = 1;

		t = clock_sec();
		r = refresh_run("sleep 10", 5000, NULL, &stop, &out, &len, &err);
		ok(r == HAUL_EINTR && clock_sec() - t < 2,
		   "an interrupt ends a running refresh command at once");
	}
	haul_error_release(&err);
}

int main(void)
{
	parsing();
	running();
	return tap_done();
}
