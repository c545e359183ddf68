//! Deciding, from a file's bytes alone, which rules can possibly match it.
//!
//! Soundness: the semantic layer resolves a qualified name only through an import statement
//! (or builtin reference) in the same file, and every import spells the first segment of the
//! module it binds (`import yaml as y`, `from pickle import loads`); the last segment is
//! spelled either at the call (`y.load`) or in the import that binds it
//! (`from yaml import load as l`). So a file whose words satisfy none of a rule's clauses
//! (see [`RuleSet::trigger_clauses`]) cannot produce a finding for that rule. The trigger
//! check is a whole-word search (the name neither preceded nor followed by an identifier
//! character), a superset of the real condition: it may keep rules that then do not match,
//! never the reverse. Taint rules need a whole word of each of their groups (a sink's
//! module and a source's). A clause of a call rule's pattern also needs the file's path to
//! be one the pattern admits (its `files` and `not_files` globs), which the matcher checks
//! as well.
//!
//! The text searched is the code of the file: callers pass the bytes with comments and
//! string statements blanked (see [`super::prose`]). Those hold no name the semantic layer
//! resolves, no keyword argument, no assignment target and no subscript key; the literals
//! a trigger may be (a subscript key written as a string, `app.config["SECRET_KEY"]`) are
//! strings inside expressions, which stay. Conditions that read a file's other literals
//! (`file_literals`) add no trigger word and skip string statements themselves. Suppression
//! comments, which make a file be parsed to report them unused, are looked for in the
//! whole text by the caller. The fixtures test scans with and without the prefilter and
//! demands identical results.

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};

use crate::rules::{Pattern, RuleSet};
use std::path::Path;

/// A multi-pattern matcher from trigger names to the rules that need them.
///
/// A rule has clauses (see [`RuleSet::trigger_clauses`]); each clause has groups of names;
/// the rule applies to a file whose text satisfies some clause: a whole-word name of every
/// one of the clause's groups.
#[derive(Debug)]
pub struct Prefilter {
    matcher: Option<AhoCorasick>,
    /// needle index → (clause index, group index) pairs that the needle satisfies
    by_needle: Vec<Vec<(usize, usize)>>,
    /// clause index → (rule index, number of groups)
    clauses: Vec<(usize, usize)>,
    /// clause index → the pattern it comes from, when that pattern admits only some paths
    paths: Vec<Option<Pattern>>,
    rule_count: usize,
}

impl Prefilter {
    /// Builds the matcher for every rule's trigger names.
    pub fn new(rules: &RuleSet) -> Prefilter {
        let mut needles: Vec<String> = Vec::new();
        let mut by_needle: Vec<Vec<(usize, usize)>> = Vec::new();
        let mut clauses = Vec::new();
        let mut paths = Vec::new();
        for ri in 0..rules.rules().len() {
            for (pi, clause) in rules.trigger_clauses_by_pattern(ri) {
                let ci = clauses.len();
                // At most 64 groups are tracked; more would only be a stricter test.
                let groups: Vec<Vec<String>> = clause.into_iter().take(64).collect();
                clauses.push((ri, groups.len()));
                paths.push(
                    pi.map(|pi| &rules.rules()[ri].patterns[pi])
                        .filter(|p| !p.files.is_empty() || !p.not_files.is_empty())
                        .cloned(),
                );
                for (gi, group) in groups.into_iter().enumerate() {
                    for name in group {
                        match needles.iter().position(|n| *n == name) {
                            Some(i) => by_needle[i].push((ci, gi)),
                            None => {
                                needles.push(name);
                                by_needle.push(vec![(ci, gi)]);
                            }
                        }
                    }
                }
            }
        }
        let matcher = if needles.is_empty() {
            None
        } else {
            AhoCorasick::builder()
                // Needles are identifiers and only whole-word matches count: at a given
                // start, only the longest needle can end where the identifier ends, and a
                // rejected match lies inside one identifier, so resuming after it skips no
                // whole-word match. Non-overlapping search is then exact and much faster
                // than reporting every overlapping occurrence of common names.
                .match_kind(MatchKind::LeftmostLongest)
                // A few hundred short needles: a full DFA is small and the fastest to scan
                // every byte of every file with.
                .kind(Some(AhoCorasickKind::DFA))
                .build(&needles)
                .ok()
        };
        Prefilter {
            matcher,
            by_needle,
            clauses,
            paths,
            rule_count: rules.rules().len(),
        }
    }

    /// For each rule, whether `bytes` satisfy one of its clauses whose pattern admits
    /// `path`.
    pub fn applicable(&self, bytes: &[u8], path: &Path) -> Vec<bool> {
        let mut satisfied: Vec<u64> = vec![0; self.clauses.len()];
        if let Some(matcher) = &self.matcher {
            let mut seen = vec![false; self.by_needle.len()];
            let mut remaining = seen.len();
            for m in matcher.find_iter(bytes) {
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
                    for &(c, g) in &self.by_needle[i] {
                        satisfied[c] |= 1 << g;
                    }
                    remaining -= 1;
                    if remaining == 0 {
                        break;
                    }
                }
            }
        }
        let mut out = vec![false; self.rule_count];
        for ((&(rule, n), bits), only) in self.clauses.iter().zip(satisfied).zip(&self.paths) {
            // A clause with no groups has no sound text test: it always holds.
            let need = if n >= 64 { u64::MAX } else { (1u64 << n) - 1 };
            if !out[rule]
                && bits & need == need
                && only
                    .as_ref()
                    .is_none_or(|p| super::assignments::path_admits(p, path))
            {
                out[rule] = true;
            }
        }
        out
    }
}

/// Bytes that can continue a Python identifier (any non-ASCII byte may be part of one).
fn is_ident_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn needs_whole_words_of_one_group() {
        let rules = RuleSet::builtin().unwrap();
        let pf = Prefilter::new(&rules);
        let pickle = rules.rules().iter().position(|r| r.id == "PYA101").unwrap();
        assert!(pf.applicable(b"import pickle\npickle.loads(b)", Path::new("a.py"))[pickle]);
        assert!(pf.applicable(b"from pickle import loads as l", Path::new("a.py"))[pickle]);
        // Substrings of longer identifiers do not count.
        assert!(!pf.applicable(b"import pickled\npickled.loads(b)", Path::new("a.py"))[pickle]);
        // Both words of a group are needed.
        assert!(!pf.applicable(b"import pickle\npickle.dumps(b)", Path::new("a.py"))[pickle]);
    }

    #[test]
    fn call_rules_need_a_path_their_patterns_admit() {
        let rules = RuleSet::builtin().unwrap();
        let pf = Prefilter::new(&rules);
        let debug = rules.rules().iter().position(|r| r.id == "PYA306").unwrap();
        let text = b"DEBUG = True\n";
        assert!(pf.applicable(text, Path::new("proj/settings.py"))[debug]);
        // Only settings modules are checked, and not those for development or tests.
        assert!(!pf.applicable(text, Path::new("proj/views.py"))[debug]);
        assert!(!pf.applicable(text, Path::new("proj/settings/dev.py"))[debug]);
    }
}
