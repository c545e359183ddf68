//! The shape of a rule file (TOML), as serde reads it. See `docs/rules-format.md`.

use super::taint_schema::{PropagatorSpec, SanitizerSpec, SinkSpec, SourceSpec};
use crate::finding::{Confidence, Severity};
use serde::Deserialize;
use toml::Spanned;

/// One rule file: metadata, documentation and match clauses.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleFile {
    pub id: Spanned<String>,
    pub name: Spanned<String>,
    pub severity: Severity,
    pub confidence: Confidence,
    #[serde(default)]
    pub cwe: Vec<u32>,
    /// One line: what the rule flags.
    pub summary: String,
    /// The finding message. `{call}` is replaced by the resolved qualified callee name.
    pub message: String,
    /// How to fix it: one paragraph.
    pub help: String,
    /// The full explanation: what is flagged and why it is dangerous.
    pub description: String,
    /// A short vulnerable example.
    pub vulnerable: String,
    /// The same example, fixed.
    pub fixed: String,
    #[serde(default)]
    pub references: Vec<String>,
    /// The rule's documentation page (SARIF `helpUri`). Built-in rules default to their
    /// generated page; user rules have none unless they set it.
    pub help_uri: Option<Spanned<String>>,
    #[serde(default)]
    pub tags: Vec<String>,
    /// Call patterns; the rule matches a call when any pattern matches it.
    #[serde(default)]
    pub pattern: Vec<Spanned<PatternSpec>>,
    /// `"call"` (the default) or `"taint"`; a taint rule has sinks instead of patterns.
    pub kind: Option<Spanned<String>>,
    /// Taint rules: sinks of this rule.
    #[serde(default)]
    pub sink: Vec<Spanned<SinkSpec>>,
    /// Taint rules: sources for this rule only (shared ones live in taint-model files).
    #[serde(default)]
    pub source: Vec<Spanned<SourceSpec>>,
    /// Taint rules: sanitizers for this rule only.
    #[serde(default)]
    pub sanitizer: Vec<Spanned<SanitizerSpec>>,
    /// Taint rules: propagators for this rule only.
    #[serde(default)]
    pub propagator: Vec<Spanned<PropagatorSpec>>,
    /// Taint rules: ids of call rules whose finding on the same call this rule replaces.
    #[serde(default)]
    pub supersedes: Vec<String>,
}

/// A set of qualified callee names plus conditions on the call's arguments.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PatternSpec {
    /// Qualified names, e.g. `pickle.loads`, `yaml.load`, `pickle.Unpickler().load`, or a
    /// builtin such as `eval`; `*.conf.update` matches those trailing attribute names on
    /// any receiver.
    #[serde(default)]
    pub calls: Vec<String>,
    /// Assignment targets: `SECRET_KEY`, `*.secret_key`, `*.config[SECRET_KEY]`,
    /// `flask.Flask().secret_key`. Conditions without `arg`/`position` test the value.
    #[serde(default)]
    pub assigns: Vec<String>,
    /// Class definitions whose (transitive) bases resolve to one of these names.
    /// Conditions name a `method` of the class body.
    #[serde(default)]
    pub subclasses: Vec<String>,
    /// Globs on the scanned file's path; when given, one must match.
    #[serde(default)]
    pub files: Vec<String>,
    /// Globs on the scanned file's path; none may match.
    #[serde(default)]
    pub not_files: Vec<String>,
    /// Call patterns: globs of which some string literal of the file (docstrings aside) must
    /// match one, e.g. `["*.html", "*</*>*"]` for a file that names or holds HTML.
    #[serde(default)]
    pub file_literals: Vec<String>,
    /// All conditions must hold for the pattern to match.
    #[serde(default)]
    pub when: Vec<Spanned<ConditionSpec>>,
    /// Overrides the rule's severity for matches of this pattern.
    pub severity: Option<Severity>,
    /// Overrides the rule's confidence for matches of this pattern.
    pub confidence: Option<Confidence>,
    /// Overrides the rule's message for matches of this pattern.
    pub message: Option<String>,
    /// The automatic fix for matches of this pattern (`--fix`).
    pub fix: Option<Spanned<crate::fix::FixSpec>>,
}

/// A literal value in a rule file, compared with a Python literal in the scanned code.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum LiteralSpec {
    Bool(bool),
    Int(i64),
    Str(String),
}

/// A condition on one argument, named by keyword, by position, or both.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConditionSpec {
    /// The keyword name of the argument.
    pub arg: Option<String>,
    /// The 0-based positional index of the argument.
    pub position: Option<usize>,
    /// Narrows the argument (or assigned value) to this string key of a dict display.
    pub key: Option<String>,
    /// Class patterns: the method of the class body (tests: `absent`, `present`).
    pub method: Option<String>,
    /// Holds when the argument is certainly not passed.
    pub absent: Option<bool>,
    /// Holds when the argument is passed (or may be, through `*args`/`**kwargs`).
    pub present: Option<bool>,
    /// Holds when the argument is this literal.
    pub equals: Option<LiteralSpec>,
    /// Holds when the argument is the literal `None`.
    pub is_none: Option<bool>,
    /// Holds when the argument resolves to one of these qualified names (or a class in the
    /// scanned file that subclasses one).
    #[serde(rename = "in")]
    pub one_of: Option<Vec<String>>,
    /// Holds when the argument is passed and does not resolve to one of these names.
    pub not_in: Option<Vec<String>>,
    /// `true`: the argument is a constant (literals, through plain assignments and `+`/`%`);
    /// `false`: it is passed and may not be.
    pub constant: Option<bool>,
    /// Holds when the argument is a list, tuple or set display holding one of these strings.
    pub contains: Option<Vec<String>>,
    /// Holds when the argument is a string literal matching this glob (`*` = any run).
    pub matches: Option<String>,
    /// Holds when the argument is a string literal not matching this glob.
    pub not_matches: Option<String>,
    /// Holds when the argument's source text matches this glob, ignoring ASCII case.
    pub source_matches: Option<String>,
    /// Holds when the constant text the argument starts with matches this glob.
    pub prefix_matches: Option<String>,
    /// Holds when the argument is passed and the constant text it starts with does not
    /// match this glob (an argument with no constant start has the prefix `""`).
    pub prefix_not_matches: Option<String>,
    /// Holds when the argument is passed and is not certainly a path of this site (see
    /// [`crate::rules::Test::NotSitePath`]); the names are calls that return one
    /// (`django.urls.reverse`).
    pub not_site_path: Option<Vec<String>>,
    /// Holds when the argument is a list, tuple or set display with no element that
    /// resolves to one of these names.
    pub lacks: Option<Vec<String>>,
    /// Holds when the argument is a non-empty constant string or bytes.
    pub literal_string: Option<bool>,
}
