//! Human-readable output in the style of rustc and Ruff.

use super::inert;
use super::terminal::escape;
use crate::finding::{Diagnostic, Finding, Severity};
use crate::rules::RuleSet;
use crate::scan::ScanResult;
use crate::suppress::UnusedSuppression;
use anstyle::{AnsiColor, Style};
use std::fmt::Write as _;

fn severity_style(s: Severity) -> Style {
    match s {
        Severity::Critical => AnsiColor::Red.on_default().bold(),
        Severity::High => AnsiColor::Red.on_default(),
        Severity::Medium => AnsiColor::Yellow.on_default(),
        Severity::Low => AnsiColor::Cyan.on_default(),
    }
}

const BOLD: Style = Style::new().bold();
const DIM: Style = Style::new().dimmed();
const HELP: Style = AnsiColor::Green.on_default().bold();

fn styled(out: &mut String, style: Style, text: &str) {
    let _ = write!(out, "{style}{text}{style:#}");
}

/// 1-based character column of a byte offset in `line`.
pub fn char_col(line: &str, byte_col: usize) -> usize {
    let b = byte_col.min(line.len());
    let b = (0..=b)
        .rev()
        .find(|&i| line.is_char_boundary(i))
        .unwrap_or(0);
    line[..b].chars().count() + 1
}

/// Renders one finding: header, source line with underline, path steps, help.
pub fn render_finding(out: &mut String, f: &Finding, rules: &RuleSet) {
    let path = inert::path(&f.path);
    // An empty line text means the line was too long to keep: fall back to bytes.
    let col = if f.line_text.is_empty() {
        f.start.byte_col + 1
    } else {
        char_col(&f.line_text, f.start.byte_col)
    };
    styled(out, BOLD, &format!("{path}:{}:{col}:", f.start.line));
    out.push(' ');
    styled(out, severity_style(f.severity).bold(), &f.rule_id);
    out.push(' ');
    // Confidence is shown only when it is not high, so the common case stays short.
    let label = if f.confidence == crate::finding::Confidence::High {
        format!("[{}]", f.severity)
    } else {
        format!("[{}, {} confidence]", f.severity, f.confidence)
    };
    styled(out, severity_style(f.severity), &label);
    out.push(' ');
    out.push_str(&escape(&f.message));
    if f.suppressed {
        styled(out, DIM, " (suppressed)");
    }
    if f.test_code {
        styled(out, DIM, " (test code)");
    }
    out.push('\n');

    let gutter = f.start.line.to_string().len();
    let pad = " ".repeat(gutter);
    let line = &f.line_text;
    if line.is_empty() {
        styled(out, DIM, &format!("{pad} |\n{} | ", f.start.line));
        out.push_str("(line too long to show)\n");
    } else {
        render_snippet(out, f, &pad);
    }
    render_notes(out, f, rules, &pad);
}

fn render_snippet(out: &mut String, f: &Finding, pad: &str) {
    let line = &f.line_text;
    let start = f.start.byte_col.min(line.len());
    let end = if f.end.line == f.start.line {
        f.end.byte_col.min(line.len())
    } else {
        line.len()
    };
    let prefix = escape(line.get(..start).unwrap_or(""));
    let marked = escape(line.get(start..end.max(start)).unwrap_or(""));
    let shown = escape(line);
    styled(out, DIM, &format!("{pad} |\n{} | ", f.start.line));
    out.push_str(&shown);
    out.push('\n');
    styled(out, DIM, &format!("{pad} | "));
    out.push_str(&" ".repeat(prefix.chars().count()));
    styled(
        out,
        severity_style(f.severity),
        &"^".repeat(marked.chars().count().max(1)),
    );
    out.push('\n');
}

fn render_notes(out: &mut String, f: &Finding, rules: &RuleSet, pad: &str) {
    if !f.flow.is_empty() {
        styled(out, DIM, &format!("{pad} = "));
        out.push_str("data flow:\n");
        // A path may cross modules: the file is named where it changes.
        let mut file = f.path.as_path();
        for (i, step) in f.flow.iter().enumerate() {
            let place = if step.path.as_os_str().is_empty() || step.path == file {
                format!("line {}", step.start.line)
            } else {
                file = step.path.as_path();
                format!(
                    "{}:{}",
                    escape(&step.path.display().to_string()),
                    step.start.line
                )
            };
            let _ = writeln!(out, "{pad}     {}. {place}: {}", i + 1, escape(&step.note));
        }
    }
    if !f.covered.is_empty() {
        let ids: Vec<String> = f.covered.iter().map(|c| escape(&c.rule_id)).collect();
        styled(out, DIM, &format!("{pad} = "));
        let _ = writeln!(out, "also covers: {} (same call)", ids.join(", "));
    }
    if let Some(rule) = rules.rules().get(f.rule_index) {
        styled(out, DIM, &format!("{pad} = "));
        styled(out, HELP, "help:");
        let _ = writeln!(out, " {}", escape(&first_sentence(&rule.help)));
    }
    out.push('\n');
}

