//! One analysis pass: the effective taint models of several groups of rules, indexed for
//! lookups.
//!
//! A group is the rules sharing one effective model: the rules without rule-local
//! declarations form one group, and each rule with rule-local sources, sanitizers, guards or
//! checkers is a group of its own. One pass serves all of them at once: every declaration
//! applies to the groups whose model holds it (a [`Groups`] set), and taint values carry,
//! per group, whether and how they are tainted (see [`super::trace`]). Only rule-local
//! declarations that change control flow or the shared lookups (exits, converter
//! keywords, validator names, checker prefixes, propagators) still need a pass of their
//! own; no rule has them today.

use super::names::{Param, callee_names, def_name, glob, params};
use super::trace::{Groups, Origin, Step, Taint, Val};
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

/// Groups one pass serves at most (the bits of [`Groups`]).
pub const MAX_GROUPS: usize = Groups::BITS as usize;

/// One group of a pass: its rule-local declarations (none for the shared group) and rules.
pub struct GroupSpec<'m> {
    /// The group's index in the engine: exported summaries hold facts per group index.
    pub index: usize,
    pub local: Option<&'m TaintModel>,
    pub rules: Vec<usize>,
}

/// The indexed model of one pass.
#[derive(Debug)]
pub struct Pass {
    /// Rule indices (in the rule set) whose sinks this pass checks.
    pub rules: Vec<usize>,
    /// Per rule index of the rule set: its group in this pass (empty when not in it).
    rule_group: Vec<Groups>,
    /// The engine index of each group of the pass, by bit position.
    pub group_index: Vec<usize>,
    /// Every group of the pass.
    pub all: Groups,
    /// Source labels; [`Origin::Source`] indexes this.
    pub labels: Vec<String>,
    /// The threat model of each label's source.
    pub threats: Vec<ThreatModel>,
    /// Expression source qualified name → per group set, the label index that group's
    /// model gives it (the first source declaring the name).
    pub source_names: HashMap<String, Vec<(usize, Groups)>>,
    /// Parameter sources with their label index and the groups whose model has them.
    pub param_sources: Vec<(usize, ParamSource, Groups)>,
    /// Sanitizing calls, guards and guard methods, with the groups they clean for.
    pub sanitizers: HashMap<String, Groups>,
    pub guards: HashMap<String, Groups>,
    pub guard_methods: HashMap<String, Groups>,
    pub exits: HashSet<String>,
    /// Keywords whose sanitizing callable converts the call's result (`type=int`).
    pub converter_args: HashSet<String>,
    /// How project validators are named.
    pub validators: ValidatorNames,
    /// Name prefixes of raising checkers.
    pub checker_prefixes: Vec<String>,
    /// The groups for which raising checkers clean their argument.
    pub checkers: Groups,
    pub prop_calls: HashSet<String>,
    pub prop_methods: HashSet<String>,
    pub into_receiver: HashSet<String>,
    /// Sink callee → (rule index, sink index).
    pub sinks: HashMap<String, Vec<(usize, usize)>>,
    /// Sink method name (any receiver) → (rule index, sink index).
    pub sink_methods: HashMap<String, Vec<(usize, usize)>>,
    /// The groups of each sink method name's sinks (persisting calls included).
    pub sink_method_groups: HashMap<String, Groups>,
    /// Sinks that report persisting an object with tainted attributes (`persist`).
    pub persist_sinks: Vec<(usize, usize)>,
    /// Last segments of sink callees (`system` for `os.system`) with the groups of their
    /// sinks: a call spelled with another last name cannot resolve to a sink, so it is not
    /// resolved at all.
    pub sink_last: HashMap<String, Groups>,
    /// Per group (by bit position): the distinct attribute sets of request-object
    /// parameter sources (`request.GET`, `request.POST` … for Django), in declaration
    /// order; their union is what a request object passed whole to a function of another
    /// module taints there.
    pub carrier_sets: Vec<Vec<Vec<Vec<String>>>>,
    /// Per group (by bit position), every attribute path of its carrier sets, each once,
    /// in first-seen order: what a request object passed whole to another module's
    /// function taints there.
    pub carrier_union: Vec<Vec<Vec<String>>>,
    /// Last segments of expression sources, with the groups whose model has them: a
    /// function whose text has none of them and no parameter source has no expression
    /// source either.
    hints: Vec<(AhoCorasick, Groups)>,
}

