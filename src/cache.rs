//! The persistent result cache (`.pyaudit_cache/`): what the analysis of a file produced,
//! kept between runs so that an unchanged file is not parsed and analysed again.
//!
//! An entry is found by a slot name derived from the file's path and the analysis
//! configuration, and holds the full key it was computed under: pyaudit's build, the rule
//! set and taint models as loaded, the path, a BLAKE3 hash of the file's bytes and, for a
//! module of whole-program analysis, a digest of every module it imports transitively
//! ([`crate::scan`] computes that context). A different key is a plain miss, and the slot is
//! overwritten, so the cache holds at most one entry per file and configuration.
//!
//! Scanned repositories are not trusted, and the default location lies inside them. Every
//! entry carries a keyed BLAKE3 MAC under a secret made on first use and kept in the user's
//! cache directory (mode 0600), never in the scanned tree: a repository that commits forged
//! entries ("this file has no findings") cannot make them pass. A cache directory that git
//! tracks, or that is a symbolic link, is not used at all; an entry that is a link is not
//! followed. Entries that fail any check are recomputed and counted, and the run prints one
//! warning for all of them. Reads are bounded, writes go to a temporary file renamed into
//! place, so concurrent runs never see half an entry.

use crate::bounded_read::{self, BoundedReadError};
use crate::finding::{Diagnostic, Finding};
use crate::project::ModuleSummary;
use crate::suppress::UnusedSuppression;
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

/// The default cache directory, under the project root.
pub const DIR_NAME: &str = ".pyaudit_cache";
/// The environment variable naming the cache directory (under `--cache-dir`).
pub const DIR_ENV: &str = "PYAUDIT_CACHE_DIR";
/// Set to `1` to print what the cache did (hits, writes) on stderr after a scan.
pub const STATS_ENV: &str = "PYAUDIT_CACHE_STATS";
/// The build of pyaudit (version and a digest of its sources, from build.rs).
pub const BUILD_ID: &str = env!("PYAUDIT_BUILD_ID");

/// The entry format; with [`BUILD_ID`], the first line of every entry.
const FORMAT: &str = "pyaudit-cache 1";
/// The largest entry read (a file's report with the most findings allowed is far smaller).
const ENTRY_LIMIT: u64 = 64 * 1024 * 1024;
/// The subdirectory holding entries.
const ENTRIES: &str = "entries";
/// The secret key's file in the user's cache directory.
const KEY_FILE: &str = "cache-key";

/// What analysing one file produced, as stored.
#[derive(Debug, Serialize, Deserialize)]
pub struct Entry {
    pub lines: Vec<(usize, String)>,
    pub findings: Vec<Finding>,
    pub diagnostics: Vec<Diagnostic>,
    pub scanned: bool,
    pub parsed: bool,
    pub unused_suppressions: Vec<UnusedSuppression>,
    /// The module's summary for its importers, unsealed ([`ModuleSummary::unseal`]).
    pub summary: Option<ModuleSummary>,
}

/// [`Entry`] borrowed from a report, for writing without copying it.
#[derive(Debug, Serialize)]
pub struct EntryRef<'a> {
    pub lines: &'a [(usize, String)],
    pub findings: &'a [Finding],
    pub diagnostics: &'a [Diagnostic],
    pub scanned: bool,
    pub parsed: bool,
    pub unused_suppressions: &'a [UnusedSuppression],
    pub summary: Option<&'a ModuleSummary>,
}

/// The full key of an entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Key(blake3::Hash);

/// Why entries were not used, counted over a run.
#[derive(Debug, Default)]
struct Rejected {
    foreign: AtomicUsize,
    unauthenticated: AtomicUsize,
    corrupt: AtomicUsize,
    links: AtomicUsize,
}

/// An open cache directory.
#[derive(Debug)]
pub struct Cache {
    /// The cache directory as named (for messages).
    dir: PathBuf,
    entries: PathBuf,
    secret: [u8; 32],
    /// Digest of the build and the engine's configuration.
    config: [u8; 32],
    rejected: Rejected,
    hits: AtomicUsize,
    written: AtomicUsize,
    write_failed: AtomicUsize,
    first_write_error: std::sync::Mutex<Option<String>>,
    temp_counter: AtomicUsize,
}

