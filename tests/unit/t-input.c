/*
 * t-input.c -- batch input files: entries and options, line endings, the
 * aria2 checksum spelling, every error with its line number, the size
 * limits, and reading files and standard input. No message may show a
 * query string: every URL here carries "?sig=SECRET".
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "input.h"
#include "tap.h"

static const char sha256_test[] =
	"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

/* Is the message free of query strings: no "SECRET", and every '?' is "?[redacted]"? */
static int clean(const char *msg)
{
	if (!msg || strstr(msg, "SECRET") || strchr(msg, '\n'))
		return 0;
	for (const char *q = strchr(msg, '?'); q; q = strchr(q + 1, '?'))
		if (strncmp(q, "?[redacted]", 11) != 0)
			return 0;
	return 1;
}

static int parse(struct input *in, const char *text, struct haul_error *err)
{
	return input_parse(in, text, strlen(text), "in.txt", err);
}

/* Parse text as a whole file: it must parse. */
static int good(struct input *in, const char *text, const char *what)
{
	struct haul_error err;
	int r;

	haul_error_init(&err);
	input_init(in);
	r = input_parse(in, text, strlen(text), "in.txt", &err);
	if (!ok(r == 0, "%s", what))
		diag("returned %d: %s", r, err.msg ? err.msg : "(no message)");
	haul_error_release(&err);
	return r == 0;
}

/* Parse len bytes and expect a usage error whose message starts with want. */
static void bad_len(const char *text, size_t len, const char *want, const char *what)
{
	struct haul_error err;
	struct input in;
	int r;

	haul_error_init(&err);
	input_init(&in);
	r = input_parse(&in, text, len, "in.txt", &err);
	if (!ok(r == HAUL_EUSAGE && in.n == 0 && err.msg && !strncmp(err.msg, want, strlen(want)) &&
			clean(err.msg),
		"%s", what))
		diag("returned %d, %zu entries: %s", r, in.n, err.msg ? err.msg : "(no message)");
	input_release(&in);
	haul_error_release(&err);
}

static void bad(const char *text, const char *want, const char *what)
{
	bad_len(text, strlen(text), want, what);
}

/* A file of the given text in a temporary directory; the path is static. */
static const char *tmpfile_with(const char *text, size_t len)
{
	static char path[4096];
	const char *dir = getenv("TMPDIR");
	int fd;

	snprintf(path, sizeof(path), "%s/t-input.XXXXXX", dir && *dir ? dir : "/tmp");
	fd = mkstemp(path);
	if (fd < 0 || write(fd, text, len) != (ssize_t)len || close(fd)) {
		diag("temporary file: %s", strerror(errno));
		exit(1);
	}
	return path;
}

static void test_entries(void)
{
	static const char text[] =
		"# results of job 42\n"
		"https://bucket.s3.amazonaws.com/a.parquet?X-Amz-Signature=SECRET\n"
		"  out=results-a.parquet\n"
		"  checksum=sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\n"
		"  head=https://bucket.s3.amazonaws.com/a.parquet?X-Amz-Signature=HEADSIG\n"
		"\n"
		"https://example.com/b.bin\n"
		"  checksum=md5:098f6bcd4621d373cade4e832627b4f6\n"
		"  checksum=xxh3:9ec9f7918d7dfc40\n"
		"https://example.com/c.bin\n";
	struct input in;
	struct input_entry *e;
	char hex[2 * DIGEST_MAX + 1];

	if (!good(&in, text, "the example parses"))
		return;
	is_u64(in.n, 3, "three entries");
	e = &in.e[0];
	is_str(e->url, "https://bucket.s3.amazonaws.com/a.parquet?X-Amz-Signature=SECRET",
	       "first URL, query kept");
	is_str(e->out, "results-a.parquet", "first out=");
	is_str(e->head, "https://bucket.s3.amazonaws.com/a.parquet?X-Amz-Signature=HEADSIG",
	       "head= keeps its query ('=' after the first one is in the value)");
	is_int(e->line, 2, "first entry is on line 2");
	is_int(e->nchecksums, 1, "one checksum");
	digest_hex(e->checksums[0].want, 32, hex);
	ok(e->checksums[0].alg == DIGEST_SHA256 && !strcmp(hex, sha256_test), "sha256 parsed");
	ok(e->checksums[0].source && strstr(e->checksums[0].source, "input file"),
	   "checksum source names the input file");
	e = &in.e[1];
	ok(!e->out && !e->head && e->line == 7, "second entry: no out=, no head=, line 7");
	ok(e->nchecksums == 2 && e->checksums[0].alg == DIGEST_MD5 &&
		   e->checksums[1].alg == DIGEST_XXH3,
	   "checksum= repeats, in order");
	digest_hex(e->checksums[1].want, 8, hex);
	is_str(hex, "9ec9f7918d7dfc40", "xxh3 value");
	e = &in.e[2];
	ok(!e->out && !e->head && !e->checksums && e->nchecksums == 0 && e->line == 10,
	   "an entry without options");
	input_release(&in);
	ok(in.n == 0 && !in.e && in.cap == 0, "input_release empties the list");
}

