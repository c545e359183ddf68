//! End-to-end tests of `--fix`, `--diff`, `--show-fixes` and `--unsafe-fixes` on the built
//! binary: exact edits, idempotence, the result still parses (checked with Python's own
//! parser when python3 is available), suppressions and bare-name callees left alone.

mod common;

use common::{git, pyaudit, stderr, stdout, write};
use std::path::Path;

const CODE: &str = "\
import yaml
import torch
import numpy as np
from yaml import load

a = yaml.load(data)
b = yaml.load(data, Loader=yaml.FullLoader)
c = yaml.load(data, yaml.Loader)
d = yaml.load_all(stream, Loader=yaml.UnsafeLoader,)
e = yaml.full_load(x)  # trailing comment kept
f = yaml.unsafe_load_all(x)
g = load(data)
h = yaml.load(data, **kw)
i = yaml.load(data)  # pyaudit: ignore[PYA111] reviewed
m = torch.load(path)
n = torch.load(path, map_location=\"cpu\", weights_only=False)
o = np.load(path, allow_pickle=True)
q = torch.load(
    path,
    map_location=\"cpu\",
)
";

const SAFE_FIXED: &str = "\
import yaml
import torch
import numpy as np
from yaml import load

a = yaml.safe_load(data)
b = yaml.safe_load(data)
c = yaml.safe_load(data)
d = yaml.safe_load_all(stream,)
e = yaml.safe_load(x)  # trailing comment kept
f = yaml.safe_load_all(x)
g = load(data)
h = yaml.load(data, **kw)
i = yaml.load(data)  # pyaudit: ignore[PYA111] reviewed
m = torch.load(path, weights_only=True)
n = torch.load(path, map_location=\"cpu\", weights_only=False)
o = np.load(path, allow_pickle=True)
q = torch.load(
    path,
    map_location=\"cpu\", weights_only=True,
)
";

fn read(d: &Path) -> String {
    std::fs::read_to_string(d.join("app.py")).unwrap()
}

/// Python's parser accepts the file (skipped, loudly, without python3).
fn assert_parses(d: &Path) {
    let python = std::env::var("PYAUDIT_TEST_PYTHON").unwrap_or_else(|_| "python3".into());
    match std::process::Command::new(&python)
        .args(["-c", "import ast,sys; ast.parse(open(sys.argv[1]).read())"])
        .arg(d.join("app.py"))
        .output()
    {
        Ok(o) => assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr)),
        Err(e) => eprintln!("!!!!! python3 not available ({e}); parse check skipped"),
    }
}

#[test]
fn diff_shows_exact_edits_and_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    write(d, "app.py", CODE);
    let o = pyaudit(&["scan", "app.py", "--diff"], d);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.starts_with("--- a/app.py\n+++ b/app.py\n@@ "), "{out}");
    assert!(out.contains("\n-a = yaml.load(data)\n"), "{out}");
    assert!(out.contains("\n+a = yaml.safe_load(data)\n"), "{out}");
    assert!(
        out.contains("\n+m = torch.load(path, weights_only=True)\n"),
        "{out}"
    );
    assert!(
        !out.contains("np.load(path)"),
        "unsafe fix without --unsafe-fixes: {out}"
    );
    assert!(
        stderr(&o).contains("would fix 8 findings in 1 file"),
        "{}",
        stderr(&o)
    );
    assert_eq!(read(d), CODE, "--diff must not write");
    // Nothing to fix: exit 0, no diff.
    write(d, "app.py", "import yaml\nyaml.safe_load(x)\n");
    let o = pyaudit(&["scan", "app.py", "--diff"], d);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(stdout(&o), "");
}

