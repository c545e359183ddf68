//! Compiled taint declarations and their validation (file:line:col errors like call rules).

use super::load::{Ctx, compile_condition, is_valid_name, is_valid_qname};
use super::model::RuleFile;
use super::taint_schema::{
    ArgSpec, PropagatorSpec, SanitizerSpec, SinkSpec, SourceSpec, TaintModelFile,
};
use super::{Condition, RuleError};
use crate::finding::{Confidence, Severity};
use toml::Spanned;

pub use super::taint_schema::PersistSpec;

/// Where untrusted data enters.
#[derive(Debug, Clone)]
pub struct Source {
    pub label: String,
    pub kind: SourceKind,
    /// The threat model the source belongs to (`remote` unless the model file says).
    pub threat_model: crate::settings::ThreatModel,
}

/// The two shapes of source.
#[derive(Debug, Clone)]
pub enum SourceKind {
    /// Attribute reads or calls with one of these qualified names.
    Names(Vec<String>),
    /// Parameters of selected functions.
    Params(Box<ParamSource>),
}

/// Which functions' parameters are sources, and which parameters.
#[derive(Debug, Clone, Default)]
pub struct ParamSource {
    pub module_imports: Vec<String>,
    pub decorated_by: Vec<String>,
    pub class_bases: Vec<String>,
    pub function_names: Vec<String>,
    pub first_param: Option<String>,
    /// Registration calls that make a module-level function a handler (see
    /// [`super::taint_schema::SourceSpec::registered_by`]).
    pub registered_by: Vec<String>,
    pub registered_arg: usize,
    pub registered_keyword: Option<String>,
    pub fallback_first_param: Option<String>,
    pub exempt_converters: Vec<String>,
    pub passed_to: Vec<String>,
    pub passed_as: Vec<String>,
    pub param_position: Option<usize>,
    pub param_names: Vec<String>,
    pub param_annotated: Vec<String>,
    pub exclude_params: Vec<String>,
    pub exempt_annotations: Vec<String>,
    pub exempt_defaults: Vec<String>,
    /// Attribute paths (split on `.`) that are tainted when read from the parameter; empty
    /// means the parameter itself is tainted.
    pub attributes: Vec<Vec<String>>,
}

/// One argument of a sink.
#[derive(Debug, Clone, PartialEq)]
pub struct SinkArg {
    pub arg: Option<String>,
    pub position: Option<usize>,
    pub head: bool,
    /// Any `**mapping` argument.
    pub splat: bool,
    /// The receiver of a method call.
    pub receiver: bool,
}

/// A call that must not receive tainted data.
#[derive(Debug, Clone)]
pub struct Sink {
    pub calls: Vec<String>,
    pub from_rules: Vec<String>,
    /// Method names on any receiver.
    pub methods: Vec<String>,
    /// The methods are not matched on a receiver that is a class or module.
    pub objects_only: bool,
    /// Persisting an object with tainted attributes.
    pub persist: Option<PersistSpec>,
    /// Empty: any argument.
    pub args: Vec<SinkArg>,
    pub conditions: Vec<Condition>,
    pub label: String,
    pub severity: Severity,
    pub confidence: Confidence,
    pub message: String,
}

/// Sanitizing calls and validating guards.
#[derive(Debug, Clone, Default)]
pub struct Sanitizers {
    pub calls: Vec<String>,
    pub guards: Vec<String>,
    pub guard_methods: Vec<String>,
    pub exits: Vec<String>,
    pub converter_args: Vec<String>,
    /// How project validators are named (see [`ValidatorNames`]).
    pub validators: ValidatorNames,
    /// Lowercase name prefixes of raising checkers (`validate`).
    pub checker_prefixes: Vec<String>,
    /// Whether raising checkers clean their argument for these rules.
    pub checkers: bool,
}

/// How a function of the scanned project must be named to count as a validator.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ValidatorNames {
    pub prefixes: Vec<String>,
    pub words: Vec<String>,
    pub exclude: Vec<String>,
}

impl ValidatorNames {
    /// Whether a function called `name` is named like a validator.
    pub fn matches(&self, name: &str) -> bool {
        let lower = name.to_ascii_lowercase();
        self.prefixes.iter().any(|p| lower.starts_with(p.as_str()))
            && self.words.iter().any(|w| lower.contains(w.as_str()))
            && !self.exclude.iter().any(|w| lower.contains(w.as_str()))
    }

