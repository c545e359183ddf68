//! `--format concise`: one line per finding, `path:line:col: ID [severity] message`, like
//! Ruff's concise output and compilers' `file:line:col:` lines that editors jump to.

use super::location::LineCache;
use super::terminal::escape;
use super::text::char_col;
use super::{Report, inert};
use std::fmt::Write as _;
use std::path::Path;

/// Renders the active findings, one line each.
pub fn render(report: &Report) -> String {
    let mut out = String::new();
    let mut lines = LineCache::new(report.result);
    for f in report.active() {
        let _ = writeln!(
            out,
            "{}:{}:{}: {} [{}] {}",
            inert::path(Path::new(&report.root.display(&f.path))),
            f.start.line,
            lines.column(f, f.start, char_col),
            f.rule_id,
            f.severity,
            escape(&f.message),
        );
    }
    out
}
