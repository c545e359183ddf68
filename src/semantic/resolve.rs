//! Resolving expressions to the qualified names (or literals) they may denote.

use super::{Binding, BindingKind, Model, ScopeId, ScopeKind};
use crate::fields::{self, FieldExt};
use crate::rules::Literal;
use tree_sitter::Node;

/// How many assignment hops, attribute links or base classes resolution follows before it
/// gives up: bounds both time and stack depth on hostile input.
const MAX_DEPTH: usize = 48;

/// How many classes one base-class expansion visits at most.
const MAX_CLASSES: usize = 256;

/// How many values one resolution collects before it stops looking: bounds the fan-out of
/// conditional rebindings and base classes.
const MAX_VALUES: usize = 64;

/// One thing an expression may denote.
#[derive(Debug, Clone, PartialEq)]
pub enum Value<'t> {
    /// A qualified name: an imported module, function, class, or a builtin's bare name;
    /// `()` segments mean "the result of calling".
    Name(String),
    /// A class defined in the scanned file, with the scope its bases are evaluated in.
    Class(Node<'t>, ScopeId),
    /// A Python literal.
    Lit(Literal),
    /// Something local to the file (a function defined here, a parameter) or not resolvable.
    Unknown,
}

impl<'t> Model<'t> {
    /// Every value `expr` (evaluated in `scope`) may denote. Never empty: an expression that
    /// cannot be resolved yields [`Value::Unknown`].
    pub fn resolve(&self, expr: Node<'t>, scope: ScopeId) -> Vec<Value<'t>> {
        let mut out = Vec::new();
        self.resolve_into(expr, scope, expr.start_byte(), 0, &mut out);
        if out.is_empty() {
            out.push(Value::Unknown);
        }
        out
    }

    /// Qualified names `expr` may denote (the `Name` values of [`Model::resolve`]).
    pub fn qualified_names(&self, expr: Node<'t>, scope: ScopeId) -> Vec<String> {
        let mut names: Vec<String> = self
            .resolve(expr, scope)
            .into_iter()
            .filter_map(|v| match v {
                Value::Name(n) => Some(n),
                _ => None,
            })
            .collect();
        names.dedup();
        names
    }

    /// The qualified names a value "is": its own name, or for a class defined in the file,
    /// the names of its base classes, transitively.
    pub fn is_a(&self, value: &Value<'t>) -> Vec<String> {
        match value {
            Value::Name(n) => vec![n.clone()],
            Value::Class(node, scope) => {
                let mut out = Vec::new();
                let mut visited = Vec::new();
                self.class_bases(*node, *scope, 0, &mut out, &mut visited);
                out
            }
            _ => Vec::new(),
        }
    }

    /// `visited` holds the classes already expanded: a diamond of classes repeated over many
    /// levels (`class A1(A0, A0)`, `class A2(A1, A1)`, ...) would otherwise take exponential
    /// time.
    fn class_bases(
        &self,
        class: Node<'t>,
        scope: ScopeId,
        depth: usize,
        out: &mut Vec<String>,
        visited: &mut Vec<usize>,
    ) {
        if depth > MAX_DEPTH
            || out.len() > MAX_VALUES
            || visited.len() > MAX_CLASSES
            || visited.contains(&class.id())
        {
            return;
        }
        visited.push(class.id());
        let Some(bases) = class.field(&fields::SUPERCLASSES) else {
            return;
        };
        let mut cursor = bases.walk();
        for base in bases.named_children(&mut cursor) {
            if base.kind_name() == "keyword_argument" {
                continue;
            }
            let mut values = Vec::new();
            self.resolve_into(base, scope, class.start_byte(), depth + 1, &mut values);
            for v in values {
                match v {
                    Value::Name(n) => out.push(n),
                    Value::Class(n, s) => self.class_bases(n, s, depth + 1, out, visited),
                    _ => {}
                }
            }
        }
    }

    fn resolve_into(
        &self,
        expr: Node<'t>,
        scope: ScopeId,
        pos: usize,
        depth: usize,
        out: &mut Vec<Value<'t>>,
    ) {
        if depth > MAX_DEPTH || out.len() > MAX_VALUES {
            out.push(Value::Unknown);
            return;
        }
        match expr.kind_name() {
            "identifier" => self.resolve_identifier(self.text(expr), scope, pos, depth, out),
            "attribute" => {
                let (Some(object), Some(attr)) =
                    (expr.field(&fields::OBJECT), expr.field(&fields::ATTRIBUTE))
                else {
                    out.push(Value::Unknown);
                    return;
                };
                let attr = self.text(attr);
                let mut base = Vec::new();
                self.resolve_into(object, scope, pos, depth + 1, &mut base);
                for v in base {
                    out.push(match v {
                        Value::Name(n) => Value::Name(format!("{n}.{attr}")),
                        _ => Value::Unknown,
                    });
                }
            }
            "call" => {
                let Some(function) = expr.field(&fields::FUNCTION) else {
                    out.push(Value::Unknown);
                    return;
                };
                let mut base = Vec::new();
                self.resolve_into(function, scope, pos, depth + 1, &mut base);
                for v in base {
                    match v {
                        Value::Name(n) => {
                            if !self.dynamic_access(&n, expr, scope, pos, depth, out) {
                                out.push(Value::Name(format!("{n}()")));
                            }
                        }
                        _ => out.push(Value::Unknown),
                    }
                }
            }
            "subscript" => {
                // `sys.modules["pickle"]` is the module of that name, once imported.
                let key = expr
                    .field(&fields::SUBSCRIPT)
                    .and_then(|k| literal(k, self.source));
                let module = match key {
                    Some(Literal::Str(m)) if is_dotted_name(&m) => Some(m),
                    _ => None,
                };
                let mut base = Vec::new();
                if let (Some(_), Some(value)) = (&module, expr.field(&fields::VALUE)) {
                    self.resolve_into(value, scope, pos, depth + 1, &mut base);
                }
                match module {
                    Some(m) if base.contains(&Value::Name("sys.modules".into())) => {
                        out.push(Value::Name(m))
                    }
                    _ => out.push(Value::Unknown),
                }
            }
            "parenthesized_expression" => match expr.named_child(0) {
                Some(inner) => self.resolve_into(inner, scope, pos, depth + 1, out),
                None => out.push(Value::Unknown),
            },
            _ => out.push(match literal(expr, self.source) {
                Some(l) => Value::Lit(l),
                None => Value::Unknown,
            }),
        }
    }

    /// The values of `call`, a call of the function named `func`, when it is a dynamic
    /// access spelled with constant strings: `getattr(obj, "name"[, default])`,
    /// `importlib.import_module("a.b")`, `__import__("a.b"[, fromlist=...])`. Returns
    /// whether it was one (and `out` got its values). Any other shape (a computed name,
    /// keyword or splat arguments, a relative module) is not one: the call's result stays
    /// `func()`, which no rule names.
    fn dynamic_access(
        &self,
        func: &str,
        call: Node<'t>,
        scope: ScopeId,
        pos: usize,
        depth: usize,
        out: &mut Vec<Value<'t>>,
    ) -> bool {
        if !matches!(func, "getattr" | "importlib.import_module" | "__import__") {
            return false;
        }
        let Some(args) = call.field(&fields::ARGUMENTS) else {
            return false;
        };
        let mut positional = Vec::new();
        let mut keywords = Vec::new();
        let mut cursor = args.walk();
        for a in args.named_children(&mut cursor) {
            match a.kind_name() {
                "comment" => {}
                "keyword_argument" => keywords.push(a),
                "list_splat" | "dictionary_splat" => return false,
                _ if keywords.is_empty() => positional.push(a),
                _ => return false,
            }
        }
        let string = |n: Node| match literal(n, self.source) {
            Some(Literal::Str(s)) => Some(s),
            _ => None,
        };
        match func {
            "getattr" => {
                let (2 | 3, true) = (positional.len(), keywords.is_empty()) else {
                    return false;
                };
                let Some(attr) =
                    string(positional[1]).filter(|a| is_dotted_name(a) && !a.contains('.'))
                else {
                    return false;
                };
                let mut base = Vec::new();
                self.resolve_into(positional[0], scope, pos, depth + 1, &mut base);
                for v in base {
                    out.push(match v {
                        Value::Name(n) => Value::Name(format!("{n}.{attr}")),
                        _ => Value::Unknown,
                    });
                }
                // With a default, the value may be the default instead.
                if let Some(&default) = positional.get(2) {
                    self.resolve_into(default, scope, pos, depth + 1, out);
                }
                true
            }
            "importlib.import_module" => {
                let (1, true) = (positional.len(), keywords.is_empty()) else {
                    return false;
                };
                match string(positional[0]).filter(|m| is_dotted_name(m)) {
                    Some(m) => {
                        out.push(Value::Name(m));
                        true
                    }
                    None => false,
                }
            }
            _ => {
                // `__import__("a.b")` returns the top-level package `a`; with a non-empty
                // `fromlist` it returns `a.b` itself. A `level` makes the import relative.
                let Some(module) = positional
                    .first()
                    .and_then(|&m| string(m))
                    .filter(|m| is_dotted_name(m))
                else {
                    return false;
                };
                let mut fromlist = positional.get(3).copied();
                for k in &keywords {
                    let name = k.field(&fields::NAME).map(|n| self.text(n));
                    match name {
                        Some("fromlist") => fromlist = k.field(&fields::VALUE),
                        Some("globals" | "locals") => {}
                        _ => return false,
                    }
                }
                if positional.len() > 4 {
                    return false;
                }
                let whole = match fromlist {
                    None => false,
                    Some(f) => match f.kind_name() {
                        "none" => false,
                        "list" | "tuple" => f.named_child_count() > 0,
                        _ => return false,
                    },
                };
                let name = if whole {
                    module
                } else {
                    module.split('.').next().unwrap_or_default().to_string()
                };
                out.push(Value::Name(name));
                true
            }
        }
    }

    fn resolve_identifier(
        &self,
        name: &str,
        scope: ScopeId,
        pos: usize,
        depth: usize,
        out: &mut Vec<Value<'t>>,
    ) {
        let Some((bindings, home)) = self.lookup(name, scope, pos) else {
            // Not bound in the file: a name a star import may have brought, or a builtin.
            for m in &self.star_imports {
                out.push(Value::Name(format!("{m}.{name}")));
            }
            // With star imports present, an unbound non-builtin name can only come from one
            // of them; without any, keep the bare name (it resolves to nothing a rule names
            // unless the rule lists it bare on purpose).
            if self.star_imports.is_empty() || is_builtin(name) {
                out.push(Value::Name(name.to_string()));
            }
            return;
        };
        for b in bindings {
            match b.kind {
                BindingKind::Import(q) => out.push(Value::Name(self.qnames[q].clone())),
                BindingKind::Assign(value) => {
                    self.resolve_into(value, home, value.start_byte(), depth + 1, out)
                }
                BindingKind::Class(node) => out.push(Value::Class(node, home)),
                BindingKind::Def(_) | BindingKind::Other => out.push(Value::Unknown),
            }
        }
    }

    /// The bindings of `name` that may be in effect at `pos` in `scope`, and the scope that
    /// holds them; `None` when no enclosing scope binds the name.
    pub fn lookup(
        &self,
        name: &str,
        scope: ScopeId,
        pos: usize,
    ) -> Option<(Vec<Binding<'t>>, ScopeId)> {
        let mut s = scope;
        let mut innermost = true;
        loop {
            let sc = &self.scopes[s];
            if s != 0 && self.declares_global(s, name) {
                s = 0;
                innermost = false;
                continue;
            }
            if let Some(bs) = sc.bindings.get(name)
                && !bs.is_empty()
            {
                // In the scope of the reference, the binding in effect is the last one before
                // it; an enclosing scope has run to completion by the time a nested function
                // body runs, so its last binding counts.
                // Bindings are sorted by position (see `build`), so a binary search keeps
                // a file with many bindings and references of one name linear-logarithmic.
                let last = if innermost {
                    bs.partition_point(|b| b.pos <= pos)
                        .checked_sub(1)
                        .unwrap_or(bs.len() - 1)
                } else {
                    bs.len() - 1
                };
                let mut chain = vec![bs[last]];
                let mut i = last;
                // Resolution keeps at most MAX_VALUES values anyway; a longer chain of
                // conditional rebindings would only cost time.
                while bs[i].conditional && i > 0 && chain.len() <= MAX_VALUES {
                    i -= 1;
                    chain.push(bs[i]);
                }
                return Some((chain, s));
            }
            // Enclosing class bodies are not visible from nested scopes.
            let mut parent = sc.parent?;
            while self.scopes[parent].kind == ScopeKind::Class {
                parent = self.scopes[parent].parent?;
            }
            s = parent;
            innermost = false;
        }
    }
}

/// The literal a node spells, if it is one: `True`, `False`, `None`, an integer (with an
/// optional minus), or a string without interpolation.
pub fn literal(node: Node, source: &[u8]) -> Option<Literal> {
    let text = || node.utf8_text(source).unwrap_or("");
    match node.kind_name() {
        "true" => Some(Literal::Bool(true)),
        "false" => Some(Literal::Bool(false)),
        "none" => Some(Literal::None),
        "integer" => parse_int(text()).map(Literal::Int),
        "unary_operator" => {
            let op = node.field(&fields::OPERATOR)?;
            let arg = node.field(&fields::ARGUMENT)?;
            if op.kind_name() == "-" && arg.kind_name() == "integer" {
                parse_int(arg.utf8_text(source).ok()?).map(|i| Literal::Int(-i))
            } else {
                None
            }
        }
        "string" => {
            let mut cursor = node.walk();
            let mut content = String::new();
            for child in node.named_children(&mut cursor) {
                match child.kind_name() {
                    "string_start" | "string_end" => {}
                    "string_content" => content.push_str(child.utf8_text(source).ok()?),
                    _ => return None,
                }
            }
            Some(Literal::Str(content))
        }
        _ => None,
    }
}

fn parse_int(text: &str) -> Option<i64> {
    let t = text.replace('_', "");
    let t = t.to_ascii_lowercase();
    if let Some(h) = t.strip_prefix("0x") {
        i64::from_str_radix(h, 16).ok()
    } else if let Some(o) = t.strip_prefix("0o") {
        i64::from_str_radix(o, 8).ok()
    } else if let Some(b) = t.strip_prefix("0b") {
        i64::from_str_radix(b, 2).ok()
    } else {
        t.parse().ok()
    }
}

/// Python's builtin names that rules may refer to bare (`eval`, `open`, `__import__`).
fn is_builtin(name: &str) -> bool {
    const BUILTINS: &[&str] = &[
        "__import__",
        "abs",
        "all",
        "any",
        "ascii",
        "bin",
        "bool",
        "breakpoint",
        "bytearray",
        "bytes",
        "callable",
        "chr",
        "classmethod",
        "compile",
        "complex",
        "delattr",
        "dict",
        "dir",
        "divmod",
        "enumerate",
        "eval",
        "exec",
        "filter",
        "float",
        "format",
        "frozenset",
        "getattr",
        "globals",
        "hasattr",
        "hash",
        "help",
        "hex",
        "id",
        "input",
        "int",
        "isinstance",
        "issubclass",
        "iter",
        "len",
        "list",
        "locals",
        "map",
        "max",
        "memoryview",
        "min",
        "next",
        "object",
        "oct",
        "open",
        "ord",
        "pow",
        "print",
        "property",
        "range",
        "repr",
        "reversed",
        "round",
        "set",
        "setattr",
        "slice",
        "sorted",
        "staticmethod",
        "str",
        "sum",
        "super",
        "tuple",
        "type",
        "vars",
        "zip",
        "execfile",
        "reload",
        "raw_input",
        "unicode",
        "long",
        "file",
    ];
    BUILTINS.contains(&name)
}

/// Whether `s` is a dotted name of identifiers (`os`, `os.path`): what a constant string
/// must be to name a module or an attribute.
fn is_dotted_name(s: &str) -> bool {
    !s.is_empty()
        && s.split('.').all(|seg| {
            let mut chars = seg.chars();
            chars.next().is_some_and(|c| c == '_' || c.is_alphabetic())
                && chars.all(|c| c == '_' || c.is_alphanumeric())
        })
}