    fn extend(&mut self, other: &ValidatorNames) {
        for (mine, theirs) in [
            (&mut self.prefixes, &other.prefixes),
            (&mut self.words, &other.words),
            (&mut self.exclude, &other.exclude),
        ] {
            for x in theirs {
                if !mine.contains(x) {
                    mine.push(x.clone());
                }
            }
        }
    }
}

/// Calls that carry taint from arguments to their result or receiver.
#[derive(Debug, Clone, Default)]
pub struct Propagators {
    pub calls: Vec<String>,
    pub methods: Vec<String>,
    pub into_receiver: Vec<String>,
}

/// Sources, sanitizers and propagators: shared (taint-model files) or rule-local.
#[derive(Debug, Clone, Default)]
pub struct TaintModel {
    pub sources: Vec<Source>,
    pub sanitizers: Sanitizers,
    pub propagators: Propagators,
}

impl TaintModel {
    /// Drops the sources whose threat model is not in `keep`.
    pub fn retain_threat_models(&mut self, keep: &[crate::settings::ThreatModel]) {
        self.sources.retain(|s| keep.contains(&s.threat_model));
    }

    /// Adds everything `other` declares.
    pub fn extend(&mut self, other: &TaintModel) {
        self.sources.extend(other.sources.iter().cloned());
        let s = &mut self.sanitizers;
        s.calls.extend(other.sanitizers.calls.iter().cloned());
        s.guards.extend(other.sanitizers.guards.iter().cloned());
        s.guard_methods
            .extend(other.sanitizers.guard_methods.iter().cloned());
        s.exits.extend(other.sanitizers.exits.iter().cloned());
        s.converter_args
            .extend(other.sanitizers.converter_args.iter().cloned());
        s.validators.extend(&other.sanitizers.validators);
        for p in &other.sanitizers.checker_prefixes {
            if !s.checker_prefixes.contains(p) {
                s.checker_prefixes.push(p.clone());
            }
        }
        s.checkers |= other.sanitizers.checkers;
        let p = &mut self.propagators;
        p.calls.extend(other.propagators.calls.iter().cloned());
        p.methods.extend(other.propagators.methods.iter().cloned());
        p.into_receiver
            .extend(other.propagators.into_receiver.iter().cloned());
    }

    /// One prefilter clause per source (see [`super::RuleSet::trigger_clauses`]): groups of
    /// names that must all appear, as whole words, in a file where the source can apply.
    pub fn source_clauses(&self) -> Vec<Vec<Vec<String>>> {
        let mut out = Vec::new();
        for s in &self.sources {
            let mut groups: Vec<Vec<String>> = Vec::new();
            match &s.kind {
                SourceKind::Names(n) => groups.extend(super::first_and_last(n)),
                SourceKind::Params(p) => {
                    if !p.module_imports.is_empty() {
                        groups.push(
                            p.module_imports
                                .iter()
                                .map(|m| super::first_segment(m).to_string())
                                .collect(),
                        );
                    }
                    for names in [
                        &p.decorated_by,
                        &p.class_bases,
                        &p.param_annotated,
                        &p.passed_to,
                    ] {
                        if !names.is_empty() {
                            groups.extend(super::first_and_last(names));
                        }
                    }
                    // A registration source without a parameter-name fallback applies only
                    // in the modules the project registers handlers in (their analysis
                    // applies every taint rule, whatever their text), so by text only where
                    // a registration call is written: without this clause it would be a
                    // source of every file.
                    if !p.registered_by.is_empty() && p.fallback_first_param.is_none() {
                        groups.extend(super::first_and_last(&p.registered_by));
                    }
                    // The parameter is spelled in the `def`. A module with registered
                    // handlers needs no such word: its analysis applies every taint rule
                    // (see `Engine::analyse_in`), so the clause only gates the fallback.
                    if let Some(first) = p.first_param.as_ref().or(p.fallback_first_param.as_ref())
                    {
                        groups.push(vec![first.clone()]);
                    }
                    if !p.param_names.is_empty() {
                        groups.push(p.param_names.clone());
                    }
                    // A request object taints only through one of its attributes, read by name.
                    let lasts: Vec<String> = p
                        .attributes
                        .iter()
                        .filter_map(|a| a.last().cloned())
                        .collect();
                    if !lasts.is_empty() {
                        groups.push(lasts);
                    }
                }
            }
            for g in &mut groups {
                g.sort();
                g.dedup();
            }
            out.push(groups);
        }
        out
    }
}

