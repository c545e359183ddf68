//! Declarative rules: loading, validation and the compiled form the engine matches with.
//!
//! Rules are TOML files (one rule per file) under `rules/`, embedded into the binary at build
//! time; `--rules DIR` adds more. TOML was chosen because it is the format Python tools already
//! keep configuration in (`pyproject.toml`), it has no implicit typing surprises (YAML's
//! `no` → false), and the `toml` crate reports spans, so a bad rule file is reported with its
//! line.

mod load;
mod model;
pub mod select;
pub mod taint;
mod taint_schema;

pub(crate) use load::line_col;
pub use load::{Loaded, Parsed, RuleError, builtin_rules, load_dir, parse_file, parse_rule_file};
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

/// A glob from a rule file, where `*` matches any run of characters (`/` included).
#[derive(Debug, Clone)]
pub struct Glob {
    /// The glob as written.
    pub text: String,
    regex: regex::Regex,
}

impl Glob {
    /// Compiles `text`; `ignore_case` makes ASCII letters match either case.
    pub fn new(text: &str, ignore_case: bool) -> Result<Glob, String> {
        let body: Vec<String> = text.split('*').map(regex::escape).collect();
        let flags = if ignore_case { "(?i)" } else { "" };
        let regex = regex::Regex::new(&format!("{flags}^{}$", body.join("(?s:.*)")))
            .map_err(|e| format!("glob `{text}` is too large: {e}"))?;
        Ok(Glob {
            text: text.to_string(),
            regex,
        })
    }

    /// Whether `s` matches the whole glob.
    pub fn is_match(&self, s: &str) -> bool {
        self.regex.is_match(s)
    }
}

impl PartialEq for Glob {
    fn eq(&self, other: &Glob) -> bool {
        self.text == other.text && self.regex.as_str() == other.regex.as_str()
    }
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
    /// A list, tuple or set display with an element equal to one of these strings.
    Contains(Vec<String>),
    /// A string literal matching this glob (`true`), or not matching it (`false`).
    Matches(Glob, bool),
    /// The argument's source text matches this glob, ignoring ASCII case.
    SourceMatches(Glob),
    /// A non-empty constant string (or bytes).
    LiteralString,
    /// The constant text the value starts with (before any interpolated or computed part)
    /// matches this glob (`true`), or does not (`false`).
    Prefix(Glob, bool),
    /// The value is not certainly a path of this site: it neither starts with constant
    /// text `/` followed by a character other than `/` and `\`, nor with a call of one of
    /// these names (`reverse(...)`, a path the site routes, which may be just `/`) followed
    /// by nothing or by constant text that does not start with `/` or `\`.
    NotSitePath(Vec<String>),
    /// A list, tuple or set display none of whose elements resolves to one of these names
    /// (a call counts as its callee's name with `()`).
    Lacks(Vec<String>),
}

/// A condition on one call argument.
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    pub arg: Option<String>,
    pub position: Option<usize>,
    /// Narrows the selected value to this string key of a dict display (`{"k": v}`).
    pub key: Option<String>,
    /// Class patterns: the method of the class body this condition is about.
    pub method: Option<String>,
    pub test: Test,
}

/// The left-hand side an assignment pattern matches (`assigns` in a rule file).
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    pub base: TargetBase,
    /// `x["KEY"] = ...`: the string key of a subscript target.
    pub key: Option<String>,
    /// The target as the rule file spells it, used in messages.
    pub spelled: String,
}

/// What the object part of an assignment target must be.
#[derive(Debug, Clone, PartialEq)]
pub enum TargetBase {
    /// A plain name: `SECRET_KEY = ...` in any scope.
    Name(String),
    /// `*.a.b`: an attribute chain ending in these names, on any object.
    Suffix(Vec<String>),
    /// A qualified name the target resolves to (`flask.Flask().secret_key`).
    Qualified(String),
}

