//! Reading rule files: TOML parsing, validation with `file:line:col` errors, compilation.

use super::model::{ConditionSpec, LiteralSpec, PatternSpec, RuleFile};
use super::taint::{TaintModel, compile_model_file, compile_taint_rule};
use super::taint_schema::TaintModelFile;
use super::{Condition, Glob, Literal, Pattern, Rule, Target, TargetBase, Test};
use std::fmt;
use std::path::Path;

include!(concat!(env!("OUT_DIR"), "/embedded_rules.rs"));

/// Rule files larger than this are rejected before parsing: no real rule comes near it.
const MAX_RULE_FILE_BYTES: usize = 1 << 20;

/// A rule file that cannot be used, with the place of the problem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleError {
    pub file: String,
    pub line: usize,
    pub col: usize,
    pub message: String,
}

impl fmt::Display for RuleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.file, self.line, self.col, self.message
        )
    }
}

impl std::error::Error for RuleError {}

/// 1-based line and character column of a byte offset in `text`.
pub(crate) fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text.as_bytes()[..offset];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    let col = String::from_utf8_lossy(&before[line_start..])
        .chars()
        .count()
        + 1;
    (line, col)
}

pub(super) struct Ctx<'a> {
    file: &'a str,
    text: &'a str,
}

impl Ctx<'_> {
    pub(super) fn err(&self, offset: usize, message: impl Into<String>) -> RuleError {
        let (line, col) = line_col(self.text, offset);
        RuleError {
            file: self.file.to_string(),
            line,
            col,
            message: message.into(),
        }
    }
}

/// What one file under `rules/` holds.
#[derive(Debug, Clone)]
pub enum Parsed {
    Rule(Box<Rule>),
    /// A `kind = "taint-model"` file: shared sources, sanitizers and propagators.
    Model(Box<TaintModel>),
}

/// Rules and taint models read from files.
#[derive(Debug, Clone, Default)]
pub struct Loaded {
    pub rules: Vec<Rule>,
    pub models: Vec<TaintModel>,
    /// The files the taint models came from (empty for the built-in ones).
    pub model_files: Vec<String>,
}

impl Loaded {
    fn push(&mut self, parsed: Parsed) {
        match parsed {
            Parsed::Rule(r) => self.rules.push(*r),
            Parsed::Model(m) => self.models.push(*m),
        }
    }
}

/// Only the `kind` key, read first to choose the schema.
#[derive(serde::Deserialize)]
struct KindProbe {
    kind: Option<String>,
}

/// Parses and validates one rule file. `file` names it in errors.
pub fn parse_rule_file(file: &str, text: &str) -> Result<Rule, RuleError> {
    match parse_file(file, text)? {
        Parsed::Rule(r) => Ok(*r),
        Parsed::Model(_) => Err(Ctx { file, text }.err(0, "this is a taint model, not a rule")),
    }
}

/// Parses and validates one file under `rules/`: a rule or a taint model.
pub fn parse_file(file: &str, text: &str) -> Result<Parsed, RuleError> {
    let ctx = Ctx { file, text };
    if text.len() > MAX_RULE_FILE_BYTES {
        return Err(ctx.err(
            0,
            format!(
                "rule file is {} bytes; the limit is {MAX_RULE_FILE_BYTES}",
                text.len()
            ),
        ));
    }
    let toml_err = |e: toml::de::Error| {
        let offset = e.span().map_or(0, |s| s.start);
        ctx.err(offset, e.message().trim().to_string())
    };
    let probe: KindProbe = toml::from_str(text).map_err(toml_err)?;
    if probe.kind.as_deref() == Some("taint-model") {
        let spec: TaintModelFile = toml::from_str(text).map_err(toml_err)?;
        return Ok(Parsed::Model(Box::new(compile_model_file(&ctx, &spec)?)));
    }
    let spec: RuleFile = toml::from_str(text).map_err(toml_err)?;
    Ok(Parsed::Rule(Box::new(compile(&ctx, spec)?)))
}

fn is_valid_id(id: &str) -> bool {
    let letters = id.bytes().take_while(u8::is_ascii_uppercase).count();
    let digits = id.len() - letters;
    (2..=8).contains(&letters)
        && (2..=6).contains(&digits)
        && id.bytes().skip(letters).all(|b| b.is_ascii_digit())
}

