//! The taint engine: follows request data to command, code and deserialization sinks.
//!
//! Per file, in one pass for all taint rules (see [`pass`]): every function (and the module body) that holds
//! both a source candidate and a sink candidate is interpreted statement by statement
//! ([`flow`]), tracking which variables hold tainted data and how it got there. Calls to
//! functions of the same file use summaries computed on demand ([`FileCtx::summary`]): what
//! a parameter reaches (sinks, the return value) and what the function returns by itself.
//! `docs/taint.md` lists what is and is not followed.

mod binding;
mod checkers;
mod dispatch;
mod export;
mod expr;
mod external;
mod flow;
mod guards;
pub(crate) mod methods;
mod model_writes;
pub(crate) mod names;
mod pass;
mod solve;
mod trace;
mod validators;

use crate::fields::{self, FieldExt};
use crate::finding::{Diagnostic, DiagnosticKind, Finding, FlowStep};
use crate::project::imports::ImportRef;
use crate::project::registrations::{Handlers, Registrar, Registration};
use crate::project::{ModuleSummary, ProjectView};
use crate::rules::{RuleSet, TaintModel};
use crate::semantic::{Model, ScopeId, ScopeKind};
use crate::source::SourceText;
use aho_corasick::AhoCorasick;
use flow::Frame;
use pass::{GroupSpec, MAX_GROUPS, Pass};
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::path::Path;
use std::rc::Rc;
use std::sync::Arc;
use trace::{Groups, Origin, Taint};
use tree_sitter::Node;

/// The work budget of one file's taint analysis, in statements and calls interpreted
/// (by the file's one pass, for every rule at once). Real modules use a small fraction; when a generated or hostile
/// file uses it up, what was found is kept and the file gets a diagnostic.
pub const WORK_BUDGET: usize = 4_000_000;

/// The compiled taint rules of a rule set.
#[derive(Debug)]
pub struct TaintEngine {
    passes: Vec<Pass>,
    /// Last names of every sink: a file mentioning none has no sink of its own.
    sink_hints: Option<AhoCorasick>,
    /// The calls that register request handlers (`registered_by` selectors).
    registrars: Vec<Registrar>,
    /// `name(` for the last name of each registration call.
    registration_hints: Option<AhoCorasick>,
    /// The modules the registration calls belong to (`django.urls`).
    registration_modules: Vec<String>,
}

/// What one file's taint analysis produced besides findings.
#[derive(Debug, Default)]
pub struct TaintOutcome {
    /// The module's owned summary, when asked for.
    pub summary: Option<ModuleSummary>,
    pub diagnostics: Vec<Diagnostic>,
}

impl TaintEngine {
    /// Groups `rules`' taint rules (the rules without rule-local declarations, and each
    /// rule with some) and gives them one pass (see [`pass`]).
    pub fn new(rules: &RuleSet) -> TaintEngine {
        let shared: Vec<usize> = rules
            .rules()
            .iter()
            .enumerate()
            .filter(|(_, r)| r.taint.as_ref().is_some_and(|t| is_empty(&t.local)))
            .map(|(i, _)| i)
            .collect();
        let mut groups = Vec::new();
        if !shared.is_empty() {
            groups.push(GroupSpec {
                index: 0,
                local: None,
                rules: shared,
            });
        }
        let mut separate = Vec::new();
        for (i, r) in rules.rules().iter().enumerate() {
            if let Some(t) = &r.taint
                && !is_empty(&t.local)
            {
                let index = groups.len() + separate.len();
                if mergeable(&t.local) {
                    groups.push(GroupSpec {
                        index,
                        local: Some(&t.local),
                        rules: vec![i],
                    });
                } else {
                    separate.push((index, i, &t.local));
                }
            }
        }
        let mut passes: Vec<Pass> = groups
            .chunks(MAX_GROUPS)
            .map(|chunk| Pass::new(rules, rules.taint_model(), chunk))
            .collect();
        // Declarations that change control flow or shared lookups get a pass of their own.
        for (index, i, local) in separate {
            let mut model = rules.taint_model().clone();
            model.extend(local);
            let spec = GroupSpec {
                index,
                local: None,
                rules: vec![i],
            };
            passes.push(Pass::new(rules, &model, &[spec]));
        }
        let mut hints: Vec<String> = passes
            .iter()
            .flat_map(|p| p.sink_last.keys().chain(p.sink_methods.keys()).cloned())
            .collect();
        hints.sort();
        hints.dedup();
        let sink_hints = (!hints.is_empty())
            .then(|| AhoCorasick::new(&hints).ok())
            .flatten();
        let mut registrars: Vec<Registrar> = passes
            .iter()
            .flat_map(|p| &p.param_sources)
            .filter(|(_, ps, _)| !ps.registered_by.is_empty())
            .map(|(_, ps, _)| Registrar {
                calls: ps.registered_by.clone(),
                position: ps.registered_arg,
                keyword: ps.registered_keyword.clone(),
            })
            .collect();
        registrars.sort_by(|a, b| (&a.calls, a.position).cmp(&(&b.calls, b.position)));
        registrars.dedup();
        let mut calls: Vec<String> = registrars
            .iter()
            .flat_map(|r| &r.calls)
            .map(|c| format!("{}(", c.rsplit('.').next().unwrap_or(c)))
            .collect();
        calls.sort();
        calls.dedup();
        let registration_hints = (!calls.is_empty())
            .then(|| AhoCorasick::new(&calls).ok())
            .flatten();
        let mut registration_modules: Vec<String> = registrars
            .iter()
            .flat_map(|r| &r.calls)
            .filter_map(|c| registration_module(c))
            .collect();
        registration_modules.sort();
        registration_modules.dedup();
        TaintEngine {
            passes,
            sink_hints,
            registrars,
            registration_hints,
            registration_modules,
        }
    }

