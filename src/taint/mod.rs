//! The taint engine: follows request data to command, code and deserialization sinks.
//!
//! Per file, for each pass (see [`pass`]): every function (and the module body) that holds
//! both a source candidate and a sink candidate is interpreted statement by statement
//! ([`flow`]), tracking which variables hold tainted data and how it got there. Calls to
//! functions of the same file use summaries computed on demand ([`FileCtx::summary`]): what
//! a parameter reaches (sinks, the return value) and what the function returns by itself.
//! `docs/taint.md` lists what is and is not followed.

mod crossmod;
mod expr;
mod flow;
mod guards;
mod model_writes;
mod names;
mod pass;
mod trace;

use crate::finding::{Finding, FlowStep};
use crate::rules::{RuleSet, TaintModel};
use crate::semantic::{Model, ScopeId, ScopeKind};
use crate::source::SourceText;
use flow::Frame;
use pass::Pass;
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use trace::{Origin, Taint};
use tree_sitter::Node;

/// How many summaries may be under construction at once (a call chain `a → b → c → d`):
/// bounds both stack depth and work on hostile input. Deeper calls are not followed.
const MAX_SUMMARY_NESTING: usize = 4;

/// The compiled taint rules of a rule set.
#[derive(Debug)]
pub struct TaintEngine {
    passes: Vec<Pass>,
}

impl TaintEngine {
    /// Groups `rules`' taint rules into passes.
    pub fn new(rules: &RuleSet) -> TaintEngine {
        let shared: Vec<usize> = rules
            .rules()
            .iter()
            .enumerate()
            .filter(|(_, r)| r.taint.as_ref().is_some_and(|t| is_empty(&t.local)))
            .map(|(i, _)| i)
            .collect();
        let mut passes = Vec::new();
        if !shared.is_empty() {
            passes.push(Pass::new(rules, rules.taint_model(), shared));
        }
        for (i, r) in rules.rules().iter().enumerate() {
            if let Some(t) = &r.taint
                && !is_empty(&t.local)
            {
                let mut model = rules.taint_model().clone();
                model.extend(&t.local);
                passes.push(Pass::new(rules, &model, vec![i]));
            }
        }
        TaintEngine { passes }
    }

    /// Whether any taint rule is loaded.
    pub fn is_empty(&self) -> bool {
        self.passes.is_empty()
    }

    /// Runs every pass with an applicable rule over one parsed file and appends its findings;
    /// call-rule findings that a taint finding on the same call supersedes are removed.
    pub fn analyse(
        &self,
        path: &Path,
        source: &SourceText,
        model: &Model,
        rules: &RuleSet,
        applicable: &[bool],
        findings: &mut Vec<Finding>,
    ) {
        let mut taint_findings = Vec::new();
        for pass in &self.passes {
            if !pass.rules.iter().any(|&r| applicable[r]) {
                continue;
            }
            let cx = FileCtx::new(pass, rules, applicable, model, Some(path));
            for hit in cx.run() {
                let mut f = make_finding(path, source, rules, pass, &hit);
                model_writes::name_source(&mut f.message, model, &hit);
                taint_findings.push(f);
            }
        }
        if taint_findings.is_empty() {
            return;
        }
        findings.retain(|f| {
            !taint_findings.iter().any(|t| {
                t.start == f.start
                    && rules.rules()[t.rule_index]
                        .taint
                        .as_ref()
                        .is_some_and(|tr| tr.supersedes.iter().any(|s| s == &f.rule_id))
            })
        });
        findings.extend(taint_findings);
    }
}

fn is_empty(m: &TaintModel) -> bool {
    m.sources.is_empty()
        && m.sanitizers.calls.is_empty()
        && m.sanitizers.guards.is_empty()
        && m.sanitizers.guard_methods.is_empty()
        && m.sanitizers.exits.is_empty()
        && m.propagators.calls.is_empty()
        && m.propagators.methods.is_empty()
        && m.propagators.into_receiver.is_empty()
}

/// A tainted value reaching a sink.
#[derive(Debug, Clone)]
pub(crate) struct Hit<'t> {
    pub rule: usize,
    pub sink: usize,
    pub call: Node<'t>,
    pub callee: String,
    pub taint: Taint,
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

