//! Matching the pattern forms that are not calls by qualified name: calls on any receiver
//! (`*.conf.update`), assignments to a named setting (`SECRET_KEY = "..."`,
//! `app.config["SECRET_KEY"] = ...`) and class definitions by base class.

use super::conditions::{self, ArgState};
use crate::fields::{self, FieldExt};
use crate::rules::{Pattern, RuleSet, Target, TargetBase, Test};
use crate::semantic::{Model, ScopeId, ScopeKind, Value};
use std::path::Path;
use tree_sitter::Node;

/// How many attribute links of a callee or target are compared at most.
const MAX_CHAIN: usize = 64;

/// The trailing attribute names of `expr`, innermost last (`a.b.c` → `[c, b]` up to the
/// object), and whether the whole chain is plain names (`a.b.c`, not `f().b.c`).
fn attribute_chain<'t>(model: &Model<'t>, mut expr: Node<'t>) -> (Vec<&'t str>, bool) {
    let mut names = Vec::new();
    while expr.kind() == "attribute" && names.len() < MAX_CHAIN {
        let (Some(object), Some(attr)) =
            (expr.field(&fields::OBJECT), expr.field(&fields::ATTRIBUTE))
        else {
            return (names, false);
        };
        names.push(model.text(attr));
        expr = object;
    }
    let plain = expr.kind() == "identifier";
    (names, plain)
}

/// Whether the attribute chain `names` (innermost last) ends in `suffix` (written in order).
fn ends_with(names: &[&str], suffix: &[String]) -> bool {
    names.len() >= suffix.len() && suffix.iter().rev().zip(names).all(|(s, n)| s == n)
}

/// The `*.a.b` patterns a call with callee `function` matches, with the name to report.
pub(super) fn suffix_candidates<'t>(
    rules: &RuleSet,
    model: &Model<'t>,
    function: Node<'t>,
) -> Vec<(usize, usize, String)> {
    let patterns = rules.suffix_patterns();
    if patterns.is_empty() || function.kind() != "attribute" {
        return Vec::new();
    }
    let (names, plain) = attribute_chain(model, function);
    let mut out = Vec::new();
    for (suffix, ri, pi) in patterns {
        if ends_with(&names, suffix) {
            // Only a chain of plain names is echoed: any other receiver text may hold
            // strings from the scanned file.
            let shown = if plain {
                model.text(function).to_string()
            } else {
                format!("<expr>.{}", suffix.join("."))
            };
            out.push((*ri, *pi, shown));
        }
    }
    out
}

/// Whether `pattern`'s file globs admit `path`.
pub(super) fn path_admits(pattern: &Pattern, path: &Path) -> bool {
    if pattern.files.is_empty() && pattern.not_files.is_empty() {
        return true;
    }
    let text = path.to_string_lossy().replace('\\', "/");
    (pattern.files.is_empty() || pattern.files.iter().any(|g| g.is_match(&text)))
        && !pattern.not_files.iter().any(|g| g.is_match(&text))
}

/// A match of an assignment or class pattern: where, which rule and pattern, and the name
/// that replaces `{call}` in the message.
pub(super) struct FormMatch<'t> {
    pub node: Node<'t>,
    /// Where the reported range ends (the class header for class patterns).
    pub end: usize,
    pub rule: usize,
    pub pattern: usize,
    pub shown: String,
}

/// Every assignment-pattern and class-pattern match in the file, in source order.
pub(super) fn match_forms<'t>(
    rules: &RuleSet,
    model: &Model<'t>,
    root: Node<'t>,
    path: &Path,
    applicable: &[bool],
) -> Vec<FormMatch<'t>> {
    let forms: Vec<(usize, usize)> = rules
        .form_patterns()
        .iter()
        .copied()
        .filter(|&(ri, pi)| applicable[ri] && path_admits(&rules.rules()[ri].patterns[pi], path))
        .collect();
    let mut out = Vec::new();
    if forms.is_empty() {
        return out;
    }
    if forms
        .iter()
        .any(|&(ri, pi)| !rules.rules()[ri].patterns[pi].assigns.is_empty())
    {
        match_assignments(rules, model, root, &forms, &mut out);
    }
    if forms
        .iter()
        .any(|&(ri, pi)| !rules.rules()[ri].patterns[pi].subclasses.is_empty())
    {
        match_classes(rules, model, &forms, &mut out);
    }
    out.sort_by_key(|m| (m.node.start_byte(), m.rule));
    out
}

fn match_assignments<'t>(
    rules: &RuleSet,
    model: &Model<'t>,
    root: Node<'t>,
    forms: &[(usize, usize)],
    out: &mut Vec<FormMatch<'t>>,
) {
    // A pre-order walk with a cursor: an explicit stack of every pending node and a map of
    // every scope cost 20 MB on a module of 300,000 functions. `open` holds the scope
    // nodes entered, with the scope outside each.
    let mut open: Vec<(usize, ScopeId)> = Vec::new();
    let mut scope = 0;
    let mut cursor = root.walk();
    'walk: loop {
        let node = cursor.node();
        if matches!(
            node.kind(),
            "function_definition" | "lambda" | "class_definition"
        ) && let Some(s) = model.scope_of(node)
        {
            open.push((node.id(), scope));
            scope = s;
        }
        if node.kind() == "assignment" {
            match_assignment(rules, model, node, scope, forms, out);
        }
        if cursor.goto_first_child() {
            continue;
        }
        loop {
            let left = cursor.node();
            if open.last().is_some_and(|&(id, _)| id == left.id())
                && let Some((_, outer)) = open.pop()
            {
                scope = outer;
            }
            if cursor.goto_next_sibling() {
                break;
            }
            if !cursor.goto_parent() {
                break 'walk;
            }
        }
    }
}

