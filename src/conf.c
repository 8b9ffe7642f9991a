/*
 * conf.c -- defaults from a config file and the environment.
 *
 * Both are read into "--name" and "--name=value" arguments placed before
 * the command line, so cli.c parses and checks them like any other and a
 * later source wins: config file < HAUL_* environment < command line.
 * Each value is checked here first, with cli_check(), so that a bad one is
 * reported with its file and line or its variable.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "cli.h"
#include "conf.h"
#include "num.h"

#define CONF_LINE_MAX 65536 /* bytes in one line of the config file */
#define CONF_ENTRIES_MAX 256 /* options from the file and the environment */
#define CONF_COUNT_MAX 9     /* "verbose = N" */

enum conf_layer { LAYER_FILE = 1, LAYER_ENV = 2 };

/* One option given by the file or the environment. */
struct entry {
	int opt;        /* index in cli's table */
	char *arg;      /* owned: "--name" or "--name=value" */
	unsigned times; /* how often arg goes in: 1, or a count's value */
	int layer;      /* an enum conf_layer */
};

struct conf {
	struct entry *v; /* owned, NULL or malloced */
	size_t n, cap;
};

static void conf_release(struct conf *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->v[i].arg);
	free(c->v);
	c->v = NULL;
	c->n = c->cap = 0;
}

/* Drop what the file or the environment said of opt before: later wins. */
static void conf_forget(struct conf *c, int opt)
{
	size_t k = 0;

	for (size_t i = 0; i < c->n; i++) {
		if (c->v[i].opt == opt)
			free(c->v[i].arg);
		else
			c->v[k++] = c->v[i];
	}
	c->n = k;
}

/* Append "--name[=value]" times times; takes nothing over on failure. */
static int conf_add(struct conf *c, int opt, const char *name, const char *value,
		    unsigned times, int layer, struct haul_error *err)
{
	size_t len = strlen(name) + (value ? strlen(value) + 1 : 0) + 3;
	char *arg;

	if (c->n == CONF_ENTRIES_MAX)
		return haul_error_set(err, HAUL_EUSAGE, "more than %d options from the config file "
				      "and the environment", CONF_ENTRIES_MAX);
	if (c->n == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 16;
		struct entry *v = realloc(c->v, cap * sizeof(*v));

		if (!v)
			return haul_error_set(err, HAUL_EFAIL, "out of memory");
		c->v = v;
		c->cap = cap;
	}
	arg = malloc(len);
	if (!arg)
		return haul_error_set(err, HAUL_EFAIL, "out of memory");
	snprintf(arg, len, "--%s%s%s", name, value ? "=" : "", value ? value : "");
	c->v[c->n++] = (struct entry){ opt, arg, times, layer };
	return 0;
}

/* 1 or 0 for the words a flag takes, -1 for anything else. */
static int yes_no(const char *s)
{
	static const char *const yes[] = { "1", "true", "yes" }, *const no[] = { "0", "false", "no" };

	for (size_t i = 0; i < 3; i++) {
		if (strcasecmp(s, yes[i]) == 0)
			return 1;
		if (strcasecmp(s, no[i]) == 0)
			return 0;
	}
	return -1;
}

/* Prefix err's message with where it came from ("FILE:LINE" or a variable). */
static int located(struct haul_error *err, const char *where)
{
	char *msg = err->msg;

	err->msg = NULL;
	haul_error_set(err, err->code, "%s: %s", where, msg ? msg : haul_code_name(err->code));
	free(msg);
	return err->code;
}

/*
 * Option name with value (NULL: none given) from where: checked and added.
 * A flag or a count takes yes/no words (a count also a number); a flag
 * that says no, or a count of 0, cancels what came before.
 */
static int conf_set(struct conf *c, const char *name, const char *value, const char *where,
		    int layer, struct haul_error *err)
{
	int opt = cli_find(name);
	struct cli_info info;
	uint64_t times = 1;

	if (opt < 0)
		return haul_error_set(err, HAUL_EUSAGE, "%s: unknown option '%s'", where, name);
	cli_info((size_t)opt, &info);
	if (info.nodef)
		return haul_error_set(err, HAUL_EUSAGE, "%s: --%s is for the command line only",
				      where, name);
	if (info.value) {
		if (!value)
			return haul_error_set(err, HAUL_EUSAGE, "%s: --%s needs a value", where, name);
		if (cli_check((size_t)opt, value, err))
			return located(err, where);
		if (!info.repeats)
			conf_forget(c, opt);
		return conf_add(c, opt, name, value, 1, layer, err);
	}
	if (value && yes_no(value) >= 0)
		times = (uint64_t)yes_no(value);
	else if (value && (!info.count || num_parse_u64(value, &times) || times > CONF_COUNT_MAX))
		return haul_error_set(err, HAUL_EUSAGE, "%s: --%s takes %s, not '%s'", where, name,
				      info.count ? "yes, no or a count up to 9" : "yes or no", value);
	conf_forget(c, opt);
	return times ? conf_add(c, opt, name, NULL, (unsigned)times, layer, err) : 0;
}

