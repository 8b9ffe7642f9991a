/*
 * t-config.c -- defaults from a config file and HAUL_* variables: the
 * format, every error with its file and line or variable, which options
 * may have defaults, and precedence file < environment < command line.
 */
#include "config.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "conf.h"
#include "tap.h"

static char dir[4096], cfg[4096 + 32];

/* Write the config file. */
static void file(const char *text)
{
	FILE *fp = fopen(cfg, "w");

	if (!fp || fputs(text, fp) == EOF || fclose(fp) != 0) {
		diag("cannot write %s", cfg);
		exit(1);
	}
}

/* conf_parse() of "haul" and the arguments, from writable copies. */
static int parsev(struct opts *o, struct haul_error *err, ...)
{
	static char store[16][256];
	static char *argv[17];
	const char *a;
	va_list ap;
	int argc = 0;

	opts_release(o);
	haul_error_release(err);
	va_start(ap, err);
	while ((a = va_arg(ap, const char *)) && argc < 16) {
		snprintf(store[argc], sizeof(store[argc]), "%s", a);
		argv[argc] = store[argc];
		argc++;
	}
	va_end(ap);
	argv[argc] = NULL;
	return conf_parse(argc, argv, o, err);
}

#define PARSE(o, err, ...) parsev(o, err, "haul", __VA_ARGS__, (const char *)NULL)
/* With the test's config file. */
#define PARSEF(o, err, ...) PARSE(o, err, "--config", cfg, __VA_ARGS__)

/* A usage error whose message contains every one of the needles. */
static void usage_error(struct haul_error *err, int r, const char *a, const char *b,
			const char *what)
{
	int good = r == HAUL_EUSAGE && err->msg && strstr(err->msg, a) && (!b || strstr(err->msg, b));

	ok(good, "%s: usage error naming '%s'%s%s%s", what, a, b ? " and '" : "", b ? b : "",
	   b ? "'" : "");
	if (!good)
		diag("r %d, message: %s", r, err->msg ? err->msg : "(none)");
}

/* No HAUL_<option> from the caller's environment, no AWS_* keys. */
static void clean_env(void)
{
	for (size_t i = 0; i < cli_noptions(); i++) {
		struct cli_info info;
		char var[64];

		cli_info(i, &info);
		snprintf(var, sizeof(var), "HAUL_%s", info.name);
		for (char *p = var; *p; p++)
			*p = *p == '-' ? '_' : (char)toupper((unsigned char)*p);
		unsetenv(var);
	}
	unsetenv("AWS_ACCESS_KEY_ID");
	unsetenv("AWS_SECRET_ACCESS_KEY");
	unsetenv("AWS_SESSION_TOKEN");
}

/* Exactly these are command line only: haul(1) lists them under Defaults. */
static void check_nodef(void)
{
	static const char *const only[] = {
		"api-base", "aws-sigv4", "checksum", "config", "etag-part-size", "force",
		"head-url", "help", "include-cumulative-logprobs", "include-inputs", "input-file",
		"no-config",
		"output", "refresh-cmd", "restart", "shard", "url-ttl", "user", "version", "wait",
	};
	size_t n = 0, want = sizeof(only) / sizeof(only[0]);
	int good = 1;

	for (size_t i = 0; i < cli_noptions(); i++) {
		struct cli_info info;
		int listed = 0;

		cli_info(i, &info);
		for (size_t k = 0; k < want; k++)
			listed |= strcmp(only[k], info.name) == 0;
		n += listed;
		if (listed != info.nodef) {
			diag("--%s: %s", info.name, info.nodef ? "command line only, not listed"
			     : "listed, but may have a default");
			good = 0;
		}
	}
	ok(good && n == want, "the options for the command line only are the %zu documented", want);
}

