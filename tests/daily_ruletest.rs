//! End-to-end tests of `pyaudit test` (user rules against their fixtures) and of the rule
//! validation it relies on (unknown message placeholders are errors).

mod common;

use common::{pyaudit, stderr, stdout, write};

const RULE: &str = r#"
id = "ACME001"
name = "acme-unsafe-load"
severity = "high"
confidence = "high"
summary = "acme.load deserializes untrusted data"
message = "`{call}` runs code from its input"
help = "Use acme.safe_load."
description = "acme.load unpickles."
vulnerable = "acme.load(x)"
fixed = "acme.safe_load(x)"

[[pattern]]
calls = ["acme.load", "acme.load_all"]

[[pattern]]
calls = ["acme.lod_all"]
"#;

const GOOD: &str = "import acme\nimport pickle\n\n# ruleid: ACME001\nacme.load(data)\n\
                    # ok: ACME001\nacme.safe_load(data)\n# ok: ACME001, PYA101\nx = 1\n\
                    pickle.loads(data)\n";

#[test]
fn passing_rules_exit_zero_and_warn_about_dead_patterns() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    write(d, "rules/acme.toml", RULE);
    write(d, "rules/acme.py", GOOD);
    let o = pyaudit(&["test", "rules"], d);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(0), "{out}{}", stderr(&o));
    // Built-in findings (pickle.loads) do not count against the rules under test.
    assert!(
        out.contains("1 rules, 1 fixture files, 3 expectations: all passed"),
        "{out}"
    );
    assert!(
        out.contains(
            "warning: rules/acme.toml: pattern 2 of ACME001 (calls acme.lod_all) matches nothing"
        ),
        "{out}"
    );
    // A rule file names itself and the fixture beside it; the config's rules-dirs are the
    // default.
    let o = pyaudit(&["test", "rules/acme.toml"], d);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    write(d, "pyaudit.toml", "rules-dirs = [\"rules\"]\n");
    let o = pyaudit(&["test"], d);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert!(stdout(&o).contains("all passed"));
}

#[test]
fn misses_and_false_alarms_are_file_line_and_exit_one() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    write(d, "rules/acme.toml", RULE);
    write(
        d,
        "rules/acme.py",
        "import acme\n# ruleid: ACME001\nacme.loads(data)\n# ok: ACME001\nacme.load(x)\n\
         acme.load_all(y)\n# ruleid: NOPE42\nz = 1\n",
    );
    let o = pyaudit(&["test", "rules"], d);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert!(out.contains("rules/acme.py:3: MISSED ACME001\n"), "{out}");
    assert!(
        out.contains("rules/acme.py:5: FALSE ALARM (marked ok) ACME001\n"),
        "{out}"
    );
    assert!(
        out.contains("rules/acme.py:6: UNEXPECTED finding (no ruleid annotation) ACME001\n"),
        "{out}"
    );
    assert!(
        out.contains("rules/acme.py:8: annotation names unknown rule NOPE42"),
        "{out}"
    );
    assert!(out.contains("4 failures"), "{out}");
}

#[test]
fn bad_rules_and_usage_exit_two() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let o = pyaudit(&["test"], d);
    assert_eq!(o.status.code(), Some(2), "no rules to test");
    write(
        d,
        "rules/acme.toml",
        &RULE.replace("`{call}` runs", "`{cal}` runs"),
    );
    let o = pyaudit(&["test", "rules"], d);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(
        err.contains("rules/acme.toml:7:") && err.contains("{cal}"),
        "{err}"
    );
    // The same validation applies to scans with --rules.
    let o = pyaudit(&["--rules", "rules", "scan", "."], d);
    assert_eq!(o.status.code(), Some(2));
    let o = pyaudit(&["test", "nothing.txt"], d);
    assert_eq!(o.status.code(), Some(2));
}

#[cfg(unix)]
#[test]
fn symlinked_fixtures_inside_the_folder_are_tested_others_reported() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    write(d, "rules/acme.toml", RULE);
    write(
        d,
        "rules/cases/real.txt",
        "import acme\n# ruleid: ACME001\nacme.loads(data)\n",
    );
    std::os::unix::fs::symlink("cases/real.txt", d.join("rules/acme.py")).unwrap();
    write(d, "outside.py", "x = 1\n");
    std::os::unix::fs::symlink("../outside.py", d.join("rules/out.py")).unwrap();
    std::os::unix::fs::symlink("missing.txt", d.join("rules/gone.py")).unwrap();
    let o = pyaudit(&["test", "rules"], d);
    let out = stdout(&o);
    // The linked fixture is read (not skipped), so its deliberate miss fails the run.
    assert_eq!(o.status.code(), Some(1), "{out}{}", stderr(&o));
    assert!(out.contains("rules/acme.py:3: MISSED ACME001"), "{out}");
    let all = format!("{out}{}", stderr(&o));
    assert!(all.contains("rules/out.py: links to"), "{all}");
    assert!(all.contains("outside rules; not tested"), "{all}");
    assert!(all.contains("rules/gone.py: broken link"), "{all}");
}
