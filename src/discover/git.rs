//! The file list of a git work tree, from `git ls-files`.
//!
//! Why a subprocess and not our own reader of `.git/index`: the index has four versions,
//! path compression (v4), split and sparse indexes and other extensions; git reads all of
//! them correctly, and also applies `.gitignore` exactly as git does (not following symbolic
//! links to ignore files, capping their size) for the untracked files.
//!
//! Running git on a hostile repository is safe only if its configuration cannot start a
//! program. `ls-files` reads no file contents (so no `filter.*`, `diff.*.textconv`), runs no
//! hooks, no pager and no network helpers; the one key that makes it execute something is
//! `core.fsmonitor` (a hook path, consulted to refresh the index), which is forced off
//! together with the untracked cache and optional locks, so git neither runs nor writes
//! anything. Variables that point git at another repository are removed. The run has a
//! timeout and its output a size limit.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How long one `git ls-files` may take.
const TIMEOUT: Duration = Duration::from_secs(120);

/// The most output read from one `git ls-files` (NUL-separated paths).
const MAX_OUTPUT: u64 = 256 * 1024 * 1024;

/// Configuration forced on every git run (see the module documentation).
const SAFE_CONFIG: &[&str] = &[
    "core.fsmonitor=false",
    "core.untrackedCache=false",
    "core.hooksPath=/dev/null",
    "core.quotePath=false",
];

/// The files of one work tree, relative to the directory git ran in.
#[derive(Debug, Default)]
pub struct Files {
    /// In the index.
    pub tracked: Vec<PathBuf>,
    /// Neither tracked nor ignored; nested repositories end in `/`.
    pub untracked: Vec<PathBuf>,
    /// Untracked and ignored by git's exclude rules.
    pub ignored: Vec<PathBuf>,
}

/// What git said about a directory.
#[derive(Debug)]
pub enum Listing {
    /// No `.git` in the directory or above it.
    NotGit,
    Files(Files),
    /// Inside a work tree, but git could not list it (not installed, refused, timed out).
    Failed(String),
}

/// Whether `dir` or one of its ancestors holds `.git`.
fn in_work_tree(dir: &Path) -> bool {
    let abs = std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf());
    abs.ancestors()
        .any(|a| std::fs::symlink_metadata(a.join(".git")).is_ok())
}

/// Lists the files under `dir` if it is in a git work tree.
pub fn list(dir: &Path) -> Listing {
    if !in_work_tree(dir) {
        return Listing::NotGit;
    }
    // `-t` tags each path: `H` (and other capitals) for tracked, `?` for untracked.
    let tagged = match run(dir, &["-t", "--cached", "--others", "--exclude-standard"]) {
        Ok(o) => o,
        Err(e) => return Listing::Failed(e),
    };
    let ignored = match run(dir, &["--others", "--ignored", "--exclude-standard"]) {
        Ok(o) => o,
        Err(e) => return Listing::Failed(e),
    };
    let mut files = Files::default();
    for item in split(&tagged) {
        let Some((tag, path)) = item.split_once(' ') else {
            continue;
        };
        let path = PathBuf::from(path);
        if tag == "?" {
            files.untracked.push(path);
        } else {
            files.tracked.push(path);
        }
    }
    files.ignored = split(&ignored).map(PathBuf::from).collect();
    files.tracked.dedup();
    Listing::Files(files)
}

/// Whether git tracks `path` (a file, or any file under a directory). False outside a work
/// tree and when git cannot say.
pub fn tracks(path: &Path) -> bool {
    let (dir, spec) = if path.is_dir() {
        (path.to_path_buf(), std::ffi::OsString::from("."))
    } else {
        match (path.parent(), path.file_name()) {
            (Some(d), Some(n)) => (
                if d.as_os_str().is_empty() {
                    PathBuf::from(".")
                } else {
                    d.to_path_buf()
                },
                n.to_os_string(),
            ),
            _ => return false,
        }
    };
    if !dir.is_dir() || !in_work_tree(&dir) {
        return false;
    }
    let Some(spec) = spec.to_str() else {
        return false;
    };
    run(&dir, &["--cached", "--", spec]).is_ok_and(|out| !out.is_empty())
}

fn split(out: &[u8]) -> impl Iterator<Item = String> + '_ {
    out.split(|&b| b == 0)
        .filter(|s| !s.is_empty())
        .map(|s| String::from_utf8_lossy(s).into_owned())
}

/// Runs `git ls-files -z ARGS` in `dir` with the safe configuration.
fn run(dir: &Path, args: &[&str]) -> Result<Vec<u8>, String> {
    let mut cmd = Command::new("git");
    cmd.arg("--no-optional-locks").arg("--no-pager");
    for c in SAFE_CONFIG {
        cmd.arg("-c").arg(c);
    }
    cmd.arg("-C")
        .arg(dir)
        .arg("ls-files")
        .arg("-z")
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for var in [
        "GIT_DIR",
        "GIT_WORK_TREE",
        "GIT_INDEX_FILE",
        "GIT_OBJECT_DIRECTORY",
        "GIT_COMMON_DIR",
        "GIT_NAMESPACE",
        "GIT_CONFIG_PARAMETERS",
        "GIT_CONFIG_COUNT",
    ] {
        cmd.env_remove(var);
    }
    cmd.env("GIT_TERMINAL_PROMPT", "0");
    let mut child = cmd.spawn().map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            "git is not installed".to_string()
        } else {
            format!("cannot run git: {e}")
        }
    })?;
    let stdout = child.stdout.take().expect("piped");
    let stderr = child.stderr.take().expect("piped");
    let reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let mut stdout = stdout;
        (&mut stdout).take(MAX_OUTPUT + 1).read_to_end(&mut buf)?;
        // Past the limit, drain the pipe so git is not left blocked until the timeout.
        std::io::copy(&mut stdout, &mut std::io::sink())?;
        Ok::<_, std::io::Error>(buf)
    });
    let err_reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = stderr.take(64 * 1024).read_to_end(&mut buf);
        buf
    });
    let started = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(s)) => break s,
            Ok(None) if started.elapsed() > TIMEOUT => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("git ls-files took over {}s", TIMEOUT.as_secs()));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(5)),
            Err(e) => return Err(format!("git: {e}")),
        }
    };
    let out = reader
        .join()
        .map_err(|_| "git output reader failed".to_string())?
        .map_err(|e| format!("reading git output: {e}"))?;
    let err = err_reader.join().unwrap_or_default();
    if out.len() as u64 > MAX_OUTPUT {
        return Err(format!("git ls-files wrote over {MAX_OUTPUT} bytes"));
    }
    if !status.success() {
        let msg = String::from_utf8_lossy(&err);
        let first = msg.lines().next().unwrap_or("").trim();
        return Err(format!("git ls-files failed: {first}"));
    }
    Ok(out)
}