/// An entry ready to write, or why it could not be encoded.
type Encoded = Result<Vec<u8>, String>;

/// Entries held back until the run knows they may be written: those of whole-program
/// modules, whose keys name the bytes of their imports as the probe read them. If any
/// module was read with other bytes when it was analysed (it changed during the scan), the
/// batch is spoiled and none of it is written. Each entry waits in a temporary file of the
/// cache directory (so the run does not hold them all in memory) until the commit renames
/// it into its slot. A module of an import cycle is analysed once per round: only its last
/// entry is kept.
#[derive(Debug, Default)]
pub struct Batch {
    /// Per file: its staged entry's temporary file, or why it could not be written.
    entries: std::sync::Mutex<std::collections::BTreeMap<PathBuf, Result<PathBuf, String>>>,
    spoiled: std::sync::atomic::AtomicBool,
}

impl Batch {
    /// Stages `entry` of `path` for [`Cache::commit`], replacing one staged before.
    pub fn push(&self, cache: &Cache, path: &Path, key: &Key, entry: &EntryRef) {
        let staged = cache.encode(key, entry).and_then(|b| cache.stage(&b));
        let old = (self.entries.lock().unwrap_or_else(|e| e.into_inner()))
            .insert(path.to_path_buf(), staged);
        if let Some(Ok(temp)) = old {
            let _ = std::fs::remove_file(temp);
        }
    }

    /// Drops the entries of the files `drop` names (results that must be computed again on
    /// the next run).
    pub fn forget(&self, drop: impl Fn(&Path) -> bool) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries.retain(|p, staged| {
            let keep = !drop(p);
            if !keep && let Ok(temp) = staged {
                let _ = std::fs::remove_file(temp);
            }
            keep
        });
    }

    /// Marks the batch as not to be written.
    pub fn spoil(&self) {
        self.spoiled.store(true, Ordering::Relaxed);
    }
}

/// What the cache did in one run.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Stats {
    pub hits: usize,
    pub written: usize,
    /// Entries found but not used (foreign, unauthenticated, corrupt, links).
    pub rejected: usize,
}

/// The user's cache directory for pyaudit (where the secret key lives), from the platform's
/// conventions; `None` when the environment names none.
pub fn user_dir() -> Option<PathBuf> {
    let env = |k: &str| {
        std::env::var_os(k)
            .map(PathBuf::from)
            .filter(|p| p.is_absolute())
    };
    let base = if cfg!(windows) {
        env("LOCALAPPDATA")
    } else if cfg!(target_os = "macos") {
        env("HOME").map(|h| h.join("Library/Caches"))
    } else {
        env("XDG_CACHE_HOME").or_else(|| env("HOME").map(|h| h.join(".cache")))
    };
    base.map(|b| b.join("pyaudit"))
}

