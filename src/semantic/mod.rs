//! The semantic layer: which name refers to what.
//!
//! One iterative walk over a file's syntax tree records scopes (module, functions, lambdas,
//! classes), the names each scope binds (imports, assignments, definitions, parameters, loop
//! and `with` targets) and every call. Afterwards [`Model::resolve`] turns an expression into
//! the qualified names it may denote: `y.load` after `import yaml as y` is `yaml.load`.
//!
//! Nothing here recurses on the input's shape without a depth bound, so deeply nested code
//! cannot overflow the stack.

mod build;
mod resolve;

pub use resolve::{Value, literal};

use crate::fields::KindExt as _;
use crate::fields::{self, FieldExt};
use tree_sitter::Node;

/// Index of a scope in [`Model::scopes`].
pub type ScopeId = usize;

/// What kind of block opened a scope; class scopes are invisible to nested functions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScopeKind {
    Module,
    Function,
    Class,
}

/// What a binding makes a name refer to.
#[derive(Debug, Clone, Copy)]
pub enum BindingKind<'t> {
    /// An import: the name denotes this qualified name (index into [`Model::qnames`]).
    Import(usize),
    /// A plain `name = value` assignment (or walrus): the name denotes `value`.
    Assign(Node<'t>),
    /// A class defined here.
    Class(Node<'t>),
    /// A function defined here: a local callable, never an imported one.
    Def(Node<'t>),
    /// Anything else that binds the name (parameter, loop target, unpacking, `except … as`).
    Other,
}

/// One binding of a name in a scope.
#[derive(Debug, Clone, Copy)]
pub struct Binding<'t> {
    /// Byte offset from which the binding is in effect.
    pub pos: usize,
    pub kind: BindingKind<'t>,
    /// Inside an `if`/`try`/loop/`match` of its scope, so an earlier binding may still reach.
    pub conditional: bool,
}

/// A scope and the names it binds.
#[derive(Debug)]
pub struct Scope<'t> {
    pub kind: ScopeKind,
    pub parent: Option<ScopeId>,
    /// The node that opened the scope (the module, `def`, `lambda` or `class`).
    pub node: Node<'t>,
    /// name → bindings in source order.
    pub bindings: std::collections::HashMap<&'t str, Vec<Binding<'t>>>,
    /// Names declared `global` in this scope.
    pub globals: Vec<&'t str>,
}

/// A call expression and the scope it is evaluated in.
#[derive(Debug, Clone, Copy)]
pub struct CallSite<'t> {
    pub node: Node<'t>,
    pub scope: ScopeId,
}

/// Everything the walk learned about one file.
#[derive(Debug)]
pub struct Model<'t> {
    pub source: &'t [u8],
    /// `source` as text, validated once when the model is built (`None` if it is not UTF-8),
    /// so node text is a byte-range slice instead of a UTF-8 check of each node.
    pub source_str: Option<&'t str>,
    pub scopes: Vec<Scope<'t>>,
    pub calls: Vec<CallSite<'t>>,
    /// Modules named by `from M import *`, in source order.
    pub star_imports: Vec<String>,
    /// Qualified names bound by imports.
    pub qnames: Vec<String>,
    /// The first Python 2 only statement (`print x`, `exec "code"`), which tree-sitter
    /// parses without an error but Python 3 rejects.
    pub python2: Option<Node<'t>>,
    /// Plain names passed as call arguments anywhere in the file, computed on first use.
    pub argument_names: std::cell::OnceCell<std::collections::HashSet<String>>,
    /// By the start byte of each `def`: what the calls inside it (nested ones included)
    /// resolve to, as `name()`; computed on first use.
    pub callees_by_function:
        std::cell::OnceCell<std::collections::HashMap<usize, std::collections::HashSet<String>>>,
}

impl<'t> Model<'t> {
    /// Walks `root` once and records scopes, bindings and calls.
    pub fn build(root: Node<'t>, source: &'t [u8]) -> Model<'t> {
        build::build(root, source)
    }

    /// What the calls inside each `def` resolve to (see [`Model::callees_by_function`]): one
    /// pass over the file's calls, so that asking about many calls of one function stays
    /// linear.
    pub fn function_callees(
        &self,
    ) -> &std::collections::HashMap<usize, std::collections::HashSet<String>> {
        self.callees_by_function.get_or_init(|| {
            let mut out: std::collections::HashMap<usize, std::collections::HashSet<String>> =
                std::collections::HashMap::new();
            for site in &self.calls {
                let names: Vec<String> = self
                    .resolve(site.node, site.scope)
                    .into_iter()
                    .filter_map(|v| match v {
                        Value::Name(n) => Some(n),
                        _ => None,
                    })
                    .collect();
                if names.is_empty() {
                    continue;
                }
                let mut s = Some(site.scope);
                while let Some(id) = s {
                    let node = self.scopes[id].node;
                    if node.kind() == "function_definition" {
                        out.entry(node.start_byte())
                            .or_default()
                            .extend(names.iter().cloned());
                    }
                    s = self.scopes[id].parent;
                }
            }
            out
        })
    }

    /// Whether `name` is passed as a plain-name argument (positional or keyword value) to
    /// some call of the file: a cheap test before looking for which call.
    pub fn passed_as_argument(&self, name: &str) -> bool {
        self.argument_names
            .get_or_init(|| {
                let mut out = std::collections::HashSet::new();
                for site in &self.calls {
                    let Some(args) = site.node.field(&fields::ARGUMENTS) else {
                        continue;
                    };
                    let mut c = args.walk();
                    for a in args.named_children(&mut c) {
                        let v = if a.kind_name() == "keyword_argument" {
                            a.field(&fields::VALUE)
                        } else {
                            Some(a)
                        };
                        if let Some(v) = v.filter(|v| v.kind_name() == "identifier") {
                            out.insert(self.text(v).to_string());
                        }
                    }
                }
                out
            })
            .contains(name)
    }

    /// The source text of a node (empty if it is not valid UTF-8, which the caller's decoded
    /// text always is).
    pub fn text(&self, node: Node<'t>) -> &'t str {
        node_text(self.source_str, self.source, node)
    }
}

/// A node's text: a slice of the already validated `text` when there is one (empty if the
/// range does not fall on character boundaries, as `utf8_text` would fail), else decoded
/// from `source`.
pub(crate) fn node_text<'t>(text: Option<&'t str>, source: &'t [u8], node: Node<'_>) -> &'t str {
    match text {
        Some(text) => text.get(node.byte_range()).unwrap_or(""),
        None => node.utf8_text(source).unwrap_or(""),
    }
}
