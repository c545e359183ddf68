//! Declarative rules: loading, validation and the compiled form the engine matches with.
//!
//! Rules are TOML files (one rule per file) under `rules/`, embedded into the binary at build
//! time; `--rules DIR` adds more. TOML was chosen because it is the format Python tools already
//! keep configuration in (`pyproject.toml`), it has no implicit typing surprises (YAML's
//! `no` → false), and the `toml` crate reports spans, so a bad rule file is reported with its
//! line.

mod load;
mod model;
pub mod taint;
mod taint_schema;

pub(crate) use load::line_col;
pub use load::{Loaded, Parsed, RuleError, load_dir, parse_file, parse_rule_file};
pub use model::{ConditionSpec, LiteralSpec, PatternSpec, RuleFile};
pub use taint::{TaintModel, TaintRule};

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
    /// Whether the argument is (`true`) or may not be (`false`) a constant.
    Constant(bool),
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
    /// Set for `kind = "taint"` rules, which match data flows instead of patterns.
    pub taint: Option<TaintRule>,
    /// Where the rule came from (`builtin:rules/...` or a user path).
    pub origin: String,
}

/// The prefilter clauses of one call pattern, one per callee: its first and last segment,
/// and the keyword of every condition that holds only when that keyword argument is written
/// (`equals`, `in`, `constant = true` on a keyword-only argument; a `**kwargs` splat only
/// makes such an argument "maybe passed", for which these tests fail).
fn pattern_clauses(p: &Pattern) -> Vec<Vec<Vec<String>>> {
    let mut keywords = Vec::new();
    for c in &p.conditions {
        let needs_given = matches!(c.test, Test::Equals(_) | Test::In(_) | Test::Constant(true));
        if let (true, Some(kw), None) = (needs_given, &c.arg, c.position) {
            keywords.push(vec![kw.clone()]);
        }
    }
    p.calls
        .iter()
        .map(|call| {
            let mut clause = vec![
                vec![first_segment(call).to_string()],
                vec![last_segment(call).to_string()],
            ];
            clause.extend(keywords.iter().cloned());
            clause
        })
        .collect()
}