impl Cache {
    /// Opens (creating it if need be) the cache directory `dir` for an engine whose
    /// configuration digest is `engine`. An error says why the cache is not used.
    pub fn open(dir: &Path, engine: [u8; 32]) -> Result<Cache, String> {
        let shown = dir.display();
        if let Ok(meta) = std::fs::symlink_metadata(dir) {
            if meta.file_type().is_symlink() {
                return Err(format!(
                    "the cache directory {shown} is a symbolic link; not used"
                ));
            }
            if !meta.is_dir() {
                return Err(format!("{shown} is not a directory; the cache is not used"));
            }
            if crate::discover::git_tracks(dir) {
                return Err(format!(
                    "the cache directory {shown} is tracked by git (committed to the \
                     repository); not used, so that a repository cannot supply results"
                ));
            }
        }
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create the cache directory {shown}: {e}"))?;
        // Keeps the cache out of commits, whatever the repository's own ignore files say.
        if let Ok(mut f) = std::fs::File::create_new(dir.join(".gitignore")) {
            let _ = f.write_all(b"# Created by pyaudit: the result cache is never committed.\n*\n");
        }
        let entries = dir.join(ENTRIES);
        match std::fs::symlink_metadata(&entries) {
            Ok(m) if !m.is_dir() => {
                return Err(format!(
                    "{} is not a directory (a symbolic link?); the cache is not used",
                    entries.display()
                ));
            }
            Ok(_) => {}
            Err(_) => std::fs::create_dir(&entries).map_err(|e| {
                format!(
                    "cannot create the cache directory {}: {e}",
                    entries.display()
                )
            })?,
        }
        let secret = secret_key()?;
        let mut h = blake3::Hasher::new();
        h.update(FORMAT.as_bytes());
        h.update(b"\0");
        h.update(BUILD_ID.as_bytes());
        h.update(b"\0");
        h.update(&engine);
        Ok(Cache {
            dir: dir.to_path_buf(),
            entries,
            secret,
            config: *h.finalize().as_bytes(),
            rejected: Rejected::default(),
            hits: AtomicUsize::new(0),
            written: AtomicUsize::new(0),
            write_failed: AtomicUsize::new(0),
            first_write_error: std::sync::Mutex::new(None),
            temp_counter: AtomicUsize::new(0),
        })
    }

    /// The key of `path` with these bytes (`content`, their BLAKE3 hash) in this
    /// `context` (zero for a file analysed on its own).
    pub fn key(&self, path: &Path, content: &blake3::Hash, context: &[u8; 32]) -> Key {
        let mut h = blake3::Hasher::new();
        h.update(&self.config);
        let p = path.as_os_str().as_encoded_bytes();
        h.update(&(p.len() as u64).to_le_bytes());
        h.update(p);
        h.update(content.as_bytes());
        h.update(context);
        Key(h.finalize())
    }

    fn slot(&self, path: &Path) -> PathBuf {
        let mut h = blake3::Hasher::new();
        h.update(&self.config);
        h.update(path.as_os_str().as_encoded_bytes());
        let name = h.finalize().to_hex();
        self.entries.join(&name[..32])
    }

    fn mac(&self, key: &Key, payload: &[u8]) -> blake3::Hash {
        let mut h = blake3::Hasher::new_keyed(&self.secret);
        h.update(key.0.as_bytes());
        h.update(payload);
        h.finalize()
    }

