/*
 * t-plan.c -- range planning: the initial split and work stealing.
 */
#include "config.h"

#include <stdint.h>

#include "plan.h"
#include "tap.h"

/* The whole object [0, size) missing. */
static int plan_whole(struct plan *p, uint64_t size, unsigned nparts, uint64_t min_split,
		      uint64_t align)
{
	struct range r = { 0, size };

	return plan_init(p, size, &r, size ? 1 : 0, nparts, min_split, align);
}

/* Segments tile [0, size) without gap or overlap, in order of creation? */
static int tiles(const struct plan *p)
{
	uint64_t covered = 0;

	for (size_t i = 0; i < p->nsegs; i++) {
		const struct seg *s = &p->segs[i];
		uint64_t other = 0;

		if (s->start > s->pos || s->pos > s->end || s->start == s->end)
			return 0;
		/* Exactly one segment starts where this one ends (or it is last). */
		for (size_t j = 0; j < p->nsegs; j++)
			if (p->segs[j].start == s->end)
				other++;
		if (s->end != p->size && other != 1)
			return 0;
		covered += s->end - s->start;
	}
	return covered == p->size;
}

static void initial_split(void)
{
	struct plan p;

	ok(plan_whole(&p, 0, 8, 1024, 1) == 0 && p.nsegs == 0 && plan_complete(&p),
	   "a 0-byte object has no segments and is complete");
	ok(plan_take(&p, 0) == -1, "nothing to take from a 0-byte plan");
	plan_release(&p);

	ok(plan_whole(&p, 1, 8, 1024, 1) == 0 && p.nsegs == 1 && p.segs[0].end == 1,
	   "a 1-byte object is one segment");
	ok(!plan_complete(&p), "... and not complete before it is written");
	plan_release(&p);

	ok(plan_whole(&p, 3000, 8, 1024, 1) == 0 && p.nsegs == 2 && tiles(&p),
	   "size below N x min_split gives fewer segments (3000/1024 -> 2)");
	plan_release(&p);

	ok(plan_whole(&p, 1048577, 4, 1024, 1) == 0 && p.nsegs == 4 && tiles(&p),
	   "1 MiB + 1 over 4 connections: 4 segments tiling the object");
	ok(p.segs[0].end - p.segs[0].start == 262145 && p.segs[3].end - p.segs[3].start == 262144,
	   "... the odd byte goes to the first segment");
	plan_release(&p);

	ok(plan_whole(&p, 100, 0, 1, 1) == -1, "zero connections is refused");
	ok(plan_whole(&p, 100, 4, 0, 1) == -1, "zero min_split is refused");
}

static void near_max(void)
{
	struct plan p;
	uint64_t big = (uint64_t)INT64_MAX; /* 2^63 - 1 */

	ok(plan_whole(&p, big, 16, 1 << 20, 1) == 0 && p.nsegs == 16 && tiles(&p),
	   "2^63-1 bytes split into 16 segments without overflow");
	is_u64(p.segs[15].end, big, "... the last segment ends at the size");
	plan_release(&p);
	ok(plan_whole(&p, UINT64_MAX, 7, 1, 1) == 0 && tiles(&p) && p.segs[6].end == UINT64_MAX,
	   "2^64-1 bytes over 7 segments, no overflow in the arithmetic");
	plan_release(&p);
}

static void stealing(void)
{
	struct plan p;
	long a, b, c;

	plan_whole(&p, 8 << 20, 2, 1 << 20, 1);
	a = plan_take(&p, 0);
	b = plan_take(&p, 1);
	ok(a == 0 && b == 1, "two connections take the two initial segments");
	/* Slot 0 finishes; slot 1 has written 1 MiB of its 4 MiB. */
	p.segs[a].pos = p.segs[a].end;
	p.segs[b].pos += 1 << 20;
	c = plan_take(&p, 0);
	ok(c == 2, "a finished connection steals a new segment");
	is_u64(p.segs[c].start, (4 << 20) + (1 << 20) + (3 << 20) / 2 + ((3 << 20) % 2),
	       "... the back half of what the busy one has left");
	is_u64(p.segs[b].end, p.segs[c].start, "... the busy one now ends where the stolen begins");
	is_u64(p.segs[c].end, 8 << 20, "... the stolen part runs to the old end");
	ok(tiles(&p), "segments still tile the object after the steal");
	is_int(p.segs[c].owner, 0, "the stolen segment belongs to the thief");

	/* Make the remaining small: below 2 x min_split nothing is split. */
	p.segs[b].pos = p.segs[b].end - (1 << 20);
	p.segs[c].pos = p.segs[c].end - (1 << 20);
	ok(plan_take(&p, 2) == -1, "no split below twice the minimum size");
	is_u64(plan_remaining(&p), 2 << 20, "remaining counts unwritten bytes");
	plan_release(&p);
}

