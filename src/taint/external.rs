//! Calls into other modules of the project, answered from their owned summaries.
//!
//! The callee expression's first name must be bound by an import; the project view follows
//! it through re-exports, `from m import *`, class names (static and class methods),
//! module-level singletons (`dao = Dao()` … `dao.run(x)`) and inherited methods to a
//! function summary, whose facts are applied here: the path crosses into the other file and
//! a sink there is reported there, with the whole path.

use super::binding::{bindings, owned_sig, shown, whole};
use super::expr::Arg;
use super::flow::Frame;
use super::names::{chain, is_super_call};
use super::trace::{Groups, Origin, Step, Taint, either};
use super::{FileCtx, Hit, RemoteHit};
use crate::fields::{self, FieldExt};
use crate::finding::FlowStep;
use crate::project::module_summary::{Facts, ImportTarget, SinkAt};
use crate::project::resolve::Callee;
use crate::semantic::{BindingKind, Model, ScopeId};
use std::collections::HashMap;
use std::rc::Rc;
use tree_sitter::Node;

/// Import statements beyond this many per file are not read into the import map.
const MAX_IMPORTS: usize = 4096;

/// Names bound by import statements anywhere in the file → what they import. Module-level
/// statements come first (they win on a clash), then those inside functions.
pub(crate) struct ImportMap {
    pub all: HashMap<String, ImportTarget>,
    /// Module-level bindings only, in name order (for the module's summary).
    pub module_level: Vec<(String, ImportTarget)>,
    pub stars: Vec<ImportTarget>,
}

impl ImportMap {
    /// No imports (a file analysed on its own).
    pub fn empty() -> ImportMap {
        ImportMap {
            all: HashMap::new(),
            module_level: Vec::new(),
            stars: Vec::new(),
        }
    }

    pub fn build(model: &Model) -> ImportMap {
        let mut map = ImportMap {
            all: HashMap::new(),
            module_level: Vec::new(),
            stars: Vec::new(),
        };
        let mut nested = Vec::new();
        // Statements beyond MAX_IMPORTS are not read.
        for &(n, top) in model.import_statements.iter().take(MAX_IMPORTS) {
            let mut out = Vec::new();
            let star = read_import(model, n, &mut out);
            if top {
                map.stars.extend(star);
                for (k, v) in out {
                    map.module_level.push((k.clone(), v.clone()));
                    map.all.entry(k).or_insert(v);
                }
            } else {
                nested.extend(out);
            }
        }
        for (k, v) in nested {
            map.all.entry(k).or_insert(v);
        }
        map.module_level.sort_by(|a, b| a.0.cmp(&b.0));
        map.module_level.dedup_by(|a, b| a.0 == b.0);
        map
    }
}

/// Reads one import statement; returns a `from m import *` target.
fn read_import(
    model: &Model,
    n: Node,
    out: &mut Vec<(String, ImportTarget)>,
) -> Option<ImportTarget> {
    let text = |x: Node| -> String {
        model
            .text(x)
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect()
    };
    let mut c = n.walk();
    if n.kind() == "import_statement" {
        for name in n.children_by_field_name("name", &mut c) {
            match name.kind() {
                "dotted_name" => {
                    let full = text(name);
                    let first = full.split('.').next().unwrap_or("").to_string();
                    out.push((
                        first.clone(),
                        ImportTarget {
                            dots: 0,
                            module: first,
                            name: None,
                        },
                    ));
                }
                "aliased_import" => {
                    if let (Some(m), Some(a)) =
                        (name.field(&fields::NAME), name.field(&fields::ALIAS))
                    {
                        out.push((
                            text(a),
                            ImportTarget {
                                dots: 0,
                                module: text(m),
                                name: None,
                            },
                        ));
                    }
                }
                _ => {}
            }
        }
        return None;
    }
    let spec = text(n.field(&fields::MODULE_NAME)?);
    let dots = spec.chars().take_while(|&c| c == '.').count();
    let module = spec[dots..].to_string();
    let mut kids = n.walk();
    if n.named_children(&mut kids)
        .any(|k| k.kind() == "wildcard_import")
    {
        return Some(ImportTarget {
            dots,
            module,
            name: None,
        });
    }
    for name in n.children_by_field_name("name", &mut c) {
        let (orig, local) = match name.kind() {
            "dotted_name" => (text(name), text(name)),
            "aliased_import" => match (name.field(&fields::NAME), name.field(&fields::ALIAS)) {
                (Some(a), Some(b)) => (text(a), text(b)),
                _ => continue,
            },
            _ => continue,
        };
        out.push((
            local,
            ImportTarget {
                dots,
                module: module.clone(),
                name: Some(orig),
            },
        ));
    }
    None
}

