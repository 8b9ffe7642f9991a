/*
 * cli.c -- the option table and the parser built from it.
 *
 * Each option is declared once, as a row: names, argument kind, bounds,
 * default and help. getopt_long's tables, the --help text, defaults and
 * range checks are all derived from these rows.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "shard.h"
#include "digest.h"
#include "header.h"
#include "num.h"

enum arg_kind {
	ARG_FLAG,   /* int set to 1 */
	ARG_COUNT,  /* int incremented */
	ARG_STRING, /* const char * borrowed from argv */
	ARG_TEXT,   /* like ARG_STRING, sent in a header: no control characters */
	ARG_USER,   /* like ARG_TEXT, "USER:PASSWORD": a credential, never echoed */
	ARG_FILE,   /* like ARG_STRING, a file that must be readable */
	ARG_SIGV4,  /* like ARG_STRING, a provider string for CURLOPT_AWS_SIGV4 */
	ARG_HEADER, /* appended to opts.headers, checked */
	ARG_CHECKSUM, /* appended to opts.checksums, parsed */
	ARG_UINT,   /* uint64_t, decimal, within [min, max] */
	ARG_CONNS,  /* like ARG_UINT, or "auto" for 0 */
	ARG_CHOICE, /* int: the index of the word in meta ("a|b|c") */
	ARG_SIZE,   /* uint64_t, byte count with k/M/G/T suffix */
	ARG_MSEC,   /* uint64_t milliseconds, from "2", "0.5s" or "250ms" */
	ARG_HELP,   /* --help */
	ARG_VERSION /* --version */
};

struct cli_option {
	const char *name; /* long name, without "--" */
	int letter;       /* short option letter, or 0 */
	enum arg_kind kind;
	const char *meta; /* argument name in --help, NULL for none */
	size_t off;       /* field in struct opts */
	uint64_t def, min, max;
	const char *help;
	unsigned flags;   /* CLI_NODEF or 0 */
};

/*
 * Per download or one-shot, and credentials (a default would send them to
 * every host): from the command line only, never from a config file or
 * the environment (conf.c).
 */
#define CLI_NODEF 1u

#define OFF(field) offsetof(struct opts, field)
#define KiB (1024ull)
#define MiB (1024ull * 1024)
#define GiB (1024ull * 1024 * 1024)

