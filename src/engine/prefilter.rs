//! Deciding, from a file's bytes alone, which rules can possibly match it.
//!
//! Soundness: the semantic layer resolves a qualified name only through an import statement
//! (or builtin reference) in the same file, and every import spells the first segment of the
//! module it binds (`import yaml as y`, `from pickle import loads`); the last segment is
//! spelled either at the call (`y.load`) or in the import that binds it
//! (`from yaml import load as l`). So a file in which one of a rule's word sets (see
//! [`crate::rules::Rule::trigger_groups`]) does not appear as whole words cannot produce a
//! finding for that rule. The check is a word search, a superset of the real condition: it
//! may keep rules that then do not match, never the reverse. The fixtures test scans with and
//! without the prefilter and demands identical results.

use aho_corasick::{AhoCorasick, MatchKind};

use crate::rules::RuleSet;

/// A multi-pattern matcher from trigger words to the rules that need them.
#[derive(Debug)]
pub struct Prefilter {
    matcher: Option<AhoCorasick>,
    needle_count: usize,
    /// (rule index, needle indices that must all be present)
    groups: Vec<(usize, Vec<usize>)>,
    rule_count: usize,
}

/// Whether a byte can be part of a Python identifier (non-ASCII bytes count: they belong to
/// a Unicode identifier, so a neighbouring match is part of a longer name).
fn is_ident_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80
}

impl Prefilter {
    /// Builds the matcher for every rule's trigger words.
    pub fn new(rules: &RuleSet) -> Prefilter {
        let mut needles: Vec<String> = Vec::new();
        let mut groups = Vec::new();
        for (ri, rule) in rules.rules().iter().enumerate() {
            for group in rule.trigger_groups() {
                let ids = group
                    .into_iter()
                    .map(|word| match needles.iter().position(|n| *n == word) {
                        Some(i) => i,
                        None => {
                            needles.push(word);
                            needles.len() - 1
                        }
                    })
                    .collect();
                groups.push((ri, ids));
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
            needle_count: needles.len(),
            groups,
            rule_count: rules.rules().len(),
        }
    }

    /// For each rule, whether `bytes` contain all words of one of its trigger groups.
    pub fn applicable(&self, bytes: &[u8]) -> Vec<bool> {
        let mut out = vec![false; self.rule_count];
        let Some(matcher) = &self.matcher else {
            return out;
        };
        let mut seen = vec![false; self.needle_count];
        for m in matcher.find_overlapping_iter(bytes) {
            let before = m.start().checked_sub(1).map(|i| bytes[i]);
            let after = bytes.get(m.end()).copied();
            if before.is_some_and(is_ident_byte) || after.is_some_and(is_ident_byte) {
                continue;
            }
            seen[m.pattern().as_usize()] = true;
        }
        for (ri, ids) in &self.groups {
            if !out[*ri] && ids.iter().all(|&i| seen[i]) {
                out[*ri] = true;
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn needs_whole_words_of_one_group() {
        let rules = RuleSet::builtin().unwrap();
        let pf = Prefilter::new(&rules);
        let pickle = rules.rules().iter().position(|r| r.id == "PYA101").unwrap();
        assert!(pf.applicable(b"import pickle\npickle.loads(b)")[pickle]);
        assert!(pf.applicable(b"from pickle import loads as l")[pickle]);
        // Substrings of longer identifiers do not count.
        assert!(!pf.applicable(b"import pickled\npickled.loads(b)")[pickle]);
        // Both words of a group are needed.
        assert!(!pf.applicable(b"import pickle\npickle.dumps(b)")[pickle]);
    }
}