static void test_layout(void)
{
	struct input in;

	good(&in,
	     "\n   \n\t\n# comment\nhttp://h/a?sig=SECRET   \n\t out \t=\t x y.bin \t\n"
	     "  # out=commented.bin\n#\n\thead = http://h/h\n",
	     "blank lines, comments, indented comments, tabs, blanks around NAME and VALUE");
	ok(in.n == 1 && !strcmp(in.e[0].url, "http://h/a?sig=SECRET") &&
		   !strcmp(in.e[0].out, "x y.bin") && !strcmp(in.e[0].head, "http://h/h") &&
		   in.e[0].line == 5,
	   "trailing blanks trimmed from the URL, inner blanks kept in out=");
	input_release(&in);

	good(&in, "http://h/a\r\n  out=a.bin\r\n\r\nhttp://h/b\r\n  out=b.bin\r\n", "CRLF");
	ok(in.n == 2 && !strcmp(in.e[0].out, "a.bin") && !strcmp(in.e[1].url, "http://h/b") &&
		   in.e[1].line == 4,
	   "CRLF: no CR left in values, lines counted");
	input_release(&in);

	good(&in, "\xef\xbb\xbfhttp://h/a\n", "a UTF-8 BOM is skipped");
	ok(in.n == 1 && !strcmp(in.e[0].url, "http://h/a") && in.e[0].line == 1,
	   "BOM: the URL on line 1");
	input_release(&in);

	good(&in, "http://h/a\n  out=a.bin", "no newline after the last line (an option)");
	ok(in.n == 1 && !strcmp(in.e[0].out, "a.bin"), "last option read");
	input_release(&in);
	good(&in, "http://h/a\nhttp://h/b", "no newline after the last line (a URL)");
	ok(in.n == 2 && !strcmp(in.e[1].url, "http://h/b"), "last URL read");
	input_release(&in);
	good(&in, "http://h/a\r\n  out=a.bin\r", "a last line ending in CR only");
	ok(in.n == 1 && !strcmp(in.e[0].out, "a.bin"), "CR stripped from the last line");
	input_release(&in);

	good(&in, "http://h/a\n  out=sub/dir/a=b.bin\nhttp://h/b\n  out=/abs/b.bin\n",
	     "out= paths: directories, '=' in the value, absolute (as -o)");
	ok(in.n == 2 && !strcmp(in.e[0].out, "sub/dir/a=b.bin") &&
		   !strcmp(in.e[1].out, "/abs/b.bin"),
	   "out= values as written");
	input_release(&in);
}

