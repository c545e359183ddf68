//! Turning one module's analysis into its owned [`ModuleSummary`]: per function and
//! method, what each parameter reaches and what its own sources return, plus the imports,
//! classes and singletons other modules need to resolve names through it.

use super::names::{def_name, dotted, params};
use super::trace::{Origin, Step};
use super::{Entry, FileCtx, Hit};
use crate::fields::{self, FieldExt};
use crate::finding::FlowStep;
use crate::project::module_summary::{
    Facts, FuncKind, FuncSummary, ModuleSummary, OwnedHit, SinkAt,
};
use crate::semantic::{BindingKind, ScopeKind};
use crate::source::SourceText;
use std::path::Path;

/// Functions larger than this that name no sink are not summarised per parameter (a
/// documented limit of the work spent for importers).
const MAX_RETURN_ONLY_BYTES: usize = 4096;

/// The path steps of `steps` as owned flow steps of `path`.
pub(crate) fn owned_steps(
    path: &Path,
    source: &SourceText,
    steps: &[std::rc::Rc<Step>],
) -> Vec<FlowStep> {
    steps
        .iter()
        .map(|s| match &s.there {
            Some(t) => (**t).clone(),
            None => FlowStep {
                path: path.to_path_buf(),
                start: source.position(s.start),
                end: source.position(s.end),
                note: s.note.clone(),
            },
        })
        .collect()
}

/// The functions and methods other modules can call: top-level defs (`f`) and methods of
/// top-level classes (`C.m`), with their kind.
fn exported<'t>(cx: &FileCtx<'_, 't>) -> Vec<(String, FuncKind, tree_sitter::Node<'t>, usize)> {
    let model = cx.model;
    let mut out = Vec::new();
    for (i, s) in model.scopes.iter().enumerate() {
        if s.kind != ScopeKind::Function || s.node.kind() != "function_definition" {
            continue;
        }
        let Some(parent) = s.parent else { continue };
        let name = def_name(model, s.node);
        if parent == 0 {
            out.push((name.to_string(), FuncKind::Function, s.node, i));
            continue;
        }
        let ps = &model.scopes[parent];
        if ps.kind != ScopeKind::Class || ps.parent != Some(0) {
            continue;
        }
        let Some(cname) = ps.node.field(&fields::NAME) else {
            continue;
        };
        let decorators = s
            .node
            .parent()
            .filter(|p| p.kind() == "decorated_definition")
            .map(|p| {
                model
                    .text(p)
                    .split(" def ")
                    .next()
                    .unwrap_or("")
                    .to_string()
            })
            .unwrap_or_default();
        let kind = if decorators.contains("@staticmethod") {
            FuncKind::StaticMethod
        } else if decorators.contains("@classmethod") {
            FuncKind::ClassMethod
        } else {
            FuncKind::Method
        };
        out.push((format!("{}.{name}", model.text(cname)), kind, s.node, i));
    }
    out
}

