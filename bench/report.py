#!/usr/bin/env python3
"""bench/report.py -- the Markdown report of one bench/run.sh run.

    report.py MACHINE SCENARIOS RUNS FAILED STAMP
    report.py --readme RUNS


MACHINE: key=value lines; SCENARIOS: the run's scenario lines (tab
separated: name kind size path n cap delay origin tools); RUNS: one JSON
object per run (bench/sample.py's, plus scenario, tool, rep, size, the
origin's counters); FAILED: one line per failed run. Medians over the
repetitions; "a (b-c)" is median (min-max). With --readme, the README's
comparison table from a run's .runs file alone. Standard library only.
"""

import json
import math
import statistics
import sys

MIB = 1048576
GIB = 1073741824


def med(xs):
    return statistics.median(xs) if xs else None


def spread(xs, fmt="{:.2f}"):
    if not xs:
        return "-"
    m = fmt.format(med(xs))
    if len(xs) == 1:
        return m
    return f"{m} ({fmt.format(min(xs))}-{fmt.format(max(xs))})"


def ratio(a, b):
    return f"{a / b:.2f}" if a is not None and b else "-"


def sizename(n):
    return f"{n / GIB:g} GiB" if n >= GIB else f"{n / MIB:g} MiB"


def header(machine, failed_count):
    m = machine
    out = [f"# haul benchmark, {m['stamp']}", ""]
    out.append(f"Machine: {m.get('cpu', '?')}, {m.get('cores', '?')} cores, {m.get('memory', '?')}, "
               f"{m.get('kernel', '?')}; disk: {m.get('disk', '?')}.")
    tools = ", ".join(m[k] for k in ("haul", "curl", "aria2c", "axel", "lftp", "wget2", "nginx") if m.get(k))
    out.append(f"Tools: {tools}.")
    mins = int(m.get("elapsed", 0)) / 60
    out.append(f"`{m.get('command', 'bench/run.sh')}`: {m.get('reps')} repetition(s), tools in turn "
               f"(A B C A B C), {mins:.1f} minutes.")
    out += ["", "Columns:", "",
            "- **return s**: from start until the tool exits; **durable s**: until its files are also "
            "fsynced (what `sync FILE` does, for every tool; haul fsyncs itself, so its share is small).",
            "- **ideal**: the network's limit, size / (N x cap) + the wait before the first answer; "
            "**disk**: `dd bs=4M conv=fdatasync` of the same bytes in the same run (the dd row); "
            "**limit** = the larger of the two. The disk figure is a reference, not a hard bound: a "
            "tool's writeback overlaps its download, and this disk is noisy.",
            "- **return/ideal**, **durable/limit**: 1.00 is at the limit; **durable/haul**: the tool's "
            "durable time over haul's (above 1: haul is faster).",
            "- **CPU s/GiB**: user + system seconds of the tool per GiB saved.",
            "- **peak RSS**, **peak RssAnon** (private memory), MiB: from /proc/PID/status every 20 ms, "
            "summed over the tool's processes (none of these tools fork); RSS also takes the kernel's VmHWM.",
            "- **requests**, **connections**, **sent/size**: what the origin saw, and the body bytes that "
            "left its sockets over the bytes saved. Through the TLS proxy these are the proxy's requests "
            "and connections to the origin, and sent/size also counts what was buffered in nginx when a "
            "client hung up early (lftp's open-ended ranges, unpaced).",
            ""]
    if failed_count:
        out += [f"{failed_count} run(s) failed; they are listed at the end and not in the medians.", ""]
    return out