/// The import a callee expression starts from, when its first name is bound by one at
/// the call (not shadowed by a local definition), or is a local assigned a constructor
/// call of an imported class (`r = Dao()` … `r.run(x)`: then the constructor call is
/// returned too).
pub(crate) fn target<'c, 't>(
    cx: &'c FileCtx<'_, 't>,
    scope: ScopeId,
    f: Node<'t>,
) -> Option<(&'c ImportTarget, Vec<String>, Option<Node<'t>>)> {
    let model = cx.model;
    // `Class(...).method(...)`: a method on the object the constructor call builds.
    if f.kind() == "attribute"
        && let Some(obj) = f.field(&fields::OBJECT)
        && obj.kind() == "call"
        && let Some(method) = f.field(&fields::ATTRIBUTE)
    {
        if is_super_call(model, obj) {
            return inherited(cx, scope, obj, model.text(method));
        }
        return constructed(cx, scope, obj, model.text(method));
    }
    let (root, segs) = chain(model, f)?;
    let (bindings, _) = model.lookup(root, scope, f.start_byte())?;
    let imported = bindings
        .iter()
        .any(|b| matches!(b.kind, BindingKind::Import(_) | BindingKind::Other));
    if imported && let Some(t) = cx.imports.all.get(root) {
        return Some((t, segs.iter().map(|s| s.to_string()).collect(), None));
    }
    // `obj.method(...)` on a local built by `obj = Class(...)`.
    if segs.len() != 1 {
        return None;
    }
    let ctor = bindings.iter().rev().find_map(|b| match b.kind {
        BindingKind::Assign(v) if v.kind() == "call" => Some(v),
        _ => None,
    })?;
    constructed(cx, scope, ctor, segs[0])
}

/// `super().method(...)` inside a method of a class with an imported base: `method` of the
/// first imported base (the call node stands for the object, which is `self`).
fn inherited<'c, 't>(
    cx: &'c FileCtx<'_, 't>,
    scope: ScopeId,
    call: Node<'t>,
    method: &str,
) -> Option<(&'c ImportTarget, Vec<String>, Option<Node<'t>>)> {
    let model = cx.model;
    let class = model.scopes[scope]
        .parent
        .filter(|p| model.scopes[*p].kind == crate::semantic::ScopeKind::Class)?;
    let outer = model.scopes[class].parent.unwrap_or(0);
    let list = model.scopes[class].node.field(&fields::SUPERCLASSES)?;
    let mut c = list.walk();
    let bases: Vec<Node<'t>> = list.named_children(&mut c).collect();
    bases.into_iter().find_map(|b| {
        let (t, mut rest) = imported_chain(cx, outer, b)?;
        rest.push(method.to_string());
        Some((t, rest, Some(call)))
    })
}

/// The import that binds the first name of the plain chain `e` (`mod.Class`) at `e`, and
/// the attributes after it.
fn imported_chain<'c>(
    cx: &'c FileCtx,
    scope: ScopeId,
    e: Node,
) -> Option<(&'c ImportTarget, Vec<String>)> {
    let model = cx.model;
    let (root, segs) = chain(model, e)?;
    let (bindings, _) = model.lookup(root, scope, e.start_byte())?;
    if !bindings
        .iter()
        .any(|b| matches!(b.kind, BindingKind::Import(_) | BindingKind::Other))
    {
        return None;
    }
    let t = cx.imports.all.get(root)?;
    Some((t, segs.iter().map(|s| s.to_string()).collect()))
}

