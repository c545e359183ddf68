//! pyaudit's own JSON report: a versioned, documented shape (see `docs/output.md`).
//!
//! Fields are only ever added within a version; renaming or removing one bumps
//! [`JSON_VERSION`].

use super::Report;
use super::location::LineCache;
use super::text::char_col;
use crate::finding::{Confidence, DiagnosticKind, Finding, Position, Severity};
use crate::suppress::UnusedSuppression;
use serde::Serialize;
use std::collections::BTreeMap;

/// The version of the JSON shape.
pub const JSON_VERSION: u32 = 1;

#[derive(Serialize)]
struct Doc<'a> {
    version: u32,
    tool: ToolInfo,
    findings: Vec<JsonFinding<'a>>,
    diagnostics: Vec<JsonDiagnostic<'a>>,
    unused_suppressions: Vec<JsonUnused<'a>>,
    /// Notes on the scan as a whole (files left out by discovery, analysis that fell back
    /// to a cheaper mode), as the text report prints them on stderr.
    notes: Vec<&'a str>,
    summary: Summary,
}

#[derive(Serialize)]
struct ToolInfo {
    name: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
struct JsonPos {
    line: usize,
    /// 1-based, counted in Unicode characters.
    column: usize,
}

/// One finding as the JSON report and `json-lines` show it.
#[derive(Serialize)]
pub(super) struct JsonFinding<'a> {
    rule_id: &'a str,
    rule_name: &'a str,
    path: String,
    start: JsonPos,
    end: JsonPos,
    severity: Severity,
    confidence: Confidence,
    message: &'a str,
    line_text: &'a str,
    fingerprint: &'a str,
    suppressed: bool,
    /// Ids of the rules whose findings on the same call this one stands for.
    covers: Vec<&'a str>,
    /// In test code (`test-paths`): reported, but not gating unless `--gate-tests`.
    test_code: bool,
    flow: Vec<JsonStep<'a>>,
    /// The automatic fix, for a finding that has one: the edits `--fix` makes for it.
    #[serde(skip_serializing_if = "Option::is_none")]
    fix: Option<JsonFix<'a>>,
}

#[derive(Serialize)]
struct JsonFix<'a> {
    applicability: crate::fix::Safety,
    message: &'a str,
    edits: Vec<JsonEdit<'a>>,
}

#[derive(Serialize)]
struct JsonEdit<'a> {
    start: JsonEditPos,
    end: JsonEditPos,
    content: &'a str,
}

#[derive(Serialize)]
struct JsonEditPos {
    line: usize,
    /// 1-based, counted in Unicode characters.
    column: usize,
    /// 0-based byte offset in the file's text (UTF-8, after any byte-order mark).
    offset: usize,
}

#[derive(Serialize)]
struct JsonStep<'a> {
    start: JsonPos,
    end: JsonPos,
    note: &'a str,
}

#[derive(Serialize)]
struct JsonDiagnostic<'a> {
    path: String,
    kind: DiagnosticKind,
    line: Option<usize>,
    message: &'a str,
    not_fully_scanned: bool,
}

#[derive(Serialize)]
struct JsonUnused<'a> {
    path: String,
    line: usize,
    /// The rule named in the comment that silenced nothing; absent for a bare
    /// `# pyaudit: ignore`.
    rule: Option<&'a str>,
}

#[derive(Serialize)]
struct Summary {
    findings: usize,
    by_severity: BTreeMap<Severity, usize>,
    suppressed: usize,
    baselined: usize,
    files_scanned: usize,
    files_not_fully_scanned: usize,
    internal_errors: usize,
    fail_on: Severity,
    gate_failed: bool,
    /// Findings each filter hid (see `pyaudit scan --format sarif` for the findings).
    hidden: BTreeMap<crate::gate::HiddenKind, usize>,
    /// Reported findings in test code that do not gate.
    test_code: usize,
    /// Reported findings outside test code below `fail_on`.
    below_fail_on: usize,
}

