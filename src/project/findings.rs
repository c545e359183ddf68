//! Findings of a whole scan where paths cross modules: one finding per sink.
//!
//! A sink in one module can be reached from several importers (and from its own module);
//! each analysis reports it at the sink. Here they become one finding with the shortest
//! path, the message counting the other paths; call-rule findings on that call are folded
//! into it as within one file ([`crate::dedup`]).

use crate::finding::{Finding, Position};
use crate::rules::RuleSet;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// The order in which the clearest of several paths is chosen: fewest steps, then content.
type PathKey<'f> = (usize, Vec<(&'f Path, Position, &'f str)>, &'f str);

fn path_key(f: &Finding) -> PathKey<'_> {
    let steps = f
        .flow
        .iter()
        .map(|s| (s.path.as_path(), s.start, s.note.as_str()))
        .collect();
    (f.flow.len(), steps, f.message.as_str())
}

/// Merges taint findings at the same sink and rule; see the module docs.
pub fn merge(findings: &mut Vec<Finding>, rules: &RuleSet) {
    let is_taint = |f: &Finding| rules.is_taint(f.rule_index);
    let mut groups: HashMap<(PathBuf, Position, String), Vec<usize>> = HashMap::new();
    for (i, f) in findings.iter().enumerate() {
        if is_taint(f) {
            groups
                .entry((f.path.clone(), f.start, f.rule_id.clone()))
                .or_default()
                .push(i);
        }
    }
    let mut drop = vec![false; findings.len()];
    for idxs in groups.values().filter(|g| g.len() > 1) {
        let best = *idxs
            .iter()
            .min_by(|&&a, &&b| path_key(&findings[a]).cmp(&path_key(&findings[b])))
            .expect("non-empty group");
        for &i in idxs {
            drop[i] = i != best;
        }
        let others = idxs.len() - 1;
        let s = if others == 1 { "" } else { "s" };
        findings[best]
            .message
            .push_str(&format!(" ({others} other path{s} reach this call)"));
    }
    let mut k = 0;
    findings.retain(|_| {
        k += 1;
        !drop[k - 1]
    });
    // Findings reported at a sink by an importer were fingerprinted nowhere yet (the
    // engine clears their fingerprint), nor folded with the sink file's call-rule findings.
    let mut by_path: HashMap<PathBuf, Vec<usize>> = HashMap::new();
    for (i, f) in findings.iter().enumerate() {
        if f.fingerprint.is_empty() {
            by_path.entry(f.path.clone()).or_default().push(i);
        }
    }
    if by_path.is_empty() {
        return;
    }
    for idxs in by_path.values() {
        let mut group: Vec<Finding> = idxs.iter().map(|&i| findings[i].clone()).collect();
        crate::engine::fingerprint::assign(&mut group);
        for (&i, g) in idxs.iter().zip(group) {
            findings[i].fingerprint = g.fingerprint;
        }
    }
    let (mut touched, rest): (Vec<Finding>, Vec<Finding>) = std::mem::take(findings)
        .into_iter()
        .partition(|f| by_path.contains_key(&f.path));
    touched.sort_by(|a, b| (&a.path, a.start, &a.rule_id).cmp(&(&b.path, b.start, &b.rule_id)));
    let mut start = 0;
    while start < touched.len() {
        let path = touched[start].path.clone();
        let end = start
            + touched[start..]
                .iter()
                .take_while(|f| f.path == path)
                .count();
        let mut group: Vec<Finding> = touched[start..end].to_vec();
        crate::dedup::merge(&mut group, rules);
        findings.extend(group);
        start = end;
    }
    findings.extend(rest);
}
