/*
 * conf.h -- defaults below the command line: options from a config file,
 * then from HAUL_* environment variables, then the command line, each
 * source winning over the one before. (Not "config.h": that name is
 * autoconf's.)
 */
#ifndef HAUL_CONF_H
#define HAUL_CONF_H

#include "err.h"
#include "opts.h"

/*
 * Parse main's argc/argv into o, with the defaults the config file and the
 * environment give: --config FILE, or $XDG_CONFIG_HOME/haul/config, else
 * $HOME/.config/haul/config (a missing default file is fine; --no-config
 * skips it); then HAUL_<NAME> for each option that may have a default
 * (NAME: the long name in upper case, '-' as '_'; other HAUL_* variables
 * are not looked at). With --aws-sigv4 and no --user, the credentials come
 * from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN.
 *
 * Returns a cli_result, or HAUL_EUSAGE with err naming the file and line
 * or the variable. Whatever it returns, o owns memory afterwards: the
 * caller must opts_release(o).
 */
int conf_parse(int argc, char **argv, struct opts *o, struct haul_error *err);

#endif
