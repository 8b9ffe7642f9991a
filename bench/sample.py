#!/usr/bin/env python3
"""bench/sample.py -- run one tool and measure it, for bench/run.sh.

    sample.py [--out FILE] [--sync PATH]... [--timeout S]
              [--kill-at STATS_URL BYTES] -- COMMAND [ARG]...

Starts COMMAND (no shell: its pid is the tool's) and, while it runs, reads
/proc/PID/status every 20 ms: VmRSS and RssAnon (private memory), summed
over the tool and any processes it forks (the tree is looked up again every
0.5 s, so a child that lives less than that may be missed). Peak RSS is
the larger of that sum and the tool's own VmHWM (the kernel's high-water
mark, as of the last sample); RssAnon has no high-water mark, so its peak
is sampled. (ru_maxrss is in the output but not used: it includes the
image of this script, forked before the exec.)

Two clocks: "return" from the start until the tool exits; "durable" adds
what it takes afterwards to fsync every regular file below each --sync
PATH and the directories holding them -- what `sync FILE` does, for every
tool alike (a tool that fsynced itself pays little here).

--kill-at: poll the origin's GET STATS_URL every 20 ms and SIGKILL the
tool once "body_bytes" reaches BYTES (the kill -9 series).

Writes one JSON object (to --out, else standard output): rc, return,
durable, sync, user, sys, maxrss_kb, peak_rss_kb, peak_anon_kb, samples,
killed, timed_out. Standard library only.
"""

import argparse
import json
import os
import select
import signal
import subprocess
import sys
import time
import urllib.request

PERIOD = 0.02
TREE_PERIOD = 0.5


def status_kb(pid):
    """VmRSS, RssAnon and VmHWM of pid in KiB, or None once it is gone."""
    v = {b"VmRSS:": 0, b"RssAnon:": 0, b"VmHWM:": 0}
    try:
        with open(f"/proc/{pid}/status", "rb") as f:
            for line in f:
                key = line[:line.find(b":") + 1]
                if key in v:
                    v[key] = int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    return v[b"VmRSS:"], v[b"RssAnon:"], v[b"VmHWM:"]


def descendants(root):
    """root and every process below it, from /proc/*/stat's parent ids."""
    parent = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            continue
        # the command name may hold spaces and parentheses: split after the last ')'
        fields = stat[stat.rfind(b")") + 2:].split()
        parent[int(name)] = int(fields[1])
    tree, todo = {root}, [root]
    while todo:
        p = todo.pop()
        for child, pp in parent.items():
            if pp == p and child not in tree:
                tree.add(child)
                todo.append(child)
    return tree


def stats_bytes(url):
    try:
        with urllib.request.urlopen(url, timeout=2) as r:
            return json.load(r)["body_bytes"]
    except (OSError, ValueError, KeyError):
        return None


def fsync_path(path):
    """fsync every regular file below path, then the directories."""
    dirs = set()
    if os.path.isdir(path):
        for top, _, files in os.walk(path):
            dirs.add(top)
            for name in files:
                fsync_one(os.path.join(top, name))
    elif os.path.exists(path):
        fsync_one(path)
        dirs.add(os.path.dirname(os.path.abspath(path)))
    for d in dirs:
        fsync_one(d)


def fsync_one(path):
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError:
        return  # a temporary file that went away: nothing to make durable
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out")
    ap.add_argument("--sync", action="append", default=[])
    ap.add_argument("--timeout", type=float, default=900)
    ap.add_argument("--kill-at", nargs=2, metavar=("STATS_URL", "BYTES"))
    ap.add_argument("cmd", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    cmd = a.cmd[1:] if a.cmd and a.cmd[0] == "--" else a.cmd
    if not cmd:
        ap.error("no command")

    peak_rss = peak_anon = samples = hwm = 0
    killed = timed_out = False
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL)
    tree, tree_at = {p.pid}, t0
    deadline = t0 + a.timeout
    # the pidfd wakes us the moment the tool exits: no 20 ms rounding of "return"
    pidfd = os.pidfd_open(p.pid)
    exited = select.poll()
    exited.register(pidfd, select.POLLIN)
    while True:
        # wait4 rather than Popen.wait: the rusage of this very child
        pid, st, ru = os.wait4(p.pid, os.WNOHANG)
        if pid:
            break
        now = time.monotonic()
        if now - tree_at >= TREE_PERIOD:
            tree, tree_at = descendants(p.pid), now
        rss = anon = 0
        for q in tree:
            v = status_kb(q)
            if v:
                rss += v[0]
                anon += v[1]
                if q == p.pid:  # the kernel's high-water mark catches peaks between samples
                    hwm = v[2]
        samples += 1
        peak_rss = max(peak_rss, rss, hwm)
        peak_anon = max(peak_anon, anon)
        if a.kill_at and not killed:
            sent = stats_bytes(a.kill_at[0])
            if sent is not None and sent >= int(a.kill_at[1]):
                os.kill(p.pid, signal.SIGKILL)
                killed = True
        if now > deadline and not timed_out:
            os.kill(p.pid, signal.SIGKILL)
            timed_out = True
        exited.poll(PERIOD * 1000)
    t1 = time.monotonic()
    os.close(pidfd)
    p.returncode = 0  # reaped by wait4; keep Popen from waiting again
    for path in a.sync:
        fsync_path(path)
    t2 = time.monotonic()
    rc = os.waitstatus_to_exitcode(st)
    res = {
        "rc": rc, "return": round(t1 - t0, 4), "durable": round(t2 - t0, 4),
        "sync": round(t2 - t1, 4), "user": ru.ru_utime, "sys": ru.ru_stime,
        "maxrss_kb": ru.ru_maxrss, "peak_rss_kb": peak_rss, "peak_anon_kb": peak_anon,
        "samples": samples, "killed": killed, "timed_out": timed_out,
    }
    line = json.dumps(res)
    if a.out:
        with open(a.out, "w") as f:
            f.write(line + "\n")
    else:
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