pub(super) fn is_valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 80
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// A dotted Python name whose segments may end in `()` to mean "the result of calling it".
pub(super) fn is_valid_qname(q: &str) -> bool {
    !q.is_empty()
        && q.split('.').all(|seg| {
            let seg = seg.strip_suffix("()").unwrap_or(seg);
            !seg.is_empty()
                && !seg.starts_with(|c: char| c.is_ascii_digit())
                && seg.chars().all(|c| c.is_alphanumeric() || c == '_')
        })
}

/// The `{name}` placeholders a call rule's messages may use.
const CALL_PLACEHOLDERS: &[&str] = &["call"];

/// The placeholders a taint rule's messages may use.
const TAINT_PLACEHOLDERS: &[&str] = &["call", "source", "function", "argument", "attacker"];

/// Rejects a `{name}` in `text` that is not one of `allowed` (`{}` and other non-name
/// braces are left alone: they are not placeholders).
fn check_placeholders(
    ctx: &Ctx,
    offset: usize,
    field: &str,
    text: &str,
    allowed: &[&str],
) -> Result<(), RuleError> {
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else {
            break;
        };
        let name = &after[..close];
        let is_name = !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        if is_name && !allowed.contains(&name) {
            let known: Vec<String> = allowed.iter().map(|a| format!("{{{a}}}")).collect();
            let at = ctx.text.find(&format!("{{{name}}}")).unwrap_or(offset);
            return Err(ctx.err(
                at,
                format!(
                    "`{field}` uses unknown placeholder `{{{name}}}` (known: {})",
                    known.join(", ")
                ),
            ));
        }
        rest = &after[close + 1..];
    }
    Ok(())
}

fn compile(ctx: &Ctx, spec: RuleFile) -> Result<Rule, RuleError> {
    let id = spec.id.get_ref();
    if !is_valid_id(id) {
        return Err(ctx.err(
            spec.id.span().start,
            format!("rule id `{id}` must be 2-8 capital letters then 2-6 digits, like PYA101"),
        ));
    }
    let name = spec.name.get_ref();
    if !is_valid_name(name) {
        return Err(ctx.err(
            spec.name.span().start,
            format!("rule name `{name}` must be lowercase words joined by `-`"),
        ));
    }
    for (field, value) in [
        ("summary", &spec.summary),
        ("message", &spec.message),
        ("help", &spec.help),
        ("description", &spec.description),
    ] {
        if value.trim().is_empty() {
            return Err(ctx.err(0, format!("`{field}` must not be empty")));
        }
    }
    let taint = match spec
        .kind
        .as_ref()
        .map(|k| (k.get_ref().as_str(), k.span().start))
    {
        None | Some(("call", _)) => None,
        Some(("taint", _)) => Some(compile_taint_rule(ctx, &spec)?),
        Some((other, at)) => {
            return Err(ctx.err(
                at,
                format!("unknown rule kind `{other}` (expected call, taint or taint-model)"),
            ));
        }
    };
    if taint.is_none() {
        if let Some(s) = spec.sink.first() {
            return Err(ctx.err(
                s.span().start,
                "`[[sink]]` belongs in a `kind = \"taint\"` rule",
            ));
        }
        if spec.pattern.is_empty() {
            return Err(ctx.err(0, "a rule needs at least one [[pattern]]"));
        }
    }
    // A misspelt placeholder would otherwise reach users verbatim, e.g. "`{cal}` is unsafe".
    let allowed: &[&str] = if taint.is_some() {
        TAINT_PLACEHOLDERS
    } else {
        CALL_PLACEHOLDERS
    };
    check_placeholders(ctx, 0, "message", &spec.message, allowed)?;
    for p in &spec.pattern {
        if let Some(m) = &p.get_ref().message {
            check_placeholders(ctx, p.span().start, "message", m, allowed)?;
        }
    }
    for sink in &spec.sink {
        if let Some(m) = &sink.get_ref().message {
            check_placeholders(ctx, sink.span().start, "message", m, allowed)?;
        }
    }
    let mut patterns = Vec::with_capacity(spec.pattern.len());
    for p in &spec.pattern {
        patterns.push(compile_pattern(ctx, p.span().start, p.get_ref(), &spec)?);
    }
    let help_uri = match &spec.help_uri {
        Some(u) if !(u.get_ref().starts_with("https://") || u.get_ref().starts_with("http://")) => {
            return Err(ctx.err(u.span().start, "`help_uri` must be an http(s) URL"));
        }
        Some(u) => Some(u.get_ref().clone()),
        None if ctx.file.starts_with("builtin:") => {
            Some(format!("{}/{id}.md", crate::explain::DOCS_BASE_URL))
        }
        None => None,
    };
    Ok(Rule {
        id: id.clone(),
        name: name.clone(),
        severity: spec.severity,
        confidence: spec.confidence,
        cwe: spec.cwe.clone(),
        summary: spec.summary.trim().to_string(),
        message: spec.message.trim().to_string(),
        help: spec.help.trim().to_string(),
        description: spec.description.trim().to_string(),
        vulnerable: spec.vulnerable.trim_end().to_string(),
        fixed: spec.fixed.trim_end().to_string(),
        references: spec.references.clone(),
        help_uri,
        tags: spec.tags.clone(),
        patterns,
        taint,
        origin: ctx.file.to_string(),
    })
}

