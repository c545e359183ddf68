//! Finding the files to scan, so that a scanned repository cannot hide its own code.
//!
//! In a git work tree the list of files comes from git itself (see [`crate::discover::git`]):
//! every tracked Python file is scanned whatever `.gitignore` or `.ignore` say, and
//! default-excluded folders (virtualenvs, build output, `node_modules`) hide only untracked
//! files, or tracked ones inside a real virtualenv (`pyvenv.cfg`). Outside git, a walk honours
//! `.gitignore` and `.ignore` (unless `--no-respect-ignore`), reading them with the bounded
//! reader. Either way hidden folders other than VCS metadata are scanned, every Python file
//! left out is recorded with its reason, and FIFOs and devices get a diagnostic.

mod git;

use crate::bounded_read::{self, BoundedReadError};
use crate::finding::{Diagnostic, DiagnosticKind};
use globset::{Glob, GlobSet, GlobSetBuilder};
use ignore::gitignore::{Gitignore, GitignoreBuilder};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Whether git tracks `path` or, for a directory, any file under it (false outside a work
/// tree). The result cache refuses a directory a repository has committed.
pub fn git_tracks(path: &Path) -> bool {
    git::tracks(path)
}

/// Directory names whose untracked contents are not scanned: virtualenvs, caches and build
/// output hold third-party or generated code, not the project's own.
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
    ".mypy_cache",
    ".pytest_cache",
    ".ruff_cache",
    ".eggs",
];

/// Version-control metadata: never scanned, never counted.
pub const VCS_DIRS: &[&str] = &[".git", ".hg", ".svn", ".bzr", ".jj"];

/// A file the walk found.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Candidate {
    pub path: PathBuf,
    /// Named on the command line: always scanned, whatever its name.
    pub explicit: bool,
    /// Has no extension: scanned only if its first line is a python shebang.
    pub needs_shebang: bool,
    /// The recorded exclusion glob ([`WalkOptions::recorded`]) that matches the file or one
    /// of its folders: the file is analysed, and its findings are kept as hidden.
    pub excluded_by: Option<String>,
}

/// Why a Python file was not scanned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SkipReason {
    /// Untracked (or outside git) and matched by `.gitignore` / `.ignore`.
    IgnoreFile,
    /// Untracked (or outside git) inside a default-excluded folder such as `build/`.
    DefaultExcluded,
    /// Inside a virtualenv (a folder with `pyvenv.cfg`), tracked or not.
    Virtualenv,
    /// Matched an `--exclude` / `exclude` / `extend-exclude` glob.
    ExcludeGlob,
}

impl SkipReason {
    /// Every reason, in the order summaries list them.
    pub const ALL: [SkipReason; 4] = [
        SkipReason::ExcludeGlob,
        SkipReason::IgnoreFile,
        SkipReason::DefaultExcluded,
        SkipReason::Virtualenv,
    ];

    /// A short kebab-case name for listings.
    pub fn as_str(self) -> &'static str {
        match self {
            SkipReason::IgnoreFile => "ignore-file",
            SkipReason::DefaultExcluded => "default-excluded-folder",
            SkipReason::Virtualenv => "virtualenv",
            SkipReason::ExcludeGlob => "exclude-glob",
        }
    }

    /// What the reason means, for summaries.
    pub fn describe(self) -> &'static str {
        match self {
            SkipReason::IgnoreFile => "ignored by .gitignore/.ignore (untracked)",
            SkipReason::DefaultExcluded => {
                "in an untracked default-excluded folder (build, dist, node_modules, ...)"
            }
            SkipReason::Virtualenv => "in a virtualenv (pyvenv.cfg)",
            SkipReason::ExcludeGlob => "matched an exclude glob",
        }
    }
}

/// A Python file the discovery left out, and why.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Skipped {
    pub path: PathBuf,
    pub reason: SkipReason,
}

/// How to discover files.
#[derive(Debug, Clone)]
pub struct WalkOptions {
    /// Honour `.gitignore` / `.ignore` for untracked files (`--no-respect-ignore` clears it).
    pub respect_ignore: bool,
    /// Exclusion globs set by the scanned repository's own configuration. The files they
    /// match are found all the same, each with its glob ([`Candidate::excluded_by`]), so
    /// that what a repository excludes is analysed and recorded rather than unseen.
    pub recorded: Excludes,
}

impl Default for WalkOptions {
    fn default() -> Self {
        WalkOptions {
            respect_ignore: true,
            recorded: Excludes::default(),
        }
    }
}

