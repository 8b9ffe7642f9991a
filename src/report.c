/*
 * report.c -- the status line, the log lines and the JSON events (see
 * report.h). JSON is written with jansson, so every string is escaped.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <jansson.h>

#include "clock.h"
#include "num.h"
#include "report.h"

#define BAR_EVERY_MS 250
#define LINES_EVERY_MS 10000
#define JSON_EVERY_MS 1000
#define NAME_MAX_COLS 24
#define MAP_MIN 8
#define MAP_MAX 60

int report_init(struct report *r, const struct opts *o, struct haul_error *err)
{
	const char *term = getenv("TERM");
	int tty;

	memset(r, 0, sizeof(*r));
	r->t0 = clock_ms();
	r->out = stderr;
	r->on_stderr = 1;
	if (o->progress_fd && o->progress_fd != 2) {
		/* A copy: closing the report's stream leaves the caller's fd. */
		int fd = fcntl((int)o->progress_fd, F_DUPFD_CLOEXEC, 3);

		if (fd < 0 || !(r->out = fdopen(fd, "w"))) {
			int e = errno;

			if (fd >= 0)
				close(fd);
			r->out = stderr;
			return haul_error_set(err, HAUL_EUSAGE, "--progress-fd %llu: %s",
					      (unsigned long long)o->progress_fd,
					      e == EBADF ? "not an open descriptor" : strerror(e));
		}
		r->owned = 1;
		r->on_stderr = 0;
	}
	tty = isatty(fileno(r->out)) && !(term && strcmp(term, "dumb") == 0);
	r->mode = o->progress;
	if (r->mode == REPORT_AUTO)
		r->mode = o->quiet ? REPORT_NONE : tty ? REPORT_BAR : REPORT_LINES;
	if (r->mode == REPORT_BAR && !tty)
		r->mode = REPORT_LINES; /* a bar needs a terminal to redraw on */
	r->color = r->mode == REPORT_BAR && !getenv("NO_COLOR");
	r->interval_ms = o->progress_ms ? o->progress_ms
			 : r->mode == REPORT_JSON ? JSON_EVERY_MS : LINES_EVERY_MS;
	return 0;
}

void report_release(struct report *r)
{
	if (r->drawn && r->out) {
		fputs("\r\033[K", r->out);
		fflush(r->out);
	}
	if (r->owned && r->out)
		fclose(r->out);
	r->out = NULL;
	r->owned = 0;
}

static double since(const struct report *r)
{
	return (double)(clock_ms() - r->t0) / 1000.0;
}

/* --- JSON ------------------------------------------------------------------ */

static json_t *event(const struct report *r, const char *kind, const struct report_item *it)
{
	json_t *o = json_object();

	if (!o)
		return NULL;
	json_object_set_new(o, "v", json_integer(REPORT_VERSION));
	json_object_set_new(o, "event", json_string(kind));
	json_object_set_new(o, "t", json_real((double)(long long)(since(r) * 1000.0) / 1000.0));
	if (it)
		json_object_set_new(o, "file", json_string(it->name));
	return o;
}

static json_t *json_u64(uint64_t v)
{
	return json_integer(v > (uint64_t)INT64_MAX ? INT64_MAX : (json_int_t)v);
}

static json_t *json_str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

static void emit(struct report *r, json_t *o)
{
	char *text;

	if (!o)
		return;
	text = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII | JSON_REAL_PRECISION(9));
	json_decref(o);
	if (!text)
		return;
	fputs(text, r->out);
	fputc('\n', r->out);
	fflush(r->out);
	free(text);
}

/* --- the status line ------------------------------------------------------- */