fn compile_pattern(
    ctx: &Ctx,
    offset: usize,
    p: &PatternSpec,
    rule: &RuleFile,
) -> Result<Pattern, RuleError> {
    let forms = [
        !p.calls.is_empty(),
        !p.assigns.is_empty(),
        !p.subclasses.is_empty(),
    ];
    match forms.iter().filter(|&&f| f).count() {
        0 => {
            return Err(ctx.err(
                offset,
                "a pattern needs `calls` (qualified callees), `assigns` (assignment targets) or \
                 `subclasses` (base classes)",
            ));
        }
        1 => {}
        _ => {
            return Err(ctx.err(
                offset,
                "a pattern takes one of `calls`, `assigns` and `subclasses`; write several \
                 patterns instead",
            ));
        }
    }
    if let Some(bad) = p.calls.iter().find(|c| !is_valid_callee(c)) {
        return Err(ctx.err(
            offset,
            format!(
                "`{bad}` is not a qualified Python name like `pickle.loads` or a receiver-free \
                 callee like `*.conf.update`"
            ),
        ));
    }
    let mut assigns = Vec::with_capacity(p.assigns.len());
    for t in &p.assigns {
        assigns.push(parse_target(t).ok_or_else(|| {
            ctx.err(
                offset,
                format!(
                    "`{t}` is not an assignment target like `SECRET_KEY`, `*.secret_key`, \
                     `*.config[SECRET_KEY]` or `flask.Flask().secret_key`"
                ),
            )
        })?);
    }
    let subclasses = check_names(ctx, offset, &p.subclasses)?;
    if !p.file_literals.is_empty() && p.calls.is_empty() {
        return Err(ctx.err(offset, "`file_literals` belongs to `calls` patterns"));
    }
    let mut conditions = Vec::with_capacity(p.when.len());
    for c in &p.when {
        let cond = compile_condition_of(ctx, c.span().start, c.get_ref(), !p.calls.is_empty())?;
        let for_class = cond.method.is_some();
        if for_class == p.subclasses.is_empty() {
            return Err(ctx.err(
                c.span().start,
                "`method` conditions belong to `subclasses` patterns, and those take only \
                 `method` conditions",
            ));
        }
        if for_class && !matches!(cond.test, Test::Absent | Test::Present) {
            return Err(ctx.err(
                c.span().start,
                "a `method` condition takes `absent = true` or `present = true`",
            ));
        }
        if !p.assigns.is_empty() && (cond.arg.is_some() || cond.position.is_some()) {
            return Err(ctx.err(
                c.span().start,
                "conditions of an `assigns` pattern test the assigned value: no `arg` or \
                 `position`",
            ));
        }
        conditions.push(cond);
    }
    let fix = match &p.fix {
        Some(f) => {
            f.get_ref()
                .validate()
                .map_err(|e| ctx.err(f.span().start, e))?;
            Some(f.get_ref().clone())
        }
        None => None,
    };
    Ok(Pattern {
        fix,
        calls: p.calls.clone(),
        assigns,
        subclasses,
        files: globs(ctx, offset, &p.files)?,
        not_files: globs(ctx, offset, &p.not_files)?,
        file_literals: globs(ctx, offset, &p.file_literals)?,
        conditions,
        severity: p.severity.unwrap_or(rule.severity),
        confidence: p.confidence.unwrap_or(rule.confidence),
        message: p
            .message
            .clone()
            .unwrap_or_else(|| rule.message.clone())
            .trim()
            .to_string(),
    })
}

