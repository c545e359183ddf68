//! `--format junit`: JUnit XML, which most CI systems (GitLab, Jenkins, Azure Pipelines,
//! CircleCI) show as test results: one failing test case per finding, or one passing case
//! when there is none, so the run always shows up.
//!
//! Text from the scanned code is escaped twice: control and bidi characters as for a
//! terminal (XML 1.0 cannot even hold most C0 controls), then the XML specials; every
//! line the report writes starts with `<` or indentation.

use super::Report;
use super::location::LineCache;
use super::terminal::escape;
use super::text::char_col;
use std::fmt::Write as _;

/// Escapes text for an XML attribute or element.
pub fn xml(s: &str) -> String {
    escape(s)
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}

/// Renders the report.
pub fn render(report: &Report) -> String {
    let active: Vec<_> = report.active().collect();
    let tests = active.len().max(1);
    let failures = active.len();
    let secs = report.result.elapsed.as_secs_f64();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"pyaudit\" tests=\"{tests}\" failures=\"{failures}\" errors=\"0\" time=\"{secs:.3}\">"
    );
    let _ = writeln!(
        out,
        "  <testsuite name=\"pyaudit\" tests=\"{tests}\" failures=\"{failures}\" errors=\"0\" skipped=\"0\" time=\"{secs:.3}\">"
    );
    let mut lines = LineCache::new(report.result);
    for f in &active {
        let path = xml(&report.root.display(&f.path));
        let col = lines.column(f, f.start, char_col);
        let _ = writeln!(
            out,
            "    <testcase classname=\"{path}\" name=\"{} at {path}:{}:{col}\" file=\"{path}\" line=\"{}\">",
            f.rule_id, f.start.line, f.start.line
        );
        let _ = writeln!(
            out,
            "      <failure type=\"{}\" message=\"{}\">{path}:{}:{col}: {} [{}] {}</failure>",
            f.rule_id,
            xml(&f.message),
            f.start.line,
            f.rule_id,
            f.severity,
            xml(&f.message)
        );
        out.push_str("    </testcase>\n");
    }
    if active.is_empty() {
        out.push_str("    <testcase classname=\"pyaudit\" name=\"no findings\"/>\n");
    }
    out.push_str("  </testsuite>\n</testsuites>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::xml;

    #[test]
    fn xml_escaping() {
        assert_eq!(xml("a<b>&\"'\x1b"), "a&lt;b&gt;&amp;&quot;&apos;\\x1b");
    }
}