static void drop_and_retake(void)
{
	struct plan p;
	long a;

	plan_whole(&p, 4 << 20, 1, 1 << 20, 1);
	a = plan_take(&p, 3);
	p.segs[a].pos += 12345;
	plan_drop(&p, a);
	ok(p.segs[a].owner == PLAN_NO_OWNER, "a dropped segment has no owner");
	ok(plan_take(&p, 5) == a && p.segs[a].pos == 12345,
	   "it is taken again, keeping its progress");
	p.segs[a].pos = p.segs[a].end;
	ok(plan_complete(&p) && plan_take(&p, 1) == -1, "written segments are not handed out");
	plan_release(&p);
}

static void steal_until_done(void)
{
	struct plan p;
	long own[4];
	unsigned rounds = 0;

	/* Four connections, one never progressing: the others take over all but its first half. */
	plan_whole(&p, 64 << 20, 4, 1 << 20, 1);
	for (int i = 0; i < 4; i++)
		own[i] = plan_take(&p, i);
	while (rounds++ < 1000) {
		int progressed = 0;

		for (int i = 1; i < 4; i++) {
			if (own[i] < 0)
				continue;
			p.segs[own[i]].pos = p.segs[own[i]].end;
			own[i] = plan_take(&p, i);
			progressed = 1;
		}
		if (!progressed)
			break;
	}
	ok(rounds < 1000, "stealing stops after a bounded number of rounds (%u)", rounds);
	ok(tiles(&p), "segments still tile the object");
	ok(plan_remaining(&p) < (2u << 20),
	   "the stuck connection is left with less than 2 x min_split (%llu bytes)",
	   (unsigned long long)plan_remaining(&p));
	plan_release(&p);
}

/* Every cut not at a hole's edge is a multiple of align. */
static int aligned(const struct plan *p, const struct range *h, size_t nh)
{
	for (size_t i = 0; i < p->nsegs; i++) {
		int edge = 0;

		for (size_t j = 0; j < nh; j++)
			if (p->segs[i].start == h[j].start)
				edge = 1;
		if (!edge && p->segs[i].start % p->align)
			return 0;
	}
	return 1;
}

static void holes(void)
{
	const uint64_t M = 1 << 20;
	struct range h[] = { { 3 * M + 17, 4 * M }, { 10 * M, 26 * M }, { 40 * M, 40 * M + 5 } };
	struct plan p;
	uint64_t covered = 0, in_big = 0;

	ok(plan_init(&p, 41 * M, h, 3, 8, M, M) == 0, "plan three holes over 8 connections");
	for (size_t i = 0; i < p.nsegs; i++) {
		covered += p.segs[i].end - p.segs[i].start;
		if (p.segs[i].start >= 10 * M && p.segs[i].end <= 26 * M)
			in_big++;
	}
	is_u64(covered, (M - 17) + 16 * M + 5, "segments cover exactly the holes");
	is_u64(p.nsegs, 8, "8 segments in all");
	is_u64(in_big, 6, "the 16 MiB hole gets the 6 extra parts");
	ok(aligned(&p, h, 3), "cuts inside a hole fall on block boundaries");
	ok(p.segs[0].start == 3 * M + 17 && p.segs[0].end == 4 * M,
	   "a hole starting inside a block keeps its start");
	plan_release(&p);

	ok(plan_init(&p, 41 * M, h, 3, 2, M, M) == 0 && p.nsegs == 3,
	   "fewer connections than holes: one segment per hole");
	plan_release(&p);
	ok(plan_init(&p, 41 * M, h, 0, 8, M, M) == 0 && p.nsegs == 0 && plan_complete(&p),
	   "no holes: nothing to fetch");
	plan_release(&p);
}

