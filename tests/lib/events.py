#!/usr/bin/env python3
"""Check haul's --progress=json output against its schema (version 1).

Usage: events.py FILE

Every line must be one JSON object that matches the schema of its "event"
kind exactly -- the fields haul(1) documents, with their types, and no
others. Prints "kinds=a,b,c" (the kinds seen, sorted) and one line per
problem; exits 1 when there was a problem.

The schema below is the one in haul(1), section JSON EVENTS: change both
together.
"""

import json
import sys

INT = "int"
NUM = "number"
STR = "str"
OPT_INT = "int|null"
OPT_STR = "str|null"
OBJ = "object"

COMMON = {"v": INT, "event": STR, "t": NUM}
SCHEMA = {
    "start": {"file": STR, "size": OPT_INT, "etag": OPT_STR, "url": OPT_STR,
              "connections": INT, "resumed": INT},
    "progress": {"file": STR, "bytes": INT, "size": OPT_INT, "speed": INT,
                 "eta": OPT_INT, "connections": INT, "retries": INT,
                 "refreshes": INT, "waiting?": STR},
    "retry": {"file": STR, "first": INT, "last": OPT_INT, "status": OPT_INT,
              "reason": STR, "delay_ms": INT},
    "refresh": {"file": STR, "reason": STR, "refreshes": INT},
    "checkpoint": {"file": STR, "bytes": INT},
    "verify": {"file": STR, "check": STR, "result": STR, "expected": OPT_STR,
               "computed": OPT_STR, "why": OPT_STR},
    "finish": {"file": STR, "bytes": INT, "fetched": INT, "seconds": NUM,
               "speed": INT, "requests": INT, "connections": INT,
               "retries": INT, "refreshes": INT, "wasted": INT,
               "digests": OBJ},
    "error": {"file?": STR, "status": INT, "message": STR},
    "warning": {"message": STR},
    "log": {"level": STR, "message": STR},
    "summary": {"files": INT, "failed": INT, "status": INT},
}
CHOICES = {
    ("refresh", "reason"): {"deadline", "expired"},
    ("verify", "result"): {"verified", "mismatch", "unverifiable", "unchecked"},
    ("log", "level"): {"error", "info", "debug"},
}


def type_ok(value, kind):
    for k in kind.split("|"):
        if k == "null" and value is None:
            return True
        if k == "int" and isinstance(value, int) and not isinstance(value, bool):
            return True
        if k == "number" and isinstance(value, (int, float)) and \
                not isinstance(value, bool):
            return True
        if k == "str" and isinstance(value, str):
            return True
        if k == "object" and isinstance(value, dict):
            return True
    return False


def check(obj):
    """Problems with one event, as strings."""
    problems = []
    if not isinstance(obj, dict):
        return ["not an object"]
    kind = obj.get("event")
    if kind not in SCHEMA:
        return ["unknown event %r" % (kind,)]
    fields = dict(COMMON)
    optional = set()
    for name, t in SCHEMA[kind].items():
        if name.endswith("?"):
            name = name[:-1]
            optional.add(name)
        fields[name] = t
    for name, t in fields.items():
        if name not in obj:
            if name not in optional:
                problems.append("%s: no field %r" % (kind, name))
            continue
        if not type_ok(obj[name], t):
            problems.append("%s: %r is %r, not %s" % (kind, name, obj[name], t))
    for name in obj:
        if name not in fields:
            problems.append("%s: undocumented field %r" % (kind, name))
    if obj.get("v") != 1:
        problems.append("%s: version %r, not 1" % (kind, obj.get("v")))
    for (k, name), allowed in CHOICES.items():
        if kind == k and name in obj and obj[name] not in allowed:
            problems.append("%s: %s %r not one of %s" % (kind, name, obj[name],
                                                         sorted(allowed)))
    if kind == "finish":
        for label, hexd in obj.get("digests", {}).items():
            if not isinstance(hexd, str) or not hexd:
                problems.append("finish: digest %r is %r" % (label, hexd))
    return problems


def main():
    if len(sys.argv) != 2:
        sys.stderr.write("usage: events.py FILE\n")
        return 2
    kinds = set()
    bad = 0
    last_t = 0.0
    with open(sys.argv[1], "rb") as f:
        for no, raw in enumerate(f, 1):
            try:
                obj = json.loads(raw.decode("utf-8"))
            except ValueError as e:
                print("line %d: not JSON (%s): %r" % (no, e, raw[:80]))
                bad += 1
                continue
            problems = check(obj)
            if isinstance(obj, dict) and isinstance(obj.get("t"), (int, float)):
                if obj["t"] < last_t:
                    problems.append("t went back: %r after %r" % (obj["t"], last_t))
                last_t = obj["t"]
            for p in problems:
                print("line %d: %s" % (no, p))
            bad += bool(problems)
            if isinstance(obj, dict) and isinstance(obj.get("event"), str):
                kinds.add(obj["event"])
    print("kinds=" + ",".join(sorted(kinds)))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
