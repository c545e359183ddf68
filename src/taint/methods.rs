//! Methods of the file's own classes called on something other than `self`: through the
//! class (`Dao.find(x)`, a static or class method, or a plain one given its object
//! explicitly), on a new object (`Runner().run(x)`), on a name holding one (`r = Runner()`
//! … `r.run(x)`, also a module-level singleton), and the constructor itself (`Job(x)`
//! runs `Job.__init__`). Methods inherited from the file's other classes count.

use super::names::def_in;
use crate::fields::{self, FieldExt};
use crate::semantic::{BindingKind, Model, ScopeId};
use tree_sitter::Node;

/// Classes of the file one base-class lookup visits at most.
const MAX_BASES_SEARCHED: usize = 256;

/// The method `attr` that `obj.attr(...)` calls, evaluated in `scope`, when `obj` is a
/// class of the file or an object built by calling one, with the number of implicit
/// leading arguments (`self` or `cls`) the call passes.
pub(crate) fn class_method<'t>(
    model: &Model<'t>,
    scope: ScopeId,
    obj: Node<'t>,
    attr: &str,
) -> Option<(Node<'t>, usize)> {
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
                    (constructed(model, home, ctor)?, false)
                }
            }
        }
        "call" => (constructed(model, scope, obj)?, false),
        _ => return None,
    };
    let class_scope = class_scope(model, class)?;
    let def = def_in(model, class_scope, attr).or_else(|| base_def(model, class_scope, attr))?;
    let implicit = match decorated_as(model, def) {
        Some("staticmethod") => 0,
        Some(_) => 1,
        None => usize::from(!through_class),
    };
    Some((def, implicit))
}

/// `C(...)` with `C` a class of the file: the `__init__` it runs (its own or inherited
/// from another class of the file), which receives the new object first.
pub(super) fn constructor<'t>(
    model: &Model<'t>,
    scope: ScopeId,
    call: Node<'t>,
) -> Option<(Node<'t>, usize)> {
    let class = constructed(model, scope, call)?;
    let class_scope = class_scope(model, class)?;
    let init = def_in(model, class_scope, "__init__")
        .or_else(|| base_def(model, class_scope, "__init__"))?;
    Some((init, 1))
}

/// `attr` as defined in a base class (of this file) of the class whose scope is `class`:
/// bases depth-first in declaration order, each class once, so an inheritance cycle ends.
pub(super) fn base_def<'t>(model: &Model<'t>, class: ScopeId, attr: &str) -> Option<Node<'t>> {
    let mut seen = std::collections::HashSet::new();
    let mut work: Vec<ScopeId> = local_bases(model, class);
    work.reverse();
    while let Some(c) = work.pop() {
        if seen.len() >= MAX_BASES_SEARCHED || !seen.insert(c) {
            continue;
        }
        if let Some(d) = def_in(model, c, attr) {
            return Some(d);
        }
        work.extend(local_bases(model, c).into_iter().rev());
    }
    None
}

/// The scopes of the bases of a class that are classes of this file.
fn local_bases(model: &Model, class: ScopeId) -> Vec<ScopeId> {
    let scope = &model.scopes[class];
    let outer = scope.parent.unwrap_or(0);
    let Some(list) = scope.node.field(&fields::SUPERCLASSES) else {
        return Vec::new();
    };
    let mut cursor = list.walk();
    list.named_children(&mut cursor)
        .filter(|b| b.kind_name() == "identifier")
        .filter_map(|b| {
            let (bindings, _) = model.lookup(model.text(b), outer, b.start_byte())?;
            bindings.iter().find_map(|x| match x.kind {
                BindingKind::Class(c) => class_scope(model, c),
                _ => None,
            })
        })
        .collect()
}

/// The scope of a class (or function) definition of the file.
fn class_scope(model: &Model, def: Node) -> Option<ScopeId> {
    model.scope_of(def).filter(|&s| s != 0)
}

/// The class of the file that the call `ctor` (`C(...)`) instantiates.
fn constructed<'t>(model: &Model<'t>, scope: ScopeId, ctor: Node<'t>) -> Option<Node<'t>> {
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
pub(crate) fn decorated_as<'t>(model: &Model<'t>, def: Node<'t>) -> Option<&'static str> {
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
