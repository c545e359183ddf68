#!/usr/bin/env bash
# Peak memory and CPU time of pyaudit on the huge generated modules of issue 12
# (docs/security.md, "Resources"): a 10 MB module of 300,000 one-line functions and a
# 60 MiB module of 4-line functions, each starting with imports and ending with a sink.
#
#   bench/huge_modules.sh [BINARY] [THREADS...]
#
# BINARY defaults to target/release/pyaudit, THREADS to "1 2 4". Each case runs three times;
# the script prints every run's user time and maximum RSS (from /usr/bin/time -v), then the
# median of each. The inputs are generated into a temporary folder and removed afterwards.
set -euo pipefail
bin=${1:-target/release/pyaudit}
shift || true
threads=${*:-1 2 4}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

python3 - "$work" <<'PY'
import os, sys
work = sys.argv[1]
head = "import os\nimport pickle\nfrom flask import request\n\n"
os.makedirs(f"{work}/small_functions")
with open(f"{work}/small_functions/big.py", "w") as f:
    f.write(head)
    for i in range(300_000):
        f.write(f"def f{i}(a): return a + {i}\n")
    f.write("pickle.loads(request.data)\n")
os.makedirs(f"{work}/sixty_mib")
with open(f"{work}/sixty_mib/big.py", "w") as f:
    f.write(head)
    size, i = len(head), 0
    while size < 60 * 1024 * 1024:
        line = f"def g{i}(a, b):\n    x = a + b * {i}\n    return x\n\n"
        f.write(line)
        size += len(line)
        i += 1
    f.write("pickle.loads(request.data)\n")
PY

for case in small_functions sixty_mib; do
    bytes=$(wc -c < "$work/$case/big.py")
    for t in $threads; do
        users=() rss=()
        for run in 1 2 3; do
            /usr/bin/time -v -o "$work/time" "$bin" scan --no-cache --threads "$t" \
                "$work/$case" >"$work/out" 2>&1 || true
            grep -q "big.py:.*PYA203" "$work/out" || echo "$case: the sink's finding is missing"
            u=$(sed -n 's/.*User time (seconds): //p' "$work/time")
            r=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$work/time")
            users+=("$u") rss+=("$r")
            echo "$case ($bytes bytes) --threads $t run $run: ${u} s user, $((r / 1024)) MiB max RSS"
        done
        mu=$(printf '%s\n' "${users[@]}" | sort -n | sed -n 2p)
        mr=$(printf '%s\n' "${rss[@]}" | sort -n | sed -n 2p)
        echo "$case --threads $t median: ${mu} s user, $((mr / 1024)) MiB ($mr KiB)"
    done
done
