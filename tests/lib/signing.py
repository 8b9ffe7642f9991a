"""Presigned test URLs, shared by origin.py (which checks them), sign.py and
mockapi.py (which mint them). Four styles, close to the real ones. The URL's
path is PATH percent-encoded the way S3/R2/GCS presigners encode a key
(RFC 3986 unreserved characters and "/" kept: "~" stays, "=" becomes %3D);
EPATH below is that encoded form, exactly as it is sent.

S3 SigV4-like: X-Amz-Date=YYYYMMDDTHHMMSSZ, X-Amz-Expires=N,
  X-Amz-SignedHeaders=H (";"-separated, lowercase; "host" by default) and
  X-Amz-Signature = hex HMAC-SHA256(key, METHOD \\n EPATH \\n date \\n expires)
  (with \\n H appended when H is not "host", so H cannot be edited):
  a URL signed for GET is refused for HEAD, as S3 does. The origin also
  refuses a request with an x-amz-* header that H does not list.
GCS-V4-like: X-Goog-Algorithm=GOOG4-HMAC-SHA256, X-Goog-Credential,
  X-Goog-Date=YYYYMMDDTHHMMSSZ, X-Goog-Expires=N (at most 604800, as GCS),
  X-Goog-SignedHeaders=host and X-Goog-Signature = hex HMAC-SHA256(key,
  "GOOG4" \\n METHOD \\n EPATH \\n date \\n expires \\n host): method-bound too.
Azure-SAS-like: sv, sr=b, sp=r, se=YYYY-MM-DDTHH:MM:SSZ and sig = base64
  HMAC-SHA256(key, "r" \\n PATH \\n se), URL-encoded as Azure's are (so the
  query holds %2B, %2F, %3D): good for GET and HEAD. PATH is the decoded
  path here: Azure signs the blob's name, not its encoding.

Opaque: tok = hex(expiry) "." hex HMAC-SHA256(key, METHOD \n PATH \n expiry):
  the deadline is in the URL but in no form haul can read, so only the
  answer tells that the URL has expired.

Other query parameters (the origin's behaviour switches) are not signed.
Standard library only.
"""

import base64
import calendar
import hashlib
import hmac
import time
import urllib.parse


def _mac(key, *parts):
    return hmac.new(key.encode(), "\n".join(parts).encode(),
                    hashlib.sha256).hexdigest()


def _same(a, b):
    """Constant-time equality of two strings (any characters: a query value
    may hold anything a client sent)."""
    return hmac.compare_digest(a.encode("utf-8", "surrogateescape"),
                               b.encode("utf-8", "surrogateescape"))


def _mac_b64(key, *parts):
    """Azure SAS: base64 of the raw HMAC-SHA256, not hex."""
    return base64.b64encode(hmac.new(key.encode(), "\n".join(parts).encode(),
                                     hashlib.sha256).digest()).decode()


def encode_path(path):
    """PATH as an S3/R2/GCS presigner puts it in the URL (and signs it):
    every byte but RFC 3986 unreserved characters and "/" percent-encoded."""
    return urllib.parse.quote(path, safe="/")


GCS_MAX_EXPIRES = 604800


def _gcs_parts(method, epath, date, expires, signed_headers):
    """What a GCS-style signature MACs ("GOOG4" keeps it apart from S3's)."""
    return ["GOOG4", method, epath, date, expires, signed_headers]


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
    """A presigned URL for base + path (path decoded; the URL holds
    encode_path(path)), valid ttl seconds from now (the issue time is
    floored to the second, like X-Amz-Date). style: "s3", "gcs", "azure"
    or "opaque". signed_headers (S3 style): the X-Amz-SignedHeaders list,
    e.g. "host;x-amz-checksum-mode"; None means "host"."""
    now = int(time.time())
    qpath = encode_path(path)
    if style == "opaque":
        exp = "%x" % (now + ttl)
        q = [("tok", exp + "." + _mac(key, method, path, exp))]
    elif style == "azure":
        se = _iso(now + ttl)
        q = [("sv", "2022-11-02"), ("sr", "b"), ("sp", "r"), ("se", se),
             ("sig", _mac_b64(key, "r", path, se))]
    elif style == "gcs":
        d = _amz_date(now)
        q = [("X-Goog-Algorithm", "GOOG4-HMAC-SHA256"),
             ("X-Goog-Credential", "haultest@haul-test.iam.gserviceaccount.com/%s/auto/"
              "storage/goog4_request" % d[:8]),
             ("X-Goog-Date", d), ("X-Goog-Expires", str(ttl)),
             ("X-Goog-SignedHeaders", "host"),
             ("X-Goog-Signature",
              _mac(key, *_gcs_parts(method, qpath, d, str(ttl), "host")))]
    else:
        d = _amz_date(now)
        sh = (signed_headers or "host").lower()
        q = [("X-Amz-Algorithm", "AWS4-HMAC-SHA256"),
             ("X-Amz-Credential", "HAULTEST/20261122/auto/s3/aws4_request"),
             ("X-Amz-Date", d), ("X-Amz-Expires", str(ttl)),
             ("X-Amz-SignedHeaders", sh),
             ("X-Amz-Signature",
              _mac(key, *_s3_parts(method, qpath, d, str(ttl), sh)))]
    query = urllib.parse.urlencode(q)
    if extra:
        query = extra + "&" + query
    return base.rstrip("/") + qpath + "?" + query