/* Sorted by long name. */
static const struct cli_option options[] = {
	{ "api-base", 0, ARG_STRING, "URL", OFF(api_base), 0, 0, 0,
	  "sutro, sarvam: the API's base URL (tests, proxies)", CLI_NODEF },
	{ "api-timeout", 0, ARG_MSEC, "TIME", OFF(api_timeout_ms), 300000, 1000, 86400 * 1000,
	  "give up a result API call after TIME (default 5m)" },
	{ "aws-sigv4", 0, ARG_SIGV4, "PROVIDER", OFF(aws_sigv4), 0, 0, 0,
	  "sign requests with AWS SigV4, e.g. aws:amz:us-east-1:s3", CLI_NODEF },
	{ "cacert", 0, ARG_FILE, "FILE", OFF(cacert), 0, 0, 0,
	  "verify TLS servers against the CA certificates in FILE" },
	{ "checksum", 'c', ARG_CHECKSUM, "ALGO:HEX", 0, 0, 0, 0,
	  "check the file's md5, sha1, sha256, sha512, xxh64, xxh3, xxh128, crc32, crc32c or "
	  "crc64nvme (hex or base64; repeatable)",
	  CLI_NODEF },
	{ "checkpoint-bytes", 0, ARG_SIZE, "SIZE", OFF(cp_bytes), 64 * MiB, 64 * KiB, 1024 * GiB,
	  "record progress after SIZE new bytes, and sync it (default 64M)" },
	{ "checkpoint-interval", 0, ARG_MSEC, "TIME", OFF(cp_ms), 25, 10, 3600 * 1000,
	  "...or after TIME, e.g. 2 or 250ms (default 25ms)" },
	{ "config", 0, ARG_FILE, "FILE", OFF(config), 0, 0, 0,
	  "read defaults from FILE, not ~/.config/haul/config", CLI_NODEF },
	{ "connections", 'n', ARG_CONNS, "N|auto", OFF(connections), 16, 1, 512,
	  "parallel connections, 1 to 512, or auto (default 16)" },
	{ "connect-timeout", 0, ARG_MSEC, "TIME", OFF(connect_ms), 30000, 100, 600 * 1000,
	  "give up connecting after TIME (default 30s)" },
	{ "dir", 'd', ARG_STRING, "DIR", OFF(dir), 0, 0, 0,
	  "put output files in DIR" },
	{ "etag-part-size", 0, ARG_SIZE, "SIZE", OFF(etag_part_size), 0, 64 * KiB, 5 * GiB,
	  "part size of a multipart ETag or S3 composite checksum (default: try those its "
	  "part count allows)", CLI_NODEF },
	{ "force", 'f', ARG_FLAG, NULL, OFF(force), 0, 0, 0,
	  "replace the output file if it exists", CLI_NODEF },
	{ "head-url", 0, ARG_STRING, "URL", OFF(head_url), 0, 0, 0,
	  "probe size and identity with HEAD on this URL instead", CLI_NODEF },
	{ "header", 'H', ARG_HEADER, "LINE", 0, 0, 0, 0,
	  "add 'Name: value' to every request to the object (repeatable)" },
	{ "help", 'h', ARG_HELP, NULL, 0, 0, 0, 0, "show this help and exit", CLI_NODEF },
	{ "http2", 0, ARG_FLAG, NULL, OFF(http2), 0, 0, 0,
	  "offer HTTP/2 over TLS (still one connection per range)" },
	{ "include-cumulative-logprobs", 0, ARG_FLAG, NULL, OFF(include_logprobs), 0, 0, 0,
	  "sutro: include cumulative log probabilities", CLI_NODEF },
	{ "include-inputs", 0, ARG_FLAG, NULL, OFF(include_inputs), 0, 0, 0,
	  "sutro: include the inputs as columns", CLI_NODEF },
	{ "input-file", 'i', ARG_STRING, "FILE", OFF(input), 0, 0, 0,
	  "download the URLs FILE lists (- for stdin), with out=, checksum=, head=",
	  CLI_NODEF },
	{ "insecure", 0, ARG_FLAG, NULL, OFF(insecure), 0, 0, 0,
	  "do not verify TLS certificates (unsafe)" },
	{ "ipv4", '4', ARG_FLAG, NULL, OFF(ipv4), 0, 0, 0,
	  "resolve host names to IPv4 addresses only" },
	{ "ipv6", '6', ARG_FLAG, NULL, OFF(ipv6), 0, 0, 0,
	  "resolve host names to IPv6 addresses only" },
	{ "jobs", 'j', ARG_UINT, "N", OFF(jobs), 16, 1, 256,
	  "with -i or haul sarvam: N downloads at once (default 16)" },
	{ "keep-journal", 0, ARG_FLAG, NULL, OFF(keep_journal), 0, 0, 0,
	  "keep FILE.haul (block digests) after a complete download" },
	{ "max-connections", 0, ARG_UINT, "N", OFF(max_connections), 16, 1, 512,
	  "with --connections auto: at most N (default 16)" },
	{ "max-speed", 0, ARG_SIZE, "SIZE", OFF(max_speed), 0, 0, 1024 * GiB,
	  "download at most SIZE bytes per second (default 0: no cap)" },
	{ "min-split-size", 'k', ARG_SIZE, "SIZE", OFF(min_split), 1 * MiB, 64 * KiB, 1024 * GiB,
	  "never split a range below SIZE bytes (default 1M)" },
	{ "netrc", 0, ARG_FLAG, NULL, OFF(netrc), 0, 0, 0,
	  "log in with the host's credentials from ~/.netrc, if any" },
	{ "netrc-file", 0, ARG_FILE, "FILE", OFF(netrc_file), 0, 0, 0,
	  "--netrc with FILE instead of ~/.netrc" },
	{ "no-config", 0, ARG_FLAG, NULL, OFF(no_config), 0, 0, 0,
	  "read no default config file", CLI_NODEF },
	{ "no-journal", 0, ARG_FLAG, NULL, OFF(no_journal), 0, 0, 0,
	  "do not write FILE.haul: the download cannot be resumed" },
	{ "no-verify", 0, ARG_FLAG, NULL, OFF(no_verify), 0, 0, 0,
	  "do not check the file against its ETag or digest headers" },
	{ "output", 'o', ARG_STRING, "FILE", OFF(output), 0, 0, 0,
	  "write to FILE (default: the URL's last path segment; - for standard output)",
	  CLI_NODEF },
	{ "progress", 0, ARG_CHOICE, "auto|bar|lines|json|none", OFF(progress), 0, 0, 0,
	  "how to show progress (default auto: bar on a terminal, else lines)" },
	{ "progress-fd", 0, ARG_UINT, "FD", OFF(progress_fd), 0, 1, 1024,
	  "write progress to descriptor FD instead of stderr" },
	{ "progress-interval", 0, ARG_MSEC, "TIME", OFF(progress_ms), 0, 100, 3600 * 1000,
	  "lines: one every TIME (default 10s); json: progress events (1s)" },
	{ "proxy", 'x', ARG_STRING, "URL", OFF(proxy), 0, 0, 0,
	  "use this proxy (default: from http_proxy, https_proxy)" },
	{ "quiet", 'q', ARG_FLAG, NULL, OFF(quiet), 0, 0, 0, "print errors only" },
	{ "refresh-cmd", 0, ARG_STRING, "CMD", OFF(refresh_cmd), 0, 0, 0,
	  "run CMD (sh -c) for a fresh URL when the URL expires", CLI_NODEF },
	{ "refresh-timeout", 0, ARG_MSEC, "TIME", OFF(refresh_timeout_ms), 30000, 100, 3600 * 1000,
	  "kill the refresh command after TIME (default 30s)" },
	{ "restart", 0, ARG_FLAG, NULL, OFF(restart), 0, 0, 0,
	  "discard FILE.haul and FILE.part and start over", CLI_NODEF },
	{ "retries", 0, ARG_UINT, "N", OFF(retries), 10, 1, 1000,
	  "give up a range after N failed requests in a row (default 10)" },
	{ "retry-max-time", 0, ARG_MSEC, "TIME", OFF(retry_max_ms), 600000, 1000, 86400 * 1000,
	  "stop when failing for TIME without a byte (default 600s)" },
	{ "retry-rate", 0, ARG_UINT, "N", OFF(retry_rate), 10, 1, 10000,
	  "at most N repeated requests per second (default 10)" },
	{ "shard", 0, ARG_STRING, "K/N|auto", OFF(shard), 0, 0, 0,
	  "fetch share K of N (from 0) of the object, or entry K, K+N, ... of a batch; "
	  "auto: from a Slurm job array, auto/N: a Kubernetes indexed job", CLI_NODEF },
	{ "stall-timeout", 0, ARG_MSEC, "TIME", OFF(stall_ms), 30000, 1000, 3600 * 1000,
	  "re-request a range that sent nothing for TIME (default 30s)" },
	{ "sync-interval", 0, ARG_MSEC, "TIME", OFF(sync_ms), 1000, 10, 3600 * 1000,
	  "sync data and journal every TIME at least (default 1s)" },
	{ "url-ttl", 0, ARG_MSEC, "TIME", OFF(url_ttl_ms), 0, 1000, 604800 * 1000,
	  "sutro: ask for URLs valid for TIME, 1s to 7d (default: the API's, 1h)", CLI_NODEF },
	{ "user", 'u', ARG_USER, "USER:PASSWORD", OFF(user), 0, 0, 0,
	  "log in with HTTP Basic auth, or the --aws-sigv4 key", CLI_NODEF },
	{ "user-agent", 'A', ARG_TEXT, "STRING", OFF(user_agent), 0, 0, 0,
	  "send User-Agent: STRING (default haul/" PACKAGE_VERSION ")" },
	{ "verbose", 'v', ARG_COUNT, NULL, OFF(verbose), 0, 0, 0,
	  "say more: requests and ranges (twice for debug)" },
	{ "version", 'V', ARG_VERSION, NULL, 0, 0, 0, 0, "show versions and exit", CLI_NODEF },
	{ "wait", 0, ARG_FLAG, NULL, OFF(wait), 0, 0, 0,
	  "sarvam: wait until a job that is still running ends", CLI_NODEF },
	{ "window", 0, ARG_SIZE, "SIZE", OFF(window), 64 * MiB, 1 * MiB, 1 * GiB,
	  "with -o -: bytes held to put ranges in order (default 64M)" },
};

