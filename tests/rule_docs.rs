//! The committed rule pages under `docs/rules/` must be exactly what the built binary
//! generates from the rule files, so a rule change cannot ship with stale documentation
//! (the pages are what SARIF `helpUri` and `pyaudit explain` readers land on).

use pyaudit::rule_docs::{GENERATED_MARKER, REGENERATE_COMMAND};
use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::path::Path;
use std::process::{Command, Output};

fn pyaudit<I: IntoIterator<Item = S>, S: AsRef<OsStr>>(args: I) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pyaudit"))
        .args(args)
        .env_remove("CLICOLOR_FORCE")
        .env("NO_COLOR", "1")
        .output()
        .expect("run pyaudit")
}

/// `pyaudit rules --format FORMAT --output PATH`.
fn rules_to(format: &str, path: &Path) -> Output {
    let args = ["rules", "--format", format, "--output"].map(OsStr::new);
    pyaudit(args.into_iter().chain([path.as_os_str()]))
}

/// Generated Markdown files in `dir` (those carrying the marker), by file name.
fn generated_files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return files;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.ends_with(".md") {
            continue;
        }
        let bytes = std::fs::read(&path).unwrap();
        if bytes.starts_with(GENERATED_MARKER.as_bytes()) {
            files.insert(name, bytes);
        }
    }
    files
}

#[test]
fn committed_rule_docs_are_up_to_date() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("rules");
    let o = rules_to("markdown", &out);
    assert!(
        o.status.success(),
        "pyaudit rules --format markdown failed:\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let fresh = generated_files(&out);
    assert!(fresh.contains_key("README.md") && fresh.len() > 1);

    let committed = generated_files(&Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/rules"));
    let mut problems = Vec::new();
    for (name, bytes) in &fresh {
        match committed.get(name) {
            None => problems.push(format!("docs/rules/{name} is missing")),
            Some(old) if old != bytes => problems.push(format!("docs/rules/{name} is stale")),
            Some(_) => {}
        }
    }
    for name in committed.keys() {
        if !fresh.contains_key(name) {
            problems.push(format!("docs/rules/{name} belongs to no rule"));
        }
    }
    assert!(
        problems.is_empty(),
        "the rule docs do not match the rule files:\n  {}\nregenerate them with\n  {REGENERATE_COMMAND}\nand commit docs/rules/",
        problems.join("\n  ")
    );
}

#[test]
fn explain_matches_the_rule_page() {
    let docs = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/rules");
    let o = pyaudit(["explain", "PYA111"]);
    assert!(o.status.success());
    let page = std::fs::read_to_string(docs.join("PYA111.md")).unwrap();
    let text = String::from_utf8(o.stdout).unwrap();
    assert!(
        page.contains(&text),
        "`pyaudit explain PYA111` differs from docs/rules/PYA111.md"
    );
}

#[test]
fn rules_json_and_text_formats() {
    let tmp = tempfile::tempdir().unwrap();
    let json_file = tmp.path().join("rules.json");
    let o = rules_to("json", &json_file);
    assert!(o.status.success());
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json_file).unwrap()).unwrap();
    let ids: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert!(
        ids.contains(&"PYA101") && ids.contains(&"PYA111"),
        "{ids:?}"
    );

    let o = pyaudit(["rules", "--format", "text"]);
    assert!(o.status.success());
    assert!(String::from_utf8_lossy(&o.stdout).starts_with("ID "));

    let o = pyaudit(["rules", "--format", "markdown"]);
    assert!(o.status.success());
    assert!(String::from_utf8_lossy(&o.stdout).contains("| [PYA101](PYA101.md) |"));
}
