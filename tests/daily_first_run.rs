//! The README's first command, `pyaudit scan .`, run in this repository: its own
//! `[tool.pyaudit]` keeps the rule fixtures and fuzz regressions out, so the result is a
//! short clean report of the project's own Python.

use std::path::Path;
use std::process::{Command, Output};

fn pyaudit(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pyaudit"))
        .args(args)
        .current_dir(cwd)
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn self_scan_is_small_and_clean() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let o = pyaudit(&["scan", "."], repo);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    let out = stdout(&o);
    assert!(out.starts_with("No findings. Scanned "), "{out}");
    assert!(out.lines().count() <= 3, "{out}");
    // A fixture directory named on the command line is still scanned in full.
    let o = pyaudit(
        &["scan", "fixtures/examples", "--format", "concise", "-q"],
        repo,
    );
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(stdout(&o).lines().count(), 3, "{}", stdout(&o));
}
