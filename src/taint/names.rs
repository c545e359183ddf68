//! Naming helpers: what a callee is (with classes of the file standing for their bases),
//! dotted paths of attribute chains, parameter lists, and name globs.

use crate::fields::{self, FieldExt};
use crate::project::module_summary::ParamKind;
use crate::semantic::{BindingKind, Model, ScopeId, Value};
use tree_sitter::Node;

/// How many assignment or attribute hops [`callee_names`] follows beyond the semantic layer.
const MAX_HOPS: usize = 8;

/// The qualified names `expr` may denote, where a class defined in the file counts as each
/// of its bases: `Order(**d)` with `class Order(pydantic.BaseModel)` is `pydantic.BaseModel`,
/// `schema.load(d)` after `schema = UserSchema()` is `marshmallow.Schema().load`.
pub fn callee_names<'t>(model: &Model<'t>, expr: Node<'t>, scope: ScopeId) -> Vec<String> {
    let mut out = Vec::new();
    expand(model, expr, scope, 0, &mut out);
    out.sort();
    out.dedup();
    out
}

fn expand<'t>(model: &Model<'t>, e: Node<'t>, scope: ScopeId, hops: usize, out: &mut Vec<String>) {
    let before = out.len();
    for v in model.resolve(e, scope) {
        match v {
            Value::Name(n) => out.push(n),
            Value::Class(..) => out.extend(model.is_a(&v)),
            _ => {}
        }
    }
    if out.len() > before || hops >= MAX_HOPS {
        return;
    }
    let mut inner = Vec::new();
    match e.kind_name() {
        "attribute" => {
            if let (Some(obj), Some(attr)) = (e.field(&fields::OBJECT), e.field(&fields::ATTRIBUTE))
            {
                expand(model, obj, scope, hops + 1, &mut inner);
                let attr = model.text(attr);
                out.extend(inner.into_iter().map(|b| format!("{b}.{attr}")));
            }
        }
        "call" => {
            if let Some(f) = e.field(&fields::FUNCTION) {
                expand(model, f, scope, hops + 1, &mut inner);
                out.extend(inner.into_iter().map(|b| format!("{b}()")));
            }
        }
        "identifier" => {
            if let Some((bindings, home)) = model.lookup(model.text(e), scope, e.start_byte()) {
                for b in bindings {
                    if let BindingKind::Assign(v) = b.kind {
                        expand(model, v, home, hops + 1, out);
                    }
                }
            }
        }
        _ => {}
    }
}

/// `a.b.c` as a root identifier and its attribute segments (`a`, [`b`, `c`]); `None` when
/// the chain does not start at a plain name. Bounded by the tree's own depth.
pub fn chain<'t>(model: &Model<'t>, e: Node<'t>) -> Option<(&'t str, Vec<&'t str>)> {
    let mut segs = Vec::new();
    let mut cur = e;
    loop {
        match cur.kind_name() {
            "identifier" => {
                segs.reverse();
                return Some((model.text(cur), segs));
            }
            "attribute" => {
                segs.push(model.text(cur.field(&fields::ATTRIBUTE)?));
                cur = cur.field(&fields::OBJECT)?;
            }
            _ => return None,
        }
        if segs.len() > 32 {
            return None;
        }
    }
}

/// Whether `e` is a `super()` call (`super()` or `super(Class, self)`).
pub fn is_super_call(model: &Model, e: Node) -> bool {
    e.kind_name() == "call"
        && e.field(&fields::FUNCTION)
            .is_some_and(|f| f.kind_name() == "identifier" && model.text(f) == "super")
}

/// The dotted text of a plain-name chain (`self.cmd`), used as a state key.
pub fn dotted(model: &Model, e: Node) -> Option<String> {
    let (root, segs) = chain(model, e)?;
    let mut s = root.to_string();
    for seg in segs {
        s.push('.');
        s.push_str(seg);
    }
    Some(s)
}

/// One parameter of a `def`.
#[derive(Debug, Clone, Copy)]
pub struct Param<'t> {
    pub name: &'t str,
    pub node: Node<'t>,
    pub annotation: Option<Node<'t>>,
    pub default: Option<Node<'t>>,
    pub kind: ParamKind,
}