/// The taint part of a `kind = "taint"` rule.
#[derive(Debug, Clone, Default)]
pub struct TaintRule {
    pub sinks: Vec<Sink>,
    /// Sources, sanitizers and propagators that apply to this rule only.
    pub local: TaintModel,
    pub supersedes: Vec<String>,
}

fn check_qnames(ctx: &Ctx, offset: usize, names: &[String]) -> Result<(), RuleError> {
    match names.iter().find(|n| !is_valid_qname(n)) {
        Some(bad) => Err(ctx.err(
            offset,
            format!("`{bad}` is not a qualified Python name like `flask.request.args`"),
        )),
        None => Ok(()),
    }
}

fn compile_source(ctx: &Ctx, s: &Spanned<SourceSpec>) -> Result<Source, RuleError> {
    let off = s.span().start;
    let s = s.get_ref();
    if s.label.trim().is_empty() {
        return Err(ctx.err(off, "a `[[source]]` needs a non-empty `label`"));
    }
    for list in [
        &s.names,
        &s.module_imports,
        &s.decorated_by,
        &s.class_bases,
        &s.param_annotated,
        &s.exempt_annotations,
        &s.exempt_defaults,
        &s.passed_to,
        &s.registered_by,
    ] {
        check_qnames(ctx, off, list)?;
    }
    if s.registered_by.is_empty()
        && (s.registered_arg.is_some()
            || s.registered_keyword.is_some()
            || s.fallback_first_param.is_some())
    {
        return Err(ctx.err(
            off,
            "`registered_arg`, `registered_keyword` and `fallback_first_param` need \
             `registered_by`",
        ));
    }
    if s.registered_by.is_empty() && s.decorated_by.is_empty() && !s.exempt_converters.is_empty() {
        return Err(ctx.err(
            off,
            "`exempt_converters` needs `registered_by` or `decorated_by` (the route whose \
             converters it reads)",
        ));
    }
    let selects = !s.module_imports.is_empty()
        || !s.decorated_by.is_empty()
        || !s.class_bases.is_empty()
        || !s.function_names.is_empty()
        || s.first_param.is_some()
        || !s.registered_by.is_empty()
        || !s.passed_to.is_empty()
        || s.param_position.is_some()
        || !s.param_names.is_empty()
        || !s.param_annotated.is_empty()
        || !s.attributes.is_empty();
    let kind = match (s.names.is_empty(), selects) {
        (false, false) => SourceKind::Names(s.names.clone()),
        (true, true) => {
            if let Some(bad) = s
                .attributes
                .iter()
                .find(|a| !is_valid_qname(a) || a.contains('('))
            {
                return Err(ctx.err(off, format!("`{bad}` is not an attribute path like `GET`")));
            }
            SourceKind::Params(Box::new(ParamSource {
                module_imports: s.module_imports.clone(),
                decorated_by: s.decorated_by.clone(),
                class_bases: s.class_bases.clone(),
                function_names: s.function_names.clone(),
                first_param: s.first_param.clone(),
                registered_by: s.registered_by.clone(),
                registered_arg: s.registered_arg.unwrap_or(1),
                registered_keyword: s.registered_keyword.clone(),
                fallback_first_param: s.fallback_first_param.clone(),
                exempt_converters: s.exempt_converters.clone(),
                passed_to: s.passed_to.clone(),
                passed_as: s.passed_as.clone(),
                param_position: s.param_position,
                param_names: s.param_names.clone(),
                param_annotated: s.param_annotated.clone(),
                exclude_params: s.exclude_params.clone(),
                exempt_annotations: s.exempt_annotations.clone(),
                exempt_defaults: s.exempt_defaults.clone(),
                attributes: s
                    .attributes
                    .iter()
                    .map(|a| a.split('.').map(str::to_string).collect())
                    .collect(),
            }))
        }
        (false, true) => {
            return Err(ctx.err(
                off,
                "a `[[source]]` has either `names` (expressions) or function/parameter \
                 selectors, not both",
            ));
        }
        (true, false) => {
            return Err(ctx.err(
                off,
                "a `[[source]]` needs `names` or a function/parameter selector \
                 (module_imports, decorated_by, class_bases, function_names, param_*)",
            ));
        }
    };
    Ok(Source {
        label: s.label.trim().to_string(),
        kind,
        threat_model: s
            .threat_model
            .unwrap_or(crate::settings::ThreatModel::Remote),
    })
}

