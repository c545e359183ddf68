//! End-to-end tests of the built `pyaudit` binary: exit codes, subcommands, output format,
//! discovery rules and terminal safety.

mod common;

use common::{pyaudit, stderr, stdout, write};

const VULN: &str = "import pickle\n\ndef load(blob):\n    return pickle.loads(blob)\n";
const SAFE: &str = "import json\n\ndef load(blob):\n    return json.loads(blob)\n";

#[test]
fn version_and_help() {
    let tmp = tempfile::tempdir().unwrap();
    let o = pyaudit(&["--version"], tmp.path());
    assert!(o.status.success());
    assert!(stdout(&o).starts_with("pyaudit "));
    for sub in [
        &["--help"][..],
        &["scan", "--help"],
        &["rules", "--help"],
        &["explain", "--help"],
    ] {
        let o = pyaudit(sub, tmp.path());
        assert!(o.status.success(), "{sub:?}");
        assert!(stdout(&o).contains("Usage"), "{sub:?}");
    }
}

#[test]
fn rules_and_explain() {
    let tmp = tempfile::tempdir().unwrap();
    let o = pyaudit(&["rules"], tmp.path());
    assert!(o.status.success());
    let out = stdout(&o);
    assert!(
        out.contains("PYA101") && out.contains("pickle-deserialization"),
        "{out}"
    );
    for key in ["PYA101", "pickle-deserialization", "pya101"] {
        let o = pyaudit(&["explain", key], tmp.path());
        assert!(o.status.success(), "{key}");
        let out = stdout(&o);
        for section in [
            "## Vulnerable",
            "## Fixed",
            "## How to fix",
            "## References",
            "CWE-502",
        ] {
            assert!(out.contains(section), "{key}: missing {section}\n{out}");
        }
    }
    let o = pyaudit(&["explain", "NOPE999"], tmp.path());
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("NOPE999"));
}

#[test]
fn exit_codes_and_text_format() {
    let tmp = tempfile::tempdir().unwrap();
    write(tmp.path(), "app/vuln.py", VULN);
    write(tmp.path(), "app/safe.py", SAFE);

    let o = pyaudit(&["scan", "app"], tmp.path());
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(
        out.contains("app/vuln.py:4:12: PYA101 [high]"),
        "header line missing:\n{out}"
    );
    assert!(out.contains("    return pickle.loads(blob)"), "{out}");
    assert!(out.contains("           ^^^^^^^^^^^^^^^^^^"), "{out}");
    assert!(out.contains("= help:"), "{out}");
    assert!(out.contains("Found 1 finding (1 high)."), "{out}");
    assert!(out.contains("Scanned 2 files"), "{out}");

    let o = pyaudit(&["scan", "app/safe.py"], tmp.path());
    assert_eq!(o.status.code(), Some(0));
    assert!(stdout(&o).contains("No findings."));

    let o = pyaudit(&["scan", "does/not/exist"], tmp.path());
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("does/not/exist"), "{}", stderr(&o));

    let o = pyaudit(&["scan", "--bogus-flag"], tmp.path());
    assert_eq!(o.status.code(), Some(2));

    let o = pyaudit(&["scan", "--select", "NOPE1", "app"], tmp.path());
    assert_eq!(o.status.code(), Some(2));

    let o = pyaudit(&["scan", "--ignore", "PYA101", "app"], tmp.path());
    assert_eq!(o.status.code(), Some(0));
}

#[test]
fn bad_rule_file_names_file_and_line() {
    let tmp = tempfile::tempdir().unwrap();
    write(tmp.path(), "app/a.py", SAFE);
    write(
        tmp.path(),
        "myrules/bad.toml",
        "id = \"ACME001\"\nname = \"x\"\nseverity = \"extreme\"\n",
    );
    let o = pyaudit(&["scan", "--rules", "myrules", "app"], tmp.path());
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(err.contains("bad.toml:3:"), "{err}");
    assert!(err.contains("extreme"), "{err}");
}

#[test]
fn user_rule_dir_adds_a_rule() {
    let tmp = tempfile::tempdir().unwrap();
    write(
        tmp.path(),
        "app/a.py",
        "import acme.serial as s\ns.unsafe_read(b)\n",
    );
    write(
        tmp.path(),
        "myrules/acme.toml",
        r#"id = "ACME001"
name = "acme-unsafe-read"
severity = "medium"
confidence = "high"
cwe = [502]
summary = "acme.serial.unsafe_read deserializes arbitrary objects."
message = "`{call}` deserializes arbitrary objects"
help = "Use acme.serial.safe_read."
description = "Internal library call that unpickles."
vulnerable = "acme.serial.unsafe_read(b)"
fixed = "acme.serial.safe_read(b)"

[[pattern]]
calls = ["acme.serial.unsafe_read"]
"#,
    );
    let o = pyaudit(&["scan", "--rules", "myrules", "app"], tmp.path());
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stdout(&o).contains("app/a.py:2:1: ACME001 [medium] `acme.serial.unsafe_read`"));
}