static void test_checksums(void)
{
	static const char aria2[] =
		"http://h/a\n"
		"  checksum=sha-256=9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\n"
		"  checksum=sha-1=a94a8fe5ccb19ba61c4c0873d391e987982fbbd3\n"
		"  checksum=md5=098f6bcd4621d373cade4e832627b4f6\n"
		"  checksum=SHA-256=9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08\n"
		"  checksum = xxh3:9ec9f7918d7dfc40\n";
	char text[2048], *p;
	struct input in;
	struct input_entry *e;
	char hex[2 * DIGEST_MAX + 1];

	if (good(&in, aria2, "aria2's checksum=TYPE=HEX spelling")) {
		e = &in.e[0];
		is_int(e->nchecksums, 5, "five checksums, haul's spelling among them");
		ok(e->checksums[0].alg == DIGEST_SHA256 && e->checksums[1].alg == DIGEST_SHA1 &&
			   e->checksums[2].alg == DIGEST_MD5 && e->checksums[3].alg == DIGEST_SHA256,
		   "sha-256, sha-1, md5 and SHA-256 mapped to haul's algorithms");
		digest_hex(e->checksums[1].want, 20, hex);
		is_str(hex, "a94a8fe5ccb19ba61c4c0873d391e987982fbbd3", "sha-1 value");
		digest_hex(e->checksums[3].want, 32, hex);
		is_str(hex, sha256_test, "upper-case hex");
	}
	input_release(&in);
	snprintf(text, sizeof(text), "http://h/a\n  checksum=sha256 : %s\n", sha256_test);
	bad(text, "in.txt:2: checksum= wants ALGO:HEX", "blanks inside ALGO:HEX are not trimmed");

	p = text + snprintf(text, sizeof(text), "http://h/a?sig=SECRET\n");
	for (int i = 0; i < CLI_MAX_CHECKSUMS; i++)
		p += snprintf(p, sizeof(text) - (size_t)(p - text), "  checksum=sha256:%s\n",
			      sha256_test);
	good(&in, text, "8 checksums are fine");
	ok(in.n == 1 && in.e[0].nchecksums == 8, "8 checksums kept");
	input_release(&in);
	snprintf(p, sizeof(text) - (size_t)(p - text), "  checksum=md5:%s\n",
		 "098f6bcd4621d373cade4e832627b4f6");
	bad(text, "in.txt:10: more than 8 checksum=", "9 checksums are an error on the 9th's line");

	bad("http://h/a\n  checksum=blake3:abcd\n", "in.txt:2: checksum=: unknown algorithm 'blake3'",
	    "unknown algorithm");
	bad("http://h/a\n  checksum=sha-224=abcd\n", "in.txt:2: checksum=: unknown algorithm 'sha-224'",
	    "an aria2 type haul does not have");
	bad("http://h/a\n  checksum=sha256:abcd\n", "in.txt:2: checksum= sha256: want 64 hex digits",
	    "wrong digest length");
	bad("http://h/a\n  checksum=md5=098f6bcd4621d373cade4e832627b4fZ\n",
	    "in.txt:2: checksum= md5: want 32 hex digits", "a non-hex digit (aria2 spelling)");
	bad("http://h/a\n  checksum=abcdef\n", "in.txt:2: checksum= 'abcdef': want ALGO:HEX",
	    "no separator");
	bad("http://h/a\n  checksum=\n", "in.txt:2: checksum=", "empty checksum=");
	bad("http://h/a\n\n  checksum=md5:http://h/x?sig=SECRET\n", "in.txt:3: checksum= wants ALGO:HEX",
	    "a checksum value that could hold a query is not quoted");
}