#define NOPTIONS (sizeof(options) / sizeof(options[0]))

static void *field(struct opts *o, const struct cli_option *opt)
{
	return (char *)o + opt->off;
}

static void set_defaults(struct opts *o)
{
	memset(o, 0, sizeof(*o));
	for (size_t i = 0; i < NOPTIONS; i++)
		if (options[i].kind == ARG_UINT || options[i].kind == ARG_SIZE ||
		    options[i].kind == ARG_MSEC || options[i].kind == ARG_CONNS)
			*(uint64_t *)field(o, &options[i]) = options[i].def;
}

static const char *kind_name(enum arg_kind k)
{
	return k == ARG_SIZE ? "size" : k == ARG_MSEC ? "duration"
	       : k == ARG_CONNS ? "number (or auto)" : "number";
}

static int set_number(struct opts *o, const struct cli_option *opt, const char *arg,
		      struct haul_error *err)
{
	uint64_t v;
	int r;

	if (opt->kind == ARG_CONNS && strcmp(arg, "auto") == 0) {
		*(uint64_t *)field(o, opt) = 0;
		return 0;
	}
	if (opt->kind == ARG_SIZE)
		r = num_parse_size(arg, &v);
	else if (opt->kind == ARG_MSEC)
		r = num_parse_msec(arg, &v);
	else
		r = num_parse_u64(arg, &v);
	if (r == NUM_EINVAL)
		return haul_error_set(err, HAUL_EUSAGE, "--%s: '%s' is not a %s", opt->name, arg,
				      kind_name(opt->kind));
	if (r == NUM_ERANGE || v < opt->min || v > opt->max) {
		if (opt->kind == ARG_MSEC)
			return haul_error_set(err, HAUL_EUSAGE,
					      "--%s: '%s' is out of range (%llums to %llus)",
					      opt->name, arg, (unsigned long long)opt->min,
					      (unsigned long long)opt->max / 1000);
		return haul_error_set(err, HAUL_EUSAGE, "--%s: '%s' is out of range (%llu to %llu%s)",
				      opt->name, arg, (unsigned long long)opt->min,
				      (unsigned long long)opt->max,
				      opt->kind == ARG_SIZE ? " bytes" : "");
	}
	*(uint64_t *)field(o, opt) = v;
	return 0;
}