static void aligned_steal(void)
{
	const uint64_t M = 1 << 20;
	struct plan p;
	long a, b, c;

	plan_whole(&p, 64 * M, 2, M, M);
	ok(p.nsegs == 2 && p.segs[1].start == 32 * M, "two aligned halves");
	a = plan_take(&p, 0);
	b = plan_take(&p, 1);
	p.segs[a].pos = p.segs[a].end;
	p.segs[b].pos += 3 * M + 12345; /* mid-block */
	c = plan_take(&p, 0);
	ok(c >= 0 && p.segs[c].start % M == 0, "a stolen range starts on a block boundary");
	ok(p.segs[b].end == p.segs[c].start && p.segs[c].end == 64 * M,
	   "... and the busy range now ends there");
	ok(p.segs[c].start - p.segs[b].pos >= (p.segs[c].end - p.segs[c].start),
	   "... the busy connection keeps at least as much as it gives");
	plan_release(&p);
}

/* plan_cut, with a lead: the owner keeps half of it more; no cut that
 * cannot pay. */
static void lead_cut(void)
{
	struct plan p;
	long a, b, c;

	plan_whole(&p, 8 << 20, 2, 1 << 20, 1);
	a = plan_take(&p, 0);
	b = plan_take(&p, 1);
	p.segs[a].pos = p.segs[a].end;
	p.segs[b].pos += 1 << 20; /* 3 MiB left */
	p.segs[b].fence = p.segs[b].end; /* asked for all of it */
	ok(plan_take(&p, 0) == -1, "plan_take cuts no request: all of it was asked for");
	plan_set_lead(&p, 1 << 20);
	c = plan_cut(&p, b, 0);
	ok(c >= 0, "plan_cut with a lead below what is left");
	is_u64(p.segs[b].end - p.segs[b].pos, 2 << 20,
	       "... the owner keeps (left + lead) / 2 = 2 MiB");
	is_u64(p.segs[c].end - p.segs[c].start, 1 << 20, "... the thief takes (left - lead) / 2 = 1 MiB");
	is_u64(p.segs[b].fence, p.segs[b].end, "... the owner's fence moves back to the cut");
	ok(tiles(&p), "... the segments still tile the object");

	/* 2 MiB and 1 MiB left; a 2 MiB lead makes the 2 MiB not worth halving. */
	plan_set_lead(&p, 2 << 20);
	ok(plan_cut(&p, b, 2) == -1, "no cut when the lead covers what is left");
	/* A lead of 0 halves again (2 MiB -> 1 + 1). */
	plan_set_lead(&p, 0);
	c = plan_cut(&p, b, 2);
	ok(c >= 0 && p.segs[c].end - p.segs[c].start == 1 << 20, "without a lead: the back half");
	plan_release(&p);
}

