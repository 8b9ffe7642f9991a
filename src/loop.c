/*
 * loop.c -- finished transfers to their owners.
 */
#include "config.h"

#include "loop.h"

int xfer_add(CURLM *multi, CURL *e, struct xfer *x)
{
	curl_easy_setopt(e, CURLOPT_PRIVATE, x);
	return curl_multi_add_handle(multi, e) == CURLM_OK ? 0 : -1;
}

unsigned xfer_dispatch(CURLM *multi)
{
	unsigned n = 0;
	int left;
	CURLMsg *m;

	while ((m = curl_multi_info_read(multi, &left))) {
		struct xfer *x = NULL;
		CURL *e = m->easy_handle;
		int code = (int)m->data.result;

		if (m->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(e, CURLINFO_PRIVATE, (char **)&x);
		curl_multi_remove_handle(multi, e);
		if (x)
			x->done(x, code); /* may add handles: info_read copes */
		n++;
	}
	return n;
}
