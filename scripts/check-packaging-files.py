"""Checks of .pre-commit-hooks.yaml and action.yml (run by scripts/test-packaging).

GitHub and pre-commit only read these files when someone uses them, so a typo would surface
in a user's workflow; this parses them with PyYAML, checks what each consumer requires, and
runs the action's scan and fail steps against a stub `pyaudit` that records its arguments.
"""

import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
errors = []


def check(cond, message):
    if not cond:
        errors.append(message)


def load(name):
    try:
        return yaml.safe_load((ROOT / name).read_text())
    except yaml.YAMLError as e:
        sys.exit(f"{name}: not valid YAML: {e}")


def check_hooks():
    hooks = load(".pre-commit-hooks.yaml")
    check(isinstance(hooks, list) and hooks, ".pre-commit-hooks.yaml: expected a list of hooks")
    ids = [h.get("id") for h in hooks]
    check("pyaudit" in ids, ".pre-commit-hooks.yaml: no hook with id `pyaudit`")
    check(len(ids) == len(set(ids)), f".pre-commit-hooks.yaml: duplicate ids {ids}")
    for h in hooks:
        where = f".pre-commit-hooks.yaml: hook {h.get('id')!r}"
        for key in ("id", "name", "entry", "language"):
            check(isinstance(h.get(key), str) and h[key], f"{where}: missing `{key}`")
        # `script` (pre-commit >= 4.4 calls it `unsupported_script`): the hook script installs
        # the released wheel when there is one; `python` would always compile.
        check(h.get("language") == "script", f"{where}: language must be script")
        check(str(h.get("entry", "")).startswith("scripts/pre-commit-hook scan"),
              f"{where}: entry must run `scripts/pre-commit-hook scan`")
        check(h.get("require_serial") is True, f"{where}: require_serial must be true (one first-run install)")
        check(h.get("types") == ["python"], f"{where}: types must be [python]")
        check(h.get("pass_filenames", True) is True, f"{where}: must pass file names")


def check_action():
    action = load("action.yml")
    for key in ("name", "description", "inputs", "runs"):
        check(key in action, f"action.yml: missing `{key}`")
    inputs = action.get("inputs", {})
    for name in ("paths", "fail-on", "baseline", "sarif-file", "category"):
        check(name in inputs, f"action.yml: missing input `{name}`")
    for name, spec in inputs.items():
        check("description" in spec, f"action.yml: input `{name}` has no description")
        check(isinstance(spec.get("default", ""), str), f"action.yml: input `{name}` default must be a string")
    runs = action.get("runs", {})
    check(runs.get("using") == "composite", "action.yml: runs.using must be composite")
    steps = runs.get("steps", [])
    text = (ROOT / "action.yml").read_text()
    for used in set(re.findall(r"inputs\.([A-Za-z0-9_-]+)", text)):
        check(used in inputs, f"action.yml: uses undeclared input `{used}`")
    step_ids = {s.get("id") for s in steps if s.get("id")}
    for used in set(re.findall(r"steps\.([A-Za-z0-9_-]+)\.", text)):
        check(used in step_ids, f"action.yml: refers to unknown step id `{used}`")
    uploads = [s for s in steps if str(s.get("uses", "")).startswith("github/codeql-action/upload-sarif@")]
    check(len(uploads) == 1, "action.yml: expected one github/codeql-action/upload-sarif step")
    for s in uploads:
        check({"sarif_file", "category"} <= set(s.get("with", {})), "action.yml: upload-sarif needs sarif_file and category")
    for i, s in enumerate(steps):
        where = f"action.yml: step {i} ({s.get('name')})"
        check(("run" in s) != ("uses" in s), f"{where}: needs exactly one of run/uses")
        if "run" in s:
            # Composite actions reject a run step without an explicit shell.
            check(s.get("shell") == "bash", f"{where}: run steps need `shell: bash`")
            check("${{" not in s["run"], f"{where}: pass inputs through env, not ${{{{ }}}} in run")
            syntax = subprocess.run(["bash", "-n"], input=s["run"], text=True, capture_output=True)
            check(syntax.returncode == 0, f"{where}: bash syntax error: {syntax.stderr.strip()}")
    scan = " ".join(s.get("run", "") for s in steps)
    for flag in ("--format sarif", "--output", "--fail-on", "--baseline"):
        check(flag in scan, f"action.yml: the scan step does not pass `{flag}`")


