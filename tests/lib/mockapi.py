#!/usr/bin/env python3
"""Mock Sutro and Sarvam result APIs for haul's tests. They mint presigned
URLs (signing.py) on the test origin, with the shapes the documents in
shared/reference describe.

  mockapi.py --port-file F --log F --origin URL --sign-key K --root DIR
             --api-key SECRET [--ttl S] [--object-query Q] [--port N]
             [--slow-renewals S] [--slow-api S] [--ttl-file NAME=S]...
             [--container Azure|Local|Google|Azure_V1] [--file-metadata]
             [--fail-file NAME]... [--later-calls N] [--r2-paths]

Sutro:  GET /jobs/{job}/results-url  (Authorization: Key SECRET)
        The artifact is ROOT/sutro-results~JOB~inputs=I~logprobs=L.parquet.
Sarvam: GET /speech-to-text/job/v1/{job}/status and
        POST /speech-to-text/job/v1/download-files  (api-subscription-key)
        A job's outputs are the files under ROOT/sarvam/JOB/, in natural
        order ("0.json", "1.json", ..., "10.json"), one input each
        ("audio_0.wav" for "0.json").

Special job ids (Sarvam: status and download-files agree):
  job-missing    404 (Sarvam: not_found_error)
  job-500        500 (Sarvam: internal_server_error)
  job-running    Sutro: 409 (not completed); Sarvam: job_state Running,
                 no download URLs
  job-busy       429 once, then normal (Sarvam: once over both endpoints)
  job-broken     Sutro: a 200 without urls
  job-badsize    Sutro: size_bytes off by one
  job-quota      Sutro: 403 {"detail": "Quota exceeded: ..."}; Sarvam: 429
                 insufficient_quota_error on every call
  job-ratelimit  Sarvam: 429 rate_limit_exceeded_error with Retry-After: 1
                 for the first 2 calls (status and download-files counted
                 together), then normal
  job-partial    Sarvam: job_state PartiallyCompleted; the tasks whose
                 output is named by --fail-file are Failed (no outputs, no
                 URL); the others Success
  job-failed     Sarvam: job_state Failed, "All inputs failed", every task
                 Failed, no outputs, no URLs
  job-later      Sarvam (and any id starting "job-later-", each counted on
                 its own): status answers Pending on the 1st call, Running
                 on calls 2..N (N = --later-calls, default 3), Completed
                 from call N+1; download-files does not count, and answers
                 as a completed job once N status calls were made (when
                 status would say Completed), else Pending/Running and no
                 URLs

Options:
  --ttl S              URLs live S seconds (Sutro: unless the call sets
                       expires_in_seconds, 1..604800, else 400)
  --ttl-file NAME=S    one Sarvam file's URLs live S seconds
  --object-query Q     prepended to every minted URL's query (the origin's
                       behaviour switches)
  --slow-renewals S    every call after the first for the same job (Sutro)
                       or file (Sarvam download-files) -- a renewal --
                       answers after S seconds (logged "slow": true)
  --slow-api S         EVERY results-url and Sarvam call answers after S
                       seconds (logged "slow_api": S)
  --container TYPE     the storage_container_type both Sarvam endpoints
                       report (default Azure), and the URL style: Azure and
                       Azure_V1 Azure SAS, Google GCS V4, Local S3 presigned
  --file-metadata      download-files gives each file a file_metadata
                       object {"size", "content_type"} instead of null
  --fail-file NAME     (repeatable) a failed output of job-partial
  --later-calls N      job-later's status calls before Completed (default 3)
  --r2-paths           Sutro URLs have R2's path /sutro-data/KEY (KEY =
                       jobs/user/JOB/results/FILENAME, encoded as S3/R2
                       presigners do: "=" -> %3D, "~" kept); the mock links
                       ROOT/sutro-data/KEY to the artifact so the origin,
                       which serves ROOT/<decoded path>, finds it

Each request is logged as one JSON line (method, path, query, status, job,
job_state, whether a key was sent and right, ...); a key's value is never
logged, nor a request body. Standard library only.
"""

import argparse
import datetime
import http.server
import json
import mimetypes
import os
import re
import signal
import sys
import threading
import time
import urllib.parse
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import signing  # noqa: E402

SUTRO_PREFIX = "/jobs/"
SARVAM_BASE = "/speech-to-text/job/v1/"
SARVAM_PATH = SARVAM_BASE + "download-files"
STATUS_SUFFIX = "/status"
R2_BUCKET = "sutro-data"