/* The fence: a steal takes only bytes nobody has asked for. */
static void fence_steal(void)
{
	const uint64_t M = 1 << 20;
	struct plan p;
	long a, b, c;

	plan_whole(&p, 32 * M, 2, M, M);
	a = plan_take(&p, 0);
	b = plan_take(&p, 1);
	is_u64(plan_ask(&p, a, M), 8 * M, "plan_ask: half of a 16 MiB segment");
	is_u64(p.segs[a].fence, 8 * M, "... which becomes its fence");
	is_u64(plan_ask(&p, b, 0), 32 * M, "piece 0: all the rest");
	p.segs[b].pos = p.segs[b].end;
	p.segs[a].pos = 3 * M;
	c = plan_take(&p, 1);
	ok(c >= 0 && p.segs[c].start == 12 * M && p.segs[c].end == 16 * M,
	   "a steal takes the back half of [fence, end): 12-16 MiB");
	ok(p.segs[a].end == 12 * M && p.segs[a].fence == 8 * M,
	   "... the owner's request (to 8 MiB) runs on untouched");
	ok(tiles(&p), "... the segments still tile the object");
	/* Owner a: 3..8 asked, 8..12 not; 12..16 is c's, asked for whole. */
	p.segs[c].fence = p.segs[c].end;
	c = plan_take(&p, 2);
	ok(c >= 0 && p.segs[c].start == 10 * M && p.segs[c].end == 12 * M,
	   "the next steal halves 8-12 MiB, not a running request");
	p.segs[c].fence = p.segs[c].end;
	c = plan_take(&p, 3);
	ok(c >= 0 && p.segs[c].start == 9 * M && p.segs[c].end == 10 * M,
	   "and the next the back half of 8-10 MiB");
	ok(plan_take(&p, 4) == -1, "then nothing is left unasked that min_split allows");
	plan_rest(&p, a);
	is_u64(p.segs[a].fence, 3 * M, "plan_rest: no request runs, fence = pos");
	c = plan_take(&p, 4);
	ok(c >= 0 && p.segs[c].start == 6 * M && p.segs[c].end == 9 * M,
	   "... and then the back half of 3-9 MiB is free");
	plan_release(&p);
}

/* plan_ask: halves, never below the piece, never leaving a crumb. */
static void ask_pieces(void)
{
	const uint64_t M = 1 << 20;
	struct plan p;
	long a;

	plan_whole(&p, 10 * M + 5, 1, M, M);
	a = plan_take(&p, 0);
	is_u64(plan_ask(&p, a, M), 6 * M, "half of 10 MiB + 5, rounded up to a block");
	p.segs[a].pos = 6 * M;
	is_u64(plan_ask(&p, a, M), 9 * M, "then half of the rest, rounded up (8 MiB + 2)");
	p.segs[a].pos = 8 * M;
	is_u64(plan_ask(&p, a, 2 * M), 10 * M + 5,
	       "all of it when less than a piece would remain");
	p.segs[a].pos = 8 * M;
	is_u64(plan_ask(&p, a, 3 * M), 10 * M + 5, "all of it when it is less than a piece");
	p.segs[a].pos = 4 * M;
	is_u64(plan_ask(&p, a, M), 8 * M, "a piece ends on a block, past the middle (7 MiB + 2)");
	plan_drop(&p, a);
	is_u64(p.segs[a].fence, p.segs[a].pos, "plan_drop: nobody asks, fence = pos");
	plan_release(&p);
}

/* plan_split on a chosen segment, as plan_take does on the largest. */
static void split_chosen(void)
{
	const uint64_t M = 1 << 20;
	struct plan p;
	long a, b, c;

	plan_whole(&p, 16 * M, 2, M, 1);
	a = plan_take(&p, 0);
	b = plan_take(&p, 1);
	p.segs[a].pos += 2 * M; /* 6 MiB left: the smaller of the two */
	c = plan_split(&p, a, 1);
	ok(c == 2 && p.segs[a].end == 5 * M && p.segs[c].start == 5 * M &&
	   p.segs[c].end == 8 * M, "plan_split halves the segment it is given, not the largest");
	is_int(p.segs[c].owner, 1, "... for the owner it is told");
	ok(tiles(&p), "... the segments still tile the object");
	ok(plan_split(&p, 7, 1) == -1 && plan_split(&p, -1, 1) == -1,
	   "an index out of range splits nothing");
	p.segs[b].pos = p.segs[b].end;
	ok(plan_split(&p, b, 0) == -1, "a finished segment is not split");
	p.segs[c].pos = p.segs[c].end - M - M / 2;
	ok(plan_split(&p, c, 0) == -1, "nor one with less than 2 x min_split left");
	plan_release(&p);
}