#[test]
fn fix_is_exact_idempotent_and_still_parses() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    write(d, "app.py", CODE);
    let o = pyaudit(&["scan", "app.py", "--fix"], d);
    // What is left (bare-name load, the splat, torch weights_only=False, numpy) fails.
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("fixed 8 findings in 1 file"),
        "{}",
        stderr(&o)
    );
    assert_eq!(read(d), SAFE_FIXED);
    assert!(
        stdout(&o).contains("app.py:17"),
        "numpy finding remains: {}",
        stdout(&o)
    );
    assert_parses(d);
    // Again: nothing more changes.
    let o = pyaudit(&["scan", "app.py", "--fix"], d);
    assert!(
        stderr(&o).contains("fixed 0 findings in 0 files"),
        "{}",
        stderr(&o)
    );
    assert_eq!(read(d), SAFE_FIXED);
    let o = pyaudit(&["scan", "app.py", "--diff"], d);
    assert_eq!(o.status.code(), Some(0));
    // Unsafe fixes only when asked for.
    let o = pyaudit(&["scan", "app.py", "--fix", "--unsafe-fixes"], d);
    assert!(stderr(&o).contains("fixed 2 findings"), "{}", stderr(&o));
    let text = read(d);
    assert!(text.contains("o = np.load(path)\n"), "{text}");
    assert!(text.contains("weights_only=True)\n"), "{text}");
    assert!(
        text.contains("i = yaml.load(data)  # pyaudit: ignore"),
        "suppressed stays"
    );
    assert!(text.contains("g = load(data)\n"), "bare name stays");
    assert_parses(d);
}

/// What `--show-fixes` prints for app.py in `d`.
fn show_fixes(d: &Path) -> String {
    let args = [
        "scan",
        "app.py",
        "--show-fixes",
        "-q",
        "--format",
        "concise",
    ];
    stdout(&pyaudit(&args, d))
}

#[test]
fn show_fixes_lists_safe_and_unsafe() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    write(d, "app.py", CODE);
    let out = show_fixes(d);
    assert!(
        out.contains("8 fixable with --fix, 2 more with --unsafe-fixes:"),
        "{out}"
    );
    assert!(
        out.contains("  app.py:6: PYA111 use the safe loader (`safe_load`)\n"),
        "{out}"
    );
    assert!(
        out.contains("  app.py:17: PYA107 drop `allow_pickle=True`"),
        "{out}"
    );
    assert!(out.contains("[unsafe]"), "{out}");
    // stdin cannot be fixed.
    let o = pyaudit(&["scan", "-", "--fix"], d);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn rule_pages_document_fixes() {
    let tmp = tempfile::tempdir().unwrap();
    let o = pyaudit(&["explain", "PYA107"], tmp.path());
    let out = stdout(&o);
    assert!(out.contains("## Automatic fix"), "{out}");
    assert!(out.contains("**unsafe**"), "{out}");
    let o = pyaudit(&["explain", "PYA101"], tmp.path());
    assert!(!stdout(&o).contains("## Automatic fix"));
}

const TWO_RULES: &str = "import yaml\nimport torch\n\na = yaml.load(data)\nm = torch.load(path)\n";

/// The lines `--diff` would change (`-`/`+` lines of code, not the file header).
fn changed(out: &str) -> Vec<&str> {
    out.lines()
        .filter(|l| {
            (l.starts_with('-') || l.starts_with('+'))
                && !l.starts_with("--- ")
                && !l.starts_with("+++ ")
        })
        .collect()
}

#[test]
fn fixes_touch_only_what_the_report_shows() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    write(d, "app.py", TWO_RULES);
    // --ignore / --select on the command line: the rule switched off is not fixed.
    let o = pyaudit(&["scan", "app.py", "--diff", "--ignore", "PYA111"], d);
    assert_eq!(
        changed(&stdout(&o)),
        [
            "-m = torch.load(path)",
            "+m = torch.load(path, weights_only=True)"
        ],
        "{}",
        stdout(&o)
    );
    let o = pyaudit(&["scan", "app.py", "--diff", "--select", "PYA111"], d);
    assert_eq!(
        changed(&stdout(&o)),
        ["-a = yaml.load(data)", "+a = yaml.safe_load(data)"]
    );
    // The same from the configuration file, and in --show-fixes.
    write(d, "pyaudit.toml", "ignore = [\"PYA108\"]\n");
    let out = show_fixes(d);
    assert!(out.contains("1 fixable with --fix, 0 more"), "{out}");
    assert!(!out.contains("PYA108"), "{out}");
    std::fs::remove_file(d.join("pyaudit.toml")).unwrap();

    // --baseline: findings it records are hidden from the report, so not fixed either.
    let o = pyaudit(
        &["scan", "app.py", "--write-baseline", "baseline.json", "-q"],
        d,
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    write(d, "app.py", &format!("{TWO_RULES}b = yaml.load(other)\n"));
    let o = pyaudit(
        &["scan", "app.py", "--fix", "--baseline", "baseline.json"],
        d,
    );
    assert!(
        stderr(&o).contains("fixed 1 finding in 1 file"),
        "{}",
        stderr(&o)
    );
    assert_eq!(
        read(d),
        format!("{TWO_RULES}b = yaml.safe_load(other)\n"),
        "only the finding new since the baseline is fixed"
    );
}

