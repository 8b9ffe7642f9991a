/*
 * expiry.h -- when does a presigned URL stop working? Read from the URL
 * itself: AWS SigV4 (X-Amz-Date + X-Amz-Expires), AWS SigV2 and GCS V2
 * (Expires=, a Unix time), CloudFront (Expires=, or the DateLessThan of a
 * custom Policy=), GCS V4 (X-Goog-Date + X-Goog-Expires) and Azure SAS
 * (se=). And: does an error answer say the URL has expired? Pure code.
 */
#ifndef HAUL_EXPIRY_H
#define HAUL_EXPIRY_H

#include <stddef.h>
#include <stdint.h>

struct url_expiry {
	int known;         /* the URL states a deadline */
	int64_t deadline;  /* Unix time after which it is refused */
	int64_t issued;    /* Unix time it was signed, or -1 when not stated */
	const char *style; /* static: "AWS SigV4", "Azure SAS", ... */
};

/* Fill e from url's query. Returns 0 (e->known tells), -1 on bad input. */
int expiry_from_url(const char *url, struct url_expiry *e);

/*
 * Parse "YYYYMMDDTHHMMSSZ" (SigV4 and GCS V4 dates) or ISO 8601
 * "YYYY-MM-DD[THH:MM[:SS[.fff]]][Z|+HH:MM|-HH:MM]" (Azure) into Unix time.
 * Returns 0 or -1.
 */
int expiry_parse_time(const char *s, int64_t *out);

/*
 * Does an answer with this status and (start of) body mean that the URL
 * has expired? S3/R2 "Request has expired", ExpiredToken, ExpiredRequest,
 * GCS expired tokens and signatures, Azure AuthenticationFailed about the
 * signed expiry; and any 400/401/403 once past_deadline, or a 401/403 on a
 * URL that worked before (worked). Returns 1 or 0.
 */
int expiry_answer_says_expired(long status, const char *body, size_t len, int past_deadline,
			       int worked);

#endif
