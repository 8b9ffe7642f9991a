/*
 * opts.c -- the lifetime of struct opts: the one thing it owns is the
 * argument vector its strings may point into (see opts.h).
 */
#include "config.h"

#include <stdlib.h>

#include "opts.h"

void opts_release(struct opts *o)
{
	for (size_t i = 0; i < o->store.nstrs; i++)
		free(o->store.strs[i]);
	free(o->store.strs);
	free(o->store.argv);
	o->store.strs = NULL;
	o->store.argv = NULL;
	o->store.nstrs = 0;
}
