//! Conditions that validate data: `re.fullmatch(p, x)`, `x.isdigit()`, `x in ALLOWED`,
//! `x == "literal"`. A branch taken only when the check passed sees `x` as clean; with
//! `if not valid: return` the code after the `if` is that branch.

use super::flow::{Frame, named};
use super::names::{callee_names, dotted};
use super::pass::Pass;
use super::trace::Groups;
use super::validators::is_validator;
use crate::fields::{self, FieldExt};
use crate::semantic::literal;
use tree_sitter::Node;

/// State keys with the groups for which a condition proves them clean.
pub type Keys = Vec<(String, Groups)>;

/// Boolean operators nest; deeper conditions validate nothing.
const MAX_GUARD_DEPTH: usize = 16;

impl<'t> Frame<'_, '_, 't> {
    /// The variables (state keys) a condition proves clean when it is true, and when false,
    /// each with the groups whose models say so.
    pub fn guard(&self, cond: Node<'t>) -> (Keys, Keys) {
        self.guard_at(cond, 0)
    }

    fn guard_at(&self, cond: Node<'t>, depth: usize) -> (Keys, Keys) {
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
                let all = self.cx.active;
                let mut out = Vec::new();
                // Per group, a guard method decides first; the other groups look further.
                let mut done: Groups = 0;
                if f.kind_name() == "attribute"
                    && let Some(m) = f.field(&fields::ATTRIBUTE)
                    && let Some(&g) = pass.guard_methods.get(model.text(m))
                    && g & all != 0
                    && let Some(key) = f.field(&fields::OBJECT).and_then(|o| dotted(model, o))
                {
                    out.push((key, g & all));
                    done = g & all;
                    if done == all {
                        return (out, Vec::new());
                    }
                }
                let names = callee_names(model, f, self.scope);
                let mut g = Pass::named(&pass.guards, &names) & all & !done;
                if g | done != all && self.calls_validator(f) {
                    g = all & !done;
                }
                if g != 0 {
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
                        .map(|k| (k, g));
                    out.extend(keys);
                }
                (out, Vec::new())
            }
            "comparison_operator" => self.comparison_guard(cond),
            // A falsy value is empty (`""`, `None`, `[]`): it carries no payload, so
            // `if not next_url or not is_safe(next_url): next_url = "/"` leaves it clean.
            "identifier" | "attribute" => match dotted(model, cond) {
                Some(key) => (Vec::new(), vec![(key, self.cx.active)]),
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
    fn comparison_guard(&self, cond: Node<'t>) -> (Keys, Keys) {
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
        let all = self.cx.active;
        let allowed = match ops[0] {
            "in" | "not in" => self.is_clean_collection(right),
            "==" | "!=" if literal(right, model.source).is_some() => all,
            _ => 0,
        };
        if allowed == 0 {
            return (Vec::new(), Vec::new());
        }
        match ops[0] {
            "in" | "==" => (vec![(key, allowed)], Vec::new()),
            _ => (Vec::new(), vec![(key, allowed)]),
        }
    }

    /// The groups for which `e` is a collection the attacker cannot extend: a display of
    /// literals, or a name that holds no tainted data (for that group).
    fn is_clean_collection(&self, e: Node<'t>) -> Groups {
        let model = self.cx.model;
        let all = self.cx.active;
        let when = |b: bool| if b { all } else { 0 };
        match e.kind_name() {
            "list" | "tuple" | "set" => {
                when(named(e).iter().all(|x| literal(*x, model.source).is_some()))
            }
            "dictionary" => when(named(e).iter().all(|p| {
                p.field(&fields::KEY)
                    .is_some_and(|k| literal(k, model.source).is_some())
            })),
            "identifier" | "attribute" => {
                let Some(k) = dotted(model, e) else {
                    return 0;
                };
                let Some(s) = self.state.as_ref() else {
                    return all;
                };
                let held = |key: &str| s.get(key).map_or(0, |v| v.groups());
                let root = self.chain(e).map_or(0, |(root, _)| held(root));
                all & !held(&k) & !root
            }
            _ => 0,
        }
    }
}

/// The keys in both lists, for the groups both say so (a condition that fails on either
/// of two ways proves only these).
fn both(a: Keys, b: &[(String, Groups)]) -> Keys {
    a.into_iter()
        .filter_map(|(k, g)| {
            let theirs = (b.iter())
                .filter(|(n, _)| *n == k)
                .fold(0, |m, (_, h)| m | h);
            (g & theirs != 0).then_some((k, g & theirs))
        })
        .collect()
}
