//! Deciding, from a file's bytes alone, which rules can possibly match it.
//!
//! Soundness: the semantic layer resolves a qualified name only through an import statement
//! (or builtin reference) in the same file, and every import spells the first segment of the
//! module it binds (`import yaml as y`, `from pickle import loads`). So a file whose bytes
//! never contain a rule's trigger names (the first segments of its call names) cannot produce
//! a finding for that rule. The trigger check is a whole-word search (the name neither
//! preceded nor followed by an identifier character), a superset of the real condition: it
//! may keep rules that then do not match, never the reverse. Taint rules need a whole word
//! of each of their groups (a sink's module and a source's). The fixtures test scans with
//! and without the prefilter and demands identical results.

use aho_corasick::{AhoCorasick, MatchKind};

use crate::rules::RuleSet;

/// A multi-pattern matcher from trigger names to the rules that need them.
///
/// A rule has one or more groups of names (taint rules: sink names and source names); it
/// applies to a file whose text contains a name of every group.
#[derive(Debug)]
pub struct Prefilter {
    matcher: Option<AhoCorasick>,
    /// needle index → (rule index, group index) pairs that the needle satisfies
    rules_by_needle: Vec<Vec<(usize, usize)>>,
    /// rule index → number of groups
    groups: Vec<usize>,
}

impl Prefilter {
    /// Builds the matcher for every rule's trigger names.
    pub fn new(rules: &RuleSet) -> Prefilter {
        let mut needles: Vec<String> = Vec::new();
        let mut rules_by_needle: Vec<Vec<(usize, usize)>> = Vec::new();
        let mut groups = Vec::new();
        for ri in 0..rules.rules().len() {
            let rule_groups = rules.trigger_groups(ri);
            groups.push(rule_groups.len());
            for (gi, group) in rule_groups.into_iter().enumerate() {
                for name in group {
                    match needles.iter().position(|n| *n == name) {
                        Some(i) => rules_by_needle[i].push((ri, gi)),
                        None => {
                            needles.push(name);
                            rules_by_needle.push(vec![(ri, gi)]);
                        }
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
            groups,
        }
    }

    /// For each rule, whether `bytes` mention a trigger name of each of its groups.
    pub fn applicable(&self, bytes: &[u8]) -> Vec<bool> {
        // satisfied[rule] = bit set of groups seen so far
        let mut satisfied: Vec<u64> = vec![0; self.groups.len()];
        if let Some(matcher) = &self.matcher {
            let mut seen = vec![false; self.rules_by_needle.len()];
            let mut remaining = seen.len();
            for m in matcher.find_overlapping_iter(bytes) {
                let i = m.pattern().as_usize();
                // Only whole words count: an import or builtin use spells the name as a
                // token of its own, while `os` inside `pos` or `close` proves nothing.
                let before = m.start().checked_sub(1).map(|b| bytes[b]);
                let after = bytes.get(m.end()).copied();
                if before.is_some_and(is_ident_byte) || after.is_some_and(is_ident_byte) {
                    continue;
                }
                if !seen[i] {
                    seen[i] = true;
                    for &(r, g) in &self.rules_by_needle[i] {
                        satisfied[r] |= 1 << g.min(63);
                    }
                    remaining -= 1;
                    if remaining == 0 {
                        break;
                    }
                }
            }
        }
        self.groups
            .iter()
            .zip(satisfied)
            .map(|(&n, bits)| {
                // A rule with an empty group list has no sound text test: always applies.
                let need = if n >= 64 { u64::MAX } else { (1u64 << n) - 1 };
                bits & need == need
            })
            .collect()
    }
}

/// Bytes that can continue a Python identifier (any non-ASCII byte may be part of one).
fn is_ident_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80
}