fn glob_of(ctx: &Ctx, offset: usize, text: &str, ignore_case: bool) -> Result<Glob, RuleError> {
    Glob::new(text, ignore_case).map_err(|e| ctx.err(offset, e))
}

/// Path globs, which ignore case (file systems on macOS and Windows do).
fn globs(ctx: &Ctx, offset: usize, texts: &[String]) -> Result<Vec<Glob>, RuleError> {
    texts
        .iter()
        .map(|t| glob_of(ctx, offset, t, true))
        .collect()
}

/// A qualified name, or `*.` followed by one (the callee's trailing attributes).
fn is_valid_callee(c: &str) -> bool {
    match c.strip_prefix("*.") {
        Some(rest) => is_valid_qname(rest) && !rest.contains("()"),
        None => is_valid_qname(c),
    }
}

fn is_identifier(s: &str) -> bool {
    !s.is_empty()
        && !s.starts_with(|c: char| c.is_ascii_digit())
        && s.chars().all(|c| c.is_alphanumeric() || c == '_')
}

/// `NAME`, `*.a.b` or a qualified name, optionally followed by `[KEY]`.
fn parse_target(t: &str) -> Option<Target> {
    let (base, key) = match t.strip_suffix(']') {
        Some(rest) => {
            let (base, key) = rest.split_once('[')?;
            let key = key.trim_matches(|c| c == '"' || c == '\'');
            (base, Some(key.to_string()))
        }
        None => (t, None),
    };
    if key
        .as_deref()
        .is_some_and(|k| k.is_empty() || k.contains(['[', ']']))
    {
        return None;
    }
    let base = if let Some(rest) = base.strip_prefix("*.") {
        let segs: Vec<String> = rest.split('.').map(String::from).collect();
        if !segs.iter().all(|s| is_identifier(s)) {
            return None;
        }
        TargetBase::Suffix(segs)
    } else if is_identifier(base) {
        TargetBase::Name(base.to_string())
    } else if is_valid_qname(base) {
        TargetBase::Qualified(base.to_string())
    } else {
        return None;
    };
    Some(Target {
        base,
        key,
        spelled: t.to_string(),
    })
}

/// Compiles a condition on a call's arguments.
pub(super) fn compile_condition(
    ctx: &Ctx,
    offset: usize,
    c: &ConditionSpec,
) -> Result<Condition, RuleError> {
    compile_condition_of(ctx, offset, c, true)
}

