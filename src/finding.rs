//! What a scan produces: findings, per-file diagnostics and the grading scales they carry.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::path::PathBuf;

/// How bad a finding is if it is real. Ordered from least to most severe.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    #[default]
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    /// All severities, least severe first.
    pub const ALL: [Severity; 4] = [
        Severity::Low,
        Severity::Medium,
        Severity::High,
        Severity::Critical,
    ];

    /// The lowercase name used in rule files, output and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    /// GitHub code scanning's numeric `security-severity` for this level
    /// (its bands: low < 4.0, medium < 7.0, high < 9.0, critical >= 9.0).
    pub fn security_severity(self) -> &'static str {
        match self {
            Severity::Low => "3.0",
            Severity::Medium => "5.5",
            Severity::High => "8.0",
            Severity::Critical => "9.5",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Severity {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "low" => Ok(Severity::Low),
            "medium" => Ok(Severity::Medium),
            "high" => Ok(Severity::High),
            "critical" => Ok(Severity::Critical),
            other => Err(format!(
                "unknown severity `{other}` (expected low, medium, high or critical)"
            )),
        }
    }
}

/// How sure the rule is that a match is a real problem. Ordered from least to most sure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Confidence {
    Low,
    Medium,
    High,
}

impl Confidence {
    /// The lowercase name used in rule files, output and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Confidence::Low => "low",
            Confidence::Medium => "medium",
            Confidence::High => "high",
        }
    }

    /// SARIF `precision` property for this confidence.
    pub fn sarif_precision(self) -> &'static str {
        match self {
            Confidence::Low => "low",
            Confidence::Medium => "medium",
            Confidence::High => "high",
        }
    }
}

impl fmt::Display for Confidence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Confidence {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "low" => Ok(Confidence::Low),
            "medium" => Ok(Confidence::Medium),
            "high" => Ok(Confidence::High),
            other => Err(format!(
                "unknown confidence `{other}` (expected low, medium or high)"
            )),
        }
    }
}

/// A point in a source file. `line` is 1-based; `byte_col` is the 0-based byte offset
/// within the line's UTF-8 text (reporters convert to characters or UTF-16 units).
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
pub struct Position {
    pub line: usize,
    pub byte_col: usize,
}

/// One step of a data-flow path (taint findings): where a value went and what happened to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlowStep {
    /// The file this step is in (a path may cross modules).
    pub path: PathBuf,
    pub start: Position,
    pub end: Position,
    /// What happens at this step, e.g. "source: request.get_json()" or "assigned to `cmd`".
    pub note: String,
}

/// One match of a rule in a file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// Index of the rule in the loaded [`crate::rules::RuleSet`].
    pub rule_index: usize,
    /// The rule's stable id, e.g. `PYA101`.
    pub rule_id: String,
    /// The file as it was reached by the walk (relative to the current directory when
    /// the user named a relative path).
    pub path: PathBuf,
    pub start: Position,
    pub end: Position,
    pub severity: Severity,
    pub confidence: Confidence,
    pub message: String,
    /// Text of the line `start` is on, without its line ending. Empty when that line is
    /// longer than [`crate::engine::MAX_LINE_TEXT_BYTES`] (a finding's line is otherwise
    /// never empty): reporters then show no snippet and a byte-based column.
    pub line_text: String,
    /// A hash of the rule, the finding's normalised source text and its occurrence index
    /// among identical texts in the file: stable when unrelated lines move.
    pub fingerprint: String,
    /// Data-flow steps from source to sink; empty for plain call rules.
    pub flow: Vec<FlowStep>,
    /// Set when an in-source `# pyaudit: ignore` silences this finding (the gate also sets
    /// it on a merged finding when one of the findings it covers is silenced).
    pub suppressed: bool,
    /// The automatic fix, when the rule has one that applies exactly here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fix: Option<crate::fix::Fix>,
    /// Findings of call rules on the same call that this taint finding stands for (see
    /// [`crate::dedup`]); `--select`, `--ignore` and suppressions answer to their ids too.
    pub covered: Vec<Finding>,
    /// Set by the gate when the file is test code (`test-paths`): reported, but not gating.
    pub test_code: bool,
}

impl Finding {
    /// The ids of the rules this finding answers to: its own, then those it covers.
    pub fn rule_ids(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.rule_id.as_str())
            .chain(self.covered.iter().map(|c| c.rule_id.as_str()))
    }
}

/// The kind of trouble a file gave the scanner.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DiagnosticKind {
    /// The file could not be read at all (permissions, vanished, I/O error).
    Unreadable,
    /// The file looks binary (NUL bytes) and was not analysed.
    Binary,
    /// The file is larger than the size limit and was not analysed.
    TooLarge,
    /// The file is not valid UTF-8; it was analysed with invalid bytes replaced.
    Encoding,
    /// The parser recovered from syntax errors; findings in broken regions may be missing.
    Syntax,
    /// The walk hit a problem (unreadable directory, a symbolic link not followed).
    Walk,
    /// The analysis of this file stopped early (e.g. a resource limit).
    Incomplete,
    /// The file was so large that it was analysed in parts; flows between parts may be
    /// missing.
    Split,
}

impl DiagnosticKind {
    /// Whether a file with this diagnostic was skipped or only partly analysed.
    pub fn not_fully_scanned(self) -> bool {
        !matches!(self, DiagnosticKind::Encoding)
    }

    /// The kebab-case name used in output.
    pub fn as_str(self) -> &'static str {
        match self {
            DiagnosticKind::Unreadable => "unreadable",
            DiagnosticKind::Binary => "binary",
            DiagnosticKind::TooLarge => "too-large",
            DiagnosticKind::Encoding => "encoding",
            DiagnosticKind::Syntax => "syntax",
            DiagnosticKind::Walk => "walk",
            DiagnosticKind::Incomplete => "incomplete",
            DiagnosticKind::Split => "split",
        }
    }
}

/// A problem with one input file or path, reported without stopping the scan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Diagnostic {
    pub path: PathBuf,
    pub kind: DiagnosticKind,
    /// Line the problem is on, where it has one.
    pub line: Option<usize>,
    pub message: String,
}