    /// Whether a file may register a request handler: it imports the module of a
    /// registration call (or the module itself, from its package) and writes one's last
    /// name as a whole word followed by `(`. Cheap enough for every file; only the few
    /// that pass are parsed for their registrations.
    pub fn may_register(&self, bytes: &[u8], imports: &[ImportRef]) -> bool {
        // `import flask` or `from flask import Flask` for `flask.Flask().add_url_rule`; a
        // parent package is enough (`import aiohttp` ... `aiohttp.web.get`), since this only
        // chooses the files whose calls are then resolved exactly.
        let imported = imports.iter().any(|i| {
            i.dots == 0
                && self.registration_modules.iter().any(|m| {
                    m.strip_prefix(i.module.as_str()).is_some_and(|rest| {
                        rest.is_empty()
                            || rest.strip_prefix('.').is_some_and(|rest| {
                                i.names.is_empty() || i.names.iter().any(|n| n == rest)
                            })
                    })
                })
        });
        imported
            && self.registration_hints.as_ref().is_some_and(|h| {
                h.find_iter(bytes).any(|m| {
                    m.start() == 0 || {
                        let b = bytes[m.start() - 1];
                        !(b.is_ascii_alphanumeric() || b == b'_')
                    }
                })
            })
    }

    /// The request-handler registrations of one parsed file.
    pub fn registrations(&self, model: &Model) -> Vec<Registration> {
        if self.registrars.is_empty() {
            return Vec::new();
        }
        let imports = external::ImportMap::build(model);
        crate::project::registrations::read(model, &self.registrars, &imports.all)
    }

    /// Whether any taint rule is loaded.
    pub fn is_empty(&self) -> bool {
        self.passes.is_empty()
    }

    /// Whether `bytes` mention a sink name (so the module may hold a sink).
    pub fn may_hold_sink(&self, bytes: &[u8]) -> bool {
        self.sink_hints.as_ref().is_some_and(|h| h.is_match(bytes))
    }

