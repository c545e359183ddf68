//! Self-produced data: a deserializer applied to bytes that the matching serializer made
//! earlier in the same function cannot carry an attacker's payload.
//!
//! Three shapes are recognised, for a deserializer `M.loads` / `M.load` / `M.decode`:
//! - a nested round trip: `pickle.loads(pickle.dumps(x))`;
//! - a name bound (only) to the serializer's result: `b = pickle.dumps(x)` ... `pickle.loads(b)`;
//! - an in-memory buffer (`io.BytesIO()`) that `M.dump` / `M.save` wrote into earlier in the
//!   same scope: `pickle.dump(x, buf)` ... `pickle.load(buf)` (or `buf.getvalue()`);
//! - a file path the function itself wrote to just before, with the path name not rebound in
//!   between and the write in a block that encloses the read (so it ran first):
//!   `joblib.dump(x, path)` ... `joblib.load(path)`, `df.to_pickle(path)` ...
//!   `pandas.read_pickle(path)`, `torch.save(x, path)` ... `torch.load(path)`.
//!
//! The serializer is named after the deserializer (`loads` → `dumps`, `load` → `dump` or
//! `save`, `decode` → `encode`) in the same module, or in any module of the pickle family,
//! whose formats are one (`pickle.loads(cloudpickle.dumps(f))` is a common test idiom).

use super::conditions::{ArgState, find_arg};
use crate::fields::KindExt as _;
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
    if written_here(model, call, scope, module, func) {
        return true;
    }
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
    let buffer = match arg.kind_name() {
        "identifier" => Some(arg),
        "call" => arg
            .field(&fields::FUNCTION)
            .filter(|f| f.kind_name() == "attribute")
            .filter(|f| {
                f.field(&fields::ATTRIBUTE)
                    .is_some_and(|a| matches!(model.text(a), "getvalue" | "getbuffer"))
            })
            .and_then(|f| f.field(&fields::OBJECT))
            .filter(|o| o.kind_name() == "identifier"),
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
                    ArgState::Given(a) if a.kind_name() == "identifier" && model.text(a) == name
                )
            })
    })
}

/// A writer of a file path: a qualified function, or a method of any receiver (`None`), and
/// where its path argument goes.
struct PathWriter {
    function: Option<&'static str>,
    method: Option<&'static str>,
    position: usize,
    keyword: &'static str,
}

/// The writers whose file the deserializer `module.func` reads back.
fn path_writers(module: &str, func: &str) -> &'static [PathWriter] {
    const JOBLIB: &[PathWriter] = &[PathWriter {
        function: Some("joblib.dump"),
        method: None,
        position: 1,
        keyword: "filename",
    }];
    const TORCH: &[PathWriter] = &[PathWriter {
        function: Some("torch.save"),
        method: None,
        position: 1,
        keyword: "f",
    }];
    const PANDAS: &[PathWriter] = &[
        PathWriter {
            function: Some("pandas.to_pickle"),
            method: None,
            position: 1,
            keyword: "filepath_or_buffer",
        },
        // `df.to_pickle(path)`: only pandas objects have the method under that name.
        PathWriter {
            function: None,
            method: Some("to_pickle"),
            position: 0,
            keyword: "path",
        },
    ];
    match (module, func) {
        ("joblib" | "sklearn.externals.joblib", "load") => JOBLIB,
        ("torch", "load") => TORCH,
        ("pandas" | "pandas.io.pickle", "read_pickle") => PANDAS,
        _ => &[],
    }
}

/// Whether the path `call` reads (its first argument, a plain name) is one this function
/// wrote with a matching writer: earlier, in a block that encloses `call`, with no binding of
/// the name in between.
fn written_here<'t>(
    model: &Model<'t>,
    call: Node<'t>,
    scope: ScopeId,
    module: &str,
    func: &str,
) -> bool {
    let writers = path_writers(module, func);
    if writers.is_empty() {
        return false;
    }
    let ArgState::Given(arg) = find_arg(call, model.source, None, Some(0)) else {
        return false;
    };
    if arg.kind_name() != "identifier" {
        return false;
    }
    let name = model.text(arg);
    let bindings = model.scopes[scope].bindings.get(name);
    model.calls.iter().any(|site| {
        let w = site.node;
        site.scope == scope
            && w.end_byte() <= call.start_byte()
            && encloses_after(w, call)
            && !bindings.is_some_and(|bs| {
                bs.iter()
                    .any(|b| b.pos >= w.end_byte() && b.pos <= call.start_byte())
            })
            && writers.iter().any(|pw| {
                writes_with(model, site.scope, w, pw)
                    && matches!(
                        find_arg(w, model.source, Some(pw.keyword), Some(pw.position)),
                        ArgState::Given(a) if a.kind_name() == "identifier" && model.text(a) == name
                    )
            })
    })
}

/// Whether the call `w` is the writer `pw`.
fn writes_with<'t>(model: &Model<'t>, scope: ScopeId, w: Node<'t>, pw: &PathWriter) -> bool {
    let Some(f) = w.field(&fields::FUNCTION) else {
        return false;
    };
    if let Some(m) = pw.method {
        return f.kind_name() == "attribute"
            && f.field(&fields::ATTRIBUTE)
                .is_some_and(|a| model.text(a) == m);
    }
    pw.function
        .is_some_and(|q| model.qualified_names(f, scope).iter().any(|n| n == q))
}

/// Whether the statement holding `writer` sits in a block that also holds `reader`, so the
/// write ran before any read that follows it there (a write inside an `if` or a loop body
/// the read is outside of does not count).
fn encloses_after(writer: Node, reader: Node) -> bool {
    let mut stmt = writer;
    while let Some(p) = stmt.parent() {
        if matches!(p.kind_name(), "block" | "module") {
            return p.start_byte() <= reader.start_byte() && reader.end_byte() <= p.end_byte();
        }
        stmt = p;
    }
    false
}
