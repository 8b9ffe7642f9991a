#!/usr/bin/env python3
"""Test HTTP origin server for haul's test suite.

Serves regular files below --root over HTTP/1.1 (keep-alive) with single
byte-range support, MD5 ETags, conditional requests and a set of per-request
behaviour switches selected through the URL query string (rate, totalrate,
slowfirst (slowat), dropafter, delay, nohead, norange, noranges_header, nolength,
noetag, nolm, status). rate=R paces each answer to R bytes/s (an object
store's per-connection cap); totalrate=R makes all answers with the same R
share one link of R bytes/s, however many connections. With --sign-key it
answers only presigned URLs, like a bucket: see signing.py. A valid
S3-style one sent with an x-amz-* header that its X-Amz-SignedHeaders
does not list gets S3's 403 AccessDenied "There were headers present in
the request which were not signed" (logged as "sig": "headersnotsigned",
"headers_not_signed": the header names).

FAULTS, also per request from the query (seed=N makes random ones
replayable: the same seed and request number give the same draw):
  droprate=P      after each 64 KiB of body, close the connection with
                  probability P
  stallafter=B&stallfor=S   after B body bytes, send nothing for S seconds
  dropafter=B     send only B body bytes, then close
  short=N         send N bytes fewer than Content-Length, then close
                  (with shortrate=P: for a fraction P of the answers)
  long=N          send N bytes more than Content-Length, then close
  fail=CODE&failfirst=N     the first N requests for the URL get CODE
  fail=CODE&failfrom=N      the N-th request for the URL and every later one
                  get CODE
  fail=CODE&failrate=P      each request gets CODE with probability P
  retryafter=V    with fail=: a Retry-After header (seconds or a date)
  failmethod=M    with fail=: only requests with method M (GET, HEAD)
  badrange=1      Content-Range one byte off
  ignorerangeafter=N        honour Range for the first N requests, then 200
  gzip=1          Content-Encoding: gzip on ranges (the body is raw)
  redirect=1      302 to the same path on the --host2 listener
  hugelen=1       Content-Length: 99999999999999999999
  bigheader=N     a header line of N bytes
  bigetag=N       an ETag of N characters

INTEGRITY, per request:
  multipart=P     an S3 multipart ETag "HEX-N" for parts of P bytes (HEX:
                  the MD5 of the parts' binary MD5s; N = ceil(size / P));
                  it is also what If-Match compares against
  parts=P         the part size of amzsumtype=composite, ETag unchanged
  etag=fake       the ETag is 32 hex digits that are not the file's MD5
                  (with multipart=P: "HEX-N", N the true part count);
                  etag=opaque: one like Azure's "0x8D0123456789ABC";
                  either is also what If-Match compares against
  sse=kms         x-amz-server-side-encryption: aws:kms and its key id,
                  and a fake ETag as etag=fake; sse=c: x-amz-server-side-
                  encryption-customer-algorithm: AES256, likewise
  flip=OFF        every GET body that covers byte OFF sends it XORed with
                  1 (headers still describe the true file); with
                  flipfirst=1 only the first such answer for the URL
                  (flipfirst does not apply with nolength)
  amzsha256=1     x-amz-checksum-sha256: base64 of the file's SHA-256
                  (amzsha256=bad: of b"wrong"), on every answer
  amzsum=A[,A..]  like S3, only when the request has x-amz-checksum-mode:
                  ENABLED and only on HEAD and answers with the whole
                  object: x-amz-checksum-A (A: crc32, crc32c, crc64nvme,
                  sha1, sha256): base64 of the file's A (CRCs big-endian),
                  and x-amz-checksum-type: FULL_OBJECT
  amzsumtype=composite      with multipart=P or parts=P: each value is
                  base64 of A(the parts' raw A values, concatenated) "-N",
                  and the type COMPOSITE (crc64nvme stays full-object)
  amzsumbad=1     every amzsum= value is of wrong data: the file with its
                  first byte XORed with 1
  googhash=1      x-goog-hash: crc32c=<base64 CRC-32C> and x-goog-hash:
                  md5=<base64 MD5>, two lines, on every answer (206 too)
  googhash=crc32c x-goog-hash: crc32c=... alone, with x-goog-component-
                  count: 3 (a composite object: no MD5)
  googhashbad=1   the x-goog-hash values are of wrong data (as amzsumbad)
  azmd5=1         x-ms-blob-content-md5 (base64 MD5 of the whole file) on
                  every answer, 206 too, and Content-MD5 with the same on
                  HEAD and answers with the whole file (azmd5=bad: of
                  wrong data, as amzsumbad)
  contentmd5=1    Content-MD5 (base64 MD5 of the file) on HEAD and on 200
                  answers with the whole file
  store=KIND      headers of that kind of server on every answer, errors
                  too: s3 (Server: AmazonS3, x-amz-request-id, x-amz-id-2),
                  gcs (Server: UploadServer, x-goog-generation,
                  x-goog-metageneration, x-goog-stored-content-length),
                  azure (Server: Windows-Azure-Blob/1.0 ..., x-ms-request-id,
                  x-ms-version, x-ms-blob-type), r2 (Server: cloudflare,
                  cf-ray); without it no x-amz-/x-goog-/x-ms- header is
                  sent unless a switch above asks (or nohead=403)
Every request's log line has "checksum_mode": whether it carried
x-amz-checksum-mode: ENABLED. CRC-32C and CRC-64/NVME come from crcmod
(Debian's python3-crcmod; a slow pure Python fallback without it).

AUTHENTICATION, per request:
  auth=basic      answer 401 unless the request has HTTP Basic auth with
                  the --basic-auth USER:PASSWORD credentials
  auth=sigv4      answer 403 unless the request has an AWS Signature V4
                  Authorization header that verifies (sigv4.py) with the
                  --aws-key ID:SECRET key (and whose x-amz-security-token,
                  if any, is the --aws-token one, signed)
Every request's log line says what it carried: "user_agent", "auth_scheme"
(the first word of Authorization), "auth_user" (Basic's user name or the
SigV4 key id; never a password), "amz_token" (whether x-amz-security-token
was sent), and with those options "basic" and "sigv4", the verdicts.

With --tls CERT KEY it speaks HTTPS. A request in absolute form (the way a
client talks to an HTTP proxy) is served like any other and logged with
"absolute": true, so the origin doubles as a proxy for any host name.

Every finished request is appended as one JSON object per line to --log.

Standard library only, and crcmod.
"""

