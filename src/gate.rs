//! After the scan: which findings are reported (per-file ignores, minimum confidence,
//! baseline), where the report goes, and the exit code of the CI gate.

use crate::baseline::Baseline;
use crate::finding::{Confidence, Finding, Severity};
use crate::report::inert;
use crate::report::{self, Format, Report, text};
use crate::rules::RuleSet;
use crate::scan::{Excluded, ScanResult};
use crate::settings::{Profile, Settings};
use std::io::Write;
use std::process::ExitCode;

/// Why a finding that the scan produced is not reported. Each such finding is still kept
/// (SARIF lists it with a `suppressions` entry) and counted in the summary, so no filter,
/// least of all one the scanned repository's own configuration sets, hides it silently.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Hidden {
    /// `select` / `ignore`, with where they were set.
    Rules(String),
    /// `per-file-ignores`, with the configuration file.
    PerFile(String),
    /// In a file the scanned repository's `exclude` / `extend-exclude` matches, with the
    /// glob and the configuration file.
    Excluded(String),
    /// A low-confidence finding outside the default profile.
    Profile,
    /// Below `min-confidence`.
    Confidence(Confidence),
    /// Recorded in the baseline file.
    Baseline(String),
}

impl Hidden {
    /// The sentence SARIF gives as the suppression's justification.
    pub fn justification(&self) -> String {
        match self {
            Hidden::Rules(why) | Hidden::PerFile(why) | Hidden::Excluded(why) => why.clone(),
            Hidden::Profile => {
                "low confidence: outside the default profile (shown with --profile audit)".into()
            }
            Hidden::Confidence(c) => format!("below the minimum confidence `{c}`"),
            Hidden::Baseline(path) => format!("recorded in the baseline {path}"),
        }
    }

    /// Which summary counter the finding goes to.
    pub fn kind(&self) -> HiddenKind {
        match self {
            Hidden::Rules(_) => HiddenKind::Rules,
            Hidden::PerFile(_) => HiddenKind::PerFile,
            Hidden::Excluded(_) => HiddenKind::Exclude,
            Hidden::Profile => HiddenKind::Profile,
            Hidden::Confidence(_) => HiddenKind::Confidence,
            Hidden::Baseline(_) => HiddenKind::Baseline,
        }
    }
}

/// The filters the summary counts separately, in the order it lists them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HiddenKind {
    Profile,
    Confidence,
    Rules,
    PerFile,
    Exclude,
    Baseline,
}

impl HiddenKind {
    /// How the text summary names the filter.
    pub fn label(self) -> &'static str {
        match self {
            HiddenKind::Profile => "outside the profile (--profile audit)",
            HiddenKind::Confidence => "below --min-confidence",
            HiddenKind::Rules => "by select/ignore",
            HiddenKind::PerFile => "by per-file-ignores",
            HiddenKind::Exclude => "in files the configuration excludes",
            HiddenKind::Baseline => "by the baseline",
        }
    }
}

/// How many findings each filter hid and how many do not gate, for the closing summary.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tally {
    pub hidden: std::collections::BTreeMap<HiddenKind, usize>,
    /// Silenced by `# pyaudit: ignore` comments.
    pub suppressed: usize,
    /// Reported findings in test code that do not gate (all of them with `--gate-tests` off).
    pub test_code: usize,
    /// Reported findings outside test code below `--fail-on`.
    pub below_fail_on: usize,
    pub fail_on: Severity,
}

/// The findings a run reports, and those its filters hid.
#[derive(Debug)]
pub struct Selected<'a> {
    /// Sorted as the scan sorted them; suppressed ones included (flagged).
    pub findings: Vec<&'a Finding>,
    /// Hidden findings and why, in the same order.
    pub hidden: Vec<(&'a Finding, Hidden)>,
    pub baselined: usize,
}