/// Two groups: the first segments and the last segments of `names` (without `()`).
pub fn first_and_last<'a>(names: impl IntoIterator<Item = &'a String>) -> Vec<Vec<String>> {
    let (mut firsts, mut lasts): (Vec<String>, Vec<String>) = names
        .into_iter()
        .map(|n| (first_segment(n).to_string(), last_segment(n).to_string()))
        .unzip();
    for g in [&mut firsts, &mut lasts] {
        g.sort();
        g.dedup();
    }
    vec![firsts, lasts]
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

/// Replaces each taint sink's `from_rules` by copies of the named call rules' patterns, so
/// a taint rule keeps its sinks even when those call rules are deselected.
fn expand_sink_rules(rules: &mut [Rule]) -> Result<(), RuleError> {
    for i in 0..rules.len() {
        let Some(taint) = &rules[i].taint else {
            continue;
        };
        if taint.sinks.iter().all(|s| s.from_rules.is_empty()) {
            continue;
        }
        let mut sinks = Vec::new();
        for sink in &taint.sinks {
            for id in &sink.from_rules {
                let Some(source) = rules.iter().find(|r| {
                    r.taint.is_none()
                        && (r.id.eq_ignore_ascii_case(id) || r.name.eq_ignore_ascii_case(id))
                }) else {
                    return Err(RuleError {
                        file: rules[i].origin.clone(),
                        line: 1,
                        col: 1,
                        message: format!("`from_rules` names `{id}`, which is not a call rule"),
                    });
                };
                for p in &source.patterns {
                    let mut copy = sink.clone();
                    copy.from_rules.clear();
                    copy.calls = p.calls.clone();
                    copy.conditions.extend(p.conditions.iter().cloned());
                    sinks.push(copy);
                }
            }
            if !sink.calls.is_empty() || !sink.methods.is_empty() || sink.persist.is_some() {
                let mut own = sink.clone();
                own.from_rules.clear();
                sinks.push(own);
            }
        }
        if let Some(t) = rules[i].taint.as_mut() {
            t.sinks = sinks;
        }
    }
    Ok(())
}

/// All rules in force for a run, with an index from qualified callee name to patterns.
#[derive(Debug, Clone, Default)]
pub struct RuleSet {
    rules: Vec<Rule>,
    /// Sources, sanitizers and propagators from taint-model files, shared by taint rules.
    taint_model: TaintModel,
    /// qualified callee name → (rule index, pattern index)
    by_call: HashMap<String, Vec<(usize, usize)>>,
    /// Taint-model files loaded from rule directories (not built in), in load order.
    user_models: Vec<String>,
}

impl RuleSet {
    /// Builds a rule set, rejecting duplicate ids or names.
    pub fn new(mut rules: Vec<Rule>) -> Result<RuleSet, RuleError> {
        expand_sink_rules(&mut rules)?;
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
        Ok(RuleSet {
            rules,
            taint_model: TaintModel::default(),
            by_call,
            user_models: Vec::new(),
        })
    }

    /// Builds a rule set from loaded rules and taint models.
    pub fn from_loaded(loaded: Loaded) -> Result<RuleSet, RuleError> {
        let mut set = RuleSet::new(loaded.rules)?;
        for m in &loaded.models {
            set.taint_model.extend(m);
        }
        set.user_models = loaded.model_files;
        Ok(set)
    }

    /// The built-in rules embedded at build time.
    pub fn builtin() -> Result<RuleSet, RuleError> {
        RuleSet::from_loaded(load::builtin_rules()?)
    }

    /// The built-in rules plus every rule file under each of `dirs`.
    pub fn with_dirs(dirs: &[std::path::PathBuf]) -> Result<RuleSet, RuleError> {
        let mut loaded = load::builtin_rules()?;
        for dir in dirs {
            let more = load_dir(dir)?;
            loaded.rules.extend(more.rules);
            loaded.models.extend(more.models);
            loaded.model_files.extend(more.model_files);
        }
        RuleSet::from_loaded(loaded)
    }

    /// Keeps only the rules for which `keep` returns true; taint models are kept whole, so
    /// selecting one taint rule keeps every source.
    pub fn retain(self, keep: impl Fn(&Rule) -> bool) -> Result<RuleSet, RuleError> {
        let model = self.taint_model;
        let user_models = self.user_models;
        let mut set = RuleSet::new(self.rules.into_iter().filter(|r| keep(r)).collect())?;
        set.taint_model = model;
        set.user_models = user_models;
        Ok(set)
    }

    /// Rules loaded from rule directories rather than built in: (id, file).
    pub fn user_rules(&self) -> Vec<(&str, &str)> {
        self.rules
            .iter()
            .filter(|r| !r.origin.starts_with("builtin:"))
            .map(|r| (r.id.as_str(), r.origin.as_str()))
            .collect()
    }

    /// Taint-model files loaded from rule directories rather than built in.
    pub fn user_models(&self) -> &[String] {
        &self.user_models
    }

    /// The shared taint model (from taint-model files).
    pub fn taint_model(&self) -> &TaintModel {
        &self.taint_model
    }

    /// For rule `ri`, the ways a file's text can admit it: a list of clauses, each a list of
    /// groups of names; the rule may match a file only if, for some clause, the text holds a
    /// whole-word name of every group. A resolved qualified name spells all its segments in
    /// the file (in an import or an attribute access), so a call rule needs a first segment
    /// and a last segment of the callees of one of its patterns, plus the keyword of each of
    /// that pattern's conditions that can only hold for a keyword written out; a taint rule
    /// needs what one of its sources needs (the sink may be in another module).
    pub fn trigger_clauses(&self, ri: usize) -> Vec<Vec<Vec<String>>> {
        let rule = &self.rules[ri];
        let Some(taint) = &rule.taint else {
            return rule.patterns.iter().flat_map(pattern_clauses).collect();
        };
        let mut model = self.taint_model.clone();
        model.extend(&taint.local);
        model.source_clauses()
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
