//! What a module tells the rest of the project about its classes, for rule conditions that
//! name classes (`Loader=` must be one of PyYAML's safe loaders): a `yaml.load(text,
//! Loader=ConfigLoader)` whose `ConfigLoader` is defined in another module on
//! `yaml.SafeLoader` is safe, and one defined there on `yaml.Loader` is not.
//!
//! Read in the scan's probe, before any module is analysed, and only from the files that may
//! matter: those with a module-level class statement whose line names one of the classes
//! the rules' conditions list (by last name, so `ConfigLoader(Loader)` counts for `Loader`),
//! and packages' `__init__` files that name one (they may re-export it).

use super::{Engine, decode, parse};
use crate::project::ModuleSummary;
use crate::rules::{RuleSet, Test};
use crate::semantic::Model;
use aho_corasick::AhoCorasick;
use std::path::Path;

/// The last names of the classes the rules' `in`/`not_in` conditions list (`SafeLoader`
/// for `yaml.SafeLoader`): a capitalised last segment is taken for a class.
pub(super) fn class_words(rules: &RuleSet) -> Option<AhoCorasick> {
    let mut words: Vec<&str> = rules
        .rules()
        .iter()
        .flat_map(|r| &r.patterns)
        .flat_map(|p| &p.conditions)
        .flat_map(|c| match &c.test {
            Test::In(set) | Test::NotIn(set) => set.as_slice(),
            _ => &[],
        })
        .filter_map(|q| q.rsplit('.').next())
        .filter(|last| last.starts_with(|c: char| c.is_ascii_uppercase()))
        .collect();
    words.sort_unstable();
    words.dedup();
    (!words.is_empty())
        .then(|| AhoCorasick::new(&words).ok())
        .flatten()
}

impl Engine {
    /// The imports and module-level classes of a file that may define or re-export a class
    /// a rule condition cares about (see the module documentation); `None` for any other
    /// file, and for one that cannot be decoded or parsed (its own analysis reports why).
    /// `code` is `bytes` with comments and string statements blanked (see
    /// [`super::Triage::code`]): a class named only there is defined nowhere.
    pub fn class_facts(&self, path: &Path, bytes: &[u8], code: &[u8]) -> Option<ModuleSummary> {
        let words = self.class_words.as_ref()?;
        let package = path.file_name().is_some_and(|n| n == "__init__.py");
        if !(defines_class(code, words) || package && words.is_match(code)) {
            return None;
        }
        let (source, _) = decode(bytes).ok()?;
        let tree = parse(&source.text)?;
        let model = Model::build(tree.root_node(), source.text.as_bytes());
        let summary = crate::taint::class_summary(&model);
        (!summary.classes.is_empty() || (package && !summary.imports.is_empty())).then_some(summary)
    }
}

/// Whether some line starts with `class ` and names one of `words` (a module-level class
/// statement whose bases are on its first line, or text that looks like one: the parse
/// decides). Bases on continuation lines are missed, as in a file analysed on its own.
fn defines_class(bytes: &[u8], words: &AhoCorasick) -> bool {
    let starts = std::iter::once(0)
        .filter(|_| bytes.starts_with(b"class "))
        .chain(memchr::memmem::find_iter(bytes, b"\nclass ").map(|i| i + 1));
    starts.into_iter().any(|start| {
        let line = &bytes[start..];
        let end = memchr::memchr(b'\n', line).unwrap_or(line.len());
        words.is_match(&line[..end])
    })
}
