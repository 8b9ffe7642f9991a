#!/usr/bin/env python3
"""Print a freshly presigned URL for the test origin (stands in for a
result API; usable as haul's --refresh-cmd).

  sign.py --key KEY --base URL --path /f.bin --ttl S [--style s3|gcs|azure|opaque]
          [--query 'rate=N'] [--format url|json|sutro] [--size N]
          [--count-file F] [--fail-first N] [--sleep S]
          [--signed-headers 'host;x-amz-checksum-mode']

--count-file counts invocations; --fail-first N fails the first N of them
(exit 1); --sleep waits before printing; --signed-headers sets an S3
URL's X-Amz-SignedHeaders (signed; default "host"). Standard library only.
"""

import argparse
import fcntl
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import signing  # noqa: E402


def bump(path):
    """Increment the integer in path under a lock; return the new value."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        raw = os.read(fd, 64).decode().strip()
        n = (int(raw) if raw else 0) + 1
        os.lseek(fd, 0, os.SEEK_SET)
        os.ftruncate(fd, 0)
        os.write(fd, str(n).encode())
        return n
    finally:
        os.close(fd)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--key", required=True)
    ap.add_argument("--base", required=True)
    ap.add_argument("--path", required=True)
    ap.add_argument("--ttl", type=int, required=True)
    ap.add_argument("--style", choices=("s3", "gcs", "azure", "opaque"), default="s3")
    ap.add_argument("--query", default="")
    ap.add_argument("--format", choices=("url", "json", "sutro"), default="url")
    ap.add_argument("--size", type=int, default=0)
    ap.add_argument("--count-file")
    ap.add_argument("--fail-first", type=int, default=0)
    ap.add_argument("--sleep", type=float, default=0)
    ap.add_argument("--signed-headers", default=None)
    a = ap.parse_args()
    n = bump(a.count_file) if a.count_file else 1
    if n <= a.fail_first:
        print("sign.py: failing on purpose (call %d)" % n, file=sys.stderr)
        return 1
    if a.sleep:
        time.sleep(a.sleep)
    get = signing.mint(a.key, a.base, a.path, a.ttl, "GET", a.style, a.query,
                       a.signed_headers)
    if a.format == "url":
        print(get)
    elif a.format == "json":
        print(json.dumps({"url": get}))
    else:
        head = signing.mint(a.key, a.base, a.path, a.ttl, "HEAD", a.style, a.query,
                            a.signed_headers)
        print(json.dumps({"urls": {"get": get, "head": head},
                          "artifact": {"filename": os.path.basename(a.path),
                                       "size_bytes": a.size}}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