static unsigned columns(const struct report *r)
{
	struct winsize ws;
	const char *env = getenv("COLUMNS");
	uint64_t cols;

	if (ioctl(fileno(r->out), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	if (env && num_parse_u64(env, &cols) == NUM_OK && cols >= 20 && cols <= 1000)
		return (unsigned)cols;
	return 80;
}

/* The last path component, at most NAME_MAX_COLS columns ("...tail"). */
static void short_name(char *buf, size_t len, const char *path)
{
	const char *base = strrchr(path, '/');
	size_t n;

	base = base && base[1] ? base + 1 : path;
	n = strlen(base);
	if (n <= NAME_MAX_COLS)
		snprintf(buf, len, "%s", base);
	else
		snprintf(buf, len, "...%s", base + n - (NAME_MAX_COLS - 3));
}

struct totals {
	uint64_t done, size, had;
	double rate;
	unsigned conns, retries, refreshes, n;
	const char *waiting;  /* a renewal waited for over a second, NULL */
	unsigned waited_s;
	int size_known;
	int rate_known;       /* some speed has been measured */
};

/* Count it->waiting in t when it has lasted a second (the longest wins). */
static void waiting(struct totals *t, const struct report_item *it)
{
	uint64_t now = clock_ms(), s;

	if (!it->waiting || now < it->waiting_since + 1000)
		return;
	s = (now - it->waiting_since) / 1000;
	if (!t->waiting || s > t->waited_s) {
		t->waiting = it->waiting;
		t->waited_s = (unsigned)s;
	}
}

static void add_up(const struct report *r, struct totals *t)
{
	memset(t, 0, sizeof(*t));
	t->size_known = 1;
	for (const struct report_item *it = r->items; it; it = it->next) {
		t->done += it->done;
		t->had += it->had;
		t->size += it->size;
		t->size_known &= it->size_known;
		t->rate += it->sp.rate;
		t->rate_known |= it->sp.primed;
		t->conns += it->conns;
		t->retries += it->retries;
		t->refreshes += it->refreshes;
		t->n++;
		waiting(t, it);
	}
}

/*
 * The numbers, without the percentage: terse for the bar ("1.70 GiB/4.00
 * GiB 385 MiB/s ETA 6s 16 conn"), in words for log lines ("1.70 of 4.00
 * GiB, 385 MiB/s, ETA 6s, 16 connections").
 */
static void stats_text(char *buf, size_t len, const struct totals *t, int prose)
{
	char done[16], size[16], rate[16], eta[16], extra[128] = "";
	uint64_t left = t->size > t->done ? t->size - t->done : 0;
	const char *sep = prose ? ", " : " ";

	progress_size(done, sizeof(done), t->done);
	progress_size(size, sizeof(size), t->size);
	if (t->rate_known)
		progress_size(rate, sizeof(rate), (uint64_t)t->rate);
	else
		snprintf(rate, sizeof(rate), "--"); /* not measured yet */
	progress_duration(eta, sizeof(eta),
			  t->size_known && t->rate_known ? progress_eta(left, t->rate) : -1);
	if (t->retries)
		snprintf(extra, sizeof(extra), "%s%u retr%s", sep, t->retries,
			 t->retries == 1 ? "y" : "ies");
	if (t->refreshes)
		snprintf(extra + strlen(extra), sizeof(extra) - strlen(extra), "%s%u renewal%s", sep,
			 t->refreshes, t->refreshes == 1 ? "" : "s");
	if (t->waiting)
		snprintf(extra + strlen(extra), sizeof(extra) - strlen(extra),
			 "%swaiting for %s %us", sep, t->waiting, t->waited_s);
	if (t->size_known)
		snprintf(buf, len, "%s%s%s%s%s/s%sETA %s%s%u conn%s%s", done, prose ? " of " : "/",
			 size, sep, rate, sep, eta, sep, t->conns,
			 prose ? (t->conns == 1 ? "ection" : "ections") : "", extra);
	else
		snprintf(buf, len, "%s%s%s/s%s%u conn%s%s", done, sep, rate, sep, t->conns,
			 prose ? (t->conns == 1 ? "ection" : "ections") : "", extra);
}

static unsigned percent(const struct totals *t)
{
	return !t->size ? 100 : (unsigned)(t->done >= t->size ? 100 : t->done * 100 / t->size);
}

/* Write the map with colour: done cells green, write heads bold. */
static void put_map(struct report *r, const char *map)
{
	int in = 0;

	fputc('[', r->out);
	for (const char *p = map; *p; p++) {
		int want = *p == MAP_DONE ? 1 : *p == MAP_HEAD ? 2 : 0;

		if (r->color && want != in) {
			fputs(want == 1 ? "\033[32m" : want == 2 ? "\033[1m" : "\033[0m", r->out);
			in = want;
		}
		fputc(*p, r->out);
	}
	if (r->color && in)
		fputs("\033[0m", r->out);
	fputc(']', r->out);
}

static void draw(struct report *r)
{
	struct totals t;
	char head[NAME_MAX_COLS + 24], stats[256], map[MAP_MAX + 1];
	size_t avail = columns(r) - 1, used, mapw = 0;
	const struct report_item *one = r->items && !r->items->next ? r->items : NULL;
	int n;

	add_up(r, &t);
	if (!t.n)
		return;
	if (one)
		short_name(head, sizeof(head), one->name);
	else
		snprintf(head, sizeof(head), "%u files", t.n);
	n = (int)strlen(head);
	if (t.size_known)
		snprintf(head + n, sizeof(head) - (size_t)n, " %3u%%", percent(&t));
	stats_text(stats, sizeof(stats), &t, 0);
	used = strlen(head) + 1 + strlen(stats);
	if (one && one->plan && one->size_known && one->size && avail >= used + 3 + MAP_MIN) {
		mapw = avail - used - 3;
		mapw = mapw > MAP_MAX ? MAP_MAX : mapw;
		progress_map(map, mapw, one->size, one->plan);
	}
	/* Never wider than the terminal: a wrapped line cannot be redrawn. */
	if (strlen(head) > avail)
		head[avail] = '\0';
	if (used > avail)
		stats[avail > strlen(head) + 1 ? avail - strlen(head) - 1 : 0] = '\0';
	fputs("\r", r->out);
	fputs(head, r->out);
	if (mapw) {
		fputc(' ', r->out);
		put_map(r, map);
	}
	if (*stats)
		fprintf(r->out, " %s", stats);
	fputs("\033[K", r->out);
	fflush(r->out);
	r->drawn = 1;
}

static void clear_bar(struct report *r)
{
	if (!r->drawn)
		return;
	fputs("\r\033[K", r->out);
	fflush(r->out);
	r->drawn = 0;
}

/* --- lines ----------------------------------------------------------------- */

static void line_progress(struct report *r, const struct report_item *it)
{
	struct totals t;
	char stats[256];

	memset(&t, 0, sizeof(t));
	t.done = it->done;
	t.size = it->size;
	t.size_known = it->size_known;
	t.rate = it->sp.rate;
	t.rate_known = it->sp.primed;
	t.conns = it->conns;
	t.retries = it->retries;
	t.refreshes = it->refreshes;
	t.n = 1;
	waiting(&t, it);
	stats_text(stats, sizeof(stats), &t, 1);
	if (t.size_known)
		fprintf(r->out, "haul: %s: %u%%, %s\n", it->name, percent(&t), stats);
	else
		fprintf(r->out, "haul: %s: %s\n", it->name, stats);
	fflush(r->out);
}

/* --- events ---------------------------------------------------------------- */

void report_start(struct report *r, struct report_item *it)
{
	uint64_t now = clock_ms();

	it->done = it->had;
	it->active = 1;
	it->quarters = it->size_known && it->size ? (unsigned)(it->had * 4 / it->size) : 0;
	it->next_ms = now + r->interval_ms;
	speed_init(&it->sp, now, 0);
	it->next = r->items;
	r->items = it;
	if (r->mode == REPORT_JSON) {
		json_t *o = event(r, "start", it);

		json_object_set_new(o, "size", it->size_known ? json_u64(it->size) : json_null());
		json_object_set_new(o, "etag", json_str_or_null(it->etag));
		json_object_set_new(o, "url", json_str_or_null(it->url));
		json_object_set_new(o, "connections", json_integer(it->max_conns));
		json_object_set_new(o, "resumed", json_u64(it->had));
		emit(r, o);
	} else if (r->mode == REPORT_LINES) {
		char size[16], had[16];

		progress_size(size, sizeof(size), it->size);
		progress_size(had, sizeof(had), it->had);
		if (!it->size_known)
			fprintf(r->out, "haul: %s: size unknown, %u connection%s\n", it->name,
				it->max_conns, it->max_conns == 1 ? "" : "s");
		else
			fprintf(r->out, "haul: %s: %s, %u connection%s%s%s%s\n", it->name, size,
				it->max_conns, it->max_conns == 1 ? "" : "s",
				it->had ? ", " : "", it->had ? had : "", it->had ? " on disk already" : "");
		fflush(r->out);
	}
}

/* Take it off the active list. */
static void unlink_item(struct report *r, struct report_item *it)
{
	for (struct report_item **p = &r->items; *p; p = &(*p)->next)
		if (*p == it) {
			*p = it->next;
			break;
		}
	it->next = NULL;
	it->active = 0;
}

void report_drop(struct report *r, struct report_item *it)
{
	json_decref(it->digests);
	it->digests = NULL;
	if (it->active)
		unlink_item(r, it);
	if (!r->items)
		clear_bar(r);
}

void report_tick(struct report *r, int force)
{
	uint64_t now = clock_ms();

	for (struct report_item *it = r->items; it; it = it->next)
		speed_update(&it->sp, now, it->done - it->had);
	if (r->mode == REPORT_BAR) {
		if (force || now >= r->next_draw) {
			draw(r);
			r->next_draw = now + BAR_EVERY_MS;
		}
		return;
	}
	for (struct report_item *it = r->items; it; it = it->next) {
		unsigned q = it->size_known && it->size ? (unsigned)(it->done * 4 / it->size) : 0;
		int milestone = r->mode == REPORT_LINES && q > it->quarters && q < 4;

		if (now < it->next_ms && !milestone)
			continue;
		if (milestone)
			it->quarters = q;
		if (now >= it->next_ms)
			it->next_ms = now + r->interval_ms;
		if (r->mode == REPORT_LINES) {
			line_progress(r, it);
		} else if (r->mode == REPORT_JSON) {
			json_t *o = event(r, "progress", it);
			int64_t eta = it->size_known ? progress_eta(it->size > it->done ?
								    it->size - it->done : 0,
								    it->sp.rate) : -1;

			json_object_set_new(o, "bytes", json_u64(it->done));
			json_object_set_new(o, "size", it->size_known ? json_u64(it->size) : json_null());
			json_object_set_new(o, "speed", json_u64((uint64_t)it->sp.rate));
			json_object_set_new(o, "eta", eta >= 0 ? json_integer(eta) : json_null());
			json_object_set_new(o, "connections", json_integer(it->conns));
			json_object_set_new(o, "retries", json_integer(it->retries));
			json_object_set_new(o, "refreshes", json_integer(it->refreshes));
			if (it->waiting)
				json_object_set_new(o, "waiting", json_string(it->waiting));
			emit(r, o);
		}
	}
}

void report_retry(struct report *r, struct report_item *it, uint64_t first, uint64_t last,
		  long status, const char *why, uint64_t delay_ms)
{
	json_t *o;

	if (r->mode != REPORT_JSON)
		return; /* the others see it in the counts (and with -v) */
	o = event(r, "retry", it);
	json_object_set_new(o, "first", json_u64(first));
	json_object_set_new(o, "last", last == UINT64_MAX ? json_null() : json_u64(last));
	json_object_set_new(o, "status", status ? json_integer(status) : json_null());
	json_object_set_new(o, "reason", json_string(why ? why : "?"));
	json_object_set_new(o, "delay_ms", json_u64(delay_ms));
	emit(r, o);
}

void report_refresh(struct report *r, struct report_item *it, const char *why)
{
	if (r->mode == REPORT_JSON) {
		json_t *o = event(r, "refresh", it);

		json_object_set_new(o, "reason", json_string(why));
		json_object_set_new(o, "refreshes", json_integer(it->refreshes));
		emit(r, o);
	}
	/* lines: the controller's note says it. */
}

void report_checkpoint(struct report *r, struct report_item *it, uint64_t saved)
{
	json_t *o;

	if (r->mode != REPORT_JSON)
		return;
	o = event(r, "checkpoint", it);
	json_object_set_new(o, "bytes", json_u64(saved));
	emit(r, o);
}

void report_verify(struct report *r, struct report_item *it, const char *check,
		   const char *result, const char *expected, const char *computed,
		   const char *why)
{
	json_t *o;

	if (r->mode != REPORT_JSON)
		return; /* the controller prints its lines */
	if (computed) {
		if (!it->digests)
			it->digests = json_object();
		json_object_set_new(it->digests, check, json_string(computed));
	}
	o = event(r, "verify", it);
	json_object_set_new(o, "check", json_string(check));
	json_object_set_new(o, "result", json_string(result));
	json_object_set_new(o, "expected", json_str_or_null(expected));
	json_object_set_new(o, "computed", json_str_or_null(computed));
	json_object_set_new(o, "why", json_str_or_null(why));
	emit(r, o);
}

void report_finish(struct report *r, struct report_item *it, const struct report_finish *f)
{
	if (it->active)
		unlink_item(r, it);
	r->finished++;
	if (r->mode == REPORT_BAR) {
		clear_bar(r);
		if (r->items)
			r->next_draw = 0;
	} else if (r->mode == REPORT_JSON) {
		json_t *o = event(r, "finish", it);

		json_object_set_new(o, "bytes", json_u64(f->bytes));
		json_object_set_new(o, "fetched", json_u64(f->fetched));
		json_object_set_new(o, "seconds",
				    json_real((double)(long long)(f->seconds * 1000.0) / 1000.0));
		json_object_set_new(o, "speed", json_u64(f->seconds > 0 ? (uint64_t)((double)f->fetched /
										 f->seconds) : 0));
		json_object_set_new(o, "requests", json_integer(f->requests));
		json_object_set_new(o, "connections", json_integer(f->connections));
		json_object_set_new(o, "retries", json_integer(f->retries));
		json_object_set_new(o, "refreshes", json_integer(f->refreshes));
		json_object_set_new(o, "wasted", json_u64(f->wasted));
		json_object_set_new(o, "digests", it->digests ? (json_t *)it->digests : json_object());
		it->digests = NULL;
		emit(r, o);
	}
}

int report_error(struct report *r, struct report_item *it, int status, const char *message)
{
	json_t *o;

	if (it && it->active)
		unlink_item(r, it);
	if (r->mode == REPORT_BAR)
		clear_bar(r);
	if (r->mode != REPORT_JSON)
		return 0;
	r->errors++;
	o = event(r, "error", it);
	json_object_set_new(o, "status", json_integer(status));
	json_object_set_new(o, "message", json_string(message ? message : "?"));
	emit(r, o);
	return r->on_stderr;
}

void report_summary(struct report *r, size_t files, size_t failed, int status)
{
	json_t *o;

	if (r->mode != REPORT_JSON)
		return;
	o = event(r, "summary", NULL);
	json_object_set_new(o, "files", json_u64(files));
	json_object_set_new(o, "failed", json_u64(failed));
	json_object_set_new(o, "status", json_integer(status));
	emit(r, o);
}

int report_message(struct report *r, int level, const char *line)
{
	if (r->mode == REPORT_JSON && r->on_stderr) {
		/* stderr carries JSON only: the line becomes an event. */
		const char *text = strncmp(line, "haul: ", 6) == 0 ? line + 6 : line;
		json_t *o;

		if (level == 'n')
			return 1; /* notes: the events say it */
		if (level == 'w' && strncmp(text, "warning: ", 9) == 0)
			text += 9;
		o = event(r, level == 'w' ? "warning" : "log", NULL);
		if (level != 'w')
			json_object_set_new(o, "level", json_string(level == 'e' ? "error"
								    : level == 'i' ? "info" : "debug"));
		json_object_set_new(o, "message", json_string(text));
		emit(r, o);
		return 1;
	}
	if (r->mode == REPORT_BAR && r->drawn && r->on_stderr) {
		clear_bar(r);
		fputs(line, stderr);
		fputc('\n', stderr);
		if (r->items)
			draw(r);
		return 1;
	}
	return 0;
}
