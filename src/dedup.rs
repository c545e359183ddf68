//! One finding per dangerous call.
//!
//! A taint rule and a call rule often flag the same call: PYA203 and PYA101 on one
//! `pickle.loads`, or PYA201 and PYA210 on one `os.system`. Reporting both doubles the work
//! of whoever reads the report, so after a file's analysis the call-rule findings that share
//! a call with a taint finding are folded into it: the taint finding stays, with its
//! severity and data-flow path, and lists the folded ones in [`Finding::covered`]. Nothing
//! is lost: the gate unfolds a covered finding again when the taint rule is switched off
//! (`--ignore PYA203` shows PYA101 as before), and a suppression comment naming either id
//! silences the merged finding.
//!
//! The step runs over one file's findings at a time: two findings can only share a call
//! when they are in the same file, and running it inside the per-file analysis keeps every
//! consumer of that analysis (the scan, the fixture harness) on the same findings.

use crate::finding::Finding;
use crate::rules::RuleSet;

/// Folds every call-rule finding into the taint finding on the same call (same file and
/// start position). When several taint findings share the call, the most severe one (then
/// the lowest rule id) takes it. Taint findings are never folded into each other: two
/// taint rules on one call are two different bugs. The order of `findings` is kept.
pub fn merge(findings: &mut Vec<Finding>, rules: &RuleSet) {
    let is_taint = |f: &Finding| rules.is_taint(f.rule_index);
    if !findings.iter().any(is_taint) {
        return;
    }
    // For each call-rule finding, the taint finding that takes it.
    let mut target: Vec<Option<usize>> = vec![None; findings.len()];
    for (i, f) in findings.iter().enumerate() {
        if is_taint(f) {
            continue;
        }
        target[i] = findings
            .iter()
            .enumerate()
            .filter(|(_, t)| is_taint(t) && t.path == f.path && t.start == f.start)
            .max_by(|(_, a), (_, b)| {
                (a.severity, std::cmp::Reverse(&a.rule_id))
                    .cmp(&(b.severity, std::cmp::Reverse(&b.rule_id)))
            })
            .map(|(j, _)| j);
    }
    if target.iter().all(Option::is_none) {
        return;
    }
    let mut folded: Vec<(usize, Finding)> = Vec::new();
    let mut kept: Vec<(usize, Finding)> = Vec::new();
    for (i, f) in std::mem::take(findings).into_iter().enumerate() {
        match target[i] {
            Some(t) => folded.push((t, f)),
            None => kept.push((i, f)),
        }
    }
    for (t, f) in folded {
        if let Some((_, host)) = kept.iter_mut().find(|(i, _)| *i == t) {
            host.covered.push(f);
        }
    }
    for (_, host) in &mut kept {
        host.covered.sort_by(|a, b| a.rule_id.cmp(&b.rule_id));
    }
    *findings = kept.into_iter().map(|(_, f)| f).collect();
}
