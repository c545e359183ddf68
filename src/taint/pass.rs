//! One analysis pass: the effective taint model of a group of rules, indexed for lookups.
//!
//! Rules without rule-local sources, sanitizers or propagators share one pass over the shared
//! model; a rule with local declarations gets a pass of its own.

use super::names::{Param, callee_names, def_name, glob, params};
use super::trace::{Origin, Step, Taint, Val};
use crate::fields::{self, FieldExt};
use crate::project::registrations::{Handlers, typed_by_every_route};
use crate::rules::first_segment;
use crate::rules::taint::{ParamSource, SourceKind, ValidatorNames};
use crate::rules::{RuleSet, TaintModel};
use crate::semantic::{BindingKind, Model, ScopeId, ScopeKind, Value};
use crate::settings::ThreatModel;
use aho_corasick::AhoCorasick;
use std::collections::{HashMap, HashSet};
use std::rc::Rc;
use tree_sitter::Node;

/// The indexed model of one pass.
#[derive(Debug)]
pub struct Pass {
    /// Rule indices (in the rule set) whose sinks this pass checks.
    pub rules: Vec<usize>,
    /// Source labels; [`Origin::Source`] indexes this.
    pub labels: Vec<String>,
    /// The threat model of each label's source.
    pub threats: Vec<ThreatModel>,
    /// Expression source qualified name → label index.
    pub source_names: HashMap<String, usize>,
    /// Parameter sources with their label index.
    pub param_sources: Vec<(usize, ParamSource)>,
    pub sanitizers: HashSet<String>,
    pub guards: HashSet<String>,
    pub guard_methods: HashSet<String>,
    pub exits: HashSet<String>,
    /// Keywords whose sanitizing callable converts the call's result (`type=int`).
    pub converter_args: HashSet<String>,
    /// How project validators are named.
    pub validators: ValidatorNames,
    /// Name prefixes of raising checkers.
    pub checker_prefixes: Vec<String>,
    /// Whether raising checkers clean their argument in this pass.
    pub checkers: bool,
    pub prop_calls: HashSet<String>,
    pub prop_methods: HashSet<String>,
    pub into_receiver: HashSet<String>,
    /// Sink callee → (rule index, sink index).
    pub sinks: HashMap<String, Vec<(usize, usize)>>,
    /// Sink method name (any receiver) → (rule index, sink index).
    pub sink_methods: HashMap<String, Vec<(usize, usize)>>,
    /// Sinks that report persisting an object with tainted attributes (`persist`).
    pub persist_sinks: Vec<(usize, usize)>,
    /// Last segments of sink callees (`system` for `os.system`): a call spelled with
    /// another last name cannot resolve to a sink, so it is not resolved at all.
    pub sink_last: HashSet<String>,
    /// The distinct attribute sets of request-object parameter sources (`request.GET`,
    /// `request.POST` … for Django), in declaration order; their union is what a request
    /// object passed whole to a function of another module taints there.
    pub carrier_sets: Vec<Vec<Vec<String>>>,
    /// Last segments of expression sources: a function whose text has none of them and no
    /// parameter source has no expression source either.
    hints: Option<AhoCorasick>,
}

