//! The README's first command, `pyaudit scan .`, run in this repository: its own
//! `[tool.pyaudit]` keeps fixtures and fuzz regressions out, so the result is the README's
//! example (the demo fixture's findings) and nothing else.

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
fn self_scan_shows_the_readme_example() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let o = pyaudit(&["scan", ".", "--format", "concise", "-q"], repo);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let whole = stdout(&o);
    let o = pyaudit(
        &["scan", "fixtures/examples", "--format", "concise", "-q"],
        repo,
    );
    let demo = stdout(&o);
    assert!(!demo.is_empty());
    assert_eq!(
        whole, demo,
        "`pyaudit scan .` here must report only the demo fixture"
    );
    assert!(whole.lines().count() <= 5, "{whole}");
    // A fixture directory named on the command line is still scanned in full.
    let o = pyaudit(
        &["scan", "fixtures/seeds", "--format", "concise", "-q"],
        repo,
    );
    assert!(stdout(&o).lines().count() > 3, "{}", stdout(&o));
}
