//! The string literals of a file, for patterns that apply only where the file names or
//! holds some text (`file_literals`: a template with an HTML extension, HTML markup).

use crate::fields::FieldExt as _;
use crate::rules::Literal;
use crate::semantic::{Model, literal};
use tree_sitter::Node;

/// Every string literal of the tree `inside` belongs to, docstrings aside: the value of a
/// plain string, the source text of an f-string or a concatenation part that has none.
pub(super) fn file_strings(model: &Model, inside: Node) -> Vec<String> {
    let mut root = inside;
    while let Some(p) = root.parent() {
        root = p;
    }
    let mut out = Vec::new();
    let mut cursor = root.walk();
    // Iterative pre-order walk: deep trees must not exhaust the stack.
    'walk: loop {
        let node = cursor.node();
        let mut descend = true;
        if node.kind_name() == "string" {
            descend = false;
            if !is_docstring(node) {
                out.push(match literal(node, model.source) {
                    Some(Literal::Str(s)) => s,
                    _ => model.text(node).to_string(),
                });
            }
        }
        if descend && cursor.goto_first_child() {
            continue;
        }
        loop {
            if cursor.goto_next_sibling() {
                continue 'walk;
            }
            if !cursor.goto_parent() {
                break 'walk;
            }
        }
    }
    out
}

/// A string that is a statement on its own: a docstring or a bare comment-like string.
fn is_docstring(node: Node) -> bool {
    node.parent()
        .is_some_and(|p| p.kind_name() == "expression_statement" && p.named_child_count() == 1)
}
