//! Sinks matched by method name on any receiver (`cursor.execute`), unvalidated model writes
//! (`user.email = value` … `user.save()` / `session.commit()`), and the `{function}` /
//! `{argument}` placeholders of taint messages.
//!
//! Kept apart from the expression interpreter: the interpreter only calls
//! [`Frame::method_sinks`] and [`Frame::check_persist`] for each call.

use super::Hit;
use super::flow::Frame;
use super::names::dotted;
use super::pass::Pass;
use super::trace::{Groups, Taint, either};
use crate::fields::{self, FieldExt};
use crate::semantic::{Model, ScopeKind, Value};
use tree_sitter::Node;

/// Longest source text quoted as `{argument}`.
const MAX_ARGUMENT: usize = 60;

/// The groups for which the call `f(...)` is a method call whose name a method sink or a
/// `persist` sink names: such calls are sink candidates without resolving the receiver.
pub(super) fn method_sink_groups(pass: &Pass, model: &Model, f: Node) -> Groups {
    if f.kind_name() != "attribute" {
        return 0;
    }
    f.field(&fields::ATTRIBUTE)
        .and_then(|a| pass.sink_method_groups.get(model.text(a)).copied())
        .unwrap_or(0)
}

impl<'a, 't> Frame<'_, 'a, 't> {
    /// The method sinks of `call` (when it is `x.m(...)` with `m` a sink method), named by
    /// the call's own text (`cursor.execute`): the receiver's type is unknown.
    pub(super) fn method_sinks(&self, call: Node<'t>) -> Vec<(String, &'a [(usize, usize)])> {
        let pass: &'a Pass = self.cx.pass;
        let Some(f) = call.field(&fields::FUNCTION) else {
            return Vec::new();
        };
        if f.kind_name() != "attribute" {
            return Vec::new();
        }
        let Some(method) = f.field(&fields::ATTRIBUTE) else {
            return Vec::new();
        };
        // `self.execute(...)` calling a method of the file's own class is not a driver call.
        if self.local_callee(f).is_some() {
            return Vec::new();
        }
        match pass.sink_methods.get(self.cx.model.text(method)) {
            Some(list) if !list.is_empty() => vec![(self.quote(f), list.as_slice())],
            _ => Vec::new(),
        }
    }

    /// Whether the receiver of the method call `call` is a class or a module rather than an
    /// object: a class of this file, or an imported name that is not a call's result and is
    /// spelled like a class (`CompoundID`, not `ENV` or `cursor`).
    pub(super) fn receiver_is_class(&self, call: Node<'t>) -> bool {
        let model = self.cx.model;
        let Some(obj) = call
            .field(&fields::FUNCTION)
            .and_then(|f| f.field(&fields::OBJECT))
        else {
            return false;
        };
        if !matches!(obj.kind_name(), "identifier" | "attribute") {
            return false;
        }
        let class_like = |name: &str| {
            let last = name.rsplit('.').next().unwrap_or(name);
            last.starts_with(|c: char| c.is_ascii_uppercase())
                && last.chars().any(|c| c.is_ascii_lowercase())
        };
        model.resolve(obj, self.scope).iter().all(|v| match v {
            Value::Class(..) => true,
            Value::Name(n) => !n.contains("()") && class_like(n),
            // A class imported relatively (`from .ids import FieldId`), which the file
            // alone does not resolve: spelled like a class and bound by the import.
            Value::Unknown => {
                obj.kind_name() == "identifier"
                    && class_like(model.text(obj))
                    && model
                        .lookup(model.text(obj), self.scope, obj.start_byte())
                        .is_some_and(|(_, home)| home == 0)
                    && super::module_import(model, model.text(obj)).is_some()
            }
            _ => false,
        })
    }

    /// Reports `persist` sinks: `obj.save()`, `session.add(obj)` or `session.commit()` after
    /// a tainted value was assigned to an attribute of `obj` (a state key `obj.attr`) on a
    /// path reaching the call.
    pub(super) fn check_persist(&mut self, call: Node<'t>, f: Node<'t>) {
        let cx = self.cx;
        if cx.pass.persist_sinks.is_empty() || f.kind_name() != "attribute" {
            return;
        }
        let Some(method) = f.field(&fields::ATTRIBUTE).map(|a| cx.model.text(a)) else {
            return;
        };
        let mut fired: Vec<usize> = Vec::new();
        for &(ri, si) in &cx.pass.persist_sinks {
            if !cx.applicable[ri] || fired.contains(&ri) {
                continue;
            }
            let Some(p) = cx.rules.rules()[ri]
                .taint
                .as_ref()
                .and_then(|t| t.sinks[si].persist.as_ref())
            else {
                continue;
            };
            let has = |list: &[String]| list.iter().any(|m| m == method);
            let written = if has(&p.object_methods) {
                f.field(&fields::OBJECT)
                    .and_then(|o| dotted(cx.model, o))
                    .and_then(|obj| self.written(Some(&obj)))
            } else if has(&p.argument_methods) {
                call.field(&fields::ARGUMENTS)
                    .into_iter()
                    .flat_map(|a| super::flow::named(a))
                    .filter_map(|a| dotted(cx.model, a))
                    .fold(None, |acc, obj| either(acc, self.written(Some(&obj))))
            } else if has(&p.session_methods) {
                self.written(None)
            } else {
                None
            };
            if let Some(taint) = written.and_then(|t| t.only(cx.pass.group_of(ri))) {
                fired.push(ri);
                self.hits.push(Hit {
                    rule: ri,
                    sink: si,
                    call,
                    callee: self.quote(f),
                    taint,
                    remote: None,
                });
            }
        }
    }

    /// The taint of a tainted attribute written under `obj` (`obj.email`), or, for `None`,
    /// under any local object other than `self`/`cls`; per group, the first key in order,
    /// so the report does not depend on hash order.
    fn written(&self, obj: Option<&str>) -> Option<Taint> {
        let state = self.state.as_ref()?;
        let me = self.self_name.unwrap_or("self");
        state
            .iter()
            .filter_map(|(k, v)| Some((k, v.plain.as_ref()?)))
            .filter(|(k, _)| match obj {
                Some(obj) => {
                    k.len() > obj.len() + 1 && k.starts_with(obj) && k.as_bytes()[obj.len()] == b'.'
                }
                None => k
                    .split_once('.')
                    .is_some_and(|(root, _)| root != me && root != "cls"),
            })
            .fold(None, |acc, (_, t)| either(acc, Some(t.clone())))
    }
}

