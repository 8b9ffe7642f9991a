/*
 * t-wplan.c -- windowed planning for -o -: pieces in file order within the
 * window, the help for the range the writer waits on, bounded state.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>

#include "tap.h"
#include "wplan.h"

#define K (1024ull)
#define M (1024ull * 1024)

static void piece_sizes(void)
{
	is_u64(wplan_piece(64 * M, 16), 2 * M, "64M window, 16 connections: 2 MiB pieces");
	is_u64(wplan_piece(8 * M, 8), 512 * K, "8M window, 8 connections: 512 KiB");
	is_u64(wplan_piece(1 * M, 512), 64 * K, "1M window, 512 connections: at least 64 KiB");
	is_u64(wplan_piece(3 * M, 5), 256 * K, "3M / 10 = 307.2 KiB rounds down to a multiple of 64 KiB");
	is_u64(wplan_piece(1 * M, 0), 512 * K, "0 connections counts as 1");
}

static void empty(void)
{
	struct wplan w;
	struct plan p;
	uint64_t retry = 0;

	ok(wplan_init(&w, &p, 0, 8 * M, 4, M) == 0 && w.tail == -1 && plan_complete(&p),
	   "a 0-byte object: nothing held, complete");
	ok(wplan_take(&w, &p, 0, 0, &retry) == -1 && retry == UINT64_MAX,
	   "... nothing to take, nothing to wait for");
	plan_release(&p);
	ok(wplan_init(&w, &p, 10, 0, 4, M) == -1, "a 0-byte window is refused");
}

static void in_order(void)
{
	struct wplan w;
	struct plan p;
	uint64_t retry = 0;
	int all = 1;
	long idx;

	ok(wplan_init(&w, &p, 20 * M + 5, 8 * M, 4, M) == 0 && p.nsegs == 1 &&
	   p.segs[0].owner == PLAN_HELD, "20 MiB + 5: one held segment");
	ok(!plan_complete(&p) && plan_remaining(&p) == 20 * M + 5, "... counted as missing");
	for (int i = 0; i < 8; i++) {
		idx = wplan_take(&w, &p, i, 0, &retry);
		all &= idx >= 0 && p.splits == 0 && p.segs[idx].start == (uint64_t)i * M &&
		       p.segs[idx].end == (uint64_t)(i + 1) * M && p.segs[idx].owner == i;
	}
	ok(all, "eight 1 MiB pieces in file order fill the 8 MiB window");
	is_u64(p.segs[w.tail].pos, 8 * M, "... the held rest starts at 8 MiB");
	idx = wplan_take(&w, &p, 8, 0, &retry);
	ok(idx == -1, "a ninth would end past the window: none");
	is_u64(retry, 1 * M, "... until 1 MiB has been written out");
	ok(wplan_take(&w, &p, 8, M - 1, &retry) == -1, "... not at 1 MiB - 1");
	idx = wplan_take(&w, &p, 8, M, &retry);
	ok(idx >= 0 && p.splits == 0 && p.segs[idx].start == 8 * M && p.segs[idx].end == 9 * M,
	   "... at 1 MiB it is [8M, 9M)");
	ok(plan_remaining(&p) == 20 * M + 5, "handing out writes nothing");
	plan_release(&p);

	/* The last piece ends at the object's end. */
	wplan_init(&w, &p, 2 * M + 5, 4 * M, 2, M);
	wplan_take(&w, &p, 0, 0, &retry);
	wplan_take(&w, &p, 0, 0, &retry);
	idx = wplan_take(&w, &p, 0, 0, &retry);
	ok(idx >= 0 && p.segs[idx].start == 2 * M && p.segs[idx].end == 2 * M + 5,
	   "the last piece is the 5 bytes left");
	ok(wplan_take(&w, &p, 0, 0, &retry) == -1 && retry == UINT64_MAX,
	   "then nothing: no piece left, the writer is not behind");
	plan_release(&p);
}

