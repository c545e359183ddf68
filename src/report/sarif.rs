//! SARIF 2.1.0 output shaped for GitHub code scanning.
//!
//! Hand-written serde structs: only the subset of the format pyaudit fills in, with field
//! names as the OASIS schema spells them. Paths are relative to the project root and carry
//! `uriBaseId: %SRCROOT%`; columns count UTF-16 code units (the SARIF default `columnKind`).

use super::Report;
use super::inert;
use super::location::{LineCache, ProjectRoot, file_uri, relative_uri, utf16_col};
use crate::explain::explain;
use crate::finding::{Diagnostic, DiagnosticKind, Finding, Position, Severity};
use crate::rules::Rule;
use serde::Serialize;
use std::path::Path;

/// The `uriBaseId` every location is relative to.
pub const SRCROOT: &str = "%SRCROOT%";

/// The `partialFingerprints` key holding [`Finding::fingerprint`]. Versioned so a future
/// change of the fingerprint algorithm can use a new key instead of silently re-keying alerts.
pub const FINGERPRINT_KEY: &str = "pyaudit/v1";

/// GitHub's code-scanning limit on tags per rule (more is an upload error).
const MAX_TAGS: usize = 20;

#[derive(Serialize)]
struct Log {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: Vec<Run>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Run {
    tool: Tool,
    original_uri_base_ids: std::collections::BTreeMap<&'static str, ArtifactLocation>,
    invocations: Vec<Invocation>,
    results: Vec<SarifResult>,
    column_kind: &'static str,
    properties: RunProperties,
}

/// What the run took from outside pyaudit itself, so a reviewer sees it in the log.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RunProperties {
    /// Rules loaded from rule directories: `ID (file)`.
    user_rules: Vec<String>,
    /// Taint-model files loaded from rule directories.
    user_taint_models: Vec<String>,
    /// Python files discovery left out, by reason.
    skipped_files: std::collections::BTreeMap<&'static str, usize>,
}