/// Fills `{function}` (the function where the tainted data entered: the resolver or
/// handler) and `{argument}` (the parameter or source expression) in a taint message,
/// from the first step of the hit's path.
pub(super) fn name_source<'t>(message: &mut String, model: &Model<'t>, hit: &Hit) {
    if !message.contains("{function}") && !message.contains("{argument}") {
        return;
    }
    let Some(first) = hit.taint.steps().first() else {
        *message = message
            .replace("{function}", "the function")
            .replace("{argument}", "its argument");
        return;
    };
    // The innermost function whose text holds the source.
    let scope = model
        .scopes
        .iter()
        .filter(|s| s.kind == ScopeKind::Function && s.node.kind_name() == "function_definition")
        .filter(|s| s.node.start_byte() <= first.start && first.end <= s.node.end_byte())
        .min_by_key(|s| s.node.end_byte() - s.node.start_byte());
    let name_of = |n: Node<'t>| n.field(&fields::NAME).map(|n| model.text(n));
    let function = match scope {
        None => "<module>".to_string(),
        Some(s) => {
            let own = name_of(s.node).unwrap_or("<lambda>");
            // A method is named with its class: `UpdateUser.mutate`, not a bare `mutate`.
            match s.parent.map(|p| &model.scopes[p]) {
                Some(c) if c.kind == ScopeKind::Class => match name_of(c.node) {
                    Some(class) => format!("{class}.{own}"),
                    None => own.to_string(),
                },
                _ => own.to_string(),
            }
        }
    };
    // A request object passed as a parameter: the attribute read from it says more.
    let shown = match hit.taint.steps().get(1) {
        Some(next) if first.note.contains("request object") && next.note.starts_with("reads ") => {
            next
        }
        _ => first,
    };
    let text = model
        .source
        .get(shown.start..shown.end)
        .map(String::from_utf8_lossy)
        .unwrap_or_default();
    let mut argument: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if argument.chars().count() > MAX_ARGUMENT {
        argument = argument.chars().take(MAX_ARGUMENT).collect::<String>() + "…";
    }
    *message = message
        .replace("{function}", &function)
        .replace("{argument}", &argument);
}