int main(void)
{
	struct haul_error err;
	struct opts o;
	char where[4096 + 64];
	int r;

	haul_error_init(&err);
	memset(&o, 0, sizeof(o));
	snprintf(dir, sizeof(dir), "%s/haul-tc.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(dir)) {
		diag("no scratch directory");
		return 1;
	}
	snprintf(cfg, sizeof(cfg), "%s/config", dir);
	clean_env();
	/* No default file: XDG_CONFIG_HOME is the scratch directory, empty. */
	setenv("XDG_CONFIG_HOME", dir, 1);

	r = PARSE(&o, &err, "http://h/f");
	ok(r == CLI_RUN && o.connections == 16, "no default file, no variables: built-in defaults");
	check_nodef();

	/* The format. */
	file("# a comment\n"
	     "\n"
	     "connections = 8\n"
	     "   min-split-size    2M   \n"
	     "http2\n"
	     "insecure = yes\n"
	     "keep-journal = no\n"
	     "user-agent = \"a \\\"quoted\\\" agent  \"\n"
	     "header = X-A: 1\n"
	     "retry-rate=5\r\n"
	     "verbose = 2\n"
	     "\t# an indented comment\n");
	r = PARSEF(&o, &err, "http://h/f");
	ok(r == CLI_RUN && o.connections == 8 && o.min_split == 2u << 20 && o.http2 && o.insecure &&
		   !o.keep_journal && o.retry_rate == 5 && o.verbose == 2,
	   "name = value, name value, flags, yes/no, no spaces, CR LF, a count, comments");
	ok(r == CLI_RUN && o.user_agent && strcmp(o.user_agent, "a \"quoted\" agent  ") == 0,
	   "a double-quoted value keeps its spaces and \\\" quotes");
	ok(r == CLI_RUN && o.nheaders == 1 && strcmp(o.headers[0], "X-A: 1") == 0,
	   "a header from the file");

	/* Errors name the file and the line. */
	snprintf(where, sizeof(where), "%s:3:", cfg);
	file("connections = 8\n# ok\nconections = 8\n");
	usage_error(&err, PARSEF(&o, &err, "http://h/f"), where, "unknown option 'conections'",
		    "a misspelt option");
	snprintf(where, sizeof(where), "%s:1:", cfg);
	file("connections = 1000\n");
	usage_error(&err, PARSEF(&o, &err, "http://h/f"), where, "out of range", "a bad value");
	file("connections\n");
	usage_error(&err, PARSEF(&o, &err, "http://h/f"), where, "needs a value",
		    "an option without its value");
	file("output = x.bin\n");
	usage_error(&err, PARSEF(&o, &err, "http://h/f"), where, "command line only",
		    "--output: per download");
	file("user = alice:s3cr3t\n");
	usage_error(&err, PARSEF(&o, &err, "http://h/f"), where, "command line only",
		    "--user: a credential");
	ok(!strstr(err.msg ? err.msg : "", "s3cr3t"), "... not echoed");
	file("alice:s3cr3t\n");
	usage_error(&err, PARSEF(&o, &err, "http://h/f"), where, "not an option",
		    "a line that is not an option");
	ok(!strstr(err.msg ? err.msg : "", "s3cr3t"), "... not echoed");
	file("--connections 8\n");
	usage_error(&err, PARSEF(&o, &err, "http://h/f"), where, "without dashes",
		    "an option with dashes");
	file("insecure = maybe\n");
	usage_error(&err, PARSEF(&o, &err, "http://h/f"), where, "yes or no", "a flag's bad value");
	file("user-agent = \"open\n");
	usage_error(&err, PARSEF(&o, &err, "http://h/f"), where, "no closing quote",
		    "an unterminated quote");
	file("user-agent = \"a\" b\n");
	usage_error(&err, PARSEF(&o, &err, "http://h/f"), where, "after the closing quote",
		    "text after the quote");
	file("ipv4\nipv6\n");
	usage_error(&err, PARSEF(&o, &err, "http://h/f"), "conflict", "config file",
		    "-4 and -6 both in the file");
	usage_error(&err, PARSE(&o, &err, "--config", "/no/such/haul.conf", "http://h/f"),
		    "/no/such/haul.conf", NULL, "a missing --config file");
	usage_error(&err, PARSE(&o, &err, "--config", dir, "http://h/f"), "is a directory", NULL,
		    "--config naming a directory");
	usage_error(&err, PARSEF(&o, &err, "--no-config", "http://h/f"), "conflict", NULL,
		    "--config with --no-config");
	file("conections = 8\n");
	r = PARSEF(&o, &err, "--help");
	ok(r == CLI_HELP, "--help reads no config file (a broken one does not hide it)");

	/* The default file: $XDG_CONFIG_HOME/haul/config, and --no-config. */
	snprintf(where, sizeof(where), "%s/haul", dir);
	if (mkdir(where, 0700) != 0)
		diag("cannot make %s", where);
	snprintf(cfg, sizeof(cfg), "%s/haul/config", dir);
	file("connections = 3\n");
	r = PARSE(&o, &err, "http://h/f");
	ok(r == CLI_RUN && o.connections == 3, "$XDG_CONFIG_HOME/haul/config is read by default");
	r = PARSE(&o, &err, "--no-config", "http://h/f");
	ok(r == CLI_RUN && o.connections == 16, "--no-config skips it");

	/* The environment. */
	file("connections = 8\nuser-agent = file\nno-verify\nquiet\nipv4\nheader = X-A: 1\n");
	setenv("HAUL_CONNECTIONS", "3", 1);
	setenv("HAUL_MAX_SPEED", "10M", 1);
	setenv("HAUL_USER_AGENT", "env", 1);
	setenv("HAUL_HEADER", "X-B: 2", 1);
	setenv("HAUL_IPV6", "true", 1);
	r = PARSE(&o, &err, "http://h/f");
	ok(r == CLI_RUN && o.connections == 3 && o.max_speed == 10u << 20 &&
		   strcmp(o.user_agent, "env") == 0,
	   "HAUL_CONNECTIONS, HAUL_MAX_SPEED, HAUL_USER_AGENT win over the file");
	ok(r == CLI_RUN && o.ipv6 && !o.ipv4, "HAUL_IPV6 wins over the file's ipv4 (no conflict)");
	ok(r == CLI_RUN && o.no_verify && o.quiet, "the file's flags stay");
	r = PARSE(&o, &err, "-n", "5", "-A", "cli", "-4", "-v", "-H", "X-C: 3", "http://h/f");
	ok(r == CLI_RUN && o.connections == 5 && strcmp(o.user_agent, "cli") == 0,
	   "the command line wins over both");
	ok(r == CLI_RUN && o.ipv4 && !o.ipv6 && o.verbose == 1 && !o.quiet,
	   "-4 over HAUL_IPV6, -v over the file's quiet");
	ok(r == CLI_RUN && o.nheaders == 3 && strcmp(o.headers[0], "X-A: 1") == 0 &&
		   strcmp(o.headers[1], "X-B: 2") == 0 && strcmp(o.headers[2], "X-C: 3") == 0,
	   "-H lines add up: file, environment, command line");
	setenv("HAUL_NO_VERIFY", "0", 1);
	setenv("HAUL_QUIET", "no", 1);
	r = PARSE(&o, &err, "http://h/f");
	ok(r == CLI_RUN && !o.no_verify && !o.quiet, "HAUL_NO_VERIFY=0, HAUL_QUIET=no cancel the "
	   "file's");
	setenv("HAUL_NO_VERIFY", "maybe", 1);
	usage_error(&err, PARSE(&o, &err, "http://h/f"), "HAUL_NO_VERIFY", "yes or no",
		    "a flag variable that is not yes or no");
	unsetenv("HAUL_NO_VERIFY");
	setenv("HAUL_CONNECTIONS", "many", 1);
	usage_error(&err, PARSE(&o, &err, "http://h/f"), "HAUL_CONNECTIONS", "not a number",
		    "a bad number in a variable");
	setenv("HAUL_CONNECTIONS", "", 1);
	r = PARSE(&o, &err, "http://h/f");
	ok(r == CLI_RUN && o.connections == 8, "an empty variable counts as unset");
	setenv("HAUL_OUTPUT", "/tmp/never", 1);
	setenv("HAUL_TEST_SEED", "7", 1);
	setenv("HAUL_SRCDIR", "x", 1);
	setenv("HAUL_FAULTY", "x", 1);
	setenv("HAUL_NO_SUCH_OPTION", "1", 1);
	setenv("HAUL_USER", "alice:s3cr3t", 1);
	setenv("HAUL_AWS_SIGV4", "aws:amz", 1);
	setenv("HAUL_FORCE", "1", 1);
	setenv("HAUL_CONFIG", "/no/such/file", 1);
	setenv("HAUL_NO_CONFIG", "1", 1);
	r = PARSE(&o, &err, "http://h/f");
	ok(r == CLI_RUN && !o.output && !o.user && !o.aws_sigv4 && !o.force && o.connections == 8,
	   "HAUL_OUTPUT, HAUL_TEST_SEED, unknown HAUL_* and command-line-only ones are ignored");
	clean_env();

	/* Credentials for --aws-sigv4. */
	usage_error(&err, PARSE(&o, &err, "--aws-sigv4", "aws:amz:us-east-1:s3", "http://h/f"),
		    "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "--aws-sigv4 without credentials");
	setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE", 1);
	usage_error(&err, PARSE(&o, &err, "--aws-sigv4", "aws:amz:us-east-1:s3", "http://h/f"),
		    "AWS_SECRET_ACCESS_KEY is not set", NULL, "... with the key id only");
	setenv("AWS_SECRET_ACCESS_KEY", "s3cr3tkey", 1);
	setenv("AWS_SESSION_TOKEN", "t0ken", 1);
	r = PARSE(&o, &err, "--aws-sigv4", "aws:amz:us-east-1:s3", "http://h/f");
	ok(r == CLI_RUN && o.user && strcmp(o.user, "AKIDEXAMPLE:s3cr3tkey") == 0 && o.aws_token &&
		   strcmp(o.aws_token, "t0ken") == 0,
	   "--aws-sigv4 takes the key and the session token from the environment");
	r = PARSE(&o, &err, "--aws-sigv4", "aws:amz:us-east-1:s3", "-u", "k:s", "http://h/f");
	ok(r == CLI_RUN && strcmp(o.user, "k:s") == 0 && !o.aws_token,
	   "-u wins, without the environment's token");
	r = PARSE(&o, &err, "-u", "k:s", "http://h/f");
	ok(r == CLI_RUN && !o.aws_sigv4 && !o.aws_token, "-u alone: Basic, no token");
	setenv("AWS_SESSION_TOKEN", "t0\r\nX-Evil: 1", 1);
	usage_error(&err, PARSE(&o, &err, "--aws-sigv4", "aws:amz", "http://h/f"),
		    "AWS_SESSION_TOKEN", NULL, "a token with CR LF");
	ok(!strstr(err.msg ? err.msg : "", "t0"), "... not echoed");
	clean_env();
	r = PARSE(&o, &err, "--aws-sigv4", "aws:amz", "--netrc-file", "/dev/null", "http://h/f");
	ok(r == CLI_RUN && !o.user, "--aws-sigv4 with --netrc: libcurl takes the key from it");

	/* Without XDG_CONFIG_HOME: ~/.config/haul/config, shown so. */
	unlink(cfg);
	rmdir(where);
	unsetenv("XDG_CONFIG_HOME");
	setenv("HOME", dir, 1);
	snprintf(where, sizeof(where), "%s/.config", dir);
	mkdir(where, 0700);
	snprintf(where, sizeof(where), "%s/.config/haul", dir);
	mkdir(where, 0700);
	snprintf(cfg, sizeof(cfg), "%s/.config/haul/config", dir);
	file("\nconnections = 0\n");
	usage_error(&err, PARSE(&o, &err, "http://h/f"), "~/.config/haul/config:2: --connections",
		    "out of range", "$HOME/.config/haul/config, shown as ~/...");

	opts_release(&o);
	haul_error_release(&err);
	unlink(cfg);
	rmdir(where);
	snprintf(where, sizeof(where), "%s/.config", dir);
	rmdir(where);
	snprintf(cfg, sizeof(cfg), "%s/config", dir);
	unlink(cfg);
	rmdir(dir);
	return tap_done();
}