import argparse
import base64
import email.utils
import hashlib
import hmac
import http.server
import itertools
import json
import os
import random
import re
import select
import signal
import socket
import socketserver
import ssl
import stat
import sys
import threading
import time
import traceback
import urllib.parse
import uuid
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import signing  # noqa: E402  (tests/lib/signing.py)
import sigv4  # noqa: E402  (tests/lib/sigv4.py)

try:
    import crcmod
except ImportError:
    # The suite may run under a python3 other than Debian's (pyenv's, say):
    # borrow Debian's python3-crcmod; its C extension loads when the
    # versions agree, else crcmod falls back to its own pure Python.
    _DEB = "/usr/lib/python3/dist-packages"
    sys.path.append(_DEB)
    try:
        import crcmod
    except ImportError:
        crcmod = None
    finally:
        sys.path.remove(_DEB)

FAULT_CHUNK = 64 << 10       # drop decisions are made per 64 KiB
HASH_CHUNK = 1 << 20          # 1 MiB reads while computing the MD5 ETag
PLAIN_CHUNK = 1 << 20         # read size for unthrottled chunked bodies
SENDFILE_MAX = 1 << 26        # upper bound per os.sendfile() call
ERROR_BODY = b"<Error><Code>Test</Code></Error>"
NOT_FOUND_BODY = b"<Error><Code>NoSuchKey</Code></Error>"
DISCONNECT_ERRORS = (BrokenPipeError, ConnectionResetError,
                     ConnectionAbortedError, TimeoutError)
NOHEAD_CODES = (403, 405, 501)

STORE_SERVERS = {"s3": "AmazonS3", "gcs": "UploadServer",
                 "azure": "Windows-Azure-Blob/1.0 Microsoft-HTTPAPI/2.0",
                 "r2": "cloudflare"}

RANGE_RE = re.compile(r"^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$", re.IGNORECASE)


class ClientGone(Exception):
    """The peer closed the connection while we were answering."""


# --------------------------------------------------------------------------
# Checksums: CRC-32 (zlib's), CRC-32C and CRC-64/NVME, with a running value
# (fn(data, previous) continues fn's result), as S3 and GCS announce them
# --------------------------------------------------------------------------

def _table_crc(poly_reflected, width):
    """A reflected CRC with init = xorout = all ones, table driven, for
    when crcmod is missing (slow: about 10 s per 64 MiB)."""
    mask = (1 << width) - 1
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ poly_reflected if c & 1 else c >> 1
        table.append(c)

    def fn(data, crc=0):
        crc ^= mask
        for b in data:
            crc = table[(crc ^ b) & 0xFF] ^ (crc >> 8)
        return crc ^ mask
    return fn


if crcmod is not None:
    crc32c = crcmod.mkCrcFun(0x1EDC6F41 | (1 << 32), initCrc=0, rev=True,
                             xorOut=0xFFFFFFFF)
    crc64nvme = crcmod.mkCrcFun(0xAD93D23594C93659 | (1 << 64), initCrc=0,
                                rev=True, xorOut=0xFFFFFFFFFFFFFFFF)
    CRC_FAST = sys.modules["crcmod.crcmod"]._usingExtension
else:
    crc32c = _table_crc(0x82F63B78, 32)
    crc64nvme = _table_crc(0x9A6C9329AC4BC9B5, 64)
    CRC_FAST = False
assert crc32c(b"123456789") == 0xE3069283
assert crc32c(b"56789", crc32c(b"1234")) == 0xE3069283
assert crc64nvme(b"123456789") == 0xAE8B14860A799888
assert crc64nvme(b"56789", crc64nvme(b"1234")) == 0xAE8B14860A799888
assert zlib.crc32(b"123456789") == 0xCBF43926

CRCS = {"crc32": (zlib.crc32, 4), "crc32c": (crc32c, 4),
        "crc64nvme": (crc64nvme, 8)}
AMZ_ALGS = ("crc32", "crc32c", "crc64nvme", "sha1", "sha256")


class Hasher:
    """hashlib's interface for the CRCs too; digest() is raw bytes, a
    CRC's big-endian."""

    def __init__(self, alg):
        self.crc = None
        if alg in CRCS:
            self.fn, self.width = CRCS[alg]
            self.crc = 0
        else:
            self.h = hashlib.new(alg)

    def update(self, data):
        if self.crc is None:
            self.h.update(data)
        else:
            self.crc = self.fn(data, self.crc)

    def digest(self):
        if self.crc is None:
            return self.h.digest()
        return self.crc.to_bytes(self.width, "big")


