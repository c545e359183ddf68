//! The single iterative walk that fills a [`Model`].

use super::{Binding, BindingKind, Bindings, CallSite, Model, Scope, ScopeId, ScopeKind};
use crate::fields::{self, FieldExt};
use tree_sitter::Node;

/// Statements whose bodies run conditionally or repeatedly: a binding inside one may not
/// replace an earlier binding of the same name on every path.
fn is_conditional(kind: &str) -> bool {
    matches!(
        kind,
        "if_statement" | "try_statement" | "for_statement" | "while_statement" | "match_statement"
    )
}

struct Builder<'t> {
    model: Model<'t>,
    /// Open scopes: (scope, conditional depth when the scope opened).
    scope_stack: Vec<(ScopeId, usize)>,
    /// Open conditional statements (their count is what matters).
    cond_stack: Vec<usize>,
}

pub(super) fn build<'t>(root: Node<'t>, source: &'t [u8]) -> Model<'t> {
    let mut b = Builder {
        model: Model {
            source,
            source_str: std::str::from_utf8(source).ok(),
            scopes: vec![Scope {
                kind: ScopeKind::Module,
                parent: None,
                node: root,
                bindings: Bindings::default(),
            }],
            calls: Vec::new(),
            star_imports: Vec::new(),
            qnames: Vec::new(),
            python2: None,
            globals: std::collections::HashMap::new(),
            import_statements: Vec::new(),
            argument_names: std::cell::OnceCell::new(),
            callees_by_function: std::cell::OnceCell::new(),
            classes: None,
        },
        scope_stack: vec![(0, 0)],
        cond_stack: Vec::new(),
    };
    let mut cursor = root.walk();
    'walk: loop {
        let node = cursor.node();
        b.enter(node);
        if cursor.goto_first_child() {
            continue;
        }
        b.leave(node);
        while !cursor.goto_next_sibling() {
            if !cursor.goto_parent() {
                break 'walk;
            }
            b.leave(cursor.node());
        }
    }
    // Source order within each name, so lookups can binary-search.
    for scope in &mut b.model.scopes {
        scope.bindings.seal();
    }
    b.model
}

impl<'t> Builder<'t> {
    fn current(&self) -> ScopeId {
        self.scope_stack.last().map_or(0, |s| s.0)
    }