fn pos(lines: &mut LineCache, f: &Finding, p: Position) -> JsonPos {
    JsonPos {
        line: p.line,
        column: lines.column(f, p, char_col),
    }
}

/// The JSON form of finding `f`.
pub(super) fn json_finding<'a>(
    report: &'a Report,
    lines: &mut LineCache,
    f: &'a Finding,
) -> JsonFinding<'a> {
    let path = |p: &std::path::Path| p.to_string_lossy().into_owned();
    JsonFinding {
        rule_id: &f.rule_id,
        rule_name: report.rule_name(f),
        path: path(&f.path),
        start: pos(lines, f, f.start),
        end: pos(lines, f, f.end),
        severity: f.severity,
        confidence: f.confidence,
        message: &f.message,
        line_text: &f.line_text,
        fingerprint: &f.fingerprint,
        suppressed: f.suppressed,
        covers: f.covered.iter().map(|c| c.rule_id.as_str()).collect(),
        test_code: f.test_code,
        flow: f
            .flow
            .iter()
            .map(|s| JsonStep {
                start: pos(lines, f, s.start),
                end: pos(lines, f, s.end),
                note: &s.note,
            })
            .collect(),
        // One fix per finding: its own, or that of the call-rule finding it covers.
        fix: crate::fix::fixes_of(f).next().map(|x| JsonFix {
            applicability: x.safety,
            message: &x.title,
            edits: x
                .edits
                .iter()
                .map(|e| JsonEdit {
                    start: edit_pos(lines, f, e.from, e.start),
                    end: edit_pos(lines, f, e.to, e.end),
                    content: &e.content,
                })
                .collect(),
        }),
    }
}

fn edit_pos(lines: &mut LineCache, f: &Finding, p: Position, offset: usize) -> JsonEditPos {
    let JsonPos { line, column } = pos(lines, f, p);
    JsonEditPos {
        line,
        column,
        offset,
    }
}

/// Renders the report as pretty-printed JSON.
pub fn render(report: &Report) -> String {
    let path = |p: &std::path::Path| p.to_string_lossy().into_owned();
    let mut lines = LineCache::new(report.result);
    let findings = report
        .findings
        .iter()
        .map(|f| json_finding(report, &mut lines, f))
        .collect();
    let diagnostics = report
        .result
        .diagnostics
        .iter()
        .map(|d| JsonDiagnostic {
            path: path(&d.path),
            kind: d.kind,
            line: d.line,
            message: &d.message,
            not_fully_scanned: d.kind.not_fully_scanned(),
        })
        .collect();
    let unused = report
        .result
        .unused_suppressions
        .iter()
        .map(|u: &UnusedSuppression| JsonUnused {
            path: path(&u.path),
            line: u.line,
            rule: u.rule.as_deref(),
        })
        .collect();
    let mut by_severity: BTreeMap<Severity, usize> =
        Severity::ALL.iter().map(|s| (*s, 0)).collect();
    let mut active = 0;
    for f in report.active() {
        active += 1;
        *by_severity.entry(f.severity).or_default() += 1;
    }
    let doc = Doc {
        version: JSON_VERSION,
        tool: ToolInfo {
            name: "pyaudit",
            version: env!("CARGO_PKG_VERSION"),
        },
        findings,
        diagnostics,
        unused_suppressions: unused,
        notes: report
            .result
            .walk_notes
            .iter()
            .map(String::as_str)
            .collect(),
        summary: Summary {
            findings: active,
            by_severity,
            suppressed: report.findings.len() - active,
            baselined: report.baselined,
            files_scanned: report.result.files_scanned,
            files_not_fully_scanned: report.result.files_with_errors(),
            internal_errors: report.result.internal_errors,
            fail_on: report.fail_on,
            gate_failed: report.gate_failed,
            hidden: report.tally.hidden.clone(),
            test_code: report.tally.test_code,
            below_fail_on: report.tally.below_fail_on,
        },
    };
    let mut out = serde_json::to_string_pretty(&doc).expect("JSON report always serializes");
    out.push('\n');
    super::inert::guard_json(out)
}