/* A file that can be opened for reading (not a directory); errno if not. */
static int readable_file(const char *path)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return 0;
	if (fstat(fd, &st) != 0 || S_ISDIR(st.st_mode)) {
		close(fd);
		errno = EISDIR;
		return 0;
	}
	close(fd);
	return 1;
}

/* The index of arg among the '|'-separated words of opt->meta. */
static int set_choice(struct opts *o, const struct cli_option *opt, const char *arg,
		      struct haul_error *err)
{
	const char *w = opt->meta;
	size_t len = strlen(arg);

	for (int i = 0; *w; i++) {
		size_t n = strcspn(w, "|");

		if (n == len && strncmp(w, arg, n) == 0) {
			*(int *)field(o, opt) = i;
			return CLI_RUN;
		}
		w += n + (w[n] == '|');
	}
	return haul_error_set(err, HAUL_EUSAGE, "--%s: '%s' is not one of %s", opt->name, arg,
			      opt->meta);
}

static int add_header(struct opts *o, const char *line, struct haul_error *err)
{
	const char *why = header_check(line);
	size_t name = strcspn(line, ": \t");

	/* The name only: the value may be a secret, even without a colon. */
	if (why)
		return haul_error_set(err, HAUL_EUSAGE, "-H '%.*s%s': %s", (int)(name < 40 ? name : 40),
				      line, line[name] ? " ..." : "", why);
	if (o->nheaders == HEADER_MAX)
		return haul_error_set(err, HAUL_EUSAGE, "more than %d -H options", HEADER_MAX);
	o->headers[o->nheaders++] = line;
	return CLI_RUN;
}

static int add_checksum(struct opts *o, const char *spec, struct haul_error *err)
{
	if (o->nchecksums == CLI_MAX_CHECKSUMS)
		return haul_error_set(err, HAUL_EUSAGE, "more than %d --checksum options",
				      CLI_MAX_CHECKSUMS);
	if (digest_parse_expect(spec, &o->checksums[o->nchecksums], err))
		return err->code;
	o->nchecksums++;
	return CLI_RUN;
}

