"""Structural checks of .pre-commit-hooks.yaml and action.yml (run by scripts/test-packaging).

GitHub and pre-commit only read these files when someone uses them, so a typo would surface
in a user's workflow; this parses them with PyYAML and checks what each consumer requires.
"""

import re
import subprocess
import sys
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
        check(h.get("language") == "python", f"{where}: language must be python")
        check(str(h.get("entry", "")).startswith("pyaudit scan"), f"{where}: entry must run `pyaudit scan`")
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


check_hooks()
check_action()
if errors:
    print("\n".join(errors), file=sys.stderr)
    sys.exit(1)
print("packaging files: .pre-commit-hooks.yaml and action.yml are well-formed")