impl Pass {
    /// Indexes `model` for the taint rules `rules` of `set`.
    pub fn new(set: &RuleSet, model: &TaintModel, rules: Vec<usize>) -> Pass {
        let mut pass = Pass {
            rules,
            labels: Vec::new(),
            threats: Vec::new(),
            source_names: HashMap::new(),
            param_sources: Vec::new(),
            sanitizers: model.sanitizers.calls.iter().cloned().collect(),
            guards: model.sanitizers.guards.iter().cloned().collect(),
            guard_methods: model.sanitizers.guard_methods.iter().cloned().collect(),
            exits: model.sanitizers.exits.iter().cloned().collect(),
            converter_args: model.sanitizers.converter_args.iter().cloned().collect(),
            validators: model.sanitizers.validators.clone(),
            checker_prefixes: model.sanitizers.checker_prefixes.clone(),
            checkers: model.sanitizers.checkers,
            prop_calls: model.propagators.calls.iter().cloned().collect(),
            prop_methods: model.propagators.methods.iter().cloned().collect(),
            into_receiver: model.propagators.into_receiver.iter().cloned().collect(),
            sinks: HashMap::new(),
            sink_methods: HashMap::new(),
            persist_sinks: Vec::new(),
            sink_last: HashSet::new(),
            carrier_sets: Vec::new(),
            hints: None,
        };
        let mut hints = Vec::new();
        for s in &model.sources {
            let label = pass.labels.len();
            pass.labels.push(s.label.clone());
            pass.threats.push(s.threat_model);
            match &s.kind {
                SourceKind::Names(names) => {
                    for n in names {
                        pass.source_names.entry(n.clone()).or_insert(label);
                        let last = n.trim_end_matches("()");
                        let last = last.rsplit('.').next().unwrap_or(last);
                        hints.push(last.to_string());
                    }
                }
                SourceKind::Params(p) => {
                    if !p.attributes.is_empty() && !pass.carrier_sets.contains(&p.attributes) {
                        pass.carrier_sets.push(p.attributes.clone());
                    }
                    pass.param_sources.push((label, (**p).clone()));
                }
            }
        }
        hints.sort();
        hints.dedup();
        if !hints.is_empty() {
            pass.hints = AhoCorasick::new(&hints).ok();
        }
        for &ri in &pass.rules {
            let Some(taint) = &set.rules()[ri].taint else {
                continue;
            };
            for (si, sink) in taint.sinks.iter().enumerate() {
                for call in &sink.calls {
                    pass.sinks.entry(call.clone()).or_default().push((ri, si));
                    let last = call.trim_end_matches("()");
                    let last = last.rsplit('.').next().unwrap_or(last);
                    pass.sink_last.insert(last.to_string());
                }
                for m in &sink.methods {
                    pass.sink_methods
                        .entry(m.clone())
                        .or_default()
                        .push((ri, si));
                }
                if let Some(p) = &sink.persist {
                    pass.persist_sinks.push((ri, si));
                    for m in p
                        .object_methods
                        .iter()
                        .chain(&p.argument_methods)
                        .chain(&p.session_methods)
                    {
                        pass.sink_methods.entry(m.clone()).or_default();
                    }
                }
            }
        }
        pass
    }

    /// Whether `text` may hold an expression source.
    pub fn may_hold_source_expr(&self, text: &[u8]) -> bool {
        self.hints.as_ref().is_some_and(|h| h.is_match(text))
    }

    /// For each parameter source, whether the file's imports allow it at all: the
    /// module it needs, and the first segment of each of its name selectors. These are
    /// facts of the file, so they are decided once per file instead of once per function.
    pub fn live_sources(&self, model: &Model) -> Vec<bool> {
        self.param_sources
            .iter()
            .map(|(_, ps)| {
                (ps.module_imports.is_empty()
                    || ps.module_imports.iter().any(|m| imports(model, m)))
                    && [&ps.passed_to, &ps.decorated_by, &ps.class_bases]
                        .into_iter()
                        .all(|names| {
                            names.is_empty()
                                || names.iter().any(|n| imports(model, first_segment(n)))
                        })
            })
            .collect()
    }

