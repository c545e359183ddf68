//! Reading the files pyaudit trusts least besides sources: configuration, ignore files, rule
//! and model files, baselines. Every one must be a regular file under a size limit.
//!
//! A scanned repository can make any of them a symbolic link to `/dev/zero` (endless), a FIFO
//! (opening blocks forever) or a multi-gigabyte file. The checks run on the file's metadata
//! before opening it (so a FIFO is never opened) and again on the open handle (so a swap in
//! between is caught), and the read itself stops one byte past the limit.

use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};

/// Limit for configuration files (`pyproject.toml`, `pyaudit.toml`) and ignore files.
pub const CONFIG_LIMIT: u64 = 1024 * 1024;

/// Limit for rule files, taint-model files and baselines.
pub const DATA_LIMIT: u64 = 8 * 1024 * 1024;

/// Why a file could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BoundedReadError {
    /// The path does not exist (callers that search for optional files test for this).
    NotFound,
    /// A directory, FIFO, socket or device (after following symbolic links).
    NotRegular(&'static str),
    /// Larger than the limit.
    TooLarge { limit: u64 },
    /// Any other I/O error.
    Io(String),
}

impl fmt::Display for BoundedReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BoundedReadError::NotFound => f.write_str("no such file"),
            BoundedReadError::NotRegular(what) => {
                write!(f, "is {what}, not a regular file; refused")
            }
            BoundedReadError::TooLarge { limit } => {
                write!(f, "is larger than the {limit}-byte limit; refused")
            }
            BoundedReadError::Io(e) => write!(f, "cannot read: {e}"),
        }
    }
}

impl std::error::Error for BoundedReadError {}

/// What kind of non-regular file `ft` is, for messages.
pub fn kind_name(ft: std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if ft.is_fifo() {
            return "a FIFO";
        }
        if ft.is_char_device() || ft.is_block_device() {
            return "a device";
        }
        if ft.is_socket() {
            return "a socket";
        }
    }
    if ft.is_dir() {
        return "a directory";
    }
    "not a regular file"
}

fn check(meta: &std::fs::Metadata, limit: u64) -> Result<(), BoundedReadError> {
    if !meta.is_file() {
        return Err(BoundedReadError::NotRegular(kind_name(meta.file_type())));
    }
    if meta.len() > limit {
        return Err(BoundedReadError::TooLarge { limit });
    }
    Ok(())
}

fn io(e: std::io::Error) -> BoundedReadError {
    if e.kind() == std::io::ErrorKind::NotFound {
        BoundedReadError::NotFound
    } else {
        BoundedReadError::Io(e.to_string())
    }
}

/// Reads an opened file that passed the checks: the file may grow after them, so never more
/// than one byte past the limit.
fn read_checked(file: std::fs::File, limit: u64) -> Result<Vec<u8>, BoundedReadError> {
    let mut bytes = Vec::new();
    file.take(limit + 1).read_to_end(&mut bytes).map_err(io)?;
    if bytes.len() as u64 > limit {
        return Err(BoundedReadError::TooLarge { limit });
    }
    Ok(bytes)
}

/// Reads `path` (following symbolic links) if it is a regular file of at most `limit` bytes.
pub fn read(path: &Path, limit: u64) -> Result<Vec<u8>, BoundedReadError> {
    check(&std::fs::metadata(path).map_err(io)?, limit)?;
    let file = std::fs::File::open(path).map_err(io)?;
    check(&file.metadata().map_err(io)?, limit)?;
    read_checked(file, limit)
}

/// [`read`], but a symbolic link is refused rather than followed (`NotRegular`), also when
/// one replaces the file between the check and the open. For files pyaudit writes itself
/// in a directory a scanned repository may have planted (the result cache).
pub fn read_no_follow(path: &Path, limit: u64) -> Result<Vec<u8>, BoundedReadError> {
    let before = std::fs::symlink_metadata(path).map_err(io)?;
    if before.file_type().is_symlink() {
        return Err(BoundedReadError::NotRegular("a symbolic link"));
    }
    check(&before, limit)?;
    let file = std::fs::File::open(path).map_err(io)?;
    let opened = file.metadata().map_err(io)?;
    check(&opened, limit)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if (before.dev(), before.ino()) != (opened.dev(), opened.ino()) {
            return Err(BoundedReadError::NotRegular("a symbolic link"));
        }
    }
    read_checked(file, limit)
}

/// [`read`] as UTF-8 text.
pub fn read_text(path: &Path, limit: u64) -> Result<String, BoundedReadError> {
    let bytes = read(path, limit)?;
    String::from_utf8(bytes).map_err(|e| {
        BoundedReadError::Io(format!("not UTF-8 (byte {})", e.utf8_error().valid_up_to()))
    })
}

/// A path and the read error, ready to print as `path: problem`.
#[derive(Debug, Clone)]
pub struct PathError {
    pub path: PathBuf,
    pub error: BoundedReadError,
}

impl fmt::Display for PathError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path.display(), self.error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_and_kinds() {
        let tmp = tempfile::tempdir().unwrap();
        let p = tmp.path().join("a");
        std::fs::write(&p, b"12345").unwrap();
        assert_eq!(read(&p, 5).unwrap(), b"12345");
        assert_eq!(read(&p, 4), Err(BoundedReadError::TooLarge { limit: 4 }));
        assert_eq!(
            read(&tmp.path().join("b"), 4),
            Err(BoundedReadError::NotFound)
        );
        assert!(matches!(
            read(tmp.path(), 4),
            Err(BoundedReadError::NotRegular("a directory"))
        ));
        #[cfg(unix)]
        {
            let link = tmp.path().join("zero");
            std::os::unix::fs::symlink("/dev/zero", &link).unwrap();
            assert!(matches!(
                read(&link, 4),
                Err(BoundedReadError::NotRegular("a device"))
            ));
        }
    }
}
