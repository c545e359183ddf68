//! Declarative rules: loading, validation and the compiled form the engine matches with.
//!
//! Rules are TOML files (one rule per file) under `rules/`, embedded into the binary at build
//! time; `--rules DIR` adds more. TOML was chosen because it is the format Python tools already
//! keep configuration in (`pyproject.toml`), it has no implicit typing surprises (YAML's
//! `no` → false), and the `toml` crate reports spans, so a bad rule file is reported with its
//! line.

mod load;
mod model;

pub(crate) use load::line_col;
pub use load::{RuleError, load_dir, parse_rule_file};
pub use model::{ConditionSpec, LiteralSpec, PatternSpec, RuleFile};

use crate::finding::{Confidence, Severity};
use std::collections::HashMap;

/// A literal compared against a Python literal argument.
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    Bool(bool),
    Int(i64),
    Str(String),
    None,
}

/// What a condition checks about its argument.
#[derive(Debug, Clone, PartialEq)]
pub enum Test {
    Absent,
    Present,
    Equals(Literal),
    In(Vec<String>),
    NotIn(Vec<String>),
}

/// A condition on one call argument.
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    pub arg: Option<String>,
    pub position: Option<usize>,
    pub test: Test,
}

/// Qualified callee names and the argument conditions that must all hold.
#[derive(Debug, Clone)]
pub struct Pattern {
    pub calls: Vec<String>,
    pub conditions: Vec<Condition>,
    pub severity: Severity,
    pub confidence: Confidence,
    pub message: String,
}

/// A loaded, validated rule.
#[derive(Debug, Clone)]
pub struct Rule {
    pub id: String,
    pub name: String,
    pub severity: Severity,
    pub confidence: Confidence,
    pub cwe: Vec<u32>,
    pub summary: String,
    pub message: String,
    pub help: String,
    pub description: String,
    pub vulnerable: String,
    pub fixed: String,
    pub references: Vec<String>,
    pub tags: Vec<String>,
    pub patterns: Vec<Pattern>,
    /// Where the rule came from (`builtin:rules/...` or a user path).
    pub origin: String,
}

impl Rule {
    /// Sets of words of which at least one set must appear whole in a file's text for any
    /// of this rule's patterns to match it. For a call `a.b.c` the set is `{a, c}`: the
    /// semantic layer resolves a qualified name only through an import (or builtin use)
    /// that spells its first segment, and the call site or an import must spell its last.
    pub fn trigger_groups(&self) -> Vec<Vec<String>> {
        let mut groups: Vec<Vec<String>> = self
            .patterns
            .iter()
            .flat_map(|p| p.calls.iter())
            .map(|c| {
                let mut g = vec![first_segment(c).to_string(), last_segment(c).to_string()];
                g.sort();
                g.dedup();
                g
            })
            .collect();
        groups.sort();
        groups.dedup();
        groups
    }
}

/// The last dotted segment of a qualified name, without a `()` suffix (`load` for
/// `pickle.Unpickler().load`).
pub fn last_segment(qname: &str) -> &str {
    let last = qname.rsplit('.').next().unwrap_or(qname);
    last.strip_suffix("()").unwrap_or(last)
}

/// The first dotted segment of a qualified name (`yaml` for `yaml.cyaml.CLoader`).
pub fn first_segment(qname: &str) -> &str {
    qname.split(['.', '(']).next().unwrap_or(qname)
}

/// All rules in force for a run, with an index from qualified callee name to patterns.
#[derive(Debug, Clone, Default)]
pub struct RuleSet {
    rules: Vec<Rule>,
    /// qualified callee name → (rule index, pattern index)
    by_call: HashMap<String, Vec<(usize, usize)>>,
}

impl RuleSet {
    /// Builds a rule set, rejecting duplicate ids or names.
    pub fn new(rules: Vec<Rule>) -> Result<RuleSet, RuleError> {
        let mut seen: HashMap<String, String> = HashMap::new();
        for rule in &rules {
            for key in [&rule.id, &rule.name] {
                if let Some(first) = seen.insert(key.to_ascii_lowercase(), rule.origin.clone()) {
                    return Err(RuleError {
                        file: rule.origin.clone(),
                        line: 1,
                        col: 1,
                        message: format!("rule id or name `{key}` is already used by {first}"),
                    });
                }
            }
        }
        let mut by_call: HashMap<String, Vec<(usize, usize)>> = HashMap::new();
        for (ri, rule) in rules.iter().enumerate() {
            for (pi, pattern) in rule.patterns.iter().enumerate() {
                for call in &pattern.calls {
                    by_call.entry(call.clone()).or_default().push((ri, pi));
                }
            }
        }
        Ok(RuleSet { rules, by_call })
    }

    /// The built-in rules embedded at build time.
    pub fn builtin() -> Result<RuleSet, RuleError> {
        RuleSet::new(load::builtin_rules()?)
    }

    /// The built-in rules plus every rule file under each of `dirs`.
    pub fn with_dirs(dirs: &[std::path::PathBuf]) -> Result<RuleSet, RuleError> {
        let mut rules = load::builtin_rules()?;
        for dir in dirs {
            rules.extend(load_dir(dir)?);
        }
        RuleSet::new(rules)
    }

    /// Keeps only the rules for which `keep` returns true.
    pub fn retain(self, keep: impl Fn(&Rule) -> bool) -> Result<RuleSet, RuleError> {
        RuleSet::new(self.rules.into_iter().filter(|r| keep(r)).collect())
    }

    /// All rules, in id order.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// The patterns whose `calls` contain `qname`.
    pub fn patterns_for_call(&self, qname: &str) -> &[(usize, usize)] {
        self.by_call.get(qname).map(Vec::as_slice).unwrap_or(&[])
    }

    /// Finds a rule by id or name, ignoring ASCII case.
    pub fn find(&self, id_or_name: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| {
            r.id.eq_ignore_ascii_case(id_or_name) || r.name.eq_ignore_ascii_case(id_or_name)
        })
    }
}