/// What discovery found.
#[derive(Debug, Default)]
pub struct Discovered {
    /// Sorted, without duplicates.
    pub candidates: Vec<Candidate>,
    pub diagnostics: Vec<Diagnostic>,
    /// Python files left out, sorted by path.
    pub skipped: Vec<Skipped>,
    /// Remarks about how the files were listed (e.g. git could not be used), sorted.
    pub notes: Vec<String>,
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
#[derive(Debug, Clone, Default)]
pub struct Excludes {
    /// The globs as given, so that a match can name the one that decided.
    globs: Vec<String>,
    by_name: GlobSet,
    /// Index in `globs` of each glob of `by_name`.
    name_index: Vec<usize>,
    by_path: GlobSet,
    path_index: Vec<usize>,
}

impl Excludes {
    /// Compiles the globs.
    pub fn new(globs: &[String]) -> Result<Excludes, DiscoverError> {
        let mut by_name = GlobSetBuilder::new();
        let mut by_path = GlobSetBuilder::new();
        let (mut name_index, mut path_index) = (Vec::new(), Vec::new());
        for (i, g) in globs.iter().enumerate() {
            let trimmed = g.trim_end_matches('/');
            let glob = Glob::new(trimmed.trim_start_matches("./"))
                .map_err(|e| DiscoverError::BadGlob(g.clone(), e.to_string()))?;
            if trimmed.contains('/') {
                by_path.add(glob);
                path_index.push(i);
            } else {
                by_name.add(glob);
                name_index.push(i);
            }
        }
        let build = |b: GlobSetBuilder| {
            b.build()
                .map_err(|e| DiscoverError::BadGlob(globs.join(" "), e.to_string()))
        };
        Ok(Excludes {
            globs: globs.to_vec(),
            by_name: build(by_name)?,
            name_index,
            by_path: build(by_path)?,
            path_index,
        })
    }

    /// Whether `path` (found under `root`) is excluded.
    pub fn excluded(&self, root: &Path, path: &Path) -> bool {
        self.matching(root, path).is_some()
    }

    /// The first glob (in the order given) that excludes `path` (found under `root`).
    pub fn matching(&self, root: &Path, path: &Path) -> Option<&str> {
        if self.globs.is_empty() {
            return None;
        }
        let by_name = path.file_name().and_then(|name| {
            self.by_name
                .matches(Path::new(name))
                .into_iter()
                .min()
                .map(|i| self.name_index[i])
        });
        let rel = path.strip_prefix(root).unwrap_or(path);
        let by_path = self
            .by_path
            .matches(rel)
            .into_iter()
            .min()
            .map(|i| self.path_index[i]);
        let first = match (by_name, by_path) {
            (Some(a), Some(b)) => a.min(b),
            (a, b) => a.or(b)?,
        };
        Some(&self.globs[first])
    }

    /// Whether `path` or one of its directories below `root` is excluded.
    fn excluded_at_depth(&self, root: &Path, path: &Path) -> bool {
        self.matching_at_depth(root, path).is_some()
    }

