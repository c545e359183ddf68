//! `--format gitlab`: a GitLab Code Quality report (a JSON array of issues), which GitLab
//! shows in merge requests when a job uploads it as `artifacts:reports:codequality`.
//!
//! Fields follow GitLab's Code Quality subset of the Code Climate issue format:
//! `description`, `check_name`, `fingerprint` (unique per issue), `severity` (`info`,
//! `minor`, `major`, `critical`, `blocker`) and `location.path` / `location.lines.begin`,
//! the path relative to the repository root.

use super::Report;
use crate::finding::Severity;
use serde::Serialize;

#[derive(Serialize)]
struct Issue {
    #[serde(rename = "type")]
    kind: &'static str,
    description: String,
    check_name: String,
    categories: [&'static str; 1],
    fingerprint: String,
    severity: &'static str,
    location: Location,
}

#[derive(Serialize)]
struct Location {
    path: String,
    lines: Lines,
}

#[derive(Serialize)]
struct Lines {
    begin: usize,
    end: usize,
}

/// GitLab's severity for ours.
fn severity(s: Severity) -> &'static str {
    match s {
        Severity::Low => "minor",
        Severity::Medium => "major",
        Severity::High => "critical",
        Severity::Critical => "blocker",
    }
}

/// Renders the active findings as a Code Quality report. A finding's own fingerprint does
/// not include its path (so it survives renames in baselines); GitLab needs one unique per
/// report, so the path is hashed in.
pub fn render(report: &Report) -> String {
    let issues: Vec<Issue> = report
        .active()
        .map(|f| {
            let path = report.root.display(&f.path);
            let name = report.rule_name(f);
            Issue {
                kind: "issue",
                description: format!("{} {}: {}", f.rule_id, name, f.message),
                check_name: f.rule_id.clone(),
                categories: ["Security"],
                fingerprint: format!(
                    "{:016x}",
                    crate::engine::fingerprint::fnv1a(&[path.as_bytes(), f.fingerprint.as_bytes()])
                ),
                severity: severity(f.severity),
                location: Location {
                    path,
                    lines: Lines {
                        begin: f.start.line,
                        end: f.end.line,
                    },
                },
            }
        })
        .collect();
    let mut out = serde_json::to_string_pretty(&issues).expect("issues always serialize");
    out.push('\n');
    out
}
