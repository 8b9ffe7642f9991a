/*
 * input.h -- batch input files (haul -i FILE), modeled on aria2's: a line at
 * column 0 is a URL and starts an entry; the indented NAME=VALUE lines under
 * it are its options (out=, checksum=, head=); '#' lines and blank lines are
 * ignored. Parsing and checking only: nothing here touches the network.
 */
#ifndef HAUL_INPUT_H
#define HAUL_INPUT_H

#include <stddef.h>

#include "digest.h"
#include "err.h"
#include "opts.h"

#define INPUT_MAX_BYTES (64u << 20)  /* a larger input is an error */
#define INPUT_MAX_LINE (64u << 10)   /* bytes in a line, without its CR LF */
#define INPUT_MAX_ENTRIES 1000000u   /* entries in one struct input */

/* One URL of an input file and its options. */
struct input_entry {
	char *url;  /* owned, malloced: passed url_check */
	char *out;  /* owned, NULL or malloced: out=, a path as written */
	char *head; /* owned, NULL or malloced: head=, passed url_check */
	struct expect *checksums; /* owned, NULL or malloced: the checksum= values */
	unsigned nchecksums;      /* at most CLI_MAX_CHECKSUMS */
	unsigned line;            /* the URL's line in its file, from 1 */
};

struct input {
	struct input_entry *e; /* owned, NULL or malloced: n entries, in file order */
	size_t n;
	size_t cap;
};

/* An empty list; never fails. */
void input_init(struct input *in);

/*
 * Parse one input file's text (len bytes, NUL bytes are an error) and append
 * its entries to in. name is what messages call the file ("standard input").
 * Returns 0; HAUL_EUSAGE with err holding one line, "NAME:LINE: what is
 * wrong" or "NAME: no URLs", that never shows a URL's query string; or
 * HAUL_EFAIL when out of memory. On error in is left as it was before the
 * call. Duplicate out= values are looked for among this call's entries only.
 */
int input_parse(struct input *in, const char *text, size_t len, const char *name,
		struct haul_error *err);

/*
 * Read the file at path ("-": standard input, which is not closed) and
 * input_parse() it. A missing, unreadable or oversized file or a directory
 * is HAUL_EUSAGE, "PATH: reason"; otherwise as input_parse().
 */
int input_read(struct input *in, const char *path, struct haul_error *err);

/* Free every entry; in is then empty and can be reused. */
void input_release(struct input *in);

#endif
