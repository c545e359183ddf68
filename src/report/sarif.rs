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
    #[serde(skip_serializing_if = "Vec::is_empty")]
    relationships: Vec<Relationship>,
}

/// Ties a sub-rule descriptor to the rule it is part of.
#[derive(Serialize)]
struct Relationship {
    target: RuleReference,
    kinds: Vec<&'static str>,
}

#[derive(Serialize)]
struct RuleReference {
    id: String,
    index: usize,
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
    /// 0-100; test code ranks lower than the same finding elsewhere.
    rank: f64,
    properties: ResultProperties,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ResultProperties {
    severity: Severity,
    confidence: crate::finding::Confidence,
    /// Rules whose findings on the same call this one stands for (see `crate::dedup`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    covers: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tags: Vec<&'static str>,
}

#[derive(Serialize)]
struct Suppression {
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    justification: Option<String>,
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
        relationships: Vec::new(),
    }
}

/// The id of the sub-rule for a rule's findings at a severity other than its own.
fn sub_rule_id(rule_id: &str, severity: Severity) -> String {
    format!("{rule_id}/{severity}")
}

/// A descriptor for the findings of `rule` (at `index`) that have `severity`: GitHub shows
/// the severity of a result's rule descriptor, not of the result, so a rule whose findings
/// differ in severity gets one descriptor per severity it produces.
fn sub_rule_descriptor(rule: &Rule, index: usize, severity: Severity) -> ReportingDescriptor {
    let mut d = rule_descriptor(rule);
    let lvl = level(severity);
    d.id = sub_rule_id(&rule.id, severity);
    d.name = format!("{}/{severity}", rule.name);
    d.short_description = text(format!("{} ({severity} findings)", rule.summary.trim()));
    d.default_configuration = Configuration { level: lvl };
    d.properties.problem_severity = if lvl == "note" { "recommendation" } else { lvl };
    d.properties.security_severity = severity.security_severity();
    d.relationships = vec![Relationship {
        target: RuleReference {
            id: rule.id.clone(),
            index,
        },
        kinds: vec!["subset"],
    }];
    d
}

/// SARIF `rank` (0-100): the severity's weight, a tenth of it in test code.
fn rank(f: &Finding) -> f64 {
    let base: f64 = f.severity.security_severity().parse().unwrap_or(5.0) * 10.0;
    if f.test_code { base / 10.0 } else { base }
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

/// Where a data-flow step is: in its own file, which may not be the finding's.
fn step_location(
    regions: &mut Regions,
    f: &Finding,
    step: &crate::finding::FlowStep,
) -> PhysicalLocation {
    if step.path.as_os_str().is_empty() || step.path == f.path {
        return regions.location(f, step.start, step.end);
    }
    let mut column = |p: Position| {
        regions
            .lines
            .line(&step.path, p.line)
            .map_or(p.byte_col + 1, |l| utf16_col(l, p.byte_col))
    };
    let region = Region {
        start_line: step.start.line,
        start_column: Some(column(step.start)),
        end_line: Some(step.end.line),
        end_column: Some(column(step.end)),
    };
    PhysicalLocation {
        artifact_location: artifact(regions.root, &step.path),
        region: Some(region),
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
    let rules = report.rules.rules();
    let mut descriptors: Vec<ReportingDescriptor> = rules.iter().map(rule_descriptor).collect();
    // (rule index, severity) -> index of its sub-rule descriptor, in a fixed order.
    let mut subs: std::collections::BTreeMap<(usize, Severity), usize> = Default::default();
    let all = report
        .findings
        .iter()
        .map(|f| (*f, None))
        .chain(report.hidden.iter().map(|(f, h)| (*f, Some(h))));
    let all: Vec<(&Finding, Option<&crate::gate::Hidden>)> = all.collect();
    for (f, _) in &all {
        if let Some(rule) = rules.get(f.rule_index)
            && rule.severity != f.severity
        {
            subs.entry((f.rule_index, f.severity)).or_insert(0);
        }
    }
    for ((ri, sev), slot) in subs.iter_mut() {
        *slot = descriptors.len();
        descriptors.push(sub_rule_descriptor(&rules[*ri], *ri, *sev));
    }
    let mut results = Vec::with_capacity(all.len());
    for (f, hidden) in all {
        let code_flows = if f.flow.is_empty() {
            Vec::new()
        } else {
            let locations = f
                .flow
                .iter()
                .map(|step| ThreadFlowLocation {
                    location: Location {
                        physical_location: step_location(&mut regions, f, step),
                        message: Some(message(&step.note)),
                    },
                })
                .collect();
            vec![CodeFlow {
                thread_flows: vec![ThreadFlow { locations }],
            }]
        };
        let (rule_id, rule_index) = match subs.get(&(f.rule_index, f.severity)) {
            Some(&i) => (sub_rule_id(&f.rule_id, f.severity), i),
            None => (f.rule_id.clone(), f.rule_index),
        };
        let mut suppressions = Vec::new();
        if f.suppressed {
            suppressions.push(Suppression {
                kind: "inSource",
                justification: None,
            });
        }
        if let Some(h) = hidden {
            suppressions.push(Suppression {
                kind: "external",
                justification: Some(h.justification()),
            });
        }
        results.push(SarifResult {
            rule_id,
            rule_index,
            level: level(f.severity),
            message: message(&f.message),
            locations: vec![Location {
                physical_location: regions.location(f, f.start, f.end),
                message: None,
            }],
            partial_fingerprints: [(FINGERPRINT_KEY, f.fingerprint.clone())].into(),
            code_flows,
            suppressions,
            rank: rank(f),
            properties: ResultProperties {
                severity: f.severity,
                confidence: f.confidence,
                covers: f.covered.iter().map(|c| c.rule_id.clone()).collect(),
                tags: if f.test_code {
                    vec!["test"]
                } else {
                    Vec::new()
                },
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
                    rules: descriptors,
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
