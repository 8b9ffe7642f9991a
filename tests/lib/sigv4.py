"""AWS Signature Version 4 in the Authorization header, checked the way a
bucket checks it, for origin.py: the canonical request, the string to sign
and the HMAC-SHA256 key chain are computed here from the known test secret
(AWS's "Create a signed AWS API request" steps), so a request that haul did
not sign, or signed wrongly, is refused.

check() returns one of:
  "valid"     the signature matches
  "none"      no AWS4-HMAC-SHA256 Authorization header
  "badkey"    another access key id
  "bad"       malformed, a header missing from SignedHeaders, or a
              signature that does not match
  "nosha"     S3 without x-amz-content-sha256 (S3 answers 400 to that)
  "skewed"    x-amz-date more than 15 minutes off
  "badtoken"  a session token that is not the expected one, or not signed

Standard library only.
"""

import calendar
import hashlib
import hmac
import re
import time
import urllib.parse

AUTH_RE = re.compile(
    r"^AWS4-HMAC-SHA256 Credential=(?P<key>[^/]+)/(?P<date>\d{8})/(?P<region>[^/]+)/"
    r"(?P<service>[^/]+)/aws4_request, *SignedHeaders=(?P<signed>[a-z0-9;-]+), *"
    r"Signature=(?P<sig>[0-9a-f]{64})$")
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
MAX_SKEW = 15 * 60


def _hmac(key, text):
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


def _encode(s):
    return urllib.parse.quote(s, safe="-_.~")


def canonical_uri(raw_path):
    """Each segment URI-encoded once (S3 does not double-encode)."""
    return "/".join(_encode(urllib.parse.unquote(seg))
                    for seg in raw_path.split("/")) or "/"


def canonical_query(raw_query):
    pairs = urllib.parse.parse_qsl(raw_query, keep_blank_values=True)
    return "&".join("%s=%s" % (_encode(k), _encode(v)) for k, v in sorted(pairs))


def _value(headers, name):
    values = headers.get_all(name) or []
    return ",".join(" ".join(v.split()) for v in values)


def check(method, raw_path, raw_query, headers, key_id, secret, token=None,
          now=None):
    """headers: an email.message.Message (BaseHTTPRequestHandler.headers)."""
    m = AUTH_RE.match(headers.get("Authorization") or "")
    if not m:
        return "bad" if (headers.get("Authorization") or "").startswith("AWS4") else "none"
    if m.group("key") != key_id:
        return "badkey"
    amz_date = headers.get("x-amz-date") or ""
    try:
        t = calendar.timegm(time.strptime(amz_date, "%Y%m%dT%H%M%SZ"))
    except ValueError:
        return "bad"
    if not amz_date.startswith(m.group("date")):
        return "bad"
    if abs((now if now is not None else time.time()) - t) > MAX_SKEW:
        return "skewed"
    signed = m.group("signed").split(";")
    present = {k.lower() for k in headers.keys()}
    # Host and every x-amz-* header sent must be signed, and exist.
    if signed != sorted(signed) or "host" not in signed or \
            any(h not in present for h in signed) or \
            any(h.startswith("x-amz-") and h not in signed for h in present):
        return "bad"
    payload = headers.get("x-amz-content-sha256")
    if payload is None:
        if m.group("service") == "s3":
            return "nosha"
        payload = EMPTY_SHA256
    canonical = "\n".join([
        method,
        canonical_uri(raw_path),
        canonical_query(raw_query),
        "".join("%s:%s\n" % (h, _value(headers, h)) for h in signed),
        ";".join(signed),
        payload.strip()])
    scope = "%s/%s/%s/aws4_request" % (m.group("date"), m.group("region"),
                                       m.group("service"))
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope,
                         hashlib.sha256(canonical.encode()).hexdigest()])
    k = _hmac(("AWS4" + secret).encode(), m.group("date"))
    for part in (m.group("region"), m.group("service"), "aws4_request"):
        k = _hmac(k, part)
    want = hmac.new(k, to_sign.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(want, m.group("sig")):
        return "bad"
    sent = headers.get("x-amz-security-token")
    if token is not None and sent is not None and (sent != token or
                                                   "x-amz-security-token" not in signed):
        return "badtoken"
    return "valid"