CONTAINERS = ("Azure", "Local", "Google", "Azure_V1")
# storage_container_type -> signing.py style of the URLs minted for it.
URL_STYLE = {"Azure": "azure", "Azure_V1": "azure", "Google": "gcs",
             # ASSUMPTION: our documents list "Local" among the container
             # types but say nothing of what its download URLs look like;
             # a self-hosted store is most likely S3-compatible (MinIO and
             # the like), so Local gets S3-style presigned URLs.
             "Local": "s3"}

QUOTA_MESSAGE = "You have exceeded your quota. Please top up."
DECODE_ERROR = "Audio could not be decoded"
LATER_PREFIX = "job-later"


def natural_key(name):
    """"2.json" before "10.json": digit runs compare as numbers."""
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", name)]


def iso(t):
    # ASSUMPTION: our documents name created_at and updated_at but not their
    # format; ISO 8601 with the UTC offset.
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc) \
        .isoformat(timespec="seconds")


def file_id(job, name):
    # ASSUMPTION: file_id's format is not in our documents; a UUID, the same
    # for the same job and file name on every call.
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "haul-mockapi:%s/%s" % (job, name)))


def input_name(output):
    """The input a task's output came from: "0.json" <- "audio_0.wav"."""
    return "audio_%s.wav" % os.path.splitext(output)[0]


