//! GitHub Actions workflow commands (`::error file=…::…`) that annotate a pull request.
//!
//! GitHub parses every stdout line starting with `::` as a command, so everything taken from
//! the scanned code is escaped: first as for a terminal (control and bidi characters made
//! visible), then per the workflow-command rules (`%`, CR, LF; and `:` and `,` in
//! properties), so no file content can end an annotation early or issue a command.

use super::Report;
use super::location::LineCache;
use super::terminal::escape;
use super::text::char_col;
use crate::finding::Severity;
use std::fmt::Write as _;

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

/// Renders one annotation per active finding and a warning per diagnostic. Paths are
/// relative to the project root, which is where GitHub looks for them.
pub fn render(report: &Report) -> String {
    let mut out = String::new();
    let mut lines = LineCache::new(report.result);
    for f in report.active() {
        let name = report
            .rules
            .rules()
            .get(f.rule_index)
            .map_or("", |r| r.name.as_str());
        let _ = writeln!(
            out,
            "::{} file={},line={},endLine={},col={},endColumn={},title={}::{}",
            command(f.severity),
            escape_property(&report.root.display(&f.path)),
            f.start.line,
            f.end.line,
            lines.column(f, f.start, char_col),
            lines.column(f, f.end, char_col),
            escape_property(&format!("{} {} [{}]", f.rule_id, name, f.severity)),
            escape_data(&f.message),
        );
    }
    for d in &report.result.diagnostics {
        let line = d.line.map(|l| format!(",line={l}")).unwrap_or_default();
        let _ = writeln!(
            out,
            "::warning file={}{line},title={}::{}",
            escape_property(&report.root.display(&d.path)),
            escape_property(&format!("pyaudit: {}", d.kind.as_str())),
            escape_data(&d.message),
        );
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
