#!/usr/bin/env python3
"""Mock Sutro and Sarvam result APIs for haul's tests. They mint presigned
URLs (signing.py) on the test origin, with the shapes the documents in
shared/reference describe.

  mockapi.py --port-file F --log F --origin URL --sign-key K --root DIR
             --api-key SECRET [--ttl S] [--object-query Q]

Sutro:  GET /jobs/{job}/results-url  (Authorization: Key SECRET)
Sarvam: POST /speech-to-text/job/v1/download-files  (api-subscription-key)

Special job ids: job-missing (404), job-running (not completed), job-busy
(429 once, then normal), job-broken (no urls), job-500, job-badsize (Sutro:
size_bytes off by one). With --slow-renewals S, every call after the first
for the same job (Sutro) or file (Sarvam) -- a renewal -- answers after S
seconds; --ttl-file NAME=S gives one Sarvam file's URLs a life of their own.
Each request is logged as one JSON line; the key's value is never
logged. Standard library only.
"""

import argparse
import http.server
import json
import os
import signal
import sys
import threading
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import signing  # noqa: E402

SUTRO_PREFIX = "/jobs/"
SARVAM_PATH = "/speech-to-text/job/v1/download-files"


class Api(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, addr, args):
        super().__init__(addr, Handler)
        self.args = args
        self.lock = threading.Lock()
        self.busy_seen = set()
        self.asked = set()
        self.logf = open(args.log, "a", encoding="utf-8")

    def log(self, rec):
        with self.lock:
            self.logf.write(json.dumps(rec, separators=(",", ":")) + "\n")
            self.logf.flush()

    def renewal_wait(self, keys):
        """Sleep --slow-renewals seconds when any key was asked for before."""
        with self.lock:
            seen = any(k in self.asked for k in keys)
            self.asked.update(keys)
        if seen and self.args.slow_renewals > 0:
            time.sleep(self.args.slow_renewals)
            return True
        return False

    def first_time(self, what):
        with self.lock:
            if what in self.busy_seen:
                return False
            self.busy_seen.add(what)
            return True


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):  # noqa: A002
        pass

    def reply(self, status, obj, extra=()):
        body = json.dumps(obj).encode()
        self.rec["status"] = status
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for k, v in extra:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def begin(self):
        a = self.server.args
        path, _, query = self.path.partition("?")
        auth = self.headers.get("Authorization")
        key = self.headers.get("api-subscription-key")
        self.rec = {"method": self.command, "path": path, "query": query, "status": 0,
                    "authorization": auth is not None, "api_key_header": key is not None,
                    "key_ok": auth == "Key " + a.api_key or key == a.api_key,
                    "t": time.time()}
        return path, urllib.parse.parse_qs(query)

    def do_GET(self):
        path, q = self.begin()
        try:
            if path.startswith(SUTRO_PREFIX) and path.endswith("/results-url"):
                self.sutro(urllib.parse.unquote(path[len(SUTRO_PREFIX):-len("/results-url")]), q)
            elif path == SARVAM_PATH:
                self.reply(405, {"detail": "Method Not Allowed"})
            else:
                self.reply(404, {"detail": "Not Found"})
        finally:
            self.server.log(self.rec)

    def do_POST(self):
        path, _ = self.begin()
        try:
            n = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(n) if 0 < n < (1 << 20) else b""
            if path == SARVAM_PATH:
                self.sarvam(raw)
            else:
                self.reply(404, {"detail": "Not Found"})
        finally:
            self.server.log(self.rec)

    # ---- Sutro --------------------------------------------------------------

    def sutro(self, job, q):
        a = self.server.args
        if self.headers.get("Authorization") != "Key " + a.api_key:
            return self.reply(401, {"detail": "Invalid API key"})
        if q.get("format", ["parquet"])[0] != "parquet":
            return self.reply(400, {"detail": "Only format=parquet is supported"})
        try:
            ttl = int(q.get("expires_in_seconds", [str(a.ttl)])[0])
        except ValueError:
            ttl = 0
        if not 1 <= ttl <= 604800:
            return self.reply(400, {"detail": "expires_in_seconds must be 1..604800"})
        if job == "job-missing":
            return self.reply(404, {"detail": "Job not found"})
        if job == "job-running":
            return self.reply(409, {"detail": "Job job-running is not completed (status RUNNING)"})
        if job == "job-500":
            return self.reply(500, {"detail": "Internal Server Error"})
        if job == "job-busy" and self.server.first_time("sutro-busy"):
            return self.reply(429, {"detail": "Rate limited"}, [("Retry-After", "1")])
        self.rec["slow"] = self.server.renewal_wait(["sutro:" + job])
        inputs = q.get("include_inputs", ["false"])[0] == "true"
        logprobs = q.get("include_cumulative_logprobs", ["false"])[0] == "true"
        name = "sutro-results~%s~inputs=%d~logprobs=%d.parquet" % (job, inputs, logprobs)
        try:
            size = os.path.getsize(os.path.join(a.root, name))
        except OSError:
            return self.reply(404, {"detail": "No results artifact for this job"})
        if job == "job-broken":
            return self.reply(200, {"job_id": job, "format": "parquet",
                                    "artifact": {"filename": name, "size_bytes": size}})
        if job == "job-badsize":
            size += 1
        get = signing.mint(a.sign_key, a.origin, "/" + name, ttl, "GET", "s3", a.object_query)
        head = signing.mint(a.sign_key, a.origin, "/" + name, ttl, "HEAD", "s3", a.object_query)
        self.reply(200, {"job_id": job, "format": "parquet", "include_inputs": inputs,
                         "include_cumulative_logprobs": logprobs, "expires_in_seconds": ttl,
                         "artifact": {"bucket": "sutro-data",
                                      "key": "jobs/user/%s/results/%s" % (job, name),
                                      "filename": name, "size_bytes": size},
                         "urls": {"get": get, "head": head}})

    # ---- Sarvam -------------------------------------------------------------

    def sarvam_error(self, status, code, message):
        self.reply(status, {"error": {"message": message, "code": code,
                                      "request_id": "20261122_haultest"}})

    def sarvam(self, raw):
        a = self.server.args
        if self.headers.get("api-subscription-key") != a.api_key:
            return self.sarvam_error(403, "invalid_api_key_error", "Invalid API key")
        try:
            body = json.loads(raw)
            job, files = body["job_id"], body["files"]
            if not isinstance(job, str) or not isinstance(files, list):
                raise ValueError
        except (ValueError, KeyError, TypeError):
            return self.sarvam_error(422, "unprocessable_entity_error",
                                     "job_id and files are required")
        if job == "job-missing":
            return self.sarvam_error(404, "not_found_error", "Job not found")
        if job == "job-500":
            return self.sarvam_error(500, "internal_server_error", "Internal error")
        if job == "job-busy" and self.server.first_time("sarvam-busy"):
            return self.sarvam_error(429, "rate_limit_exceeded_error", "Rate limited")
        if job == "job-running":
            return self.reply(200, {"job_id": job, "job_state": "Running",
                                    "download_urls": {}, "storage_container_type": "Azure"})
        self.rec["slow"] = self.server.renewal_wait(["sarvam:%s:%s" % (job, f) for f in files])
        urls = {}
        for f in files:
            path = "/sarvam/%s/%s" % (job, f)
            if isinstance(f, str) and os.path.isfile(os.path.join(a.root, path.lstrip("/"))):
                ttl = dict(kv.split("=", 1) for kv in a.ttl_file).get(f, a.ttl)
                urls[f] = {"file_url": signing.mint(a.sign_key, a.origin, path, int(ttl),
                                                    "GET", "azure", a.object_query),
                           "file_metadata": None}
        self.reply(200, {"job_id": job, "job_state": "Completed", "download_urls": urls,
                         "storage_container_type": "Azure"})


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--origin", required=True)
    ap.add_argument("--sign-key", required=True)
    ap.add_argument("--root", required=True)
    ap.add_argument("--api-key", required=True)
    ap.add_argument("--ttl", type=int, default=3600)
    ap.add_argument("--object-query", default="")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--slow-renewals", type=float, default=0)
    ap.add_argument("--ttl-file", action="append", default=[],
                    help="NAME=SECONDS: a Sarvam file's URLs live this long")
    args = ap.parse_args()
    server = Api(("127.0.0.1", args.port), args)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2},
                     daemon=True).start()
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % server.server_address[1])
    os.rename(tmp, args.port_file)
    while not stop.wait(0.5):
        pass
    server.shutdown()
    os._exit(0)


if __name__ == "__main__":
    main()