static void test_errors(void)
{
	bad("", "in.txt: no URLs", "an empty file");
	bad("\xef\xbb\xbf", "in.txt: no URLs", "only a BOM");
	bad("# nothing\n\n  # here\n", "in.txt: no URLs", "only comments and blank lines");
	bad("\n  out=a.bin\nhttp://h/a\n", "in.txt:2: an indented line is an option",
	    "an option before any URL");
	bad("  https://h/a?sig=SECRET\n", "in.txt:1: an indented line is an option",
	    "an indented URL first");
	bad("http://h/a\n  https://h/b?X-Amz-Signature=SECRET\n", "in.txt:2: unknown option (out=",
	    "an indented URL after a URL");
	bad("http://h/a\n  https://h/b?X-Amz-Signature=SECRET\n", "in.txt:2: unknown option (out=, "
	    "checksum=, head=) (a URL starts at column 0)", "... with a hint");
	bad("http://h/a\n  out a.bin\n", "in.txt:2: want NAME=VALUE", "no '='");
	bad("http://h/a?sig=SECRET\n  dir=/tmp\n", "in.txt:2: unknown option 'dir'",
	    "unknown option named");
	bad("http://h/a\n  Out=a.bin\n", "in.txt:2: unknown option 'Out'", "names are case-sensitive");
	bad("http://h/a\n  =a.bin\n", "in.txt:2: unknown option (", "an empty name");
	bad("http://h/a\n  out=a\n  out=b\n", "in.txt:3: out= repeated (the first is on line 2)",
	    "a repeated out=");
	bad("http://h/a\n  head=http://h/h?sig=SECRET\n\n  head=http://h/h\n",
	    "in.txt:4: head= repeated (the first is on line 2)", "a repeated head=");
	bad("http://h/a\n  out=\n", "in.txt:2: out= is empty", "empty out=");
	bad("http://h/a\n  out=-\n", "in.txt:2: out=- is not supported", "out=-");
	bad("http://h/a\n  out=a\033[2Jb\n", "in.txt:2: out= has a control character",
	    "a control character in out=");
	bad("http://h/a\n  out=a\rb\n", "in.txt:2: out= has a control character",
	    "a CR inside out=");

	bad("http://h/a\nftp://h/b?sig=SECRET\n",
	    "in.txt:2: URL has unsupported scheme 'ftp' (http and https only): ftp://h/b?[redacted]",
	    "a bad scheme, the URL shown redacted");
	bad("http://h/a\n\nnot a URL?sig=SECRET\n", "in.txt:3: white space in the URL",
	    "white space in a URL");
	bad("http://h/a\thttp://mirror/a?sig=SECRET\n", "in.txt:1: white space in the URL",
	    "aria2 mirrors (TAB-separated) are not supported");
	bad("nohost?sig=SECRET\n", "in.txt:1: URL is not a valid absolute URL", "not a URL");
	bad("https://user:SECRET@h/a?sig=SECRET#frag\n  out=x\nfile:///etc/passwd?SECRET\n",
	    "in.txt:3: URL has unsupported scheme 'file'", "file: URLs");
	bad("http://h/a\n  head=ftp://h/b?sig=SECRET\n", "in.txt:2: head= has unsupported scheme",
	    "a bad head= URL");
	bad("http://h/a\n  head=\n", "in.txt:2: head= is empty", "empty head=");
	bad("http://h/a\n  head=http://h/b c?sig=SECRET\n", "in.txt:2: white space in the head= URL",
	    "white space in head=");

	bad("http://h/a\n  out=a.bin\nhttp://h/b\nhttp://h/c\n  out=a.bin\n",
	    "in.txt:4: out='a.bin' is also the output of the URL on line 1",
	    "two entries with one out=, both lines named");
	bad("http://h/a\n  out=x\nhttp://h/b\n  out=y\nhttp://h/c\n  out=y\nhttp://h/d\n  out=x\n",
	    "in.txt:5: out='y' is also the output of the URL on line 3",
	    "the earliest repeated out= is reported");
	bad("http://h/a\n  out=a?SECRET\nhttp://h/b\n  out=a?SECRET\n",
	    "in.txt:3: out= is also the output of the URL on line 1",
	    "an out= that could hold a query is not quoted");
	bad_len("http://h/a\n  out=a\0b\n", 20, "in.txt:2: a NUL byte", "a NUL byte");
	bad_len("\0", 1, "in.txt:1: a NUL byte", "a NUL byte alone");
	{
		size_t n = 11 + 6 + INPUT_MAX_LINE + 2;
		char *t = malloc(n + 1);
		struct input in;

		memcpy(t, "http://h/a\n  out=", 17);
		memset(t + 17, 'a', INPUT_MAX_LINE - 6);
		memcpy(t + 11 + INPUT_MAX_LINE, "\r\n", 3);
		good(&in, t, "a line of exactly 64 KiB (and CR LF)");
		ok(in.n == 1 && strlen(in.e[0].out) == INPUT_MAX_LINE - 6, "its out= is whole");
		input_release(&in);
		t[11 + INPUT_MAX_LINE] = 'a';
		bad(t, "in.txt:2: line longer than 64 KiB", "a line one byte longer than 64 KiB");
		free(t);
	}
}