#[test]
fn fixes_honour_baseline_ref() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    git(d, &["init", "-q", "-b", "main"]);
    write(d, "app.py", TWO_RULES);
    git(d, &["add", "."]);
    git(d, &["commit", "-qm", "base"]);
    git(d, &["checkout", "-qb", "feature"]);
    let new = format!("{TWO_RULES}b = yaml.load(other)\n");
    write(d, "app.py", &new);
    git(d, &["commit", "-qam", "feature"]);
    let o = pyaudit(&["scan", "app.py", "--diff", "--baseline-ref", "main"], d);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert_eq!(
        changed(&stdout(&o)),
        ["-b = yaml.load(other)", "+b = yaml.safe_load(other)"],
        "{}",
        stdout(&o)
    );
    let o = pyaudit(&["scan", "app.py", "--fix", "--baseline-ref", "main"], d);
    assert!(
        stderr(&o).contains("fixed 1 finding in 1 file"),
        "{}",
        stderr(&o)
    );
    assert_eq!(read(d), format!("{TWO_RULES}b = yaml.safe_load(other)\n"));
}

/// The byte offset of 1-based `line` and character `column` in `text`.
fn offset_of(text: &str, line: usize, column: usize) -> usize {
    let start: usize = text
        .split_inclusive('\n')
        .take(line - 1)
        .map(str::len)
        .sum();
    let rest = &text[start..];
    start
        + rest
            .char_indices()
            .nth(column - 1)
            .map_or(rest.len(), |(i, _)| i)
}

#[test]
fn json_fix_edits_give_the_fixed_file() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    // A non-ASCII line first, so characters and bytes differ.
    let code = format!("# café ☕\n{CODE}");
    write(d, "app.py", &code);
    for format in ["json", "json-lines"] {
        let o = pyaudit(&["scan", "app.py", "--format", format], d);
        let out = stdout(&o);
        let findings: Vec<serde_json::Value> = if format == "json" {
            let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
            doc["findings"].as_array().unwrap().clone()
        } else {
            out.lines()
                .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
                .filter(|v| v.get("rule_id").is_some())
                .collect()
        };
        let mut edits = Vec::new();
        let (mut safe, mut unsafe_) = (0, 0);
        for f in &findings {
            let Some(fix) = f.get("fix") else { continue };
            assert!(
                fix["message"].as_str().is_some_and(|m| !m.is_empty()),
                "{fix}"
            );
            match fix["applicability"].as_str().unwrap() {
                "safe" => safe += 1,
                "unsafe" => {
                    unsafe_ += 1;
                    continue;
                }
                other => panic!("applicability {other}"),
            }
            if f["suppressed"] == true {
                continue;
            }
            for e in fix["edits"].as_array().unwrap() {
                let at = |p: &serde_json::Value| {
                    let offset = p["offset"].as_u64().unwrap() as usize;
                    let (line, col) = (p["line"].as_u64().unwrap(), p["column"].as_u64().unwrap());
                    // Line and column say the same as the byte offset.
                    assert_eq!(offset_of(&code, line as usize, col as usize), offset, "{e}");
                    offset
                };
                edits.push((
                    at(&e["start"]),
                    at(&e["end"]),
                    e["content"].as_str().unwrap().to_string(),
                ));
            }
        }
        // The suppressed finding carries its fix too, flagged by `suppressed`.
        assert_eq!((safe, unsafe_), (9, 2), "{format}: {out}");
        edits.sort();
        let mut fixed = code.clone();
        for (start, end, content) in edits.iter().rev() {
            fixed.replace_range(start..end, content);
        }
        assert_eq!(fixed, format!("# café ☕\n{SAFE_FIXED}"), "{format}");
    }
    let o = pyaudit(&["scan", "app.py", "--fix"], d);
    assert!(stderr(&o).contains("fixed 8 findings"), "{}", stderr(&o));
    assert_eq!(read(d), format!("# café ☕\n{SAFE_FIXED}"));
}