static int has_control(const char *s)
{
	for (; *s; s++)
		if (iscntrl((unsigned char)*s))
			return 1;
	return 0;
}

/*
 * libcurl's provider1[:provider2[:region[:service]]]: parts of at most 64
 * characters (its limit, beyond which it cuts them silently).
 */
static int sigv4_ok(const char *s)
{
	int parts = 1;
	size_t len = 0;

	for (; *s; s++) {
		if (*s == ':') {
			if (!len || ++parts > 4)
				return 0;
			len = 0;
		} else if (!isalnum((unsigned char)*s) && !strchr("-_.", *s)) {
			return 0;
		} else if (++len > 64) {
			return 0;
		}
	}
	return len > 0;
}

/* A string option's value: checked by kind, then borrowed. */
static int set_string(struct opts *o, const struct cli_option *opt, const char *arg,
		      struct haul_error *err)
{
	if (opt->kind == ARG_TEXT && has_control(arg))
		return haul_error_set(err, HAUL_EUSAGE, "--%s: control character (CR, LF, ...) "
				      "in the value", opt->name);
	/* Never the value: it holds a password. */
	if (opt->kind == ARG_USER && (has_control(arg) || !strchr(arg, ':')))
		return haul_error_set(err, HAUL_EUSAGE, "--%s: want USER:PASSWORD, without "
				      "control characters", opt->name);
	if (opt->kind == ARG_FILE && !readable_file(arg))
		return haul_error_set(err, HAUL_EUSAGE, "--%s %s: %s", opt->name, arg,
				      errno == EISDIR ? "is a directory" : strerror(errno));
	if (opt->kind == ARG_SIGV4 && !sigv4_ok(arg))
		return haul_error_set(err, HAUL_EUSAGE, "--%s '%s': want PROVIDER1[:PROVIDER2"
				      "[:REGION[:SERVICE]]], e.g. aws:amz:us-east-1:s3", opt->name,
				      arg);
	*(const char **)field(o, opt) = arg;
	return CLI_RUN;
}

static int apply(struct opts *o, const struct cli_option *opt, const char *arg,
		 struct haul_error *err)
{
	switch (opt->kind) {
	case ARG_FLAG:
		*(int *)field(o, opt) = 1;
		return CLI_RUN;
	case ARG_COUNT:
		(*(int *)field(o, opt))++;
		return CLI_RUN;
	case ARG_STRING:
	case ARG_TEXT:
	case ARG_USER:
	case ARG_FILE:
	case ARG_SIGV4:
		return set_string(o, opt, arg, err);
	case ARG_CHOICE:
		return set_choice(o, opt, arg, err);
	case ARG_HEADER:
		return add_header(o, arg, err);
	case ARG_CHECKSUM:
		return add_checksum(o, arg, err);
	case ARG_UINT:
	case ARG_CONNS:
	case ARG_SIZE:
	case ARG_MSEC:
		return set_number(o, opt, arg, err);
	case ARG_HELP:
		return CLI_HELP;
	case ARG_VERSION:
		return CLI_VERSION;
	}
	return haul_error_set(err, HAUL_EFAIL, "--%s: unhandled option kind", opt->name);
}

static int check_operands(struct opts *o, struct haul_error *err);
static int check_stream(const struct opts *o, struct haul_error *err);

static int takes_arg(const struct cli_option *opt)
{
	return opt->kind != ARG_FLAG && opt->kind != ARG_COUNT && opt->kind != ARG_HELP &&
	       opt->kind != ARG_VERSION;
}

/* Flags that exclude each other. */
static const char *const conflicts[][2] = {
	{ "quiet", "verbose" },
	{ "no-journal", "keep-journal" },
	{ "ipv4", "ipv6" },
	{ "config", "no-config" },
};

/*
 * Both of a pair set: the one from the later source (1 config file,
 * 2 environment, 3 command line) wins, as other values do; from the same
 * source it is an error.
 */
