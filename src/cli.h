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
 */
int cli_parse(int argc, char **argv, struct opts *o, struct haul_error *err);

/* Write the --help text, generated from the option table. */
void cli_usage(FILE *fp);

#endif
