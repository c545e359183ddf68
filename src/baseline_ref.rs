//! `--baseline-ref REF`: report only findings that are not present at the merge base of
//! `HEAD` and `REF`, for pull requests (like Semgrep's `--baseline-commit`).
//!
//! The merge base is checked out into a temporary `git worktree` (detached, hooks off) and
//! scanned with the same engine, paths and exclusions; a finding of the current tree is old
//! when the base has a finding with the same path (relative to the repository), rule and
//! fingerprint — each base finding matching at most one, so a second copy of an old bug
//! is new. The worktree is removed afterwards, also when the scan fails.

use crate::engine::Engine;
use crate::finding::Finding;
use crate::scan::{ScanOptions, ScanResult, scan};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// `git` in `dir` with hooks disabled, so checking out the base runs nothing from the
/// repository.
fn git(dir: &Path) -> Command {
    let mut c = Command::new("git");
    c.arg("-C")
        .arg(dir)
        .args(["-c", "core.hooksPath=/dev/null"])
        .env("GIT_TERMINAL_PROMPT", "0");
    c
}

/// Runs `cmd` and returns its trimmed stdout, or an error quoting git's stderr.
fn output(mut cmd: Command, what: &str) -> Result<String, String> {
    let o = cmd
        .output()
        .map_err(|e| format!("--baseline-ref: cannot run git: {e}"))?;
    if !o.status.success() {
        return Err(format!(
            "--baseline-ref: {what} failed: {}",
            String::from_utf8_lossy(&o.stderr).trim()
        ));
    }
    Ok(String::from_utf8_lossy(&o.stdout).trim().to_string())
}

/// The temporary worktree; removed on drop.
struct Worktree {
    repo: PathBuf,
    path: PathBuf,
    /// The private directory holding the worktree.
    dir: PathBuf,
}

impl Drop for Worktree {
    fn drop(&mut self) {
        let _ = git(&self.repo)
            .args(["worktree", "remove", "--force"])
            .arg(&self.path)
            .output();
        let _ = git(&self.repo).args(["worktree", "prune"]).output();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A new directory under the system temporary directory that no one else created
/// (`create_dir` fails if the name is taken, so a planted directory or link is never used).
fn private_temp_dir() -> std::io::Result<PathBuf> {
    let tmp = std::env::temp_dir();
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    for i in 0..100u32 {
        let p = tmp.join(format!("pyaudit-base-{}-{nanos}-{i}", std::process::id()));
        match std::fs::create_dir(&p) {
            Ok(()) => return Ok(p),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    Err(std::io::Error::other("cannot create a temporary directory"))
}

/// `(path relative to the repository, rule id, fingerprint)` of a finding.
type Key = (PathBuf, String, String);

fn key(f: &Finding, base: &Path) -> Option<Key> {
    let abs = if f.path.is_absolute() {
        f.path.clone()
    } else {
        std::env::current_dir().ok()?.join(&f.path)
    };
    let abs = std::fs::canonicalize(&abs).unwrap_or(abs);
    let rel = abs.strip_prefix(base).ok()?.to_path_buf();
    Some((rel, f.rule_id.clone(), f.fingerprint.clone()))
}

/// Removes from `result` every finding that the merge base of `HEAD` and `reference`
/// already has. Returns how many were removed.
pub fn remove_old(
    result: &mut ScanResult,
    reference: &str,
    engine: &Engine,
    opts: &ScanOptions,
) -> Result<usize, String> {
    if reference.starts_with('-') || reference.is_empty() {
        return Err(format!(
            "--baseline-ref: `{reference}` is not a git revision"
        ));
    }
    let cwd = std::env::current_dir().map_err(|e| e.to_string())?;
    let top = output(
        {
            let mut c = git(&cwd);
            c.args(["rev-parse", "--show-toplevel"]);
            c
        },
        "finding the git repository",
    )?;
    let top = std::fs::canonicalize(&top).map_err(|e| format!("{top}: {e}"))?;
    let base = output(
        {
            let mut c = git(&top);
            c.args(["merge-base", "HEAD", reference]);
            c
        },
        &format!("finding the merge base of HEAD and `{reference}`"),
    )?;
    let dir = private_temp_dir().map_err(|e| format!("--baseline-ref: {e}"))?;
    let path = dir.join("base");
    output(
        {
            let mut c = git(&top);
            c.args(["worktree", "add", "--detach", "--quiet"])
                .arg(&path)
                .arg(&base);
            c
        },
        "checking out the merge base",
    )?;
    let wt = Worktree {
        repo: top.clone(),
        path: std::fs::canonicalize(&path).unwrap_or(path),
        dir,
    };
    // The same paths, as seen from the base checkout.
    let mut base_opts = opts.clone();
    // The checkout is temporary: its entries could never be used again.
    base_opts.cache = None;
    base_opts.paths = opts
        .paths
        .iter()
        .map(|p| {
            let abs = std::fs::canonicalize(cwd.join(p)).unwrap_or_else(|_| cwd.join(p));
            match abs.strip_prefix(&top) {
                Ok(rel) => wt.path.join(rel),
                Err(_) => abs,
            }
        })
        .filter(|p| p.exists())
        .collect();
    let mut old: HashMap<Key, usize> = HashMap::new();
    if !base_opts.paths.is_empty() {
        let base_result = scan(engine, &base_opts).map_err(|e| format!("--baseline-ref: {e}"))?;
        for f in &base_result.findings {
            if let Some(k) = key(f, &wt.path) {
                *old.entry(k).or_default() += 1;
            }
        }
    }
    drop(wt);
    let before = result.findings.len();
    result.findings.retain(|f| {
        let Some(k) = key(f, &top) else {
            return true;
        };
        match old.get_mut(&k) {
            Some(n) if *n > 0 => {
                *n -= 1;
                false
            }
            _ => true,
        }
    });
    Ok(before - result.findings.len())
}
