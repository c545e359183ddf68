"""Validates SARIF logs with the tools scripts/setup-sarif-validator installs.

usage: target/sarif-validator/venv/bin/python scripts/validate-sarif.py FILE.sarif...

Two checks, both of which must pass:
  1. schema: JSON Schema validation against the SARIF 2.1.0 schema shipped in the
     @microsoft/sarif-multitool npm package (with `jsonschema`, formats checked);
  2. multitool: `Sarif.Multitool validate --rule-kind "Sarif;Gh"`, Microsoft's own SARIF
     rules plus its GitHub code-scanning rules. It always exits 0, so its output log is read
     and every error-level result counts.
GitHub's ingestion rules that the multitool does not cover are checked by the project's Rust
tests (tests/github_sarif/mod.rs).

Prints one line per problem and `RESULT file errors=N warnings=M` per file. Exit status: 0 no
errors, 1 errors, 2 the validator is not installed or could not run (never a silent pass).
"""

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TOOLS = Path(os.environ.get("PYAUDIT_SARIF_VALIDATOR_DIR", ROOT / "target" / "sarif-validator"))
PACKAGE = TOOLS / "npm" / "node_modules" / "@microsoft" / "sarif-multitool-linux"
MULTITOOL = PACKAGE / "Sarif.Multitool"
SCHEMA = PACKAGE / "sarif-2.1.0.json"


def setup_error(message):
    print(f"validate-sarif: {message} (run scripts/setup-sarif-validator)", file=sys.stderr)
    sys.exit(2)


def schema_errors(log, validator):
    for e in sorted(validator.iter_errors(log), key=lambda e: list(map(str, e.absolute_path))):
        where = "/".join(str(p) for p in e.absolute_path) or "(root)"
        yield f"schema {where}: {e.message[:300]}"


def multitool_problems(path):
    """(errors, warnings) from the multitool's own SARIF output for `path`."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "validation.sarif"
        proc = subprocess.run(
            [str(MULTITOOL), "validate", str(path), "--rule-kind", "Sarif;Gh",
             "--output", str(out), "--log", "ForceOverwrite"],
            capture_output=True, text=True,
        )
        if proc.returncode != 0 or not out.is_file():
            setup_error(f"Sarif.Multitool failed on {path} (exit {proc.returncode}):\n{proc.stdout}{proc.stderr}")
        log = json.loads(out.read_text(encoding="utf-8-sig"))
    errors, warnings = [], []
    for run in log.get("runs", []):
        templates = {}
        for rule in run.get("tool", {}).get("driver", {}).get("rules", []):
            for key, msg in (rule.get("messageStrings") or {}).items():
                templates[(rule.get("id"), key)] = msg.get("text", "")
        for res in run.get("results", []):
            msg = res.get("message", {})
            text = msg.get("text") or templates.get((res.get("ruleId"), msg.get("id")), "")
            for i, arg in enumerate(msg.get("arguments", [])):
                text = text.replace("{%d}" % i, str(arg))
            line = f"multitool {res.get('ruleId')}: {text[:300]}"
            # SARIF's default level is "warning".
            level = res.get("level", "warning")
            if level == "error":
                errors.append(line)
            elif level == "warning":
                warnings.append(line)
    return errors, warnings


def main(files):
    if not files:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    try:
        import jsonschema
    except ImportError:
        setup_error(f"{sys.executable} has no jsonschema")
    if not (MULTITOOL.is_file() and SCHEMA.is_file()):
        setup_error(f"{PACKAGE} is not installed")
    schema = json.loads(SCHEMA.read_text(encoding="utf-8-sig"))
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    validator = cls(schema, format_checker=cls.FORMAT_CHECKER)
    failed = False
    for path in files:
        try:
            log = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError) as e:
            print(f"ERROR {path}: not a readable JSON file: {e}")
            print(f"RESULT {path} errors=1 warnings=0")
            failed = True
            continue
        errors = list(schema_errors(log, validator))
        if not errors:
            print(f"ok    {path}: schema valid ({SCHEMA.name} from @microsoft/sarif-multitool)")
        mt_errors, mt_warnings = multitool_problems(path)
        errors += mt_errors
        for e in errors:
            print(f"ERROR {e}")
        for w in mt_warnings:
            print(f"WARN  {w}")
        if not mt_errors:
            print(f"ok    {path}: Sarif.Multitool validate (Sarif;Gh) found no errors")
        print(f"RESULT {path} errors={len(errors)} warnings={len(mt_warnings)}")
        failed |= bool(errors)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
