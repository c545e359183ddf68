#!/usr/bin/env python3
"""Turn one bench/run.sh result folder into markdown tables (stdout).

usage: summarize.py RESULTS_DIR

Reads RESULTS_DIR/raw.tsv (one row per timed run), env.txt, notes.txt and, per tier,
corpus.tsv plus the tools' outputs (pyaudit.json/.txt, ruff.json/.txt, semgrep.json,
bandit.json). Standard library only.
"""

import csv
import json
import re
import statistics
import sys
from pathlib import Path

TOOLS = ["pyaudit", "ruff", "semgrep", "bandit"]
THREADS = ["pyaudit-t1", "pyaudit-t2"]
# Runs with each tool's cache primed: nothing changed, or one file edited since the last run.
WARM = ["pyaudit-warm", "ruff-warm", "pyaudit-edit", "ruff-edit"]
# text-output fallback: "path:line:col: CODE123 message"
FINDING_LINE = re.compile(r"^[^ ].*:[0-9]+:[0-9]+: ([A-Z]+[0-9]+) ")


def load_json(path):
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def count_text(path):
    """Findings in text output; a finding marked "(suppressed)" is not counted."""
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return sum(1 for line in f if FINDING_LINE.match(line) and not line.rstrip().endswith("(suppressed)"))
    except OSError:
        return None


def unsuppressed(items):
    return [x for x in items if not (isinstance(x, dict) and x.get("suppressed") is True)]


def by_rule(tier_dir, tool):
    """Counter of findings per rule id, or None."""
    from collections import Counter

    c = Counter()
    if tool == "pyaudit":
        data = load_json(tier_dir / "pyaudit.json")
        items = data.get("findings") if isinstance(data, dict) else data
        if isinstance(items, list):
            for x in unsuppressed(items):
                if isinstance(x, dict):
                    c[x.get("rule_id") or x.get("rule") or x.get("id") or "?"] += 1
            return c
        try:
            with open(tier_dir / "pyaudit.txt", encoding="utf-8", errors="replace") as f:
                for line in f:
                    m = FINDING_LINE.match(line)
                    if m and not line.rstrip().endswith("(suppressed)"):
                        c[m.group(1)] += 1
        except OSError:
            return None
        return c
    if tool == "ruff":
        data = load_json(tier_dir / "ruff.json")
        if isinstance(data, list):
            c.update(x.get("code", "?") for x in data)
            return c
    if tool in ("semgrep", "bandit"):
        data = load_json(tier_dir / f"{tool}.json")
        if isinstance(data, dict) and isinstance(data.get("results"), list):
            key = "check_id" if tool == "semgrep" else "test_id"
            c.update(str(x.get(key, "?")).rsplit(".", 1)[-1] for x in data["results"])
            return c
    return None


def findings(tier_dir, tool):
    """(count or None, how it was counted, extra note or '')."""
    if tool == "pyaudit":
        data = load_json(tier_dir / "pyaudit.json")
        if isinstance(data, dict) and isinstance(data.get("findings"), list):
            summary = data.get("summary") if isinstance(data.get("summary"), dict) else {}
            extra = ""
            if "files_scanned" in summary:
                extra = f"{summary['files_scanned']} files scanned"
                if summary.get("files_not_fully_scanned"):
                    extra += f" ({summary['files_not_fully_scanned']} not fully)"
                if summary.get("suppressed"):
                    extra += f", {summary['suppressed']} suppressed findings not counted"
            return len(unsuppressed(data["findings"])), "json", extra
        if isinstance(data, list):
            return len(unsuppressed(data)), "json", ""
        n = count_text(tier_dir / "pyaudit.txt")
        extra = "counted from the text output (--format json not usable)"
        try:
            m = re.search(r"Scanned ([0-9,]+) files", (tier_dir / "pyaudit.txt").read_text(errors="replace"))
            if m:
                extra = f"{m.group(1)} files scanned; " + extra
        except OSError:
            pass
        return n, "text", "" if n is None else extra
    if tool == "ruff":
        data = load_json(tier_dir / "ruff.json")
        extra = ""
        try:
            extra = f"{int((tier_dir / 'ruff.files').read_text().strip())} files scanned"
        except (OSError, ValueError):
            pass
        if isinstance(data, list):
            return len(data), "json", extra
        return count_text(tier_dir / "ruff.txt"), "text", extra
    if tool == "semgrep":
        data = load_json(tier_dir / "semgrep.json")
        if isinstance(data, dict) and isinstance(data.get("results"), list):
            scanned = len(data.get("paths", {}).get("scanned", []))
            errs = data.get("errors", [])
            kinds = sorted({str(e.get("type", "?")) for e in errs if isinstance(e, dict)})
            kinds_s = f" ({', '.join(kinds)})" if kinds else ""
            return len(data["results"]), "json", f"{scanned} files scanned, {len(errs)} errors{kinds_s}"
        return None, "", ""
    if tool == "bandit":
        data = load_json(tier_dir / "bandit.json")
        if isinstance(data, dict) and isinstance(data.get("results"), list):
            files = len([k for k in data.get("metrics", {}) if k != "_totals"])
            errors = len(data.get("errors", []))
            return len(data["results"]), "json", f"{files} files scanned, {errors} errors"
        return None, "", ""
    return None, "", ""


