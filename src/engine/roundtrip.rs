//! Self-produced data: a deserializer applied to bytes that the matching serializer made
//! earlier in the same function cannot carry an attacker's payload.
//!
//! Three shapes are recognised, for a deserializer `M.loads` / `M.load` / `M.decode`:
//! - a nested round trip: `pickle.loads(pickle.dumps(x))`;
//! - a name bound (only) to the serializer's result: `b = pickle.dumps(x)` ... `pickle.loads(b)`;
//! - an in-memory buffer (`io.BytesIO()`) that `M.dump` / `M.save` wrote into earlier in the
//!   same scope: `pickle.dump(x, buf)` ... `pickle.load(buf)` (or `buf.getvalue()`);
//! - a file path (a name, or the same string literal) the function itself wrote to just
//!   before, with the path name not rebound in between and the write in a block that encloses the read (so it ran first):
//!   `joblib.dump(x, path)` ... `joblib.load(path)`, `df.to_pickle(path)` ...
//!   `pandas.read_pickle(path)`, `torch.save(x, path)` ... `torch.load(path)`.
//!
//! - a call of a function defined in the file that returns an empty `io.BytesIO()` it
//!   filled with a pickler (`p = pickle.Pickler(f); p.dump(obj); f.seek(0); return f`, the
//!   way scikit-learn's tests make pickles with custom reducers);
//! - in a pytest test, a file in a location the test owns (see [`super::test_locations`]).
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
    if written_here(model, call, scope, module, func) {
        return true;
    }
    if let ArgState::Given(arg) = find_arg(call, model.source, None, Some(0))
        && (super::test_locations::test_owned(model, arg, scope)
            || super::test_locations::mocked_url(model, call, arg, scope)
            || returns_own_pickle(model, arg, scope))
    {
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
    // A plain name, or the same string literal (`df.to_pickle("memory://f")` ...
    // `read_pickle("memory://f")`), which no binding can change.
    let literal = match arg.kind_name() {
        "identifier" => false,
        "string" if crate::semantic::literal(arg, model.source).is_some() => true,
        _ => return false,
    };
    let name = model.text(arg);
    let bindings = model.scopes[scope].bindings.get(name).filter(|_| !literal);
    model.calls.iter().any(|site| {
        let w = site.node;
        site.scope == scope
            && w.end_byte() <= call.start_byte()
            && encloses_after(w, call)
            && !bindings.is_some_and(|bs| {
                bs.iter()
                    .any(|b| b.pos >= w.end_byte() && b.pos <= call.start_byte())
            }) && writers.iter().any(|pw| {
            writes_with(model, site.scope, w, pw)
                && matches!(
                    find_arg(w, model.source, Some(pw.keyword), Some(pw.position)),
                    ArgState::Given(a) if a.kind_name() == arg.kind_name() && model.text(a) == name
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
    writer.end_byte() <= reader.start_byte() && same_block_before(writer, reader.start_byte())
}

/// Whether the statement holding `node` sits in a block that also holds byte `pos`, at or
/// after `node`.
pub(super) fn same_block_before(node: Node, pos: usize) -> bool {
    if node.end_byte() > pos {
        return false;
    }
    let mut stmt = node;
    while let Some(p) = stmt.parent() {
        if matches!(p.kind_name(), "block" | "module") {
            return p.start_byte() <= pos && pos <= p.end_byte();
        }
        stmt = p;
    }
    false
}

/// Calls that write pickles into the file object they are given: the pickle family's
/// `dump` functions, joblib's and torch's savers.
const PICKLE_WRITERS: &[&str] = &[
    "pickle.dump",
    "_pickle.dump",
    "cPickle.dump",
    "dill.dump",
    "cloudpickle.dump",
    "joblib.dump",
    "torch.save",
];

/// Whether the pickler-ish value `v` is a pickler class (`pickle.Pickler`, joblib's
/// `NumpyPickler`, or a class of the file deriving from one) or a pickle writer.
fn pickles_into(model: &Model, v: &Value) -> bool {
    model
        .is_a(v)
        .iter()
        .any(|n| n.ends_with("Pickler") || PICKLE_WRITERS.contains(&n.as_str()))
}

/// Whether `arg` is a call of a function defined in this file whose every `return` gives
/// back an `io.BytesIO()` that the function created empty and only handed to picklers (and
/// rewound): the bytes in it are pickles the program made itself.
fn returns_own_pickle<'t>(model: &Model<'t>, arg: Node<'t>, scope: ScopeId) -> bool {
    if arg.kind_name() != "call" {
        return false;
    }
    let Some(callee) = arg
        .field(&fields::FUNCTION)
        .filter(|f| f.kind_name() == "identifier")
    else {
        return false;
    };
    let Some((bindings, _)) = model.lookup(model.text(callee), scope, arg.start_byte()) else {
        return false;
    };
    let [binding] = bindings.as_slice() else {
        return false;
    };
    let crate::semantic::BindingKind::Def(def) = binding.kind else {
        return false;
    };
    let Some(inner) = model.scopes.iter().position(|s| s.node == def) else {
        return false;
    };
    let Some(body) = def.field(&fields::BODY) else {
        return false;
    };
    // The returned names, each bound once in the function, to an empty buffer.
    let mut returned: Vec<&str> = Vec::new();
    let mut stack = vec![body];
    let mut seen = 0usize;
    while let Some(n) = stack.pop() {
        seen += 1;
        if seen > 20_000 {
            return false;
        }
        match n.kind_name() {
            // A nested function's returns are its own.
            "function_definition" | "lambda" | "class_definition" => continue,
            "return_statement" => match n.named_child(0) {
                Some(v) if v.kind_name() == "identifier" => returned.push(model.text(v)),
                _ => return false,
            },
            _ => {}
        }
        let mut cursor = n.walk();
        stack.extend(n.named_children(&mut cursor));
    }
    if returned.is_empty() {
        return false;
    }
    returned.sort_unstable();
    returned.dedup();
    returned.iter().all(|name| {
        let empty_buffer = model.scopes[inner].bindings.get(name).is_some_and(|bs| {
            matches!(bs, [b] if matches!(b.kind,
            crate::semantic::BindingKind::Assign(v)
                if v.kind_name() == "call"
                    && v.field(&fields::ARGUMENTS).is_some_and(|a| a.named_child_count() == 0)
                    && model.resolve(v, inner).iter().all(
                        |r| matches!(r, Value::Name(n) if n == "io.BytesIO()")
                    )))
        });
        empty_buffer && only_pickled_into(model, body, inner, name)
    })
}

/// Whether every use of `name` in `body` is its binding, an argument of a pickler or pickle
/// writer, a `seek`/`flush`, or a `return`.
fn only_pickled_into<'t>(model: &Model<'t>, body: Node<'t>, scope: ScopeId, name: &str) -> bool {
    let mut stack = vec![body];
    while let Some(n) = stack.pop() {
        if n.kind_name() == "identifier" && model.text(n) == name {
            let Some(parent) = n.parent() else {
                return false;
            };
            let ok = match parent.kind_name() {
                "return_statement" => true,
                "assignment" => parent.field(&fields::LEFT) == Some(n),
                "attribute" => {
                    parent.field(&fields::OBJECT) == Some(n)
                        && parent
                            .field(&fields::ATTRIBUTE)
                            .is_some_and(|a| matches!(model.text(a), "seek" | "flush"))
                }
                "argument_list" => parent
                    .parent()
                    .and_then(|c| c.field(&fields::FUNCTION))
                    .is_some_and(|f| {
                        let values = model.resolve(f, scope);
                        !values.is_empty() && values.iter().all(|v| pickles_into(model, v))
                    }),
                _ => false,
            };
            if !ok {
                return false;
            }
        }
        let mut cursor = n.walk();
        stack.extend(n.named_children(&mut cursor));
    }
    true
}
