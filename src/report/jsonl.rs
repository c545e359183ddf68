//! `--format json-lines`: one compact JSON object per finding and line, each the same object
//! as an item of the JSON report's `findings` (see `docs/output.md`), for `jq`, log
//! shippers and streaming consumers. Every line starts with `{`, so no file content can
//! begin a line.

use super::Report;
use super::json::json_finding;
use super::location::LineCache;

/// Renders one line per finding (suppressed ones included, flagged, as in `json`).
pub fn render(report: &Report) -> String {
    let mut out = String::new();
    let mut lines = LineCache::new(report.result);
    for f in &report.findings {
        let obj = json_finding(report, &mut lines, f);
        out.push_str(&serde_json::to_string(&obj).expect("a finding always serializes"));
        out.push('\n');
    }
    out
}
