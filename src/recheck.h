/*
 * recheck.h -- "haul verify FILE": check a finished file again, against
 * --checksum digests and, when the journal was kept (--keep-journal),
 * against its block digests, naming the first bad block.
 */
#ifndef HAUL_RECHECK_H
#define HAUL_RECHECK_H

#include "err.h"
#include "msg.h"
#include "opts.h"

/* 0 when every check passed; HAUL_EINTEGRITY, HAUL_EUSAGE, HAUL_EIO. */
int recheck_run(const struct opts *o, const struct msg *m, struct haul_error *err);

#endif
