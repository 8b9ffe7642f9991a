/*
 * header.h -- request headers the user adds with -H: what is accepted,
 * and which ones carry credentials.
 */
#ifndef HAUL_HEADER_H
#define HAUL_HEADER_H

#define HEADER_MAX 64 /* -H options per run */

/*
 * Check one "Name: value" line. Returns NULL when it is fine, else a short
 * reason (static): no colon, an empty or invalid name, a control character
 * (CR, LF, ...) in the value, or a header haul sets itself (Range and the
 * conditionals that keep the ranges of one object together). "Name:" with
 * nothing after it is fine: it removes a header libcurl would send.
 */
const char *header_check(const char *line);

/*
 * Whether the header is a credential: Authorization, Cookie, or a name that
 * says so (key, token, secret, session, auth, password, signature,
 * credential). Such headers never go to another host after a redirect.
 */
int header_is_secret(const char *line);

/*
 * Whether libcurl itself keeps this header to the first host when a
 * redirect leads elsewhere (Authorization and Cookie, libcurl >= 7.83).
 */
int header_curl_guards(const char *line);

#endif