def part_count(size, part):
    """How many parts of `part` bytes (the last shorter) make size; an
    empty file is one empty part."""
    return max(1, -(-size // part))


# --------------------------------------------------------------------------
# Request log
# --------------------------------------------------------------------------

class RequestLog:
    def __init__(self, path):
        self._lock = threading.Lock()
        self._fh = open(path, "a", encoding="utf-8")

    def write(self, record):
        line = json.dumps(record, separators=(",", ":")) + "\n"
        with self._lock:
            self._fh.write(line)
            self._fh.flush()

    def quiesce(self, timeout=2.0):
        """Take the lock (so no line is half written) and flush."""
        got = self._lock.acquire(timeout=timeout)
        try:
            self._fh.flush()
        except OSError:
            pass
        return got


# --------------------------------------------------------------------------
# ETag cache
# --------------------------------------------------------------------------

class EtagCache:
    """MD5 of file contents, remembered per file identity.

    The key includes device, inode, size, mtime_ns and ctime_ns, so a file
    replaced by rename, rewritten in place or touched gets re-hashed.
    Concurrent first requests for the same file hash it only once.
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._by_path = {}      # path -> (key, etag)
        self._busy = {}         # key -> Lock held while hashing
        self._extra = {}        # (key, kind) -> other digests

    @staticmethod
    def key_of(st):
        return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns,
                st.st_ctime_ns)

    def get(self, path, fd, st):
        key = self.key_of(st)
        while True:
            with self._lock:
                hit = self._by_path.get(path)
                if hit is not None and hit[0] == key:
                    return hit[1]
                busy = self._busy.get(key)
                if busy is None:
                    busy = threading.Lock()
                    busy.acquire()
                    self._busy[key] = busy
                    mine = True
                else:
                    mine = False
            if not mine:
                # Someone else is hashing this exact file version: wait.
                busy.acquire()
                busy.release()
                with self._lock:
                    hit = self._by_path.get(path)
                    if hit is not None and hit[0] == key:
                        return hit[1]
                # Their result was for another path or got replaced;
                # fall through and try again (possibly hashing ourselves).
                continue
            try:
                etag = '"%s"' % self._md5_fd(fd, st.st_size)
                with self._lock:
                    self._by_path[path] = (key, etag)
                return etag
            finally:
                with self._lock:
                    self._busy.pop(key, None)
                busy.release()

    def digest(self, fd, st, kind):
        """kind, cached per file version:
          ALG                  raw digest of the file (ALG: "md5", "sha1",
                               "sha256", "crc32", "crc32c", "crc64nvme";
                               a CRC as big-endian bytes)
          ("bad", ALG)         the same of wrong data: the file with its
                               first byte XORed with 1 (b"\\x01" if empty)
          ("multipart", P)     the S3 multipart ETag text for parts of P
          ("composite", ALG, P, BAD)   (raw ALG of the concatenated raw
                               ALG values of the parts of P bytes, N);
                               with BAD, of the wrong data"""
        key = (self.key_of(st), kind)
        with self._lock:
            hit = self._extra.get(key)
        if hit is not None:
            return hit
        if isinstance(kind, str):
            value = self._parts(fd, st.st_size, kind, None, False)[0]
        elif kind[0] == "bad":
            value = self._parts(fd, st.st_size, kind[1], None, True)[0]
        elif kind[0] == "multipart":
            parts = self._parts(fd, st.st_size, "md5", kind[1], False)
            value = '"%s-%d"' % (hashlib.md5(b"".join(parts)).hexdigest(),
                                 len(parts))
        else:
            _, alg, part, bad = kind
            parts = self._parts(fd, st.st_size, alg, part, bad)
            outer = Hasher(alg)
            outer.update(b"".join(parts))
            value = (outer.digest(), len(parts))
        with self._lock:
            self._extra[key] = value
        return value

    @staticmethod
    def _parts(fd, size, alg, part, bad):
        """[raw ALG of each part of `part` bytes] (part None: the whole
        file), read in 1 MiB pieces; bad: of the file with its first byte
        XORed with 1."""
        part = part or max(size, 1)
        out = []
        off = 0
        while off < size or not out:
            h = Hasher(alg)
            left = min(part, size - off)
            if bad and size == 0:
                h.update(b"\x01")
            while left > 0:
                block = os.pread(fd, min(HASH_CHUNK, left), off)
                if not block:
                    break
                if bad and off == 0:
                    block = bytes([block[0] ^ 1]) + block[1:]
                h.update(block)
                off += len(block)
                left -= len(block)
            out.append(h.digest())
            if left > 0:
                break  # the file shrank under us
        return out

    @staticmethod
    def _md5_fd(fd, size):
        h = hashlib.md5()
        off = 0
        while True:
            block = os.pread(fd, HASH_CHUNK, off)
            if not block:
                break
            h.update(block)
            off += len(block)
        return h.hexdigest()


# --------------------------------------------------------------------------
# Rate limiting
# --------------------------------------------------------------------------

class Pacer:
    """Paces one connection's body bytes to `rate` bytes per second.

    Bytes are released on an absolute schedule (t0 + bytes/rate), so sleep
    jitter does not accumulate.  If the sender falls behind the schedule
    (slow reader) by more than a small slack, the schedule is moved rather
    than allowing a catch-up burst.
    """

    SLACK = 0.05

    def __init__(self, rate):
        self.rate = float(rate)
        self.t0 = time.monotonic()
        self.done = 0

    def chunk_size(self):
        # About 100 sends per second, between 4 KiB and 1 MiB per send.
        return int(min(max(self.rate / 100.0, 4096), 1 << 20))

    def wait(self, n):
        target = self.t0 + (self.done + n) / self.rate
        now = time.monotonic()
        if target > now:
            time.sleep(target - now)
        elif now - target > self.SLACK:
            self.t0 += now - target

    def account(self, n):
        self.done += n


class SharedPacer:
    """Paces the body bytes of every request that shares it: a link of
    `rate` bytes per second, however many connections use it. Each send
    takes the next slot of an absolute schedule, so N connections get
    rate / N each; an idle link does not bank a burst."""

    def __init__(self, rate):
        self.rate = float(rate)
        self.lock = threading.Lock()
        self.next_t = time.monotonic()

    def chunk_size(self):
        return int(min(max(self.rate / 100.0, 4096), 1 << 20))

    def wait(self, n):
        with self.lock:
            now = time.monotonic()
            start = max(self.next_t, now)
            self.next_t = start + n / self.rate
            target = self.next_t
        if target > now:
            time.sleep(target - now)

    def account(self, n):
        pass


# --------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------

def parse_query(query):
    opts = {}
    for name, value in urllib.parse.parse_qsl(query, keep_blank_values=True):
        opts.setdefault(name, value)
    return opts


def opt_float(opts, name):
    try:
        v = float(opts[name])
    except (KeyError, ValueError):
        return None
    if v != v or v in (float("inf"), float("-inf")):
        return None
    return v


def opt_int(opts, name):
    try:
        return int(opts[name])
    except (KeyError, ValueError):
        return None


def opt_flag(opts, name):
    v = opts.get(name)
    return v is not None and v.strip().lower() not in ("", "0", "false", "no")


def parse_range(header, size):
    """Return None (ignore header), 'unsat', or (first, last) inclusive."""
    if header is None or "," in header:
        return None
    m = RANGE_RE.match(header)
    if not m:
        return None
    a, b = m.group(1), m.group(2)
    if a == "" and b == "":
        return None
    if a == "":
        n = int(b)
        if n == 0 or size == 0:
            return "unsat"
        return (max(0, size - n), size - 1)
    first = int(a)
    if b != "":
        last = int(b)
        if last < first:
            return None
    else:
        last = size - 1
    if first >= size:
        return "unsat"
    return (first, min(last, size - 1))


def etag_list_matches(header, etag):
    """Strong comparison of an If-Match style list against etag."""
    if etag is None:
        return False
    for item in header.split(","):
        item = item.strip()
        if item and not item.startswith("W/") and item == etag:
            return True
    return False


def http_date_to_ts(value):
    try:
        dt = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if dt is None:
        return None
    try:
        return dt.timestamp()
    except (OverflowError, ValueError, OSError):
        return None


# --------------------------------------------------------------------------
# HTTP machinery
# --------------------------------------------------------------------------

class OriginServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address, root, log):
        host = address[0]
        if ":" in host:
            self.address_family = socket.AF_INET6
        self.root = os.path.abspath(root)
        self.log = log
        self.etags = EtagCache()
        self._conn_ids = itertools.count(1)
        self._conn_lock = threading.Lock()
        self._req_no = itertools.count(1)
        self._path_counts = {}
        self._shared_pacers = {}
        self.other = None  # (host, port) of the second listener, for redirects
        self.sign_key = None
        self.sign_optional = False
        self.basic_auth = None  # "USER:PASSWORD" for auth=basic
        self.aws_key = None     # ("ID", "SECRET") for auth=sigv4
        self.aws_token = None   # the session token auth=sigv4 wants
        super().__init__(address, OriginHandler)

    def server_bind(self):
        # Skip HTTPServer.server_bind's getfqdn() (may do slow DNS lookups).
        socketserver.TCPServer.server_bind(self)
        self.server_name = self.server_address[0]
        self.server_port = self.server_address[1]

    def next_conn_id(self):
        with self._conn_lock:
            return next(self._conn_ids)

    def next_request_no(self):
        with self._conn_lock:
            return next(self._req_no)

    def count_path(self, key):
        """How many times key has been counted, this time included."""
        with self._conn_lock:
            self._path_counts[key] = self._path_counts.get(key, 0) + 1
            return self._path_counts[key]

    def shared_pacer(self, rate):
        """The one SharedPacer for `rate` (totalrate=)."""
        with self._conn_lock:
            if rate not in self._shared_pacers:
                self._shared_pacers[rate] = SharedPacer(rate)
            return self._shared_pacers[rate]

    def handle_error(self, request, client_address):
        exc = sys.exc_info()[1]
        if isinstance(exc, DISCONNECT_ERRORS + (ClientGone,)):
            return
        super().handle_error(request, client_address)


class OriginHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "haul-test-origin/1.0"

    def version_string(self):
        store = getattr(self, "opts", {}).get("store")
        return STORE_SERVERS.get(store, self.server_version)

    # ---- connection level ------------------------------------------------

    def setup(self):
        super().setup()
        self.conn_id = self.server.next_conn_id()
        self.pacer = None
        try:
            self.connection.setsockopt(socket.IPPROTO_TCP,
                                       socket.TCP_NODELAY, 1)
        except OSError:
            pass

    def log_message(self, format, *args):  # noqa: A002 - silence stderr log
        pass

    def parse_request(self):
        self._t_start = time.monotonic()
        self.opts = {}  # no switches of the last request on the connection
        self.obj_st = None
        return super().parse_request()

    def __getattr__(self, name):
        # Any method other than GET/HEAD gets a 405 (instead of the
        # default 501 "Unsupported method").
        if name.startswith("do_"):
            return self._do_other
        raise AttributeError(name)

    # ---- request entry points --------------------------------------------

    def do_GET(self):
        self._run(self._serve)

    def do_HEAD(self):
        self._run(self._serve)

    def _do_other(self):
        self._run(self._serve_other)

    def _run(self, body_fn):
        raw_path = self.path
        # Absolute-form request targets (what a client sends to an HTTP
        # proxy): keep only path + query, and log that it came that way.
        absolute = "://" in raw_path.split("?", 1)[0]
        if absolute:
            parts = urllib.parse.urlsplit(raw_path)
            raw_path = parts.path + ("?" + parts.query if parts.query else "")
        raw_path = raw_path.split("#", 1)[0]
        path_part, _, query = raw_path.partition("?")
        self.raw_path = path_part  # still percent-encoded, for SigV4
        self.req_path = urllib.parse.unquote(path_part, errors="replace")
        self.req_query = query
        self.opts = parse_query(query)
        self.is_head = self.command == "HEAD"
        self.rec = {
            "conn": self.conn_id,
            "host": self.server.server_address[0],
            "absolute": absolute,
            "host_header": self.headers.get("Host"),
            "method": self.command,
            "path": self.req_path,
            "query": query,
            "range": self.headers.get("Range"),
            "if_match": self.headers.get("If-Match"),
            "if_range": self.headers.get("If-Range"),
            "authorization": self.headers.get("Authorization") is not None,
            "api_key": self.headers.get("api-subscription-key") is not None,
            "user_agent": self.headers.get("User-Agent"),
            "auth_scheme": None,
            "auth_user": None,
            "amz_token": self.headers.get("x-amz-security-token") is not None,
            "checksum_mode": (self.headers.get("x-amz-checksum-mode") or "")
            .strip().lower() == "enabled",
            "names": sorted({k.lower() for k in self.headers.keys()}),
            "sig": "none",
            "sig_id": None,
            "expires_at": None,
            "status": 0,
            "bytes": 0,
            "t_start": getattr(self, "_t_start", time.monotonic()),
            "t_end": None,
            "aborted": False,
        }
        try:
            body_fn()
        except (ClientGone,) + DISCONNECT_ERRORS:
            self.rec["aborted"] = True
            self.close_connection = True
        except Exception:
            # Unexpected failure: do not keep a possibly desynchronised
            # connection, and report the traceback on stderr.
            self.close_connection = True
            self.rec["aborted"] = True
            traceback.print_exc()
        finally:
            self.rec["t_end"] = time.monotonic()
            self.server.log.write(self.rec)

    # ---- response helpers ------------------------------------------------

    def _start(self, code, headers):
        """Send status line and headers (after the optional delay)."""
        delay = opt_float(self.opts, "delay")
        if delay and delay > 0:
            time.sleep(delay)
        self.rec["status"] = code
        self.send_response(code)
        have = {name.lower() for name, _ in headers}
        headers = list(headers) + [h for h in self._store_headers()
                                   if h[0].lower() not in have]
        for name, value in headers:
            self.send_header(name, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()

    def _store_headers(self):
        """store=: the headers that tell which kind of server answers (its
        Server header comes from version_string)."""
        store = self.opts.get("store")
        if store == "s3":
            return [("x-amz-request-id", os.urandom(8).hex().upper()),
                    ("x-amz-id-2", base64.b64encode(os.urandom(54)).decode())]
        if store == "gcs":
            st = self.obj_st
            if st is None:
                path = self._resolve(self.req_path)
                try:
                    st = os.stat(path) if path else None
                except OSError:
                    st = None
            gen = str(st.st_mtime_ns // 1000) if st else "1700000000000000"
            out = [("x-goog-generation", gen), ("x-goog-metageneration", "1")]
            if st is not None:
                out.append(("x-goog-stored-content-length", str(st.st_size)))
            return out
        if store == "azure":
            return [("x-ms-request-id", str(uuid.uuid4())),
                    ("x-ms-version", "2021-08-06"),
                    ("x-ms-blob-type", "BlockBlob")]
        if store == "r2":
            return [("cf-ray", os.urandom(8).hex() + "-AMS")]
        return []

    def _send_bytes(self, data):
        if self.is_head or not data:
            return
        self.connection.sendall(data)
        self.rec["bytes"] += len(data)

    def _simple(self, code, body=b"", ctype="application/xml", extra=()):
        headers = [("Content-Type", ctype),
                   ("Content-Length", str(len(body)))]
        headers.extend(extra)
        if code < 200 or code in (204, 304):
            headers = [h for h in headers if h[0] != "Content-Length"]
            body = b""
        self._start(code, headers)
        self._send_bytes(body)

    # ---- handlers ----------------------------------------------------------

    def _serve_other(self):
        # We do not read request bodies: close after answering.
        self.close_connection = True
        self._simple(405, b"", extra=[("Allow", "GET, HEAD")])

    def _signed(self):
        """With --sign-key, refuse what a bucket would. True: go on."""
        key = self.server.sign_key
        if key is None:
            return True
        # S3- and GCS-style signatures cover the path as sent (encoded).
        verdict, sig_id, deadline = signing.check(key, self.command,
                                                  self.req_path, self.req_query,
                                                  raw_path=self.raw_path)
        self.rec["sig"], self.rec["sig_id"] = verdict, sig_id
        self.rec["expires_at"] = deadline
        if verdict == "valid":
            unsigned = self._headers_not_signed()
            if not unsigned:
                return True
            self.rec["sig"] = "headersnotsigned"
            self.rec["headers_not_signed"] = unsigned
            self._simple(403, (
                '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied'
                "</Code><Message>There were headers present in the request which "
                "were not signed</Message><HeadersNotSigned>%s</HeadersNotSigned>"
                "<RequestId>HAULTEST0000</RequestId><HostId>haul-test</HostId>"
                "</Error>" % ", ".join(unsigned)).encode())
            return False
        if verdict == "none" and self.server.sign_optional:
            return True
        if verdict == "expired":
            q = dict(urllib.parse.parse_qsl(self.req_query))
            if "X-Goog-Signature" in q:
                body = signing.gcs_expired_body(deadline)
            elif "se=" in self.req_query:
                body = signing.azure_expired_body(deadline)
            else:
                body = signing.s3_expired_body(q.get("X-Amz-Expires", "?"), deadline)
        elif verdict in ("bad", "wrongmethod"):
            body = b"<Error><Code>SignatureDoesNotMatch</Code><Message>The request " \
                   b"signature we calculated does not match the signature you " \
                   b"provided.</Message></Error>"
        else:
            body = b"<Error><Code>AccessDenied</Code><Message>Access Denied" \
                   b"</Message></Error>"
        self._simple(403, body)
        return False

    def _headers_not_signed(self):
        """The request's x-amz-* headers that an S3-style presigned URL
        does not list in X-Amz-SignedHeaders (sorted, lowercase)."""
        q = dict(urllib.parse.parse_qsl(self.req_query, keep_blank_values=True))
        if "X-Amz-Signature" not in q:
            return []
        signed = set(q.get("X-Amz-SignedHeaders", "host").lower().split(";"))
        return sorted({k.lower() for k in self.headers.keys()
                       if k.lower().startswith("x-amz-")} - signed)

    # ---- fault modes (see FAULTS in the module comment) -------------------

    def _rng(self):
        """A random source for this request: the same for the same seed
        and the same request number, so faults can be replayed."""
        seed = opt_int(self.opts, "seed") or 0
        return random.Random(seed * 1000003 + self.server.next_request_no())

    def _fault_answer(self):
        """Answers that replace the object's: errors, redirects. True when
        one was sent."""
        opts = self.opts
        code = opt_int(opts, "fail")
        only = opts.get("failmethod")
        if code and (not only or only == self.command):
            n_first = opt_int(opts, "failfirst")
            n_from = opt_int(opts, "failfrom")
            rate = opt_float(opts, "failrate")
            hit = False
            if n_first is not None:
                key = self.req_path + "?" + self.req_query + "#fail"
                hit = self.server.count_path(key) <= n_first
            elif n_from is not None:
                key = self.req_path + "?" + self.req_query + "#fail"
                hit = self.server.count_path(key) >= n_from
            elif rate is not None:
                hit = self._rng().random() < rate
            if hit:
                extra = []
                ra = opts.get("retryafter")
                if ra:
                    extra.append(("Retry-After", ra))
                self._simple(code, ERROR_BODY, extra=extra)
                return True
        if opt_flag(opts, "redirect") and self.server.other is not None:
            q = "&".join(kv for kv in self.req_query.split("&")
                         if not kv.startswith("redirect="))
            loc = "http://%s:%d%s%s" % (self.server.other[0], self.server.other[1],
                                        urllib.parse.quote(self.req_path),
                                        "?" + q if q else "")
            self._simple(302, b"", extra=[("Location", loc)])
            return True
        return False

    def _credentials(self):
        """Log what Authorization carried (never a password); True when
        the auth= switch, if any, is satisfied, else refuse."""
        auth = self.headers.get("Authorization") or ""
        scheme, _, rest = auth.partition(" ")
        self.rec["auth_scheme"] = scheme or None
        if scheme.lower() == "basic":
            try:
                user, _, password = base64.b64decode(rest.strip(), validate=True) \
                    .decode("utf-8", "replace").partition(":")
            except ValueError:
                user, password = None, None
            self.rec["auth_user"] = user
            if self.server.basic_auth is not None:
                self.rec["basic"] = "valid" if user is not None and hmac_equal(
                    "%s:%s" % (user, password), self.server.basic_auth) else "bad"
        elif scheme == "AWS4-HMAC-SHA256":
            m = re.search(r"Credential=([^/,]+)/", rest)
            self.rec["auth_user"] = m.group(1) if m else None
        if self.server.basic_auth is not None and "basic" not in self.rec:
            self.rec["basic"] = "none"
        if self.server.aws_key is not None:
            self.rec["sigv4"] = sigv4.check(self.command, self.raw_path,
                                            self.req_query, self.headers,
                                            self.server.aws_key[0],
                                            self.server.aws_key[1],
                                            self.server.aws_token)
        want = self.opts.get("auth")
        if want == "basic" and self.rec.get("basic") != "valid":
            self._simple(401, b"", extra=[("WWW-Authenticate",
                                           'Basic realm="haul-test"')])
            return False
        if want == "sigv4" and self.rec.get("sigv4") != "valid":
            self._simple(403, b"<Error><Code>SignatureDoesNotMatch</Code><Message>The "
                         b"request signature we calculated does not match the "
                         b"signature you provided.</Message></Error>")
            return False
        return True

    def _serve(self):
        opts = self.opts

        if not self._signed():
            return
        if not self._credentials():
            return
        if self._fault_answer():
            return
        status = opt_int(opts, "status")
        if status is not None and 100 <= status <= 999:
            self._simple(status, ERROR_BODY)
            return

        if self.is_head:
            nohead = opt_int(opts, "nohead")
            if nohead in NOHEAD_CODES:
                if nohead == 403:
                    extra = [("x-amz-request-id", "HAULTEST0000000000"),
                             ("x-amz-id-2", "haul-test-origin")]
                    self._start(403, [("Content-Type", "application/xml"),
                                      ("Transfer-Encoding", "chunked")]
                                + extra)
                elif nohead == 405:
                    self._start(405, [("Allow", "GET"),
                                      ("Content-Length", "0")])
                else:
                    self._start(501, [("Content-Length", "0")])
                return

        fs_path = self._resolve(self.req_path)
        if fs_path is None:
            self._simple(404, NOT_FOUND_BODY)
            return
        try:
            fh = open(fs_path, "rb")
        except OSError:
            self._simple(404, NOT_FOUND_BODY)
            return
        with fh:
            st = os.fstat(fh.fileno())
            if not stat.S_ISREG(st.st_mode):
                self._simple(404, NOT_FOUND_BODY)
                return
            self.obj_st = st
            self._serve_file(fh, st, fs_path)

    def _resolve(self, decoded):
        if "\0" in decoded:
            return None
        segments = decoded.replace("\\", "/").split("/")
        if any(seg == ".." for seg in segments):
            return None
        rel = "/".join(seg for seg in segments if seg not in ("", "."))
        if not rel:
            return None
        full = os.path.normpath(os.path.join(self.server.root, rel))
        root = self.server.root
        if full != root and not full.startswith(root.rstrip(os.sep) + os.sep):
            return None
        return full

    def _serve_file(self, fh, st, fs_path):
        opts = self.opts
        size = st.st_size
        norange = opt_flag(opts, "norange")
        no_ar_header = opt_flag(opts, "noranges_header")
        nolength = opt_flag(opts, "nolength")
        noetag = opt_flag(opts, "noetag")
        nolm = opt_flag(opts, "nolm")

        multipart = opt_int(opts, "multipart")
        if multipart is not None and multipart <= 0:
            multipart = None
        if opts.get("etag") == "opaque":
            real_etag = '"0x8D%s"' % hashlib.md5(("%s:%d:%d" % (
                self.req_path, size, st.st_mtime_ns)).encode()).hexdigest()[:13].upper()
        elif opts.get("etag") == "fake" or opts.get("sse") in ("kms", "c"):
            real_etag = '"%s%s"' % (
                hashlib.md5(("fake:%s:%d" % (self.req_path, size)).encode()).hexdigest(),
                "-%d" % part_count(size, multipart) if multipart else "")
        elif multipart:
            real_etag = self.server.etags.digest(fh.fileno(), st,
                                                 ("multipart", multipart))
        else:
            real_etag = self.server.etags.get(fs_path, fh.fileno(), st)
        etag = None if noetag else real_etag
        mtime = st.st_mtime
        lm = None if nolm else email.utils.formatdate(mtime, usegmt=True)

        base = [("Content-Type", "application/octet-stream")]
        bigetag = opt_int(opts, "bigetag")
        if bigetag:
            etag = '"' + "e" * bigetag + '"'
        if etag is not None:
            base.append(("ETag", etag))
        bigheader = opt_int(opts, "bigheader")
        if bigheader:
            base.append(("X-Haul-Padding", "p" * bigheader))
        if lm is not None:
            base.append(("Last-Modified", lm))
        amz = opts.get("amzsha256")
        if amz:
            raw = (hashlib.sha256(b"wrong").digest() if amz == "bad" else
                   self.server.etags.digest(fh.fileno(), st, "sha256"))
            base.append(("x-amz-checksum-sha256",
                         base64.b64encode(raw).decode()))
        base.extend(self._object_headers(fh, st))
        ranges_honoured = not norange and not nolength
        if ranges_honoured and not no_ar_header:
            base.append(("Accept-Ranges", "bytes"))

        # Preconditions (RFC 7232 order: If-Match, else If-Unmodified-Since).
        if_match = self.headers.get("If-Match")
        if if_match is not None:
            if if_match.strip() != "*" and not etag_list_matches(if_match,
                                                                 etag):
                self._start(412, base_without_type(base)
                            + [("Content-Length", "0")])
                return
        else:
            ius = self.headers.get("If-Unmodified-Since")
            if ius is not None:
                ts = http_date_to_ts(ius)
                if ts is not None and int(mtime) > ts:
                    self._start(412, base_without_type(base)
                                + [("Content-Length", "0")])
                    return

        rng = None
        if ranges_honoured:
            rng = parse_range(self.headers.get("Range"), size)
            if rng is not None:
                if_range = self.headers.get("If-Range")
                if if_range is not None:
                    v = if_range.strip()
                    if not ((etag is not None and v == etag)
                            or (lm is not None and v == lm)):
                        rng = None

        if rng == "unsat":
            self._start(416, base_without_type(base)
                        + [("Content-Range", "bytes */%d" % size),
                           ("Content-Length", "0")])
            return

        if nolength:
            self._serve_unknown_length(fh, size, base + [
                h for h in self._whole_headers(fh, st)
                if h[0].lower() not in {b[0].lower() for b in base}])
            return

        after = opt_int(opts, "ignorerangeafter")
        if rng is not None and after is not None and \
                self.server.count_path(self.req_path + "?" + self.req_query +
                                       "#ranges") > after:
            rng = None  # the server stops honouring Range

        if rng is None:
            first, last, code = 0, size - 1, 200
            headers = base + [("Content-Length", str(size))]
        else:
            first, last = rng
            code = 206
            shown = first + 1 if opt_flag(opts, "badrange") else first
            headers = base + [
                ("Content-Range", "bytes %d-%d/%d" % (shown, last, size)),
                ("Content-Length", str(last - first + 1))]
            if opt_flag(opts, "gzip"):
                headers.append(("Content-Encoding", "gzip"))
        if opt_flag(opts, "contentmd5") and first == 0 and last == size - 1 \
                and (code == 200 or self.is_head):
            raw = self.server.etags.digest(fh.fileno(), st, "md5")
            headers.append(("Content-MD5", base64.b64encode(raw).decode()))
        if self.is_head or (first == 0 and last == size - 1):
            have = {h[0].lower() for h in headers}
            headers.extend(h for h in self._whole_headers(fh, st)
                           if h[0].lower() not in have)
        if opt_flag(opts, "hugelen"):
            headers = [h for h in headers if h[0] != "Content-Length"]
            headers.append(("Content-Length", "99999999999999999999"))
        self._start(code, headers)
        if self.is_head:
            return
        count = last - first + 1
        if count <= 0:
            return
        rate = opt_float(opts, "rate")
        # slowfirst=N: only the response that starts at byte 0 (or at
        # slowat=OFF) is paced, so one connection is far slower than the
        # others.
        slowfirst = opt_float(opts, "slowfirst")
        slowat = opt_int(opts, "slowat") or 0
        if slowfirst is not None and slowfirst > 0 and first == slowat:
            rate = slowfirst
        # dropafter=N: send only N bytes of the body, then close the
        # connection (a link that drops mid-response).
        dropafter = opt_int(opts, "dropafter")
        send = count if dropafter is None or dropafter >= count else dropafter
        short = opt_int(opts, "short")
        shortrate = opt_float(opts, "shortrate")
        if short and (shortrate is None or self._rng().random() < shortrate):
            send = max(0, count - short)
        droprate = opt_float(opts, "droprate")
        stallafter = opt_int(opts, "stallafter")
        flip = opt_int(opts, "flip")
        if flip is not None and first <= flip < first + send and \
                (not opt_flag(opts, "flipfirst") or self.server.count_path(
                    self.req_path + "?" + self.req_query + "#flip") == 1):
            self._send_flipped(fh, first, send, flip)
        elif droprate or stallafter is not None:
            send = self._send_faulty(fh, first, send, rate, droprate or 0.0,
                                     stallafter, opt_float(opts, "stallfor") or 0.0)
        elif rate is not None and rate > 0:
            self._send_paced(fh, first, send, rate)
        elif (opt_float(opts, "totalrate") or 0) > 0:
            self._send_paced(fh, first, send, 0,
                             self.server.shared_pacer(opt_float(opts, "totalrate")))
        else:
            self._send_file(fh, first, send)
        extra = opt_int(opts, "long")
        if extra and send == count:
            self.connection.sendall(b"x" * extra)
            self.rec["bytes"] += extra
            send = count - 1  # close the connection below
        if send < count:
            self.rec["dropped"] = True
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def _object_headers(self, fh, st):
        """Headers about the whole object that go on every answer for it
        (200, 206, 412, 416): x-goog-hash, x-ms-blob-content-md5, sse=."""
        opts = self.opts
        digest = self.server.etags.digest
        fd = fh.fileno()
        b64 = lambda raw: base64.b64encode(raw).decode()  # noqa: E731
        out = []
        goog = opts.get("googhash", "")
        if goog.lower() == "crc32c" or opt_flag(opts, "googhash"):
            bad = opt_flag(opts, "googhashbad")
            crc = digest(fd, st, ("bad", "crc32c") if bad else "crc32c")
            out.append(("x-goog-hash", "crc32c=" + b64(crc)))
            if goog.lower() == "crc32c":
                out.append(("x-goog-component-count", "3"))
            else:
                md5 = digest(fd, st, ("bad", "md5") if bad else "md5")
                out.append(("x-goog-hash", "md5=" + b64(md5)))
        az = opts.get("azmd5")
        if az and opt_flag(opts, "azmd5"):
            md5 = digest(fd, st, ("bad", "md5") if az == "bad" else "md5")
            out.append(("x-ms-blob-content-md5", b64(md5)))
        sse = opts.get("sse")
        if sse == "kms":
            out += [("x-amz-server-side-encryption", "aws:kms"),
                    ("x-amz-server-side-encryption-aws-kms-key-id",
                     "arn:aws:kms:us-east-1:111122223333:key/test")]
        elif sse == "c":
            out.append(("x-amz-server-side-encryption-customer-algorithm",
                        "AES256"))
        return out

    def _whole_headers(self, fh, st):
        """Headers only for HEAD and answers with the whole object:
        amzsum= (when the request asked, x-amz-checksum-mode: ENABLED)
        and azmd5='s Content-MD5."""
        opts = self.opts
        digest = self.server.etags.digest
        fd = fh.fileno()
        b64 = lambda raw: base64.b64encode(raw).decode()  # noqa: E731
        out = []
        algs = [a.strip().lower() for a in opts.get("amzsum", "").split(",")]
        algs = [a for a in AMZ_ALGS if a in algs]
        if algs and self.rec["checksum_mode"]:
            part = opt_int(opts, "multipart")
            if part is None or part <= 0:
                part = opt_int(opts, "parts")
            composite = opts.get("amzsumtype", "").lower() == "composite" \
                and part is not None and part > 0
            bad = opt_flag(opts, "amzsumbad")
            any_composite = False
            for alg in algs:
                if composite and alg != "crc64nvme":
                    raw, n = digest(fd, st, ("composite", alg, part, bad))
                    value = "%s-%d" % (b64(raw), n)
                    any_composite = True
                else:
                    value = b64(digest(fd, st, ("bad", alg) if bad else alg))
                out.append(("x-amz-checksum-" + alg, value))
            out.append(("x-amz-checksum-type",
                        "COMPOSITE" if any_composite else "FULL_OBJECT"))
        az = opts.get("azmd5")
        if az and opt_flag(opts, "azmd5"):
            md5 = digest(fd, st, ("bad", "md5") if az == "bad" else "md5")
            out.append(("Content-MD5", b64(md5)))
        return out

    def _send_flipped(self, fh, first, count, flip):
        """Send count bytes from first, byte flip XORed with 1."""
        done = 0
        while done < count:
            data = os.pread(fh.fileno(), min(count - done, 1 << 20), first + done)
            if not data:
                break
            at = flip - (first + done)
            if 0 <= at < len(data):
                data = data[:at] + bytes([data[at] ^ 1]) + data[at + 1:]
            self._sendall_counting(data, 0, len(data))
            done += len(data)

    def _serve_unknown_length(self, fh, size, base):
        chunked = self.request_version != "HTTP/1.0"
        headers = list(base)
        if self.is_head:
            self._start(200, headers)
            return
        if chunked:
            headers.append(("Transfer-Encoding", "chunked"))
        else:
            self.close_connection = True
        self._start(200, headers)
        rate = opt_float(self.opts, "rate")
        pacer = None
        if rate is not None and rate > 0:
            pacer = self.pacer = Pacer(rate)
            step = pacer.chunk_size()
        else:
            step = PLAIN_CHUNK
        off = 0
        fd = fh.fileno()
        flip = opt_int(self.opts, "flip")
        while off < size:
            n = min(step, size - off)
            data = os.pread(fd, n, off)
            if not data:
                break
            if flip is not None and off <= flip < off + len(data):
                at = flip - off
                data = data[:at] + bytes([data[at] ^ 1]) + data[at + 1:]
            if pacer is not None:
                pacer.wait(len(data))
            head = b"%x\r\n" % len(data) if chunked else b""
            tail = b"\r\n" if chunked else b""
            self._sendall_counting(head + data + tail, len(head), len(data))
            if pacer is not None:
                pacer.account(len(data))
            off += len(data)
        if chunked:
            self.connection.sendall(b"0\r\n\r\n")

    def _sendall_counting(self, frame, head_len, payload):
        """sendall() of one (possibly chunk-framed) piece that adds to
        rec['bytes'] only the payload bytes that actually went out, even
        if the peer disappears part way through."""
        sock = self.connection
        view = memoryview(frame)
        pos = 0
        try:
            while pos < len(frame):
                pos += sock.send(view[pos:])
        finally:
            self.rec["bytes"] += min(max(pos - head_len, 0), payload)

    def _send_paced(self, fh, first, count, rate, pacer=None):
        pacer = self.pacer = pacer or Pacer(rate)
        step = pacer.chunk_size()
        fd = fh.fileno()
        sock = self.connection
        off = first
        end = first + count
        while off < end:
            n = min(step, end - off)
            data = os.pread(fd, n, off)
            if not data:
                # File shrank under us: the promised length cannot be met.
                self.close_connection = True
                raise ClientGone()
            pacer.wait(len(data))
            view = memoryview(data)
            pos = 0
            while pos < len(data):
                sent = sock.send(view[pos:])
                pos += sent
                self.rec["bytes"] += sent
            pacer.account(len(data))
            off += len(data)

    def _send_faulty(self, fh, first, count, rate, droprate, stallafter, stallfor):
        """Send the body in 64 KiB pieces: after each, drop the connection
        with probability droprate; once, after stallafter bytes, send
        nothing for stallfor seconds. Returns the bytes sent."""
        rng = self._rng()
        pacer = self.pacer = Pacer(rate) if rate else None
        fd = fh.fileno()
        sent = 0
        stalled = False
        while sent < count:
            if stallafter is not None and not stalled and sent >= stallafter:
                stalled = True
                time.sleep(stallfor)
            n = min(FAULT_CHUNK, count - sent)
            data = os.pread(fd, n, first + sent)
            if not data:
                break
            if pacer:
                pacer.wait(len(data))
            self.connection.sendall(data)
            self.rec["bytes"] += len(data)
            if pacer:
                pacer.account(len(data))
            sent += len(data)
            if sent < count and rng.random() < droprate:
                break
        return sent

    def _send_file(self, fh, first, count):
        sock = self.connection
        if isinstance(sock, ssl.SSLSocket):
            # sendfile() would bypass TLS: copy through the socket instead.
            return self._send_copy(fh, first, count)
        sfd = sock.fileno()
        ffd = fh.fileno()
        done = 0
        while done < count:
            try:
                n = os.sendfile(sfd, ffd, first + done,
                                min(count - done, SENDFILE_MAX))
            except BlockingIOError:
                timeout = sock.gettimeout()
                _, w, _ = select.select([], [sock], [], timeout)
                if not w:
                    raise TimeoutError("send timed out")
                continue
            if n == 0:
                self.close_connection = True
                raise ClientGone()
            done += n
            self.rec["bytes"] += n

    def _send_copy(self, fh, first, count):
        done = 0
        while done < count:
            data = os.pread(fh.fileno(), min(count - done, 1 << 20), first + done)
            if not data:
                raise ClientGone()
            self.connection.sendall(data)
            done += len(data)
            self.rec["bytes"] += len(data)


def hmac_equal(a, b):
    return hmac.compare_digest(a.encode(), b.encode())


def base_without_type(headers):
    return [h for h in headers if h[0] != "Content-Type"]


# --------------------------------------------------------------------------
# main
# --------------------------------------------------------------------------

def write_port_file(path, port):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % port)
        f.flush()
        os.fsync(f.fileno())
    os.rename(tmp, path)


def main(argv=None):
    ap = argparse.ArgumentParser(description="haul test origin server")
    ap.add_argument("--root", required=True)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--sign-key", default=None,
                    help="require presigned URLs (see signing.py)")
    ap.add_argument("--host2", default=None,
                    help="also listen on this address (redirect=1 goes there)")
    ap.add_argument("--sign-optional", action="store_true",
                    help="with --sign-key, let unsigned requests through")
    ap.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"), default=None,
                    help="serve HTTPS with this certificate chain and key")
    ap.add_argument("--basic-auth", default=None, metavar="USER:PASSWORD",
                    help="the credentials auth=basic wants")
    ap.add_argument("--aws-key", default=None, metavar="ID:SECRET",
                    help="the key auth=sigv4 checks signatures with")
    ap.add_argument("--aws-token", default=None,
                    help="the session token auth=sigv4 wants")
    args = ap.parse_args(argv)

    if not os.path.isdir(args.root):
        print("origin.py: --root %s is not a directory" % args.root,
              file=sys.stderr)
        return 2

    log = RequestLog(args.log)
    server = OriginServer((args.host, args.port), args.root, log)
    server.sign_key = args.sign_key
    server.sign_optional = args.sign_optional
    server.basic_auth = args.basic_auth
    server.aws_key = tuple(args.aws_key.split(":", 1)) if args.aws_key else None
    server.aws_token = args.aws_token
    if args.tls:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.tls[0], args.tls[1])
        # The handshake runs in accept(); a client that rejects the
        # certificate makes accept() raise, which socketserver ignores.
        server.socket = ctx.wrap_socket(server.socket, server_side=True)
    # A second listener on another loopback address: the target of
    # redirect=1, a "different host" for credentials.
    second = None
    if args.host2:
        second = OriginServer((args.host2, 0), args.root, log)
        second.sign_key = args.sign_key
        second.sign_optional = args.sign_optional
        second.basic_auth, second.aws_key = server.basic_auth, server.aws_key
        second.aws_token = server.aws_token
        second._conn_ids = server._conn_ids = itertools.count(1)
        server.other = second.server_address[:2]
        threading.Thread(target=second.serve_forever,
                         kwargs={"poll_interval": 0.2}, daemon=True).start()

    stop = threading.Event()

    def on_signal(signum, frame):
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    worker = threading.Thread(target=server.serve_forever,
                              kwargs={"poll_interval": 0.2}, daemon=True)
    worker.start()
    write_port_file(args.port_file, server.server_address[1])
    if second is not None:
        write_port_file(args.port_file + "2", second.server_address[1])

    while not stop.wait(0.5):
        pass

    server.shutdown()
    server.server_close()
    if second is not None:
        second.shutdown()
    log.quiesce()
    sys.stdout.flush()
    sys.stderr.flush()
    # Connection threads are daemons; leave without waiting for them.
    os._exit(0)


if __name__ == "__main__":
    sys.exit(main())