/* A held segment is the caller's: plan_take never hands it out or splits it. */
static void held(void)
{
	const uint64_t M = 1 << 20;
	struct plan p;
	long a;

	plan_whole(&p, 8 * M, 1, M, 1);
	p.segs[0].owner = PLAN_HELD;
	ok(plan_take(&p, 0) == -1, "a held segment is not handed out");
	a = plan_put(&p, 0, M, 3);
	p.segs[0].start = p.segs[0].pos = M;
	ok(a == 1 && plan_take(&p, 4) == -1, "nor split, while the one it could steal from is small");
	ok(!plan_complete(&p) && plan_remaining(&p) == 8 * M,
	   "it still counts as missing (remaining 8 MiB)");
	plan_release(&p);
}

/* plan_put reuses finished, unowned segments and nothing else. */
static void put_reuses(void)
{
	const uint64_t M = 1 << 20;
	struct plan p;
	long a, b, c, d;

	ok(plan_init(&p, 64 * M, NULL, 0, 1, M, 1) == 0 && p.nsegs == 0, "an empty plan");
	a = plan_put(&p, 0, M, 0);
	b = plan_put(&p, M, 2 * M, 1);
	ok(a == 0 && b == 1 && p.nsegs == 2, "two pieces are appended");
	p.segs[a].pos = p.segs[a].end; /* finished, still owned */
	c = plan_put(&p, 2 * M, 3 * M, 2);
	ok(c == 2, "a finished segment still owned is not reused");
	plan_drop(&p, a);
	d = plan_put(&p, 3 * M, 4 * M, 0);
	ok(d == a && p.nsegs == 3, "a finished, dropped one is reused in place");
	ok(p.segs[d].start == 3 * M && p.segs[d].pos == 3 * M && p.segs[d].end == 4 * M &&
	   p.segs[d].owner == 0, "... as the new piece, from its start");
	plan_drop(&p, b); /* dropped unfinished: it keeps its bytes to fetch */
	ok(plan_put(&p, 4 * M, 5 * M, 1) == 3, "an unfinished dropped segment is not reused");
	for (int i = 0; i < 1000; i++) {
		long k = plan_put(&p, (uint64_t)(5 + i) * M / 16, (uint64_t)(6 + i) * M / 16, 5);

		p.segs[k].pos = p.segs[k].end;
		plan_drop(&p, k);
	}
	ok(p.nsegs == 5, "1000 pieces handed out and finished one at a time: 5 segments (%zu)",
	   p.nsegs);
	plan_release(&p);
}

/* Splits and rescues are counted; with reuse they fill finished places. */
static void counted_reuse(void)
{
	const uint64_t M = 1 << 20;
	struct plan p;
	long a, b, c;

	plan_whole(&p, 16 * M, 2, M, M);
	a = plan_take(&p, 0);
	b = plan_take(&p, 1);
	ok(p.splits == 0, "taking whole segments is no split");
	p.segs[a].pos = p.segs[a].end;
	plan_drop(&p, a);
	c = plan_take(&p, 0);
	ok(c == 2 && p.splits == 1, "a steal is counted; without reuse it is appended");
	ok(plan_rescue(&p, b, 0) == 3 && p.splits == 2, "a rescue is counted too");
	plan_release(&p);

	plan_whole(&p, 16 * M, 2, M, M);
	p.reuse = 1;
	a = plan_take(&p, 0);
	b = plan_take(&p, 1);
	p.segs[a].pos = p.segs[a].end;
	plan_drop(&p, a);
	c = plan_take(&p, 0);
	ok(c == a && p.nsegs == 2 && p.splits == 1 && p.segs[c].start == 12 * M,
	   "with reuse, the stolen back half takes the finished segment's place");
	ok(p.segs[b].end == 12 * M && p.segs[c].end == 16 * M, "... the busy one ends where it begins");
	p.segs[b].pos = p.segs[b].end;
	plan_drop(&p, b);
	ok(plan_rescue(&p, c, 1) == b && p.nsegs == 2, "... and so does a rescue");
	plan_release(&p);
}

int main(void)
{
	counted_reuse();
	split_chosen();
	held();
	put_reuses();
	lead_cut();
	fence_steal();
	ask_pieces();
	holes();
	aligned_steal();
	initial_split();
	near_max();
	stealing();
	drop_and_retake();
	steal_until_done();
	return tap_done();
}