#[test]
fn discovery_honours_ignores_excludes_and_shebangs() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    write(d, "proj/.gitignore", "generated/\n");
    write(d, "proj/generated/g.py", VULN);
    write(d, "proj/.venv/lib/v.py", VULN);
    write(d, "proj/venv/v.py", VULN);
    write(d, "proj/build/b.py", VULN);
    write(d, "proj/node_modules/n.py", VULN);
    write(d, "proj/.hidden/h.py", VULN);
    write(d, "proj/tests/t.py", VULN);
    write(d, "proj/src/main.py", VULN);
    write(
        d,
        "proj/bin/tool",
        &format!("#!/usr/bin/env python3\n{VULN}"),
    );
    write(d, "proj/bin/script.sh", &format!("#!/bin/sh\n{VULN}"));
    write(d, "proj/bin/notpython", VULN);
    write(d, "proj/data.txt", VULN);

    let o = pyaudit(&["scan", "proj", "--exclude", "tests"], d);
    let out = stdout(&o);
    let files: Vec<&str> = out
        .lines()
        .filter(|l| l.contains(": PYA101"))
        .map(|l| l.split(':').next().unwrap())
        .collect();
    // Hidden folders other than VCS metadata are scanned (a repository must not be able to
    // hide code in `.github/scripts`).
    assert_eq!(
        files,
        vec!["proj/.hidden/h.py", "proj/bin/tool", "proj/src/main.py"],
        "{out}"
    );

    // A file named explicitly is always scanned, whatever its name or ignore rules.
    let o = pyaudit(&["scan", "proj/data.txt", "proj/generated/g.py"], d);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("Found 2 findings"), "{}", stdout(&o));
}

#[test]
fn syntax_errors_are_diagnosed_and_still_analysed() {
    let tmp = tempfile::tempdir().unwrap();
    write(
        tmp.path(),
        "broken.py",
        "import pickle\nprint 'py2'\ndef f(:\n    pass\nx = pickle.loads(b)\n",
    );
    let o = pyaudit(&["scan", "broken.py"], tmp.path());
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stdout(&o).contains("broken.py:5:5: PYA101"),
        "{}",
        stdout(&o)
    );
    let err = stderr(&o);
    assert!(
        err.contains("broken.py:") && err.contains("warning[syntax]"),
        "{err}"
    );
    assert!(
        stdout(&o).contains("1 file not fully scanned"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn colour_control() {
    let tmp = tempfile::tempdir().unwrap();
    write(tmp.path(), "v.py", VULN);
    let o = pyaudit(&["scan", "v.py"], tmp.path());
    assert!(!o.stdout.contains(&0x1b), "NO_COLOR must disable colour");
    let o = pyaudit(&["--color", "always", "scan", "v.py"], tmp.path());
    assert!(o.stdout.contains(&0x1b), "--color always must colour");
    let o = pyaudit(&["scan", "--color", "never", "v.py"], tmp.path());
    assert!(!o.stdout.contains(&0x1b));
}

#[test]
fn control_characters_from_source_never_reach_the_terminal() {
    let tmp = tempfile::tempdir().unwrap();
    write(
        tmp.path(),
        "evil.py",
        "import pickle\nx = pickle.loads(b) # \x1b]0;pwned\x07 \u{202E}txt\x08\r\n",
    );
    let o = pyaudit(&["scan", "evil.py"], tmp.path());
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert!(!o.stdout.contains(&0x1b) && !o.stdout.contains(&0x07) && !o.stdout.contains(&0x08));
    assert!(!out.contains('\u{202E}'));
    assert!(out.contains("\\x1b]0;pwned\\x07"), "{out}");
}

#[test]
fn output_is_identical_whatever_the_thread_count() {
    let tmp = tempfile::tempdir().unwrap();
    for i in 0..40 {
        write(tmp.path(), &format!("pkg{}/m{i}.py", i % 7), VULN);
        write(tmp.path(), &format!("pkg{}/s{i}.py", i % 5), SAFE);
    }
    let strip_time = |s: String| {
        s.lines()
            .map(|l| l.split(" in ").next().unwrap().to_string())
            .collect::<Vec<_>>()
            .join("\n")
    };
    let one = strip_time(stdout(&pyaudit(&["scan", "-j", "1", "."], tmp.path())));
    let many = strip_time(stdout(&pyaudit(&["scan", "-j", "8", "."], tmp.path())));
    assert_eq!(one, many);
    assert!(one.contains("Found 40 findings"), "{one}");
}
