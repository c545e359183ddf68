//! Finding the files to scan: a parallel walk that honours ignore files and exclusions.

use crate::finding::{Diagnostic, DiagnosticKind};
use globset::{Glob, GlobSet, GlobSetBuilder};
use ignore::{WalkBuilder, WalkState};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Directory names never descended into: virtualenvs, caches and build output hold
/// third-party or generated code, not the project's own.
pub const SKIPPED_DIRS: &[&str] = &[
    ".venv",
    "venv",
    "site-packages",
    "__pycache__",
    "node_modules",
    "build",
    "dist",
    ".tox",
    ".nox",
    ".git",
    ".hg",
    ".mypy_cache",
    ".pytest_cache",
    ".ruff_cache",
    ".eggs",
];

/// A file the walk found.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Candidate {
    pub path: PathBuf,
    /// Named on the command line: always scanned, whatever its name.
    pub explicit: bool,
    /// Has no extension: scanned only if its first line is a python shebang.
    pub needs_shebang: bool,
}

/// A problem that stops the whole run before scanning (exit 2).
#[derive(Debug)]
pub enum DiscoverError {
    MissingPath(PathBuf),
    BadGlob(String, String),
}

impl std::fmt::Display for DiscoverError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DiscoverError::MissingPath(p) => {
                write!(f, "{}: no such file or directory", p.display())
            }
            DiscoverError::BadGlob(g, e) => write!(f, "invalid --exclude glob `{g}`: {e}"),
        }
    }
}

impl std::error::Error for DiscoverError {}

/// Exclusion globs. A glob without `/` matches any single path component (`tests`,
/// `*_pb2.py`); a glob with `/` matches the path relative to the walk root (`src/gen/**`).
#[derive(Debug, Clone)]
pub struct Excludes {
    by_name: GlobSet,
    by_path: GlobSet,
}

impl Excludes {
    /// Compiles the globs.
    pub fn new(globs: &[String]) -> Result<Excludes, DiscoverError> {
        let mut by_name = GlobSetBuilder::new();
        let mut by_path = GlobSetBuilder::new();
        for g in globs {
            let trimmed = g.trim_end_matches('/');
            let glob = Glob::new(trimmed.trim_start_matches("./"))
                .map_err(|e| DiscoverError::BadGlob(g.clone(), e.to_string()))?;
            if trimmed.contains('/') {
                by_path.add(glob);
            } else {
                by_name.add(glob);
            }
        }
        let build = |b: GlobSetBuilder| {
            b.build()
                .map_err(|e| DiscoverError::BadGlob(globs.join(" "), e.to_string()))
        };
        Ok(Excludes {
            by_name: build(by_name)?,
            by_path: build(by_path)?,
        })
    }

    /// Whether `path` (found under `root`) is excluded.
    pub fn excluded(&self, root: &Path, path: &Path) -> bool {
        if path
            .file_name()
            .is_some_and(|name| self.by_name.is_match(Path::new(name)))
        {
            return true;
        }
        let rel = path.strip_prefix(root).unwrap_or(path);
        self.by_path.is_match(rel)
    }
}

/// Whether a file name is one the scanner reads by itself.
fn is_python_name(path: &Path) -> Option<bool> {
    match path.extension().and_then(|e| e.to_str()) {
        Some("py") | Some("pyw") => Some(false),
        None => Some(true),
        _ => None,
    }
}

/// Walks `paths` with `threads` threads. Returns sorted candidates plus walk diagnostics.
pub fn discover(
    paths: &[PathBuf],
    excludes: &Excludes,
    threads: usize,
) -> Result<(Vec<Candidate>, Vec<Diagnostic>), DiscoverError> {
    let mut candidates = Vec::new();
    let mut diagnostics = Vec::new();
    let mut dirs = Vec::new();
    for p in paths {
        let meta = std::fs::metadata(p).map_err(|_| DiscoverError::MissingPath(p.clone()))?;
        if meta.is_dir() {
            dirs.push(p.clone());
        } else {
            candidates.push(Candidate {
                path: p.clone(),
                explicit: true,
                needs_shebang: false,
            });
        }
    }
    for dir in dirs {
        let (c, d) = walk_dir(&dir, excludes, threads);
        candidates.extend(c);
        diagnostics.extend(d);
    }
    candidates.sort();
    candidates.dedup_by(|a, b| a.path == b.path);
    diagnostics.sort_by(|a, b| a.path.cmp(&b.path).then(a.message.cmp(&b.message)));
    Ok((candidates, diagnostics))
}