    /// The tainted parameters of `def` (evaluated in `scope`, the def's own scope) according
    /// to the parameter sources. `handlers` are the functions of this module that the
    /// project registers as handlers.
    /// `live` is [`Pass::live_sources`] of the file.
    pub fn source_params<'t>(
        &self,
        model: &Model<'t>,
        def: Node<'t>,
        scope: ScopeId,
        handlers: &Handlers,
        live: &[bool],
    ) -> Vec<(&'t str, Val)> {
        let outer = model.scopes[scope].parent.unwrap_or(0);
        let list = params(model, def);
        let mut out: Vec<(&'t str, Val)> = Vec::new();
        for ((label, ps), _) in self.param_sources.iter().zip(live).filter(|(_, l)| **l) {
            if !function_selected(model, def, outer, ps, handlers) {
                continue;
            }
            for (pos, p) in list.iter().enumerate() {
                if out.iter().any(|(n, _)| *n == p.name)
                    || !param_selected(model, outer, ps, pos, p)
                    || (!ps.exempt_converters.is_empty()
                        && typed_by_every_route(
                            handlers,
                            &ps.registered_by,
                            def_name(model, def),
                            p.name,
                            &ps.exempt_converters,
                        ))
                {
                    continue;
                }
                let what = if ps.attributes.is_empty() {
                    "parameter"
                } else {
                    "request object"
                };
                let step = Step {
                    start: p.node.start_byte(),
                    end: p.node.end_byte(),
                    note: format!(
                        "source: {what} `{}` of `{}` ({})",
                        p.name,
                        def_name(model, def),
                        self.labels[*label]
                    ),
                    there: None,
                };
                let taint = Taint::new(Origin::Source(*label), Some(step));
                let val = if ps.attributes.is_empty() {
                    Val::Tainted(taint)
                } else {
                    Val::Carrier {
                        attrs: Rc::new(ps.attributes.clone()),
                        taint,
                    }
                };
                out.push((p.name, val));
            }
        }
        out
    }
}

/// Qualified names an annotation or default stands for (a class of the file: its bases).
fn type_names<'t>(model: &Model<'t>, e: Node<'t>, scope: ScopeId) -> Vec<String> {
    model
        .resolve(e, scope)
        .iter()
        .flat_map(|v| model.is_a(v))
        .collect()
}

fn function_selected<'t>(
    model: &Model<'t>,
    def: Node<'t>,
    outer: ScopeId,
    ps: &ParamSource,
    handlers: &Handlers,
) -> bool {
    // The file's imports were checked by `Pass::live_sources` (each name selector needs an
    // import of its first segment: a cheap test before the per-function resolution and
    // the file-wide call scan of `passed_to`).
    if !ps.function_names.is_empty() {
        let name = def_name(model, def);
        if !ps.function_names.iter().any(|g| glob(g, name)) {
            return false;
        }
    }
    if let Some(first) = &ps.first_param
        && params(model, def).first().is_none_or(|p| p.name != first)
    {
        return false;
    }
    if !ps.registered_by.is_empty() && !registered(model, def, outer, ps, handlers) {
        return false;
    }
    if !ps.passed_to.is_empty() && !passed_to(model, def, ps) {
        return false;
    }
    if !ps.decorated_by.is_empty() {
        let Some(parent) = def
            .parent()
            .filter(|p| p.kind_name() == "decorated_definition")
        else {
            return false;
        };
        let mut cursor = parent.walk();
        let hit = parent
            .named_children(&mut cursor)
            .filter(|d| d.kind_name() == "decorator")
            .filter_map(|d| d.named_child(0))
            .any(|e| {
                let mut names = callee_names(model, e, outer);
                if e.kind_name() == "call"
                    && let Some(f) = e.field(&fields::FUNCTION)
                {
                    names.extend(callee_names(model, f, outer));
                }
                names.iter().any(|n| ps.decorated_by.contains(n))
            });
        if !hit {
            return false;
        }
    }
    if !ps.class_bases.is_empty() {
        let class_scope = &model.scopes[outer];
        if class_scope.kind != ScopeKind::Class {
            return false;
        }
        let bases = model.is_a(&Value::Class(
            class_scope.node,
            class_scope.parent.unwrap_or(0),
        ));
        if !bases.iter().any(|b| ps.class_bases.contains(b)) {
            return false;
        }
    }
    true
}