    /// The glob that excludes `path` or the outermost of its directories below `root`.
    fn matching_at_depth(&self, root: &Path, path: &Path) -> Option<String> {
        if self.globs.is_empty() {
            return None;
        }
        let rel = path.strip_prefix(root).unwrap_or(path);
        let mut at = root.to_path_buf();
        rel.components().find_map(|c| {
            at.push(c);
            self.matching(root, &at).map(str::to_string)
        })
    }
}

/// Whether a file name is one the scanner reads by itself: `Some(needs_shebang)`.
fn is_python_name(path: &Path) -> Option<bool> {
    match path.extension().and_then(|e| e.to_str()) {
        Some("py") | Some("pyw") => Some(false),
        None => Some(true),
        _ => None,
    }
}

/// Walks `paths` and returns sorted candidates plus walk diagnostics, with the default
/// options (skipped files dropped). `threads` is kept for callers; discovery is sequential.
pub fn discover(
    paths: &[PathBuf],
    excludes: &Excludes,
    _threads: usize,
) -> Result<(Vec<Candidate>, Vec<Diagnostic>), DiscoverError> {
    let d = discover_with(paths, excludes, &WalkOptions::default())?;
    Ok((d.candidates, d.diagnostics))
}

/// Discovers the files under `paths`.
pub fn discover_with(
    paths: &[PathBuf],
    excludes: &Excludes,
    opts: &WalkOptions,
) -> Result<Discovered, DiscoverError> {
    let mut out = Discovered::default();
    let mut dirs = Vec::new();
    for p in paths {
        let meta = std::fs::metadata(p).map_err(|_| DiscoverError::MissingPath(p.clone()))?;
        if meta.is_dir() {
            dirs.push(p.clone());
        } else {
            out.candidates.push(Candidate {
                path: p.clone(),
                explicit: true,
                needs_shebang: false,
                excluded_by: None,
            });
        }
    }
    let mut state = State {
        excludes,
        opts,
        out,
        venv_cache: HashMap::new(),
    };
    for dir in dirs {
        state.discover_dir(&dir, &dir);
    }
    let mut out = state.out;
    out.candidates.sort();
    out.candidates.dedup_by(|a, b| a.path == b.path);
    out.diagnostics
        .sort_by(|a, b| a.path.cmp(&b.path).then(a.message.cmp(&b.message)));
    out.diagnostics.dedup();
    out.skipped.sort();
    out.skipped.dedup_by(|a, b| a.path == b.path);
    // A file listed as a candidate by one root is not skipped by another.
    let scanned: std::collections::HashSet<&Path> =
        out.candidates.iter().map(|c| c.path.as_path()).collect();
    out.skipped.retain(|s| !scanned.contains(s.path.as_path()));
    out.notes.sort();
    out.notes.dedup();
    Ok(out)
}

/// How many Python files were skipped for each reason, in [`SkipReason::ALL`] order.
pub fn skip_counts(skipped: &[Skipped]) -> Vec<(SkipReason, usize)> {
    SkipReason::ALL
        .iter()
        .map(|&r| (r, skipped.iter().filter(|s| s.reason == r).count()))
        .filter(|&(_, n)| n > 0)
        .collect()
}

/// One sentence on the skipped files, or `None` when nothing was skipped.
pub fn skip_summary(skipped: &[Skipped]) -> Option<String> {
    if skipped.is_empty() {
        return None;
    }
    let parts: Vec<String> = skip_counts(skipped)
        .into_iter()
        .map(|(r, n)| format!("{n} {}", r.describe()))
        .collect();
    let n = skipped.len();
    Some(format!(
        "{n} Python file{} not scanned: {} (--show-skipped lists them).",
        if n == 1 { "" } else { "s" },
        parts.join("; ")
    ))
}

struct State<'a> {
    excludes: &'a Excludes,
    opts: &'a WalkOptions,
    out: Discovered,
    venv_cache: HashMap<PathBuf, bool>,
}

/// The ignore files of one directory, most specific first.
struct DirIgnores {
    matchers: Vec<Gitignore>,
}