static void test_limits(void)
{
	size_t n = INPUT_MAX_BYTES + 1u;
	char *t = malloc(n);
	struct haul_error err;
	struct input in;
	int r;

	memset(t, '\n', n);
	memcpy(t, "http://h/a\n", 11);
	bad_len(t, n, "in.txt: larger than 64 MiB", "input larger than 64 MiB");
	haul_error_init(&err);
	input_init(&in);
	r = input_parse(&in, t, n - 1, "in.txt", &err);
	ok(r == 0 && in.n == 1, "input of exactly 64 MiB is fine");
	input_release(&in);
	free(t);

	/* 1,000,001 entries of "http://h/\n". */
	n = (INPUT_MAX_ENTRIES + 1u) * 10;
	t = malloc(n + 1);
	for (size_t i = 0; i < n; i += 10)
		memcpy(t + i, "http://h/\n", 10);
	t[n] = '\0';
	bad_len(t, n, "in.txt:1000001: more than 1000000 URLs", "more than 1,000,000 entries");
	r = input_parse(&in, t, n - 10, "in.txt", &err);
	ok(r == 0 && in.n == INPUT_MAX_ENTRIES, "1,000,000 entries are fine");
	r = parse(&in, "http://h/more\n", &err);
	ok(r == HAUL_EUSAGE && in.n == INPUT_MAX_ENTRIES && err.msg &&
		   !strcmp(err.msg, "in.txt:1: more than 1000000 URLs"),
	   "the limit counts entries appended by earlier calls");
	input_release(&in);
	free(t);
	haul_error_release(&err);
}

static void test_append(void)
{
	struct haul_error err;
	struct input in;

	haul_error_init(&err);
	input_init(&in);
	ok(parse(&in, "http://h/a\n  out=a.bin\nhttp://h/b\n", &err) == 0 && in.n == 2,
	   "first file: two entries");
	ok(parse(&in, "http://h/c\n  out=a.bin\n", &err) == 0 && in.n == 3 &&
		   !strcmp(in.e[2].url, "http://h/c") && in.e[2].line == 1,
	   "a second file appends, lines are its own, out= is not compared across files");
	ok(parse(&in, "http://h/d\nhttp://h/e\n  out=x\n  bogus=1\n", &err) == HAUL_EUSAGE &&
		   in.n == 3 && !strcmp(in.e[2].url, "http://h/c") && !strcmp(in.e[0].out, "a.bin"),
	   "a bad file leaves the list as it was");
	ok(parse(&in, "  out=x\nhttp://h/f\n", &err) == HAUL_EUSAGE && in.n == 3,
	   "an option before this file's first URL is an error even after earlier entries");
	input_release(&in);
	haul_error_release(&err);
}