/// `method` of an object built by the constructor call `ctor`, when its function names an
/// imported class.
fn constructed<'c, 't>(
    cx: &'c FileCtx<'_, 't>,
    scope: ScopeId,
    ctor: Node<'t>,
    method: &str,
) -> Option<(&'c ImportTarget, Vec<String>, Option<Node<'t>>)> {
    let cf = ctor.field(&fields::FUNCTION)?;
    let (t, mut rest) = imported_chain(cx, scope, cf)?;
    rest.push(method.to_string());
    Some((t, rest, Some(ctor)))
}

fn there(steps: &[FlowStep]) -> Vec<Rc<Step>> {
    steps.iter().map(|s| Rc::new(Step::there(s))).collect()
}

/// The active groups of the pass, each with its engine index (facts are per group index).
fn active_groups(cx: &FileCtx) -> Vec<(Groups, usize)> {
    (cx.pass.group_index.iter().enumerate())
        .map(|(b, &i)| (1 << b, i))
        .filter(|(g, _)| cx.active & g != 0)
        .collect()
}

impl<'t> Frame<'_, '_, 't> {
    /// Applies the summary of the other-module function `f` names: its own sources'
    /// return, what each tainted argument (or request object passed whole) reaches, and
    /// for a method of an object built here from an imported class, what the attributes
    /// its constructor stored tainted data in reach.
    pub(super) fn apply_external(
        &mut self,
        call: Node<'t>,
        f: Node<'t>,
        args: &[Arg<'t>],
    ) -> Option<Taint> {
        let cx = self.cx;
        let view = cx.project?;
        let (t, segs, built_by) = target(cx, self.scope, f)?;
        let segs: Vec<&str> = segs.iter().map(String::as_str).collect();
        let callee = view.callee(t, &segs, built_by.is_some())?;
        let name = self.quote(f);
        let groups = active_groups(cx);
        let mut result = None;
        for &(g, pi) in &groups {
            if let Some(own) = callee.func.own.get(pi)
                && let (Some(steps), Some(label)) = (&own.returns, own.label)
            {
                let t = Taint::new(Origin::Source(label), None, g)
                    .then_all(&there(steps))
                    .then(self.step(call, format!("returned by `{name}()`")));
                result = either(result, Some(t));
            }
        }
        let sig = owned_sig(&callee.func.params, &callee.func.kinds);
        let offset = usize::from(callee.implicit_first);
        for (ai, idx) in bindings(args, offset, offset, &sig) {
            let a = &args[ai];
            // A tainted value; for the other groups, a request object passed whole (the
            // facts of its attribute set).
            let plain = a.taint.as_ref().map_or(0, Taint::groups);
            let carriers = match whole(&a.key, sig[idx].1) {
                true => self.carrier_arg(a),
                false => Vec::new(),
            };
            for &(g, pi) in &groups {
                let (taint, facts) = if plain & g != 0 {
                    (
                        a.taint.as_ref().and_then(|t| t.only(g)),
                        callee.func.by_param.get(pi).and_then(|v| v.get(idx)),
                    )
                } else {
                    let Some(taint) = carriers.iter().find_map(|(t, _)| t.only(g)) else {
                        continue;
                    };
                    let facts = callee
                        .func
                        .carriers
                        .get(pi)
                        .and_then(|v| v.iter().find(|c| c.param == idx).map(|c| &c.facts));
                    (Some(taint), facts)
                };
                let (Some(taint), Some(facts)) = (taint, facts.filter(|f| !f.is_empty())) else {
                    continue;
                };
                let into = taint.then(self.step(
                    a.node,
                    format!(
                        "passed to `{name}()` as `{}` (another module)",
                        shown(&sig, idx)
                    ),
                ));
                let back = self.apply_facts(call, &name, &into, facts);
                result = either(result, back);
            }
        }
        if let Some(ctor) = built_by.filter(|c| !is_super_call(cx.model, *c)) {
            let back = self.apply_fields(call, ctor, t, &segs, &callee, &name, &groups);
            result = either(result, back);
        }
        result
    }

    /// `o = C(x)` … `o.m()` (or `C(x).m()`) with `C` imported: the attributes `C.__init__`
    /// stores a tainted argument in are tainted `self` attributes inside `m`.
    #[allow(clippy::too_many_arguments)]
    fn apply_fields(
        &mut self,
        call: Node<'t>,
        ctor: Node<'t>,
        t: &ImportTarget,
        segs: &[&str],
        method: &Callee,
        name: &str,
        groups: &[(Groups, usize)],
    ) -> Option<Taint> {
        // Only the groups whose facts say what a stored attribute reaches.
        let groups: Vec<(Groups, usize)> = (groups.iter().copied())
            .filter(|&(_, pi)| method.func.by_field.get(pi).is_some_and(|v| !v.is_empty()))
            .collect();
        let mask = groups.iter().fold(0, |m, (g, _)| m | g);
        if mask == 0 {
            return None;
        }
        self.within(mask, |me| {
            let cx = me.cx;
            // `segs` are the class's attributes after the imported name, then the method.
            let (_, class) = segs.split_last()?;
            let mut init_segs = class.to_vec();
            init_segs.push("__init__");
            let init = cx.project?.callee(t, &init_segs, true)?;
            let cname = me.quote(ctor.field(&fields::FUNCTION)?);
            let offset = usize::from(init.implicit_first);
            // The constructor's arguments are evaluated again here, as for a class of the file.
            let ctor_args = me.args(ctor);
            let mut result = None;
            for &(g, pi) in &groups {
                let Some(by_field) = method.func.by_field.get(pi) else {
                    continue;
                };
                let back = me.stored_fields(
                    call,
                    ctor,
                    &cname,
                    &ctor_args,
                    &init,
                    offset,
                    (g, pi),
                    by_field,
                    name,
                );
                result = either(result, back);
            }
            result
        })
    }

    /// For one group: the `self` attributes the constructor stores the arguments in, and
    /// what they reach in the method.
    #[allow(clippy::too_many_arguments)]
    fn stored_fields(
        &mut self,
        call: Node<'t>,
        ctor: Node<'t>,
        cname: &str,
        ctor_args: &[Arg<'t>],
        init: &Callee,
        offset: usize,
        (g, pi): (Groups, usize),
        by_field: &[(String, Facts)],
        name: &str,
    ) -> Option<Taint> {
        let mut stored: Vec<(&str, Taint)> = Vec::new();
        let sig = owned_sig(&init.func.params, &init.func.kinds);
        for (ai, idx) in bindings(ctor_args, offset, offset, &sig) {
            let Some(taint) = ctor_args[ai].taint.as_ref().and_then(|t| t.only(g)) else {
                continue;
            };
            let a = &ctor_args[ai];
            let Some(facts) = init.func.by_param.get(pi).and_then(|v| v.get(idx)) else {
                continue;
            };
            for (field, steps) in &facts.fields {
                if stored.iter().any(|(f, _)| f == field) {
                    continue;
                }
                let passed = self.step(
                    a.node,
                    format!(
                        "passed to `{cname}()` as `{}` (another module)",
                        shown(&sig, idx)
                    ),
                );
                let kept = self.step(
                    ctor,
                    format!("kept in `self.{field}` of the `{cname}` object"),
                );
                stored.push((
                    field.as_str(),
                    taint.then(passed).then_all(&there(steps)).then(kept),
                ));
            }
        }
        let mut result = None;
        for (field, facts) in by_field {
            if let Some((_, into)) = stored.iter().find(|(f, _)| f == field) {
                let back = self.apply_facts(call, name, into, facts);
                result = either(result, back);
            }
        }
        result
    }

    /// Applies what one entry of another module's function reaches, for data that got
    /// there along `into`: its sinks become hits here, its return the call's value.
    fn apply_facts(
        &mut self,
        call: Node<'t>,
        name: &str,
        into: &Taint,
        facts: &Facts,
    ) -> Option<Taint> {
        for h in &facts.hits {
            let SinkAt::Shared(at) = &h.at else {
                continue;
            };
            self.hits.push(Hit {
                rule: h.rule,
                sink: h.sink,
                call,
                callee: h.callee.clone(),
                taint: into.clone(),
                remote: Some(Rc::new(RemoteHit {
                    at: at.clone(),
                    steps: h.steps.clone(),
                })),
            });
        }
        facts.returns.as_ref().map(|rs| {
            into.then_all(&there(rs))
                .then(self.step(call, format!("returned by `{name}()`")))
        })
    }
}