/// The scan's findings with the configured exclusions (`excluded`, see
/// [`crate::scan::ScanResult::excluded`]), `select`, `ignore` and `per-file-ignores` applied
/// to each of the ids a finding answers to, and test code marked. A merged finding whose own
/// rule is off gives way to the findings it covers (as they were before the merge); one
/// whose covered rules are off drops them. Findings switched off are kept, with the reason.
pub fn resolve(
    findings: &[Finding],
    excluded: &Excluded,
    settings: &Settings,
    rules: &RuleSet,
) -> Vec<(Finding, Option<Hidden>)> {
    // The selectors were checked when the run started; an error here cannot happen.
    let sel = settings.selection(rules).unwrap_or_default();
    let off = |f: &Finding| {
        if let Some(glob) = crate::scan::excluded_by(excluded, &f.path) {
            return Some(Hidden::Excluded(settings.exclude_reason(glob)));
        }
        let rule = rules.rules().get(f.rule_index)?;
        settings
            .rules_off_reason(rule, rules, &sel)
            .map(Hidden::Rules)
            .or_else(|| {
                settings
                    .per_file_reason(&f.path, rule, rules)
                    .map(Hidden::PerFile)
            })
    };
    let mut out: Vec<(Finding, Option<Hidden>)> = Vec::with_capacity(findings.len());
    for f in findings {
        let test_code = settings.is_test_code(&f.path);
        let (on, covered_off): (Vec<Finding>, Vec<Finding>) =
            f.covered.iter().cloned().partition(|c| off(c).is_none());
        let mut host = Finding {
            covered: Vec::new(),
            test_code,
            ..f.clone()
        };
        match off(f) {
            None => {
                host.suppressed |= on.iter().any(|c| c.suppressed);
                host.covered = on;
                out.push((host, None));
            }
            Some(why) => {
                for mut c in on {
                    c.test_code = test_code;
                    out.push((c, None));
                }
                host.suppressed |= covered_off.iter().any(|c| c.suppressed);
                host.covered = covered_off;
                out.push((host, Some(why)));
            }
        }
    }
    // Unfolded findings share their host's position: keep the scan's order exact.
    out.sort_by(|(a, _), (b, _)| {
        (&a.path, a.start, &a.rule_id).cmp(&(&b.path, b.start, &b.rule_id))
    });
    out
}

/// Findings of enabled rules outside `per-file-ignores` and excluded files, before any
/// other filter: what a baseline records (so raising `min-confidence` later never surfaces old findings).
pub fn in_scope(resolved: &[(Finding, Option<Hidden>)]) -> Vec<&Finding> {
    resolved
        .iter()
        .filter(|(_, h)| h.is_none())
        .map(|(f, _)| f)
        .collect()
}

/// Applies the profile, `min-confidence` and the baseline to [`resolve`]d findings.
pub fn select<'a>(
    resolved: &'a [(Finding, Option<Hidden>)],
    settings: &Settings,
    baseline: Option<(&Baseline, &std::path::Path)>,
) -> Selected<'a> {
    let mut matcher = baseline.map(|(b, _)| b.matcher());
    let mut selected = Selected {
        findings: Vec::new(),
        hidden: Vec::new(),
        baselined: 0,
    };
    for (f, why) in resolved {
        let why = why.clone().or_else(|| {
            if settings.profile == Profile::Default && f.confidence == Confidence::Low {
                Some(Hidden::Profile)
            } else if f.confidence < settings.min_confidence {
                Some(Hidden::Confidence(settings.min_confidence))
            } else if !f.suppressed
                && let Some(m) = matcher.as_mut()
                && m.take(f, &settings.root)
            {
                let path = baseline.map_or(String::new(), |(_, p)| p.display().to_string());
                Some(Hidden::Baseline(path))
            } else {
                None
            }
        });
        match why {
            Some(h) => {
                selected.baselined += usize::from(h.kind() == HiddenKind::Baseline);
                selected.hidden.push((f, h));
            }
            None => selected.findings.push(f),
        }
    }
    selected
}

/// The findings a run reports and does not suppress, after every filter of [`resolve`] and
/// [`select`] (the baseline file included): what `--fix` may change and what the language
/// server shows.
pub fn reported(
    findings: &[Finding],
    excluded: &Excluded,
    settings: &Settings,
    rules: &RuleSet,
) -> Result<Vec<Finding>, String> {
    let resolved = resolve(findings, excluded, settings, rules);
    let baseline = read_baseline(settings)?;
    Ok(
        select(&resolved, settings, baseline_arg(settings, &baseline))
            .findings
            .into_iter()
            .filter(|f| !f.suppressed)
            .cloned()
            .collect(),
    )
}