fn match_assignment<'t>(
    rules: &RuleSet,
    model: &Model<'t>,
    node: Node<'t>,
    scope: ScopeId,
    forms: &[(usize, usize)],
    out: &mut Vec<FormMatch<'t>>,
) {
    let Some(left) = node.field(&fields::LEFT) else {
        return;
    };
    // `a = b = value`: every target gets the innermost value.
    let mut value = node.field(&fields::RIGHT);
    let mut hops = 0;
    while let Some(v) = value
        && v.kind() == "assignment"
        && hops < MAX_CHAIN
    {
        value = v.field(&fields::RIGHT);
        hops += 1;
    }
    let Some(value) = value else {
        return;
    };
    let mut fired: Vec<usize> = Vec::new();
    for &(ri, pi) in forms {
        if fired.contains(&ri) {
            continue;
        }
        let pattern = &rules.rules()[ri].patterns[pi];
        let Some(target) = pattern
            .assigns
            .iter()
            .find(|t| target_matches(model, left, scope, t))
        else {
            continue;
        };
        if pattern
            .conditions
            .iter()
            .all(|c| conditions::value_holds(model, ArgState::Given(value), scope, c))
        {
            fired.push(ri);
            out.push(FormMatch {
                node,
                end: node.end_byte(),
                rule: ri,
                pattern: pi,
                shown: target.spelled.clone(),
            });
        }
    }
}

fn target_matches<'t>(model: &Model<'t>, left: Node<'t>, scope: ScopeId, t: &Target) -> bool {
    let object = match (&t.key, left.kind()) {
        (Some(key), "subscript") => {
            let Some(index) = left.field(&fields::SUBSCRIPT) else {
                return false;
            };
            let is_key = matches!(
                crate::semantic::literal(index, model.source),
                Some(crate::rules::Literal::Str(s)) if &s == key
            );
            match left.field(&fields::VALUE) {
                Some(v) if is_key => v,
                _ => return false,
            }
        }
        (Some(_), _) => return false,
        (None, _) => left,
    };
    match &t.base {
        TargetBase::Name(name) => object.kind() == "identifier" && model.text(object) == name,
        TargetBase::Suffix(suffix) => {
            object.kind() == "attribute" && ends_with(&attribute_chain(model, object).0, suffix)
        }
        TargetBase::Qualified(q) => {
            matches!(object.kind(), "attribute" | "identifier")
                && model.qualified_names(object, scope).iter().any(|n| n == q)
        }
    }
}

fn match_classes<'t>(
    rules: &RuleSet,
    model: &Model<'t>,
    forms: &[(usize, usize)],
    out: &mut Vec<FormMatch<'t>>,
) {
    for scope in &model.scopes {
        if scope.kind != ScopeKind::Class {
            continue;
        }
        let class = scope.node;
        let bases = model.is_a(&Value::Class(class, scope.parent.unwrap_or(0)));
        if bases.is_empty() {
            continue;
        }
        let header_end = class
            .field(&fields::SUPERCLASSES)
            .or_else(|| class.field(&fields::NAME))
            .map_or(class.end_byte(), |n| n.end_byte());
        let mut fired: Vec<usize> = Vec::new();
        for &(ri, pi) in forms {
            if fired.contains(&ri) {
                continue;
            }
            let pattern = &rules.rules()[ri].patterns[pi];
            let Some(base) = pattern.subclasses.iter().find(|b| bases.contains(b)) else {
                continue;
            };
            if pattern
                .conditions
                .iter()
                .all(|c| method_test(model, class, c))
            {
                fired.push(ri);
                out.push(FormMatch {
                    node: class,
                    end: header_end,
                    rule: ri,
                    pattern: pi,
                    shown: base.clone(),
                });
            }
        }
    }
}

/// A `method` condition on a class: whether its body defines (or does not define) it.
fn method_test(model: &Model<'_>, class: Node<'_>, cond: &crate::rules::Condition) -> bool {
    let Some(method) = &cond.method else {
        return false;
    };
    let defined = class.field(&fields::BODY).is_some_and(|body| {
        let mut cursor = body.walk();
        body.named_children(&mut cursor).any(|stmt| {
            let def = if stmt.kind() == "decorated_definition" {
                stmt.field(&fields::DEFINITION)
            } else {
                Some(stmt)
            };
            def.is_some_and(|d| {
                d.kind() == "function_definition"
                    && d.field(&fields::NAME)
                        .is_some_and(|n| model.text(n) == method)
            })
        })
    });
    match cond.test {
        Test::Present => defined,
        Test::Absent => !defined,
        _ => false,
    }
}
