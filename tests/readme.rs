//! The example output in README.md must be what the binary prints on the demo fixture, so the
//! README never shows output pyaudit no longer produces.

use std::path::Path;
use std::process::Command;

#[test]
fn readme_example_is_real_output() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let o = Command::new(env!("CARGO_BIN_EXE_pyaudit"))
        .args(["scan", "fixtures/examples"])
        .current_dir(root)
        .env_remove("CLICOLOR_FORCE")
        .env("NO_COLOR", "1")
        .output()
        .expect("run pyaudit");
    assert_eq!(o.status.code(), Some(1));
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let out = String::from_utf8(o.stdout).unwrap();
    // The closing summary carries the elapsed time, which differs on every run.
    let (findings, summary) = out.rsplit_once("\nFound ").expect("summary line");
    let summary_counts = summary.split(" in ").next().unwrap();
    let expected =
        format!("$ pyaudit scan fixtures/examples\n{findings}\nFound {summary_counts} in ");
    assert!(
        readme.contains(&expected),
        "README.md's example differs from `pyaudit scan fixtures/examples`; run scripts/update-readme-example. New output:\n{out}"
    );
}