/// The `--baseline` file, read, if one is set.
fn read_baseline(settings: &Settings) -> Result<Option<Baseline>, String> {
    settings
        .ci
        .baseline
        .as_deref()
        .map(Baseline::read)
        .transpose()
}

/// The baseline as [`select`] takes it.
fn baseline_arg<'b>(
    settings: &'b Settings,
    baseline: &'b Option<Baseline>,
) -> Option<(&'b Baseline, &'b std::path::Path)> {
    baseline.as_ref().zip(settings.ci.baseline.as_deref())
}

/// Forgets unused suppressions that name a rule switched off by `select`/`ignore`: every
/// rule runs, but a directive for a rule deselected in this run may be there on purpose.
pub fn forget_unused_for_rules_off(
    result: &mut ScanResult,
    selection: &crate::rules::select::Selection,
    rules: &RuleSet,
) {
    result.unused_suppressions.retain(|u| {
        u.rule
            .as_deref()
            .is_none_or(|r| rules.find(r).is_none_or(|rule| selection.enabled(rule)))
    });
}

/// Whether a finding gates: test code only with `--gate-tests`.
fn gates(f: &Finding, gate_tests: bool) -> bool {
    !f.suppressed && (gate_tests || !f.test_code)
}

/// Whether any finding that counts is at or above `fail_on`.
pub fn fails(findings: &[&Finding], fail_on: Severity, gate_tests: bool) -> bool {
    findings
        .iter()
        .any(|f| gates(f, gate_tests) && f.severity >= fail_on)
}