static int resolve_conflicts(struct opts *o, const unsigned char *layer, struct haul_error *err)
{
	static const char *const from[] = { "", " (both in the config file)",
					    " (both from the environment)", "" };

	for (size_t k = 0; k < sizeof(conflicts) / sizeof(conflicts[0]); k++) {
		int a = cli_find(conflicts[k][0]), b = cli_find(conflicts[k][1]);
		const struct cli_option *lose;

		if (a < 0 || b < 0)
			return haul_error_set(err, HAUL_EFAIL, "option table out of step");
		if (!layer[a] || !layer[b])
			continue;
		if (layer[a] == layer[b])
			return haul_error_set(err, HAUL_EUSAGE, "--%s and --%s conflict%s",
					      options[a].name, options[b].name, from[layer[a]]);
		lose = &options[layer[a] < layer[b] ? a : b];
		if (lose->kind == ARG_FLAG || lose->kind == ARG_COUNT)
			*(int *)field(o, lose) = 0;
		else
			*(const char **)field(o, lose) = NULL;
	}
	return 0;
}

int cli_parse(int argc, char **argv, struct opts *o, struct haul_error *err)
{
	return cli_parse_layered(argc, argv, 0, 0, o, err);
}

int cli_parse_layered(int argc, char **argv, int nfile, int nenv, struct opts *o,
		      struct haul_error *err)
{
	struct option longopts[NOPTIONS + 1];
	char shortopts[2 * NOPTIONS + 2], *sp = shortopts;
	unsigned char layer[NOPTIONS] = { 0 }; /* the last source that set each */
	int c, idx, ret = CLI_RUN;

	set_defaults(o);
	*sp++ = ':'; /* report a missing argument as ':' */
	for (size_t i = 0; i < NOPTIONS; i++) {
		longopts[i].name = options[i].name;
		longopts[i].has_arg = takes_arg(&options[i]) ? required_argument : no_argument;
		longopts[i].flag = NULL;
		longopts[i].val = 256 + (int)i;
		if (options[i].letter) {
			*sp++ = (char)options[i].letter;
			if (takes_arg(&options[i]))
				*sp++ = ':';
		}
	}
	*sp = '\0';
	memset(&longopts[NOPTIONS], 0, sizeof(longopts[NOPTIONS]));

	opterr = 0;
	optind = 0; /* glibc: a full re-initialisation, so tests can parse twice */
	while ((c = getopt_long(argc, argv, shortopts, longopts, &idx)) != -1) {
		const struct cli_option *opt = NULL;
		int at = optind - 1; /* where a --name[=value] from conf.c was */

		if (c == '?' || c == ':') {
			const char *bad = argv[optind - 1];

			if (c == ':')
				return haul_error_set(err, HAUL_EUSAGE,
						      "option '%s' needs an argument", bad);
			if (optopt && optopt < 256 && strncmp(bad, "--", 2) != 0)
				return haul_error_set(err, HAUL_EUSAGE, "unknown option '-%c'",
						      optopt);
			return haul_error_set(err, HAUL_EUSAGE, "unknown option '%s'", bad);
		}
		if (c >= 256) {
			opt = &options[c - 256];
		} else {
			for (size_t i = 0; i < NOPTIONS; i++)
				if (options[i].letter == c)
					opt = &options[i];
		}
		if (!opt)
			return haul_error_set(err, HAUL_EFAIL, "option table out of step");
		/* conf.c writes long options only, one argument each. */
		layer[opt - options] = c < 256 || at > nfile + nenv ? 3 : at > nfile ? 2 : 1;
		c = apply(o, opt, optarg, err);
		if (c < 0)
			return c;
		if (c != CLI_RUN && ret == CLI_RUN)
			ret = c; /* --help or --version: still parse the rest for errors */
	}
	if (ret != CLI_RUN)
		return ret;
	if (resolve_conflicts(o, layer, err))
		return err->code;
	if (o->netrc_file)
		o->netrc = 1;
	o->args = argv + optind;
	o->nargs = argc - optind;
	return check_operands(o, err);
}

size_t cli_noptions(void)
{
	return NOPTIONS;
}

void cli_info(size_t i, struct cli_info *out)
{
	out->name = options[i].name;
	out->value = takes_arg(&options[i]);
	out->count = options[i].kind == ARG_COUNT;
	out->repeats = options[i].kind == ARG_HEADER || options[i].kind == ARG_CHECKSUM;
	out->nodef = (options[i].flags & CLI_NODEF) != 0;
}