def table_get(sc, recs):
    size, n, cap, delay = sc["size"], sc["n"], sc["cap"], sc["delay"]
    ideal = size / (n * cap * MIB) + delay / 1000 if cap else None
    dd = [r["durable"] for r in recs if r["tool"] == "dd"]
    disk = med(dd)
    limit = max(x for x in (ideal, disk, 0) if x is not None) or None
    desc = f"{sizename(size)}, N = {n}"
    desc += f", {cap} MiB/s per connection" if cap else ", no cap"
    if delay:
        desc += f", {delay} ms before every answer"
    if sc["kind"] == "tls":
        desc += ", HTTPS through nginx"
    lim = []
    if ideal:
        lim.append(f"ideal {ideal:.2f} s ({size / MIB / ideal:.0f} MiB/s)")
    if disk:
        lim.append(f"disk {disk:.2f} s ({size / MIB / disk:.0f} MiB/s)")
    out = [f"## {sc['name']}: {desc}", ""]
    if lim:
        out += ["Limits: " + "; ".join(lim) + ".", ""]
    out += ["| tool | return s | durable s | return/ideal | durable/limit | durable/haul | CPU s/GiB | peak RSS MiB "
            "| peak RssAnon MiB | requests | connections | sent/size |",
            "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    ref = next((t for t in sc["tools"] if t.startswith("haul")), None)
    ref_dur = med([r["durable"] for r in recs if r["tool"] == ref])
    for t in sc["tools"]:
        rs = [r for r in recs if r["tool"] == t]
        if not rs:
            out.append(f"| {t} | failed | | | | | | | | | | |")
            continue
        ret = [r["return"] for r in rs]
        dur = [r["durable"] for r in rs]
        cpu = med([(r["user"] + r["sys"]) / (size / GIB) for r in rs])
        org = [r.get("origin") or {} for r in rs]
        req = med([o.get("requests", 0) for o in org])
        conn = med([o.get("connections", 0) for o in org])
        sent = med([o.get("body_bytes", 0) / size for o in org])
        net = "| - | - | - |" if t == "dd" else f"| {req:g} | {conn:g} | {sent:.3f} |"
        out.append(
            f"| {t} | {spread(ret)} | {spread(dur)} | {ratio(med(ret), ideal)} | {ratio(med(dur), limit)} "
            f"| {ratio(med(dur), ref_dur) if t != ref else '-'} | {cpu:.2f} "
            f"| {med([r['peak_rss_kb'] for r in rs]) / 1024:.1f} | {med([r['peak_anon_kb'] for r in rs]) / 1024:.1f} "
            + net)
    return out + [""]


def table_many(sc, recs):
    size, delay = None, sc["delay"]
    files = sc["size"]
    ideal = math.ceil(files / sc["n"]) * delay / 1000
    if recs:
        size = recs[0]["size"]
    out = [f"## {sc['name']}: {files} files of 1-64 KiB ({size / MIB:.1f} MiB in all), "
           f"{delay} ms before every answer, {sc['n']} at once" if size else f"## {sc['name']}", "",
           f"Ideal: {ideal:.2f} s (one wait per file per slot; a tool that probes first waits twice).", ""]
    if sc["kind"] == "api":
        out += ["The files are the outputs of a Sarvam job (a mock of the download-files API): haul sarvam "
                "asks the API for their presigned URLs inside its run; the other tools get the URLs of one "
                "call made before theirs.", ""]
    out += ["| tool | return s | durable s | return/ideal | durable/haul | CPU s | peak RSS MiB | peak RssAnon MiB "
           "| requests | connections | sent/size |",
           "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    ref = next((t for t in sc["tools"] if t.startswith("haul")), None)
    ref_dur = med([r["durable"] for r in recs if r["tool"] == ref])
    for t in sc["tools"]:
        rs = [r for r in recs if r["tool"] == t]
        if not rs:
            out.append(f"| {t} | failed | | | | | | | | | |")
            continue
        ret = [r["return"] for r in rs]
        dur = [r["durable"] for r in rs]
        org = [r.get("origin") or {} for r in rs]
        out.append(
            f"| {t} | {spread(ret)} | {spread(dur)} | {ratio(med(ret), ideal)} "
            f"| {ratio(med(dur), ref_dur) if t != ref else '-'} | {med([r['user'] + r['sys'] for r in rs]):.2f} "
            f"| {med([r['peak_rss_kb'] for r in rs]) / 1024:.1f} | {med([r['peak_anon_kb'] for r in rs]) / 1024:.1f} "
            f"| {med([o.get('requests', 0) for o in org]):g} | {med([o.get('connections', 0) for o in org]):g} "
            f"| {med([o.get('body_bytes', 0) / r['size'] for o, r in zip(org, rs)]):.3f} |")
    return out + [""]


def table_kill(sc, recs):
    size = sc["size"]
    out = [f"## {sc['name']}: {sizename(size)} behind one shared {sc['cap']} MiB/s link, "
           "SIGKILL at a share of the file, then the same command to the end", "",
           "kill at: the share of the file the origin had sent when each kill landed (20+40+60+80: "
           "one download killed four times); killed at: when the last kill landed; sent/size, "
           "requests, connections, times: all runs of the download together.",
           "",
           "| tool | kill at | killed at | sent/size | requests | connections | return s (both) | durable s |",
           "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for t in sc["tools"]:
        pcts = sorted({r["kill_pct"] for r in recs if r["tool"] == t})
        if not pcts:
            out.append(f"| {t} | failed | | | | | | |")
        for p in pcts:
            done = [r for r in recs if r["tool"] == t and r["kill_pct"] == p]
            # every killed run of a repetition (kill4: four of them, in order)
            killed = {}
            for r in recs:
                if r["tool"] == t + "-killed" and r["kill_pct"] == p:
                    killed.setdefault(r["rep"], []).append(r)
            pairs = [(killed[r["rep"]], r) for r in done if r["rep"] in killed]
            if not pairs:
                continue
            at = med([(k[-1].get("origin") or {}).get("body_bytes", 0) / size for k, _ in pairs])
            org = [d.get("origin") or {} for _, d in pairs]
            out.append(
                f"| {t.removesuffix('-kill')} | {p} % | {at * 100:.0f} % "
                f"| {med([o.get('body_bytes', 0) / size for o in org]):.3f} "
                f"| {med([o.get('requests', 0) for o in org]):g} | {med([o.get('connections', 0) for o in org]):g} "
                f"| {spread([sum(x['return'] for x in k) + d['return'] for k, d in pairs])} "
                f"| {spread([sum(x['return'] for x in k) + d['durable'] for k, d in pairs])} |")
    return out + [""]


# The README's columns: the row name each tool has in each kind of scenario.
README_COLS = [("haul", ("haul", "haul-i", "haul-sarvam", "haul-def")), ("aria2c", ("aria2c", "aria2c-i")),
               ("axel", ("axel",)), ("lftp", ("lftp", "lftp-1")), ("curl", ("curl", "curl-K")),
               ("disk (dd)", ("dd",))]
README_ROWS = [("cap25-n16", "16 x 25 MiB/s, 1 GiB"), ("cap10-n64", "64 x 10 MiB/s, 1 GiB"),
               ("cap1-n256", "256 x 1 MiB/s, 1 GiB"), ("delay-n16", "16 x 25 MiB/s, 100 ms"),
               ("fast-1g", "no cap, 1 GiB"), ("fast-4g", "no cap, 4 GiB"),
               ("tls-fast", "HTTPS, unpaced, 1 GiB"), ("tls-cap25", "HTTPS, 16 x 25 MiB/s"),
               ("one-1m", "1 MiB, 200 ms an answer"),
               ("small", "small files, 30 ms"), ("sarvam", "haul sarvam, 200 files")]


def readme(runs_f):
    """The README table: MiB/s to durable (seconds for many files), and RssAnon."""
    with open(runs_f) as f:
        runs = [json.loads(line) for line in f if line.strip()]
    stamp = runs_f.rsplit("/", 1)[-1].removesuffix(".runs")
    w = [28] + [9] * len(README_COLS)
    out = [f"Medians of bench/results/{stamp}.md; MiB/s until the file is durable",
           "(seconds for the 1 MiB and many-files rows; lftp -n 1 in 'no cap' rows;",
           "disk: dd conv=fdatasync of the same bytes in the same run, a reference,",
           "not a bound: a tool's writeback overlaps its download):", "",
           "".join(c.ljust(n) for c, n in zip(["    scenario"] + [c for c, _ in README_COLS], w)).rstrip()]

    def cell(sc, names, what):
        rs = [r for r in runs if r["scenario"] == sc and r["tool"] in names and r.get("rc", 0) == 0]
        if not rs:
            return "-"
        if what == "anon":
            if "dd" in names:
                return "-"
            return f"{med([r['peak_anon_kb'] for r in rs]) / 1024:.1f}"
        if sc in ("small", "sarvam", "one-1m"):
            return f"{med([r['durable'] for r in rs]):.2f} s"
        return f"{med([r['size'] / MIB / r['durable'] for r in rs]):.0f}"

    for sc, label in README_ROWS:
        if any(r["scenario"] == sc for r in runs):
            out.append("".join(c.ljust(n) for c, n in zip(["    " + label] + [cell(sc, names, "speed")
                                                            for _, names in README_COLS], w)).rstrip())
    if any(r["scenario"] == "fast-1g" for r in runs):
        out.append("".join(c.ljust(n) for c, n in zip(["    RssAnon MiB, no cap"] + [cell("fast-1g", names, "anon")
                                                        for _, names in README_COLS], w)).rstrip())
    print("\n".join(out))


def main():
    if sys.argv[1:2] == ["--readme"]:
        readme(sys.argv[2])
        return
    machine_f, scen_f, runs_f, failed_f, stamp = sys.argv[1:6]
    machine = {"stamp": stamp}
    with open(machine_f) as f:
        for line in f:
            k, _, v = line.rstrip("\n").partition("=")
            machine[k] = v
    scenarios = []
    with open(scen_f) as f:
        for line in f:
            name, kind, size, path, n, cap, delay, origin, tools = line.rstrip("\n").split("\t")
            if size[-1] in "mg":
                size = int(size[:-1]) * (MIB if size[-1] == "m" else GIB)
            scenarios.append(dict(name=name, kind=kind, size=int(size), path=path, n=int(n), cap=int(cap),
                                  delay=int(delay), origin=origin, tools=tools.split()))
    with open(runs_f) as f:
        runs = [json.loads(line) for line in f if line.strip()]
    with open(failed_f) as f:
        failed = [line.rstrip("\n") for line in f if line.strip()]
    out = header(machine, len(failed))
    for sc in scenarios:
        recs = [r for r in runs if r["scenario"] == sc["name"]]
        if sc["kind"] in ("get", "tls"):
            out += table_get(sc, recs)
        elif sc["kind"] in ("many", "api"):
            out += table_many(sc, recs)
        else:
            out += table_kill(sc, recs)
    if failed:
        out += ["Failed runs (not in the medians):", ""] + ["    " + x for x in failed] + [""]
    print("\n".join(out))


if __name__ == "__main__":
    main()