impl Pass {
    /// Indexes `base` (the model every group has) and the groups' rule-local declarations
    /// for the taint rules of `groups` in `set`.
    pub fn new(set: &RuleSet, base: &TaintModel, groups: &[GroupSpec]) -> Pass {
        assert!(!groups.is_empty() && groups.len() <= MAX_GROUPS);
        let all: Groups = if groups.len() == MAX_GROUPS {
            Groups::MAX
        } else {
            (1 << groups.len()) - 1
        };
        let mut rule_group = vec![0; set.rules().len()];
        let mut rules = Vec::new();
        for (b, g) in groups.iter().enumerate() {
            for &r in &g.rules {
                rule_group[r] = 1 << b;
                rules.push(r);
            }
        }
        rules.sort_unstable();
        let s = &base.sanitizers;
        let mut pass = Pass {
            rules,
            rule_group,
            group_index: groups.iter().map(|g| g.index).collect(),
            all,
            labels: Vec::new(),
            threats: Vec::new(),
            source_names: HashMap::new(),
            param_sources: Vec::new(),
            sanitizers: HashMap::new(),
            guards: HashMap::new(),
            guard_methods: HashMap::new(),
            exits: s.exits.iter().cloned().collect(),
            converter_args: s.converter_args.iter().cloned().collect(),
            validators: s.validators.clone(),
            checker_prefixes: s.checker_prefixes.clone(),
            checkers: if s.checkers { all } else { 0 },
            prop_calls: base.propagators.calls.iter().cloned().collect(),
            prop_methods: base.propagators.methods.iter().cloned().collect(),
            into_receiver: base.propagators.into_receiver.iter().cloned().collect(),
            sinks: HashMap::new(),
            sink_methods: HashMap::new(),
            sink_method_groups: HashMap::new(),
            persist_sinks: Vec::new(),
            sink_last: HashMap::new(),
            carrier_sets: vec![Vec::new(); groups.len()],
            carrier_union: vec![Vec::new(); groups.len()],
            hints: Vec::new(),
        };
        let models = std::iter::once((base, all)).chain(
            groups
                .iter()
                .enumerate()
                .filter_map(|(b, g)| Some((g.local?, 1 << b))),
        );
        for (model, mask) in models {
            pass.add_model(model, mask);
        }
        for &ri in &pass.rules {
            let Some(taint) = &set.rules()[ri].taint else {
                continue;
            };
            let mask = pass.rule_group[ri];
            for (si, sink) in taint.sinks.iter().enumerate() {
                for call in &sink.calls {
                    pass.sinks.entry(call.clone()).or_default().push((ri, si));
                    let last = call.trim_end_matches("()");
                    let last = last.rsplit('.').next().unwrap_or(last);
                    *pass.sink_last.entry(last.to_string()).or_default() |= mask;
                }
                for m in &sink.methods {
                    pass.sink_methods
                        .entry(m.clone())
                        .or_default()
                        .push((ri, si));
                    *pass.sink_method_groups.entry(m.clone()).or_default() |= mask;
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
                        *pass.sink_method_groups.entry(m.clone()).or_default() |= mask;
                    }
                }
            }
        }
        pass
    }

    /// Adds the sources, sanitizers, guards and checkers of `model` for the groups `mask`.
    fn add_model(&mut self, model: &TaintModel, mask: Groups) {
        let mut hints = Vec::new();
        for s in &model.sources {
            let label = self.labels.len();
            self.labels.push(s.label.clone());
            self.threats.push(s.threat_model);
            match &s.kind {
                SourceKind::Names(names) => {
                    for n in names {
                        // Per group, the first source declaring the name gives its label.
                        let list = self.source_names.entry(n.clone()).or_default();
                        let taken = list.iter().fold(0, |g, (_, m)| g | m);
                        if mask & !taken != 0 {
                            list.push((label, mask & !taken));
                        }
                        let last = n.trim_end_matches("()");
                        let last = last.rsplit('.').next().unwrap_or(last);
                        hints.push(last.to_string());
                    }
                }
                SourceKind::Params(p) => {
                    for (b, sets) in self.carrier_sets.iter_mut().enumerate() {
                        if mask & (1 << b) != 0
                            && !p.attributes.is_empty()
                            && !sets.contains(&p.attributes)
                        {
                            sets.push(p.attributes.clone());
                            let union = &mut self.carrier_union[b];
                            for a in &p.attributes {
                                if !union.contains(a) {
                                    union.push(a.clone());
                                }
                            }
                        }
                    }
                    self.param_sources.push((label, (**p).clone(), mask));
                }
            }
        }
        hints.sort();
        hints.dedup();
        if !hints.is_empty()
            && let Ok(ac) = AhoCorasick::new(&hints)
        {
            self.hints.push((ac, mask));
        }
        let s = &model.sanitizers;
        for (list, map) in [
            (&s.calls, &mut self.sanitizers),
            (&s.guards, &mut self.guards),
            (&s.guard_methods, &mut self.guard_methods),
        ] {
            for n in list {
                *map.entry(n.clone()).or_default() |= mask;
            }
        }
        if s.checkers {
            self.checkers |= mask;
        }
    }

    /// The group of rule `ri` (no group when the pass does not check it).
    pub fn group_of(&self, ri: usize) -> Groups {
        self.rule_group.get(ri).copied().unwrap_or(0)
    }

    /// The groups of the rules in `rules`.
    pub fn groups_of(&self, rules: impl IntoIterator<Item = usize>) -> Groups {
        rules.into_iter().fold(0, |g, r| g | self.group_of(r))
    }

    /// The groups some name of `names` is declared for in `map`.
    pub fn named(map: &HashMap<String, Groups>, names: &[String]) -> Groups {
        if map.is_empty() {
            return 0;
        }
        names
            .iter()
            .fold(0, |g, n| g | map.get(n).copied().unwrap_or(0))
    }

    /// The groups for which `text` may hold an expression source.
    pub fn may_hold_source_expr(&self, text: &[u8], want: Groups) -> Groups {
        let mut out = 0;
        for (ac, mask) in &self.hints {
            if want & mask & !out != 0 && ac.is_match(text) {
                out |= mask;
            }
        }
        out & want
    }

    /// A source expression's taint for the groups `live`: per group, the label its model
    /// gives the qualified name, with the step `step` names.
    pub fn source_taint(
        &self,
        name: &str,
        live: Groups,
        step: impl Fn(&str) -> Step,
    ) -> Option<Taint> {
        let list = self.source_names.get(name)?;
        let mut out: Option<Taint> = None;
        for &(label, mask) in list {
            if mask & live == 0 {
                continue;
            }
            let t = Taint::new(
                Origin::Source(label),
                Some(step(&self.labels[label])),
                mask & live,
            );
            out = Some(match out {
                Some(o) => o.or(&t),
                None => t,
            });
        }
        out
    }

    /// For each parameter source, whether the file's imports allow it at all: the
    /// module it needs, and the first segment of each of its name selectors. These are
    /// facts of the file, so they are decided once per file instead of once per function.
    /// `singletons` are the file's imported project objects of outside classes
    /// ([`ImportedObjects`]): `@app.route` on an imported `app = Flask(...)` selects too.
    pub fn live_sources(&self, model: &Model, singletons: &ImportedObjects) -> Vec<bool> {
        self.param_sources
            .iter()
            .map(|(_, ps, _)| {
                (ps.module_imports.is_empty()
                    || ps.module_imports.iter().any(|m| imports(model, m)))
                    && [&ps.passed_to, &ps.decorated_by, &ps.class_bases]
                        .into_iter()
                        .all(|names| {
                            names.is_empty()
                                || names.iter().any(|n| {
                                    let first = first_segment(n);
                                    imports(model, first)
                                        || (singletons.values()).any(|c| first_segment(c) == first)
                                })
                        })
            })
            .collect()
    }

    /// The tainted parameters of `def` (evaluated in `scope`, the def's own scope) according
    /// to the parameter sources, for the groups `active`. `handlers` are the functions of
    /// this module that the project registers as handlers.
    /// `live` is [`Pass::live_sources`] of the file.
    #[allow(clippy::too_many_arguments)]
    pub fn source_params<'t>(
        &self,
        model: &Model<'t>,
        def: Node<'t>,
        scope: ScopeId,
        handlers: &Handlers,
        live: &[bool],
        active: Groups,
        singletons: &ImportedObjects,
    ) -> Vec<(&'t str, Val)> {
        let outer = model.scopes[scope].parent.unwrap_or(0);
        let list = params(model, def);
        let mut out: Vec<(&'t str, Val)> = Vec::new();
        for ((label, ps, mask), _) in self.param_sources.iter().zip(live).filter(|(_, l)| **l) {
            let mask = mask & active;
            if mask == 0 || !function_selected(model, def, outer, ps, handlers, singletons) {
                continue;
            }
            for (pos, p) in list.iter().enumerate() {
                // Per group, the first source that selects a parameter decides it.
                let taken = out
                    .iter()
                    .find(|(n, _)| *n == p.name)
                    .map_or(0, |(_, v)| v.groups());
                if mask & !taken == 0
                    || !param_selected(model, outer, ps, pos, p)
                    || (!ps.exempt_converters.is_empty()
                        && (typed_by_every_route(
                            handlers,
                            &ps.registered_by,
                            def_name(model, def),
                            p.name,
                            &ps.exempt_converters,
                        ) || typed_by_every_decorator(
                            model, def, outer, ps, p.name, singletons,
                        )))
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
                let taint = Taint::new(Origin::Source(*label), Some(step), mask & !taken);
                let val = if ps.attributes.is_empty() {
                    Val::tainted(taint)
                } else {
                    Val::carrier(Rc::new(ps.attributes.clone()), taint)
                };
                match out.iter_mut().find(|(n, _)| *n == p.name) {
                    Some((_, v)) => *v = v.or(&val),
                    None => out.push((p.name, val)),
                }
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

/// Whether every decorator of `def` that `ps` selects by (`@app.route("/n/<int:n>")`) is a
/// call with a literal route typing `param` with one of the exempt converters. A selecting
/// decorator without such a route (`@app.route(path)`, `@app.route("/n/<n>")`) leaves the
/// parameter a string from the URL.
fn typed_by_every_decorator<'t>(
    model: &Model<'t>,
    def: Node<'t>,
    outer: ScopeId,
    ps: &ParamSource,
    param: &str,
    singletons: &ImportedObjects,
) -> bool {
    if ps.decorated_by.is_empty() {
        return false;
    }
    let selecting = selecting_decorators(model, def, outer, ps, singletons);
    !selecting.is_empty()
        && selecting.iter().all(|&e| {
            e.kind_name() == "call"
                && crate::project::registrations::route_params(model, e)
                    .iter()
                    .any(|(n, c)| n == param && ps.exempt_converters.contains(c))
        })
}

/// Module-level names the file imports that are objects of another project module built
/// by a class from outside the project: local name → the class's qualified name
/// (`app` → `flask.Flask` after `from shop import app`, where shop has
/// `app = Flask(__name__)`). Empty without whole-program analysis.
pub type ImportedObjects = HashMap<String, String>;

/// The decorator expressions of `def` that resolve (themselves, or as a decorator call's
/// callee) to one of `ps.decorated_by`. A method of an imported project object of an
/// outside class counts as that class's method (`@app.route` → `flask.Flask().route`).
fn selecting_decorators<'t>(
    model: &Model<'t>,
    def: Node<'t>,
    outer: ScopeId,
    ps: &ParamSource,
    singletons: &ImportedObjects,
) -> Vec<Node<'t>> {
    let Some(parent) = def
        .parent()
        .filter(|p| p.kind_name() == "decorated_definition")
    else {
        return Vec::new();
    };
    let mut cursor = parent.walk();
    parent
        .named_children(&mut cursor)
        .filter(|d| d.kind_name() == "decorator")
        .filter_map(|d| d.named_child(0))
        .filter(|&e| {
            let mut names = callee_names(model, e, outer);
            if e.kind_name() == "call"
                && let Some(f) = e.field(&fields::FUNCTION)
            {
                names.extend(callee_names(model, f, outer));
            }
            let callee = match e.kind_name() {
                "call" => e.field(&fields::FUNCTION),
                _ => Some(e),
            };
            if let Some(c) = callee.filter(|c| c.kind_name() == "attribute")
                && let (Some(o), Some(a)) = (c.field(&fields::OBJECT), c.field(&fields::ATTRIBUTE))
                && o.kind_name() == "identifier"
                && let Some(class) = singletons.get(model.text(o))
            {
                names.push(format!("{class}().{}", model.text(a)));
            }
            names.iter().any(|n| ps.decorated_by.contains(n))
        })
        .collect()
}

fn function_selected<'t>(
    model: &Model<'t>,
    def: Node<'t>,
    outer: ScopeId,
    ps: &ParamSource,
    handlers: &Handlers,
    singletons: &ImportedObjects,
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
    if !ps.decorated_by.is_empty()
        && selecting_decorators(model, def, outer, ps, singletons).is_empty()
    {
        return false;
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
