//! Methods of the file's own classes called on something other than `self`: through the
//! class (`Dao.find(x)`, a static or class method, or a plain one given its object
//! explicitly), on a new object (`Runner().run(x)`), on a name holding one (`r = Runner()`
//! … `r.run(x)`, also a module-level singleton), and the constructor itself (`Job(x)`
//! runs `Job.__init__`). Methods inherited from the file's other classes count.

use super::FileCtx;
use super::names::def_in;
use crate::fields::{self, FieldExt};
use crate::semantic::{BindingKind, ScopeId};
use tree_sitter::Node;

/// The method `attr` that `obj.attr(...)` calls, evaluated in `scope`, when `obj` is a
/// class of the file or an object built by calling one, with the number of implicit
/// leading arguments (`self` or `cls`) the call passes.
pub(super) fn class_method<'t>(
    cx: &FileCtx<'_, 't>,
    scope: ScopeId,
    obj: Node<'t>,
    attr: &str,
) -> Option<(Node<'t>, usize)> {
    let model = cx.model;
    let (class, through_class) = match obj.kind_name() {
        "identifier" => {
            let (bindings, home) = model.lookup(model.text(obj), scope, obj.start_byte())?;
            let class = bindings.iter().find_map(|b| match b.kind {
                BindingKind::Class(c) => Some(c),
                _ => None,
            });
            match class {
                Some(c) => (c, true),
                None => {
                    let ctor = bindings.iter().find_map(|b| match b.kind {
                        BindingKind::Assign(v) if v.kind_name() == "call" => Some(v),
                        _ => None,
                    })?;
                    (constructed(cx, home, ctor)?, false)
                }
            }
        }
        "call" => (constructed(cx, scope, obj)?, false),
        _ => return None,
    };
    let class_scope = cx.scope_of(class)?;
    let def = def_in(model, class_scope, attr)
        .or_else(|| super::expr::base_def(cx, class_scope, attr))?;
    let implicit = match decorated_as(cx, def) {
        Some("staticmethod") => 0,
        Some(_) => 1,
        None => usize::from(!through_class),
    };
    Some((def, implicit))
}

/// `C(...)` with `C` a class of the file: the `__init__` it runs (its own or inherited
/// from another class of the file), which receives the new object first.
pub(super) fn constructor<'t>(
    cx: &FileCtx<'_, 't>,
    scope: ScopeId,
    call: Node<'t>,
) -> Option<(Node<'t>, usize)> {
    let class = constructed(cx, scope, call)?;
    let class_scope = cx.scope_of(class)?;
    let init = def_in(cx.model, class_scope, "__init__")
        .or_else(|| super::expr::base_def(cx, class_scope, "__init__"))?;
    Some((init, 1))
}

/// The class of the file that the call `ctor` (`C(...)`) instantiates.
fn constructed<'t>(cx: &FileCtx<'_, 't>, scope: ScopeId, ctor: Node<'t>) -> Option<Node<'t>> {
    let model = cx.model;
    let f = ctor.field(&fields::FUNCTION)?;
    if f.kind_name() != "identifier" {
        return None;
    }
    let (bindings, _) = model.lookup(model.text(f), scope, f.start_byte())?;
    bindings.iter().find_map(|b| match b.kind {
        BindingKind::Class(c) => Some(c),
        _ => None,
    })
}

/// `Some("staticmethod")` or `Some("classmethod")` when `def` is decorated so (the
/// decorator's text names it), else `None`.
pub(super) fn decorated_as<'t>(cx: &FileCtx<'_, 't>, def: Node<'t>) -> Option<&'static str> {
    let model = cx.model;
    let parent = def
        .parent()
        .filter(|p| p.kind_name() == "decorated_definition")?;
    let mut cursor = parent.walk();
    let decorators: Vec<&str> = parent
        .named_children(&mut cursor)
        .filter(|d| d.kind_name() == "decorator")
        .map(|d| model.text(d))
        .collect();
    ["staticmethod", "classmethod"]
        .into_iter()
        .find(|k| decorators.iter().any(|d| d.contains(k)))
}