/// Qualified callee names and the argument conditions that must all hold.
#[derive(Debug, Clone)]
pub struct Pattern {
    /// Qualified callee names; entries starting with `*.` match a callee's trailing
    /// attribute names on any receiver.
    pub calls: Vec<String>,
    /// Assignment targets (a pattern has calls, assigns or subclasses).
    pub assigns: Vec<Target>,
    /// Class definitions whose bases resolve to one of these names.
    pub subclasses: Vec<String>,
    /// Globs on the file path (`/`-separated); when non-empty, one must match.
    pub files: Vec<Glob>,
    /// Globs on the file path; none may match.
    pub not_files: Vec<Glob>,
    /// Globs one of which some string literal of the file must match (call patterns).
    pub file_literals: Vec<Glob>,
    pub conditions: Vec<Condition>,
    pub severity: Severity,
    pub confidence: Confidence,
    pub message: String,
    /// How to fix a match automatically, if the rule says.
    pub fix: Option<crate::fix::FixSpec>,
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
    /// The documentation page (SARIF `helpUri`); `None` for a user rule that names none.
    pub help_uri: Option<String>,
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
        let needs_given = matches!(
            c.test,
            Test::Equals(_)
                | Test::In(_)
                | Test::Constant(true)
                | Test::Contains(_)
                | Test::Matches(..)
                | Test::SourceMatches(_)
                | Test::LiteralString
                | Test::Prefix(_, true)
                | Test::Lacks(_)
        );
        if let (true, Some(kw), None) = (needs_given, &c.arg, c.position) {
            keywords.push(vec![kw.clone()]);
        }
    }
    let mut clauses: Vec<Vec<Vec<String>>> = p
        .calls
        .iter()
        .map(|call| match call.strip_prefix("*.") {
            // A call on any receiver spells each trailing attribute name.
            Some(suffix) => suffix.split('.').map(|s| vec![s.to_string()]).collect(),
            None => vec![
                vec![first_segment(call).to_string()],
                vec![last_segment(call).to_string()],
            ],
        })
        .collect();
    clauses.extend(p.assigns.iter().map(target_clause));
    clauses.extend(p.subclasses.iter().map(|base| {
        vec![
            vec![first_segment(base).to_string()],
            vec![last_segment(base).to_string()],
        ]
    }));
    for clause in &mut clauses {
        clause.extend(keywords.iter().cloned());
    }
    clauses
}

/// The words an assignment to `t` spells: the name, each attribute of a `*.` chain, or the
/// first and last segments of a qualified name; and a subscript's key (written as a string
/// literal, so also a whole word of the text).
fn target_clause(t: &Target) -> Vec<Vec<String>> {
    let mut clause: Vec<Vec<String>> = match &t.base {
        TargetBase::Name(n) => vec![vec![n.clone()]],
        TargetBase::Suffix(segs) => segs.iter().map(|s| vec![s.clone()]).collect(),
        TargetBase::Qualified(q) => vec![
            vec![first_segment(q).to_string()],
            vec![last_segment(q).to_string()],
        ],
    };
    if let Some(k) = &t.key
        && !k.is_empty()
    {
        clause.push(vec![k.clone()]);
    }
    clause
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
    /// `*.a.b` callees: (trailing attribute names, rule index, pattern index).
    by_suffix: Vec<(Vec<String>, usize, usize)>,
    /// (rule index, pattern index) of assignment and class patterns.
    forms: Vec<(usize, usize)>,
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
        let mut by_suffix = Vec::new();
        let mut forms = Vec::new();
        for (ri, rule) in rules.iter().enumerate() {
            for (pi, pattern) in rule.patterns.iter().enumerate() {
                for call in &pattern.calls {
                    match call.strip_prefix("*.") {
                        Some(suffix) => {
                            by_suffix.push((suffix.split('.').map(String::from).collect(), ri, pi))
                        }
                        None => by_call.entry(call.clone()).or_default().push((ri, pi)),
                    }
                }
                if !pattern.assigns.is_empty() || !pattern.subclasses.is_empty() {
                    forms.push((ri, pi));
                }
            }
        }
        Ok(RuleSet {
            rules,
            taint_model: TaintModel::default(),
            by_call,
            user_models: Vec::new(),
            by_suffix,
            forms,
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

    /// Keeps only the taint sources of the threat models in `keep` (`--threat-model`), in
    /// the shared model and in each taint rule's own.
    pub fn with_threat_models(mut self, keep: &[crate::settings::ThreatModel]) -> RuleSet {
        self.taint_model.retain_threat_models(keep);
        for r in &mut self.rules {
            if let Some(t) = &mut r.taint {
                t.local.retain_threat_models(keep);
            }
        }
        self
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

    /// Whether the rule at `index` is a taint rule (false for an index out of range).
    pub fn is_taint(&self, index: usize) -> bool {
        self.rules.get(index).is_some_and(|r| r.taint.is_some())
    }

    /// The patterns whose `calls` contain `qname`.
    pub fn patterns_for_call(&self, qname: &str) -> &[(usize, usize)] {
        self.by_call.get(qname).map(Vec::as_slice).unwrap_or(&[])
    }

    /// The `*.a.b` call patterns: (trailing attribute names, rule index, pattern index).
    pub fn suffix_patterns(&self) -> &[(Vec<String>, usize, usize)] {
        &self.by_suffix
    }

    /// The assignment and class patterns, as (rule index, pattern index).
    pub fn form_patterns(&self) -> &[(usize, usize)] {
        &self.forms
    }

    /// Finds a rule by id or name, ignoring ASCII case.
    pub fn find(&self, id_or_name: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| {
            r.id.eq_ignore_ascii_case(id_or_name) || r.name.eq_ignore_ascii_case(id_or_name)
        })
    }
}