    /// Runs the pass (every pass, when a rule needs its own) with an applicable rule over
    /// one parsed file and appends its findings;
    /// call-rule findings that a taint finding on the same call supersedes are removed.
    /// With a project view, calls into other modules use their summaries, and with
    /// `export` this module's summary is built for its importers.
    #[allow(clippy::too_many_arguments)]
    pub fn analyse(
        &self,
        path: &Path,
        source: &SourceText,
        model: &Model,
        rules: &RuleSet,
        applicable: &[bool],
        project: Option<ProjectView>,
        handlers: &Handlers,
        export: bool,
        findings: &mut Vec<Finding>,
    ) -> TaintOutcome {
        let mut out = TaintOutcome::default();
        let imports = if project.is_some() || export {
            external::ImportMap::build(model)
        } else {
            external::ImportMap::empty()
        };
        let mut summary = export.then(ModuleSummary::default);
        let work = Cell::new(0);
        let mut taint_findings = Vec::new();
        for pass in &self.passes {
            // Groups without an applicable rule are left out: their taint is not followed
            // and nothing is exported for them, as if their rules were not loaded.
            let active = pass.groups_of(pass.rules.iter().copied().filter(|&r| applicable[r]));
            if active == 0 {
                continue;
            }
            let cx = FileCtx::new(
                pass, active, rules, applicable, model, project, &imports, &work,
            )
            .with_handlers(handlers);
            let hits = cx.run();
            if let Some(at) = cx.too_deep.get() {
                let line = source.position(at).line;
                out.diagnostics.push(Diagnostic {
                    path: path.to_path_buf(),
                    kind: DiagnosticKind::Incomplete,
                    line: Some(line),
                    message: format!(
                        "an expression at line {line} is nested deeper than the taint analysis \
                         follows ({} levels); data flowing through it is not followed",
                        flow::MAX_DEPTH
                    ),
                });
                if let Some(s) = summary.as_mut() {
                    s.partial = true;
                }
            }
            for hit in hits {
                let mut f = make_finding(path, source, rules, pass, &hit);
                // Cross-module hits too: their path starts here, in the caller's file.
                model_writes::name_source(&mut f.message, model, &hit);
                taint_findings.push(f);
            }
            if let Some(sum) = summary.as_mut() {
                let mut template = |h: &Hit| make_finding(path, source, rules, pass, h);
                export::add_pass(&cx, path, source, sum, &mut template);
            }
        }
        if let Some(sum) = summary.as_mut() {
            let cx = FileCtx::new(
                &self.passes[0],
                self.passes[0].all,
                rules,
                applicable,
                model,
                project,
                &imports,
                &work,
            );
            export::add_names(&cx, sum);
        }
        if work.get() > WORK_BUDGET {
            out.diagnostics.push(Diagnostic {
                path: path.to_path_buf(),
                kind: DiagnosticKind::Incomplete,
                line: None,
                message: format!(
                    "the taint analysis of this file used up its work budget ({WORK_BUDGET} \
                     steps); flows found so far are reported, later ones may be missing"
                ),
            });
            if let Some(s) = summary.as_mut() {
                s.partial = true;
            }
        }
        out.summary = summary;
        if taint_findings.is_empty() {
            return out;
        }
        findings.retain(|f| {
            !taint_findings.iter().any(|t| {
                t.path == f.path
                    && t.start == f.start
                    && rules.rules()[t.rule_index]
                        .taint
                        .as_ref()
                        .is_some_and(|tr| tr.supersedes.iter().any(|s| s == &f.rule_id))
            })
        });
        findings.extend(taint_findings);
        out
    }
}

/// The imports and module-level classes of a module, for the project's class table (see
/// `engine::class_facts`).
pub(crate) fn class_summary(model: &Model) -> ModuleSummary {
    let mut summary = ModuleSummary::default();
    export::add_classes(model, &external::ImportMap::build(model), &mut summary);
    summary
}

/// What the module-level import binding `name` imports, if it is one.
pub(crate) fn module_import(
    model: &Model,
    name: &str,
) -> Option<crate::project::module_summary::ImportTarget> {
    external::ImportMap::build(model)
        .module_level
        .into_iter()
        .find(|(n, _)| n == name)
        .map(|(_, t)| t)
}

fn is_empty(m: &TaintModel) -> bool {
    m.sources.is_empty()
        && m.sanitizers.calls.is_empty()
        && m.sanitizers.guards.is_empty()
        && m.sanitizers.guard_methods.is_empty()
        && m.sanitizers.exits.is_empty()
        && m.sanitizers.converter_args.is_empty()
        && m.sanitizers.validators.words.is_empty()
        && m.sanitizers.checker_prefixes.is_empty()
        && !m.sanitizers.checkers
        && m.propagators.calls.is_empty()
        && m.propagators.methods.is_empty()
        && m.propagators.into_receiver.is_empty()
}