STUB = """#!/bin/sh
# Stands in for pyaudit: records its arguments, writes the --output file unless told not to.
printf '%s\\n' "$@" > "$STUB_ARGS"
if [ -z "$STUB_NO_OUTPUT" ]; then
    while [ $# -gt 0 ]; do
        if [ "$1" = --output ]; then echo '{}' > "$2"; fi
        shift
    done
fi
exit "$STUB_EXIT"
"""


def expand(value, inputs, outputs):
    """Evaluates the `${{ }}` forms the action uses in `env:` values."""

    def one(m):
        expr = m.group(1).strip()
        if expr.startswith("inputs."):
            return inputs[expr[len("inputs."):]]
        if expr.startswith("steps."):
            _, step, _, name = expr.split(".")
            return outputs.get(step, {}).get(name, "")
        if expr == "github.action_path":
            return str(ROOT)
        raise ValueError(f"unsupported expression {expr}")

    return re.sub(r"\$\{\{(.*?)\}\}", one, str(value))


def run_step(step, inputs, outputs, workdir, stub_exit=0, stub_no_output=False, bindir=None):
    """Runs one `run` step as the runner would, with the stub `pyaudit` unless `bindir` holds
    a real one; returns (exit code, stdout and stderr, step outputs, stub's arguments)."""
    if bindir is None:
        bindir = workdir / "stub-bin"
        bindir.mkdir(exist_ok=True)
        (bindir / "pyaudit").write_text(STUB)
        (bindir / "pyaudit").chmod(0o755)
    out_file = workdir / "github-output"
    out_file.write_text("")
    args_file = workdir / "args"
    args_file.write_text("")
    env = dict(os.environ)
    env.update({k: expand(v, inputs, outputs) for k, v in step.get("env", {}).items()})
    env.update(
        PATH=f"{bindir}{os.pathsep}{env['PATH']}",
        GITHUB_OUTPUT=str(out_file),
        STUB_ARGS=str(args_file),
        STUB_EXIT=str(stub_exit),
        STUB_NO_OUTPUT="1" if stub_no_output else "",
    )
    # The runner's bash invocation for `shell: bash`.
    proc = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
        cwd=workdir, env=env, text=True, capture_output=True,
    )
    outs = dict(line.split("=", 1) for line in out_file.read_text().splitlines() if "=" in line)
    return proc.returncode, proc.stdout + proc.stderr, outs, args_file.read_text().splitlines()