/// One Python identifier.
fn is_valid_name_segment(m: &str) -> bool {
    let mut chars = m.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn compile_arg(ctx: &Ctx, off: usize, a: &ArgSpec) -> Result<SinkArg, RuleError> {
    let positional = a.arg.is_some() || a.position.is_some();
    if usize::from(positional) + usize::from(a.splat) + usize::from(a.receiver) != 1 {
        return Err(ctx.err(
            off,
            "a sink argument needs `arg`, `position`, or both; or else `splat = true` or \
             `receiver = true` alone",
        ));
    }
    Ok(SinkArg {
        arg: a.arg.clone(),
        position: a.position,
        head: a.head,
        splat: a.splat,
        receiver: a.receiver,
    })
}

fn compile_sink(ctx: &Ctx, s: &Spanned<SinkSpec>, rule: &RuleFile) -> Result<Sink, RuleError> {
    let off = s.span().start;
    let s = s.get_ref();
    if let Some(p) = &s.persist {
        if !(s.calls.is_empty() && s.from_rules.is_empty() && s.methods.is_empty()) {
            return Err(ctx.err(
                off,
                "a `[[sink]]` with `persist` has no `calls`, `methods` or `from_rules`",
            ));
        }
        if p.object_methods.is_empty()
            && p.argument_methods.is_empty()
            && p.session_methods.is_empty()
        {
            return Err(ctx.err(
                off,
                "`persist` needs `object_methods`, `argument_methods` or `session_methods`",
            ));
        }
        if !s.args.is_empty() || !s.when.is_empty() {
            return Err(ctx.err(off, "a `persist` sink takes no `args` or `when`"));
        }
    } else if s.calls.is_empty() && s.from_rules.is_empty() && s.methods.is_empty() {
        return Err(ctx.err(
            off,
            "a `[[sink]]` needs `calls`, `methods`, `from_rules` or `persist`",
        ));
    }
    let method_names = s.methods.iter().chain(s.persist.iter().flat_map(|p| {
        p.object_methods
            .iter()
            .chain(&p.argument_methods)
            .chain(&p.session_methods)
    }));
    for m in method_names {
        if !is_valid_name_segment(m) {
            return Err(ctx.err(
                off,
                format!("`{m}` is not a method name (one identifier, no dots)"),
            ));
        }
    }
    check_qnames(ctx, off, &s.calls)?;
    if s.label.trim().is_empty() {
        return Err(ctx.err(off, "a `[[sink]]` needs a non-empty `label`"));
    }
    let args = s
        .args
        .iter()
        .map(|a| compile_arg(ctx, off, a))
        .collect::<Result<Vec<_>, _>>()?;
    let conditions = s
        .when
        .iter()
        .map(|c| compile_condition(ctx, c.span().start, c.get_ref()))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Sink {
        calls: s.calls.clone(),
        from_rules: s.from_rules.clone(),
        methods: s.methods.clone(),
        objects_only: s.objects_only,
        persist: s.persist.clone(),
        args,
        conditions,
        label: s.label.trim().to_string(),
        severity: s.severity.unwrap_or(rule.severity),
        confidence: s.confidence.unwrap_or(rule.confidence),
        message: s
            .message
            .clone()
            .unwrap_or_else(|| rule.message.clone())
            .trim()
            .to_string(),
    })
}

