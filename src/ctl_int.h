/*
 * ctl_int.h -- one download's controller, shared by the files that make
 * it up: ctl.c (its states, driven by the loop), ctl_prep.c (what is on
 * disk, and the I/O jobs that create, resume and finish the file),
 * ctl_renew.c (fresh URLs, without stopping anything), ctl_say.c (what
 * the user and the progress display are told) and ctl_stream.c (-o -).
 *
 * A download never waits: each step that takes time -- a probe, an I/O
 * job, a refresh command -- is started, and the loop calls ctl_tick (or
 * the step's callback) when there is news. Only the -o - stream still
 * probes and finishes in line: it is the only download of its run.
 */
#ifndef HAUL_CTL_INT_H
#define HAUL_CTL_INT_H

#include <stdint.h>

#include "api.h"
#include "blocks.h"
#include "child.h"
#include "ctl.h"
#include "fetch.h"
#include "iow.h"
#include "journal.h"
#include "net.h"
#include "plan.h"
#include "probe.h"
#include "report.h"
#include "store.h"
#include "stream.h"
#include "syncer.h"
#include "trust.h"
#include "url.h"
#include "verify.h"

enum ctl_state {
	CS_RENEW,   /* the URL had expired: a fresh one first */
	CS_PROBE,   /* a probe (HEAD URL, resume, a file in the way) is out */
	CS_FIRST,   /* the first range request is the probe */
	CS_PREPARE, /* an I/O job creates or resumes FILE.part */
	CS_FETCH,   /* the transfers run */
	CS_CHECK,   /* an I/O job waits for the checks */
	CS_COMMIT,  /* an I/O job gives the file its name */
	CS_DONE,    /* result is set */
};

/* What the I/O jobs found, said in the loop (ctl_prep.c). */
struct prep_notes {
	int restart;             /* --restart: the old state goes */
	int stray_part;          /* FILE.part without a journal */
	const char *bad_journal; /* static: what is wrong with the journal */
	int part_missing;        /* a journal without its FILE.part */
	int no_identity;         /* resuming on the size alone */
	int resumed;
	uint64_t bad;            /* blocks that did not match */
	double secs;             /* checking them took */
	uint64_t combined;       /* blocks whose CRCs made the file's */
	uint64_t vouch;          /* what the last checkpoint made durable */
	int stopped;             /* the final checkpoint's download ended with this */
	char why[256];
};

/* Fresh URLs being fetched (ctl_renew.c). */
struct renewal {
	int active;
	int check;               /* the new URL must name our object */
	unsigned tries;
	uint64_t wake_ms;        /* the next try, 0: now or not waiting */
	struct child ch;         /* --refresh-cmd, while it runs */
	struct api_req api;      /* a result API's call */
	int calling;             /* api is out */
	char *get, *head;        /* owned: the URLs it gave... */
	struct url nget, nhead;  /* ...parsed, until checked and taken */
	struct probe pr;         /* the same-object check */
	int probing;
	struct remote r;
	struct haul_error err;   /* why the last try failed */
};

struct ctl {
	const struct opts *o;        /* borrowed */
	const struct msg *m;         /* borrowed */
	volatile sig_atomic_t *stop; /* borrowed */
	const struct download *d;    /* borrowed */
	struct net *net;             /* borrowed: shared by a batch */
	struct iow *io;              /* borrowed: shared by a batch */
	enum ctl_state state;
	int result;                  /* CS_DONE: 0, CTL_NOTHING or a HAUL_E* */
	struct haul_error err;       /* owned: why, when result < 0 */
	struct url url;              /* the GET URL now */
	struct url head;             /* the HEAD URL now (head.text NULL: none) */
	unsigned nslots;             /* connections it may use */
	struct remote remote;
	struct probe probe;          /* CS_PROBE, or heading */
	int heading;                 /* the HEAD after the first answer is out */
	struct remote head_r;        /* what it says */
	struct iow_job job;          /* the I/O job under way (one at a time) */
	struct store store;
	struct plan plan;
	struct blocks blocks;
	struct journal journal;
	struct syncer sync;          /* the disk's slow work, beside the loop */
	int rewriting;               /* the syncer writes a fresh journal */
	uint64_t synced_ms;          /* when the last sync job was handed over */
	uint64_t synced_bytes;       /* and f.stats.bytes then */
	struct fetch f;
	struct fetch_stats st;       /* over every fetch of this download */
	struct verify v;             /* whole-file checks, hashed as it lands */
	struct stream out;           /* -o -: the window to standard output */
	struct trust_plan tplan;     /* the store's claims to check (not with --no-verify) */
	struct renewal rn;
	struct prep_notes pn;
	int streaming;               /* -o -: no file, no journal; out instead */
	int have_file, have_part, have_journal;
	uint64_t fsize;              /* FILE's size, when have_file */
	int checks_set;              /* v has its checks */
	int keep_part;               /* failed a check: keep FILE.part */
	/* --shard: this process fetches [share_lo, share_hi) of the object
	 * (all of it once it finishes the file for the others); shard_fd
	 * holds the shards' lock while it does, -1 otherwise. */
	uint64_t share_lo, share_hi;
	int shard_fd;
	int shard_last;              /* it is the one that finishes the file */
	char shard_missing[128];     /* the shards not done yet, for messages */
	int journaling;              /* FILE.haul is open and kept up to date */
	int resuming;                /* the I/O job resumes (else starts afresh) */
	int final_due;               /* a last checkpoint is owed (the fetch stopped) */
	int renewed;                 /* the URL was renewed before the first request */
	int created;                 /* this run created FILE.part */
	int fetching;                /* f is set up */
	char *jpath;                 /* owned: FILE.haul */
	uint64_t had;                /* bytes already on disk when we started */
	uint64_t saved;              /* bytes the journal vouches for now */
	double t0;
	struct report_item item;     /* what the progress display shows */
	int reported;                /* item was started */
};

