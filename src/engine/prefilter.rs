//! Deciding, from a file's bytes alone, which rules can possibly match it.
//!
//! Soundness: the semantic layer resolves a qualified name only through an import statement
//! (or builtin reference) in the same file, and every import spells the first segment of the
//! module it binds (`import yaml as y`, `from pickle import loads`). So a file whose bytes
//! never contain a rule's trigger names (the first segments of its call names) cannot produce
//! a finding for that rule. The trigger check is a plain substring search, a superset of the
//! real condition: it may keep rules that then do not match, never the reverse. The fixtures
//! test scans with and without the prefilter and demands identical results.

use aho_corasick::{AhoCorasick, MatchKind};

use crate::rules::RuleSet;

/// A multi-pattern matcher from trigger names to the rules that need them.
#[derive(Debug)]
pub struct Prefilter {
    matcher: Option<AhoCorasick>,
    /// needle index → rule indices that the needle can enable
    rules_by_needle: Vec<Vec<usize>>,
    rule_count: usize,
}

impl Prefilter {
    /// Builds the matcher for every rule's trigger names.
    pub fn new(rules: &RuleSet) -> Prefilter {
        let mut needles: Vec<String> = Vec::new();
        let mut rules_by_needle: Vec<Vec<usize>> = Vec::new();
        for (ri, rule) in rules.rules().iter().enumerate() {
            for name in rule.trigger_names() {
                match needles.iter().position(|n| *n == name) {
                    Some(i) => rules_by_needle[i].push(ri),
                    None => {
                        needles.push(name);
                        rules_by_needle.push(vec![ri]);
                    }
                }
            }
        }
        let matcher = if needles.is_empty() {
            None
        } else {
            AhoCorasick::builder()
                .match_kind(MatchKind::Standard)
                .build(&needles)
                .ok()
        };
        Prefilter {
            matcher,
            rules_by_needle,
            rule_count: rules.rules().len(),
        }
    }

    /// For each rule, whether `bytes` mention one of its trigger names.
    pub fn applicable(&self, bytes: &[u8]) -> Vec<bool> {
        let mut out = vec![false; self.rule_count];
        let Some(matcher) = &self.matcher else {
            return out;
        };
        let mut seen = vec![false; self.rules_by_needle.len()];
        let mut remaining = seen.len();
        for m in matcher.find_overlapping_iter(bytes) {
            let i = m.pattern().as_usize();
            if !seen[i] {
                seen[i] = true;
                for &r in &self.rules_by_needle[i] {
                    out[r] = true;
                }
                remaining -= 1;
                if remaining == 0 {
                    break;
                }
            }
        }
        out
    }
}
