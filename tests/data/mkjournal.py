#!/usr/bin/python3
"""Write the golden journal files in tests/data/, from the format as
haul-journal(5) describes it -- an implementation independent of the C
encoder, so the unit test checks the code against the document.

Needs Debian's python3-xxhash; run it only to change the golden files:
    /usr/bin/python3 tests/data/mkjournal.py tests/data
"""
import os
import struct
import sys

import xxhash

MiB = 1 << 20
SIZE = 5 * MiB + 123
BSIZE = MiB
ETAG = b'"5d41402abc4b2a76b9719d911017c592"'
LM = b"Sun, 22 Nov 2026 08:15:00 GMT"
URL = b"https://bucket.example/jobs/r.parquet?[redacted]"


def content(off, n):
    """The object's bytes, the same formula as tests/unit/t-journal.c."""
    return bytes(((i * 7 + (i >> 13)) & 0xFF) for i in range(off, off + n))


def h64(b):
    return xxhash.xxh3_64_intdigest(b)


def header(size=SIZE, bsize=BSIZE, etag=ETAG, lm=LM, url=URL, version=1):
    n = 48 + len(etag) + len(lm) + len(url) + 8
    fixed = b"HAULJRNL" + struct.pack("<IIQIIQHHHH", version, n, size, bsize, 0,
                                      1795335300, len(etag), len(lm), len(url), 0)
    body = fixed + etag + lm + url
    return body + struct.pack("<Q", h64(body))


def record(seq, entries):
    """entries: (block, done) pairs; digests come from content()."""
    body = struct.pack("<IIQ", 1, len(entries), seq)
    for blk, done in entries:
        digest = h64(content(blk * BSIZE, done)) if done else 0
        body += struct.pack("<QIIQ", blk, done, 0, digest)
    return body + struct.pack("<Q", h64(body))


def main(outdir):
    r1 = record(1, [(0, MiB), (1, 1000)])
    r2 = record(2, [(1, MiB), (5, 100)])
    r3 = record(3, [(2, MiB), (3, 4096)])
    good = header() + r1 + r2
    files = {
        "journal-good.haul": good,
        "journal-torn.haul": good + r3[: len(r3) // 2],
        "journal-garbage.haul": good + bytes((i * 37 + 11) & 0xFF for i in range(100)),
        "journal-zero.haul": bytes(4096),
        "journal-empty.haul": b"",
        "journal-short.haul": good[:30],
        "journal-future.haul": header(version=2) + r1,
        "journal-badsum.haul": header()[:60] + bytes([header()[60] ^ 1]) + header()[61:] + r1,
        "journal-badseq.haul": good + record(5, [(2, MiB)]),
        "journal-foreign.haul": header(size=SIZE + 1, etag=b'"other"') + r1,
    }
    for name, data in files.items():
        with open(os.path.join(outdir, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(__file__))
