//! Self-produced data: a deserializer applied to bytes that the matching serializer made
//! earlier in the same function cannot carry an attacker's payload.
//!
//! Three shapes are recognised, for a deserializer `M.loads` / `M.load` / `M.decode`:
//! - a nested round trip: `pickle.loads(pickle.dumps(x))`;
//! - a name bound (only) to the serializer's result: `b = pickle.dumps(x)` ... `pickle.loads(b)`;
//! - an in-memory buffer (`io.BytesIO()`) that `M.dump` / `M.save` wrote into earlier in the
//!   same scope: `pickle.dump(x, buf)` ... `pickle.load(buf)` (or `buf.getvalue()`).
//!
//! The serializer is named after the deserializer (`loads` → `dumps`, `load` → `dump` or
//! `save`, `decode` → `encode`) in the same module, or in any module of the pickle family,
//! whose formats are one (`pickle.loads(cloudpickle.dumps(f))` is a common test idiom).

use super::conditions::{ArgState, find_arg};
use crate::fields::{self, FieldExt};
use crate::semantic::{Model, ScopeId, Value};
use tree_sitter::Node;

/// Modules that write and read the same pickle format.
const PICKLE_FAMILY: &[&str] = &["pickle", "cPickle", "_pickle", "dill", "cloudpickle"];

/// In-memory buffers a serializer can fill and a deserializer read back.
const BUFFERS: &[&str] = &["io.BytesIO()", "io.StringIO()"];

/// Whether the call of deserializer `callee` (a qualified name) reads data produced by the
/// matching serializer in the same function, so it cannot be an attacker's payload.
pub fn self_produced<'t>(model: &Model<'t>, call: Node<'t>, scope: ScopeId, callee: &str) -> bool {
    let Some((module, func)) = callee.rsplit_once('.') else {
        return false;
    };
    let (results, writers): (&[&str], &[&str]) = match func {
        "loads" => (&["dumps"], &["dump"]),
        "load" => (&[], &["dump", "save"]),
        "decode" => (&["encode"], &[]),
        _ => return false,
    };
    let family: Vec<&str> = if PICKLE_FAMILY.contains(&module) {
        PICKLE_FAMILY.to_vec()
    } else {
        vec![module]
    };
    let ArgState::Given(arg) = find_arg(call, model.source, None, Some(0)) else {
        return false;
    };
    // `pickle.dumps(x).replace(a, b)` (patching the bytes made here) is still self-made.
    let made_by = |value: &Value, names: &[&str]| match value {
        Value::Name(n) => {
            let mut n = n.as_str();
            while let Some(rest) = n.strip_suffix(".replace()") {
                n = rest;
            }
            family
                .iter()
                .any(|m| names.iter().any(|s| n == format!("{m}.{s}()")))
        }
        _ => false,
    };
    let values = model.resolve(arg, scope);
    if !results.is_empty() && values.iter().all(|v| made_by(v, results)) {
        return true;
    }
    // `M.load(buf)` or `M.loads(buf.getvalue())` after `M.dump(x, buf)`.
    let buffer = match arg.kind() {
        "identifier" => Some(arg),
        "call" => arg
            .field(&fields::FUNCTION)
            .filter(|f| f.kind() == "attribute")
            .filter(|f| {
                f.field(&fields::ATTRIBUTE)
                    .is_some_and(|a| matches!(model.text(a), "getvalue" | "getbuffer"))
            })
            .and_then(|f| f.field(&fields::OBJECT))
            .filter(|o| o.kind() == "identifier"),
        _ => None,
    };
    let Some(buffer) = buffer else {
        return false;
    };
    let is_buffer = model
        .resolve(buffer, scope)
        .iter()
        .all(|v| matches!(v, Value::Name(n) if BUFFERS.contains(&n.as_str())));
    if !is_buffer {
        return false;
    }
    let name = model.text(buffer);
    model.calls.iter().any(|site| {
        site.scope == scope
            && site.node.end_byte() <= call.start_byte()
            && site.node.field(&fields::FUNCTION).is_some_and(|f| {
                model.qualified_names(f, site.scope).iter().any(|q| {
                    family
                        .iter()
                        .any(|m| writers.iter().any(|w| *q == format!("{m}.{w}")))
                })
            })
            && ["file", "f"].iter().any(|kw| {
                matches!(
                    find_arg(site.node, model.source, Some(kw), Some(1)),
                    ArgState::Given(a) if a.kind() == "identifier" && model.text(a) == name
                )
            })
    })
}