fn compile_model(
    ctx: &Ctx,
    sources: &[Spanned<SourceSpec>],
    sanitizers: &[Spanned<SanitizerSpec>],
    propagators: &[Spanned<PropagatorSpec>],
) -> Result<TaintModel, RuleError> {
    let mut model = TaintModel::default();
    for s in sources {
        model.sources.push(compile_source(ctx, s)?);
    }
    for s in sanitizers {
        let off = s.span().start;
        let s = s.get_ref();
        check_qnames(ctx, off, &s.calls)?;
        check_qnames(ctx, off, &s.guards)?;
        check_qnames(ctx, off, &s.exits)?;
        if s.calls.is_empty()
            && s.guards.is_empty()
            && s.guard_methods.is_empty()
            && s.exits.is_empty()
            && s.converter_args.is_empty()
            && s.validator_words.is_empty()
            && s.checker_prefixes.is_empty()
            && !s.checkers
        {
            return Err(ctx.err(
                off,
                "a `[[sanitizer]]` needs `calls`, `guards`, `guard_methods`, `exits`, \
                 `converter_args`, `validator_words`, `checker_prefixes` or `checkers`",
            ));
        }
        if s.validator_words.is_empty() != s.validator_prefixes.is_empty()
            || (s.validator_words.is_empty() && !s.validator_exclude.is_empty())
        {
            return Err(ctx.err(
                off,
                "`validator_prefixes` and `validator_words` go together (and \
                 `validator_exclude` needs them)",
            ));
        }
        let lower = |v: &Vec<String>| v.iter().map(|x| x.to_ascii_lowercase()).collect();
        model.sanitizers.validators.extend(&ValidatorNames {
            prefixes: lower(&s.validator_prefixes),
            words: lower(&s.validator_words),
            exclude: lower(&s.validator_exclude),
        });
        for p in &s.checker_prefixes {
            let p = p.to_ascii_lowercase();
            if !model.sanitizers.checker_prefixes.contains(&p) {
                model.sanitizers.checker_prefixes.push(p);
            }
        }
        model.sanitizers.checkers |= s.checkers;
        model.sanitizers.calls.extend(s.calls.iter().cloned());
        model.sanitizers.guards.extend(s.guards.iter().cloned());
        model
            .sanitizers
            .guard_methods
            .extend(s.guard_methods.iter().cloned());
        model.sanitizers.exits.extend(s.exits.iter().cloned());
        model
            .sanitizers
            .converter_args
            .extend(s.converter_args.iter().cloned());
    }
    for p in propagators {
        let off = p.span().start;
        let p = p.get_ref();
        check_qnames(ctx, off, &p.calls)?;
        if p.calls.is_empty() && p.methods.is_empty() && p.into_receiver.is_empty() {
            return Err(ctx.err(
                off,
                "a `[[propagator]]` needs `calls`, `methods` or `into_receiver`",
            ));
        }
        model.propagators.calls.extend(p.calls.iter().cloned());
        model.propagators.methods.extend(p.methods.iter().cloned());
        model
            .propagators
            .into_receiver
            .extend(p.into_receiver.iter().cloned());
    }
    Ok(model)
}

/// Compiles the taint part of a `kind = "taint"` rule file.
pub(super) fn compile_taint_rule(ctx: &Ctx, spec: &RuleFile) -> Result<TaintRule, RuleError> {
    if let Some(p) = spec.pattern.first() {
        return Err(ctx.err(
            p.span().start,
            "a taint rule has `[[sink]]` tables, not `[[pattern]]`",
        ));
    }
    if spec.sink.is_empty() {
        return Err(ctx.err(0, "a taint rule needs at least one [[sink]]"));
    }
    let sinks = spec
        .sink
        .iter()
        .map(|s| compile_sink(ctx, s, spec))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(TaintRule {
        sinks,
        local: compile_model(ctx, &spec.source, &spec.sanitizer, &spec.propagator)?,
        supersedes: spec.supersedes.clone(),
    })
}

/// Compiles a `kind = "taint-model"` file.
pub(super) fn compile_model_file(
    ctx: &Ctx,
    spec: &TaintModelFile,
) -> Result<TaintModel, RuleError> {
    debug_assert_eq!(spec.kind.get_ref(), "taint-model");
    let name = spec.name.get_ref();
    if !is_valid_name(name) {
        return Err(ctx.err(
            spec.name.span().start,
            format!("model name `{name}` must be lowercase words joined by `-`"),
        ));
    }
    if spec.description.trim().is_empty() {
        return Err(ctx.err(0, "`description` must not be empty"));
    }
    compile_model(ctx, &spec.source, &spec.sanitizer, &spec.propagator)
}

#[cfg(test)]
mod tests {
    use crate::rules::{Parsed, parse_file};

    const RULE: &str = r#"
id = "TST201"
name = "taint-test"
kind = "taint"
severity = "high"
confidence = "high"
summary = "s"
message = "{source} reaches {call}"
help = "h"
description = "d"
vulnerable = "v"
fixed = "f"

[[sink]]
label = "runs it"
calls = ["os.system"]
args = [{ position = 0 }]
"#;

