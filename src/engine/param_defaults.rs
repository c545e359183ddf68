//! Call-rule conditions on a parameter with a default: `def parse(text,
//! loader=yaml.SafeLoader): return yaml.load(text, Loader=loader)` is safe as written (the
//! condition sees the default, see `conditions::param_default`), but a call
//! `parse(text, loader=yaml.Loader)` in the same module makes it unsafe. Such a call is
//! reported where it passes the value, with the path to the dangerous call.

use super::conditions::{self, ArgState, DefaultParam, find_arg, param_with_default};
use crate::fields::{self, FieldExt};
use crate::finding::FlowStep;
use crate::rules::Condition;
use crate::semantic::{BindingKind, Model, ScopeId, ScopeKind};
use crate::source::SourceText;
use std::path::Path;
use tree_sitter::Node;

/// A pattern whose conditions did not hold at a call because an argument is a parameter
/// with a default: the callers of that function decide.
#[derive(Debug)]
pub(super) struct Deferred<'t> {
    /// The dangerous call (`yaml.load(...)`) and the scope it is in.
    pub call: Node<'t>,
    pub scope: ScopeId,
    pub rule: usize,
    pub pattern: usize,
    /// How the callee of `call` was named (for `{call}` in the message).
    pub shown: String,
    /// The function whose parameter it is, the parameter's name and position.
    def: Node<'t>,
    param: DefaultParam<'t>,
}

/// The deferral of pattern `(rule, pattern)` at `call`, when one of its conditions is on an
/// argument that is a parameter with a default of a function or method of the module (its
/// callers in the module are found by [`report`]).
pub(super) fn defer<'t>(
    model: &Model<'t>,
    call: Node<'t>,
    scope: ScopeId,
    (rule, pattern): (usize, usize),
    conditions: &[Condition],
    shown: &str,
) -> Option<Deferred<'t>> {
    conditions.iter().find_map(|c| {
        let ArgState::Given(arg) = find_arg(call, model.source, c.arg.as_deref(), c.position)
        else {
            return None;
        };
        let param = param_with_default(model, arg, scope)?;
        let home = param.function;
        Some(Deferred {
            call,
            scope,
            rule,
            pattern,
            shown: shown.to_string(),
            def: model.scopes[home].node,
            param,
        })
    })
}

/// A call of a deferred pattern's function that passes a value making the pattern's
/// conditions hold: the call, the deferral, and the path from the call to the dangerous one.
pub(super) struct Reported<'a, 't> {
    pub at: Node<'t>,
    pub deferred: &'a Deferred<'t>,
    pub flow: Vec<FlowStep>,
    pub note: String,
}

/// The calls in the module that pass their deferred patterns an argument for which every
/// condition holds; `conditions_of` gives a pattern's conditions.
pub(super) fn report<'a, 't>(
    model: &Model<'t>,
    path: &Path,
    source: &SourceText,
    deferred: &'a [Deferred<'t>],
    conditions_of: impl Fn(usize, usize) -> &'a [Condition],
) -> Vec<Reported<'a, 't>> {
    let mut out = Vec::new();
    if deferred.is_empty() {
        return out;
    }
    for site in &model.calls {
        let Some(function) = site.node.field(&fields::FUNCTION) else {
            continue;
        };
        let Some(callees) = callees(model, function, site.scope, site.node.start_byte()) else {
            continue;
        };
        for d in deferred {
            let Some(&(_, implicit)) = callees.iter().find(|(n, _)| n.id() == d.def.id()) else {
                continue;
            };
            // The call spells the parameters after the implicit `self`/`cls`.
            let position = match d.param.position {
                Some(p) if p < implicit => continue,
                p => p.map(|p| p - implicit),
            };
            let name = d.param.name;
            let ArgState::Given(value) = find_arg(site.node, model.source, Some(name), position)
            else {
                continue;
            };
            let holds = conditions_of(d.rule, d.pattern).iter().all(|c| {
                let on_param = matches!(
                    find_arg(d.call, model.source, c.arg.as_deref(), c.position),
                    ArgState::Given(a) if param_with_default(model, a, d.scope)
                        .is_some_and(|p| p == d.param)
                );
                if on_param {
                    conditions::value_holds(model, ArgState::Given(value), site.scope, c)
                } else {
                    conditions::holds(model, d.call, d.scope, c)
                }
            });
            if !holds {
                continue;
            }
            let fname = d
                .def
                .field(&fields::NAME)
                .map_or("the function", |n| model.text(n));
            let line = d.call.start_position().row + 1;
            let step = |node: Node, note: String| FlowStep {
                path: path.to_path_buf(),
                start: source.position(node.start_byte()),
                end: source.position(node.end_byte()),
                note,
            };
            out.push(Reported {
                at: site.node,
                deferred: d,
                flow: vec![
                    step(
                        value,
                        format!(
                            "`{}` passed as `{name}` to `{fname}()`",
                            short(model.text(value))
                        ),
                    ),
                    step(d.call, format!("`{name}` used by `{}` here", d.shown)),
                ],
                note: format!(
                    " (This call passes `{}` as `{name}` to `{fname}()`, whose `{}` call at \
                     line {line} uses it; the parameter's default is safe.)",
                    short(model.text(value)),
                    d.shown
                ),
            });
        }
    }
    out
}

/// `text` on one line and at most 60 characters, for a message.
fn short(text: &str) -> String {
    let line = text.lines().next().unwrap_or("");
    match line.char_indices().nth(60) {
        Some((end, _)) => format!("{}…", &line[..end]),
        None if line.len() < text.len() => format!("{line}…"),
        None => line.to_string(),
    }
}

/// The functions of the module a call of `function` (at `pos` in `scope`) may run, each with
/// the implicit leading arguments it passes: a module-level or nested `def` by name, a
/// method through `self`/`cls` of the enclosing class, and a method of a class of the
/// module through the class or an object of it (see `taint::methods`).
fn callees<'t>(
    model: &Model<'t>,
    function: Node<'t>,
    scope: ScopeId,
    pos: usize,
) -> Option<Vec<(Node<'t>, usize)>> {
    match function.kind_name() {
        "identifier" => {
            let (bindings, _) = model.lookup(model.text(function), scope, pos)?;
            Some(
                bindings
                    .iter()
                    .filter_map(|b| match b.kind {
                        BindingKind::Def(n) => Some((n, 0)),
                        _ => None,
                    })
                    .collect(),
            )
        }
        "attribute" => {
            let obj = function.field(&fields::OBJECT)?;
            let attr = model.text(function.field(&fields::ATTRIBUTE)?);
            if matches!(model.text(obj), "self" | "cls") {
                let class = enclosing_class(model, scope)?;
                let def = crate::taint::names::def_in(model, class, attr)?;
                let implicit = usize::from(
                    crate::taint::methods::decorated_as(model, def) != Some("staticmethod"),
                );
                return Some(vec![(def, implicit)]);
            }
            crate::taint::methods::class_method(model, scope, obj, attr).map(|c| vec![c])
        }
        _ => None,
    }
}

/// The class whose method body `scope` is in (directly, or in a function nested in it).
fn enclosing_class(model: &Model, mut scope: ScopeId) -> Option<ScopeId> {
    loop {
        let parent = model.scopes[scope].parent?;
        if model.scopes[parent].kind == ScopeKind::Class {
            return Some(parent);
        }
        scope = parent;
    }
}
