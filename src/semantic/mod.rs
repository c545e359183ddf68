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
    /// The name bound.
    pub name: &'t str,
    /// Byte offset from which the binding is in effect.
    pub pos: usize,
    pub kind: BindingKind<'t>,
    /// Inside an `if`/`try`/loop/`match` of its scope, so an earlier binding may still reach.
    pub conditional: bool,
    /// Its place among its scope's bindings in walk order (fits the struct's padding): what
    /// orders bindings of one name at one position, without a stable sort's buffer.
    seq: u32,
}

/// A scope and the names it binds.
#[derive(Debug)]
pub struct Scope<'t> {
    pub kind: ScopeKind,
    pub parent: Option<ScopeId>,
    /// The node that opened the scope (the module, `def`, `lambda` or `class`).
    pub node: Node<'t>,
    /// The names the scope binds, each with its bindings in source order.
    pub bindings: Bindings<'t>,
}

/// The bindings of one scope in one array, sorted by name and then by position, so that
/// the bindings of a name are one slice. A hash map per scope holding a vector per name
/// cost about 700 bytes for a function with one parameter: a generated module of 300,000
/// small functions spent 280 MB on them.
#[derive(Debug, Default)]
pub struct Bindings<'t>(Vec<Binding<'t>>);

impl<'t> Bindings<'t> {
    /// The bindings of `name`, in source order.
    pub fn get(&self, name: &str) -> Option<&[Binding<'t>]> {
        let start = self.0.partition_point(|b| b.name < name);
        let len = self.0[start..].partition_point(|b| b.name == name);
        (len > 0).then(|| &self.0[start..start + len])
    }

    /// Every name with its bindings, in name order.
    pub fn iter(&self) -> impl Iterator<Item = (&'t str, &[Binding<'t>])> {
        self.0
            .chunk_by(|a, b| a.name == b.name)
            .map(|c| (c[0].name, c))
    }

    /// Adds a binding while the model is built (order is restored by [`Bindings::seal`]).
    /// The first one gets an array of one: most scopes bind a single name.
    fn push(&mut self, mut binding: Binding<'t>) {
        if self.0.capacity() == 0 {
            self.0.reserve_exact(1);
        }
        binding.seq = u32::try_from(self.0.len()).unwrap_or(u32::MAX);
        self.0.push(binding);
    }

    /// Gives back the spare capacity of a scope that will get no more bindings.
    fn shrink(&mut self) {
        self.0.shrink_to_fit();
    }

    /// Sorts by name, then position, then walk order (bindings at one position keep the
    /// order of the walk). In place: a stable sort's buffer was 11 MB on a module of
    /// 300,000 functions.
    fn seal(&mut self) {
        self.0.shrink_to_fit();
        self.0
            .sort_unstable_by(|a, b| (a.name, a.pos, a.seq).cmp(&(b.name, b.pos, b.seq)));
    }
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
    /// Names declared `global`, with the scope that declares them (rare, so kept apart from
    /// the scopes: an empty vector in each cost 24 bytes a function).
    pub globals: std::collections::HashMap<ScopeId, Vec<&'t str>>,
    /// Every `import` and `from … import` statement in source order, with whether it is at
    /// module level (outside any `def`, `class` or `lambda`).
    pub import_statements: Vec<(Node<'t>, bool)>,
    /// Plain names passed as call arguments anywhere in the file, computed on first use.
    pub argument_names: std::cell::OnceCell<std::collections::HashSet<String>>,
    /// By the start byte of each `def`: what the calls inside it (nested ones included)
    /// resolve to, as `name()`; computed on first use.
    pub callees_by_function:
        std::cell::OnceCell<std::collections::HashMap<usize, std::collections::HashSet<String>>>,
    /// The project's class table as this module sees it (set by the scan when some module
    /// defines a class a rule condition names): conditions then see a class imported from
    /// another module as the classes it derives from.
    pub classes: Option<crate::project::ProjectView<'t>>,
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

    /// The scope `node` opens (the module root, a `def`, `lambda` or `class`), if it opens
    /// one. Scopes are recorded in a pre-order walk, so their nodes' start bytes never
    /// decrease and a binary search finds it: no map from node to scope is needed (one per
    /// pass cost 9 MB on a module of 300,000 functions).
    pub fn scope_of(&self, node: Node<'t>) -> Option<ScopeId> {
        let scopes = &self.scopes;
        if scopes.first().is_some_and(|m| m.node.id() == node.id()) {
            return Some(0);
        }
        let start = node.start_byte();
        let first = 1 + scopes
            .get(1..)?
            .partition_point(|s| s.node.start_byte() < start);
        (first..scopes.len())
            .take_while(|&i| scopes[i].node.start_byte() == start)
            .find(|&i| scopes[i].node.id() == node.id())
    }

    /// Whether `scope` declares `name` global.
    pub fn declares_global(&self, scope: ScopeId, name: &str) -> bool {
        self.globals.get(&scope).is_some_and(|g| g.contains(&name))
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