static void helps_frontier(void)
{
	struct wplan w;
	struct plan p;
	uint64_t retry = 0;
	long first, idx;

	/* 4 connections, 8 MiB window, 1 MiB pieces, -k 64k. */
	wplan_init(&w, &p, 64 * M, 8 * M, 4, 64 * K);
	first = wplan_take(&w, &p, 0, 0, &retry);
	for (int i = 1; i < 8; i++) {
		idx = wplan_take(&w, &p, i % 4, 0, &retry);
		p.segs[idx].pos = p.segs[idx].end; /* all but the first arrive */
		plan_drop(&p, idx);
	}
	p.segs[first].pos = 256 * K; /* the first is slow */
	is_u64(wplan_front(&p), 256 * K, "the frontier is in the slow first range");
	/* The writer is far behind (at 0, 256 KiB to go: less than a piece):
	 * it waits on the network, so the first range is split. */
	idx = wplan_take(&w, &p, 1, 0, &retry);
	ok(idx >= 0 && p.splits == 1, "window full, writer waiting: the frontier's range is split");
	ok(p.segs[idx].start > 256 * K && p.segs[idx].end == 1 * M &&
	   p.segs[first].end == p.segs[idx].start, "... the back of [256K, 1M) goes to the idle one");
	ok(p.segs[idx].start % (64 * K) == 0, "... cut on a 64 KiB boundary");
	plan_release(&p);

	/* The same, but what arrived has not been written out: standard output
	 * is the slow part; no request is cut. */
	wplan_init(&w, &p, 64 * M, 8 * M, 4, 64 * K);
	for (int i = 0; i < 8; i++) {
		idx = wplan_take(&w, &p, i % 4, 0, &retry);
		if (i < 7) {
			p.segs[idx].pos = p.segs[idx].end;
			plan_drop(&p, idx);
		} else {
			p.segs[idx].pos += 512 * K;
		}
	}
	idx = wplan_take(&w, &p, 0, 0, &retry);
	ok(idx == -1, "window full of bytes not yet written out: nothing to take");
	is_u64(retry, 1 * M, "... ask again when the next piece fits (1 MiB written out)");
	plan_release(&p);

	/* At the end of the object, nothing fresh: wait for the writer. */
	wplan_init(&w, &p, 8 * M, 8 * M, 4, 64 * K);
	for (int i = 0; i < 8; i++) {
		idx = wplan_take(&w, &p, i % 4, 0, &retry);
		if (i < 7) {
			p.segs[idx].pos = p.segs[idx].end;
			plan_drop(&p, idx);
		} else {
			p.segs[idx].pos += 512 * K;
		}
	}
	ok(wplan_take(&w, &p, 0, 0, &retry) == -1, "the last range, writer behind: none");
	is_u64(retry, 7 * M + 512 * K - 1 * M + 1, "... ask again when the writer is within a piece");
	idx = wplan_take(&w, &p, 0, retry, &retry);
	ok(idx >= 0 && p.splits == 1 && p.segs[idx].end == 8 * M, "... then the back of the last range");
	plan_release(&p);
}

/*
 * A random run: connections advance by random amounts (one far slower
 * than the others) and the writer
 * follows the frontier at random; every range handed out ends within the
 * window, the ranges tile what was handed out, and the plan stays small.
 */
static void random_run(void)
{
	const unsigned n = 6;
	const uint64_t size = 200 * M + 12345, win = 6 * M;
	struct wplan w;
	struct plan p;
	long own[6];
	uint64_t released = 0, retry, next = 0;
	size_t most = 0;
	int in_window = 1, ordered = 1, steps = 0;

	srand(7);
	wplan_init(&w, &p, size, win, n, 64 * K);
	for (unsigned i = 0; i < n; i++)
		own[i] = -1;
	while (!plan_complete(&p) && steps++ < 1000000) {
		unsigned c = (unsigned)rand() % n;
		uint64_t front;

		if (own[c] < 0) {
			unsigned splits = p.splits;

			own[c] = wplan_take(&w, &p, (int)c, released, &retry);
			if (own[c] >= 0 && p.segs[own[c]].end > released + win)
				in_window = 0;
			if (own[c] >= 0 && p.splits == splits) {
				ordered &= p.segs[own[c]].start == next;
				next = p.segs[own[c]].end;
			}
		} else {
			struct seg *g = &p.segs[own[c]];
			/* Connection 0 is ten times slower than the rest. */
			uint64_t step = (uint64_t)(rand() % (c ? 300000 : 30000)) + 1;

			g->pos = g->end - g->pos < step ? g->end : g->pos + step;
			if (g->pos == g->end) {
				plan_drop(&p, own[c]);
				own[c] = -1;
			}
		}
		front = wplan_front(&p);
		if (rand() % 3 == 0)
			released += (front - released) / 2 + ((front - released) & 1);
		if (p.nsegs > most)
			most = p.nsegs;
	}
	ok(plan_complete(&p), "the random run completes (%d steps)", steps);
	ok(in_window, "every range handed out ended within released + W");
	ok(p.splits > 0, "the frontier's range was helped along (%u times)", p.splits);
	ok(ordered, "fresh pieces were handed out in file order, back to back");
	is_u64(next, size, "... up to the end of the object");
	ok(most <= 2 * n + 8, "the plan never held more than %zu segments (%u connections)", most, n);
	is_u64(wplan_front(&p), size, "the frontier ends at the size");
	plan_release(&p);
}

/* The frontier of any plan, also one of unknown size that ended. */
static void front(void)
{
	struct range whole = { 0, UINT64_MAX };
	struct plan p;

	plan_init(&p, UINT64_MAX, &whole, 1, 1, M, 1);
	p.segs[0].pos = 12345;
	is_u64(wplan_front(&p), 12345, "unknown size: the frontier is where the body is");
	p.segs[0].end = p.segs[0].pos; /* the body ended there */
	is_u64(wplan_front(&p), 12345, "... and stays there when it ends, not at the plan's size");
	plan_release(&p);
	plan_init(&p, 10, NULL, 0, 1, M, 1);
	is_u64(wplan_front(&p), 0, "nothing planned: 0");
	plan_release(&p);
}

int main(void)
{
	front();
	piece_sizes();
	empty();
	in_order();
	helps_frontier();
	random_run();
	return tap_done();
}