/// A summary key: the `def` node id and the entry assumption.
type SummaryKey = (usize, Entry);

/// Everything one pass over one file shares.
pub(crate) struct FileCtx<'a, 't> {
    pub pass: &'a Pass,
    pub rules: &'a RuleSet,
    pub applicable: &'a [bool],
    pub model: &'a Model<'t>,
    /// `def` node id → its scope.
    scope_of_def: HashMap<usize, ScopeId>,
    summaries: RefCell<HashMap<SummaryKey, Rc<Summary<'t>>>>,
    active: RefCell<Vec<SummaryKey>>,
    /// Hits from real sources, reported as findings.
    found: RefCell<Vec<Hit<'t>>>,
    /// The file analysed, when other modules may be followed from it (not for a callee
    /// module being summarised: one level only).
    pub path: Option<&'a Path>,
    module_files: RefCell<HashMap<crossmod::ExtTarget, Option<PathBuf>>>,
    external: RefCell<HashMap<ExtKey, Option<Rc<crossmod::ExtSummary>>>>,
    loads: Cell<usize>,
}

/// A summary of another module's function: file, function, position or keyword.
type ExtKey = (PathBuf, String, Option<usize>, Option<String>);

impl<'a, 't> FileCtx<'a, 't> {
    fn new(
        pass: &'a Pass,
        rules: &'a RuleSet,
        applicable: &'a [bool],
        model: &'a Model<'t>,
        path: Option<&'a Path>,
    ) -> Self {
        let scope_of_def = model
            .scopes
            .iter()
            .enumerate()
            .filter(|(_, s)| s.kind != ScopeKind::Module)
            .map(|(i, s)| (s.node.id(), i))
            .collect();
        FileCtx {
            pass,
            rules,
            applicable,
            model,
            scope_of_def,
            summaries: RefCell::new(HashMap::new()),
            active: RefCell::new(Vec::new()),
            found: RefCell::new(Vec::new()),
            path,
            module_files: RefCell::new(HashMap::new()),
            external: RefCell::new(HashMap::new()),
            loads: Cell::new(0),
        }
    }

    /// What parameter `position` (or `keyword`) of the other-module function `target`
    /// reaches, when its file is found in the importer's tree.
    pub fn external(
        &self,
        target: &crossmod::ExtTarget,
        position: Option<usize>,
        keyword: Option<&str>,
    ) -> Option<Rc<crossmod::ExtSummary>> {
        let importer = self.path?;
        let file = self
            .module_files
            .borrow_mut()
            .entry(target.clone())
            .or_insert_with(|| crossmod::module_file(importer, target))
            .clone()?;
        let key = (
            file,
            target.func.clone(),
            position,
            keyword.map(str::to_string),
        );
        if let Some(s) = self.external.borrow().get(&key) {
            return s.clone();
        }
        if self.loads.get() >= crossmod::MAX_LOADS_PER_FILE {
            return None;
        }
        self.loads.set(self.loads.get() + 1);
        let summary = crossmod::summarise(
            self.pass,
            self.rules,
            self.applicable,
            &key.0,
            &target.func,
            position,
            keyword,
        )
        .map(Rc::new);
        self.external.borrow_mut().insert(key, summary.clone());
        summary
    }

    /// The scope a `def` (or `class`) opens.
    pub fn scope_of(&self, def: Node<'t>) -> Option<ScopeId> {
        self.scope_of_def.get(&def.id()).copied()
    }

