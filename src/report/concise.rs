//! `--format concise`: one line per finding, `path:line:col: ID [severity] message`, like
//! Ruff's concise output and compilers' `file:line:col:` lines that editors jump to.

use super::Report;
use super::location::LineCache;
use super::terminal::escape;
use super::text::char_col;
use std::fmt::Write as _;

/// A path (or any text that opens a line) made safe to start an output line with: control
/// characters escaped, and a `./` put before a relative path starting with `:` or `#`, so a
/// hostile file name such as `::error::x.py` cannot become a CI log command (`::` for GitHub
/// Actions, `##[` for Azure Pipelines).
pub fn line_start_path(path: &str) -> String {
    let p = escape(path);
    if p.starts_with([':', '#']) {
        format!("./{p}")
    } else {
        p
    }
}

/// Renders the active findings, one line each.
pub fn render(report: &Report) -> String {
    let mut out = String::new();
    let mut lines = LineCache::default();
    for f in report.active() {
        let _ = writeln!(
            out,
            "{}:{}:{}: {} [{}] {}",
            line_start_path(&report.root.display(&f.path)),
            f.start.line,
            lines.column(f, f.start, char_col),
            f.rule_id,
            f.severity,
            escape(&f.message),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::line_start_path;

    #[test]
    fn hostile_names_cannot_start_a_command() {
        assert_eq!(line_start_path("::error::x.py"), "./::error::x.py");
        assert_eq!(line_start_path("##[warning]x.py"), "./##[warning]x.py");
        assert_eq!(line_start_path("a\x1b[2J.py"), "a\\x1b[2J.py");
        assert_eq!(line_start_path("src/a.py"), "src/a.py");
    }
}