/* Trim white space at both ends, in place. */
static char *trim(char *s)
{
	size_t len;

	while (isspace((unsigned char)*s))
		s++;
	len = strlen(s);
	while (len && isspace((unsigned char)s[len - 1]))
		s[--len] = '\0';
	return s;
}

/* Undo "..." in place (\" and \\ inside); NULL when it is not well formed. */
static const char *unquote(char *s, const char **why)
{
	char *out = s, *in = s + 1;

	for (; *in && *in != '"'; in++) {
		if (*in == '\\' && (in[1] == '"' || in[1] == '\\'))
			in++;
		*out++ = *in;
	}
	if (*in != '"') {
		*why = "no closing quote";
		return NULL;
	}
	if (in[1]) {
		*why = "text after the closing quote";
		return NULL;
	}
	*out = '\0';
	return s;
}

/* One line: "name = value", "name value", "name", a comment or blank. */
static int conf_line(struct conf *c, char *line, const char *where, struct haul_error *err)
{
	const char *value = NULL, *why = NULL;
	char *p, *name;
	size_t n;

	line = trim(line);
	if (!*line || *line == '#')
		return 0;
	n = strspn(line, "abcdefghijklmnopqrstuvwxyz0123456789-");
	if (line[0] == '-')
		return haul_error_set(err, HAUL_EUSAGE, "%s: write option names without dashes, "
				      "as in 'connections = 8'", where);
	/* Nothing of the line is shown: it may be a password on the wrong line. */
	if (!n || (line[n] && line[n] != '=' && !isspace((unsigned char)line[n])))
		return haul_error_set(err, HAUL_EUSAGE, "%s: not an option (want 'name = value', "
				      "'name value' or 'name')", where);
	name = line;
	p = trim(line + n);
	if (*p == '=')
		p = trim(p + 1);
	else if (!*p)
		p = NULL;
	name[n] = '\0';
	if (p && *p == '"' && !(value = unquote(p, &why)))
		return haul_error_set(err, HAUL_EUSAGE, "%s: %s", where, why);
	return conf_set(c, name, value ? value : p, where, LAYER_FILE, err);
}

/* Read the config file; a missing one is fine unless it was asked for. */
static int conf_file(struct conf *c, const char *path, const char *shown, int must,
		     struct haul_error *err)
{
	FILE *fp = fopen(path, "re");
	struct stat st;
	char *line = NULL, where[4096 + 32];
	size_t size = 0;
	ssize_t len;
	unsigned no = 0;
	int ret = 0;

	if (!fp)
		return !must && (errno == ENOENT || errno == ENOTDIR) ? 0
		       : haul_error_set(err, HAUL_EUSAGE, "%s: %s", shown, strerror(errno));
	if (fstat(fileno(fp), &st) != 0 || S_ISDIR(st.st_mode)) {
		fclose(fp);
		return haul_error_set(err, HAUL_EUSAGE, "%s: is a directory", shown);
	}
	errno = 0;
	while (!ret && (len = getline(&line, &size, fp)) >= 0) {
		snprintf(where, sizeof(where), "%.4096s:%u", shown, ++no);
		if (len > CONF_LINE_MAX)
			ret = haul_error_set(err, HAUL_EUSAGE, "%s: longer than %d bytes", where,
					     CONF_LINE_MAX);
		else if (strlen(line) != (size_t)len)
			ret = haul_error_set(err, HAUL_EUSAGE, "%s: a NUL byte", where);
		else
			ret = conf_line(c, line, where, err);
	}
	if (!ret && ferror(fp))
		ret = haul_error_set(err, HAUL_EUSAGE, "%s: %s", shown, strerror(errno));
	free(line);
	fclose(fp);
	return ret;
}

/* HAUL_<NAME> for each option that may have a default; no other variable. */
static int conf_env(struct conf *c, struct haul_error *err)
{
	char var[64];

	for (size_t i = 0; i < cli_noptions(); i++) {
		struct cli_info info;
		const char *v;
		size_t k;

		cli_info(i, &info);
		if (info.nodef)
			continue;
		k = (size_t)snprintf(var, sizeof(var), "HAUL_%s", info.name);
		if (k >= sizeof(var))
			return haul_error_set(err, HAUL_EFAIL, "option table out of step");
		for (char *p = var; *p; p++)
			*p = *p == '-' ? '_' : (char)toupper((unsigned char)*p);
		v = getenv(var);
		if (v && *v) {
			int r = conf_set(c, info.name, v, var, LAYER_ENV, err);

			if (r)
				return r;
		}
	}
	return 0;
}

/* The default file and how to show it (~ for $HOME); 0 when there is none. */
static int default_path(char *path, size_t len, char *shown, size_t slen)
{
	const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
	size_t h = home ? strlen(home) : 0;

	/* The XDG spec: a relative XDG_CONFIG_HOME is to be ignored. */
	if (xdg && xdg[0] == '/')
		snprintf(path, len, "%s/haul/config", xdg);
	else if (home && *home)
		snprintf(path, len, "%s/.config/haul/config", home);
	else
		return 0;
	if (h && h < strlen(path) && strncmp(path, home, h) == 0 && path[h] == '/')
		snprintf(shown, slen, "~%s", path + h);
	else
		snprintf(shown, slen, "%s", path);
	return 1;
}

