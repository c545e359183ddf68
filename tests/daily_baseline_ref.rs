//! End-to-end test of `--baseline-ref REF` in a real git repository: only findings new since
//! the merge base are reported, moved code keeps its old findings hidden, a second copy of
//! an old bug is new, and the temporary worktree is gone afterwards.

mod common;

use common::{git, pyaudit, stderr, stdout, write};
use std::process::Command;

fn lines(out: &str) -> Vec<&str> {
    out.lines().filter(|l| l.contains(": PYA")).collect()
}

#[test]
fn only_findings_new_since_the_merge_base() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    git(d, &["init", "-q", "-b", "main"]);
    write(
        d,
        "app/a.py",
        "import pickle\n\ndef old(b):\n    return pickle.loads(b)\n",
    );
    git(d, &["add", "."]);
    git(d, &["commit", "-qm", "base"]);
    git(d, &["checkout", "-qb", "feature"]);
    // The old call moves down; a new yaml call and a second copy of the old call arrive.
    write(
        d,
        "app/a.py",
        "import pickle\nimport yaml\n\n\ndef new(t):\n    return yaml.load(t)\n\n\
         def old(b):\n    return pickle.loads(b)\n\ndef again(b):\n    return pickle.loads(b)\n",
    );
    git(d, &["commit", "-qam", "feature"]);
    // Main moves on after the branch point; that must not matter.
    git(d, &["checkout", "-q", "main"]);
    write(d, "app/other.py", "import marshal\nmarshal.loads(x)\n");
    git(d, &["add", "."]);
    git(d, &["commit", "-qm", "main moves"]);
    git(d, &["checkout", "-q", "feature"]);

    let all = pyaudit(&["scan", ".", "--format", "concise", "-q"], d);
    assert_eq!(lines(&stdout(&all)).len(), 3, "{}", stdout(&all));
    let o = pyaudit(
        &[
            "scan",
            "app",
            "--baseline-ref",
            "main",
            "--format",
            "concise",
            "-q",
        ],
        d,
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let out = stdout(&o);
    let got = lines(&out);
    assert_eq!(got.len(), 2, "{out}");
    assert!(got[0].starts_with("app/a.py:6:12: PYA111"), "{out}");
    assert!(got[1].starts_with("app/a.py:12:12: PYA101"), "{out}");
    assert!(
        stderr(&o).contains("1 finding also present at the merge base"),
        "{}",
        stderr(&o)
    );
    // The temporary worktree is gone.
    let wt = Command::new("git")
        .args(["worktree", "list"])
        .current_dir(d)
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&wt.stdout).lines().count(), 1);
    // Against itself nothing is new: exit 0.
    let o = pyaudit(&["scan", ".", "--baseline-ref", "feature"], d);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    // Bad references are usage errors.
    let o = pyaudit(&["scan", ".", "--baseline-ref", "no-such-branch"], d);
    assert_eq!(o.status.code(), Some(2));
    let o = pyaudit(&["scan", ".", "--baseline-ref=--output=x"], d);
    assert_eq!(o.status.code(), Some(2));
    assert!(!d.join("x").exists());
}
