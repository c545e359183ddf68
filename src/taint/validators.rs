//! Project validators: a function of the scanned project that answers whether a value is
//! acceptable (`is_safe_redirect_url(url)`, `is_relative_to(path, root)`). Called in a
//! condition, it is a guard like a modelled one: `if not is_safe_url(u): abort(400)`.
//!
//! A function counts only when its name says it validates and every `return` gives a
//! truth value that depends on something: a function returning `True` on every path checks
//! nothing and stays a plain call.

use super::flow::named;
use crate::fields::{self, FieldExt};
use crate::rules::taint::ValidatorNames;
use crate::semantic::Model;
use tree_sitter::Node;

/// Nodes looked at in one function body before giving up (a validator is short).
const MAX_NODES: usize = 2_000;

/// Whether the `function_definition` `def` is a validator (see the module docs).
/// `names` say how validators are named (the taint models' `validator_*` fields).
pub fn is_validator(model: &Model, def: Node, names: &ValidatorNames) -> bool {
    let Some(name) = def.field(&fields::NAME).map(|n| model.text(n)) else {
        return false;
    };
    if !names.matches(name) {
        return false;
    }
    let Some(body) = def.field(&fields::BODY) else {
        return false;
    };
    let mut returns = 0;
    let mut decides = false;
    let mut stack = vec![body];
    let mut seen = 0;
    while let Some(n) = stack.pop() {
        seen += 1;
        if seen > MAX_NODES {
            return false;
        }
        match n.kind_name() {
            // A nested function's returns are its own.
            "function_definition" | "lambda" | "class_definition" => continue,
            "return_statement" => {
                returns += 1;
                match n.named_child(0) {
                    Some(v) if v.kind_name() == "false" => decides = true,
                    Some(v) if v.kind_name() == "true" => {}
                    Some(v) if is_truth_value(model, v) => decides = true,
                    _ => return false,
                }
                continue;
            }
            _ => {}
        }
        stack.extend(named(n));
    }
    returns > 0 && decides
}

/// An expression whose value is a truth value: a comparison, `and`/`or`/`not` of them, or
/// a call of a predicate (`x.startswith(...)`, `bool(...)`, `is_...(...)`).
fn is_truth_value(model: &Model, e: Node) -> bool {
    match e.kind_name() {
        "comparison_operator" | "not_operator" => true,
        "parenthesized_expression" => e.named_child(0).is_some_and(|x| is_truth_value(model, x)),
        "boolean_operator" => named(e).iter().all(|x| is_truth_value(model, *x)),
        "call" => {
            let name = e
                .field(&fields::FUNCTION)
                .and_then(|f| match f.kind_name() {
                    "attribute" => f.field(&fields::ATTRIBUTE),
                    "identifier" => Some(f),
                    _ => None,
                });
            name.map(|n| model.text(n)).is_some_and(|n| {
                n == "bool"
                    || n == "isinstance"
                    || n.starts_with("is")
                    || n.starts_with("has")
                    || n.starts_with("startswith")
                    || n.starts_with("endswith")
                    || n == "match"
                    || n == "fullmatch"
            })
        }
        _ => false,
    }
}