/// Whether rule-local declarations `m` can be facts of the shared pass: sources,
/// sanitizing calls, guards and the trust in checkers act on values group by group; exits
/// (which end paths), converter keywords, validator names, checker prefixes and
/// propagators are lookups the interpreter makes once for every group.
fn mergeable(m: &TaintModel) -> bool {
    let s = &m.sanitizers;
    s.exits.is_empty()
        && s.converter_args.is_empty()
        && s.validators == Default::default()
        && s.checker_prefixes.is_empty()
        && m.propagators.calls.is_empty()
        && m.propagators.methods.is_empty()
        && m.propagators.into_receiver.is_empty()
}

/// A sink in another module reached through a call: the finding as reported there and
/// the callee's part of the path.
#[derive(Debug)]
pub(crate) struct RemoteHit {
    pub at: Arc<Finding>,
    pub steps: Vec<FlowStep>,
}

/// A tainted value reaching a sink.
#[derive(Debug, Clone)]
pub(crate) struct Hit<'t> {
    pub rule: usize,
    pub sink: usize,
    /// The sink call, or for a sink in another module the call that leads there.
    pub call: Node<'t>,
    pub callee: String,
    pub taint: Taint,
    pub remote: Option<Rc<RemoteHit>>,
}

/// What a function does with a parameter (or, for `None`, by itself).
#[derive(Debug, Default)]
pub(crate) struct Summary<'t> {
    pub returns: Option<Taint>,
    pub hits: Vec<Hit<'t>>,
    /// For a method: `self` attributes holding the parameter's data when it returns
    /// (`self.fmt = fmt` in `__init__`), with the path inside the method.
    pub fields: Vec<(String, Taint)>,
}

/// What a summary assumes on entry.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum Entry {
    /// The function's own sources (parameter sources of its framework).
    Own,
    /// The parameter at this position holds tainted data.
    Param(usize),
    /// The parameter at this position is a request object whose listed attributes are
    /// tainted (a Django `request` passed whole to a helper).
    Carrier(usize, Rc<Vec<Vec<String>>>),
    /// A method called on an object whose constructor stored tainted data in these
    /// attributes of `self`.
    Fields(Rc<Vec<String>>),
}

/// Everything one pass over one file shares.
pub(crate) struct FileCtx<'a, 't> {
    pub pass: &'a Pass,
    /// The groups of the pass with a rule applicable to the file: taint is followed for
    /// these only.
    pub active: Groups,
    pub rules: &'a RuleSet,
    pub applicable: &'a [bool],
    pub model: &'a Model<'t>,
    /// Summaries of this file's functions, solved to a fixpoint.
    solver: RefCell<solve::Solver<'t>>,
    /// The groups with request-object parameter sources.
    pub has_carriers: Groups,
    /// Hits from real sources, reported as findings.
    found: RefCell<Vec<Hit<'t>>>,
    /// The rest of the project, when other modules may be followed.
    pub project: Option<ProjectView<'a>>,
    pub imports: &'a external::ImportMap,
    /// The functions of this module the project registers as request handlers.
    pub handlers: &'a Handlers,
    /// Work done on this file so far (all passes).
    work: &'a Cell<usize>,
    /// [`Pass::live_sources`] of this file.
    live_sources: Vec<bool>,
    /// The source parameters of each function (by `def` node id), found once: a function
    /// is interpreted again for each entry and each round of the fixpoint.
    own_params: RefCell<HashMap<usize, Rc<OwnParams<'t>>>>,
    /// `def` node id → the parameters it checks as a raising checker.
    checked: RefCell<HashMap<usize, Rc<Vec<usize>>>>,
    /// The module-level imports naming project objects of outside classes.
    singletons: pass::ImportedObjects,
    /// The first expression or block nested deeper than the interpreter follows (its start
    /// byte): data through it is not followed, which the file's diagnostic says.
    pub too_deep: Cell<Option<usize>>,
}

/// A function's parameters that hold source data, with their values on entry.
pub(crate) type OwnParams<'t> = Vec<(&'t str, trace::Val)>;

