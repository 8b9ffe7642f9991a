#!/usr/bin/env python3
"""Summarise an origin.py JSON-lines request log.

Usage: logstat.py LOG [--path P]

Prints key=value lines: requests, get, head, bytes, get_conns,
max_concurrent, max_concurrent_whole (not counting aborted answers), max_paths (paths with GETs under way at once, each path
counted from its first GET to the end of its last), statuses, aborted.  An incomplete last line (no trailing
newline yet, or not valid JSON) is ignored.
"""

import argparse
import json
import sys


def load(path):
    with open(path, "rb") as f:
        data = f.read()
    text = data.decode("utf-8", errors="replace")
    lines = text.split("\n")
    # The last element is "" when the file ends with a newline, otherwise
    # it is a line still being written: drop it either way.
    lines = lines[:-1]
    records = []
    for line in lines:
        line = line.strip()
        if not line:
            continue
        try:
            rec = json.loads(line)
        except ValueError:
            continue
        if isinstance(rec, dict):
            records.append(rec)
    return records


def max_overlap(intervals):
    """Largest number of closed intervals [s, e] sharing one instant."""
    events = []
    for s, e in intervals:
        if e < s:
            e = s
        events.append((s, 0))   # starts sort before ends at equal times
        events.append((e, 1))
    events.sort()
    cur = best = 0
    for _, kind in events:
        if kind == 0:
            cur += 1
            best = max(best, cur)
        else:
            cur -= 1
    return best


def as_int(v, default=0):
    try:
        return int(v)
    except (TypeError, ValueError):
        return default


def as_float(v):
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def summarise(records, path=None):
    if path is not None:
        records = [r for r in records if r.get("path") == path]
    stats = {}
    gets = [r for r in records if r.get("method") == "GET"]
    statuses = {}
    for r in records:
        code = as_int(r.get("status"))
        statuses[code] = statuses.get(code, 0) + 1
    intervals = []
    for r in gets:
        s, e = as_float(r.get("t_start")), as_float(r.get("t_end"))
        if s is None:
            continue
        intervals.append((s, e if e is not None else s))
    stats["requests"] = len(records)
    stats["get"] = len(gets)
    stats["head"] = sum(1 for r in records if r.get("method") == "HEAD")
    stats["bytes"] = sum(as_int(r.get("bytes")) for r in records)
    stats["get_conns"] = len({r.get("conn") for r in gets})
    stats["max_concurrent"] = max_overlap(intervals)
    # The same without answers the client cut off (a steal ends a request
    # early; the origin finishes its side after the client moved on).
    whole = []
    for r in gets:
        s, e = as_float(r.get("t_start")), as_float(r.get("t_end"))
        if s is not None and not r.get("aborted"):
            whole.append((s, e if e is not None else s))
    stats["max_concurrent_whole"] = max_overlap(whole)
    # Files at once: each path's span, from its first GET to its last end.
    spans = {}
    for r in gets:
        s, e = as_float(r.get("t_start")), as_float(r.get("t_end"))
        if s is None:
            continue
        e = e if e is not None else s
        p = r.get("path")
        lo, hi = spans.get(p, (s, e))
        spans[p] = (min(lo, s), max(hi, e))
    stats["max_paths"] = max_overlap(list(spans.values()))
    stats["statuses"] = ",".join("%d:%d" % (c, n)
                                 for c, n in sorted(statuses.items()))
    stats["aborted"] = sum(1 for r in records if r.get("aborted") is True)
    return stats


def main(argv=None):
    ap = argparse.ArgumentParser(description="summarise an origin.py log")
    ap.add_argument("log")
    ap.add_argument("--path", default=None)
    args = ap.parse_args(argv)
    try:
        records = load(args.log)
    except OSError as e:
        print("logstat.py: cannot read %s: %s" % (args.log, e.strerror or e),
              file=sys.stderr)
        return 2
    stats = summarise(records, args.path)
    for key in ("requests", "get", "head", "bytes", "get_conns",
                "max_concurrent", "max_concurrent_whole", "max_paths", "statuses",
                "aborted"):
        print("%s=%s" % (key, stats[key]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