int cli_find(const char *name)
{
	for (size_t i = 0; i < NOPTIONS; i++)
		if (strcmp(options[i].name, name) == 0)
			return (int)i;
	return -1;
}

int cli_check(size_t i, const char *value, struct haul_error *err)
{
	struct opts scratch;
	int r;

	set_defaults(&scratch);
	r = apply(&scratch, &options[i], value, err);
	return r < 0 ? r : 0;
}

/* What follows the options, by mode; options that belong to another mode. */
/* -i FILE: the file names the URLs and what goes with each. */
static int check_input(struct opts *o, struct haul_error *err)
{
	o->mode = MODE_INPUT;
	if (o->nargs)
		return haul_error_set(err, HAUL_EUSAGE, "-i %s and a URL ('%s'): give the URLs in "
				      "the file, or on the command line", o->input, o->args[0]);
	if (o->output || o->head_url || o->nchecksums)
		return haul_error_set(err, HAUL_EUSAGE, "-o, --head-url and --checksum name one "
				      "download; with -i, give out=, head= and checksum= per URL in "
				      "the file");
	if (o->include_inputs || o->include_logprobs || o->api_base)
		return haul_error_set(err, HAUL_EUSAGE, "--include-inputs, "
				      "--include-cumulative-logprobs and --api-base belong to "
				      "'haul sutro' and 'haul sarvam'");
	return CLI_RUN;
}

static int check_operands(struct opts *o, struct haul_error *err)
{
	if (o->shard) {
		int r = shard_parse(o->shard, &o->shard_k, &o->shard_n, err);

		if (r)
			return r;
	}
	if (o->input)
		return check_input(o, err);
	if (!o->nargs)
		return haul_error_set(err, HAUL_EUSAGE, "no URL given (try 'haul --help')");
	if (strcmp(o->args[0], "sutro") == 0) {
		o->mode = MODE_SUTRO;
		if (o->nargs != 2)
			return haul_error_set(err, HAUL_EUSAGE, "usage: haul sutro [OPTIONS] JOB_ID");
	} else if (strcmp(o->args[0], "sarvam") == 0) {
		o->mode = MODE_SARVAM;
		if (o->nargs < 2)
			return haul_error_set(err, HAUL_EUSAGE,
					      "usage: haul sarvam [OPTIONS] JOB_ID [FILE...]");
		if (o->output && o->nargs == 2)
			return haul_error_set(err, HAUL_EUSAGE, "-o names one file; without FILE "
					      "names 'haul sarvam' fetches every output of the job: "
					      "use --dir");
		if (o->output && strcmp(o->output, "-") == 0 && o->nargs > 3)
			return haul_error_set(err, HAUL_EUSAGE, "-o - streams one download to "
					      "standard output, not %d", o->nargs - 2);
		if (o->output && o->nargs > 3)
			return haul_error_set(err, HAUL_EUSAGE, "-o names one file; with several, "
					      "use --dir");
	} else if (strcmp(o->args[0], "status") == 0) {
		o->mode = MODE_STATUS;
		if (o->nargs != 2)
			return haul_error_set(err, HAUL_EUSAGE, "usage: haul status FILE");
	} else if (strcmp(o->args[0], "verify") == 0) {
		o->mode = MODE_VERIFY;
		if (o->nargs != 2)
			return haul_error_set(err, HAUL_EUSAGE,
					      "usage: haul verify [--checksum ALGO:HEX]... FILE");
	} else {
		o->mode = MODE_URL;
		if (o->nargs > 1)
			return haul_error_set(err, HAUL_EUSAGE, "more than one URL given ('%s'); "
					      "haul fetches one URL per run", o->args[1]);
		o->url = o->args[0];
	}
	if (o->mode != MODE_SUTRO && (o->include_inputs || o->include_logprobs))
		return haul_error_set(err, HAUL_EUSAGE, "--include-inputs and "
				      "--include-cumulative-logprobs belong to 'haul sutro'");
	if (o->mode != MODE_SUTRO && o->url_ttl_ms)
		return haul_error_set(err, HAUL_EUSAGE, "--url-ttl belongs to 'haul sutro'");
	if (o->url_ttl_ms % 1000)
		return haul_error_set(err, HAUL_EUSAGE, "--url-ttl: the Sutro API takes whole "
				      "seconds, not %" PRIu64 " ms", o->url_ttl_ms);
	if (o->mode != MODE_SARVAM && o->wait)
		return haul_error_set(err, HAUL_EUSAGE, "--wait belongs to 'haul sarvam'");
	if (o->shard) {
		if (o->mode == MODE_VERIFY || o->mode == MODE_STATUS)
			return haul_error_set(err, HAUL_EUSAGE, "--shard is for downloads, not "
					      "'haul %s'", o->args[0]);
		if (o->no_journal)
			return haul_error_set(err, HAUL_EUSAGE, "--shard needs the journal: the "
					      "shards find out from it who is done");
		if (o->output && strcmp(o->output, "-") == 0)
			return haul_error_set(err, HAUL_EUSAGE, "--shard writes FILE.part on a "
					      "shared file system, not standard output");
	}
	if (o->mode != MODE_URL && (o->head_url || o->refresh_cmd))
		return haul_error_set(err, HAUL_EUSAGE, "--head-url and --refresh-cmd are for "
				      "URLs; 'haul %s' gets and renews its URLs itself",
				      o->args[0]);
	if (o->mode == MODE_URL && o->api_base)
		return haul_error_set(err, HAUL_EUSAGE, "--api-base belongs to 'haul sutro' and "
				      "'haul sarvam'");
	return check_stream(o, err);
}

