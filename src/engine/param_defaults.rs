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
/// argument that is a parameter with a default of a module-level or nested function (not a
/// method: how its callers name it is not followed here).
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
        let outer = model.scopes[home].parent?;
        if model.scopes[outer].kind == ScopeKind::Class {
            return None;
        }
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
        if function.kind_name() != "identifier" {
            continue;
        }
        let Some((bindings, _)) =
            model.lookup(model.text(function), site.scope, site.node.start_byte())
        else {
            continue;
        };
        for d in deferred {
            if !bindings
                .iter()
                .any(|b| matches!(b.kind, BindingKind::Def(n) if n.id() == d.def.id()))
            {
                continue;
            }
            let (name, position) = (d.param.name, d.param.position);
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