def fmt_s(x):
    if x is None:
        return "n/a"
    if x < 1:
        return f"{x:.3f}"
    if x < 10:
        return f"{x:.2f}"
    return f"{x:.1f}"


def corpus_size(tier_dir):
    """The tier's corpus.tsv as a dict (files, lines, bytes)."""
    corpus = {}
    if (tier_dir / "corpus.tsv").exists():
        for line in (tier_dir / "corpus.tsv").read_text().split("\n"):
            if "\t" in line:
                k, v = line.split("\t")
                corpus[k] = int(v.strip())
    return corpus


def median_of(rows, tier, tool, key):
    vals = [
        float(r["user_s"]) + float(r["sys_s"]) if key == "cpu" else float(r[key])
        for r in rows
        if r["tier"] == tier and r["tool"] == tool
    ]
    return statistics.median(vals) if vals else None


def growth(out, rows, tiers):
    """Cost per MB on each corpus tier, against the first: linear growth keeps it flat."""
    sized = [(t, corpus_size(out / t).get("bytes")) for t in tiers]
    sized = [(t, b) for t, b in sized if b and median_of(rows, t, "pyaudit", "wall_s")]
    if len(sized) < 2:
        return
    print("### Growth across tiers (pyaudit; median wall and CPU per MB of source)")
    print()
    print("| tier | MB | wall s | wall ms / MB | CPU s | CPU ms / MB | MB vs first | wall vs first | Ruff wall ms / MB |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    first_mb = sized[0][1] / 1e6
    first_wall = median_of(rows, sized[0][0], "pyaudit", "wall_s")
    for t, b in sized:
        mb = b / 1e6
        wall = median_of(rows, t, "pyaudit", "wall_s")
        cpu = median_of(rows, t, "pyaudit", "cpu")
        ruff = median_of(rows, t, "ruff", "wall_s")
        print(
            f"| {t} | {mb:.1f} | {fmt_s(wall)} | {wall * 1e3 / mb:.1f} | {fmt_s(cpu)} | {cpu * 1e3 / mb:.1f} "
            f"| {mb / first_mb:.2f}× | {wall / first_wall:.2f}× | {'n/a' if ruff is None else f'{ruff * 1e3 / mb:.1f}'} |"
        )
    print()


FOUND = re.compile(r"Found ([0-9,]+) finding")
DIAG = re.compile(r"warning\[([a-z-]+)\]")


def pyaudit_outcome(d):
    """(findings, diagnostic kinds) of the last pyaudit run on a worst-case shape."""
    try:
        text = (d / "pyaudit.txt").read_text(errors="replace")
    except OSError:
        return "n/a", ""
    m = FOUND.search(text)
    n = m.group(1) if m else ("0" if "No findings" in text else "?")
    try:
        kinds = sorted(set(DIAG.findall((d / "pyaudit.txt.err").read_text(errors="replace"))))
    except OSError:
        kinds = []
    return n, ", ".join(kinds)


def worst_table(out, rows, worst):
    """One row per worst-case shape: pyaudit and Ruff side by side."""
    print("### Worst single-file shapes (bench/make_worst.py)")
    print()
    print(
        "| shape | MB | lines | pyaudit wall s | user s | peak RSS MiB | findings | diagnostics "
        "| Ruff wall s | user s | peak RSS MiB | findings | Ruff/pyaudit wall |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|")
    for t in worst:
        d = out / t
        size = corpus_size(d)
        cells = [t[len("worst-"):], f"{size.get('bytes', 0) / 1e6:.2f}", f"{size.get('lines', 0):,}"]
        walls = {}
        for tool in ("pyaudit", "ruff"):
            rs = [r for r in rows if r["tier"] == t and r["tool"] == tool]
            if not rs:
                cells += ["n/a"] * (5 if tool == "pyaudit" else 4)
                continue
            wall = statistics.median(float(r["wall_s"]) for r in rs)
            walls[tool] = wall
            user = statistics.median(float(r["user_s"]) for r in rs)
            rss = max(int(r["maxrss_kb"]) for r in rs) / 1024
            bad = sorted({r["exit"] for r in rs if r["exit"] not in ("0", "1")})
            flag = f" (exit {','.join(bad)})" if bad else ""
            cells += [fmt_s(wall) + flag, fmt_s(user), f"{rss:.0f}"]
            if tool == "pyaudit":
                n, kinds = pyaudit_outcome(d)
                cells += [n, kinds or "none"]
            else:
                cells.append(str(count_text(d / "ruff.txt")))
        ratio = f"{walls['ruff'] / walls['pyaudit']:.2f}" if len(walls) == 2 and walls["pyaudit"] else "n/a"
        print("| " + " | ".join(cells + [ratio]) + " |")
    n = max((sum(1 for r in rows if r["tier"] == t and r["tool"] == "pyaudit") for t in worst), default=0)
    print()
    print(f"- medians of {n} run(s) per tool; peak RSS is the largest over the runs")
    print()


def main():
    out = Path(sys.argv[1])
    rows = list(csv.DictReader(open(out / "raw.tsv", encoding="utf-8"), delimiter="\t"))
    env = {}
    if (out / "env.txt").exists():
        for line in (out / "env.txt").read_text().splitlines():
            k, _, v = line.partition(": ")
            env[k] = v
    notes = [n for n in (out / "notes.txt").read_text().splitlines() if n] if (out / "notes.txt").exists() else []

    try:
        cores = int(env.get("cores", "1"))
    except ValueError:
        cores = 1
    tiers = []
    for r in rows:
        if r["tier"] not in tiers:
            tiers.append(r["tier"])
    worst = [t for t in tiers if t.startswith("worst-")]
    tiers = [t for t in tiers if t not in worst]

    print(f"Benchmark {env.get('date', '?')} on {env.get('cpu', '?')}, {env.get('memory', '?')} RAM, {env.get('host', '?')}")
    versions = [f"{t} {env[t]}" if not env[t].startswith(t) else env[t] for t in TOOLS if t in env]
    if versions:
        print("Versions: " + "; ".join(versions))
    if env.get("quick") == "1":
        print("Quick mode (fewer runs).")
    print()

    for tier in tiers:
        tier_dir = out / tier
        corpus = corpus_size(tier_dir)
        files, lines, nbytes = corpus.get("files"), corpus.get("lines"), corpus.get("bytes")
        mb = nbytes / 1e6 if nbytes else None
        elapsed = (tier_dir / "elapsed_s").read_text().strip() if (tier_dir / "elapsed_s").exists() else "?"
        head = f"### {tier} corpus"
        if files:
            head += f": {files:,} files, {lines:,} lines, {mb:.1f} MB"
        print(head)
        print()

        stats = {}
        for tool in TOOLS + THREADS + WARM:
            rs = [r for r in rows if r["tier"] == tier and r["tool"] == tool]
            if not rs:
                continue
            wall = [float(r["wall_s"]) for r in rs]
            cpu = [float(r["user_s"]) + float(r["sys_s"]) for r in rs]
            rss = [int(r["maxrss_kb"]) for r in rs]
            bad = [r["exit"] for r in rs if r["exit"] not in ("0", "1")]
            # share of the machine's CPU capacity that other processes used during the runs
            other = [
                max(0.0, float(r.get("busy_s") or 0) - (float(r["user_s"]) + float(r["sys_s"])))
                / (float(r["wall_s"]) * cores)
                for r in rs
                if float(r["wall_s"]) > 0 and r.get("busy_s") not in (None, "", "0.00")
            ]
            stats[tool] = {
                "n": len(rs),
                "wall": statistics.median(wall),
                "min": min(wall),
                "max": max(wall),
                "cpu": statistics.median(cpu),
                "rss": max(rss) / 1024,
                "bad": bad,
                "other": statistics.median(other) if other else None,
            }
        base = stats.get("pyaudit", {}).get("wall")
        base_cpu = stats.get("pyaudit", {}).get("cpu")

        print("| tool | runs | wall s (median) | wall min–max | CPU s (user+sys) | peak RSS MiB | findings | wall vs pyaudit | CPU vs pyaudit | others' CPU |")
        print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        extra_notes = []
        busy_tools = []
        for tool in TOOLS:
            s = stats.get(tool)
            if not s:
                continue
            n, how, extra = findings(tier_dir, tool)
            if extra:
                extra_notes.append(f"{tool}: {extra}")
            ratio = f"{s['wall'] / base:.2f}×" if base else "n/a"
            cpu_ratio = f"{s['cpu'] / base_cpu:.2f}×" if base_cpu else "n/a"
            flag = f" (exit {','.join(s['bad'])})" if s["bad"] else ""
            print(
                f"| {tool}{flag} | {s['n']} | {fmt_s(s['wall'])} | {fmt_s(s['min'])}–{fmt_s(s['max'])} "
                f"| {fmt_s(s['cpu'])} | {s['rss']:.0f} | {'n/a' if n is None else n} | {ratio} | {cpu_ratio} "
                f"| {'n/a' if s['other'] is None else format(s['other'], '.0%')} |"
            )
            if s["other"] is not None and s["other"] > 0.10:
                busy_tools.append(tool)
        print()

        if files and mb:
            print("Cost per unit of input (median wall time; CPU = user+sys):")
            print()
            print("| tool | wall ms / MB | CPU ms / MB | wall µs / file | wall µs / 1k lines |")
            print("|---|---:|---:|---:|---:|")
            for tool in TOOLS:
                s = stats.get(tool)
                if not s:
                    continue
                print(
                    f"| {tool} | {s['wall'] * 1e3 / mb:.1f} | {s['cpu'] * 1e3 / mb:.1f} "
                    f"| {s['wall'] * 1e6 / files:.0f} | {s['wall'] * 1e6 / (lines / 1000):.0f} |"
                )
            print()

        if "pyaudit-t1" in stats and "pyaudit-t2" in stats:
            t1, t2 = stats["pyaudit-t1"], stats["pyaudit-t2"]
            print("pyaudit thread scaling:")
            print()
            print("| variant | runs | wall s (median) | CPU s | peak RSS MiB | speed-up vs 1 thread |")
            print("|---|---:|---:|---:|---:|---:|")
            for name, s in (("--threads 1", t1), ("--threads 2", t2)):
                print(
                    f"| {name} | {s['n']} | {fmt_s(s['wall'])} | {fmt_s(s['cpu'])} | {s['rss']:.0f} "
                    f"| {t1['wall'] / s['wall']:.2f}× |"
                )
            print()

        if any(t in stats for t in WARM):
            edited = tier_dir / "edited-file"
            what = edited.read_text().strip() if edited.exists() else "one file"
            print(f"Warm runs (each tool's own cache primed; 'one file edited' appends a comment to {what}):")
            print()
            print("| tool | tree | runs | wall s (median) | wall min–max | CPU s | peak RSS MiB | vs its cold run |")
            print("|---|---|---:|---:|---:|---:|---:|---:|")
            for tool in WARM:
                s = stats.get(tool)
                if not s:
                    continue
                name, mode = tool.rsplit("-", 1)
                cold = stats.get(name, {}).get("wall")
                tree = "unchanged" if mode == "warm" else "one file edited"
                ratio = f"{s['wall'] / cold:.2f}×" if cold else "n/a"
                print(
                    f"| {name} | {tree} | {s['n']} | {fmt_s(s['wall'])} | {fmt_s(s['min'])}–{fmt_s(s['max'])} "
                    f"| {fmt_s(s['cpu'])} | {s['rss']:.0f} | {ratio} |"
                )
            print()

        breakdown = []
        for tool in TOOLS:
            if tool in stats:
                c = by_rule(tier_dir, tool)
                if c:
                    breakdown.append(f"{tool} " + ", ".join(f"{k} {v}" for k, v in sorted(c.items())))
        if breakdown:
            extra_notes.append("findings by rule: " + "; ".join(breakdown))
        if busy_tools:
            extra_notes.append(
                "other processes used more than 10% of the machine's CPU during the runs of "
                + ", ".join(busy_tools)
                + ": those times are inflated; rerun on a quiet machine"
            )
        for e in extra_notes:
            print(f"- {e}")
        print(f"- tier wall-clock total (timed runs + warm-ups + finding counts): {elapsed} s")
        print()

    growth(out, rows, tiers)
    if worst:
        worst_table(out, rows, worst)
    if notes:
        print("Notes:")
        for n in notes:
            print(f"- {n}")


if __name__ == "__main__":
    main()