impl<'a, 't> FileCtx<'a, 't> {
    #[allow(clippy::too_many_arguments)]
    fn new(
        pass: &'a Pass,
        active: Groups,
        rules: &'a RuleSet,
        applicable: &'a [bool],
        model: &'a Model<'t>,
        project: Option<ProjectView<'a>>,
        imports: &'a external::ImportMap,
        work: &'a Cell<usize>,
    ) -> Self {
        // `from shop import app` with `app = Flask(__name__)` in shop: `@app.route` there
        // registers views of Flask.
        let singletons: pass::ImportedObjects = project
            .as_ref()
            .map(|p| {
                (imports.module_level.iter())
                    .filter_map(|(name, t)| Some((name.clone(), p.singleton_class_via(t)?)))
                    .collect()
            })
            .unwrap_or_default();
        let has_carriers = (pass.carrier_sets.iter().enumerate())
            .filter(|(_, sets)| !sets.is_empty())
            .fold(0, |g, (b, _)| g | (1 << b))
            & active;
        FileCtx {
            pass,
            active,
            rules,
            applicable,
            model,
            solver: RefCell::new(solve::Solver::default()),
            has_carriers,
            found: RefCell::new(Vec::new()),
            project,
            imports,
            handlers: &crate::project::registrations::NO_HANDLERS,
            work,
            live_sources: pass.live_sources(model, &singletons),
            own_params: RefCell::default(),
            checked: RefCell::new(HashMap::new()),
            singletons,
            too_deep: Cell::new(None),
        }
    }

    /// The parameters of `def` (whose own scope is `scope`) that the pass's parameter
    /// sources taint.
    pub fn source_params(&self, def: Node<'t>, scope: ScopeId) -> Rc<OwnParams<'t>> {
        if let Some(known) = self.own_params.borrow().get(&def.id()) {
            return known.clone();
        }
        let found = Rc::new(self.pass.source_params(
            self.model,
            def,
            scope,
            self.handlers,
            &self.live_sources,
            self.active,
            &self.singletons,
        ));
        self.own_params.borrow_mut().insert(def.id(), found.clone());
        found
    }

    /// The same context, knowing which functions of the module are registered handlers.
    fn with_handlers(mut self, handlers: &'a Handlers) -> Self {
        self.handlers = handlers;
        self
    }

    /// Counts one unit of work; false once the budget is used up.
    pub fn tick(&self) -> bool {
        let w = self.work.get() + 1;
        self.work.set(w);
        w <= WORK_BUDGET
    }

    /// Whether the work budget is used up.
    pub fn exhausted(&self) -> bool {
        self.work.get() > WORK_BUDGET
    }

    /// The parameters the function `def` of this file checks as a raising checker
    /// (see [`checkers`]), whatever the pass trusts.
    pub fn checked_params(&self, def: Node<'t>) -> Rc<Vec<usize>> {
        if let Some(c) = self.checked.borrow().get(&def.id()) {
            return c.clone();
        }
        let found = match self.scope_of(def) {
            Some(scope) if def.kind_name() == "function_definition" => checkers::checked_params(
                self.model,
                def,
                scope,
                &self.pass.checker_prefixes,
                &self.pass.exits,
            ),
            _ => Vec::new(),
        };
        let found = Rc::new(found);
        self.checked.borrow_mut().insert(def.id(), found.clone());
        found
    }

    /// The scope a `def` (or `class`) opens.
    pub fn scope_of(&self, def: Node<'t>) -> Option<ScopeId> {
        self.model.scope_of(def).filter(|&s| s != 0)
    }

    /// Analyses every function holding a source and a sink candidate, plus the module body;
    /// returns the hits, one per (rule, sink call), in source order.
    fn run(&self) -> Vec<Hit<'t>> {
        let candidates = self.candidates();
        for (i, scope) in self.model.scopes.iter().enumerate() {
            let unit = match scope.kind {
                ScopeKind::Module => true,
                ScopeKind::Function => scope.node.kind_name() == "function_definition",
                ScopeKind::Class => false,
            };
            if unit && candidates.get(&i).is_some_and(|c| c.0 & c.1 != 0) {
                self.summary(scope.node, i, Entry::Own);
            }
        }
        let mut hits = self.found.take();
        let mut seen = std::collections::HashSet::new();
        hits.retain(|h| {
            let at = h.remote.as_ref().map(|r| (r.at.path.clone(), r.at.start));
            seen.insert((h.rule, h.call.id(), at))
        });
        hits.sort_by_key(|h| (h.call.start_byte(), h.rule));
        hits
    }

