//! Configuration files: `[tool.pyaudit]` in `pyproject.toml`, or the top level of
//! `pyaudit.toml`, found from the project root upwards.
//!
//! Unknown keys and wrong types are errors with `file:line:col` (serde `deny_unknown_fields`
//! plus the spans the `toml` crate reports), so a typo never silently does nothing.

use crate::bounded_read::{self, BoundedReadError};
use crate::finding::{Confidence, Severity};
use crate::rules::line_col;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use toml::Spanned;

/// The keys pyaudit reads; every one is optional.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ConfigFile {
    /// Only run these rules (ids or names).
    pub select: Option<Spanned<Vec<String>>>,
    /// Do not run these rules.
    pub ignore: Option<Spanned<Vec<String>>>,
    /// Rules to run in addition to `select`.
    pub extend_select: Option<Spanned<Vec<String>>>,
    /// Rules not to run, in addition to `ignore`.
    pub extend_ignore: Option<Spanned<Vec<String>>>,
    /// Globs to skip; `--exclude` on the command line replaces them.
    pub exclude: Option<Vec<String>>,
    /// Globs to skip in addition to `exclude` (and to `--exclude`).
    pub extend_exclude: Option<Vec<String>>,
    /// Glob (relative to the config file's directory) → rules not reported in those files.
    pub per_file_ignores: Option<BTreeMap<String, Spanned<Vec<String>>>>,
    pub fail_on: Option<Severity>,
    pub min_confidence: Option<Confidence>,
    /// Directories of extra rule files, relative to the config file.
    pub rules_dirs: Option<Vec<Spanned<PathBuf>>>,
    /// Which findings are reported: `default` or `audit` (see docs/configuration.md).
    pub profile: Option<crate::settings::Profile>,
    /// Globs for test code, replacing the defaults (`tests/`, `test_*.py`, ...).
    pub test_paths: Option<Vec<String>>,
    /// Whether findings in test code fail the gate.
    pub gate_tests: Option<bool>,
    /// Where untrusted data comes from: `remote` (default) and/or `local`.
    pub threat_model: Option<Vec<crate::settings::ThreatModel>>,
}

#[derive(Deserialize)]
struct PyProject {
    tool: Option<Tools>,
}

#[derive(Deserialize)]
struct Tools {
    pyaudit: Option<ConfigFile>,
}

/// A loaded configuration file and where it came from.
#[derive(Debug, Clone)]
pub struct Config {
    pub path: PathBuf,
    /// The file's text, kept to turn spans into line numbers for later errors.
    pub text: String,
    pub values: ConfigFile,
}

/// A configuration file that cannot be used, with the place of the problem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub file: String,
    pub line: usize,
    pub col: usize,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            // The file as a whole (it could not be read): no position to give.
            return write!(f, "{}: {}", self.file, self.message);
        }
        write!(
            f,
            "{}:{}:{}: {}",
            self.file, self.line, self.col, self.message
        )
    }
}

impl std::error::Error for ConfigError {}

impl Config {
    /// The directory relative paths in the file are resolved against.
    pub fn dir(&self) -> &Path {
        match self.path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        }
    }

    /// An error at byte `offset` of this file.
    pub fn error_at(&self, offset: usize, message: impl Into<String>) -> ConfigError {
        let (line, col) = line_col(&self.text, offset);
        ConfigError {
            file: self.path.display().to_string(),
            line,
            col,
            message: message.into(),
        }
    }
}

fn is_pyproject(path: &Path) -> bool {
    path.file_name().is_some_and(|n| n == "pyproject.toml")
}

/// Reads `path`: `[tool.pyaudit]` of a `pyproject.toml`, the top level of any other file.
/// Returns `None` for a `pyproject.toml` without a `[tool.pyaudit]` table.
pub fn load(path: &Path) -> Result<Option<Config>, ConfigError> {
    load_named(path, path)
}

