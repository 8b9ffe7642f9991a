/*
 * t-cli.c -- option parsing: defaults, values, bounds and every error.
 */
#include "config.h"

#include <string.h>

#include "cli.h"
#include "tap.h"

#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

/*
 * getopt wants char **; copy the literal arguments into writable storage
 * that outlives the parse (struct opts borrows from argv).
 */
static int parsev(struct opts *o, struct haul_error *err, ...)
{
	static char store[16][128];
	static char *argv[17];
	const char *a;
	va_list ap;
	int argc = 0;

	va_start(ap, err);
	while ((a = va_arg(ap, const char *)) && argc < 16) {
		snprintf(store[argc], sizeof(store[argc]), "%s", a);
		argv[argc] = store[argc];
		argc++;
	}
	va_end(ap);
	argv[argc] = NULL;
	return cli_parse(argc, argv, o, err);
}

#define PARSE(o, err, ...) parsev(o, err, "haul", __VA_ARGS__, (const char *)NULL)

/* Parse and expect a usage error whose message contains `needle`. */
static void usage_error(struct haul_error *err, int r, const char *needle, const char *what)
{
	ok(r == HAUL_EUSAGE && err->msg && strstr(err->msg, needle), "%s: usage error naming '%s'",
	   what, needle);
	if (err->msg && !strstr(err->msg, needle))
		diag("message was: %s", err->msg);
	haul_error_release(err);
}