    /// Per scope: (the groups it has a source candidate for, those it has a sink candidate
    /// for). Calls to functions of the file count as both, since their summaries may return
    /// taint or reach a sink.
    pub(crate) fn candidates(&self) -> HashMap<ScopeId, (Groups, Groups)> {
        let model = self.model;
        let all = self.active;
        let mut out: HashMap<ScopeId, (Groups, Groups)> = HashMap::new();
        for site in &model.calls {
            let Some(f) = site.node.field(&fields::FUNCTION) else {
                continue;
            };
            let local = match f.kind_name() {
                "identifier" => model
                    .lookup(model.text(f), site.scope, f.start_byte())
                    .is_some_and(|(bs, _)| {
                        // A function of the file, or a class of it (its methods may be
                        // called on the new object).
                        bs.iter().any(|b| {
                            matches!(
                                b.kind,
                                crate::semantic::BindingKind::Def(_)
                                    | crate::semantic::BindingKind::Class(_)
                            )
                        })
                    }),
                "attribute" => f.field(&fields::OBJECT).is_some_and(|o| {
                    matches!(model.text(o), "self" | "cls")
                        || names::is_super_call(model, o)
                        || f.field(&fields::ATTRIBUTE).is_some_and(|a| {
                            methods::class_method(model, site.scope, o, model.text(a)).is_some()
                        })
                }),
                _ => false,
            } || dispatch::may_be_indirect(model, f, site.scope);
            // An attribute call `x.y` can only resolve to a name ending in `.y`; a plain
            // name may be an import alias (`from os import system as run`), so it is
            // always resolved.
            let maybe_sink = match f.kind_name() {
                "attribute" => f
                    .field(&fields::ATTRIBUTE)
                    .and_then(|a| self.pass.sink_last.get(model.text(a)).copied())
                    .unwrap_or(0),
                // `getattr(os, "system")(cmd)`, `sys.modules["os"].system(cmd)` through
                // the attribute: a callee spelled by a call or a subscript is resolved too.
                "identifier" | "call" | "subscript" => all,
                _ => 0,
            } & all;
            // A call under an import that names no project file (`os.system`) cannot
            // reach another module's summary: counting it would run every pass over every
            // function that calls a library.
            let other_module = self.project.is_some_and(|p| {
                external::target(self, site.scope, f).is_some_and(|(t, _, _)| p.may_reach(t))
            });
            let local = if local || other_module { all } else { 0 };
            // Method sinks (`cursor.execute`) and persisting calls match on the name alone.
            let mut sink = local | (model_writes::method_sink_groups(self.pass, model, f) & all);
            if maybe_sink & !sink != 0 {
                let names = model.qualified_names(f, site.scope);
                let rules = (names.iter())
                    .filter_map(|n| self.pass.sinks.get(n))
                    .flatten()
                    .map(|&(ri, _)| ri);
                sink |= self.pass.groups_of(rules) & maybe_sink;
            }
            let entry = out.entry(site.scope).or_default();
            entry.1 |= sink;
            entry.0 |= local;
        }
        for (i, scope) in model.scopes.iter().enumerate() {
            let Some(entry) = out.get_mut(&i) else {
                continue;
            };
            // Only the groups with a sink candidate and no source candidate yet.
            let want = entry.1 & !entry.0;
            if want == 0 {
                continue;
            }
            let text = model.text(scope.node).as_bytes();
            entry.0 |= self.pass.may_hold_source_expr(text, want);
            if entry.0 & want != want
                && scope.kind == ScopeKind::Function
                && scope.node.kind_name() == "function_definition"
            {
                let params = self.source_params(scope.node, i);
                entry.0 |= params.iter().fold(0, |g, (_, v)| g | v.groups()) & want;
            }
        }
        out
    }

