//! `--statistics`: how many findings each rule has, instead of the findings themselves.

use super::Report;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// (rule id, rule name, count) for every rule with an active finding, most findings first,
/// then by id.
fn counts(report: &Report) -> Vec<(String, String, usize)> {
    let mut by_rule: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    for f in report.active() {
        let name = report.rule_name(f);
        *by_rule.entry((f.rule_id.as_str(), name)).or_default() += 1;
    }
    let mut rows: Vec<_> = by_rule
        .into_iter()
        .map(|((id, name), n)| (id.to_string(), name.to_string(), n))
        .collect();
    rows.sort_by(|a, b| b.2.cmp(&a.2).then_with(|| a.0.cmp(&b.0)));
    rows
}

/// A table: count, rule id, rule name.
pub fn render_text(report: &Report) -> String {
    let rows = counts(report);
    let width = rows
        .iter()
        .map(|r| r.2.to_string().len())
        .max()
        .unwrap_or(1);
    let mut out = String::new();
    for (id, name, n) in rows {
        let _ = writeln!(out, "{n:>width$}  {id}  {name}");
    }
    out
}

/// A JSON array of `{"rule_id", "rule_name", "count"}`.
pub fn render_json(report: &Report) -> String {
    let rows: Vec<serde_json::Value> = counts(report)
        .into_iter()
        .map(|(id, name, n)| serde_json::json!({"rule_id": id, "rule_name": name, "count": n}))
        .collect();
    let mut out = serde_json::to_string_pretty(&rows).expect("statistics serialize");
    out.push('\n');
    out
}