/// The signature of `plist` as [`super::binding::bindings`] reads it.
pub fn sig<'t>(plist: &[Param<'t>]) -> Vec<(&'t str, ParamKind)> {
    plist.iter().map(|p| (p.name, p.kind)).collect()
}

/// The parameters of a function definition, in order (`self` included), with how each
/// binds arguments.
pub fn params<'t>(model: &Model<'t>, def: Node<'t>) -> Vec<Param<'t>> {
    let Some(list) = def.field(&fields::PARAMETERS) else {
        return Vec::new();
    };
    let mut cursor = list.walk();
    let mut out: Vec<Param<'t>> = Vec::new();
    // Past a bare `*` or `*args`, parameters are keyword-only.
    let mut keyword_only = false;
    for p in list.named_children(&mut cursor) {
        let annotation = p.field(&fields::TYPE).and_then(|t| t.named_child(0));
        let default = p.field(&fields::VALUE);
        let mut kind = if keyword_only {
            ParamKind::KeywordOnly
        } else {
            ParamKind::Normal
        };
        let name_node = match p.kind_name() {
            "identifier" => Some(p),
            "default_parameter" | "typed_default_parameter" => p.field(&fields::NAME),
            "keyword_separator" => {
                keyword_only = true;
                None
            }
            "positional_separator" => {
                // Everything before `/` is positional-only.
                for q in out.iter_mut() {
                    q.kind = ParamKind::PositionalOnly;
                }
                None
            }
            "typed_parameter" | "list_splat_pattern" | "dictionary_splat_pattern" => {
                let mut c = p.walk();
                let found = p.named_children(&mut c).find(|n| {
                    matches!(
                        n.kind_name(),
                        "identifier" | "list_splat_pattern" | "dictionary_splat_pattern"
                    )
                });
                let splat = if p.kind_name() == "typed_parameter" {
                    found.map(|n| n.kind_name())
                } else {
                    Some(p.kind_name())
                };
                match splat {
                    Some("list_splat_pattern") => {
                        kind = ParamKind::VarPositional;
                        keyword_only = true;
                    }
                    Some("dictionary_splat_pattern") => kind = ParamKind::VarKeyword,
                    _ => {}
                }
                if p.kind_name() == "typed_parameter" {
                    found.and_then(|n| {
                        if n.kind_name() == "identifier" {
                            Some(n)
                        } else {
                            let mut c2 = n.walk();
                            n.named_children(&mut c2)
                                .find(|m| m.kind_name() == "identifier")
                        }
                    })
                } else {
                    found.filter(|n| n.kind_name() == "identifier")
                }
            }
            _ => None,
        };
        if let Some(n) = name_node.filter(|n| n.kind_name() == "identifier") {
            out.push(Param {
                name: model.text(n),
                node: n,
                annotation,
                default,
                kind,
            });
        }
    }
    out
}

/// The `def` that last binds `name` in `scope` (a module or class body), if any.
pub fn def_in<'t>(model: &Model<'t>, scope: ScopeId, name: &str) -> Option<Node<'t>> {
    model.scopes[scope]
        .bindings
        .get(name)?
        .iter()
        .rev()
        .find_map(|b| match b.kind {
            BindingKind::Def(d) => Some(d),
            _ => None,
        })
}

/// The function's name.
pub fn def_name<'t>(model: &Model<'t>, def: Node<'t>) -> &'t str {
    def.field(&fields::NAME)
        .map(|n| model.text(n))
        .unwrap_or("<lambda>")
}

/// Whether `name` matches `pattern`, where `*` matches any run of characters.
pub fn glob(pattern: &str, name: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == name;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !name.starts_with(first) || name.len() < first.len() + last.len() || !name.ends_with(last) {
        return false;
    }
    let mut rest = &name[first.len()..name.len() - last.len()];
    for mid in &parts[1..parts.len() - 1] {
        match rest.find(mid) {
            Some(i) => rest = &rest[i + mid.len()..],
            None => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::glob;

    #[test]
    fn globs() {
        assert!(glob("resolve_*", "resolve_user"));
        assert!(!glob("resolve_*", "mutate"));
        assert!(glob("get", "get"));
        assert!(glob("*_view*", "a_view_b"));
        assert!(!glob("a*a", "a"));
    }
}