/// `of_call`: the condition is about a call's arguments, so it must name one.
fn compile_condition_of(
    ctx: &Ctx,
    offset: usize,
    c: &ConditionSpec,
    of_call: bool,
) -> Result<Condition, RuleError> {
    if of_call && c.arg.is_none() && c.position.is_none() {
        return Err(ctx.err(
            offset,
            "a `when` condition needs `arg` (keyword name), `position` (0-based index), or both",
        ));
    }
    if c.method.is_some() && (c.arg.is_some() || c.position.is_some() || c.key.is_some()) {
        return Err(ctx.err(
            offset,
            "a `method` condition takes no `arg`, `position` or `key`",
        ));
    }
    let mut tests = Vec::new();
    if c.absent == Some(true) {
        tests.push(Test::Absent);
    }
    if c.present == Some(true) {
        tests.push(Test::Present);
    }
    if let Some(lit) = &c.equals {
        tests.push(Test::Equals(match lit {
            LiteralSpec::Bool(b) => Literal::Bool(*b),
            LiteralSpec::Int(i) => Literal::Int(*i),
            LiteralSpec::Str(s) => Literal::Str(s.clone()),
        }));
    }
    if c.is_none == Some(true) {
        tests.push(Test::Equals(Literal::None));
    }
    if let Some(names) = &c.one_of {
        tests.push(Test::In(check_names(ctx, offset, names)?));
    }
    if let Some(names) = &c.not_in {
        tests.push(Test::NotIn(check_names(ctx, offset, names)?));
    }
    if let Some(constant) = c.constant {
        tests.push(Test::Constant(constant));
    }
    if let Some(values) = &c.contains {
        if values.is_empty() {
            return Err(ctx.err(offset, "`contains` needs at least one string"));
        }
        tests.push(Test::Contains(values.clone()));
    }
    if let Some(glob) = &c.matches {
        tests.push(Test::Matches(glob_of(ctx, offset, glob, false)?, true));
    }
    if let Some(glob) = &c.not_matches {
        tests.push(Test::Matches(glob_of(ctx, offset, glob, false)?, false));
    }
    if let Some(glob) = &c.source_matches {
        tests.push(Test::SourceMatches(glob_of(ctx, offset, glob, true)?));
    }
    if let Some(glob) = &c.prefix_matches {
        tests.push(Test::Prefix(glob_of(ctx, offset, glob, false)?, true));
    }
    if let Some(glob) = &c.prefix_not_matches {
        tests.push(Test::Prefix(glob_of(ctx, offset, glob, false)?, false));
    }
    if let Some(names) = &c.not_site_path {
        tests.push(Test::NotSitePath(check_names(ctx, offset, names)?));
    }
    if let Some(names) = &c.lacks {
        tests.push(Test::Lacks(check_names(ctx, offset, names)?));
    }
    if c.literal_string == Some(true) {
        tests.push(Test::LiteralString);
    }
    if c.absent == Some(false)
        || c.present == Some(false)
        || c.is_none == Some(false)
        || c.literal_string == Some(false)
    {
        return Err(ctx.err(
            offset,
            "`absent`, `present`, `is_none` and `literal_string` only take `true`; use the \
             opposite test instead",
        ));
    }
    match tests.len() {
        1 => Ok(Condition {
            arg: c.arg.clone(),
            position: c.position,
            key: c.key.clone(),
            method: c.method.clone(),
            test: tests.pop().unwrap(),
        }),
        0 => Err(ctx.err(
            offset,
            "a `when` condition needs one test: absent, present, equals, is_none, in, not_in, \
             constant, contains, matches, not_matches, source_matches, prefix_matches, \
             prefix_not_matches, not_site_path, lacks or literal_string",
        )),
        _ => Err(ctx.err(
            offset,
            "a `when` condition takes exactly one test; write several conditions instead",
        )),
    }
}

fn check_names(ctx: &Ctx, offset: usize, names: &[String]) -> Result<Vec<String>, RuleError> {
    if let Some(bad) = names.iter().find(|n| !is_valid_qname(n)) {
        return Err(ctx.err(offset, format!("`{bad}` is not a qualified Python name")));
    }
    Ok(names.to_vec())
}

/// The rules and taint models embedded in the binary.
pub fn builtin_rules() -> Result<Loaded, RuleError> {
    let mut loaded = Loaded::default();
    for (path, text) in EMBEDDED_RULES {
        loaded.push(parse_file(&format!("builtin:{path}"), text)?);
    }
    // Files are grouped in directories by topic; listings, SARIF and docs go by id.
    loaded.rules.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(loaded)
}

/// Loads every `*.toml` rule or taint-model file under `dir` (recursively), in path order.
pub fn load_dir(dir: &Path) -> Result<Loaded, RuleError> {
    let io_err = |p: &Path, e: std::io::Error| RuleError {
        file: p.display().to_string(),
        line: 0,
        col: 0,
        message: format!("cannot read rules: {e}"),
    };
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    // Iterative walk with a visit cap so a hostile or looping rules tree cannot hang us.
    let mut visited = 0usize;
    while let Some(d) = stack.pop() {
        visited += 1;
        if visited > 10_000 {
            return Err(RuleError {
                file: dir.display().to_string(),
                line: 0,
                col: 0,
                message: "more than 10000 directories under the rules directory".into(),
            });
        }
        let entries = std::fs::read_dir(&d).map_err(|e| io_err(&d, e))?;
        for entry in entries {
            let entry = entry.map_err(|e| io_err(&d, e))?;
            let path = entry.path();
            let ft = entry.file_type().map_err(|e| io_err(&path, e))?;
            if ft.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "toml") {
                files.push(path);
            }
        }
    }
    files.sort();
    let mut loaded = Loaded::default();
    for path in files {
        let name = path.display().to_string();
        let text = crate::bounded_read::read_text(&path, crate::bounded_read::DATA_LIMIT).map_err(
            |e| RuleError {
                file: name.clone(),
                line: 0,
                col: 0,
                message: format!("rule file {e}"),
            },
        )?;
        let parsed = parse_file(&name, &text)?;
        if matches!(parsed, Parsed::Model(_)) {
            loaded.model_files.push(name);
        }
        loaded.push(parsed);
    }
    Ok(loaded)
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
id = "TST001"
name = "test-rule"
severity = "high"
confidence = "high"
summary = "s"
message = "m {call}"
help = "h"
description = "d"
vulnerable = "v"
fixed = "f"

