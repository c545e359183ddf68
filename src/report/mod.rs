//! Reporters: turning a [`crate::scan::ScanResult`] into text for people or machines.

pub mod concise;
pub mod github;
pub mod gitlab;
pub mod html;
pub mod inert;
pub mod json;
pub mod jsonl;
pub mod junit;
pub mod location;
pub mod sarif;
pub mod statistics;
pub mod terminal;
pub mod text;

use crate::finding::{Finding, Severity};
use crate::rules::RuleSet;
use crate::scan::ScanResult;
use location::ProjectRoot;

/// `--format` values.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// Human-readable, with source excerpts.
    #[default]
    Text,
    /// pyaudit's own versioned JSON (see docs/output.md).
    Json,
    /// SARIF 2.1.0, for GitHub code scanning and other SARIF consumers.
    Sarif,
    /// GitHub Actions workflow commands that annotate the pull request.
    Github,
    /// One line per finding: `path:line:col: ID [severity] message`.
    Concise,
    /// One JSON object per finding and line (the `findings` items of `json`).
    #[serde(rename = "json-lines")]
    JsonLines,
    /// A GitLab Code Quality report.
    Gitlab,
    /// JUnit XML: one failing test case per finding.
    Junit,
    /// A self-contained HTML audit report (see docs/output.md).
    Html,
}

impl Format {
    /// Whether the format is meant for programs rather than people.
    pub fn is_machine(self) -> bool {
        !matches!(self, Format::Text | Format::Concise)
    }
}

/// Everything a machine-readable reporter needs, after gating: the findings to report (those
/// silenced in the source included, flagged `suppressed`; baselined and low-confidence ones
/// already removed).
#[derive(Debug)]
pub struct Report<'a> {
    pub result: &'a ScanResult,
    pub findings: Vec<&'a Finding>,
    /// Findings a filter hid, with the reason (SARIF keeps them as suppressed results).
    pub hidden: Vec<(&'a Finding, crate::gate::Hidden)>,
    /// What each filter hid and what does not gate, for summaries.
    pub tally: crate::gate::Tally,
    pub rules: &'a RuleSet,
    pub root: &'a ProjectRoot,
    /// Findings hidden because the baseline lists them.
    pub baselined: usize,
    /// The least severity that fails the run.
    pub fail_on: Severity,
    /// Whether the run fails the gate (exit 1) because of its findings.
    pub gate_failed: bool,
    /// False when pyaudit itself failed somewhere (SARIF `executionSuccessful`).
    pub execution_successful: bool,
}

impl Report<'_> {
    /// The findings that count: not silenced in the source.
    pub fn active(&self) -> impl Iterator<Item = &&Finding> {
        self.findings.iter().filter(|f| !f.suppressed)
    }

    /// The name of the rule that produced `f` (empty if it is not in the set).
    pub fn rule_name(&self, f: &Finding) -> &str {
        self.rules
            .rules()
            .get(f.rule_index)
            .map_or("", |r| r.name.as_str())
    }
}
