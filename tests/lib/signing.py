"""Presigned test URLs, shared by origin.py (which checks them), sign.py and
mockapi.py (which mint them). Two styles, close to the real ones:

S3 SigV4-like: X-Amz-Date=YYYYMMDDTHHMMSSZ, X-Amz-Expires=N,
  X-Amz-SignedHeaders=H (";"-separated, lowercase; "host" by default) and
  X-Amz-Signature = hex HMAC-SHA256(key, METHOD \\n PATH \\n date \\n expires)
  (with \\n H appended when H is not "host", so H cannot be edited):
  a URL signed for GET is refused for HEAD, as S3 does. The origin also
  refuses a request with an x-amz-* header that H does not list.
Azure-SAS-like: sv, sr=b, sp=r, se=YYYY-MM-DDTHH:MM:SSZ and
  sig = hex HMAC-SHA256(key, "r" \\n PATH \\n se): good for GET and HEAD.

Opaque: tok = hex(expiry) "." hex HMAC-SHA256(key, METHOD \n PATH \n expiry):
  the deadline is in the URL but in no form haul can read, so only the
  answer tells that the URL has expired.

Other query parameters (the origin's behaviour switches) are not signed.
Standard library only.
"""

import calendar
import hashlib
import hmac
import time
import urllib.parse


def _mac(key, *parts):
    return hmac.new(key.encode(), "\n".join(parts).encode(),
                    hashlib.sha256).hexdigest()


def _amz_date(t):
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(t))


def _iso(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def _s3_parts(method, path, date, expires, signed_headers):
    """What an S3-style signature MACs."""
    parts = [method, path, date, expires]
    if signed_headers != "host":
        parts.append(signed_headers)
    return parts


def mint(key, base, path, ttl, method="GET", style="s3", extra="",
         signed_headers=None):
    """A presigned URL for base + path, valid ttl seconds from now
    (the issue time is floored to the second, like X-Amz-Date).
    signed_headers (S3 style): the X-Amz-SignedHeaders list, e.g.
    "host;x-amz-checksum-mode"; None means "host"."""
    now = int(time.time())
    qpath = urllib.parse.quote(path)
    if style == "opaque":
        exp = "%x" % (now + ttl)
        q = [("tok", exp + "." + _mac(key, method, path, exp))]
    elif style == "azure":
        se = _iso(now + ttl)
        q = [("sv", "2022-11-02"), ("sr", "b"), ("sp", "r"), ("se", se),
             ("sig", _mac(key, "r", path, se))]
    else:
        d = _amz_date(now)
        sh = (signed_headers or "host").lower()
        q = [("X-Amz-Algorithm", "AWS4-HMAC-SHA256"),
             ("X-Amz-Credential", "HAULTEST/20261122/auto/s3/aws4_request"),
             ("X-Amz-Date", d), ("X-Amz-Expires", str(ttl)),
             ("X-Amz-SignedHeaders", sh),
             ("X-Amz-Signature",
              _mac(key, *_s3_parts(method, path, d, str(ttl), sh)))]
    query = urllib.parse.urlencode(q)
    if extra:
        query = extra + "&" + query
    return base.rstrip("/") + qpath + "?" + query


def check(key, method, path, query):
    """Judge a request. Returns (verdict, sig_id, expires_at) with verdict
    one of "none", "valid", "expired", "bad", "wrongmethod"."""
    q = dict(urllib.parse.parse_qsl(query, keep_blank_values=True))
    now = time.time()
    if "X-Amz-Signature" in q:
        sig = q["X-Amz-Signature"]
        d, exp = q.get("X-Amz-Date", ""), q.get("X-Amz-Expires", "")
        sh = q.get("X-Amz-SignedHeaders", "host")
        try:
            t = calendar.timegm(time.strptime(d, "%Y%m%dT%H%M%SZ"))
            deadline = t + int(exp)
        except (ValueError, OverflowError):
            return "bad", sig, None
        if not hmac.compare_digest(sig, _mac(key, *_s3_parts(method, path, d, exp, sh))):
            other = "HEAD" if method == "GET" else "GET"
            if hmac.compare_digest(sig, _mac(key, *_s3_parts(other, path, d, exp, sh))):
                return "wrongmethod", sig, deadline
            return "bad", sig, deadline
        return ("expired" if now > deadline else "valid"), sig, deadline
    if "tok" in q:
        tok = q["tok"]
        exp, _, mac = tok.partition(".")
        try:
            deadline = int(exp, 16)
        except ValueError:
            return "bad", tok, None
        if not hmac.compare_digest(mac, _mac(key, method, path, exp)):
            return "bad", tok, deadline
        return ("expired" if now > deadline else "valid"), tok, deadline
    if "sig" in q and "se" in q:
        sig, se = q["sig"], q["se"]
        try:
            deadline = calendar.timegm(time.strptime(se, "%Y-%m-%dT%H:%M:%SZ"))
        except ValueError:
            return "bad", sig, None
        if not hmac.compare_digest(sig, _mac(key, "r", path, se)):
            return "bad", sig, deadline
        return ("expired" if now > deadline else "valid"), sig, deadline
    return "none", None, None


def s3_expired_body(expires, deadline):
    now = time.time()
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code>'
            "<Message>Request has expired</Message><X-Amz-Expires>%s</X-Amz-Expires>"
            "<Expires>%s</Expires><ServerTime>%s</ServerTime>"
            "<RequestId>HAULTEST0000</RequestId><HostId>haul-test</HostId></Error>"
            % (expires, _iso(deadline), _iso(now))).encode()


def azure_expired_body(deadline):
    now = time.time()
    return ('<?xml version="1.0" encoding="utf-8"?><Error><Code>AuthenticationFailed'
            "</Code><Message>Server failed to authenticate the request. Make sure the "
            "value of Authorization header is formed correctly including the signature."
            "\nRequestId:haul-test\nTime:%s</Message><AuthenticationErrorDetail>"
            "Signature not valid in the specified time frame: Start [%s] - Expiry [%s] - "
            "Current [%s]</AuthenticationErrorDetail></Error>"
            % (_iso(now), _iso(deadline - 3600), _iso(deadline), _iso(now))).encode()