fn walk_dir(root: &Path, excludes: &Excludes, threads: usize) -> (Vec<Candidate>, Vec<Diagnostic>) {
    let found = Mutex::new(Vec::new());
    let diags = Mutex::new(Vec::new());
    let root_buf = root.to_path_buf();
    let filter_root = root_buf.clone();
    let filter_excludes = excludes.clone();
    let walker = WalkBuilder::new(root)
        .threads(threads.max(1))
        .hidden(true)
        .git_ignore(true)
        .git_exclude(true)
        .ignore(true)
        .parents(true)
        .require_git(false)
        // Links are not followed: a hostile tree cannot send the scan outside the given
        // paths or round a loop.
        .follow_links(false)
        .filter_entry(move |entry| {
            if entry.depth() == 0 {
                return true;
            }
            let is_dir = entry.file_type().is_some_and(|t| t.is_dir());
            if is_dir
                && entry
                    .file_name()
                    .to_str()
                    .is_some_and(|n| SKIPPED_DIRS.contains(&n))
            {
                return false;
            }
            !filter_excludes.excluded(&filter_root, entry.path())
        })
        .build_parallel();
    walker.run(|| {
        let found = &found;
        let diags = &diags;
        let root_buf = root_buf.clone();
        Box::new(move |result| {
            match result {
                Ok(entry) => {
                    let Some(ft) = entry.file_type() else {
                        return WalkState::Continue;
                    };
                    let path = entry.path();
                    if ft.is_symlink() {
                        let points_to_dir = std::fs::metadata(path).is_ok_and(|m| m.is_dir());
                        if points_to_dir || is_python_name(path) == Some(false) {
                            diags.lock().unwrap().push(Diagnostic {
                                path: path.to_path_buf(),
                                kind: DiagnosticKind::Walk,
                                line: None,
                                message: "symbolic link not followed (pyaudit never follows \
                                          links, so a scan cannot leave the given paths); \
                                          name its target to scan it"
                                    .into(),
                            });
                        }
                    } else if ft.is_file()
                        && let Some(needs_shebang) = is_python_name(path)
                    {
                        found.lock().unwrap().push(Candidate {
                            path: path.to_path_buf(),
                            explicit: false,
                            needs_shebang,
                        });
                    }
                }
                Err(err) => {
                    let path = error_path(&err).unwrap_or_else(|| root_buf.clone());
                    diags.lock().unwrap().push(Diagnostic {
                        path,
                        kind: DiagnosticKind::Walk,
                        line: None,
                        message: error_message(&err),
                    });
                }
            }
            WalkState::Continue
        })
    });
    (
        found.into_inner().unwrap_or_default(),
        diags.into_inner().unwrap_or_default(),
    )
}

fn error_path(err: &ignore::Error) -> Option<PathBuf> {
    match err {
        ignore::Error::WithPath { path, .. } => Some(path.clone()),
        ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
            error_path(err)
        }
        ignore::Error::Loop { child, .. } => Some(child.clone()),
        ignore::Error::Partial(errs) => errs.iter().find_map(error_path),
        _ => None,
    }
}

/// The error text without the path, which the diagnostic carries separately.
fn error_message(err: &ignore::Error) -> String {
    match err {
        ignore::Error::WithPath { err, .. } => error_message(err),
        ignore::Error::WithDepth { err, .. } => error_message(err),
        ignore::Error::Loop { .. } => "symbolic link loop; not followed".into(),
        ignore::Error::Io(e) => format!("cannot read: {e}"),
        other => other.to_string(),
    }
}
