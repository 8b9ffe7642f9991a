/*
 * cli.h -- the command line: one table of options drives getopt_long,
 * `haul --help` and range checks (and a test keeps it in sync with haul(1)).
 */
#ifndef HAUL_CLI_H
#define HAUL_CLI_H

#include <stdio.h>

#include "err.h"
#include "opts.h"

enum cli_result {
	CLI_RUN = 0,     /* opts filled in: go */
	CLI_HELP = 1,    /* --help was asked for */
	CLI_VERSION = 2, /* --version was asked for */
};

/*
 * Parse argv into o (defaults first). Returns a cli_result, or HAUL_EUSAGE
 * with err naming the offending argument. Strings in o borrow from argv.
 * o owns nothing after it (o->store is left empty).
 */
int cli_parse(int argc, char **argv, struct opts *o, struct haul_error *err);

/*
 * cli_parse() of the vector conf.c builds: argv[1..nfile] are options
 * from the config file, the next nenv from the environment, each one
 * argument, "--name" or "--name=value"; the command line follows. A later
 * value wins (-H lines add up), and of two flags that conflict (-q and -v,
 * -4 and -6, --keep-journal and --no-journal) the one from the later
 * source does; from the same source they are an error.
 */
int cli_parse_layered(int argc, char **argv, int nfile, int nenv, struct opts *o,
		      struct haul_error *err);

/* What conf.c needs to know of option i of the table. */
struct cli_info {
	const char *name; /* long name, without "--" */
	int value;        /* takes a value; else a flag, or a count */
	int count;        /* a count (-v): each time adds one */
	int repeats;      /* values add up (-H) */
	int nodef;        /* command line only, never from a config file or the environment */
};

/* Options in the table, and what option i (< cli_noptions()) is. */
size_t cli_noptions(void);
void cli_info(size_t i, struct cli_info *out);

/* The index of the option with this long name, or -1. */
int cli_find(const char *name);

/*
 * 0 when option i would take value on the command line (its range, its
 * form, a readable file), else HAUL_EUSAGE with err saying why as the
 * command line would, never showing a credential.
 */
int cli_check(size_t i, const char *value, struct haul_error *err);

/* Write the --help text, generated from the option table. */
void cli_usage(FILE *fp);

#endif