    /// The entry stored for `path` under `key`, if there is a sound one.
    pub fn load(&self, path: &Path, key: &Key) -> Option<Entry> {
        let count = |c: &AtomicUsize| {
            c.fetch_add(1, Ordering::Relaxed);
            None
        };
        let bytes = match bounded_read::read_no_follow(&self.slot(path), ENTRY_LIMIT) {
            Ok(b) => b,
            Err(BoundedReadError::NotFound) => return None,
            Err(BoundedReadError::NotRegular("a symbolic link")) => {
                return count(&self.rejected.links);
            }
            Err(_) => return count(&self.rejected.corrupt),
        };
        let mut parts = bytes.splitn(4, |&b| b == b'\n');
        let (Some(header), Some(stored_key), Some(mac), Some(payload)) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return count(&self.rejected.corrupt);
        };
        if !header.starts_with(b"pyaudit-cache ") {
            return count(&self.rejected.corrupt);
        }
        if header != format!("{FORMAT} {BUILD_ID}").as_bytes() {
            return count(&self.rejected.foreign);
        }
        if stored_key != key.0.to_hex().as_bytes() {
            // Written for other contents or another context: a plain miss.
            return None;
        }
        let Ok(mac) = blake3::Hash::from_hex(mac) else {
            return count(&self.rejected.corrupt);
        };
        // `Hash` compares in constant time.
        if mac != self.mac(key, payload) {
            return count(&self.rejected.unauthenticated);
        }
        match serde_json::from_slice::<Entry>(payload) {
            Ok(entry) => {
                self.hits.fetch_add(1, Ordering::Relaxed);
                Some(entry)
            }
            Err(_) => count(&self.rejected.corrupt),
        }
    }

    /// Stores `entry` for `path` under `key`, replacing what the slot held. Failures are
    /// counted and reported once; they never stop the scan.
    pub fn store(&self, path: &Path, key: &Key, entry: &EntryRef) {
        let done = self.encode(key, entry).and_then(|b| self.write(path, &b));
        self.account(done);
    }

    /// Moves the entries `batch` staged into their slots, unless it was spoiled (then they
    /// are removed). Temporary files an interrupted run left behind are removed too.
    pub fn commit(&self, batch: Batch) {
        let spoiled = batch.spoiled.load(Ordering::Relaxed);
        let entries = batch
            .entries
            .into_inner()
            .unwrap_or_else(|e| e.into_inner());
        for (path, staged) in entries {
            match (spoiled, staged) {
                (true, Ok(temp)) => {
                    let _ = std::fs::remove_file(temp);
                }
                (true, Err(_)) => {}
                (false, staged) => {
                    let done = staged.and_then(|temp| self.settle(&temp, &path));
                    self.account(done);
                }
            }
        }
        self.remove_stale_temps();
    }

    /// Removes temporary files over a day old: left by a run that was killed before its
    /// commit (a running scan's are younger).
    fn remove_stale_temps(&self) {
        let Ok(dir) = std::fs::read_dir(&self.entries) else {
            return;
        };
        let day = std::time::Duration::from_secs(24 * 3600);
        for e in dir.flatten() {
            let stale = e.file_name().as_encoded_bytes().starts_with(b".tmp-")
                && (e.metadata().ok())
                    .and_then(|m| m.modified().ok())
                    .and_then(|t| t.elapsed().ok())
                    .is_some_and(|age| age > day);
            if stale {
                let _ = std::fs::remove_file(e.path());
            }
        }
    }

    fn account(&self, done: Result<(), String>) {
        if let Err(e) = done {
            self.write_failed.fetch_add(1, Ordering::Relaxed);
            let mut first = self
                .first_write_error
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            first.get_or_insert(e);
        } else {
            self.written.fetch_add(1, Ordering::Relaxed);
        }
    }

    fn encode(&self, key: &Key, entry: &EntryRef) -> Encoded {
        let payload = serde_json::to_vec(entry).map_err(|e| e.to_string())?;
        let mut bytes = format!(
            "{FORMAT} {BUILD_ID}\n{}\n{}\n",
            key.0.to_hex(),
            self.mac(key, &payload).to_hex()
        )
        .into_bytes();
        bytes.extend_from_slice(&payload);
        Ok(bytes)
    }

    fn write(&self, path: &Path, bytes: &[u8]) -> Result<(), String> {
        let temp = self.stage(bytes)?;
        self.settle(&temp, path)
    }

    /// Writes `bytes` to a new temporary file of the entries directory.
    fn stage(&self, bytes: &[u8]) -> Result<PathBuf, String> {
        let temp = self.entries.join(format!(
            ".tmp-{}-{}",
            std::process::id(),
            self.temp_counter.fetch_add(1, Ordering::Relaxed)
        ));
        let written = std::fs::File::create_new(&temp).and_then(|mut f| f.write_all(bytes));
        if let Err(e) = written {
            let _ = std::fs::remove_file(&temp);
            return Err(format!("{}: {e}", self.entries.display()));
        }
        Ok(temp)
    }

    /// Moves the staged file `temp` into the slot of `path`.
    fn settle(&self, temp: &Path, path: &Path) -> Result<(), String> {
        // Rename replaces the slot itself, even if it is a symbolic link: nothing is
        // written through a link.
        if let Err(e) = std::fs::rename(temp, self.slot(path)) {
            let _ = std::fs::remove_file(temp);
            return Err(format!("{}: {e}", self.entries.display()));
        }
        Ok(())
    }

    /// What the cache did so far.
    pub fn stats(&self) -> Stats {
        let r = &self.rejected;
        Stats {
            hits: self.hits.load(Ordering::Relaxed),
            written: self.written.load(Ordering::Relaxed),
            rejected: [&r.foreign, &r.unauthenticated, &r.corrupt, &r.links]
                .iter()
                .map(|c| c.load(Ordering::Relaxed))
                .sum(),
        }
    }

    /// One line per kind of trouble the run had with the cache (at most two: entries not
    /// used, entries not written), ready for `pyaudit: warning: `.
    pub fn warnings(&self) -> Vec<String> {
        let r = &self.rejected;
        let kinds: Vec<String> = [
            (
                &r.unauthenticated,
                "failed authentication (forged, or written with another key)",
            ),
            (&r.corrupt, "corrupt or unreadable"),
            (&r.foreign, "written by another pyaudit build"),
            (&r.links, "symbolic links (not followed)"),
        ]
        .iter()
        .filter_map(|(c, what)| {
            let n = c.load(Ordering::Relaxed);
            (n > 0).then(|| format!("{n} {what}"))
        })
        .collect();
        let mut out = Vec::new();
        if !kinds.is_empty() {
            out.push(format!(
                "the cache {} had entries that were not used: {}; those files were analysed \
                 again",
                self.dir.display(),
                kinds.join(", ")
            ));
        }
        let failed = self.write_failed.load(Ordering::Relaxed);
        if failed > 0 {
            let first = self
                .first_write_error
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .clone()
                .unwrap_or_default();
            out.push(format!(
                "{failed} cache entries could not be written (first: {first})"
            ));
        }
        out
    }
}

