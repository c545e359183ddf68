//! Where a finding is, in the forms machine-readable reports need: paths relative to the
//! project root, RFC 3986 file URIs and UTF-16 columns.

use crate::finding::{Finding, Position};
use crate::scan::{LineTexts, ScanResult};
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

/// The directory results are reported relative to. GitHub resolves SARIF and annotation
/// paths against the repository root, so this is the current directory (where CI runs)
/// unless `--project-root` names another.
#[derive(Debug, Clone)]
pub struct ProjectRoot {
    abs: PathBuf,
    cwd: PathBuf,
}

/// Makes `path` absolute against `cwd` and removes `.` and `..` without touching the file
/// system, so paths that were never canonicalised still compare equal.
fn normalize(cwd: &Path, path: &Path) -> PathBuf {
    let joined = if path.is_absolute() {
        path.to_path_buf()
    } else {
        cwd.join(path)
    };
    let mut out = PathBuf::new();
    for c in joined.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

impl ProjectRoot {
    /// The root `dir` (relative to the current directory), or the current directory.
    pub fn new(dir: Option<&Path>) -> std::io::Result<ProjectRoot> {
        let cwd = std::env::current_dir()?;
        let abs = normalize(&cwd, dir.unwrap_or(Path::new(".")));
        Ok(ProjectRoot { abs, cwd })
    }

    /// The root as an absolute path.
    pub fn path(&self) -> &Path {
        &self.abs
    }

    /// The current directory the run started in.
    pub fn cwd(&self) -> &Path {
        &self.cwd
    }

    /// `path` (as the scan reached it) made absolute and normalised.
    pub fn absolute(&self, path: &Path) -> PathBuf {
        normalize(&self.cwd, path)
    }

    /// `path` relative to the root, or `None` when it lies outside.
    pub fn relative(&self, path: &Path) -> Option<PathBuf> {
        self.absolute(path)
            .strip_prefix(&self.abs)
            .ok()
            .map(Path::to_path_buf)
    }

    /// `path` relative to the root with `/` separators (lossy for non-UTF-8 names), or the
    /// absolute path when it lies outside the root. For annotations and baselines.
    pub fn display(&self, path: &Path) -> String {
        let p = self.relative(path).unwrap_or_else(|| self.absolute(path));
        slash_path(&p)
    }

    /// The root as a `file:` URI ending in `/`, for SARIF `originalUriBaseIds`.
    pub fn uri(&self) -> String {
        let mut uri = file_uri(&self.abs);
        if !uri.ends_with('/') {
            uri.push('/');
        }
        uri
    }
}

/// A path with `/` separators, lossy for names that are not UTF-8.
pub fn slash_path(p: &Path) -> String {
    let parts: Vec<String> = p
        .components()
        .map(|c| match c {
            Component::RootDir => String::new(),
            other => other.as_os_str().to_string_lossy().into_owned(),
        })
        .collect();
    if parts == [""] {
        return "/".into();
    }
    parts.join("/")
}

/// The raw bytes of a path component: exact on Unix, where names need not be UTF-8.
#[cfg(unix)]
fn component_bytes(s: &std::ffi::OsStr) -> Vec<u8> {
    use std::os::unix::ffi::OsStrExt;
    s.as_bytes().to_vec()
}

#[cfg(not(unix))]
fn component_bytes(s: &std::ffi::OsStr) -> Vec<u8> {
    s.to_string_lossy().into_owned().into_bytes()
}

/// Percent-encodes one path segment. Only RFC 3986 unreserved characters and the
/// sub-delimiters stay as they are; `:` is always encoded so a first segment such as
/// `a:b.py` cannot be read as a URI scheme.
fn encode_segment(bytes: &[u8], out: &mut String) {
    for &b in bytes {
        let keep = b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=@".contains(&b);
        if keep {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
}

/// A relative path as a relative URI reference (`src/my%20app.py`).
pub fn relative_uri(path: &Path) -> String {
    let mut out = String::new();
    for (i, c) in path.components().enumerate() {
        if i > 0 {
            out.push('/');
        }
        match c {
            Component::Normal(s) => encode_segment(&component_bytes(s), &mut out),
            Component::ParentDir => out.push_str(".."),
            Component::CurDir => out.push('.'),
            Component::RootDir | Component::Prefix(_) => {}
        }
    }
    out
}

/// An absolute path as a `file:` URI (`file:///home/me/app/`).
pub fn file_uri(abs: &Path) -> String {
    let mut out = String::from("file://");
    for c in abs.components() {
        match c {
            // A Windows drive (`C:`) is kept as it is: `file:///C:/...`.
            Component::Prefix(p) => {
                out.push('/');
                out.push_str(&p.as_os_str().to_string_lossy());
            }
            Component::RootDir => {}
            Component::Normal(s) => {
                out.push('/');
                encode_segment(&component_bytes(s), &mut out);
            }
            Component::CurDir | Component::ParentDir => {}
        }
    }
    if out == "file://" {
        out.push('/');
    }
    out
}

/// The largest char boundary of `line` at or before `byte_col`.
fn floor_boundary(line: &str, byte_col: usize) -> usize {
    let b = byte_col.min(line.len());
    (0..=b)
        .rev()
        .find(|&i| line.is_char_boundary(i))
        .unwrap_or(0)
}

/// 1-based column in UTF-16 code units (SARIF's default `columnKind`) of a byte offset.
pub fn utf16_col(line: &str, byte_col: usize) -> usize {
    let b = floor_boundary(line, byte_col);
    line[..b].chars().map(char::len_utf16).sum::<usize>() + 1
}

/// Lines of scanned files beyond each finding's first: a finding carries only the text of
/// its first line, and columns on other lines (multi-line calls, data-flow steps) need
/// theirs. The scan keeps those lines ([`crate::scan::ScanResult::lines`]); nothing is read
/// from disk again, so a file changed or swapped after the scan cannot affect the report.
#[derive(Debug, Default)]
pub struct LineCache {
    lines: Arc<LineTexts>,
}

impl LineCache {
    /// The lines the scan kept.
    pub fn new(result: &ScanResult) -> LineCache {
        LineCache {
            lines: Arc::clone(&result.lines),
        }
    }

    /// The text of 1-based `line` of `path` as the scanner decoded it (so byte columns line
    /// up), or `None` if the scan did not keep it.
    pub fn line(&mut self, path: &Path, line: usize) -> Option<&str> {
        self.lines
            .get(&(path.to_path_buf(), line))
            .map(String::as_str)
    }

    /// The text of `line` in the file of `f`, taken from the finding when it is its first.
    pub fn finding_line<'a>(&'a mut self, f: &'a Finding, line: usize) -> Option<&'a str> {
        // An empty `line_text` means the line was too long to keep: read it again.
        if line == f.start.line && !f.line_text.is_empty() {
            return Some(&f.line_text);
        }
        self.line(&f.path, line)
    }

    /// 1-based column of `pos` in `f`'s file, counted by `count` (characters or UTF-16
    /// units). Falls back to bytes for a line the scan did not keep (too long).
    pub fn column(&mut self, f: &Finding, pos: Position, count: fn(&str, usize) -> usize) -> usize {
        match self.finding_line(f, pos.line) {
            Some(text) => count(text, pos.byte_col),
            None => pos.byte_col + 1,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf16_columns_count_surrogate_pairs() {
        let line = "é😀 = pickle.loads(b)";
        let byte = line.find("pickle").unwrap();
        // é is one UTF-16 unit, the emoji two, then " = ".
        assert_eq!(utf16_col(line, byte), 1 + 1 + 2 + 3);
        assert_eq!(utf16_col("abc", 1), 2);
        assert_eq!(utf16_col("abc", 99), 4);
    }

    #[test]
    fn uris_are_percent_encoded() {
        assert_eq!(
            relative_uri(Path::new("src/my app/%x#1/é.py")),
            "src/my%20app/%25x%231/%C3%A9.py"
        );
        assert_eq!(relative_uri(Path::new("a:b.py")), "a%3Ab.py");
        #[cfg(unix)]
        {
            use std::os::unix::ffi::OsStrExt;
            let p = Path::new(std::ffi::OsStr::from_bytes(b"caf\xe9.py"));
            assert_eq!(relative_uri(p), "caf%E9.py");
        }
        assert_eq!(file_uri(Path::new("/home/a b")), "file:///home/a%20b");
        assert_eq!(file_uri(Path::new("/")), "file:///");
    }

    #[test]
    fn relative_to_root() {
        let root = ProjectRoot {
            abs: PathBuf::from("/repo"),
            cwd: PathBuf::from("/repo/sub"),
        };
        assert_eq!(
            root.relative(Path::new("x/../a.py")),
            Some(PathBuf::from("sub/a.py"))
        );
        assert_eq!(root.relative(Path::new("/elsewhere/a.py")), None);
        assert_eq!(
            root.display(Path::new("/elsewhere/a.py")),
            "/elsewhere/a.py"
        );
        assert_eq!(root.uri(), "file:///repo/");
    }
}