/* -o -: options about the file are errors; a terminal gets no bytes. */
static int check_stream(const struct opts *o, struct haul_error *err)
{
	const char *file_opt = o->dir ? "--dir" : o->keep_journal ? "--keep-journal"
			       : o->restart ? "--restart" : o->force ? "--force" : NULL;

	if (!o->output || strcmp(o->output, "-") != 0 || o->mode == MODE_VERIFY)
		return CLI_RUN;
	if (file_opt)
		return haul_error_set(err, HAUL_EUSAGE, "%s does not go with -o -: a stream to "
				      "standard output has no file or journal", file_opt);
	if (o->progress_fd == 1)
		return haul_error_set(err, HAUL_EUSAGE, "--progress-fd 1 does not go with -o -: "
				      "standard output carries the object");
	if (isatty(STDOUT_FILENO))
		return haul_error_set(err, HAUL_EUSAGE, "refusing to write the object to a "
				      "terminal; redirect or pipe it");
	/* Closed, descriptor 1 would be the next socket or file opened. */
	if (fcntl(STDOUT_FILENO, F_GETFD) < 0)
		return haul_error_set(err, HAUL_EUSAGE, "-o -: standard output is closed");
	return CLI_RUN;
}

/* "-n, --connections N" or "    --http2": the left column of --help. */
static void help_left(const struct cli_option *opt, char *buf, size_t len)
{
	snprintf(buf, len, "%c%c%c --%s%s%s", opt->letter ? '-' : ' ',
		 opt->letter ? opt->letter : ' ', opt->letter ? ',' : ' ', opt->name,
		 opt->meta ? " " : "", opt->meta ? opt->meta : "");
}

void cli_usage(FILE *fp)
{
	char left[64];
	int width = 0;

	fputs("Usage: haul [OPTIONS] URL\n"
	      "       haul [OPTIONS] -i FILE\n"
	      "       haul sutro [OPTIONS] JOB_ID\n"
	      "       haul sarvam [OPTIONS] JOB_ID FILE...\n"
	      "       haul verify [--checksum ALGO:HEX]... FILE\n"
	      "Download URL over parallel HTTP range requests into one file; or the\n"
	      "results of a Sutro batch job, or output files of a Sarvam batch job.\n"
	      "'haul verify' checks a finished file against digests or its kept journal.\n"
	      "\n"
	      "Options:\n",
	      fp);
	for (size_t i = 0; i < NOPTIONS; i++) {
		help_left(&options[i], left, sizeof(left));
		if ((int)strlen(left) > width)
			width = (int)strlen(left);
	}
	for (size_t i = 0; i < NOPTIONS; i++) {
		help_left(&options[i], left, sizeof(left));
		fprintf(fp, "  %-*s  %s\n", width, left, options[i].help);
	}
	fputs("\nSee haul(1) for details and exit codes.\n", fp);
}