/* ctl.c */
const struct url *ctl_head(const struct ctl *c); /* NULL: none */
void ctl_end(struct ctl *c, int ret);
int ctl_setup_fetch(struct ctl *c, int ranged, unsigned nslots, struct haul_error *err);
void ctl_account(struct ctl *c);
int ctl_checks(struct ctl *c, struct haul_error *err);
/* What the probe (or the first answer) found, before the file is made. */
int ctl_learned(struct ctl *c, struct haul_error *err);

/* ctl_prep.c */
int ctl_check_paths(struct ctl *c, struct haul_error *err);
int ctl_already_there(struct ctl *c, struct haul_error *err);
void ctl_remove_state(struct ctl *c);
/* Start the I/O job that resumes (c->resuming) or creates FILE.part; then
 * ctl_prepared runs in the loop. 0 or a HAUL_E*. */
int ctl_prepare_file(struct ctl *c, struct haul_error *err);
void ctl_prepared(struct ctl *c, int ret, struct haul_error *err);
void ctl_say_prepared(struct ctl *c);
/* The end: checks, then the name (two I/O jobs), or what is kept. */
int ctl_finish_file(struct ctl *c, struct haul_error *err);
int ctl_stopped(struct ctl *c, int ret, struct haul_error *err);
/* The last checkpoint of a download that stopped with ret, as an I/O job;
 * then ctl_stopped. 0 when started, else the error to end with. */
int ctl_final_checkpoint(struct ctl *c, int ret);

/* The fetch loop's checkpoint hook (struct fetch's checkpoint): record
 * progress in the journal now, hand the disk's slow work to the syncer. */
int ctl_checkpoint(void *ctx, int final, struct haul_error *err);
int ctl_settle(struct ctl *c, struct haul_error *err);

/* ctl_renew.c */
int ctl_renew_start(struct ctl *c, int check, struct haul_error *err);
long ctl_renew_tick(struct ctl *c);
int ctl_renew_fd(const struct ctl *c);
void ctl_renew_release(struct ctl *c);
/* The renewal ended: 0 (c->url, c->head_url are the new ones) or why not. */
void ctl_renewed(struct ctl *c, int ret, struct haul_error *err);

/* ctl_say.c */
void ctl_on_event(void *ctx, const struct fetch_event *ev);
void ctl_note_saved(struct ctl *c, uint64_t vouch);
void ctl_say_remote(const struct ctl *c);
void ctl_report_begin(struct ctl *c, unsigned nslots);
void ctl_report_done(struct ctl *c, uint64_t size);
void ctl_summary(const struct ctl *c, uint64_t size);
void ctl_report_checks(struct ctl *c);
void ctl_say_checks(const struct ctl *c);
void ctl_on_round(void *ctx);

/* ctl_stream.c */
/* -o -: probe and set up the one download, in line. 0 or a HAUL_E*. */
int ctl_start_stream(struct ctl *c, struct haul_error *err);
/* -o -: the transfers ended well; the rest goes out, through the checks. */
int ctl_end_stream(struct ctl *c, struct haul_error *err);

/* ctl_shard.c */
int ctl_shard_setup(struct ctl *c, struct haul_error *err);
void ctl_shard_clip(const struct ctl *c, struct range *holes, size_t *n);
int ctl_shard_done(struct ctl *c, struct haul_error *err);
void ctl_shard_commit(struct ctl *c);
void ctl_shard_release(struct ctl *c);
int ctl_shard_learned(struct ctl *c, struct haul_error *err);
/* ctl_prep.c: c's one I/O job -- run in the worker, then done in the
 * loop -- with c in state meanwhile. 0, or what iow_submit said. */
int ctl_job(struct ctl *c, int (*run)(struct iow_job *j, struct haul_error *err),
	    void (*done)(struct iow_job *j), enum ctl_state state, struct haul_error *err);
/* ctl_prep.c: the data and the journal on disk (in the worker). */
int ctl_durable(struct ctl *c, struct haul_error *err);

#endif