    /// Analyses every function holding a source and a sink candidate, plus the module body;
    /// returns the hits, one per (rule, sink call), in source order.
    fn run(&self) -> Vec<Hit<'t>> {
        let candidates = self.candidates();
        for (i, scope) in self.model.scopes.iter().enumerate() {
            let unit = match scope.kind {
                ScopeKind::Module => true,
                ScopeKind::Function => scope.node.kind() == "function_definition",
                ScopeKind::Class => false,
            };
            if unit && candidates.get(&i).is_some_and(|c| c.0 && c.1) {
                self.summary(scope.node, i, Entry::Own);
            }
        }
        let mut hits = self.found.take();
        let mut seen = std::collections::HashSet::new();
        hits.retain(|h| seen.insert((h.rule, h.call.id())));
        hits.sort_by_key(|h| (h.call.start_byte(), h.rule));
        hits
    }

    /// Per scope: (has a source candidate, has a sink candidate). Calls to functions of the
    /// file count as both, since their summaries may return taint or reach a sink.
    fn candidates(&self) -> HashMap<ScopeId, (bool, bool)> {
        let model = self.model;
        let mut out: HashMap<ScopeId, (bool, bool)> = HashMap::new();
        for site in &model.calls {
            let Some(f) = site.node.child_by_field_name("function") else {
                continue;
            };
            let local = match f.kind() {
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
                "attribute" => f
                    .child_by_field_name("object")
                    .is_some_and(|o| matches!(model.text(o), "self" | "cls")),
                _ => false,
            };
            // An attribute call `x.y` can only resolve to a name ending in `.y`; a plain
            // name may be an import alias (`from os import system as run`), so it is
            // always resolved.
            let maybe_sink = match f.kind() {
                "attribute" => f
                    .child_by_field_name("attribute")
                    .is_some_and(|a| self.pass.sink_last.contains(model.text(a))),
                "identifier" => true,
                _ => false,
            };
            let other_module =
                self.path.is_some() && crossmod::target(model, site.scope, f).is_some();
            let local = local || other_module;
            // Method sinks (`cursor.execute`) and persisting calls match on the name alone.
            let sink = local
                || model_writes::is_method_sink(self.pass, model, f)
                || (maybe_sink
                    && model
                        .qualified_names(f, site.scope)
                        .iter()
                        .any(|n| self.pass.sinks.contains_key(n)));
            let entry = out.entry(site.scope).or_default();
            entry.1 |= sink;
            entry.0 |= local;
        }
        for (i, scope) in model.scopes.iter().enumerate() {
            let Some(entry) = out.get_mut(&i) else {
                continue;
            };
            if entry.0 || !entry.1 {
                continue;
            }
            let text = model.text(scope.node).as_bytes();
            entry.0 = self.pass.may_hold_source_expr(text)
                || (scope.kind == ScopeKind::Function
                    && scope.node.kind() == "function_definition"
                    && !self.pass.source_params(model, scope.node, i).is_empty());
        }
        out
    }

    /// The summary of `def` (a function, or the module root) under `entry`; computed once.
    /// Hits from real sources are recorded as findings on the way.
    pub fn summary(&self, def: Node<'t>, scope: ScopeId, entry: Entry) -> Rc<Summary<'t>> {
        let key = (def.id(), entry.clone());
        if let Some(s) = self.summaries.borrow().get(&key) {
            return s.clone();
        }
        {
            let active = self.active.borrow();
            if active.contains(&key) || active.len() >= MAX_SUMMARY_NESTING {
                return Rc::new(Summary::default());
            }
        }
        self.active.borrow_mut().push(key.clone());
        let own = entry == Entry::Own;
        let mut frame = Frame::new(self, def, scope, entry);
        frame.run();
        let (returns, hits, fields) = frame.finish();
        self.active.borrow_mut().pop();
        let keep = |o: Origin| match o {
            Origin::Source(_) => own,
            Origin::Param(_) => !own,
        };
        let summary = Rc::new(Summary {
            returns: returns.filter(|t| keep(t.origin())),
            fields: fields
                .into_iter()
                .filter(|(_, t)| !own && keep(t.origin()))
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
        });
        self.summaries.borrow_mut().insert(key, summary.clone());
        summary
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
    let label = match hit.taint.origin() {
        Origin::Source(l) => pass.labels[l].as_str(),
        Origin::Param(_) => "a parameter",
    };
    let start = source.position(hit.call.start_byte());
    let end = source.position(hit.call.end_byte());
    let mut flow: Vec<FlowStep> = hit
        .taint
        .steps()
        .iter()
        .map(|s| FlowStep {
            start: source.position(s.start),
            end: source.position(s.end),
            note: s.note.clone(),
        })
        .collect();
    flow.push(FlowStep {
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
        message: sink
            .message
            .replace("{call}", &hit.callee)
            .replace("{source}", label),
        line_text: crate::engine::line_text(source, start.line),
        fingerprint: String::new(),
        flow,
        suppressed: false,
        fix: None,
        covered: Vec::new(),
        test_code: false,
    }
}
