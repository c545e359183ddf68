//! After the scan: which findings are reported (per-file ignores, minimum confidence,
//! baseline), where the report goes, and the exit code of the CI gate.

use crate::baseline::Baseline;
use crate::finding::{Finding, Severity};
use crate::report::terminal::escape;
use crate::report::{self, Format, Report, text};
use crate::rules::RuleSet;
use crate::scan::ScanResult;
use crate::settings::Settings;
use std::io::Write;
use std::process::ExitCode;

/// The findings a run reports, and how many the baseline hid.
#[derive(Debug)]
pub struct Selected<'a> {
    /// Sorted as the scan sorted them; suppressed ones included (flagged).
    pub findings: Vec<&'a Finding>,
    pub baselined: usize,
    /// The findings the baseline matched, for reports that list them.
    pub baselined_findings: Vec<&'a Finding>,
}

/// Findings of enabled rules outside `per-file-ignores`, before any other filter: what a
/// baseline records (so raising `min-confidence` later never surfaces old findings).
pub fn in_scope<'a>(
    result: &'a ScanResult,
    settings: &Settings,
    rules: &RuleSet,
) -> Vec<&'a Finding> {
    result
        .findings
        .iter()
        .filter(|f| {
            let name = rules
                .rules()
                .get(f.rule_index)
                .map_or("", |r| r.name.as_str());
            !settings.ignored_in_file(&f.path, &f.rule_id, name)
        })
        .collect()
}

/// Applies `min-confidence` and the baseline to [`in_scope`] findings.
pub fn select<'a>(
    result: &'a ScanResult,
    settings: &Settings,
    rules: &RuleSet,
    baseline: Option<&Baseline>,
) -> Selected<'a> {
    let mut matcher = baseline.map(Baseline::matcher);
    let mut baselined_findings = Vec::new();
    let findings = in_scope(result, settings, rules)
        .into_iter()
        .filter(|f| f.confidence >= settings.min_confidence)
        .filter(|f| {
            let known =
                !f.suppressed && matcher.as_mut().is_some_and(|m| m.take(f, &settings.root));
            if known {
                baselined_findings.push(*f);
            }
            !known
        })
        .collect();
    Selected {
        findings,
        baselined: baselined_findings.len(),
        baselined_findings,
    }
}

