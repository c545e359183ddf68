//! Calls that reach a function of the file indirectly: through `functools.partial`
//! (called at once, or through the variable it was assigned to), through `map(f, xs)`, and
//! through a dict of the file's functions indexed at the call (`handlers[kind](x)`).
//! Each applies the reached function's summary as a direct call would, so a flow through
//! the indirection keeps its path.

use super::expr::{Arg, ArgKey};
use super::flow::{Frame, named};
use super::names::callee_names;
use super::trace::Taint;
use crate::fields::{self, FieldExt};
use crate::semantic::{BindingKind, Model, ScopeId};
use tree_sitter::Node;

/// Entries of a dispatch dict at most followed: real tables have a handful, and each entry
/// applies a summary.
const MAX_DISPATCH_ENTRIES: usize = 32;

/// Whether the callee `f` of a call may reach a function of the file indirectly (a cheap,
/// syntactic test for choosing the scopes to analyse): a `partial(...)` call or a variable
/// assigned one, `map(...)`, or an index into a variable assigned a dict display.
pub(super) fn may_be_indirect(model: &Model, f: Node, scope: ScopeId) -> bool {
    let is_partial = |call: Node| {
        call.kind() == "call"
            && call
                .field(&fields::FUNCTION)
                .is_some_and(|g| model.text(g).ends_with("partial"))
    };
    let assigned = |name: Node, pred: &dyn Fn(Node) -> bool| {
        name.kind() == "identifier"
            && model
                .lookup(model.text(name), scope, name.start_byte())
                .is_some_and(|(bs, _)| {
                    bs.iter()
                        .any(|b| matches!(b.kind, BindingKind::Assign(v) if pred(v)))
                })
    };
    match f.kind() {
        "call" => is_partial(f),
        "identifier" => model.text(f) == "map" || assigned(f, &is_partial),
        "subscript" => f
            .field(&fields::VALUE)
            .is_some_and(|t| assigned(t, &|v: Node| v.kind() == "dictionary")),
        _ => false,
    }
}

impl<'t> Frame<'_, '_, 't> {
    /// The taint an indirect call returns, with its callees' sink hits recorded; `None`
    /// when `f` is not one of the indirect forms or reaches no function of the file.
    pub(super) fn indirect_call(
        &mut self,
        call: Node<'t>,
        f: Node<'t>,
        args: &[Arg<'t>],
    ) -> Option<Option<Taint>> {
        if let Some(p) = self.partial_call(f) {
            return self.through_partial(call, p, args);
        }
        let names = callee_names(self.cx.model, f, self.scope);
        if names.iter().any(|n| n == "map" || n == "builtins.map") {
            return self.through_map(call, args);
        }
        if f.kind() == "subscript" {
            return self.through_dispatch(call, f, args);
        }
        None
    }

    /// The `functools.partial(...)` call that `f` is, or that the variable `f` was
    /// assigned.
    fn partial_call(&self, f: Node<'t>) -> Option<Node<'t>> {
        let model = self.cx.model;
        let (p, scope) = match f.kind() {
            "call" => (f, self.scope),
            "identifier" => {
                let (bindings, home) = model.lookup(model.text(f), self.scope, f.start_byte())?;
                let v = bindings.iter().find_map(|b| match b.kind {
                    BindingKind::Assign(v) if v.kind() == "call" => Some(v),
                    _ => None,
                })?;
                (v, home)
            }
            _ => return None,
        };
        let callee = p.field(&fields::FUNCTION)?;
        callee_names(model, callee, scope)
            .iter()
            .any(|n| n == "functools.partial")
            .then_some(p)
    }

    /// `partial(g, a)(x)`: `g` is called with the bound arguments first, then the call's.
    fn through_partial(
        &mut self,
        call: Node<'t>,
        partial: Node<'t>,
        args: &[Arg<'t>],
    ) -> Option<Option<Taint>> {
        let mut bound = self.args(partial);
        let first = bound.iter().position(|a| matches!(a.key, ArgKey::Pos(0)))?;
        let target = bound.remove(first);
        let (def, offset) = self.local_callee(target.node)?;
        let mut k = 0;
        let mut starred = false;
        for a in &mut bound {
            match a.key {
                ArgKey::Pos(p) => {
                    a.key = ArgKey::Pos(p - 1);
                    k += 1;
                }
                ArgKey::Star(p) => {
                    a.key = ArgKey::Star(p.saturating_sub(1));
                    starred = true;
                }
                _ => {}
            }
        }
        // The call's positional arguments come after the bound ones (after a bound `*xs`,
        // at unknown positions).
        bound.extend(args.iter().cloned().map(|mut a| {
            a.key = match a.key {
                ArgKey::Pos(p) if starred => ArgKey::Star(p + k),
                ArgKey::Pos(p) => ArgKey::Pos(p + k),
                ArgKey::Star(p) => ArgKey::Star(p + k),
                key => key,
            };
            a
        }));
        Some(self.apply_summary(call, def, offset, &bound))
    }

    /// `map(g, xs, ys)`: `g` is called with an element of each iterable, positionally; the
    /// result holds what `g` returns.
    fn through_map(&mut self, call: Node<'t>, args: &[Arg<'t>]) -> Option<Option<Taint>> {
        let func = args.iter().find(|a| matches!(a.key, ArgKey::Pos(0)))?;
        let (def, offset) = self.local_callee(func.node)?;
        let passed: Vec<Arg<'t>> = args
            .iter()
            .filter_map(|a| match a.key {
                ArgKey::Pos(p) if p > 0 => {
                    let mut a = a.clone();
                    a.key = ArgKey::Pos(p - 1);
                    Some(a)
                }
                _ => None,
            })
            .collect();
        Some(self.apply_summary(call, def, offset, &passed))
    }

    /// `handlers[kind](x)` with `handlers = {"a": f, "b": g}` a dict display of the file
    /// whose every value is a function of the file: each may be the one called.
    fn through_dispatch(
        &mut self,
        call: Node<'t>,
        f: Node<'t>,
        args: &[Arg<'t>],
    ) -> Option<Option<Taint>> {
        let model = self.cx.model;
        let table = f
            .field(&fields::VALUE)
            .filter(|v| v.kind() == "identifier")?;
        let (bindings, _) = model.lookup(model.text(table), self.scope, table.start_byte())?;
        let dict = bindings.iter().find_map(|b| match b.kind {
            BindingKind::Assign(v) if v.kind() == "dictionary" => Some(v),
            _ => None,
        })?;
        let mut targets = Vec::new();
        for pair in named(dict) {
            if pair.kind() == "comment" {
                continue;
            }
            let value = (pair.kind() == "pair")
                .then(|| pair.field(&fields::VALUE))
                .flatten()?;
            targets.push(self.local_callee(value)?);
            if targets.len() > MAX_DISPATCH_ENTRIES {
                return None;
            }
        }
        let mut result = None;
        for (def, offset) in targets {
            let t = self.apply_summary(call, def, offset, args);
            result = super::trace::either(result, t);
        }
        Some(result)
    }
}