[[pattern]]
calls = ["pickle.loads"]
"#;

    #[test]
    fn good_rule_parses() {
        let r = parse_rule_file("t.toml", GOOD).unwrap();
        assert_eq!(r.id, "TST001");
        assert_eq!(r.patterns[0].calls, vec!["pickle.loads"]);
    }

    #[test]
    fn unknown_key_reports_line() {
        let text = GOOD.replace("help = \"h\"", "help = \"h\"\nhelpp = 1");
        let e = parse_rule_file("t.toml", &text).unwrap_err();
        assert_eq!(e.line, 9, "{e}");
        assert!(e.message.contains("helpp"), "{e}");
    }

    #[test]
    fn two_tests_in_one_condition_rejected() {
        let text = format!("{GOOD}[[pattern.when]]\narg = \"x\"\nabsent = true\nequals = 1\n");
        let e = parse_rule_file("t.toml", &text).unwrap_err();
        assert_eq!(e.line, 15, "{e}");
    }

    #[test]
    fn bad_qname_rejected() {
        let text = GOOD.replace("pickle.loads", "pickle..loads");
        assert!(parse_rule_file("t.toml", &text).is_err());
    }

    fn with_pattern(pattern: &str) -> String {
        GOOD.replace("[[pattern]]\ncalls = [\"pickle.loads\"]\n", pattern)
    }

    #[test]
    fn new_pattern_forms_parse() {
        for pattern in [
            "[[pattern]]\ncalls = [\"*.conf.update\"]\n",
            "[[pattern]]\nassigns = [\"SECRET_KEY\", \"*.config[SECRET_KEY]\", \"flask.Flask().secret_key\"]\n  [[pattern.when]]\n  literal_string = true\n",
            "[[pattern]]\nsubclasses = [\"pickle.Unpickler\"]\n  [[pattern.when]]\n  method = \"find_class\"\n  absent = true\n",
            "[[pattern]]\ncalls = [\"jwt.decode\"]\nnot_files = [\"*/tests/*\"]\n  [[pattern.when]]\n  arg = \"options\"\n  key = \"verify_signature\"\n  equals = false\n",
        ] {
            let text = with_pattern(pattern);
            assert!(parse_rule_file("t.toml", &text).is_ok(), "{pattern}");
        }
    }

    #[test]
    fn bad_pattern_forms_rejected() {
        for (pattern, problem) in [
            (
                "[[pattern]]\ncalls = [\"a.b\"]\nassigns = [\"X\"]\n",
                "one of",
            ),
            (
                "[[pattern]]\nassigns = [\"a b\"]\n",
                "not an assignment target",
            ),
            (
                "[[pattern]]\nassigns = [\"X[]\"]\n",
                "not an assignment target",
            ),
            ("[[pattern]]\ncalls = [\"*.a()\"]\n", "receiver-free"),
            (
                "[[pattern]]\nassigns = [\"X\"]\n  [[pattern.when]]\n  arg = \"y\"\n  equals = 1\n",
                "assigned value",
            ),
            (
                "[[pattern]]\ncalls = [\"a.b\"]\n  [[pattern.when]]\n  method = \"m\"\n  absent = true\n",
                "needs `arg`",
            ),
            (
                "[[pattern]]\nsubclasses = [\"a.B\"]\n  [[pattern.when]]\n  method = \"m\"\n  equals = 1\n",
                "absent = true",
            ),
            (
                "[[pattern]]\nassigns = [\"X\"]\n  [[pattern.when]]\n  literal_string = false\n",
                "only take `true`",
            ),
        ] {
            let err = parse_rule_file("t.toml", &with_pattern(pattern)).unwrap_err();
            assert!(err.message.contains(problem), "{pattern}: {}", err.message);
        }
    }
}