/// Whether any finding that counts is at or above `fail_on`.
pub fn fails(findings: &[&Finding], fail_on: Severity) -> bool {
    findings
        .iter()
        .any(|f| !f.suppressed && f.severity >= fail_on)
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The summary line that explains a `--strict` failure.
fn strict_note(files: usize) -> String {
    format!(
        "--strict: failing the run because {} could not be fully scanned.\n",
        plural(files, "file", "files")
    )
}

/// Human-readable warnings: per-file diagnostics and unused suppressions.
fn warnings(result: &ScanResult) -> String {
    let mut out = String::new();
    for d in &result.diagnostics {
        text::render_diagnostic(&mut out, d);
    }
    let bold = anstyle::Style::new().bold();
    let warn = anstyle::AnsiColor::Yellow.on_default().bold();
    for u in &result.unused_suppressions {
        let what = match &u.rule {
            Some(r) => format!("`# pyaudit: ignore[{}]`: nothing to silence", escape(r)),
            None => "`# pyaudit: ignore`: nothing to silence".into(),
        };
        let path = escape(&u.path.to_string_lossy());
        out.push_str(&format!(
            "{bold}{path}:{}:{bold:#} {warn}warning[unused-suppression]:{warn:#} {what}\n",
            u.line
        ));
    }
    out
}

/// The text report: findings (suppressed ones too with `--show-suppressed`) and summary.
fn human(
    report: &Report,
    show_suppressed: bool,
    baseline: Option<&std::path::Path>,
    strict_failed: bool,
) -> String {
    let mut out = String::new();
    for f in &report.findings {
        if show_suppressed || !f.suppressed {
            text::render_finding(&mut out, f, report.rules);
        }
    }
    text::render_summary(&mut out, report.result, &report.findings);
    if let (Some(path), n) = (baseline, report.baselined)
        && n > 0
    {
        out.push_str(&format!(
            "{} hidden by the baseline {}.\n",
            plural(n, "finding", "findings"),
            path.display()
        ));
    }
    if strict_failed {
        out.push_str(&strict_note(report.result.files_with_errors()));
    }
    out
}

/// Writes the report where the settings say, prints warnings and the summary, and returns
/// the exit code: 2 for internal errors, 0 with `--exit-zero` or `--write-baseline`, 1 when
/// a finding at or above `fail-on` remains or (`strict`) a file was not fully scanned,
/// else 0.
pub fn finish(
    color: anstream::ColorChoice,
    settings: &Settings,
    rules: &RuleSet,
    result: &ScanResult,
    strict: bool,
) -> Result<ExitCode, String> {
    let mut stderr = anstream::AutoStream::new(std::io::stderr().lock(), color);
    let io = |e: std::io::Error| e.to_string();
    stderr.write_all(warnings(result).as_bytes()).map_err(io)?;

    if let Some(path) = &settings.ci.write_baseline {
        let scoped = in_scope(result, settings, rules);
        let b = Baseline::record(scoped.into_iter().filter(|f| !f.suppressed), &settings.root);
        b.write(path)
            .map_err(|e| format!("{}: cannot write baseline: {e}", path.display()))?;
        writeln!(
            stderr,
            "pyaudit: recorded {} in {}",
            plural(b.findings.len(), "finding", "findings"),
            path.display()
        )
        .map_err(io)?;
        return Ok(if result.internal_errors > 0 {
            ExitCode::from(2)
        } else {
            ExitCode::SUCCESS
        });
    }

    let baseline = match &settings.ci.baseline {
        Some(p) => Some(Baseline::read(p)?),
        None => None,
    };
    let selected = select(result, settings, rules, baseline.as_ref());
    let not_fully_scanned = result.files_with_errors();
    // A strict failure is a verdict on the scan's coverage, like a finding: exit 1. Exit 2
    // stays reserved for pyaudit itself not working (see docs/robustness.md).
    let strict_failed = strict && not_fully_scanned > 0;
    let gate_failed = fails(&selected.findings, settings.fail_on) || strict_failed;
    let report = Report {
        result,
        findings: selected.findings.clone(),
        rules,
        root: &settings.root,
        baselined: selected.baselined,
        fail_on: settings.fail_on,
        gate_failed,
        // Files left unscanned make the run's result incomplete: say so to SARIF consumers.
        execution_successful: result.internal_errors == 0 && not_fully_scanned == 0,
    };
    let format = settings.ci.format;
    let rendered = match format {
        Format::Text => human(
            &report,
            settings.ci.show_suppressed,
            settings.ci.baseline.as_deref(),
            strict_failed,
        ),
        Format::Json => report::json::render(&report),
        Format::Sarif => report::sarif::render(&report),
        Format::Github => report::github::render(&report),
        Format::Html => report::html::render(
            &report,
            &report::html::Extras {
                settings,
                baselined: selected.baselined_findings.clone(),
            },
        ),
    };
    let mut stdout = anstream::AutoStream::new(std::io::stdout().lock(), color);
    match &settings.ci.output {
        Some(path) => {
            // A file never gets colour codes.
            let plain = anstream::adapter::strip_str(&rendered).to_string();
            std::fs::write(path, plain)
                .map_err(|e| format!("{}: cannot write report: {e}", path.display()))?;
            if format.is_machine() {
                let text = human(
                    &report,
                    settings.ci.show_suppressed,
                    settings.ci.baseline.as_deref(),
                    strict_failed,
                );
                stdout.write_all(text.as_bytes()).map_err(io)?;
            }
        }
        None => {
            stdout.write_all(rendered.as_bytes()).map_err(io)?;
            if format.is_machine() {
                let mut summary = String::new();
                text::render_summary(&mut summary, result, &report.findings);
                if strict_failed {
                    summary.push_str(&strict_note(not_fully_scanned));
                }
                stderr.write_all(summary.as_bytes()).map_err(io)?;
            }
        }
    }
    stdout.flush().map_err(io)?;

    Ok(if result.internal_errors > 0 {
        ExitCode::from(2)
    } else if gate_failed && !settings.ci.exit_zero {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