impl State<'_> {
    fn diag(&mut self, path: &Path, kind: DiagnosticKind, message: String) {
        self.out.diagnostics.push(Diagnostic {
            path: path.to_path_buf(),
            kind,
            line: None,
            message,
        });
    }

    fn skip(&mut self, path: PathBuf, reason: SkipReason) {
        self.out.skipped.push(Skipped { path, reason });
    }

    fn discover_dir(&mut self, root: &Path, dir: &Path) {
        match git::list(dir) {
            git::Listing::NotGit => self.walk(root, dir, self.opts.respect_ignore),
            git::Listing::Files(files) => self.add_git_files(root, dir, files),
            git::Listing::Failed(why) => {
                self.out.notes.push(format!(
                    "{}: inside a git work tree, but git could not list its files ({why}); \
                     walked it with .gitignore/.ignore not applied, so that no tracked \
                     file can be hidden",
                    dir.display()
                ));
                self.walk(root, dir, false);
            }
        }
    }

    /// Whether `dir` is a virtualenv (holds `pyvenv.cfg`).
    fn is_venv(&mut self, dir: &Path) -> bool {
        if let Some(&v) = self.venv_cache.get(dir) {
            return v;
        }
        let v = std::fs::symlink_metadata(dir.join("pyvenv.cfg")).is_ok();
        self.venv_cache.insert(dir.to_path_buf(), v);
        v
    }

    /// Whether some directory between `dir` (exclusive) and `path` is a virtualenv, or a
    /// default-excluded or VCS folder.
    fn folders_of(&mut self, dir: &Path, path: &Path) -> (bool, bool, bool) {
        let rel = path.strip_prefix(dir).unwrap_or(path);
        let mut at = dir.to_path_buf();
        let (mut venv, mut default, mut vcs) = (false, false, false);
        let comps: Vec<_> = rel.components().collect();
        for c in comps.iter().take(comps.len().saturating_sub(1)) {
            at.push(c);
            let name = c.as_os_str().to_str().unwrap_or("");
            venv |= self.is_venv(&at);
            default |= SKIPPED_DIRS.contains(&name);
            vcs |= VCS_DIRS.contains(&name);
        }
        (venv, default, vcs)
    }

    fn add_git_files(&mut self, root: &Path, dir: &Path, files: git::Files) {
        let mut nested = Vec::new();
        let entries = files
            .tracked
            .into_iter()
            .map(|p| (p, true))
            .chain(files.untracked.into_iter().map(|p| (p, false)));
        for (rel, tracked) in entries {
            let path = dir.join(&rel);
            let Ok(meta) = std::fs::symlink_metadata(&path) else {
                // Deleted in the work tree but still in the index: nothing to read.
                continue;
            };
            if meta.is_dir() {
                // A submodule or an untracked nested repository: list it the same way.
                nested.push(path);
                continue;
            }
            let Some(needs_shebang) = is_python_name(&path) else {
                continue;
            };
            let (venv, default, vcs) = self.folders_of(dir, &path);
            if vcs {
                continue;
            }
            if self.excludes.excluded_at_depth(root, &path) {
                self.skip(path, SkipReason::ExcludeGlob);
            } else if venv {
                self.skip(path, SkipReason::Virtualenv);
            } else if default && !tracked {
                self.skip(path, SkipReason::DefaultExcluded);
            } else {
                let by = self.opts.recorded.matching_at_depth(root, &path);
                self.entry(path, meta.file_type(), needs_shebang, by);
            }
        }
        for rel in files.ignored {
            let path = dir.join(&rel);
            if is_python_name(&path) != Some(false) {
                // Extensionless ignored files are rarely scripts; counting them would
                // mostly count build artefacts.
                continue;
            }
            let (venv, default, vcs) = self.folders_of(dir, &path);
            if vcs {
                continue;
            }
            if !self.opts.respect_ignore && !venv && !default {
                if let Ok(meta) = std::fs::symlink_metadata(&path) {
                    let by = self.opts.recorded.matching_at_depth(root, &path);
                    self.entry(path, meta.file_type(), false, by);
                }
                continue;
            }
            let reason = if self.excludes.excluded_at_depth(root, &path) {
                SkipReason::ExcludeGlob
            } else if venv {
                SkipReason::Virtualenv
            } else if default {
                SkipReason::DefaultExcluded
            } else {
                SkipReason::IgnoreFile
            };
            self.skip(path, reason);
        }
        for n in nested {
            if self.excludes.excluded_at_depth(root, &n) {
                continue;
            }
            let name = n.file_name().and_then(|s| s.to_str()).unwrap_or("");
            if VCS_DIRS.contains(&name) || self.folders_of(dir, &n.join("x")).2 {
                continue;
            }
            self.discover_dir(root, &n);
        }
    }

    /// A non-directory entry found in the tree: a candidate, or a diagnostic.
    fn entry(
        &mut self,
        path: PathBuf,
        ft: std::fs::FileType,
        needs_shebang: bool,
        excluded_by: Option<String>,
    ) {
        if ft.is_file() {
            self.out.candidates.push(Candidate {
                path,
                explicit: false,
                needs_shebang,
                excluded_by,
            });
        } else if ft.is_symlink() {
            let points_to_dir = std::fs::metadata(&path).is_ok_and(|m| m.is_dir());
            if points_to_dir || !needs_shebang {
                self.diag(
                    &path,
                    DiagnosticKind::Walk,
                    "symbolic link not followed (pyaudit never follows links, so a scan \
                     cannot leave the given paths); name its target to scan it"
                        .into(),
                );
            }
        } else if !ft.is_dir() {
            // Opening a FIFO would block the scan; a device could never end.
            self.diag(
                &path,
                DiagnosticKind::Unreadable,
                format!(
                    "{}, not a regular file; not analysed",
                    bounded_read::kind_name(ft)
                ),
            );
        }
    }

    /// Reads the ignore files of `dir`. A file that cannot be used is reported and its
    /// rules are not applied (so more is scanned, never less).
    /// `dir` is absolute (patterns are matched against absolute paths); `shown` names it in
    /// diagnostics.
    fn dir_ignores(&mut self, dir: &Path, shown: &Path) -> DirIgnores {
        let mut matchers = Vec::new();
        for name in [".ignore", ".gitignore"] {
            let path = dir.join(name);
            if std::fs::symlink_metadata(&path).is_err() {
                continue;
            }
            let text = match bounded_read::read(&path, bounded_read::CONFIG_LIMIT) {
                Ok(b) => String::from_utf8_lossy(&b).into_owned(),
                Err(BoundedReadError::NotFound) => continue,
                Err(e) => {
                    self.diag(
                        &shown.join(name),
                        DiagnosticKind::Walk,
                        format!("ignore file {e}; its patterns are not applied"),
                    );
                    continue;
                }
            };
            let mut b = GitignoreBuilder::new(dir);
            for line in text.lines() {
                // A bad pattern is ignored, as git ignores it.
                let _ = b.add_line(Some(path.clone()), line);
            }
            if let Ok(g) = b.build() {
                matchers.push(g);
            }
        }
        DirIgnores { matchers }
    }

    /// The walk outside git: honours ignore files when `respect_ignore`.
    fn walk(&mut self, root: &Path, top: &Path, respect_ignore: bool) {
        // Ignore patterns are matched against absolute paths, so that those of the
        // directories above `top` apply to the relative paths the walk reports.
        let abs_top = std::path::absolute(top).unwrap_or_else(|_| top.to_path_buf());
        let absolute = |p: &Path| abs_top.join(p.strip_prefix(top).unwrap_or(p));
        let mut inherited = Vec::new();
        if respect_ignore {
            let mut ancestors: Vec<&Path> = abs_top.ancestors().skip(1).collect();
            ancestors.reverse();
            for a in ancestors {
                let ig = self.dir_ignores(a, a);
                inherited.push(std::rc::Rc::new(ig));
            }
        }
        // The stack also carries the recorded exclusion glob that matched the directory or
        // one above it (see `WalkOptions::recorded`).
        let top_recorded = self.opts.recorded.matching_at_depth(root, top);
        let mut stack: Vec<Walking> = vec![(top.to_path_buf(), None, top_recorded, inherited)];
        while let Some((dir, skipped, recorded, mut ignores)) = stack.pop() {
            if respect_ignore && skipped.is_none() {
                let ig = self.dir_ignores(&absolute(&dir), &dir);
                ignores.push(std::rc::Rc::new(ig));
            }
            let entries = match std::fs::read_dir(&dir) {
                Ok(e) => e,
                Err(e) => {
                    self.diag(&dir, DiagnosticKind::Walk, format!("cannot read: {e}"));
                    continue;
                }
            };
            let mut children = Vec::new();
            for entry in entries {
                match entry {
                    Ok(e) => children.push(e),
                    Err(e) => self.diag(&dir, DiagnosticKind::Walk, format!("cannot read: {e}")),
                }
            }
            children.sort_by_key(|e| e.file_name());
            for e in children {
                let path = e.path();
                let Ok(ft) = e.file_type() else {
                    self.diag(&path, DiagnosticKind::Walk, "cannot read its type".into());
                    continue;
                };
                let is_dir = ft.is_dir();
                let name = e.file_name();
                let name = name.to_str().unwrap_or("");
                if is_dir && VCS_DIRS.contains(&name) {
                    continue;
                }
                let reason = skipped.or_else(|| {
                    if self.excludes.excluded(root, &path) {
                        Some(SkipReason::ExcludeGlob)
                    } else if respect_ignore && ignored(&ignores, &absolute(&path), is_dir) {
                        Some(SkipReason::IgnoreFile)
                    } else if is_dir && self.is_venv(&path) {
                        Some(SkipReason::Virtualenv)
                    } else if is_dir && SKIPPED_DIRS.contains(&name) {
                        Some(SkipReason::DefaultExcluded)
                    } else {
                        None
                    }
                });
                let recorded = recorded
                    .clone()
                    .or_else(|| self.opts.recorded.matching(root, &path).map(str::to_string));
                if is_dir {
                    stack.push((path, reason, recorded, ignores.clone()));
                    continue;
                }
                let Some(needs_shebang) = is_python_name(&path) else {
                    continue;
                };
                match reason {
                    Some(r) => {
                        // Extensionless files in skipped folders are mostly not Python.
                        if !needs_shebang {
                            self.skip(path, r);
                        }
                    }
                    None => self.entry(path, ft, needs_shebang, recorded),
                }
            }
        }
    }
}

/// A directory still to walk: its path, why its files are skipped, the recorded exclusion
/// glob that covers it, and the ignore files from the outermost directory down to it.
type Walking = (
    PathBuf,
    Option<SkipReason>,
    Option<String>,
    Vec<std::rc::Rc<DirIgnores>>,
);

/// Whether the ignore files (outermost first) ignore `path`: the most specific directory
/// with a matching pattern decides, and within a directory `.ignore` wins over `.gitignore`.
fn ignored(ignores: &[std::rc::Rc<DirIgnores>], path: &Path, is_dir: bool) -> bool {
    for dir in ignores.iter().rev() {
        for m in &dir.matchers {
            let hit = m.matched(path, is_dir);
            if hit.is_ignore() {
                return true;
            }
            if hit.is_whitelist() {
                return false;
            }
        }
    }
    false
}
