//! Conditions that validate data: `re.fullmatch(p, x)`, `x.isdigit()`, `x in ALLOWED`,
//! `x == "literal"`. A branch taken only when the check passed sees `x` as clean; with
//! `if not valid: return` the code after the `if` is that branch.

use super::flow::{Frame, named};
use super::names::{callee_names, dotted};
use super::validators::is_validator;
use crate::fields::{self, FieldExt};
use crate::semantic::literal;
use tree_sitter::Node;

/// Boolean operators nest; deeper conditions validate nothing.
const MAX_GUARD_DEPTH: usize = 16;

impl<'t> Frame<'_, '_, 't> {
    /// The variables (state keys) a condition proves clean when it is true, and when false.
    pub fn guard(&self, cond: Node<'t>) -> (Vec<String>, Vec<String>) {
        self.guard_at(cond, 0)
    }

    fn guard_at(&self, cond: Node<'t>, depth: usize) -> (Vec<String>, Vec<String>) {
        if depth > MAX_GUARD_DEPTH {
            return (Vec::new(), Vec::new());
        }
        let model = self.cx.model;
        match cond.kind_name() {
            "parenthesized_expression" => match cond.named_child(0) {
                Some(inner) => self.guard_at(inner, depth + 1),
                None => (Vec::new(), Vec::new()),
            },
            "not_operator" => match cond.field(&fields::ARGUMENT) {
                Some(arg) => {
                    let (t, f) = self.guard_at(arg, depth + 1);
                    (f, t)
                }
                None => (Vec::new(), Vec::new()),
            },
            "boolean_operator" => {
                let (Some(l), Some(r), Some(op)) = (
                    cond.field(&fields::LEFT),
                    cond.field(&fields::RIGHT),
                    cond.field(&fields::OPERATOR),
                ) else {
                    return (Vec::new(), Vec::new());
                };
                let (lt, lf) = self.guard_at(l, depth + 1);
                let (rt, rf) = self.guard_at(r, depth + 1);
                // `a and b` fails when either side fails, so only what both failures prove
                // holds; `or` mirrors it.
                if op.kind_name() == "and" {
                    ([lt, rt].concat(), both(lf, &rf))
                } else {
                    (both(lt, &rt), [lf, rf].concat())
                }
            }
            "call" => {
                let Some(f) = cond.field(&fields::FUNCTION) else {
                    return (Vec::new(), Vec::new());
                };
                let pass = self.cx.pass;
                if f.kind_name() == "attribute"
                    && let Some(m) = f.field(&fields::ATTRIBUTE)
                    && pass.guard_methods.contains(model.text(m))
                    && let Some(key) = f.field(&fields::OBJECT).and_then(|o| dotted(model, o))
                {
                    return (vec![key], Vec::new());
                }
                let names = callee_names(model, f, self.scope);
                if names.iter().any(|n| pass.guards.contains(n)) || self.calls_validator(f) {
                    let args = cond
                        .field(&fields::ARGUMENTS)
                        .map(named)
                        .unwrap_or_default();
                    // `url_has_allowed_host_and_scheme(url=x, ...)` checks `x` as surely
                    // as the positional spelling does.
                    let keys = args
                        .into_iter()
                        .map(|a| match a.kind_name() {
                            "keyword_argument" => a.field(&fields::VALUE).unwrap_or(a),
                            _ => a,
                        })
                        .filter_map(|a| dotted(model, a))
                        .collect();
                    return (keys, Vec::new());
                }
                (Vec::new(), Vec::new())
            }
            "comparison_operator" => self.comparison_guard(cond),
            // A falsy value is empty (`""`, `None`, `[]`): it carries no payload, so
            // `if not next_url or not is_safe(next_url): next_url = "/"` leaves it clean.
            "identifier" | "attribute" => match dotted(model, cond) {
                Some(key) => (Vec::new(), vec![key]),
                None => (Vec::new(), Vec::new()),
            },
            _ => (Vec::new(), Vec::new()),
        }
    }

    /// Whether `f` names a validator of the project: a function of this file, or one of
    /// another module whose summary says so.
    fn calls_validator(&self, f: Node<'t>) -> bool {
        let model = self.cx.model;
        if let Some((def, _)) = self.local_callee(f) {
            return def.kind_name() == "function_definition"
                && is_validator(model, def, &self.cx.pass.validators);
        }
        let cx = self.cx;
        let Some(view) = cx.project else {
            return false;
        };
        let Some((t, segs, instance)) = super::external::target(cx, self.scope, f) else {
            return false;
        };
        let segs: Vec<&str> = segs.iter().map(String::as_str).collect();
        view.callee(t, &segs, instance.is_some())
            .is_some_and(|c| c.func.validator)
    }

    /// `x in ALLOWED`, `x not in ALLOWED`, `x == "lit"`, `x != "lit"` with a clean right side.
    fn comparison_guard(&self, cond: Node<'t>) -> (Vec<String>, Vec<String>) {
        let model = self.cx.model;
        let operands = named(cond);
        let mut cursor = cond.walk();
        let ops: Vec<&str> = cond
            .children_by_field_name("operators", &mut cursor)
            .map(|o| o.kind_name())
            .collect();
        if operands.len() != 2 || ops.len() != 1 {
            return (Vec::new(), Vec::new());
        }
        let (left, right) = (operands[0], operands[1]);
        let Some(key) = dotted(model, left) else {
            return (Vec::new(), Vec::new());
        };
        let allowed = match ops[0] {
            "in" | "not in" => self.is_clean_collection(right),
            "==" | "!=" => literal(right, model.source).is_some(),
            _ => false,
        };
        if !allowed {
            return (Vec::new(), Vec::new());
        }
        match ops[0] {
            "in" | "==" => (vec![key], Vec::new()),
            _ => (Vec::new(), vec![key]),
        }
    }

    /// A collection the attacker cannot extend: a display of literals, or a name that holds
    /// no tainted data.
    fn is_clean_collection(&self, e: Node<'t>) -> bool {
        let model = self.cx.model;
        match e.kind_name() {
            "list" | "tuple" | "set" => {
                named(e).iter().all(|x| literal(*x, model.source).is_some())
            }
            "dictionary" => named(e).iter().all(|p| {
                p.field(&fields::KEY)
                    .is_some_and(|k| literal(k, model.source).is_some())
            }),
            "identifier" | "attribute" => dotted(model, e).is_some_and(|k| {
                self.state.as_ref().is_none_or(|s| !s.contains_key(&k))
                    && !self.chain(e).is_some_and(|(root, _)| {
                        self.state.as_ref().is_some_and(|s| s.contains_key(root))
                    })
            }),
            _ => false,
        }
    }
}

/// The keys in both lists (a condition that fails on either of two ways proves only these).
fn both(a: Vec<String>, b: &[String]) -> Vec<String> {
    a.into_iter().filter(|k| b.contains(k)).collect()
}