    const MODEL: &str = r#"
kind = "taint-model"
name = "test-model"
description = "d"

[[source]]
label = "Test data"
names = ["flask.request.args"]

[[source]]
label = "Test params"
module_imports = ["django"]
first_param = "request"
attributes = ["GET", "request.body"]
"#;

    #[test]
    fn taint_rule_and_model_parse() {
        let Parsed::Rule(rule) = parse_file("r.toml", RULE).unwrap() else {
            panic!("not a rule");
        };
        let taint = rule.taint.expect("taint part");
        assert_eq!(taint.sinks[0].calls, vec!["os.system"]);
        let Parsed::Model(model) = parse_file("m.toml", MODEL).unwrap() else {
            panic!("not a model");
        };
        assert_eq!(model.sources.len(), 2);
        let clauses = model.source_clauses();
        assert_eq!(clauses[0], vec![vec!["flask"], vec!["args"]]);
        assert_eq!(
            clauses[1],
            vec![vec!["django"], vec!["request"], vec!["GET", "body"]]
        );
    }

    #[test]
    fn sink_errors_name_the_line() {
        let text = RULE.replace("args = [{ position = 0 }]", "args = [{ head = true }]");
        let e = parse_file("r.toml", &text).unwrap_err();
        assert_eq!(e.line, 14, "{e}");
        assert!(e.message.contains("sink argument"), "{e}");
        let text = RULE.replace("label = \"runs it\"\n", "label = \"runs it\"\nlabell = 1\n");
        let e = parse_file("r.toml", &text).unwrap_err();
        assert_eq!(e.line, 16, "{e}");
    }

    #[test]
    fn source_errors_name_the_line() {
        let text = MODEL.replace("names = [\"flask.request.args\"]", "names = [\"a..b\"]");
        let e = parse_file("m.toml", &text).unwrap_err();
        assert_eq!(e.line, 6, "{e}");
        let text = MODEL.replace(
            "names = [\"flask.request.args\"]",
            "names = [\"x\"]\nmodule_imports = [\"django\"]",
        );
        let e = parse_file("m.toml", &text).unwrap_err();
        assert!(e.message.contains("not both"), "{e}");
        // Registration details without the registration calls would be ignored silently.
        let text = MODEL.replace(
            "first_param = \"request\"",
            "fallback_first_param = \"request\"",
        );
        let e = parse_file("m.toml", &text).unwrap_err();
        assert!(e.message.contains("need `registered_by`"), "{e}");
        assert_eq!(e.line, 10, "{e}");
        let text = MODEL.replace("first_param = \"request\"", "registered_by = [\"a..b\"]");
        assert!(parse_file("m.toml", &text).is_err());
    }

    #[test]
    fn validator_names_are_data() {
        let text = format!(
            "{MODEL}\n[[sanitizer]]\nvalidator_prefixes = [\"is_\"]\n\
             validator_words = [\"Safe\"]\nvalidator_exclude = [\"unsafe\"]\n"
        );
        let Parsed::Model(model) = parse_file("m.toml", &text).unwrap() else {
            panic!("not a model");
        };
        let v = &model.sanitizers.validators;
        assert!(v.matches("is_safe_url"));
        assert!(v.matches("Is_SAFE"));
        assert!(!v.matches("is_unsafe_url"), "an excluded word wins");
        assert!(!v.matches("safe_url"), "the prefix is required");
        assert!(!v.matches("is_valid"), "only the declared words");
        let half = format!("{MODEL}\n[[sanitizer]]\nvalidator_words = [\"safe\"]\n");
        let e = parse_file("m.toml", &half).unwrap_err();
        assert!(e.message.contains("go together"), "{e}");
    }

    #[test]
    fn patterns_and_sinks_do_not_mix() {
        let text = format!("{RULE}\n[[pattern]]\ncalls = [\"os.system\"]\n");
        assert!(parse_file("r.toml", &text).is_err());
        let text = RULE.replace("kind = \"taint\"\n", "");
        let e = parse_file("r.toml", &text).unwrap_err();
        assert!(e.message.contains("kind"), "{e}");
        let text = RULE.replace("kind = \"taint\"", "kind = \"taintt\"");
        let e = parse_file("r.toml", &text).unwrap_err();
        assert_eq!(e.line, 4, "{e}");
    }
}
