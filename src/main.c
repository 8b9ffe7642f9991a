/*
 * main.c -- haul's entry point: global set-up, signals, options, run, and
 * the mapping of the outcome to an exit status. The only place that exits.
 */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/crypto.h>
#include "xxh.h"

#include "cli.h"
#include "conf.h"
#include "batch.h"
#include "ctl.h"
#include "err.h"
#include "jobs.h"
#include "msg.h"
#include "recheck.h"
#include "report.h"
#include "shard.h"
#include "store.h"

/* The one global: raised by SIGINT/SIGTERM, polled by the transfer loop. */
static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
	/* A second Ctrl-C means now; state on disk is consistent at any write. */
	if (interrupted)
		_exit(haul_exit_status(HAUL_EINTR));
	interrupted = sig;
}

static void signals_setup(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
}

/* msg's sink: every line goes through the progress display. */
static int to_report(void *ctx, int kind, const char *line)
{
	return report_message(ctx, kind, line);
}

static void print_version(void)
{
	const curl_version_info_data *cv = curl_version_info(CURLVERSION_NOW);
	unsigned xv = XXH_versionNumber();

	printf("haul %s\n", PACKAGE_VERSION);
	printf("libcurl %s (%s), xxHash %u.%u.%u, %s\n", cv->version,
	       cv->ssl_version ? cv->ssl_version : "no TLS", xv / 10000, xv / 100 % 100,
	       xv % 100, OpenSSL_version(OPENSSL_VERSION));
}

int main(int argc, char **argv)
{
	struct haul_error err;
	struct report rep;
	struct opts o;
	struct msg m;
	int ret, have_rep = 0, shown = 0;

	haul_error_init(&err);
	msg_init(&m, MSG_NORMAL);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		msg_err(&m, "cannot initialise libcurl");
		return haul_exit_status(HAUL_EFAIL);
	}
	/* Defaults from the config file and HAUL_*, under the command line. */
	ret = conf_parse(argc, argv, &o, &err);
	if (ret == CLI_HELP) {
		cli_usage(stdout);
		ret = 0;
	} else if (ret == CLI_VERSION) {
		print_version();
		ret = 0;
	} else if (ret == CLI_RUN) {
		msg_init(&m, o.quiet ? MSG_QUIET : o.verbose > 1 ? MSG_DEBUG : o.verbose);
		ret = report_init(&rep, &o, &err);
		if (!ret) {
			have_rep = 1;
			m.rep = &rep;
			m.sink = to_report;
			m.sink_ctx = &rep;
		}
		signals_setup();
		if (!ret && o.dir && o.mode != MODE_VERIFY && o.mode != MODE_STATUS)
			ret = store_make_dir(o.dir, &err);
		if (ret)
			; /* the report could not be set up, or --dir: say why below */
		else if (o.mode == MODE_SUTRO)
			ret = jobs_sutro(&o, &m, &interrupted, &err);
		else if (o.mode == MODE_SARVAM)
			ret = jobs_sarvam(&o, &m, &interrupted, &err);
		else if (o.mode == MODE_INPUT)
			ret = jobs_input(&o, &m, &interrupted, &err);
		else if (o.mode == MODE_VERIFY)
			ret = recheck_run(&o, &m, &err);
		else if (o.mode == MODE_STATUS)
			ret = shard_status(o.args[1], &err);
		else
			ret = batch_run_one(&o, &m, &interrupted, NULL, &err);
	}
	if (have_rep) {
		/* JSON: one "error" event per failed file was sent already. */
		unsigned files = rep.finished + rep.errors, failed = rep.errors;

		if (ret < 0 && !rep.errors)
			shown = report_error(&rep, NULL, haul_exit_status(ret),
					     err.msg ? err.msg : haul_code_name(ret));
		else
			shown = ret < 0 && rep.mode == REPORT_JSON && rep.on_stderr;
		report_summary(&rep, files, failed, haul_exit_status(ret));
		m.rep = NULL;
		m.sink = NULL;
		report_release(&rep);
	}
	if (ret < 0 && !shown) {
		msg_err(&m, "%s", err.msg ? err.msg : haul_code_name(ret));
		if (ret == HAUL_EUSAGE && !err.msg)
			msg_err(&m, "try 'haul --help'");
	}
	haul_error_release(&err);
	opts_release(&o);
	curl_global_cleanup();
	if (ret >= 0 && (fflush(stdout) != 0 || ferror(stdout)))
		ret = HAUL_EIO;
	return haul_exit_status(ret);
}