def simulate_action():
    action = load("action.yml")
    steps = {s.get("id") or s.get("name"): s for s in action["runs"]["steps"]}
    scan, gate = steps["scan"], steps["Fail on findings"]
    defaults = {k: v.get("default", "") for k, v in action["inputs"].items()}
    cases = [
        # (inputs, stub exit, stub writes no SARIF, expected args, expected outputs)
        ({}, 0, False, ["scan", "--format", "sarif", "--output", "pyaudit.sarif", "--no-cache", "--strict",
          "--", "."],
         {"exit-code": "0", "sarif-file": "pyaudit.sarif"}),
        ({"paths": "src  tests\nscripts", "fail-on": "high", "baseline": "base line.json",
          "sarif-file": "out.sarif", "args": "--exclude gen --min-confidence high",
          "fail-on-incomplete": "false"}, 1, False,
         ["scan", "--format", "sarif", "--output", "out.sarif", "--no-cache", "--fail-on", "high",
          "--baseline", "base line.json", "--exclude", "gen", "--min-confidence", "high",
          "--", "src", "tests", "scripts"],
         {"exit-code": "1", "sarif-file": "out.sarif"}),
        ({}, 2, True, None, {"exit-code": "2"}),
    ]
    with tempfile.TemporaryDirectory() as tmp:
        os.environ.update(RUNNER_OS="Linux", RUNNER_ARCH="X64", RUNNER_TEMP=tmp)
        keys = [run_step(steps["key"], defaults, {}, Path(tmp))[2] for _ in range(2)]
        check(keys[0] == keys[1], f"action.yml: cache key not stable: {keys}")
        check(re.fullmatch(r"pyaudit-bin-Linux-X64-[0-9a-f]{20}", keys[0].get("key", "")),
              f"action.yml: bad cache key outputs {keys[0]}")
        tokens = set()
        for given, code, no_sarif, want_args, want_outs in cases:
            inputs = {**defaults, **given}
            rc, log, outs, args = run_step(scan, inputs, {}, Path(tmp), code, no_sarif)
            where = f"action.yml scan step with {given or 'defaults'} (pyaudit exit {code})"
            # pyaudit runs between stop-commands and the resume line of a fresh random token.
            stop = re.search(r"^::stop-commands::(pyaudit-[0-9a-f]{32})$", log, re.M)
            check(stop is not None, f"{where}: no ::stop-commands:: line before pyaudit:\n{log}")
            if stop:
                token = stop.group(1)
                check(log.count(f"::{token}::") == 1 and log.index(f"::{token}::") > stop.end(),
                      f"{where}: commands are not resumed once after the scan:\n{log}")
                check(token not in tokens, f"{where}: stop-commands token reused")
                tokens.add(token)
            check(rc == 0, f"{where}: the step itself failed ({rc}), so the SARIF upload would be skipped:\n{log}")
            check(want_args is None or args == want_args, f"{where}: ran pyaudit {args}, expected {want_args}")
            check(outs == want_outs, f"{where}: outputs {outs}, expected {want_outs}")
            rc, log, _, _ = run_step(gate, inputs, {"scan": outs}, Path(tmp))
            check(rc == code, f"{where}: the fail step exited {rc}, expected {code}")
            check(code == 0 or "::error" in log, f"{where}: the fail step printed no ::error annotation")


def run_action_with(pyaudit):
    """Runs the action's scan step with a real pyaudit on a vulnerable file and checks the
    SARIF it leaves for the upload step. Needs `--format sarif` (the CI-gate work, issue 3);
    a build without it is reported as skipped."""
    help_text = subprocess.run([pyaudit, "scan", "--help"], capture_output=True, text=True).stdout
    if "sarif" not in help_text:
        print("action.yml with the real binary: skipped (this build has no `--format sarif`)")
        return
    import json

    action = load("action.yml")
    scan = next(s for s in action["runs"]["steps"] if s.get("id") == "scan")
    inputs = {k: v.get("default", "") for k, v in action["inputs"].items()}
    inputs.update(paths="app", **{"fail-on": "low"})
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        (work / "app").mkdir()
        (work / "app" / "session.py").write_text("import pickle\n\n\ndef f(b):\n    return pickle.loads(b)\n")
        rc, log, outs, _ = run_step(scan, inputs, {}, work, bindir=Path(pyaudit).parent)
        where = "action.yml scan step with the real pyaudit"
        check(rc == 0 and outs.get("exit-code") == "1", f"{where}: step {rc}, outputs {outs}:\n{log}")
        sarif_path = work / outs.get("sarif-file", "missing.sarif")
        check(sarif_path.is_file(), f"{where}: no SARIF written ({outs})")
        if sarif_path.is_file():
            sarif = json.loads(sarif_path.read_text())
            rules = [r.get("ruleId") for run in sarif.get("runs", []) for r in run.get("results", [])]
            check(sarif.get("version") == "2.1.0" and "PYA101" in rules, f"{where}: SARIF results {rules}")
        print("action.yml with the real binary: scan step wrote SARIF with PYA101, exit code 1")


check_hooks()
check_action()
simulate_action()
if len(sys.argv) > 2 and sys.argv[1] == "--pyaudit":
    run_action_with(sys.argv[2])
if errors:
    print("\n".join(errors), file=sys.stderr)
    sys.exit(1)
print("packaging files: .pre-commit-hooks.yaml and action.yml are well-formed")
