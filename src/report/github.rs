//! GitHub Actions workflow commands (`::error file=…::…`) that annotate a pull request.
//!
//! GitHub parses every stdout line starting with `::` as a command, so everything taken from
//! the scanned code is escaped: first as for a terminal (control and bidi characters made
//! visible), then per the workflow-command rules (`%`, CR, LF; and `:` and `,` in
//! properties), so no file content can end an annotation early or issue a command. A
//! `file=` property names only a regular file inside the project root, relative to it (what
//! GitHub can place on the pull request); any other path is named in the message instead.
//! [`super::inert::guard_github`] then checks that every line is one of these annotations.

use super::Report;
use super::location::{LineCache, slash_path};
use super::terminal::escape;
use super::text::char_col;
use crate::finding::Severity;
use std::fmt::Write as _;
use std::path::Path;

/// Escapes a command's message.
pub fn escape_data(s: &str) -> String {
    escape(s)
        .replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a command property value (`file=`, `title=`).
pub fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// The annotation command for a severity.
fn command(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low => "notice",
    }
}

/// The escaped `file=` value for `path`, if it is a regular file inside the project root.
fn file_property(report: &Report, path: &Path) -> Option<String> {
    let rel = report.root.relative(path)?;
    if rel.as_os_str().is_empty() || !report.root.path().join(&rel).is_file() {
        return None;
    }
    Some(escape_property(&slash_path(&rel)))
}

/// Renders one annotation per active finding and a warning per diagnostic. Paths are
/// relative to the project root, which is where GitHub looks for them.
pub fn render(report: &Report) -> String {
    let mut out = String::new();
    let mut lines = LineCache::new(report.result);
    for f in report.active() {
        let name = report.rule_name(f);
        let title = escape_property(&format!("{} {} [{}]", f.rule_id, name, f.severity));
        match file_property(report, &f.path) {
            Some(file) => {
                let _ = writeln!(
                    out,
                    "::{} file={file},line={},endLine={},col={},endColumn={},title={title}::{}",
                    command(f.severity),
                    f.start.line,
                    f.end.line,
                    lines.column(f, f.start, char_col),
                    lines.column(f, f.end, char_col),
                    escape_data(&f.message),
                );
            }
            None => {
                let at = format!("{}:{}: ", report.root.display(&f.path), f.start.line);
                let _ = writeln!(
                    out,
                    "::{} title={title}::{}",
                    command(f.severity),
                    escape_data(&(at + &f.message)),
                );
            }
        }
    }
    for d in &report.result.diagnostics {
        let title = escape_property(&format!("pyaudit: {}", d.kind.as_str()));
        match file_property(report, &d.path) {
            Some(file) => {
                let line = d.line.map(|l| format!(",line={l}")).unwrap_or_default();
                let _ = writeln!(
                    out,
                    "::warning file={file}{line},title={title}::{}",
                    escape_data(&d.message),
                );
            }
            None => {
                let at = format!("{}: ", report.root.display(&d.path));
                let _ = writeln!(
                    out,
                    "::warning title={title}::{}",
                    escape_data(&(at + &d.message)),
                );
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_follows_workflow_command_rules() {
        assert_eq!(escape_data("100% a\nb"), "100%25 a\\x0ab");
        assert_eq!(escape_property("a:b,c%"), "a%3Ab%2Cc%25");
        assert_eq!(escape_data("\x1b]0;x\x07"), "\\x1b]0;x\\x07");
    }
}