static void test_read(void)
{
	static const char text[] = "http://h/a?sig=SECRET\n  out=a.bin\n";
	struct haul_error err;
	struct input in;
	char want[4200];
	const char *path;
	int fds[2], saved, fd;

	haul_error_init(&err);
	input_init(&in);
	path = tmpfile_with(text, sizeof(text) - 1);
	ok(input_read(&in, path, &err) == 0 && in.n == 1 && !strcmp(in.e[0].out, "a.bin"),
	   "reads a file");
	input_release(&in);
	unlink(path);

	path = tmpfile_with("http://h/a\n  outt=a.bin\n", 24);
	snprintf(want, sizeof(want), "%s:2: unknown option 'outt' (out=, checksum=, head=)", path);
	ok(input_read(&in, path, &err) == HAUL_EUSAGE && err.msg && !strcmp(err.msg, want),
	   "errors name the file and line");
	if (err.msg && strcmp(err.msg, want))
		diag("message was: %s", err.msg);
	unlink(path);
	snprintf(want, sizeof(want), "%s: No such file or directory", path);
	ok(input_read(&in, path, &err) == HAUL_EUSAGE && err.msg && !strcmp(err.msg, want),
	   "a missing file: usage error with the OS reason");
	if (err.msg && strcmp(err.msg, want))
		diag("message was: %s", err.msg);
	ok(input_read(&in, "/", &err) == HAUL_EUSAGE && err.msg &&
		   !strcmp(err.msg, "/: Is a directory"),
	   "a directory: usage error");
	path = tmpfile_with(text, sizeof(text) - 1);
	if (geteuid() == 0) {
		ok(1, "an unreadable file # SKIP running as root");
	} else {
		chmod(path, 0);
		snprintf(want, sizeof(want), "%s: Permission denied", path);
		ok(input_read(&in, path, &err) == HAUL_EUSAGE && err.msg && !strcmp(err.msg, want),
		   "an unreadable file: usage error");
	}
	unlink(path);
	/* Opens, but reading address 0 of our own memory fails. */
	ok(input_read(&in, "/proc/self/mem", &err) == HAUL_EUSAGE && err.msg &&
		   !strcmp(err.msg, "/proc/self/mem: Input/output error"),
	   "a read error: usage error with the OS reason");
	if (err.msg && strcmp(err.msg, "/proc/self/mem: Input/output error"))
		diag("message was: %s", err.msg);

	/* Sparse files of zeros: the size is checked before any content. */
	path = tmpfile_with("", 0);
	fd = open(path, O_WRONLY);
	ok(fd >= 0 && ftruncate(fd, INPUT_MAX_BYTES + 1u) == 0 && close(fd) == 0, "a sparse file");
	snprintf(want, sizeof(want), "%s: larger than 64 MiB", path);
	ok(input_read(&in, path, &err) == HAUL_EUSAGE && err.msg && !strcmp(err.msg, want),
	   "a file over 64 MiB");
	ok(truncate(path, INPUT_MAX_BYTES) == 0, "cut to 64 MiB");
	snprintf(want, sizeof(want), "%s:1: a NUL byte, not a text file", path);
	ok(input_read(&in, path, &err) == HAUL_EUSAGE && err.msg && !strcmp(err.msg, want),
	   "a file of exactly 64 MiB is read (and its NUL bytes found)");
	unlink(path);

	/* Standard input: a temporary file, then a pipe, on fd 0. */
	saved = dup(0);
	path = tmpfile_with(text, sizeof(text) - 1);
	fd = open(path, O_RDONLY);
	ok(fd >= 0 && dup2(fd, 0) == 0, "a file on standard input");
	close(fd);
	unlink(path);
	ok(input_read(&in, "-", &err) == 0 && in.n == 1 && !strcmp(in.e[0].out, "a.bin"),
	   "\"-\" reads standard input");
	ok(fcntl(0, F_GETFD) != -1, "standard input is left open");
	input_release(&in);
	ok(pipe(fds) == 0 && dup2(fds[0], 0) == 0, "a pipe on standard input");
	close(fds[0]);
	ok(write(fds[1], "http://h/a\n  head=x\n", 20) == 20 && close(fds[1]) == 0, "written");
	ok(input_read(&in, "-", &err) == HAUL_EUSAGE && err.msg &&
		   !strncmp(err.msg, "standard input:2: head= is not a valid", 38),
	   "errors call it \"standard input\"");
	if (err.msg && strncmp(err.msg, "standard input:2:", 17))
		diag("message was: %s", err.msg);
	ok(pipe(fds) == 0 && dup2(fds[0], 0) == 0 && close(fds[0]) == 0 && close(fds[1]) == 0,
	   "an empty pipe on standard input");
	ok(input_read(&in, "-", &err) == HAUL_EUSAGE && err.msg &&
		   !strcmp(err.msg, "standard input: no URLs"),
	   "empty standard input: no URLs");
	dup2(saved, 0);
	close(saved);
	input_release(&in);
	haul_error_release(&err);
}

int main(void)
{
	test_entries();
	test_layout();
	test_checksums();
	test_errors();
	test_limits();
	test_append();
	test_read();
	return tap_done();
}