/// Counts what each filter hid and what does not gate.
pub fn tally(report: &Report, gate_tests: bool) -> Tally {
    let mut t = Tally {
        fail_on: report.fail_on,
        ..Tally::default()
    };
    for (_, h) in &report.hidden {
        *t.hidden.entry(h.kind()).or_default() += 1;
    }
    for f in &report.findings {
        if f.suppressed {
            t.suppressed += 1;
        } else if f.test_code && !gate_tests {
            t.test_code += 1;
        } else if f.severity < report.fail_on {
            t.below_fail_on += 1;
        }
    }
    t
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

/// The `--show-skipped` listing and the count of skipped Python files. Each line starts with
/// a fixed word, never with a path from the scanned tree.
fn skipped_lines(result: &ScanResult, list: bool) -> String {
    let mut out = String::new();
    if list {
        for s in &result.skipped {
            out.push_str(&format!(
                "skipped[{}]: {}\n",
                s.reason.as_str(),
                inert::path(&s.path)
            ));
        }
    }
    if let Some(line) = crate::discover::skip_summary(&result.skipped) {
        out.push_str(&line);
        out.push('\n');
    }
    out
}

/// Human-readable warnings: notes on discovery, per-file diagnostics and unused
/// suppressions.
fn warnings(result: &ScanResult) -> String {
    let mut out = String::new();
    for n in &result.walk_notes {
        out.push_str(&format!(
            "pyaudit: note: {}\n",
            crate::report::terminal::escape(n)
        ));
    }
    for d in &result.diagnostics {
        text::render_diagnostic(&mut out, d);
    }
    for u in &result.unused_suppressions {
        text::render_unused(&mut out, u);
    }
    out
}

/// The text report: findings (suppressed ones too with `--show-suppressed`) and summary.
fn human(
    report: &Report,
    show_suppressed: bool,
    baseline: Option<&std::path::Path>,
    strict_failed: bool,
    show_skipped: bool,
    quiet: bool,
) -> String {
    let mut out = String::new();
    for f in &report.findings {
        if show_suppressed || !f.suppressed {
            text::render_finding(&mut out, f, report.rules);
        }
    }
    if quiet {
        if strict_failed {
            out.push_str(&strict_note(report.result.files_with_errors()));
        }
        return out;
    }
    text::render_summary(&mut out, report.result, &report.findings);
    text::render_tally(&mut out, &report.tally);
    out.push_str(&skipped_lines(report.result, show_skipped));
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
    stderr
        .write_all(inert::guard(&warnings(result)).as_bytes())
        .map_err(io)?;

    let resolved = resolve(&result.findings, &result.excluded, settings, rules);
    if let Some(path) = &settings.ci.write_baseline {
        let scoped = in_scope(&resolved);
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

    let baseline = read_baseline(settings)?;
    let selected = select(&resolved, settings, baseline_arg(settings, &baseline));
    let not_fully_scanned = result.files_with_errors();
    // A strict failure is a verdict on the scan's coverage, like a finding: exit 1. Exit 2
    // stays reserved for pyaudit itself not working (see docs/robustness.md).
    let strict_failed = strict && not_fully_scanned > 0;
    let gate_failed =
        fails(&selected.findings, settings.fail_on, settings.gate_tests) || strict_failed;
    let mut report = Report {
        result,
        findings: selected.findings,
        hidden: selected.hidden,
        tally: Tally::default(),
        rules,
        root: &settings.root,
        baselined: selected.baselined,
        fail_on: settings.fail_on,
        gate_failed,
        // Files left unscanned make the run's result incomplete: say so to SARIF consumers.
        execution_successful: result.internal_errors == 0 && not_fully_scanned == 0,
    };
    report.tally = tally(&report, settings.gate_tests);
    let format = settings.ci.format;
    let quiet = settings.ci.quiet;
    let with_summary = |mut out: String| {
        if !quiet {
            text::render_summary(&mut out, result, &report.findings);
        }
        out
    };
    // Every report passes the guard against workflow commands (JSON and SARIF inside
    // their renderers), whether it goes to stdout or to a file a later step may print.
    let rendered = match format {
        Format::Json if settings.ci.statistics => {
            inert::guard_json(report::statistics::render_json(&report))
        }
        _ if settings.ci.statistics => {
            inert::guard(&with_summary(report::statistics::render_text(&report))).into_owned()
        }
        Format::Text => inert::guard(&human(
            &report,
            settings.ci.show_suppressed,
            settings.ci.baseline.as_deref(),
            strict_failed,
            settings.ci.show_skipped,
            quiet,
        ))
        .into_owned(),
        Format::Json => report::json::render(&report),
        Format::Sarif => report::sarif::render(&report),
        Format::Github => inert::guard_github(&report::github::render(&report)).into_owned(),
        Format::Concise => {
            inert::guard(&with_summary(report::concise::render(&report))).into_owned()
        }
        Format::JsonLines => inert::guard_json(report::jsonl::render(&report)),
        Format::Gitlab => inert::guard_json(report::gitlab::render(&report)),
        Format::Junit => inert::guard_xml(report::junit::render(&report)),
        Format::Html => inert::guard(&report::html::render(
            &report,
            &report::html::Extras { settings },
        ))
        .into_owned(),
    };
    let mut stdout = anstream::AutoStream::new(std::io::stdout().lock(), color);
    match &settings.ci.output {
        Some(path) => {
            // A file never gets colour codes.
            let plain = anstream::adapter::strip_str(&rendered).to_string();
            std::fs::write(path, plain)
                .map_err(|e| format!("{}: cannot write report: {e}", path.display()))?;
            if format.is_machine() && !quiet {
                let text = human(
                    &report,
                    settings.ci.show_suppressed,
                    settings.ci.baseline.as_deref(),
                    strict_failed,
                    settings.ci.show_skipped,
                    settings.ci.quiet,
                );
                stdout
                    .write_all(inert::guard(&text).as_bytes())
                    .map_err(io)?;
            }
        }
        None => {
            stdout.write_all(rendered.as_bytes()).map_err(io)?;
            if format.is_machine() && !quiet {
                let mut summary = String::new();
                text::render_summary(&mut summary, result, &report.findings);
                text::render_tally(&mut summary, &report.tally);
                summary.push_str(&skipped_lines(result, settings.ci.show_skipped));
                if strict_failed {
                    summary.push_str(&strict_note(not_fully_scanned));
                }
                stderr
                    .write_all(inert::guard(&summary).as_bytes())
                    .map_err(io)?;
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