def _dated(key, method, sig, date, expires, parts_fn, headers, epath,
           max_expires=None):
    """The verdict on an S3- or GCS-style URL (date + expires + a hex MAC
    bound to the method)."""
    try:
        t = calendar.timegm(time.strptime(date, "%Y%m%dT%H%M%SZ"))
        deadline = t + int(expires)
    except (ValueError, OverflowError):
        return "bad", sig, None
    if max_expires is not None and not 1 <= int(expires) <= max_expires:
        return "bad", sig, deadline
    if not _same(sig, _mac(key, *parts_fn(method, epath, date, expires, headers))):
        other = "HEAD" if method == "GET" else "GET"
        if _same(sig, _mac(key, *parts_fn(other, epath, date, expires, headers))):
            return "wrongmethod", sig, deadline
        return "bad", sig, deadline
    return ("expired" if time.time() > deadline else "valid"), sig, deadline


def check(key, method, path, query, raw_path=None):
    """Judge a request. path: the decoded path; raw_path: the path exactly
    as sent (still percent-encoded), which S3- and GCS-style signatures
    cover (without it, encode_path(path) stands in). Returns (verdict,
    sig_id, expires_at) with verdict one of "none", "valid", "expired",
    "bad", "wrongmethod"."""
    # parse_qsl decodes the values: an Azure sig's %2B, %2F, %3D included.
    q = dict(urllib.parse.parse_qsl(query, keep_blank_values=True))
    now = time.time()
    epath = raw_path if raw_path is not None else encode_path(path)
    if "X-Amz-Signature" in q:
        return _dated(key, method, q["X-Amz-Signature"], q.get("X-Amz-Date", ""),
                      q.get("X-Amz-Expires", ""), _s3_parts,
                      q.get("X-Amz-SignedHeaders", "host"), epath)
    if "X-Goog-Signature" in q:
        return _dated(key, method, q["X-Goog-Signature"], q.get("X-Goog-Date", ""),
                      q.get("X-Goog-Expires", ""), _gcs_parts,
                      q.get("X-Goog-SignedHeaders", "host"), epath, GCS_MAX_EXPIRES)
    if "tok" in q:
        tok = q["tok"]
        exp, _, mac = tok.partition(".")
        try:
            deadline = int(exp, 16)
        except ValueError:
            return "bad", tok, None
        if not _same(mac, _mac(key, method, path, exp)):
            return "bad", tok, deadline
        return ("expired" if now > deadline else "valid"), tok, deadline
    if "sig" in q and "se" in q:
        sig, se = q["sig"], q["se"]
        try:
            deadline = calendar.timegm(time.strptime(se, "%Y-%m-%dT%H:%M:%SZ"))
        except ValueError:
            return "bad", sig, None
        if not _same(sig, _mac_b64(key, "r", path, se)):
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


def gcs_expired_body(deadline):
    """What GCS's XML API answers for an expired V4 signed URL."""
    return ("<?xml version='1.0' encoding='UTF-8'?><Error><Code>ExpiredToken</Code>"
            "<Message>Invalid argument.</Message><Details>The provided token has "
            "expired. Request signature expired at: %s</Details></Error>"
            % time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(deadline))).encode()
