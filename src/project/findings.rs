//! Findings of a whole scan where paths cross modules: one finding per sink.
//!
//! A sink in one module can be reached from several importers (and from its own module);
//! each analysis reports it at the sink. Here they become one finding with the shortest
//! path, the message counting the other paths, and the call-rule findings a taint rule
//! supersedes on that call are dropped (within one file that is done by the taint engine).

use crate::finding::Finding;
use crate::rules::RuleSet;
use std::collections::HashMap;

/// Merges taint findings at the same sink and rule; see the module docs.
pub fn merge(findings: &mut Vec<Finding>, rules: &RuleSet) {
    let is_taint = |f: &Finding| {
        rules
            .rules()
            .get(f.rule_index)
            .is_some_and(|r| r.taint.is_some())
    };
    let mut groups: HashMap<(std::path::PathBuf, crate::finding::Position, String), Vec<usize>> =
        HashMap::new();
    for (i, f) in findings.iter().enumerate() {
        if is_taint(f) {
            groups
                .entry((f.path.clone(), f.start, f.rule_id.clone()))
                .or_default()
                .push(i);
        }
    }
    let mut drop = vec![false; findings.len()];
    let mut supersede: Vec<(std::path::PathBuf, crate::finding::Position, Vec<String>)> =
        Vec::new();
    for idxs in groups.values() {
        // The clearest path: fewest steps, then the first by content (deterministic).
        let best = *idxs
            .iter()
            .min_by(|&&a, &&b| {
                fn key(
                    f: &Finding,
                ) -> (
                    usize,
                    Vec<(&std::path::Path, crate::finding::Position, &str)>,
                    &str,
                ) {
                    let steps = f
                        .flow
                        .iter()
                        .map(|s| (s.path.as_path(), s.start, s.note.as_str()))
                        .collect();
                    (f.flow.len(), steps, f.message.as_str())
                }
                key(&findings[a]).cmp(&key(&findings[b]))
            })
            .expect("non-empty group");
        for &i in idxs {
            drop[i] = i != best;
        }
        let others = idxs.len() - 1;
        let f = &mut findings[best];
        if others > 0 {
            let s = if others == 1 { "" } else { "s" };
            f.message
                .push_str(&format!(" ({others} other path{s} reach this call)"));
        }
        if let Some(t) = rules
            .rules()
            .get(f.rule_index)
            .and_then(|r| r.taint.as_ref())
            && !t.supersedes.is_empty()
        {
            supersede.push((f.path.clone(), f.start, t.supersedes.clone()));
        }
    }
    for (i, f) in findings.iter().enumerate() {
        if supersede
            .iter()
            .any(|(p, s, ids)| *p == f.path && *s == f.start && ids.contains(&f.rule_id))
        {
            drop[i] = true;
        }
    }
    let mut k = 0;
    findings.retain(|_| {
        k += 1;
        !drop[k - 1]
    });
    // Findings reported at a sink by an importer were fingerprinted nowhere yet.
    let mut by_path: HashMap<std::path::PathBuf, Vec<usize>> = HashMap::new();
    for (i, f) in findings.iter().enumerate() {
        if f.fingerprint.is_empty() {
            by_path.entry(f.path.clone()).or_default().push(i);
        }
    }
    for idxs in by_path.values() {
        let mut group: Vec<Finding> = idxs.iter().map(|&i| findings[i].clone()).collect();
        crate::engine::fingerprint::assign(&mut group);
        for (&i, g) in idxs.iter().zip(group) {
            findings[i].fingerprint = g.fingerprint;
        }
    }
}
