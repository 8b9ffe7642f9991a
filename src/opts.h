/*
 * opts.h -- the configuration of one haul run: plain data, filled by cli.c
 * from the command line, after defaults from the config file and the
 * environment (conf.c); built-in defaults live in cli.c's option table.
 *
 * "Borrowed" strings point into the argument vector cli_parse() was given:
 * main's argv, or the vector conf.c builds, which struct opts then owns
 * (store, below) so that they live as long as it does.
 */
#ifndef HAUL_OPTS_H
#define HAUL_OPTS_H

#include <stddef.h>
#include <stdint.h>

#include "digest.h"
#include "header.h"

/* --checksum options at most. */
#define CLI_MAX_CHECKSUMS 8

enum opts_mode {
	MODE_URL = 0, /* haul URL */
	MODE_SUTRO,   /* haul sutro JOB_ID */
	MODE_SARVAM,  /* haul sarvam JOB_ID FILE... */
	MODE_VERIFY,  /* haul verify FILE */
	MODE_INPUT,   /* haul -i FILE */
	MODE_STATUS,  /* haul status FILE */
};

/*
 * What a struct opts owns: the argument vector conf.c built (the config
 * file's and the environment's options, then main's argv) and the strings
 * it made for it. Freed by opts_release().
 */
struct opts_store {
	char **argv;  /* owned array, NULL or malloced; its strings are main's or strs' */
	char **strs;  /* owned array of owned strings, NULL or malloced */
	size_t nstrs;
};

struct opts {
	int mode;             /* an enum opts_mode */
	char **args;          /* borrowed from argv: the operands after the mode */
	int nargs;
	const char *url;      /* borrowed from argv: the object to fetch (MODE_URL) */
	const char *dir;      /* borrowed, NULL: where output files go */
	const char *api_base; /* borrowed, NULL: the result API's base URL */
	int include_inputs;   /* sutro: include_inputs=true */
	int include_logprobs; /* sutro: include_cumulative_logprobs=true */
	uint64_t url_ttl_ms;  /* sutro: expires_in_seconds (0: the API's default) */
	uint64_t api_timeout_ms; /* one result API call may take this long */
	int wait;             /* sarvam: wait for a running job to end */
	const char *shard;    /* borrowed, NULL: --shard as given */
	unsigned shard_k, shard_n; /* --shard K/N (auto resolved); N 0: none */
	const char *head_url; /* borrowed, NULL: a URL signed for HEAD */
	const char *output;   /* borrowed, NULL: name taken from the URL */
	const char *input;    /* borrowed, NULL: -i, a file listing URLs */
	const char *refresh_cmd; /* borrowed, NULL: prints a fresh URL */
	uint64_t refresh_timeout_ms; /* how long the refresh command may run */
	uint64_t connections; /* parallel connections, 0: auto */
	uint64_t max_connections; /* auto: at most this many */
	uint64_t jobs;        /* downloads at once in a batch */
	uint64_t min_split;   /* smallest range created by splitting */
	uint64_t cp_bytes;    /* checkpoint after this many bytes... */
	uint64_t cp_ms;       /* ...or this many milliseconds */
	uint64_t sync_ms;     /* fdatasync data and journal this often */
	const char *cacert;   /* borrowed, NULL: CA bundle for TLS */
	const char *headers[HEADER_MAX]; /* borrowed from argv: -H lines */
	unsigned nheaders;
	uint64_t retries;     /* failed requests in a row on one range */
	uint64_t retry_max_ms;/* failing this long without progress: stop */
	uint64_t retry_rate;  /* repeated requests per second, at most */
	uint64_t stall_ms;    /* no byte for this long: abandon the request */
	uint64_t connect_ms;  /* connect timeout */
	int insecure;         /* do not verify TLS certificates */
	int force;            /* replace an existing output file */
	int keep_journal;     /* keep FILE.haul after success */
	int no_journal;       /* do not write a journal (not resumable) */
	int no_verify;        /* do not check ETags and digest headers */
	uint64_t etag_part_size; /* multipart ETag part size, 0: guess */
	struct expect checksums[CLI_MAX_CHECKSUMS]; /* --checksum */
	unsigned nchecksums;
	int restart;          /* discard a journal and partial file, start over */
	uint64_t window;      /* -o -: bytes held to put ranges back in order */
	int http2;            /* offer HTTP/2 (one connection per range still) */
	int quiet;            /* -q: errors only */
	int progress;         /* an enum report_mode: --progress */
	uint64_t progress_fd; /* --progress-fd, 0: stderr */
	uint64_t progress_ms; /* --progress-interval, 0: the mode's default */
	int verbose;          /* -v count */
	const char *user_agent; /* borrowed, NULL: haul/VERSION */
	uint64_t max_speed;   /* bytes/s over all connections of a download, 0: no cap */
	int netrc;            /* credentials for the host from a netrc file */
	const char *netrc_file; /* borrowed, NULL: ~/.netrc */
	const char *proxy;    /* borrowed, NULL: libcurl's *_proxy variables */
	int ipv4, ipv6;       /* resolve host names to one address family only */
	const char *user;     /* borrowed, NULL: "USER:PASSWORD", a credential */
	const char *aws_sigv4; /* borrowed, NULL: the provider to sign for */
	const char *aws_token; /* borrowed, NULL: AWS_SESSION_TOKEN (a credential) */
	const char *config;   /* borrowed, NULL: the default config file */
	int no_config;        /* read no default config file */
	struct opts_store store; /* owned: see above */
};

/* Free what o owns (o->store); o's borrowed strings die with it. */
void opts_release(struct opts *o);

#endif
