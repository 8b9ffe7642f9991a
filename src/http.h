/*
 * http.h -- pure HTTP helpers: parsing what servers send about ranges and
 * identity, and the one classifier that turns a finished transfer into what
 * haul does next. No I/O here, so every rule is table-tested.
 */
#ifndef HAUL_HTTP_H
#define HAUL_HTTP_H

#include <stddef.h>
#include <stdint.h>

/* Longest ETag haul accepts; anything longer is treated as hostile. */
#define HTTP_ETAG_MAX 512

/* A parsed "bytes FIRST-LAST/TOTAL"; either side of the slash may be "*". */
struct content_range {
	int has_range;  /* FIRST-LAST present (not "*") */
	int has_total;  /* TOTAL present (not "*") */
	uint64_t first; /* inclusive */
	uint64_t last;  /* inclusive, >= first */
	uint64_t total; /* > last when both are present */
};

/* Returns 0, or -1 when the value is malformed or inconsistent. */
int http_parse_content_range(const char *value, struct content_range *cr);

/*
 * Is value a well-formed entity tag (strong "x" or weak W/"x"), no longer
 * than HTTP_ETAG_MAX? Returns 1 or 0.
 */
int http_etag_valid(const char *value);

/* Is the ETag weak (W/"...")? Weak tags cannot be used with If-Match. */
int http_etag_weak(const char *value);

/* What the headers of a response to "Range: bytes=first-last" mean. */
enum range_check {
	RANGE_OK = 0,       /* 206 with exactly the requested Content-Range */
	RANGE_IGNORED,      /* 200: the server sent the whole object instead */
	RANGE_MISMATCH,     /* 206 but another range, total or length */
	RANGE_ENCODED,      /* a Content-Encoding other than identity */
	RANGE_NOT_SUCCESS,  /* any status that is not 200 or 206 */
	RANGE_CHANGED,      /* another ETag or Last-Modified than expected */
};

struct range_response {
	long status;
	const char *content_range;    /* NULL when absent */
	const char *content_encoding; /* NULL when absent */
	int64_t content_length;       /* -1 when absent or unparsable */
	const char *content_length_raw; /* the header as sent, NULL when absent */
	const char *etag;             /* NULL when absent */
	const char *last_modified;    /* NULL when absent */
};

/* The object haul is fetching: what every answer must agree with. */
struct identity {
	uint64_t size;
	const char *etag;          /* borrowed, NULL when the server sent none */
	const char *last_modified; /* borrowed, NULL when the server sent none */
};

/*
 * Check the headers of an answer to "Range: bytes=first-last". An answer
 * that names another ETag (or, when the object has none, another
 * Last-Modified) than id is RANGE_CHANGED: the object was replaced.
 */
enum range_check http_check_range(const struct range_response *r, uint64_t first,
				  uint64_t last, const struct identity *id);

/* The same identity check alone, for plain (unranged) answers. */
int http_same_object(const struct range_response *r, const struct identity *id);

/* What to do about a finished (or failed) request. */
enum outcome {
	OUTCOME_DONE = 0,  /* got what was asked */
	OUTCOME_RETRY,     /* transient: try the rest of the range again */
	OUTCOME_NO_RANGES, /* the server ignores Range: fetch as one stream */
	OUTCOME_CHANGED,   /* the object changed (412, 416, identity) */
	OUTCOME_REFUSED,   /* permanent refusal: 4xx */
	OUTCOME_FAILED,    /* permanent network or protocol failure */
	OUTCOME_EXPIRED,   /* the URL has expired: get a fresh one, never retry */
};

struct xfer_result {
	int curl_code;          /* a CURLcode */
	long status;            /* final HTTP status, 0 when none */
	enum range_check check; /* for ranged requests; RANGE_OK otherwise */
	int complete;           /* every requested byte was written */
	const char *body;       /* the start of an error answer, or NULL */
	size_t body_len;
	int past_deadline;      /* the URL's stated deadline has passed */
	int url_worked;         /* this URL got a good answer before */
};

enum outcome http_classify(const struct xfer_result *x);

/* Is a request that failed with this CURLcode, or answered this status,
 * worth repeating (a reset, a timeout, 408, 429, 5xx)? 1 or 0. */
int http_transient(int curl_code, long status);

/*
 * What the user can do about a libcurl failure, to follow its message: ""
 * for most, a pointer to --cacert/--insecure for a certificate that could
 * not be verified. Static storage.
 */
const char *http_curl_hint(int curl_code);

const char *http_outcome_name(enum outcome o);

#endif
