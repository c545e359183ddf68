//! End-to-end tests of the concise, json-lines, gitlab and junit formats, `--quiet`,
//! `--statistics` and scanning standard input, including hostile file names.

mod common;

use common::{pyaudit, stderr, stdout, write};
use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Output, Stdio};

const CODE: &str = "import pickle\nimport yaml\n\ndef a(b):\n    return pickle.loads(b)\n\n\
                    def c(t):\n    return yaml.load(t)\n";

/// A file name that would be a GitHub Actions command, with an escape sequence too.
const HOSTILE: &str = "::error title=x::pwned\x1b[2J.py";

fn run(args: &[&str], cwd: &Path, input: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_pyaudit"))
        .args(args)
        .current_dir(cwd)
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut sin = child.stdin.take().unwrap();
    sin.write_all(input.unwrap_or("").as_bytes()).unwrap();
    drop(sin);
    child.wait_with_output().unwrap()
}

fn tree() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    write(tmp.path(), "a.py", CODE);
    write(tmp.path(), HOSTILE, CODE);
    tmp
}

/// No line of any format starts with `::` or holds a raw control character.
fn assert_safe(out: &str) {
    for line in out.lines() {
        assert!(!line.starts_with("::"), "{line}");
        assert!(!line.starts_with("##"), "{line}");
        assert!(
            !line.chars().any(|c| c.is_control() && c != '\t'),
            "{line:?}"
        );
    }
}

#[test]
fn concise_is_one_line_per_finding() {
    let tmp = tree();
    let o = run(&["scan", ".", "--format", "concise"], tmp.path(), None);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert_safe(&out);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 5, "{out}");
    assert!(lines.contains(&"a.py:5:12: PYA101 [high] `pickle.loads` rebuilds Python objects from pickle bytes; a crafted payload runs code in this process as soon as it is read."), "{out}");
    assert!(
        out.contains("./::error title=x::pwned\\x1b[2J.py:5:12: PYA101"),
        "{out}"
    );
    assert!(lines[4].starts_with("Found 4 findings"), "{out}");
    let o = run(
        &["scan", ".", "--format", "concise", "-q"],
        tmp.path(),
        None,
    );
    assert_eq!(stdout(&o).lines().count(), 4);
    assert_eq!(o.status.code(), Some(1));
}

#[test]
fn json_lines_has_one_object_per_line() {
    let tmp = tree();
    let o = run(&["scan", ".", "--format", "json-lines"], tmp.path(), None);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert_safe(&out);
    let objs: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(objs.len(), 4);
    assert_eq!(objs[2]["path"], "a.py");
    assert_eq!(objs[2]["rule_id"], "PYA101");
    assert_eq!(objs[2]["start"]["line"], 5);
}

#[test]
fn gitlab_code_quality_report() {
    let tmp = tree();
    let o = run(&["scan", ".", "--format", "gitlab"], tmp.path(), None);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert_safe(&out);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let issues = v.as_array().unwrap();
    assert_eq!(issues.len(), 4);
    let mut prints: Vec<&str> = issues
        .iter()
        .map(|i| i["fingerprint"].as_str().unwrap())
        .collect();
    prints.sort();
    prints.dedup();
    assert_eq!(prints.len(), 4, "fingerprints are unique per report");
    let a = issues
        .iter()
        .find(|i| i["location"]["path"] == "a.py")
        .unwrap();
    assert_eq!(a["check_name"], "PYA101");
    assert_eq!(a["severity"], "critical");
    assert_eq!(a["location"]["lines"]["begin"], 5);
    assert!(a["description"].as_str().unwrap().starts_with("PYA101"));
}

#[test]
fn junit_report_is_xml_with_a_failure_per_finding() {
    let tmp = tree();
    let o = run(&["scan", ".", "--format", "junit"], tmp.path(), None);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert_safe(&out);
    assert!(out.starts_with("<?xml"));
    assert!(out.contains("tests=\"4\" failures=\"4\""), "{out}");
    assert_eq!(out.matches("<failure ").count(), 4);
    assert!(
        out.contains("<testcase classname=\"a.py\" name=\"PYA101 at a.py:5:12\""),
        "{out}"
    );
    // No findings: one passing case, exit 0.
    let clean = tempfile::tempdir().unwrap();
    write(clean.path(), "ok.py", "print(1)\n");
    let o = pyaudit(&["scan", ".", "--format", "junit"], clean.path());
    assert_eq!(o.status.code(), Some(0));
    assert!(
        stdout(&o).contains("tests=\"1\" failures=\"0\""),
        "{}",
        stdout(&o)
    );
}

#[test]
fn statistics_and_quiet() {
    let tmp = tree();
    let o = run(&["scan", ".", "--statistics"], tmp.path(), None);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert!(
        out.starts_with("2  PYA101  pickle-deserialization\n2  PYA111  yaml-unsafe-load\n"),
        "{out}"
    );
    let o = run(
        &["scan", ".", "--statistics", "--format", "json"],
        tmp.path(),
        None,
    );
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v[0]["rule_id"], "PYA101");
    assert_eq!(v[0]["count"], 2);
    let o = run(
        &["scan", ".", "--statistics", "--format", "sarif"],
        tmp.path(),
        None,
    );
    assert_eq!(o.status.code(), Some(2));
    // --quiet: findings, no summary; machine formats print nothing on stderr.
    let o = run(&["scan", "a.py", "-q"], tmp.path(), None);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stdout(&o).contains("PYA101") && !stdout(&o).contains("Found"),
        "{}",
        stdout(&o)
    );
    let o = run(
        &["scan", "a.py", "--quiet", "--format", "json"],
        tmp.path(),
        None,
    );
    assert_eq!(stderr(&o), "");
}

#[test]
fn stdin_with_a_filename() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    // The name decides per-file ignores; the file need not exist.
    write(
        d,
        "pyaudit.toml",
        "[per-file-ignores]\n\"tests/**\" = [\"PYA111\"]\n",
    );
    let args = [
        "scan",
        "-",
        "--stdin-filename",
        "src/app.py",
        "--format",
        "concise",
    ];
    let o = run(&args, d, Some(CODE));
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("src/app.py:5:12: PYA101"), "{out}");
    assert!(out.contains("src/app.py:8:12: PYA111"), "{out}");
    let args = [
        "scan",
        "-",
        "--stdin-filename",
        "tests/t.py",
        "--format",
        "concise",
    ];
    let out = stdout(&run(&args, d, Some(CODE)));
    assert!(out.contains("PYA101") && !out.contains("PYA111"), "{out}");
    let o = run(&["scan", "-"], d, Some("print('fine')\n"));
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let o = run(&["scan", "-", "x.py"], d, Some(CODE));
    assert_eq!(o.status.code(), Some(2));
    let o = run(&["scan", "x.py", "--stdin-filename", "a.py"], d, None);
    assert_eq!(o.status.code(), Some(2));
    // Binary input is reported, not analysed.
    let o = run(
        &["scan", "-", "--stdin-filename", "b.py"],
        d,
        Some("\0\0pickle.loads(x)"),
    );
    assert!(stderr(&o).contains("b.py"), "{}", stderr(&o));
}
