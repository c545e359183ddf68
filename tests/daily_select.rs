//! End-to-end tests of Ruff-style rule selection (prefixes, ALL, tags, extend-select and
//! extend-ignore on the command line and in the configuration), of `rules` / `explain`
//! honouring `rules-dirs`, and of a user rule's `help_uri`.

mod common;

use common::{pyaudit, stderr, stdout, write};
use std::path::Path;

/// One call for each of several rules: pickle (PYA101), marshal (PYA110), yaml (PYA111),
/// and a tainted `os.system` (PYA201).
const CODE: &str = "\
import marshal
import os
import pickle
import yaml
from flask import request

def a(blob):
    return pickle.loads(blob)

def b(blob):
    return marshal.loads(blob)

def c(text):
    return yaml.load(text)

def d():
    os.system(request.args.get(\"cmd\"))
";

/// The rule ids reported by `pyaudit scan` with `args`, sorted and deduplicated.
fn ids(dir: &Path, args: &[&str]) -> Vec<String> {
    let mut all = vec!["scan", "a.py", "--format", "json", "--exit-zero"];
    all.extend_from_slice(args);
    let o = pyaudit(&all, dir);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let mut ids: Vec<String> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule_id"].as_str().unwrap().to_string())
        .collect();
    ids.sort();
    ids.dedup();
    ids
}

#[test]
fn prefixes_all_tags_and_extend_on_the_command_line() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    write(d, "a.py", CODE);
    let all = ids(d, &[]);
    assert!(all.len() >= 4, "{all:?}");
    assert_eq!(ids(d, &["--select", "ALL"]), all);
    assert_eq!(ids(d, &["--select", "PYA11"]), ["PYA110", "PYA111"]);
    assert_eq!(
        ids(d, &["--select", "pya1", "--ignore", "PYA11"]),
        ["PYA101"]
    );
    // The more specific selector wins, whichever list it is in.
    assert_eq!(
        ids(d, &["--select", "PYA111", "--ignore", "PYA1"]),
        ["PYA111"]
    );
    let taint = ids(d, &["--select", "taint"]);
    assert!(
        !taint.is_empty() && taint.iter().all(|i| i.starts_with("PYA2")),
        "{taint:?}"
    );
    let deser = ids(
        d,
        &["--select", "deserialization", "--extend-ignore", "taint"],
    );
    assert!(deser.contains(&"PYA101".to_string()), "{deser:?}");
    assert!(deser.iter().all(|i| i.starts_with("PYA1")), "{deser:?}");
    assert_eq!(
        ids(
            d,
            &["--select", "PYA101", "--extend-select", "marshal-load"]
        ),
        ["PYA101", "PYA110"]
    );
    // A selector that selects nothing is a usage error naming it.
    for bad in ["PYA9", "nonsense-tag"] {
        let o = pyaudit(&["scan", "a.py", "--select", bad], d);
        assert_eq!(o.status.code(), Some(2));
        assert!(stderr(&o).contains(bad), "{}", stderr(&o));
    }
    let o = pyaudit(&["scan", "a.py", "--extend-ignore", "PYA9"], d);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
}

#[test]
fn extend_select_and_extend_ignore_in_the_config() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    write(d, "a.py", CODE);
    write(
        d,
        "pyaudit.toml",
        "select = [\"PYA10\"]\nextend-select = [\"yaml\"]\nextend-ignore = [\"PYA110\"]\n",
    );
    assert_eq!(ids(d, &[]), ["PYA101", "PYA111"]);
    // `--select` replaces the configured `select` and `extend-select`, as in Ruff; the
    // configured `extend-ignore` still applies.
    assert_eq!(ids(d, &["--select", "PYA1"]), ["PYA101", "PYA111"]);
    let o = pyaudit(&["scan", "--show-settings"], d);
    let shown = stdout(&o);
    assert!(shown.contains("extend-select = [\"yaml\"]"), "{shown}");
    assert!(shown.contains("extend-ignore = [\"PYA110\"]"), "{shown}");
    // per-file-ignores take selectors too.
    write(
        d,
        "pyaudit.toml",
        "[per-file-ignores]\n\"a.py\" = [\"deserialization\"]\n",
    );
    let left = ids(d, &[]);
    assert!(left.iter().all(|i| i.starts_with("PYA2")), "{left:?}");
    write(d, "pyaudit.toml", "extend-select = [\"PYA99\"]\n");
    let o = pyaudit(&["scan", "a.py"], d);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("pyaudit.toml:1:"), "{}", stderr(&o));
}

const USER_RULE: &str = r#"
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
tags = ["acme"]

[[pattern]]
calls = ["acme.load"]
"#;

#[test]
fn rules_and_explain_honour_rules_dirs_and_help_uri_is_optional() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    write(d, "myrules/acme.toml", USER_RULE);
    write(d, "a.py", "import acme\nacme.load(x)\n");
    write(
        d,
        "pyproject.toml",
        "[tool.pyaudit]\nrules-dirs = [\"myrules\"]\n",
    );
    let o = pyaudit(&["rules"], d);
    assert!(stdout(&o).contains("ACME001"), "{}", stdout(&o));
    let o = pyaudit(&["explain", "acme-unsafe-load"], d);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains("acme.safe_load"), "{}", stdout(&o));
    // --rules works for both too, without a config.
    std::fs::remove_file(d.join("pyproject.toml")).unwrap();
    let o = pyaudit(&["--rules", "myrules", "explain", "ACME001"], d);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let o = pyaudit(&["rules"], d);
    assert!(!stdout(&o).contains("ACME001"));

    // SARIF: no helpUri for a user rule without one; its own when set; tags select it.
    let sarif = |d: &Path| {
        let o = pyaudit(
            &[
                "--rules", "myrules", "scan", "a.py", "--select", "acme", "--format", "sarif",
            ],
            d,
        );
        assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        // Every loaded rule is described (switched-off ones too: their findings are kept
        // as suppressed results).
        v["runs"][0]["tool"]["driver"]["rules"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == "ACME001")
            .cloned()
            .unwrap()
    };
    let rule = sarif(d);
    assert_eq!(rule["id"], "ACME001");
    assert!(rule.get("helpUri").is_none(), "{rule}");
    write(
        d,
        "myrules/acme.toml",
        &USER_RULE.replace(
            "tags = ",
            "help_uri = \"https://acme.example/rules/ACME001\"\ntags = ",
        ),
    );
    assert_eq!(sarif(d)["helpUri"], "https://acme.example/rules/ACME001");
    write(
        d,
        "myrules/acme.toml",
        &USER_RULE.replace("tags = ", "help_uri = \"javascript:alert(1)\"\ntags = "),
    );
    let o = pyaudit(&["--rules", "myrules", "rules"], d);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("acme.toml:"), "{}", stderr(&o));
}