/* Keep s (malloced) in o's store; frees it if that fails. */
static int keep(struct opts *o, char *s, struct haul_error *err)
{
	char **strs = s ? realloc(o->store.strs, (o->store.nstrs + 1) * sizeof(*strs)) : NULL;

	if (!strs) {
		free(s);
		return haul_error_set(err, HAUL_EFAIL, "out of memory");
	}
	o->store.strs = strs;
	strs[o->store.nstrs++] = s;
	return 0;
}

static int has_control(const char *s)
{
	for (; *s; s++)
		if (iscntrl((unsigned char)*s))
			return 1;
	return 0;
}

/* --aws-sigv4 without --user: the key from the environment, else netrc's. */
static int aws_credentials(struct opts *o, struct haul_error *err)
{
	const char *id = getenv("AWS_ACCESS_KEY_ID"), *key = getenv("AWS_SECRET_ACCESS_KEY");
	const char *token = getenv("AWS_SESSION_TOKEN");
	size_t len;
	char *user;

	if (!o->aws_sigv4 || o->user)
		return 0;
	id = id && *id ? id : NULL;
	key = key && *key ? key : NULL;
	if (!id && !key && o->netrc)
		return 0; /* libcurl takes them from the host's netrc entry */
	if (!id || !key)
		return haul_error_set(err, HAUL_EUSAGE, "--aws-sigv4 needs credentials: -u KEY:SECRET, "
				      "or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (%s is not set)",
				      id ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID");
	/* Never the values: they are credentials. */
	if (strchr(id, ':') || has_control(id) || has_control(key))
		return haul_error_set(err, HAUL_EUSAGE, "AWS_ACCESS_KEY_ID or AWS_SECRET_ACCESS_KEY "
				      "holds a control character (or the key id a colon)");
	if (token && *token && has_control(token))
		return haul_error_set(err, HAUL_EUSAGE, "AWS_SESSION_TOKEN holds a control "
				      "character");
	len = strlen(id) + strlen(key) + 2;
	user = malloc(len);
	if (user)
		snprintf(user, len, "%s:%s", id, key);
	if (keep(o, user, err))
		return err->code;
	o->user = user;
	if (token && *token) {
		char *copy = strdup(token);

		if (keep(o, copy, err))
			return err->code;
		o->aws_token = copy;
	}
	return 0;
}

/* [argv[0], the defaults..., argv[1..]] in o's store, from c's entries. */
static int build_argv(struct opts *o, struct conf *c, int argc, char **argv, int *nfile,
		      int *nenv, struct haul_error *err)
{
	size_t total = (size_t)argc + 1, k = 1;
	char **v;

	for (size_t i = 0; i < c->n; i++)
		total += c->v[i].times;
	v = malloc(total * sizeof(*v));
	if (!v)
		return haul_error_set(err, HAUL_EFAIL, "out of memory");
	o->store.argv = v;
	v[0] = argv[0];
	*nfile = *nenv = 0;
	for (size_t i = 0; i < c->n; i++) {
		char *arg = c->v[i].arg;

		c->v[i].arg = NULL;
		if (keep(o, arg, err))
			return err->code;
		for (unsigned t = 0; t < c->v[i].times; t++)
			v[k++] = arg;
		if (c->v[i].layer == LAYER_FILE)
			*nfile += (int)c->v[i].times;
		else
			*nenv += (int)c->v[i].times;
	}
	for (int i = 1; i < argc; i++)
		v[k++] = argv[i];
	v[k] = NULL;
	return 0;
}

int conf_parse(int argc, char **argv, struct opts *o, struct haul_error *err)
{
	struct opts_store store = { NULL, NULL, 0 };
	struct conf c = { NULL, 0, 0 };
	char path[4096], shown[4096];
	int ret, nfile = 0, nenv = 0;

	memset(o, 0, sizeof(*o));
	/* The command line alone first: --help and --version read no file,
	 * its errors come first, and it names the file. */
	ret = cli_parse(argc, argv, o, err);
	if (ret != CLI_RUN)
		return ret;
	if (o->config)
		ret = conf_file(&c, o->config, o->config, 1, err);
	else if (!o->no_config && default_path(path, sizeof(path), shown, sizeof(shown)))
		ret = conf_file(&c, path, shown, 0, err);
	if (!ret)
		ret = conf_env(&c, err);
	/* From here on o's strings may point into the store. */
	if (!ret)
		ret = build_argv(o, &c, argc, argv, &nfile, &nenv, err);
	conf_release(&c);
	store = o->store;
	if (!ret)
		ret = cli_parse_layered(argc + nfile + nenv, store.argv, nfile, nenv, o, err);
	o->store = store; /* cli_parse cleared it */
	if (ret == CLI_RUN)
		ret = aws_credentials(o, err);
	return ret;
}