    /// The summary of `def` (a function, or the module root) under `entry`. At the top
    /// level (no summary under construction) it is final: the worklist of deferred and
    /// recursive summaries is drained first (see [`solve`]). Inside another summary's
    /// computation it may be an approximation, which the worklist completes.
    /// Hits from real sources are recorded as findings on the way.
    pub fn summary(&self, def: Node<'t>, scope: ScopeId, entry: Entry) -> Rc<Summary<'t>> {
        let key = (def.id(), entry);
        let found = self.solver.borrow_mut().lookup(&key, def, scope);
        if let solve::Lookup::Known(s) = found {
            if self.solver.borrow().idle() {
                self.drain();
                return self.solver.borrow().get(&key);
            }
            return s;
        }
        self.compute(key.clone(), def, scope);
        if self.solver.borrow().idle() {
            self.drain();
        }
        self.solver.borrow().get(&key)
    }

    /// Recomputes queued summaries until none grows any more, or the work budget is
    /// used up (the file then gets its `incomplete` diagnostic).
    fn drain(&self) {
        loop {
            if self.exhausted() {
                return;
            }
            let next = self.solver.borrow_mut().next();
            let Some((key, def, scope)) = next else {
                return;
            };
            self.compute(key, def, scope);
        }
    }

    /// Interprets `def` under the entry of `key` and stores the summary.
    fn compute(&self, key: solve::SummaryKey, def: Node<'t>, scope: ScopeId) {
        self.solver.borrow_mut().begin(key.clone());
        let entry = key.1.clone();
        let own = entry == Entry::Own;
        let mut frame = Frame::new(self, def, scope, entry);
        frame.run();
        let (returns, hits, fields) = frame.finish();
        let keep = |o: Origin| match o {
            Origin::Source(_) => own,
            Origin::Param(_) => !own,
        };
        // Per strand: a value can be a source's for some groups and a parameter's for others.
        let summary = Summary {
            returns: returns.and_then(|t| t.filter_origin(keep)),
            fields: fields
                .into_iter()
                .filter(|_| !own)
                .filter_map(|(f, t)| Some((f, t.filter_origin(keep)?)))
                .collect(),
            hits: hits
                .into_iter()
                .filter(|h| {
                    let real = matches!(h.taint.origin(), Origin::Source(_));
                    if real {
                        self.found.borrow_mut().push(h.clone());
                    }
                    keep(h.taint.origin()) && !real
                })
                .collect(),
        };
        self.solver.borrow_mut().finish(key, summary);
    }
}

/// Who controls data of a threat model, for the `{attacker}` placeholder of messages.
fn attacker(threat: crate::settings::ThreatModel) -> &'static str {
    match threat {
        crate::settings::ThreatModel::Remote => "whoever sends the request",
        crate::settings::ThreatModel::Local => {
            "whoever controls the program's command line, environment or input"
        }
    }
}

fn make_finding(
    path: &Path,
    source: &SourceText,
    rules: &RuleSet,
    pass: &Pass,
    hit: &Hit,
) -> Finding {
    let rule = &rules.rules()[hit.rule];
    let sink = &rule.taint.as_ref().expect("taint rule").sinks[hit.sink];
    let (label, attacker) = match hit.taint.origin() {
        Origin::Source(l) => (pass.labels[l].as_str(), attacker(pass.threats[l])),
        Origin::Param(_) => ("a parameter", "whoever supplies that value"),
    };
    let message = sink
        .message
        .replace("{call}", &hit.callee)
        .replace("{source}", label)
        .replace("{attacker}", attacker);
    let mut flow = export::owned_steps(path, source, hit.taint.steps());
    if let Some(r) = &hit.remote {
        // Reported at the sink, in its own file, with the whole path.
        flow.extend(r.steps.iter().cloned());
        let mut f = (*r.at).clone();
        f.rule_index = hit.rule;
        f.message = message;
        f.flow = flow;
        return f;
    }
    let start = source.position(hit.call.start_byte());
    let end = source.position(hit.call.end_byte());
    flow.push(FlowStep {
        path: path.to_path_buf(),
        start,
        end,
        note: format!("sink: `{}()` {}", hit.callee, sink.label),
    });
    Finding {
        rule_index: hit.rule,
        rule_id: rule.id.clone(),
        path: path.to_path_buf(),
        start,
        end,
        severity: sink.severity,
        confidence: sink.confidence,
        message,
        line_text: crate::engine::line_text(source, start.line),
        fingerprint: String::new(),
        flow,
        suppressed: false,
        fix: None,
        covered: Vec::new(),
        test_code: false,
    }
}

/// The module or class a registration call needs imported: `django.urls` for
/// `django.urls.path`, `flask.Flask` for the method call `flask.Flask().add_url_rule`.
fn registration_module(call: &str) -> Option<String> {
    match call.split_once("()") {
        Some((class, _)) => Some(class.to_string()),
        None => call.rsplit_once('.').map(|(m, _)| m.to_string()),
    }
}
