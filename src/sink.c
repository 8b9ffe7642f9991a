/*
 * sink.c -- where a slot's body bytes go, behind one table (sink.h): the
 * file, gathered a stage at a time and pwritten through the store, or the
 * -o - stream's window. Either way the bytes are digested for their block
 * here, as they pass (into the file: once written), so nothing reads them
 * twice.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "blocks.h"
#include "fetch_int.h"
#include "sink.h"
#include "store.h"
#include "stream.h"

/* Bytes taken: their block's digest goes on. */
static void digest(struct slot *s, const char *p, size_t n)
{
	struct fetch *f = s->f;

	if (f->blocks)
		bhash_feed(&s->h, f->blocks, p, n);
}

/*
 * Write n bytes at off and only then digest them: the block table (and so
 * any journal record made from it) never claims a byte that is not in the
 * file yet -- in the page cache at least, which outlives a kill -9.
 */
static int write_out(struct slot *s, const char *p, size_t n, uint64_t off)
{
	int r = store_pwrite(s->f->store, p, n, off);

	if (!r)
		digest(s, p, n);
	return r;
}

/*
 * Write what the slot has gathered. 0, or a negative errno. A failure is
 * sticky: the bytes stay gathered (not digested), so every later
 * checkpoint fails too and the journal never records them.
 */
static int stage_flush(struct slot *s)
{
	struct stage *st = &s->st;
	int r = 0;

	if (st->len)
		r = write_out(s, (const char *)st->buf, st->len, st->off);
	if (!r)
		st->len = 0;
	return r;
}

/*
 * Accept n bytes for offset off (right after what is gathered): gather
 * them, or write them straight away when they are a stage's worth.
 */
static int stage_put(struct slot *s, const char *p, size_t n, uint64_t off)
{
	struct stage *st = &s->st;
	int r;

	if (st->len && (st->off + st->len != off || st->len + n > st->cap)) {
		r = stage_flush(s);
		if (r)
			return r;
	}
	if (!st->len && st->cap != st->want) {
		/* Empty: resize it to this connection's share now. */
		free(st->buf);
		st->buf = NULL;
		st->cap = 0;
	}
	if (!st->buf) {
		if (!(st->buf = malloc(st->want)))
			return write_out(s, p, n, off); /* no gathering */
		st->cap = st->want;
	}
	if (n >= st->cap)
		return write_out(s, p, n, off);
	if (!st->len)
		st->off = off;
	memcpy(st->buf + st->len, p, n);
	st->len += n;
	return 0;
}

static int file_put(struct slot *s, const char *p, size_t n, uint64_t off)
{
	return stage_put(s, p, n, off);
}

/* The file has room while the journal lags little enough (CP_HOLD). */
static int file_room(const struct slot *s)
{
	const struct fetch *f = s->f;

	return f->stats.bytes - f->cp_at_bytes < CP_HOLD * f->cp_bytes;
}

static int file_pump(struct fetch *f)
{
	(void)f;
	return 0; /* the stages are written as they fill, and at checkpoints */
}

static int stream_sink_put(struct slot *s, const char *p, size_t n, uint64_t off)
{
	int r = stream_put(s->f->stream, p, n, off);

	if (!r)
		digest(s, p, n);
	return r;
}

static int stream_sink_flush(struct slot *s)
{
	(void)s;
	return 0; /* the window holds nothing back for a slot */
}

static int stream_sink_room(const struct slot *s)
{
	const struct fetch *f = s->f;

	return stream_room(f->stream, f->plan->segs[s->seg].pos);
}

static int stream_sink_pump(struct fetch *f)
{
	return stream_pump(f->stream, f->plan, &f->err); /* what arrived goes out */
}

static const struct sink_ops file_sink = {
	.put = file_put,
	.flush = stage_flush,
	.room = file_room,
	.pump = file_pump,
};

static const struct sink_ops stream_sink = {
	.put = stream_sink_put,
	.flush = stream_sink_flush,
	.room = stream_sink_room,
	.pump = stream_sink_pump,
};

const struct sink_ops *sink_for(const struct fetch *f)
{
	return f->stream ? &stream_sink : &file_sink;
}

void stage_release(struct stage *st)
{
	free(st->buf);
	st->buf = NULL;
	st->cap = st->len = 0;
}