#[derive(Serialize)]
struct Tool {
    driver: Driver,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver {
    name: &'static str,
    version: &'static str,
    semantic_version: &'static str,
    information_uri: &'static str,
    rules: Vec<ReportingDescriptor>,
}

#[derive(Serialize)]
struct Text {
    text: String,
}

fn text(s: impl Into<String>) -> Text {
    Text { text: s.into() }
}

/// A `message` object: its text may quote the scanned code or a user rule, so brackets are
/// escaped and it can never form an embedded link (see [`inert::sarif_message`]).
fn message(s: &str) -> Text {
    text(inert::sarif_message(s))
}

/// Whether a rule ships with pyaudit (its text is trusted Markdown) rather than coming from
/// a rule file given with `--rules` or `rules-dirs`.
fn is_builtin(rule: &Rule) -> bool {
    rule.origin.starts_with("builtin:")
}

#[derive(Serialize)]
struct MultiformatText {
    text: String,
    markdown: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ReportingDescriptor {
    id: String,
    name: String,
    short_description: Text,
    full_description: Text,
    help: MultiformatText,
    #[serde(skip_serializing_if = "Option::is_none")]
    help_uri: Option<String>,
    default_configuration: Configuration,
    properties: RuleProperties,
}

#[derive(Serialize)]
struct Configuration {
    level: &'static str,
}

#[derive(Serialize)]
struct RuleProperties {
    tags: Vec<String>,
    precision: &'static str,
    #[serde(rename = "problem.severity")]
    problem_severity: &'static str,
    #[serde(rename = "security-severity")]
    security_severity: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Invocation {
    execution_successful: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tool_execution_notifications: Vec<Notification>,
}

#[derive(Serialize)]
struct Notification {
    level: &'static str,
    message: Text,
    descriptor: DescriptorReference,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    locations: Vec<Location>,
}

#[derive(Serialize)]
struct DescriptorReference {
    id: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult {
    rule_id: String,
    rule_index: usize,
    level: &'static str,
    message: Text,
    locations: Vec<Location>,
    partial_fingerprints: std::collections::BTreeMap<&'static str, String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    code_flows: Vec<CodeFlow>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    suppressions: Vec<Suppression>,
    properties: ResultProperties,
}

#[derive(Serialize)]
struct ResultProperties {
    severity: Severity,
    confidence: crate::finding::Confidence,
}

#[derive(Serialize)]
struct Suppression {
    kind: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Location {
    physical_location: PhysicalLocation,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<Text>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation {
    artifact_location: ArtifactLocation,
    #[serde(skip_serializing_if = "Option::is_none")]
    region: Option<Region>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ArtifactLocation {
    uri: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    uri_base_id: Option<&'static str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    start_column: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    end_line: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    end_column: Option<usize>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CodeFlow {
    thread_flows: Vec<ThreadFlow>,
}

#[derive(Serialize)]
struct ThreadFlow {
    locations: Vec<ThreadFlowLocation>,
}

#[derive(Serialize)]
struct ThreadFlowLocation {
    location: Location,
}

/// SARIF `level` for a severity: GitHub shows `error` and `warning` as such and `note` as a
/// low-priority result.
pub fn level(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low => "note",
    }
}

fn artifact(root: &ProjectRoot, path: &Path) -> ArtifactLocation {
    match root.relative(path) {
        Some(rel) => ArtifactLocation {
            uri: relative_uri(&rel),
            uri_base_id: Some(SRCROOT),
        },
        // Outside the project root: an absolute URI is still a valid location.
        None => ArtifactLocation {
            uri: file_uri(&root.absolute(path)),
            uri_base_id: None,
        },
    }
}

/// Builds regions, re-reading a file only for positions off the finding's first line.
struct Regions<'a> {
    lines: LineCache,
    root: &'a ProjectRoot,
}

impl Regions<'_> {
    fn location(&mut self, f: &Finding, start: Position, end: Position) -> PhysicalLocation {
        let region = Region {
            start_line: start.line,
            start_column: Some(self.lines.column(f, start, utf16_col)),
            end_line: Some(end.line),
            end_column: Some(self.lines.column(f, end, utf16_col)),
        };
        PhysicalLocation {
            artifact_location: artifact(self.root, &f.path),
            region: Some(region),
        }
    }
}

fn rule_descriptor(rule: &Rule) -> ReportingDescriptor {
    let mut tags = vec!["security".to_string()];
    tags.extend(rule.cwe.iter().map(|c| format!("external/cwe/cwe-{c}")));
    for t in &rule.tags {
        if !tags.contains(t) {
            tags.push(t.clone());
        }
    }
    tags.truncate(MAX_TAGS);
    let lvl = level(rule.severity);
    let help_text = format!("{}\n\n{}", rule.description.trim(), rule.help.trim());
    // A user rule's text could carry HTML, images or links for the code-scanning page that
    // renders it; built-in text is ours and shown as written.
    let (summary, description, help_text, markdown) = if is_builtin(rule) {
        (
            rule.summary.trim().to_string(),
            rule.description.trim().to_string(),
            help_text,
            explain(rule),
        )
    } else {
        (
            inert::plain(rule.summary.trim()),
            inert::plain(rule.description.trim()),
            inert::plain(&help_text),
            inert::markdown(&explain(rule)),
        )
    };
    ReportingDescriptor {
        id: rule.id.clone(),
        name: rule.name.clone(),
        short_description: text(summary),
        full_description: text(description),
        help: MultiformatText {
            text: help_text,
            markdown,
        },
        // A viewer links to it: from a user rule, only an https URL.
        help_uri: rule
            .help_uri
            .clone()
            .filter(|u| is_builtin(rule) || inert::is_https(u)),
        default_configuration: Configuration { level: lvl },
        properties: RuleProperties {
            tags,
            precision: rule.confidence.sarif_precision(),
            problem_severity: if lvl == "note" { "recommendation" } else { lvl },
            security_severity: rule.severity.security_severity(),
        },
    }
}

fn notification(root: &ProjectRoot, d: &Diagnostic) -> Notification {
    // A file that was not analysed at all, or whose analysis broke off, is an error in the
    // run; one analysed in a repaired form is a warning.
    let lvl = match d.kind {
        DiagnosticKind::Unreadable | DiagnosticKind::Incomplete => "error",
        _ => "warning",
    };
    Notification {
        level: lvl,
        message: message(&format!("{}: {}", d.kind.as_str(), d.message)),
        descriptor: DescriptorReference {
            id: d.kind.as_str(),
        },
        locations: vec![Location {
            physical_location: PhysicalLocation {
                artifact_location: artifact(root, &d.path),
                region: d.line.map(|l| Region {
                    start_line: l,
                    start_column: None,
                    end_line: None,
                    end_column: None,
                }),
            },
            message: None,
        }],
    }
}

/// Notes on discovery: how many Python files were skipped and why, and how files were listed.
fn walk_notifications(report: &Report) -> Vec<Notification> {
    let note = |id: &'static str, msg: String| Notification {
        level: "note",
        message: message(&msg),
        descriptor: DescriptorReference { id },
        locations: Vec::new(),
    };
    let mut out: Vec<Notification> = crate::discover::skip_summary(&report.result.skipped)
        .map(|m| note("skipped-files", m))
        .into_iter()
        .collect();
    out.extend(
        report
            .result
            .walk_notes
            .iter()
            .map(|n| note("discovery", n.clone())),
    );
    out
}

/// Renders the report as a pretty-printed SARIF 2.1.0 log with one run.
pub fn render(report: &Report) -> String {
    let mut regions = Regions {
        lines: LineCache::new(report.result),
        root: report.root,
    };
    let mut results = Vec::with_capacity(report.findings.len());
    for f in &report.findings {
        let code_flows = if f.flow.is_empty() {
            Vec::new()
        } else {
            let locations = f
                .flow
                .iter()
                .map(|step| ThreadFlowLocation {
                    location: Location {
                        physical_location: regions.location(f, step.start, step.end),
                        message: Some(message(&step.note)),
                    },
                })
                .collect();
            vec![CodeFlow {
                thread_flows: vec![ThreadFlow { locations }],
            }]
        };
        results.push(SarifResult {
            rule_id: f.rule_id.clone(),
            rule_index: f.rule_index,
            level: level(f.severity),
            message: message(&f.message),
            locations: vec![Location {
                physical_location: regions.location(f, f.start, f.end),
                message: None,
            }],
            partial_fingerprints: [(FINGERPRINT_KEY, f.fingerprint.clone())].into(),
            code_flows,
            suppressions: if f.suppressed {
                vec![Suppression { kind: "inSource" }]
            } else {
                Vec::new()
            },
            properties: ResultProperties {
                severity: f.severity,
                confidence: f.confidence,
            },
        });
    }
    let log = Log {
        schema: "https://json.schemastore.org/sarif-2.1.0.json",
        version: "2.1.0",
        runs: vec![Run {
            tool: Tool {
                driver: Driver {
                    name: "pyaudit",
                    version: env!("CARGO_PKG_VERSION"),
                    semantic_version: env!("CARGO_PKG_VERSION"),
                    information_uri: env!("CARGO_PKG_REPOSITORY"),
                    rules: report.rules.rules().iter().map(rule_descriptor).collect(),
                },
            },
            original_uri_base_ids: [(
                SRCROOT,
                ArtifactLocation {
                    uri: report.root.uri(),
                    uri_base_id: None,
                },
            )]
            .into(),
            invocations: vec![Invocation {
                execution_successful: report.execution_successful,
                tool_execution_notifications: report
                    .result
                    .diagnostics
                    .iter()
                    .map(|d| notification(report.root, d))
                    .chain(walk_notifications(report))
                    .collect(),
            }],
            results,
            column_kind: "utf16CodeUnits",
            properties: RunProperties {
                user_rules: report
                    .rules
                    .user_rules()
                    .into_iter()
                    .map(|(id, file)| format!("{id} ({file})"))
                    .collect(),
                user_taint_models: report.rules.user_models().to_vec(),
                skipped_files: crate::discover::skip_counts(&report.result.skipped)
                    .into_iter()
                    .map(|(r, n)| (r.as_str(), n))
                    .collect(),
            },
        }],
    };
    let mut out = serde_json::to_string_pretty(&log).expect("SARIF structs always serialize");
    out.push('\n');
    super::inert::guard_json(out)
}
