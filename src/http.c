/*
 * http.c -- Content-Range and ETag parsing, response validation and the
 * outcome classifier. Pure functions only.
 */
#include "config.h"

#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "expiry.h"
#include "http.h"
#include "num.h"

static const char *skip_ows(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

int http_parse_content_range(const char *value, struct content_range *cr)
{
	const char *p;

	memset(cr, 0, sizeof(*cr));
	if (!value)
		return -1;
	p = skip_ows(value);
	if (strncasecmp(p, "bytes", 5) != 0 || (p[5] != ' ' && p[5] != '\t'))
		return -1;
	p = skip_ows(p + 5);
	if (*p == '*') {
		p++;
	} else {
		if (num_scan_u64(&p, &cr->first) != NUM_OK || *p++ != '-' ||
		    num_scan_u64(&p, &cr->last) != NUM_OK || cr->last < cr->first)
			return -1;
		cr->has_range = 1;
	}
	if (*p++ != '/')
		return -1;
	if (*p == '*') {
		p++;
		if (!cr->has_range)
			return -1; /* "*" / "*" says nothing */
	} else {
		if (num_scan_u64(&p, &cr->total) != NUM_OK)
			return -1;
		cr->has_total = 1;
		/* Sizes are off_t on disk, so 2^63 and above is not a real file. */
		if (cr->total > (uint64_t)INT64_MAX)
			return -1;
		if (cr->has_range && cr->last >= cr->total)
			return -1;
	}
	p = skip_ows(p);
	return *p ? -1 : 0;
}

int http_etag_valid(const char *value)
{
	const char *p = value;
	size_t len;

	if (!p)
		return 0;
	len = strlen(p);
	if (len > HTTP_ETAG_MAX || len < 2)
		return 0;
	if (p[0] == 'W' && p[1] == '/')
		p += 2;
	if (*p++ != '"')
		return 0;
	/* etagc = %x21 / %x23-7E / obs-text */
	for (; *p && *p != '"'; p++) {
		unsigned char c = (unsigned char)*p;

		if (c < 0x21 || c == 0x7f)
			return 0;
	}
	return p[0] == '"' && p[1] == '\0';
}

int http_etag_weak(const char *value)
{
	return value && value[0] == 'W' && value[1] == '/';
}

int http_same_object(const struct range_response *r, const struct identity *id)
{
	if (id->etag && r->etag)
		return strcmp(id->etag, r->etag) == 0;
	if (!id->etag && id->last_modified && r->last_modified)
		return strcmp(id->last_modified, r->last_modified) == 0;
	return 1; /* nothing to compare: the size checks are all there is */
}

enum range_check http_check_range(const struct range_response *r, uint64_t first,
				  uint64_t last, const struct identity *id)
{
	struct content_range cr;

	if (r->status == 200)
		return http_same_object(r, id) ? RANGE_IGNORED : RANGE_CHANGED;
	if (r->status != 206)
		return RANGE_NOT_SUCCESS;
	if (r->content_length_raw) {
		/* A length that is no number, or past 2^63, is a hostile answer. */
		uint64_t len;
		const char *p = r->content_length_raw;

		if (num_scan_u64(&p, &len) != NUM_OK || *p || len > (uint64_t)INT64_MAX)
			return RANGE_MISMATCH;
	}
	if (!http_same_object(r, id))
		return RANGE_CHANGED;
	if (r->content_encoding && *r->content_encoding &&
	    strcasecmp(r->content_encoding, "identity") != 0)
		return RANGE_ENCODED;
	if (http_parse_content_range(r->content_range, &cr) != 0 || !cr.has_range ||
	    !cr.has_total)
		return RANGE_MISMATCH;
	if (cr.total != id->size)
		return RANGE_CHANGED; /* the object has another size now */
	if (cr.first != first || cr.last != last)
		return RANGE_MISMATCH;
	if (r->content_length >= 0 && (uint64_t)r->content_length != last - first + 1)
		return RANGE_MISMATCH;
	return RANGE_OK;
}

static enum outcome classify_status(long status)
{
	if (status == 412 || status == 416)
		return OUTCOME_CHANGED;
	if (status == 408 || status == 425 || status == 429 || status >= 500)
		return OUTCOME_RETRY;
	return OUTCOME_REFUSED;
}

static enum outcome classify_curl(int code)
{
	switch (code) {
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_PARTIAL_FILE:
	case CURLE_GOT_NOTHING:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
	case CURLE_HTTP3:
	case CURLE_QUIC_CONNECT_ERROR:
	case CURLE_PROXY:
	case CURLE_WEIRD_SERVER_REPLY:
		return OUTCOME_RETRY;
	default:
		return OUTCOME_FAILED;
	}
}

enum outcome http_classify(const struct xfer_result *x)
{
	/* The response's headers decide first: they were seen before any body. */
	switch (x->check) {
	case RANGE_OK:
		break;
	case RANGE_IGNORED:
		return OUTCOME_NO_RANGES;
	case RANGE_MISMATCH:
		return OUTCOME_RETRY;
	case RANGE_ENCODED:
		return OUTCOME_FAILED;
	case RANGE_NOT_SUCCESS:
		if (!x->status) {
			/* No HTTP answer at all. Garbage where a status line should
			 * be (libcurl: "HTTP/0.9") comes from a connection that a
			 * broken answer left dirty: worth another try. */
			if (x->curl_code == CURLE_UNSUPPORTED_PROTOCOL)
				return OUTCOME_RETRY;
			return classify_curl(x->curl_code);
		}
		if (expiry_answer_says_expired(x->status, x->body, x->body_len, x->past_deadline,
					       x->url_worked))
			return OUTCOME_EXPIRED;
		return classify_status(x->status);
	case RANGE_CHANGED:
		return OUTCOME_CHANGED;
	}
	if (x->curl_code != CURLE_OK && !x->complete)
		return classify_curl(x->curl_code);
	if (x->status >= 300)
		return classify_status(x->status);
	return x->complete ? OUTCOME_DONE : OUTCOME_RETRY;
}

int http_transient(int curl_code, long status)
{
	if (curl_code != CURLE_OK)
		return classify_curl(curl_code) == OUTCOME_RETRY;
	return status >= 300 && classify_status(status) == OUTCOME_RETRY;
}

const char *http_curl_hint(int curl_code)
{
	if (curl_code == CURLE_PEER_FAILED_VERIFICATION)
		return " (--cacert FILE trusts another CA; --insecure skips the check)";
	return "";
}

const char *http_outcome_name(enum outcome o)
{
	switch (o) {
	case OUTCOME_DONE: return "done";
	case OUTCOME_RETRY: return "retry";
	case OUTCOME_NO_RANGES: return "no-ranges";
	case OUTCOME_CHANGED: return "changed";
	case OUTCOME_REFUSED: return "refused";
	case OUTCOME_FAILED: return "failed";
	case OUTCOME_EXPIRED: return "expired";
	}
	return "?";
}