/// Adds this pass's facts for every exported function to `summary`. Real-source hits
/// met on the way were already reported by the file's own analysis; they are dropped.
pub(crate) fn add_pass(
    cx: &FileCtx,
    path: &Path,
    source: &SourceText,
    summary: &mut ModuleSummary,
    make_template: &mut dyn FnMut(&Hit) -> crate::finding::Finding,
) {
    let pi = cx.pass_index;
    let candidates = cx.candidates();
    for (name, kind, def, scope) in exported(cx) {
        let plist = params(cx.model, def);
        let entry = summary.funcs.entry(name).or_insert_with(|| FuncSummary {
            kind,
            params: plist.iter().map(|p| p.name.to_string()).collect(),
            own: Vec::new(),
            by_param: Vec::new(),
            validator: super::validators::is_validator(cx.model, def, &cx.pass.validators),
        });
        while entry.own.len() <= pi {
            entry.own.push(Facts::default());
            entry.by_param.push(Vec::new());
        }
        if cx.exhausted() {
            summary.partial = true;
            continue;
        }
        let own = cx.summary(def, scope, Entry::Own);
        if let Some(t) = &own.returns
            && let Origin::Source(label) = t.origin()
        {
            entry.own[pi] = Facts {
                returns: Some(owned_steps(path, source, t.steps())),
                label: Some(label),
                ..Facts::default()
            };
        }
        let skip_first = matches!(kind, FuncKind::Method | FuncKind::ClassMethod);
        // A parameter can only matter to importers if the function may reach a sink (a
        // sink call, or a call that may lead to one) or returns; pure bookkeeping
        // functions of large modules are not summarised per parameter.
        let text = cx.model.text(def);
        let names_sink = cx
            .pass
            .sink_last
            .iter()
            .chain(cx.pass.sink_methods.keys())
            .any(|n| text.contains(n.as_str()));
        let may_sink = names_sink && candidates.get(&scope).is_some_and(|c| c.1);
        // Small functions are summarised whatever they call: they are the forwarders and
        // helpers (`return delete_named(name.strip())`) a chain passes through.
        let small = text.len() <= MAX_RETURN_ONLY_BYTES;
        if !may_sink && !small {
            entry.by_param[pi] = vec![Facts::default(); plist.len()];
            continue;
        }
        let mut by_param = Vec::with_capacity(plist.len());
        for i in 0..plist.len() {
            if (skip_first && i == 0) || cx.exhausted() {
                by_param.push(Facts::default());
                continue;
            }
            let s = cx.summary(def, scope, Entry::Param(i));
            let mut facts = Facts {
                returns: s
                    .returns
                    .as_ref()
                    .map(|t| owned_steps(path, source, t.steps())),
                ..Facts::default()
            };
            for (field, t) in &s.fields {
                facts
                    .fields
                    .push((field.clone(), owned_steps(path, source, t.steps())));
            }
            for h in &s.hits {
                let mut steps = owned_steps(path, source, h.taint.steps());
                let at = match &h.remote {
                    Some(r) => {
                        steps.extend(r.steps.iter().cloned());
                        SinkAt::Shared(r.at.clone())
                    }
                    None => {
                        let template = make_template(h);
                        steps.extend(template.flow.last().cloned());
                        summary.sinks.push(template);
                        SinkAt::Local(summary.sinks.len() - 1)
                    }
                };
                facts.hits.push(OwnedHit {
                    rule: h.rule,
                    sink: h.sink,
                    callee: h.callee.clone(),
                    steps,
                    at,
                });
            }
            by_param.push(facts);
        }
        entry.by_param[pi] = by_param;
    }
}

/// Imports, classes and module-level singletons of the module.
pub(crate) fn add_names(cx: &FileCtx, summary: &mut ModuleSummary) {
    let model = cx.model;
    summary.imports = cx.imports.module_level.iter().cloned().collect();
    summary.stars = cx.imports.stars.clone();
    for (i, s) in model.scopes.iter().enumerate() {
        if s.kind != ScopeKind::Class || s.parent != Some(0) {
            continue;
        }
        let _ = i;
        let Some(name) = s.node.field(&fields::NAME) else {
            continue;
        };
        let mut bases = Vec::new();
        if let Some(list) = s.node.field(&fields::SUPERCLASSES) {
            let mut c = list.walk();
            for b in list.named_children(&mut c) {
                if let Some(d) = dotted(model, b) {
                    bases.push(d);
                }
            }
        }
        summary.classes.insert(model.text(name).to_string(), bases);
    }
    for (name, bindings) in &model.scopes[0].bindings {
        let ctor = bindings.iter().find_map(|b| match b.kind {
            BindingKind::Assign(v) if v.kind() == "call" => v.field(&fields::FUNCTION),
            _ => None,
        });
        if let Some(f) = ctor
            && let Some(d) = dotted(model, f)
        {
            summary.singletons.insert(name.to_string(), d);
        }
    }
}
