#!/usr/bin/env python3
"""Ecosystem check: scan pinned real projects from PyPI and compare with hand verdicts.

Usage: bench/ecosystem/ecosystem.py [--pyaudit PATH] [--only NAME] [-- extra scan flags]

Downloads each project in projects.txt (`pip download --no-deps`, wheels) into
bench/ecosystem/.cache (gitignored), checks its sha256 against hashes.txt (records it when
missing), unpacks it, scans it with pyaudit (JSON, default profile), and compares every
finding with verdicts.tsv. Prints per-rule precision (debatable counts as correct) and every
finding without a verdict. Local benchmark only: it downloads packages, so it is not in CI.
"""
import argparse
import collections
import hashlib
import json
import pathlib
import subprocess
import sys
import zipfile

HERE = pathlib.Path(__file__).resolve().parent
CACHE = HERE / ".cache"
ROOT = HERE.parent.parent


def projects():
    for line in (HERE / "projects.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, version = line.split("==")
            yield name, version


def read_hashes():
    path = HERE / "hashes.txt"
    out = {}
    if path.exists():
        for line in path.read_text().splitlines():
            if line.strip():
                digest, name = line.split(None, 1)
                out[name.strip()] = digest
    return out


def fetch(name, version, hashes):
    dl = CACHE / "dl" / f"{name}-{version}"
    dl.mkdir(parents=True, exist_ok=True)
    files = list(dl.glob("*.whl"))
    if not files:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
             "--only-binary=:all:", "--python-version", "3.12",
             "--platform", "manylinux2014_x86_64", "--platform", "any",
             "-d", str(dl), f"{name}=={version}"],
            check=True,
        )
        files = list(dl.glob("*.whl"))
    wheel = files[0]
    digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
    known = hashes.get(wheel.name)
    if known is None:
        hashes[wheel.name] = digest
    elif known != digest:
        sys.exit(f"{wheel.name}: sha256 {digest} does not match hashes.txt ({known})")
    src = CACHE / "src" / f"{name}-{version}"
    if not src.exists():
        with zipfile.ZipFile(wheel) as z:
            z.extractall(src)
    return src


def load_verdicts():
    verdicts = {}
    path = HERE / "verdicts.tsv"
    if path.exists():
        for n, line in enumerate(path.read_text().splitlines(), 1):
            if not line.strip() or line.startswith("#"):
                continue
            parts = line.split("\t")
            if len(parts) != 6:
                sys.exit(f"verdicts.tsv:{n}: expected 6 tab-separated fields")
            rule, path_, lineno, fp, verdict, reason = parts
            if verdict not in ("true", "debatable", "false"):
                sys.exit(f"verdicts.tsv:{n}: verdict must be true, debatable or false")
            verdicts[(rule, path_, fp)] = (verdict, reason, lineno)
    return verdicts


def scan(pyaudit, src, flags):
    """Every finding of one project, with the low-confidence ones (`--profile audit`)."""
    out = subprocess.run(
        [pyaudit, "scan", src.name, "--format", "json", "--exit-zero", "--profile", "audit",
         # The cache is gitignored inside this repository: scan it all the same.
         "--no-respect-ignore",
         *flags],
        cwd=src.parent, capture_output=True, text=True,
    )
    if out.returncode != 0:
        sys.exit(f"{src.name}: pyaudit exited {out.returncode}: {out.stderr[-2000:]}")
    return json.loads(out.stdout)


def expand(doc):
    """(rule, path, line, fingerprint, finding, role) for each finding: role is `after` for
    what the default profile reports, and every finding, plus one row per covered rule,
    makes up `before` (no profile, no merging of findings on one call)."""
    for f in doc["findings"]:
        if f["suppressed"]:
            continue
        shown = f["confidence"] != "low"
        yield f["rule_id"], f, shown
        for c in f.get("covers", []):
            yield c, f, False


def table(title, rows, verdicts):
    per_rule = collections.defaultdict(collections.Counter)
    for rule, f, _ in rows:
        v = verdicts.get((rule, f["path"], f["fingerprint"]))
        per_rule[rule][v[0] if v else "unjudged"] += 1
    print(f"\n{title}")
    print(f"| rule | findings | true | debatable | false | no verdict | precision |")
    print(f"|---|---|---|---|---|---|---|")
    tot = collections.Counter()
    for rule in sorted(per_rule):
        c = per_rule[rule]
        tot.update(c)
        judged = c["true"] + c["debatable"] + c["false"]
        prec = f"{(c['true'] + c['debatable']) / judged:.2f}" if judged else "-"
        print(f"| {rule} | {sum(c.values())} | {c['true']} | {c['debatable']} | {c['false']} "
              f"| {c['unjudged']} | {prec} |")
    judged = tot["true"] + tot["debatable"] + tot["false"]
    prec = f"{(tot['true'] + tot['debatable']) / judged:.2f}" if judged else "-"
    print(f"| all | {sum(tot.values())} | {tot['true']} | {tot['debatable']} | {tot['false']} "
          f"| {tot['unjudged']} | {prec} |")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pyaudit", default=str(ROOT / "target" / "release" / "pyaudit"))
    ap.add_argument("--only", action="append", default=[])
    ap.add_argument("--dump", help="write rows without a verdict, verdict-file shaped, here")
    ap.add_argument("flags", nargs="*", help="extra `pyaudit scan` flags (after --)")
    args = ap.parse_args()
    hashes = read_hashes()
    verdicts = load_verdicts()
    rows = []
    for name, version in projects():
        if args.only and name not in args.only:
            continue
        src = fetch(name, version, hashes)
        doc = scan(args.pyaudit, src, args.flags)
        mine = list(expand(doc))
        rows.extend(mine)
        after = [r for r in mine if r[2]]
        tests = sum(1 for r in after if r[1].get("test_code"))
        print(f"{name}=={version}: {doc['summary']['files_scanned']} files; "
              f"{len(mine)} findings before, {len(after)} after ({tests} of them in test code)")
    with open(HERE / "hashes.txt", "w") as fh:
        for k in sorted(hashes):
            fh.write(f"{hashes[k]}  {k}\n")
    table("Before (every finding, one per rule on a call, low confidence included):", rows, verdicts)
    after = [r for r in rows if r[2]]
    table("After (default profile, one finding per call), all files:", after, verdicts)
    table("After, outside test code (what gates):",
          [r for r in after if not r[1].get("test_code")], verdicts)
    missing = [r for r in rows if (r[0], r[1]["path"], r[1]["fingerprint"]) not in verdicts]
    if missing:
        print(f"\n{len(missing)} findings without a verdict:")
        for rule, f, _ in missing:
            print(f"  {rule}\t{f['path']}:{f['start']['line']}\t{f['message'][:100]}")
    if args.dump:
        with open(args.dump, "w") as fh:
            for rule, f, _ in missing:
                tc = " [test]" if f.get("test_code") else ""
                fh.write(f"{rule}\t{f['path']}\t{f['start']['line']}\t{f['fingerprint']}\t?\t"
                         f"{f['line_text'].strip()[:140]}{tc}\n")


if __name__ == "__main__":
    main()