class Api(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, addr, args):
        super().__init__(addr, Handler)
        self.args = args
        self.lock = threading.Lock()
        self.busy_seen = set()
        self.asked = set()
        self.counts = {}   # per-job call counters (job-later, job-ratelimit)
        self.done_at = {}  # job -> when it was first seen in a final state
        self.started = time.time()
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

    def count(self, what, bump=True):
        """The counter for what, after adding one when bump."""
        with self.lock:
            n = self.counts.get(what, 0) + (1 if bump else 0)
            self.counts[what] = n
            return n

    def finished_at(self, job):
        with self.lock:
            return self.done_at.setdefault(job, time.time())

    def place(self, rel, target):
        """Make ROOT/rel (a decoded URL path) lead to target: a symbolic link
        (it follows the file if a test replaces it), else a hard link."""
        dst = os.path.join(self.args.root, rel.lstrip("/"))
        with self.lock:
            if os.path.lexists(dst):
                return
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            try:
                os.symlink(os.path.abspath(target), dst)
            except OSError:
                os.link(target, dst)


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
        # Never the key itself: whether one was sent, and whether it was right.
        self.rec = {"method": self.command, "path": path, "query": query, "status": 0,
                    "authorization": auth is not None, "api_key_header": key is not None,
                    "key_ok": auth == "Key " + a.api_key or key == a.api_key,
                    "t": time.time()}
        return path, urllib.parse.parse_qs(query)

    def api_wait(self):
        """--slow-api: every API call answers this late."""
        s = self.server.args.slow_api
        if s > 0:
            self.rec["slow_api"] = s
            time.sleep(s)

    @staticmethod
    def status_job(path):
        """The job id of a Sarvam status path, else None."""
        if path.startswith(SARVAM_BASE) and path.endswith(STATUS_SUFFIX):
            job = path[len(SARVAM_BASE):-len(STATUS_SUFFIX)]
            if job and "/" not in job:
                return urllib.parse.unquote(job)
        return None

    def do_GET(self):
        path, q = self.begin()
        try:
            if path.startswith(SUTRO_PREFIX) and path.endswith("/results-url"):
                self.api_wait()
                self.sutro(urllib.parse.unquote(path[len(SUTRO_PREFIX):-len("/results-url")]),
                           q, self.rec["query"])
            elif path == SARVAM_PATH:
                self.api_wait()
                self.reply(405, {"detail": "Method Not Allowed"})
            elif self.status_job(path) is not None:
                self.rec["endpoint"] = "status"
                self.api_wait()
                self.sarvam_status(self.status_job(path))
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
                self.rec["endpoint"] = "download-files"
                self.api_wait()
                self.sarvam(raw)
            elif self.status_job(path) is not None:
                self.api_wait()
                self.reply(405, {"detail": "Method Not Allowed"})
            else:
                self.reply(404, {"detail": "Not Found"})
        finally:
            self.server.log(self.rec)

    # ---- Sutro --------------------------------------------------------------

    def sutro(self, job, q, query):
        a = self.server.args
        self.rec["job"] = job
        # The raw value the client sent (null when absent), before any check.
        raw_q = urllib.parse.parse_qs(query, keep_blank_values=True)
        self.rec["expires_in_seconds"] = raw_q.get("expires_in_seconds", [None])[0]
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
            # ASSUMPTION: our Sutro documents do not say what results-url
            # answers for a job that has not finished; a 409 with a detail.
            return self.reply(409, {"detail": "Job job-running is not completed (status RUNNING)"})
        if job == "job-quota":
            # ASSUMPTION: our Sutro documents do not describe quota errors; a
            # 403 with FastAPI's {"detail": ...} shape, like its other errors.
            return self.reply(403, {"detail": "Quota exceeded: your organization has "
                                              "used its monthly quota"})
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
        key = "jobs/user/%s/results/%s" % (job, name)
        objpath = "/" + name
        if a.r2_paths:
            # https://<r2-endpoint>/<bucket>/<key>, as the document shows:
            # signing.mint encodes the key (and signs it so encoded).
            objpath = "/%s/%s" % (R2_BUCKET, key)
            self.server.place(objpath, os.path.join(a.root, name))
        get = signing.mint(a.sign_key, a.origin, objpath, ttl, "GET", "s3", a.object_query)
        head = signing.mint(a.sign_key, a.origin, objpath, ttl, "HEAD", "s3", a.object_query)
        self.reply(200, {"job_id": job, "format": "parquet", "include_inputs": inputs,
                         "include_cumulative_logprobs": logprobs, "expires_in_seconds": ttl,
                         "artifact": {"bucket": R2_BUCKET, "key": key,
                                      "filename": name, "size_bytes": size},
                         "urls": {"get": get, "head": head}})

    # ---- Sarvam -------------------------------------------------------------

    def sarvam_error(self, status, code, message, extra=()):
        # request_id: "Format: date_UUID4", as the document says.
        rid = "%s_%s" % (time.strftime("%Y%m%d", time.gmtime()), uuid.uuid4())
        self.reply(status, {"error": {"message": message, "code": code,
                                      "request_id": rid}}, extra)

    def sarvam_refused(self, job):
        """The answers both Sarvam endpoints give before looking at the
        job's state. True when one was sent."""
        if job == "job-missing":
            self.sarvam_error(404, "not_found_error", "Job not found")
        elif job == "job-500":
            self.sarvam_error(500, "internal_server_error", "Internal error")
        elif job == "job-quota":
            self.sarvam_error(429, "insufficient_quota_error", QUOTA_MESSAGE)
        elif job == "job-ratelimit" and self.server.count("ratelimit:" + job) <= 2:
            self.sarvam_error(429, "rate_limit_exceeded_error",
                              "Rate limit exceeded. Please retry after some time.",
                              [("Retry-After", "1")])
        elif job == "job-busy" and self.server.first_time("sarvam-busy"):
            self.sarvam_error(429, "rate_limit_exceeded_error", "Rate limited")
        else:
            return False
        return True

    def sarvam_job(self, job, status_call):
        """The job as both endpoints see it: (job_state, job-level error
        message or None, tasks). A task: {"output": name, "state": ...,
        "error": None or text, "has_output": bool}. A status call advances
        job-later's count; download-files only reads it."""
        a = self.server.args
        d = os.path.join(a.root, "sarvam", job)
        try:
            outputs = sorted((n for n in os.listdir(d)
                              if os.path.isfile(os.path.join(d, n))), key=natural_key)
        except OSError:
            outputs = []

        def tasks(state, error=None, failed=()):
            out = []
            for n in outputs:
                bad = state == "Failed" or n in failed
                # ASSUMPTION: the per-task state values are not in our
                # documents: Success and Failed for finished tasks, and the
                # job's own state (Pending, Running) for unfinished ones.
                out.append({"output": n, "state": "Failed" if bad else state,
                            "error": DECODE_ERROR if bad else error,
                            "has_output": state == "Success" and not bad})
            return out

        if job == "job-running":
            return "Running", None, tasks("Running")
        if job == LATER_PREFIX or job.startswith(LATER_PREFIX + "-"):
            n = self.server.count("later:" + job, bump=status_call)
            if status_call:
                state = "Pending" if n <= 1 and a.later_calls >= 1 else \
                    "Running" if n <= a.later_calls else "Completed"
            else:
                state = "Completed" if n >= a.later_calls else \
                    "Pending" if n <= 1 else "Running"
            if state != "Completed":
                return state, None, tasks(state)
            return "Completed", None, tasks("Success")
        if job == "job-failed":
            if not outputs:
                outputs = ["0.json"]  # one task (its input) even with no files
            return "Failed", "All inputs failed", tasks("Failed")
        if job == "job-partial":
            return "PartiallyCompleted", None, tasks("Success", failed=set(a.fail_file))
        return "Completed", None, tasks("Success")

    def sarvam_status(self, job):
        a = self.server.args
        self.rec["job"] = job
        if self.headers.get("api-subscription-key") != a.api_key:
            return self.sarvam_error(403, "invalid_api_key_error", "Invalid API key")
        if self.sarvam_refused(job):
            return
        state, error, tasks = self.sarvam_job(job, status_call=True)
        self.rec["job_state"] = state
        final = state in ("Completed", "PartiallyCompleted", "Failed")
        details = []
        for t in tasks:
            outs = []
            if t["has_output"]:
                outs = [{"file_name": t["output"], "file_id": file_id(job, t["output"])}]
            inp = input_name(t["output"])
            details.append({"inputs": [{"file_name": inp, "file_id": file_id(job, inp)}],
                            "outputs": outs,
                            "state": t["state"],
                            # ASSUMPTION: the name of the per-task error
                            # message field is not in our documents.
                            "error_message": t["error"]})
        self.reply(200, {
            "job_state": state,
            "job_id": job,
            "created_at": iso(self.server.started),
            "updated_at": iso(self.server.finished_at(job) if final else time.time()),
            "storage_container_type": a.container,
            # ASSUMPTION: our documents say the status has counts of files
            # (total / successful / failed) but not the fields' names.
            "total_files": len(tasks),
            "successful_files_count": sum(t["state"] == "Success" for t in tasks),
            "failed_files_count": sum(t["state"] == "Failed" for t in tasks),
            # ASSUMPTION: the name of the optional job-level error message
            # is not in our documents; null when there is none.
            "error_message": error,
            "job_details": details,
        })

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
        self.rec["job"] = job
        if self.sarvam_refused(job):
            return
        state, _, tasks = self.sarvam_job(job, status_call=False)
        self.rec["job_state"] = state
        if state not in ("Completed", "PartiallyCompleted"):
            # ASSUMPTION: our documents do not say what download-files
            # answers before the job has outputs: its state, no URLs.
            return self.reply(200, {"job_id": job, "job_state": state,
                                    "download_urls": {},
                                    "storage_container_type": a.container})
        failed = {t["output"] for t in tasks if not t["has_output"]}
        self.rec["nfiles"] = len(files)
        self.rec["slow"] = self.server.renewal_wait(["sarvam:%s:%s" % (job, f) for f in files])
        ttls = dict(kv.split("=", 1) for kv in a.ttl_file)
        urls = {}
        for f in files:
            if not isinstance(f, str) or f in failed:
                continue
            path = "/sarvam/%s/%s" % (job, f)
            fs_path = os.path.join(a.root, path.lstrip("/"))
            if not os.path.isfile(fs_path):
                continue
            meta = None
            if a.file_metadata:
                # ASSUMPTION: the document allows any object here but names
                # no keys; size and content type are what a client can use.
                meta = {"size": os.path.getsize(fs_path),
                        "content_type": mimetypes.guess_type(f)[0]
                        or "application/octet-stream"}
            urls[f] = {"file_url": signing.mint(a.sign_key, a.origin, path,
                                                int(ttls.get(f, a.ttl)), "GET",
                                                URL_STYLE[a.container], a.object_query),
                       "file_metadata": meta}
        self.reply(200, {"job_id": job, "job_state": state, "download_urls": urls,
                         "storage_container_type": a.container})


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
    ap.add_argument("--slow-api", type=float, default=0,
                    help="every results-url and Sarvam call answers after S seconds")
    ap.add_argument("--ttl-file", action="append", default=[],
                    help="NAME=SECONDS: a Sarvam file's URLs live this long")
    ap.add_argument("--container", choices=CONTAINERS, default="Azure",
                    help="the Sarvam storage_container_type (and URL style)")
    ap.add_argument("--file-metadata", action="store_true",
                    help="Sarvam file_metadata is an object, not null")
    ap.add_argument("--fail-file", action="append", default=[],
                    help="NAME: an output that failed in job-partial")
    ap.add_argument("--later-calls", type=int, default=3,
                    help="job-later: status calls before it says Completed")
    ap.add_argument("--r2-paths", action="store_true",
                    help="Sutro URLs have R2's /sutro-data/<key> paths")
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
