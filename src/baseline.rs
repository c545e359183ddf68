//! Baselines: a record of today's findings, so a team can adopt pyaudit on an old codebase
//! and fail CI only on new ones.
//!
//! Findings are matched by rule id, project-relative path and fingerprint (see
//! [`crate::engine::fingerprint`]): moving code within its file keeps it matched, while a
//! second copy of the same bug has a new occurrence index and so a new fingerprint. The
//! file format is documented in `docs/ci.md`.

use crate::finding::Finding;
use crate::report::location::ProjectRoot;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::Path;

/// The version of the baseline file format.
pub const BASELINE_VERSION: u32 = 1;

/// One recorded finding. `line` and `message` are for people reading the file; matching
/// ignores them.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Entry {
    pub path: String,
    pub rule_id: String,
    pub fingerprint: String,
    #[serde(default)]
    pub line: usize,
    #[serde(default)]
    pub message: String,
}

/// A baseline file.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Baseline {
    pub version: u32,
    pub findings: Vec<Entry>,
}

type Key = (String, String, String);

impl Baseline {
    /// Records `findings` (paths made relative to `root`), sorted for stable diffs.
    pub fn record<'a>(findings: impl IntoIterator<Item = &'a Finding>, root: &ProjectRoot) -> Self {
        let mut entries: Vec<Entry> = findings
            .into_iter()
            .map(|f| Entry {
                path: root.display(&f.path),
                rule_id: f.rule_id.clone(),
                fingerprint: f.fingerprint.clone(),
                line: f.start.line,
                message: f.message.clone(),
            })
            .collect();
        entries.sort();
        Baseline {
            version: BASELINE_VERSION,
            findings: entries,
        }
    }

    /// Reads a baseline file.
    pub fn read(path: &Path) -> Result<Baseline, String> {
        let text = crate::bounded_read::read_text(path, crate::bounded_read::DATA_LIMIT)
            .map_err(|e| format!("{}: baseline {e}", path.display()))?;
        let b: Baseline = serde_json::from_str(&text).map_err(|e| {
            format!(
                "{}:{}:{}: not a pyaudit baseline: {e}",
                path.display(),
                e.line(),
                e.column()
            )
        })?;
        if b.version != BASELINE_VERSION {
            return Err(format!(
                "{}: baseline version {} is not supported (this pyaudit writes version \
                 {BASELINE_VERSION}; record it again with --write-baseline)",
                path.display(),
                b.version
            ));
        }
        Ok(b)
    }

    /// Writes the baseline as pretty JSON.
    pub fn write(&self, path: &Path) -> std::io::Result<()> {
        let mut text = serde_json::to_string_pretty(self).map_err(std::io::Error::other)?;
        text.push('\n');
        std::fs::write(path, text)
    }

    /// A matcher that consumes entries, so N recorded copies hide at most N findings.
    pub fn matcher(&self) -> Matcher {
        let mut left: HashMap<Key, usize> = HashMap::new();
        for e in &self.findings {
            *left
                .entry((e.path.clone(), e.rule_id.clone(), e.fingerprint.clone()))
                .or_default() += 1;
        }
        Matcher { left }
    }
}

/// Matches findings against a baseline.
#[derive(Debug)]
pub struct Matcher {
    left: HashMap<Key, usize>,
}

impl Matcher {
    /// Whether the baseline lists `f` (and uses up that entry).
    pub fn take(&mut self, f: &Finding, root: &ProjectRoot) -> bool {
        let key = (
            root.display(&f.path),
            f.rule_id.clone(),
            f.fingerprint.clone(),
        );
        match self.left.get_mut(&key) {
            Some(n) if *n > 0 => {
                *n -= 1;
                true
            }
            _ => false,
        }
    }
}
