/*
 * opts.h -- the configuration of one haul run: plain data, filled from the
 * command line by cli.c (defaults live in cli.c's option table).
 */
#ifndef HAUL_OPTS_H
#define HAUL_OPTS_H

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
	const char *head_url; /* borrowed, NULL: a URL signed for HEAD */
	const char *output;   /* borrowed, NULL: name taken from the URL */
	const char *refresh_cmd; /* borrowed, NULL: prints a fresh URL */
	uint64_t refresh_timeout_ms; /* how long the refresh command may run */
	uint64_t connections; /* parallel connections, 0: auto */
	uint64_t max_connections; /* auto: at most this many */
	uint64_t min_split;   /* smallest range created by splitting */
	uint64_t cp_bytes;    /* checkpoint after this many bytes... */
	uint64_t cp_ms;       /* ...or this many milliseconds */
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
	int verbose;          /* -v count */
};

#endif