/// [`load`], naming the file `shown` in the result and in errors.
fn load_named(path: &Path, shown: &Path) -> Result<Option<Config>, ConfigError> {
    let text =
        bounded_read::read_text(path, bounded_read::CONFIG_LIMIT).map_err(|e| ConfigError {
            file: shown.display().to_string(),
            line: 0,
            col: 0,
            message: e.to_string(),
        })?;
    let parsed = if is_pyproject(path) {
        toml::from_str::<PyProject>(&text).map(|p| p.tool.and_then(|t| t.pyaudit))
    } else {
        toml::from_str::<ConfigFile>(&text).map(Some)
    };
    let values = parsed.map_err(|e| {
        let (line, col) = line_col(&text, e.span().map_or(0, |s| s.start));
        ConfigError {
            file: shown.display().to_string(),
            line,
            col,
            message: e.message().trim().to_string(),
        }
    })?;
    Ok(values.map(|values| Config {
        path: shown.to_path_buf(),
        text,
        values,
    }))
}

/// Finds the configuration for a project rooted at `root` (absolute): in each directory from
/// `root` upwards, `pyaudit.toml` wins over `pyproject.toml`, and a `pyproject.toml` counts
/// only if it has a `[tool.pyaudit]` table. Files under `cwd` are named relative to it, so
/// messages show the paths users type.
pub fn discover(root: &Path, cwd: &Path) -> Result<Option<Config>, ConfigError> {
    for dir in root.ancestors() {
        let shown = |p: &Path| p.strip_prefix(cwd).unwrap_or(p).to_path_buf();
        let own = dir.join("pyaudit.toml");
        // `symlink_metadata`: a dangling link or a FIFO named pyaudit.toml is still the
        // config file, and must be refused rather than passed over.
        if std::fs::symlink_metadata(&own).is_ok() {
            return load_named(&own, &shown(&own));
        }
        let pyproject = dir.join("pyproject.toml");
        let bytes = match bounded_read::read(&pyproject, bounded_read::CONFIG_LIMIT) {
            Ok(b) => b,
            Err(BoundedReadError::NotFound) => continue,
            Err(e) => {
                return Err(ConfigError {
                    file: shown(&pyproject).display().to_string(),
                    line: 0,
                    col: 0,
                    message: e.to_string(),
                });
            }
        };
        // Most pyproject files never mention pyaudit: do not make their syntax our problem.
        let mentions = bytes.windows(b"pyaudit".len()).any(|w| w == b"pyaudit");
        if mentions && let Some(config) = load_named(&pyproject, &shown(&pyproject))? {
            return Ok(Some(config));
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    #[test]
    fn unknown_key_and_wrong_type_have_lines() {
        let tmp = tempfile::tempdir().unwrap();
        let p = write(
            tmp.path(),
            "pyproject.toml",
            "[project]\nname = \"x\"\n\n[tool.pyaudit]\nfail-on = \"high\"\nfial-on = 1\n",
        );
        let e = load(&p).unwrap_err();
        assert_eq!(e.line, 6, "{e}");
        assert!(e.message.contains("fial-on"), "{e}");
        let p = write(tmp.path(), "pyaudit.toml", "select = \"PYA101\"\n");
        let e = load(&p).unwrap_err();
        assert_eq!(e.line, 1, "{e}");
    }

    #[test]
    fn discovery_prefers_pyaudit_toml_and_skips_foreign_pyproject() {
        let tmp = tempfile::tempdir().unwrap();
        let sub = tmp.path().join("a/b");
        std::fs::create_dir_all(&sub).unwrap();
        write(&tmp.path().join("a"), "pyproject.toml", "[tool.black]\n");
        write(
            tmp.path(),
            "pyproject.toml",
            "[tool.pyaudit]\nfail-on = \"high\"\n",
        );
        let c = discover(&sub, Path::new("/nowhere")).unwrap().unwrap();
        assert_eq!(c.path, tmp.path().join("pyproject.toml"));
        let c = discover(&sub, tmp.path()).unwrap().unwrap();
        assert_eq!(c.path, Path::new("pyproject.toml"));
        assert_eq!(c.values.fail_on, Some(Severity::High));
        write(&sub, "pyaudit.toml", "min-confidence = \"high\"\n");
        let c = discover(&sub, tmp.path()).unwrap().unwrap();
        assert_eq!(c.path, Path::new("a/b/pyaudit.toml"));
        assert_eq!(c.values.min_confidence, Some(Confidence::High));
    }
}