int main(void)
{
	struct haul_error err;
	struct opts o;
	int r;

	haul_error_init(&err);

	r = PARSE(&o, &err, "http://h/f");
	ok(r == CLI_RUN && strcmp(o.url, "http://h/f") == 0, "a lone URL parses");
	is_u64(o.connections, 16, "default connections is 16");
	is_u64(o.min_split, 1 << 20, "default min split is 1 MiB");
	ok(!o.output && !o.head_url && !o.force && !o.quiet && !o.verbose, "other defaults off");

	r = PARSE(&o, &err, "-n", "16", "-o", "out.bin", "--head-url", "http://h/head", "-f",
		  "http://h/f");
	ok(r == CLI_RUN && o.connections == 16 && strcmp(o.output, "out.bin") == 0 &&
		   strcmp(o.head_url, "http://h/head") == 0 && o.force,
	   "short and long options with values");
	r = PARSE(&o, &err, "http://h/f", "--connections=3", "-k", "4M", "-vv");
	ok(r == CLI_RUN && o.connections == 3 && o.min_split == 4u << 20 && o.verbose == 2,
	   "options after the URL, --opt=value, size suffix, counted -v");
	r = PARSE(&o, &err, "--http2", "-q", "http://h/f");
	ok(r == CLI_RUN && o.http2 && o.quiet, "--http2 and -q");
	r = PARSE(&o, &err, "-n1", "http://h/f");
	ok(r == CLI_RUN && o.connections == 1, "-n1 (attached value)");
	r = PARSE(&o, &err, "-n", "512", "http://h/f");
	ok(r == CLI_RUN && o.connections == 512, "512 connections is the maximum");
	r = PARSE(&o, &err, "-n", "auto", "http://h/f");
	ok(r == CLI_RUN && o.connections == 0 && o.max_connections == 16,
	   "-n auto (0), with at most 16 by default");
	r = PARSE(&o, &err, "--connections=auto", "--max-connections", "64", "http://h/f");
	ok(r == CLI_RUN && o.connections == 0 && o.max_connections == 64,
	   "--connections=auto --max-connections 64");

	ok(PARSE(&o, &err, "--help") == CLI_HELP, "--help");
	ok(PARSE(&o, &err, "-h", "http://h/f") == CLI_HELP, "-h with a URL still helps");
	ok(PARSE(&o, &err, "--version") == CLI_VERSION, "--version");
	ok(PARSE(&o, &err, "-V") == CLI_VERSION, "-V");

	usage_error(&err, PARSE(&o, &err, "-n", "0", "http://h/f"), "out of range", "-n 0");
	usage_error(&err, PARSE(&o, &err, "-n", "513", "http://h/f"), "out of range", "-n 513");
	usage_error(&err, PARSE(&o, &err, "-n", "abc", "http://h/f"), "not a number", "-n abc");
	usage_error(&err, PARSE(&o, &err, "-n", "-4", "http://h/f"), "not a number", "-n -4");
	usage_error(&err, PARSE(&o, &err, "-n", "Auto", "http://h/f"), "not a number (or auto)",
		    "-n Auto");
	usage_error(&err, PARSE(&o, &err, "--max-connections", "auto", "http://h/f"),
		    "not a number", "--max-connections auto");
	usage_error(&err, PARSE(&o, &err, "--max-connections", "0", "http://h/f"),
		    "out of range", "--max-connections 0");
	usage_error(&err, PARSE(&o, &err, "-n", "99999999999999999999999", "http://h/f"),
		    "out of range", "-n huge");
	usage_error(&err, PARSE(&o, &err, "-k", "1X", "http://h/f"), "not a size", "-k 1X");
	usage_error(&err, PARSE(&o, &err, "-k", "1k", "http://h/f"), "out of range", "-k 1k");
	usage_error(&err, PARSE(&o, &err, "--bogus", "http://h/f"), "--bogus", "unknown long option");
	usage_error(&err, PARSE(&o, &err, "-Z", "http://h/f"), "-Z", "unknown short option");
	usage_error(&err, PARSE(&o, &err, "http://h/f", "-o"), "needs an argument", "missing value");
	usage_error(&err, PARSE(&o, &err, "-q", "-v", "http://h/f"), "conflict", "-q with -v");
	usage_error(&err, PARSE(&o, &err, "-n", "4"), "no URL", "no URL");
	usage_error(&err, PARSE(&o, &err, "http://h/a", "http://h/b"), "more than one URL",
		    "two URLs");
	usage_error(&err, PARSE(&o, &err, "--version", "--bogus"), "--bogus",
		    "--version does not hide a bad option");

	r = PARSE(&o, &err, "sutro", "--include-inputs", "job-1");
	ok(r == CLI_RUN && o.mode == MODE_SUTRO && o.nargs == 2 && strcmp(o.args[1], "job-1") == 0 &&
		   o.include_inputs && !o.url,
	   "haul sutro --include-inputs JOB_ID");
	r = PARSE(&o, &err, "sarvam", "-d", "out", "job", "0.json", "1.json");
	ok(r == CLI_RUN && o.mode == MODE_SARVAM && o.nargs == 4 && strcmp(o.dir, "out") == 0,
	   "haul sarvam -d DIR JOB FILE FILE");
	r = PARSE(&o, &err, "--checkpoint-interval", "250ms", "--refresh-cmd", "x", "http://h/f");
	ok(r == CLI_RUN && o.mode == MODE_URL && o.cp_ms == 250 && strcmp(o.refresh_cmd, "x") == 0 &&
		   o.refresh_timeout_ms == 30000,
	   "a duration in ms, --refresh-cmd, the refresh timeout's default");
	usage_error(&err, PARSE(&o, &err, "sutro"), "JOB_ID", "sutro without a job");
	usage_error(&err, PARSE(&o, &err, "sutro", "a", "b"), "JOB_ID", "sutro with two jobs");
	usage_error(&err, PARSE(&o, &err, "sarvam"), "JOB_ID", "sarvam without a job");
	r = PARSE(&o, &err, "sarvam", "job");
	ok(r == CLI_RUN && o.mode == MODE_SARVAM && o.nargs == 2,
	   "sarvam with a job and no files: every output of the job");
	usage_error(&err, PARSE(&o, &err, "-o", "f", "sarvam", "job"), "--dir",
		    "sarvam without files and -o");
	r = PARSE(&o, &err, "--url-ttl", "2m", "sutro", "job");
	ok(r == CLI_RUN && o.url_ttl_ms == 120000, "--url-ttl 2m with sutro");
	usage_error(&err, PARSE(&o, &err, "--url-ttl", "0s", "sutro", "job"), "out of range",
		    "--url-ttl below 1 s");
	usage_error(&err, PARSE(&o, &err, "--url-ttl", "8d", "sutro", "job"), "out of range",
		    "--url-ttl above 7 days");
	usage_error(&err, PARSE(&o, &err, "--url-ttl", "1500ms", "sutro", "job"), "whole seconds",
		    "--url-ttl in fractions of a second");
	usage_error(&err, PARSE(&o, &err, "--url-ttl", "1h", "http://h/f"), "sutro",
		    "--url-ttl with a URL");
	usage_error(&err, PARSE(&o, &err, "--wait", "sutro", "job"), "sarvam",
		    "--wait with sutro");
	usage_error(&err, PARSE(&o, &err, "sarvam", "-o", "x", "job", "a", "b"), "--dir",
		    "-o with several sarvam files");
	usage_error(&err, PARSE(&o, &err, "--include-inputs", "http://h/f"), "haul sutro",
		    "--include-inputs without sutro");
	usage_error(&err, PARSE(&o, &err, "sutro", "--head-url", "http://h/h", "j"), "--head-url",
		    "--head-url with sutro");
	usage_error(&err, PARSE(&o, &err, "sarvam", "--refresh-cmd", "x", "j", "f"), "--refresh-cmd",
		    "--refresh-cmd with sarvam");
	usage_error(&err, PARSE(&o, &err, "--api-base", "http://a", "http://h/f"), "--api-base",
		    "--api-base with a URL");
	usage_error(&err, PARSE(&o, &err, "--checkpoint-interval", "5ms", "http://h/f"),
		    "out of range", "a checkpoint interval under 10 ms");
	usage_error(&err, PARSE(&o, &err, "--refresh-timeout", "soon", "http://h/f"),
		    "not a duration", "a timeout that is not a duration");
	usage_error(&err, PARSE(&o, &err, "--no-journal", "--keep-journal", "http://h/f"),
		    "conflict", "--no-journal with --keep-journal");

	/* The usual knobs. */
	r = PARSE(&o, &err, "http://h/f");
	ok(r == CLI_RUN && !o.user_agent && !o.max_speed && !o.netrc && !o.netrc_file && !o.proxy &&
		   !o.ipv4 && !o.ipv6 && !o.user && !o.aws_sigv4,
	   "the new knobs are off by default");
	r = PARSE(&o, &err, "-A", "ua/1", "--max-speed", "1M", "-x", "http://p:3128", "-4",
		  "-u", "alice:pw", "--aws-sigv4", "aws:amz:us-east-1:s3", "http://h/f");
	ok(r == CLI_RUN && strcmp(o.user_agent, "ua/1") == 0 && o.max_speed == 1 << 20 &&
		   strcmp(o.proxy, "http://p:3128") == 0 && o.ipv4 && !o.ipv6 &&
		   strcmp(o.user, "alice:pw") == 0 && strcmp(o.aws_sigv4, "aws:amz:us-east-1:s3") == 0,
	   "-A, --max-speed, -x, -4, -u, --aws-sigv4");
	r = PARSE(&o, &err, "--user-agent=", "--max-speed", "0", "-6", "--aws-sigv4", "goog",
		  "-x", "", "http://h/f");
	ok(r == CLI_RUN && strcmp(o.user_agent, "") == 0 && o.max_speed == 0 && o.ipv6 &&
		   strcmp(o.aws_sigv4, "goog") == 0 && strcmp(o.proxy, "") == 0,
	   "an empty user agent and proxy, --max-speed 0, -6, a one-part provider");
	r = PARSE(&o, &err, "--netrc", "http://h/f");
	ok(r == CLI_RUN && o.netrc && !o.netrc_file, "--netrc");
	r = PARSE(&o, &err, "--netrc-file", "/dev/null", "http://h/f");
	ok(r == CLI_RUN && o.netrc && strcmp(o.netrc_file, "/dev/null") == 0,
	   "--netrc-file implies --netrc");
	usage_error(&err, PARSE(&o, &err, "-4", "-6", "http://h/f"), "conflict", "-4 with -6");
	usage_error(&err, PARSE(&o, &err, "--netrc-file", "/no/such/netrc", "http://h/f"),
		    "/no/such/netrc", "--netrc-file naming a missing file");
	usage_error(&err, PARSE(&o, &err, "--netrc-file", "/", "http://h/f"), "is a directory",
		    "--netrc-file naming a directory");
	usage_error(&err, PARSE(&o, &err, "--cacert", "/no/such/ca.pem", "http://h/f"),
		    "/no/such/ca.pem", "--cacert naming a missing file");
	usage_error(&err, PARSE(&o, &err, "-A", "a\r\nX-Evil: 1", "http://h/f"),
		    "control character", "a user agent with CR LF");
	usage_error(&err, PARSE(&o, &err, "--max-speed", "fast", "http://h/f"), "not a size",
		    "--max-speed fast");
	usage_error(&err, PARSE(&o, &err, "--max-speed", "2T", "http://h/f"), "out of range",
		    "--max-speed 2T");
	r = PARSE(&o, &err, "-u", "s3cr3t", "http://h/f");
	usage_error(&err, r, "USER:PASSWORD", "-u without a colon");
	r = PARSE(&o, &err, "-u", "s3cr3t", "http://h/f");
	ok(r == HAUL_EUSAGE && err.msg && !strstr(err.msg, "s3cr3t"), "... never echoing the value");
	haul_error_release(&err);
	r = PARSE(&o, &err, "-u", "alice:s3\ncr3t", "http://h/f");
	ok(r == HAUL_EUSAGE && err.msg && !strstr(err.msg, "s3"), "-u with a newline: usage error, "
	   "the value not echoed");
	haul_error_release(&err);
	usage_error(&err, PARSE(&o, &err, "--aws-sigv4", "aws:amz:us-east-1:s3:x", "http://h/f"),
		    "PROVIDER1", "--aws-sigv4 with five parts");
	usage_error(&err, PARSE(&o, &err, "--aws-sigv4", "aws::us-east-1", "http://h/f"),
		    "PROVIDER1", "--aws-sigv4 with an empty part");
	usage_error(&err, PARSE(&o, &err, "--aws-sigv4", "aws amz", "http://h/f"), "PROVIDER1",
		    "--aws-sigv4 with a space");
	usage_error(&err, PARSE(&o, &err, "--aws-sigv4", "", "http://h/f"), "PROVIDER1",
		    "--aws-sigv4 empty");

	/* -o -: the window, and what does not go with a stream. */
	r = PARSE(&o, &err, "http://h/f");
	is_u64(o.window, 64u << 20, "default --window is 64 MiB");
	r = PARSE(&o, &err, "--window", "1M", "http://h/f");
	ok(r == CLI_RUN && o.window == 1u << 20, "--window 1M is the minimum");
	r = PARSE(&o, &err, "--window", "1G", "http://h/f");
	ok(r == CLI_RUN && o.window == 1u << 30, "--window 1G is the maximum");
	usage_error(&err, PARSE(&o, &err, "--window", "1023k", "http://h/f"), "out of range",
		    "--window under 1M");
	usage_error(&err, PARSE(&o, &err, "--window", "2G", "http://h/f"), "out of range",
		    "--window over 1G");
	r = PARSE(&o, &err, "-o", "-", "--window", "8M", "http://h/f");
	if (isatty(STDOUT_FILENO))
		usage_error(&err, r, "refusing to write the object to a terminal",
			    "-o - with a terminal as standard output");
	else
		ok(r == CLI_RUN && strcmp(o.output, "-") == 0 && o.window == 8u << 20,
		   "-o - with --window parses (standard output is no terminal here)");
	usage_error(&err, PARSE(&o, &err, "-o", "-", "-d", "out", "http://h/f"),
		    "--dir does not go with -o -", "-o - --dir");
	usage_error(&err, PARSE(&o, &err, "-o", "-", "--keep-journal", "http://h/f"),
		    "--keep-journal does not go with -o -", "-o - --keep-journal");
	usage_error(&err, PARSE(&o, &err, "-o", "-", "--restart", "http://h/f"),
		    "--restart does not go with -o -", "-o - --restart");
	usage_error(&err, PARSE(&o, &err, "-f", "-o", "-", "http://h/f"),
		    "--force does not go with -o -", "-o - -f");
	usage_error(&err, PARSE(&o, &err, "-o", "-", "sarvam", "job", "a", "b"),
		    "streams one download", "-o - with two sarvam files");
	r = PARSE(&o, &err, "-o", "x", "--dir", "out", "--restart", "http://h/f");
	ok(r == CLI_RUN, "--dir and --restart with -o FILE are fine");

	return tap_done();
}
