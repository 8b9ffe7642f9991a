/*
 * plan.h -- pure range arithmetic: which bytes of the object are fetched by
 * which connection. The bytes still missing (all of them, or the holes a
 * journal reports) are cut into segments; each segment is owned by at most
 * one connection, which writes it front to back. When a connection runs out
 * of work it steals the back half of the largest remaining segment, so the
 * download does not end waiting on one slow range. Every cut falls on a
 * multiple of the alignment (the journal's block size), so each block is
 * written by one connection, in order.
 */
#ifndef HAUL_PLAN_H
#define HAUL_PLAN_H

#include <stddef.h>
#include <stdint.h>

#define PLAN_NO_OWNER (-1)
/* A segment kept back by the caller: plan_take neither hands it out nor
 * splits it (-o - holds the bytes not yet handed out this way). */
#define PLAN_HELD (-2)

/* Bytes [start, end). */
struct range {
	uint64_t start, end;
};

struct seg {
	uint64_t start; /* first byte of the segment */
	uint64_t pos;   /* next byte to write; start <= pos <= end */
	uint64_t end;   /* one past the last byte; may shrink when stolen from */
	uint64_t fence; /* one past the last byte the owner's running request
			 * asks for (pos when none runs): plan_split leaves
			 * [pos, fence) alone, as those bytes may be on the way */
	int owner;      /* connection slot working on it, or PLAN_NO_OWNER */
};

struct plan {
	uint64_t size;      /* bytes in the object */
	uint64_t min_split; /* no segment smaller than this is created by a cut */
	uint64_t align;     /* cuts fall on multiples of this */
	uint64_t lead;      /* see plan_set_lead; 0 at first */
	unsigned splits;    /* segments plan_split, _cut and _rescue have made */
	int reuse;          /* they take the place of finished ones (plan_put) */
	struct seg *segs;   /* owned, malloced; indexes stay valid until release */
	size_t nsegs;
	size_t cap;
};

/*
 * Plan the fetch of holes[0..nholes): sorted, disjoint ranges inside
 * [0, size) (none at all when everything is on disk). The holes are cut into
 * about nparts segments of at least min_split bytes, more parts going to
 * bigger holes; a hole is never merged with another. Returns 0, or -1 when
 * out of memory or nparts, min_split or align is 0.
 */
int plan_init(struct plan *p, uint64_t size, const struct range *holes, size_t nholes,
	      unsigned nparts, uint64_t min_split, uint64_t align);
void plan_release(struct plan *p);

/*
 * Give connection slot `owner` something to fetch: the first unowned,
 * unfinished segment, or else the back half of the part nobody has asked
 * for yet ([fence, end)) of the owned segment where that part is largest,
 * cut at an aligned offset, when the stolen part would be at least
 * min_split. No running request is cut: its bytes may already be in the
 * sockets, paid for. Returns the segment's index, or -1 when there is
 * nothing to hand out (or no memory to split).
 */
long plan_take(struct plan *p, int owner);

/*
 * Split segment idx as plan_take splits the one it steals from: owner gets
 * the back half of [fence, end), the current owner keeps the front.
 * Returns the new segment's index, or -1 when the cut would leave less than
 * min_split behind it or memory ran out.
 */
long plan_split(struct plan *p, long idx, int owner);

/*
 * Split segment idx whatever its owner has asked for: owner gets the back
 * half of [pos, end) less half the lead (plan_set_lead), so both end
 * together; a running request that asked past the cut ends there, and what
 * it had on the way is lost. For -o -, where the writer waits on that range.
 * Returns the new segment's index, or -1 when the cut would leave less than
 * min_split behind it, the lead covers what is left, or memory ran out.
 */
long plan_cut(struct plan *p, long idx, int owner);

/*
 * The owner of segment idx is about to ask for more: the end of its next
 * request, which becomes the segment's fence. piece 0: all the rest. Else
 * half the rest, but at least piece bytes, and all of it when what would
 * remain is less than piece: every request leaves the back of the segment
 * to whoever runs out of work first, and the last ones are short, so the
 * connections end together without a request being cut. Ends fall on the
 * alignment.
 */
uint64_t plan_ask(struct plan *p, long idx, uint64_t piece);

/* The owner of segment idx has no request running (its fence is pos). */
void plan_rest(struct plan *p, long idx);

/*
 * Add [start, end) for owner in the place of a finished segment nobody
 * owns, or at the end when there is none: a plan handed out piece by piece
 * then stays as small as the pieces in flight. Other segments keep their
 * indexes. Returns the index, or -1 when out of memory.
 */
long plan_put(struct plan *p, uint64_t start, uint64_t end, int owner);

/*
 * How many bytes a segment's owner still writes while a new request waits
 * for its first byte (request latency x per-connection speed). plan_cut
 * leaves the owner that much more than half and cuts nothing when the
 * thief would not finish sooner: where every request waits 100 ms for its
 * first byte, halving the last megabyte only adds a request.
 */
void plan_set_lead(struct plan *p, uint64_t lead);

/*
 * Take over most of segment idx for owner: everything from the first block
 * boundary after pos (the current owner finishes the block it is in; its
 * request is cut there, and what it had on the way is lost).
 * Returns the new segment's index, or -1 when not even one block would
 * move. min_split does not apply: it keeps healthy connections from
 * splitting hairs, while a connection several times slower than the rest
 * is worth relieving of every block it has not started.
 */
long plan_rescue(struct plan *p, long idx, int owner);

/* Give a segment back (its connection stopped); pos is kept. */
void plan_drop(struct plan *p, long idx);

/* Bytes not yet written, over all segments. */
uint64_t plan_remaining(const struct plan *p);

/* 1 when every byte has been written. */
int plan_complete(const struct plan *p);

#endif
