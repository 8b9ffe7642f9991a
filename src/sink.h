/*
 * sink.h -- where a slot's body bytes go: FILE.part through the store, or
 * (-o -) the stream's window to standard output. The download picks one
 * when it begins (sink_for), so the body callback and the loop call through
 * one table instead of asking at every piece which it is.
 */
#ifndef HAUL_SINK_H
#define HAUL_SINK_H

#include <stddef.h>
#include <stdint.h>

#include "stream.h"

struct fetch;
struct slot;

/* From put: nothing taken, no room; pause until room says there is. */
#define SINK_FULL STREAM_FULL

/*
 * A slot's bytes on their way to the file. libcurl hands the body over in
 * pieces of at most 16 KiB, whatever the receive buffer: one pwrite each
 * made 65536 system calls per GiB. The pieces are gathered here and
 * written a stage at a time.
 */
struct stage {
	unsigned char *buf; /* owned, NULL until needed: bytes not yet written */
	size_t cap;         /* buf's size */
	size_t want;        /* the size it should have (net_buffers) */
	size_t len;         /* bytes in buf */
	uint64_t off;       /* where buf[0] goes in the file */
};

struct sink_ops {
	/* Take n body bytes of s for offset off (and digest them): 0,
	 * SINK_FULL, or a negative errno. */
	int (*put)(struct slot *s, const char *p, size_t n, uint64_t off);
	/* Write out what s holds back: 0, or a negative errno. A failure is
	 * sticky, so that no checkpoint records the bytes. */
	int (*flush)(struct slot *s);
	/* May s, paused by put or for a checkpoint, go on? */
	int (*room)(const struct slot *s);
	/* Once a round: hand what arrived on. 0, or a HAUL_E* (f->err set). */
	int (*pump)(struct fetch *f);
};

/* The sink for f's bodies: f->stream's window, or else f->store. */
const struct sink_ops *sink_for(const struct fetch *f);

/* Free st's buffer (what it holds is dropped: flush first). */
void stage_release(struct stage *st);

#endif
