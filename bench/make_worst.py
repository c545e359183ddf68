#!/usr/bin/env python3
"""Writes the worst single-file shapes of issue 14 (point 4) into DEST, one folder per shape.

usage: make_worst.py DEST [SHAPE ...]     (default: every shape; `--list` prints their names)

Deterministic: the same command writes byte-identical files. Each shape is a file that a
naive analyser handles in super-linear time or memory; each holds a real flow from request
data to a sink (or an unconditional sink) so the run must still report something, and
bench/run.sh checks that it does. The sizes are those the robustness tests bound (see
docs/robustness.md), so the benchmark times the cases those tests only guard.
"""

import os
import sys

HEADER = "import os\nimport pickle\nfrom flask import Flask, request\n\napp = Flask(__name__)\n\n"


def assignments(n=80_000):
    # One view with n request-data assignments, each also reading the one before: the taint
    # state grows with every statement, and a pass that copies it per statement is quadratic.
    out = [HEADER, '@app.route("/a")\ndef view():\n', '    v0 = request.args.get("k0")\n']
    for i in range(1, n):
        out.append(f'    v{i} = request.args.get("k{i % 97}") + v{i - 1}\n')
    out.append(f"    os.system(v{n - 1})\n")
    return "".join(out)


def functions(n=300_000):
    # A ~10 MB generated module of small functions (the robustness test's shape): the
    # semantic model and the summaries hold one scope per function.
    out = [HEADER]
    for i in range(n):
        out.append(f"def f{i}(a): return a + {i}\n")
    out.append("pickle.loads(request.data)\n")
    return "".join(out)


def loops(depth=97, width=8):
    # Loops nested as deep as Python allows (fewer than 100 levels of indentation): a value reaches
    # the sink only after it went around every loop once, from the innermost outwards, so a
    # fixpoint that re-runs inner loops on each outer round is exponential in the depth.
    out = [HEADER, '@app.route("/l")\ndef view():\n']
    for k in range(depth + 1):
        out.append(f"    x{k} = ''\n")
    for k in range(depth):
        pad = "    " * (k + 1)
        out.append(f"{pad}for i{k} in range({width}):\n")
        out.append(f"{pad}    x{k} = x{k + 1}\n")
    pad = "    " * (depth + 1)
    out.append(f'{pad}x{depth} = request.args.get("q")\n')
    out.append("    os.system(x0)\n")
    return "".join(out)


def call_chain(n=20_000):
    # A chain of n functions, each passing its parameter to the next and the last to a
    # shell: every summary depends on the next one, so solving them costs n summaries, not
    # n nested re-analyses (and not n native stack frames).
    out = [HEADER]
    for i in range(n - 1):
        out.append(f"def f{i}(x):\n    return f{i + 1}(x)\n\n")
    out.append(f"def f{n - 1}(x):\n    return os.system(x)\n\n")
    out.append('@app.route("/c")\ndef view():\n    return f0(request.args.get("q"))\n')
    return "".join(out)


def method_chain(n=50_000):
    # One expression of n chained method calls on request data (`.strip().strip()...`):
    # the syntax tree is n levels deep on the left.
    chain = ".strip()" * n
    return (
        HEADER
        + '@app.route("/m")\ndef view():\n'
        + f'    cmd = request.args.get("q"){chain}\n'
        + "    os.system(cmd)\n"
    )


def brackets(depth=100_000):
    # Brackets nested 100,000 deep (CPython refuses past 200; tree-sitter parses it), with
    # a sink before and after: nothing may recurse on the native stack.
    return (
        "import pickle\npickle.loads(before)\n"
        + "x = "
        + "[" * depth
        + "]" * depth
        + "\npickle.loads(after)\n"
    )


SHAPES = {
    "assignments": assignments,
    "functions": functions,
    "loops": loops,
    "call_chain": call_chain,
    "method_chain": method_chain,
    "brackets": brackets,
}


def main(argv):
    if len(argv) >= 2 and argv[1] == "--list":
        print(" ".join(SHAPES))
        return 0
    if len(argv) < 2:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    dest = argv[1]
    names = argv[2:] or list(SHAPES)
    for name in names:
        if name not in SHAPES:
            print(f"make_worst.py: unknown shape {name!r} (known: {' '.join(SHAPES)})", file=sys.stderr)
            return 2
        folder = os.path.join(dest, name)
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, f"{name}.py"), "w", encoding="utf-8", newline="\n") as f:
            f.write(SHAPES[name]())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