    fn text(&self, node: Node<'t>) -> &'t str {
        super::node_text(self.model.source_str, self.model.source, node)
    }

    fn bind_in(&mut self, scope: ScopeId, name: &'t str, pos: usize, kind: BindingKind<'t>) {
        if name.is_empty() {
            return;
        }
        let base = self
            .scope_stack
            .iter()
            .rev()
            .find(|s| s.0 == scope)
            .map_or(0, |s| s.1);
        let conditional = self.cond_stack.len() > base;
        let scope = self.global_target(scope, name);
        self.model.scopes[scope].bindings.push(Binding {
            name,
            pos,
            kind,
            conditional,
            seq: 0,
        });
    }

    /// A name declared `global` in a function binds in the module scope.
    fn global_target(&self, scope: ScopeId, name: &str) -> ScopeId {
        if self.model.declares_global(scope, name) {
            0
        } else {
            scope
        }
    }

    fn bind(&mut self, name: &'t str, pos: usize, kind: BindingKind<'t>) {
        self.bind_in(self.current(), name, pos, kind);
    }

    fn push_scope(&mut self, kind: ScopeKind, node: Node<'t>) {
        let parent = self.current();
        self.model.scopes.push(Scope {
            kind,
            parent: Some(parent),
            node,
            bindings: Bindings::default(),
        });
        let id = self.model.scopes.len() - 1;
        self.scope_stack.push((id, self.cond_stack.len()));
    }

    fn record_import(&mut self, node: Node<'t>) {
        let top = self.current() == 0;
        self.model.import_statements.push((node, top));
    }

    fn add_qname(&mut self, q: String) -> usize {
        self.model.qnames.push(q);
        self.model.qnames.len() - 1
    }

    fn enter(&mut self, node: Node<'t>) {
        // Punctuation and keywords bind nothing (a third of the nodes).
        if !node.is_named() {
            return;
        }
        match node.kind_name() {
            "call" => {
                let scope = self.current();
                self.model.calls.push(CallSite { node, scope });
            }
            "function_definition" => {
                if let Some(name) = node.field(&fields::NAME) {
                    let name = self.text(name);
                    self.bind(name, node.start_byte(), BindingKind::Def(node));
                }
                self.push_scope(ScopeKind::Function, node);
            }
            "lambda" => self.push_scope(ScopeKind::Function, node),
            "class_definition" => {
                if let Some(name) = node.field(&fields::NAME) {
                    let name = self.text(name);
                    self.bind(name, node.start_byte(), BindingKind::Class(node));
                }
                self.push_scope(ScopeKind::Class, node);
            }
            "parameters" | "lambda_parameters" => self.bind_parameters(node),
            "import_statement" => {
                self.record_import(node);
                self.bind_import(node);
            }
            "import_from_statement" => {
                self.record_import(node);
                self.bind_import_from(node);
            }
            "assignment" => self.bind_assignment(node),
            "augmented_assignment" => {
                if let Some(left) = node.field(&fields::LEFT) {
                    self.bind_targets(left, node.end_byte());
                }
            }
            "named_expression" => {
                if let (Some(name), Some(value)) =
                    (node.field(&fields::NAME), node.field(&fields::VALUE))
                {
                    let name = self.text(name);
                    self.bind(name, node.end_byte(), BindingKind::Assign(value));
                }
            }
            "for_statement" => {
                // The loop target is bound on every iteration, inside the loop.
                self.cond_stack.push(node.end_byte());
                if let Some(left) = node.field(&fields::LEFT) {
                    self.bind_targets(left, left.end_byte());
                }
            }
            "with_item" => {
                if let Some(value) = node.field(&fields::VALUE)
                    && value.kind_name() == "as_pattern"
                    && let Some(alias) = value.field(&fields::ALIAS)
                {
                    self.bind_targets(alias, node.end_byte());
                }
            }
            "except_clause" => {
                // `except E as name`: the alias is the identifier after `as`.
                let mut cursor = node.walk();
                let mut after_as = false;
                for child in node.children(&mut cursor) {
                    if after_as && child.kind_name() == "identifier" {
                        let name = self.text(child);
                        self.bind(name, child.end_byte(), BindingKind::Other);
                        break;
                    }
                    after_as = child.kind_name() == "as";
                    if child.kind_name() == "as_pattern"
                        && let Some(alias) = child.field(&fields::ALIAS)
                    {
                        self.bind_targets(alias, child.end_byte());
                    }
                }
            }
            "global_statement" => {
                let scope = self.current();
                let mut cursor = node.walk();
                let names: Vec<&'t str> = node
                    .named_children(&mut cursor)
                    .filter(|c| c.kind_name() == "identifier")
                    .map(|c| self.text(c))
                    .collect();
                self.model.globals.entry(scope).or_default().extend(names);
            }
            kind if is_conditional(kind) => self.cond_stack.push(node.end_byte()),
            "print_statement" | "exec_statement" => {
                self.model.python2.get_or_insert(node);
            }
            _ => {}
        }
    }

    fn leave(&mut self, node: Node<'t>) {
        if !node.is_named() {
            return;
        }
        match node.kind_name() {
            // Every enter of these kinds pushed exactly one entry.
            "function_definition" | "lambda" | "class_definition" if self.scope_stack.len() > 1 => {
                if let Some((closed, _)) = self.scope_stack.pop() {
                    self.model.scopes[closed].bindings.shrink();
                }
            }
            kind if is_conditional(kind) => {
                self.cond_stack.pop();
            }
            _ => {}
        }
    }

    fn bind_parameters(&mut self, params: Node<'t>) {
        let mut cursor = params.walk();
        let children: Vec<Node<'t>> = params.named_children(&mut cursor).collect();
        for p in children {
            let name_node = match p.kind_name() {
                "identifier" => Some(p),
                "default_parameter" | "typed_default_parameter" => p.field(&fields::NAME),
                "typed_parameter" | "list_splat_pattern" | "dictionary_splat_pattern" => {
                    let mut c = p.walk();
                    p.named_children(&mut c)
                        .find(|n| n.kind_name() == "identifier")
                }
                _ => None,
            };
            if let Some(n) = name_node {
                let name = self.text(n);
                self.bind(name, params.start_byte(), BindingKind::Other);
            }
        }
    }

    fn bind_import(&mut self, node: Node<'t>) {
        let pos = node.end_byte();
        let mut cursor = node.walk();
        let names: Vec<Node<'t>> = node.children_by_field_name("name", &mut cursor).collect();
        for n in names {
            match n.kind_name() {
                // `import a.b.c` binds `a` to the package `a`.
                "dotted_name" => {
                    let full = self.text(n);
                    let first = full.split('.').next().unwrap_or(full).trim();
                    let q = self.add_qname(first.to_string());
                    self.bind(first, pos, BindingKind::Import(q));
                }
                // `import a.b as c` binds `c` to `a.b`.
                "aliased_import" => {
                    if let (Some(target), Some(alias)) =
                        (n.field(&fields::NAME), n.field(&fields::ALIAS))
                    {
                        let q = normalize_dotted(self.text(target));
                        let q = self.add_qname(q);
                        let alias = self.text(alias);
                        self.bind(alias, pos, BindingKind::Import(q));
                    }
                }
                _ => {}
            }
        }
    }

    fn bind_import_from(&mut self, node: Node<'t>) {
        let pos = node.end_byte();
        let module = node.field(&fields::MODULE_NAME);
        // Relative imports name modules of the scanned project we do not resolve.
        let module = match module {
            Some(m) if m.kind_name() == "dotted_name" => Some(normalize_dotted(self.text(m))),
            _ => None,
        };
        let mut cursor = node.walk();
        let children: Vec<Node<'t>> = node.named_children(&mut cursor).collect();
        if children.iter().any(|c| c.kind_name() == "wildcard_import") {
            if let Some(m) = &module {
                self.model.star_imports.push(m.clone());
            }
            return;
        }
        let mut cursor = node.walk();
        let names: Vec<Node<'t>> = node.children_by_field_name("name", &mut cursor).collect();
        for n in names {
            let (target, alias) = match n.kind_name() {
                "dotted_name" => (n, n),
                "aliased_import" => match (n.field(&fields::NAME), n.field(&fields::ALIAS)) {
                    (Some(t), Some(a)) => (t, a),
                    _ => continue,
                },
                _ => continue,
            };
            let local = self.text(alias);
            match &module {
                Some(m) => {
                    let q = format!("{m}.{}", normalize_dotted(self.text(target)));
                    let q = self.add_qname(q);
                    self.bind(local, pos, BindingKind::Import(q));
                }
                None => self.bind(local, pos, BindingKind::Other),
            }
        }
    }

    fn bind_assignment(&mut self, node: Node<'t>) {
        let Some(left) = node.field(&fields::LEFT) else {
            return;
        };
        // `a = b = value` nests: find the value at the bottom of the chain.
        let mut right = node.field(&fields::RIGHT);
        let mut hops = 0;
        while let Some(r) = right {
            if r.kind_name() != "assignment" || hops > 64 {
                break;
            }
            right = r.field(&fields::RIGHT);
            hops += 1;
        }
        let pos = node.end_byte();
        match (left.kind_name(), right) {
            ("identifier", Some(value)) => {
                let name = self.text(left);
                self.bind(name, pos, BindingKind::Assign(value));
            }
            // An annotation without a value (`x: int`) binds nothing at run time.
            ("identifier", None) => {}
            _ => self.bind_targets(left, pos),
        }
    }

    /// Binds every plain name inside an assignment target (tuples, lists, starred names).
    /// Attribute and subscript targets bind no name.
    fn bind_targets(&mut self, target: Node<'t>, pos: usize) {
        let mut stack = vec![target];
        let mut visited = 0usize;
        while let Some(n) = stack.pop() {
            visited += 1;
            if visited > 100_000 {
                break;
            }
            match n.kind_name() {
                "identifier" => {
                    let name = self.text(n);
                    self.bind(name, pos, BindingKind::Other);
                }
                "pattern_list"
                | "tuple_pattern"
                | "list_pattern"
                | "expression_list"
                | "tuple"
                | "list"
                | "list_splat_pattern"
                | "parenthesized_expression"
                | "list_splat" => {
                    let mut cursor = n.walk();
                    stack.extend(n.named_children(&mut cursor));
                }
                _ => {}
            }
        }
    }
}

/// `a . b` with stray whitespace or comments inside is still `a.b`.
fn normalize_dotted(text: &str) -> String {
    text.split('.').map(str::trim).collect::<Vec<_>>().join(".")
}