/// Whether `def` is a handler by registration: in a module where the project registers
/// some function through `ps.registered_by`, only those module-level functions are; in a
/// module that such a module imports (helpers of views), none; in any other module, the
/// functions whose first parameter is `ps.fallback_first_param`.
fn registered<'t>(
    model: &Model<'t>,
    def: Node<'t>,
    outer: ScopeId,
    ps: &ParamSource,
    handlers: &Handlers,
) -> bool {
    let mut by_this = handlers
        .iter()
        .filter(|h| ps.registered_by.contains(&h.via))
        .peekable();
    if by_this.peek().is_some() {
        let name = def_name(model, def);
        return model.scopes[outer].kind == ScopeKind::Module
            && by_this.any(|h| h.function == name);
    }
    !handlers.imported_by_views
        && ps
            .fallback_first_param
            .as_ref()
            .is_some_and(|first| params(model, def).first().is_some_and(|p| p.name == first))
}

/// Whether the file imports module `m` or a submodule or member of it.
fn imports(model: &Model, m: &str) -> bool {
    model
        .qnames
        .iter()
        .chain(model.star_imports.iter())
        .any(|q| q == m || (q.starts_with(m) && q.as_bytes().get(m.len()) == Some(&b'.')))
}

/// Whether `def` is passed by name to a call of one of `ps.passed_to` (as one of
/// `ps.passed_as` when given) somewhere in the file. Arguments are compared by name first,
/// so only calls that mention the function are resolved.
fn passed_to<'t>(model: &Model<'t>, def: Node<'t>, ps: &ParamSource) -> bool {
    let name = def_name(model, def);
    if !model.passed_as_argument(name) {
        return false;
    }
    model.calls.iter().any(|site| {
        let Some(args) = site.node.field(&fields::ARGUMENTS) else {
            return false;
        };
        let mut cursor = args.walk();
        let mentioned = args.named_children(&mut cursor).any(|a| {
            let value = if a.kind_name() == "keyword_argument" {
                let kw = a.field(&fields::NAME).map(|n| model.text(n));
                let wanted = ps.passed_as.is_empty()
                    || kw.is_some_and(|k| ps.passed_as.iter().any(|p| p == k));
                a.field(&fields::VALUE).filter(|_| wanted)
            } else {
                Some(a).filter(|_| ps.passed_as.is_empty())
            };
            value.is_some_and(|v| {
                v.kind_name() == "identifier"
                    && model.text(v) == name
                    && model
                        .lookup(name, site.scope, v.start_byte())
                        .is_some_and(|(bs, _)| {
                            bs.iter()
                                .any(|b| matches!(b.kind, BindingKind::Def(d) if d == def))
                        })
            })
        });
        mentioned
            && site.node.field(&fields::FUNCTION).is_some_and(|f| {
                callee_names(model, f, site.scope)
                    .iter()
                    .any(|n| ps.passed_to.contains(n))
            })
    })
}

fn param_selected<'t>(
    model: &Model<'t>,
    outer: ScopeId,
    ps: &ParamSource,
    pos: usize,
    p: &Param<'t>,
) -> bool {
    if ps.exclude_params.iter().any(|n| n == p.name)
        || ps.param_position.is_some_and(|want| want != pos)
        || (!ps.param_names.is_empty() && !ps.param_names.iter().any(|n| n == p.name))
    {
        return false;
    }
    let annotated = p
        .annotation
        .map(|a| type_names(model, a, outer))
        .unwrap_or_default();
    if !ps.param_annotated.is_empty() && !annotated.iter().any(|a| ps.param_annotated.contains(a)) {
        return false;
    }
    if annotated.iter().any(|a| ps.exempt_annotations.contains(a)) {
        return false;
    }
    if let Some(d) = p.default.filter(|d| d.kind_name() == "call")
        && let Some(f) = d.field(&fields::FUNCTION)
        && callee_names(model, f, outer)
            .iter()
            .any(|n| ps.exempt_defaults.contains(n))
    {
        return false;
    }
    true
}