/// The help text's first sentence, on one line: the full text is in `pyaudit explain`.
fn first_sentence(text: &str) -> String {
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    // A sentence ends at ". " outside backticks (so `yaml.safe_load` does not end one).
    let mut in_code = false;
    let bytes = flat.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b'`' => in_code = !in_code,
            b'.' if !in_code && bytes.get(i + 1) == Some(&b' ') => return flat[..=i].to_string(),
            _ => {}
        }
    }
    flat
}

/// Renders one diagnostic as a warning line.
pub fn render_diagnostic(out: &mut String, d: &Diagnostic) {
    let path = inert::path(&d.path);
    let loc = match d.line {
        Some(l) => format!("{path}:{l}:"),
        None => format!("{path}:"),
    };
    styled(out, BOLD, &loc);
    out.push(' ');
    styled(
        out,
        AnsiColor::Yellow.on_default().bold(),
        &format!("warning[{}]:", d.kind.as_str()),
    );
    let _ = writeln!(out, " {}", escape(&d.message));
}

/// Renders one in-source suppression that silenced nothing as a warning line.
pub fn render_unused(out: &mut String, u: &UnusedSuppression) {
    let what = match &u.rule {
        Some(r) => format!("`# pyaudit: ignore[{}]`: nothing to silence", escape(r)),
        None => "`# pyaudit: ignore`: nothing to silence".into(),
    };
    styled(out, BOLD, &format!("{}:{}:", inert::path(&u.path), u.line));
    out.push(' ');
    styled(
        out,
        AnsiColor::Yellow.on_default().bold(),
        "warning[unused-suppression]:",
    );
    let _ = writeln!(out, " {what}");
}

/// The closing summary: findings by severity, files, errors, time.
pub fn render_summary(out: &mut String, result: &ScanResult, shown: &[&Finding]) {
    let active: Vec<&&Finding> = shown.iter().filter(|f| !f.suppressed).collect();
    if active.is_empty() {
        styled(out, AnsiColor::Green.on_default().bold(), "No findings.");
    } else {
        let counts: Vec<String> = Severity::ALL
            .iter()
            .rev()
            .filter_map(|s| {
                let n = active.iter().filter(|f| f.severity == *s).count();
                (n > 0).then(|| format!("{n} {s}"))
            })
            .collect();
        let noun = if active.len() == 1 {
            "finding"
        } else {
            "findings"
        };
        styled(
            out,
            BOLD,
            &format!("Found {} {noun} ({}).", active.len(), counts.join(", ")),
        );
    }
    let suppressed = shown.len() - active.len();
    let errors = result.files_with_errors();
    let _ = write!(
        out,
        " Scanned {} file{} in {:.2}s",
        result.files_scanned,
        if result.files_scanned == 1 { "" } else { "s" },
        result.elapsed.as_secs_f64()
    );
    if suppressed > 0 {
        let _ = write!(out, "; {suppressed} suppressed");
    }
    if errors > 0 {
        out.push_str("; ");
        styled(
            out,
            AnsiColor::Yellow.on_default().bold(),
            &format!(
                "{errors} file{} not fully scanned (see warnings)",
                if errors == 1 { "" } else { "s" }
            ),
        );
    }
    out.push_str(".\n");
}

/// The line after the summary that says what the filters hid and what does not gate;
/// nothing when there is nothing to say. Comment suppressions and the baseline have their
/// own wording elsewhere in the summary.
pub fn render_tally(out: &mut String, tally: &crate::gate::Tally) {
    let hidden: Vec<String> = tally
        .hidden
        .iter()
        .filter(|(k, n)| **n > 0 && **k != crate::gate::HiddenKind::Baseline)
        .map(|(k, n)| format!("{n} {}", k.label()))
        .collect();
    if !hidden.is_empty() {
        let _ = writeln!(out, "Hidden: {}.", hidden.join(", "));
    }
    let mut quiet = Vec::new();
    if tally.test_code > 0 {
        quiet.push(format!("{} in test code (--gate-tests)", tally.test_code));
    }
    if tally.below_fail_on > 0 {
        quiet.push(format!(
            "{} below --fail-on {}",
            tally.below_fail_on, tally.fail_on
        ));
    }
    if !quiet.is_empty() {
        let _ = writeln!(out, "Not gating: {}.", quiet.join(", "));
    }
}