/// The secret that authenticates entries: read from the user's cache directory, or made
/// there on first use (mode 0600; concurrent first runs agree on one key).
fn secret_key() -> Result<[u8; 32], String> {
    let dir = user_dir().ok_or_else(|| {
        "no user cache directory (HOME or XDG_CACHE_HOME is not set) for the cache's key; \
         the cache is not used"
            .to_string()
    })?;
    let file = dir.join(KEY_FILE);
    let shown = file.display();
    match bounded_read::read_no_follow(&file, 1024) {
        Ok(bytes) => {
            if crate::discover::git_tracks(&file) {
                return Err(format!(
                    "the cache key {shown} is tracked by git, so a repository could have                      chosen it; the cache is not used"
                ));
            }
            return parse_key(&file, &bytes);
        }
        Err(BoundedReadError::NotFound) => {}
        Err(e) => return Err(format!("the cache key {shown} {e}; the cache is not used")),
    }
    create_private_dir(&dir).map_err(|e| {
        format!(
            "cannot create {}: {e}; the cache is not used",
            dir.display()
        )
    })?;
    let mut secret = [0u8; 32];
    getrandom::fill(&mut secret)
        .map_err(|e| format!("no random source for the cache key ({e}); the cache is not used"))?;
    let temp = dir.join(format!("{KEY_FILE}.{}.tmp", std::process::id()));
    let made = write_private(&temp, blake3::Hash::from(secret).to_hex().as_bytes())
        // A hard link never replaces an existing key: a concurrent first run that won keeps
        // its key, and this run reads it.
        .and_then(|()| std::fs::hard_link(&temp, &file));
    let _ = std::fs::remove_file(&temp);
    match made {
        Ok(()) => Ok(secret),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            let bytes = bounded_read::read_no_follow(&file, 1024)
                .map_err(|e| format!("the cache key {shown} {e}; the cache is not used"))?;
            parse_key(&file, &bytes)
        }
        Err(e) => Err(format!(
            "cannot write the cache key {shown}: {e}; the cache is not used"
        )),
    }
}

fn parse_key(file: &Path, bytes: &[u8]) -> Result<[u8; 32], String> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        // A key others can write could have been chosen by them.
        if let Ok(m) = std::fs::metadata(file)
            && m.permissions().mode() & 0o022 != 0
        {
            return Err(format!(
                "the cache key {} is writable by other users; the cache is not used",
                file.display()
            ));
        }
    }
    let text = String::from_utf8_lossy(bytes);
    blake3::Hash::from_hex(text.trim())
        .map(|h| *h.as_bytes())
        .map_err(|_| {
            format!(
                "the cache key {} is malformed (delete it to make a new one); the cache is \
                 not used",
                file.display()
            )
        })
}

fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        b.mode(0o700);
    }
    b.create(dir)
}

fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    let mut f = o.open(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}
