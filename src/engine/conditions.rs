//! Evaluating a pattern's argument conditions on one call.

use crate::fields::{self, FieldExt};
use crate::rules::{Condition, Literal, Test};
use crate::semantic::{BindingKind, Model, ScopeId, Value, literal};
use tree_sitter::Node;

/// What is known about one argument of a call.
#[derive(Debug, Clone, Copy)]
pub enum ArgState<'t> {
    /// Certainly not passed.
    Absent,
    /// Possibly passed through `*args` or `**kwargs`.
    Maybe,
    /// Passed as this expression.
    Given(Node<'t>),
}

/// Finds an argument by keyword name or by 0-based position.
pub fn find_arg<'t>(
    call: Node<'t>,
    source: &[u8],
    keyword: Option<&str>,
    position: Option<usize>,
) -> ArgState<'t> {
    let Some(args) = call.field(&fields::ARGUMENTS) else {
        return ArgState::Absent;
    };
    // `f(x for x in y)`: a single generator argument.
    if args.kind_name() == "generator_expression" {
        return if position == Some(0) {
            ArgState::Given(args)
        } else {
            ArgState::Absent
        };
    }
    let mut positional = 0usize;
    let mut star = false;
    let mut double_star = false;
    let mut cursor = args.walk();
    for arg in args.named_children(&mut cursor) {
        match arg.kind_name() {
            "keyword_argument" => {
                let name = arg
                    .field(&fields::NAME)
                    .and_then(|n| n.utf8_text(source).ok());
                if keyword.is_some()
                    && name == keyword
                    && let Some(value) = arg.field(&fields::VALUE)
                {
                    return ArgState::Given(value);
                }
            }
            "list_splat" => star = true,
            "dictionary_splat" => double_star = true,
            "comment" => {}
            _ => {
                // Positions after a `*args` splat are unknown.
                if !star && Some(positional) == position {
                    return ArgState::Given(arg);
                }
                positional += 1;
            }
        }
    }
    if (double_star && keyword.is_some()) || (star && position.is_some()) {
        ArgState::Maybe
    } else {
        ArgState::Absent
    }
}

/// Whether `cond` holds for `call` evaluated in `scope`.
pub fn holds<'t>(model: &Model<'t>, call: Node<'t>, scope: ScopeId, cond: &Condition) -> bool {
    let arg = find_arg(call, model.source, cond.arg.as_deref(), cond.position);
    value_holds(model, arg, scope, cond)
}

/// Whether `cond`'s test holds for a value already selected (an argument, or the value of an
/// assignment), after narrowing it to `cond.key` when the condition names one.
pub fn value_holds<'t>(
    model: &Model<'t>,
    arg: ArgState<'t>,
    scope: ScopeId,
    cond: &Condition,
) -> bool {
    let arg = match &cond.key {
        Some(key) => select_key(model, arg, scope, key),
        None => arg,
    };
    match (&cond.test, arg) {
        (Test::Absent, ArgState::Absent) => true,
        (Test::Absent, _) => false,
        (Test::Present, ArgState::Absent) => false,
        (Test::Present, _) => true,
        (Test::Equals(want), ArgState::Given(node)) => {
            let (node, scope) = param_default(model, node, scope).unwrap_or((node, scope));
            model
                .resolve(node, scope)
                .iter()
                .any(|v| matches!(v, Value::Lit(l) if literal_eq(l, want)))
        }
        (Test::Equals(_), _) => false,
        (Test::In(set), ArgState::Given(node)) => class_names(model, node, scope)
            .iter()
            .any(|names| names.iter().any(|n| set.contains(n))),
        (Test::In(_), _) => false,
        (Test::NotIn(set), ArgState::Given(node)) => class_names(model, node, scope)
            .iter()
            .any(|names| !names.iter().any(|n| set.contains(n))),
        (Test::NotIn(_), ArgState::Maybe) => true,
        (Test::NotIn(_), ArgState::Absent) => false,
        (Test::Constant(want), ArgState::Given(node)) => {
            is_constant(model, node, scope, node.start_byte(), 0) == *want
        }
        (Test::Constant(want), ArgState::Maybe) => !*want,
        (Test::Constant(_), ArgState::Absent) => false,
        (Test::Contains(wanted), ArgState::Given(node)) => {
            assigned(model, node, scope).into_iter().any(|(n, _)| {
                matches!(n.kind_name(), "list" | "tuple" | "set")
                    && children(n).into_iter().any(|e| {
                        matches!(literal(e, model.source), Some(Literal::Str(s)) if wanted.contains(&s))
                    })
            })
        }
        (Test::Matches(glob, want), ArgState::Given(node)) => assigned(model, node, scope)
            .into_iter()
            .any(|(n, _)| {
                matches!(literal(n, model.source), Some(Literal::Str(s)) if glob.is_match(&s) == *want)
            }),
        (Test::SourceMatches(glob), ArgState::Given(node)) => {
            glob.is_match(model.text(node))
                || assigned(model, node, scope)
                    .into_iter()
                    .any(|(n, _)| glob.is_match(model.text(n)))
        }
        (Test::LiteralString, ArgState::Given(node)) => {
            let mut budget = MAX_VISITS;
            is_constant(model, node, scope, node.start_byte(), 0)
                && nonempty_string(model, node, scope, 0, &mut budget)
        }
        (Test::Lacks(names), ArgState::Given(node)) => {
            assigned(model, node, scope).into_iter().any(|(n, s)| {
                matches!(n.kind_name(), "list" | "tuple" | "set")
                    && !children(n).into_iter().any(|e| {
                        model
                            .resolve(e, s)
                            .iter()
                            .any(|v| model.is_a(v).iter().any(|q| names.contains(q)))
                    })
            })
        }
        (Test::Prefix(glob, want), ArgState::Given(node)) => {
            glob.is_match(&constant_prefix(model, node, scope, 0).0) == *want
        }
        // Nothing is known of a splatted argument's text: its constant start is empty.
        (Test::Prefix(glob, want), ArgState::Maybe) => glob.is_match("") == *want,
        (Test::NotSitePath(calls), ArgState::Given(node)) => {
            !site_path(model, node, scope, calls)
        }
        (Test::NotSitePath(_), ArgState::Maybe) => true,
        (
            Test::Contains(_)
            | Test::Matches(..)
            | Test::SourceMatches(_)
            | Test::LiteralString
            | Test::Prefix(..)
            | Test::NotSitePath(_)
            | Test::Lacks(_),
            _,
        ) => false,
    }
}

/// For each value `node` may denote, the qualified names it "is" ([`Model::is_a`]), where
/// a class of another project module stands for the classes outside the project it
/// derives from, and a parameter with a default stands for its default (a call passing
/// something else is checked at the call, see [`param_default`]).
fn class_names<'t>(model: &Model<'t>, node: Node<'t>, scope: ScopeId) -> Vec<Vec<String>> {
    let (node, scope) = param_default(model, node, scope).unwrap_or((node, scope));
    model
        .resolve(node, scope)
        .iter()
        .map(|v| {
            let names = model.is_a(v);
            let Some(view) = model.classes else {
                return names;
            };
            if matches!(v, Value::Unknown)
                && let Some(ancestors) = imported_class(model, &view, node, scope)
            {
                return ancestors;
            }
            // A class of this module on a base the file alone cannot resolve (imported
            // relatively): the table knows its chain.
            let own = match v {
                Value::Class(class, _) => class
                    .field(&fields::NAME)
                    .and_then(|n| view.own_class_ancestors(model.text(n))),
                _ => None,
            };
            names
                .into_iter()
                .chain(own.into_iter().flatten())
                .flat_map(|n| match view.class_ancestors(&n) {
                    Some(mut ancestors) => {
                        ancestors.push(n);
                        ancestors
                    }
                    None => vec![n],
                })
                .collect()
        })
        .collect()
}

/// The ancestors of a project class `node` names through a module-level import the file's
/// semantic model leaves unresolved (a relative one: `from .loaders import ConfigLoader`).
fn imported_class<'t>(
    model: &Model<'t>,
    view: &crate::project::ProjectView,
    node: Node<'t>,
    scope: ScopeId,
) -> Option<Vec<String>> {
    let text = model.text(node);
    let mut segs = text.split('.').map(str::trim);
    let head = segs.next()?;
    if !matches!(node.kind_name(), "identifier" | "attribute") {
        return None;
    }
    let (bindings, home) = model.lookup(head, scope, node.start_byte())?;
    if home != 0
        || !bindings
            .iter()
            .all(|b| matches!(b.kind, BindingKind::Other))
    {
        return None;
    }
    let target = crate::taint::module_import(model, head)?;
    let rest: Vec<String> = segs.map(str::to_string).collect();
    view.class_ancestors_via(&target, &rest)
}

/// The default of the parameter `node` names, with the scope it is evaluated in, when
/// `node` can only be that parameter (the function never rebinds it): the value the
/// function uses unless a caller passes another.
pub fn param_default<'t>(
    model: &Model<'t>,
    node: Node<'t>,
    scope: ScopeId,
) -> Option<(Node<'t>, ScopeId)> {
    let p = param_with_default(model, node, scope)?;
    Some((p.default, model.scopes[p.function].parent.unwrap_or(0)))
}

/// A parameter with a default, as [`param_with_default`] finds it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DefaultParam<'t> {
    pub name: &'t str,
    /// Its position (`None` for a keyword-only parameter).
    pub position: Option<usize>,
    pub default: Node<'t>,
    /// The function's own scope.
    pub function: ScopeId,
}

/// The parameter with a default that `node` denotes: see [`param_default`].
pub fn param_with_default<'t>(
    model: &Model<'t>,
    node: Node<'t>,
    scope: ScopeId,
) -> Option<DefaultParam<'t>> {
    if node.kind_name() != "identifier" {
        return None;
    }
    let name = model.text(node);
    let (bindings, home) = model.lookup(name, scope, node.start_byte())?;
    let def = &model.scopes[home];
    if def.kind != crate::semantic::ScopeKind::Function {
        return None;
    }
    let params = def.node.field(&fields::PARAMETERS)?;
    if !bindings
        .iter()
        .all(|b| matches!(b.kind, BindingKind::Other) && b.pos == params.start_byte())
    {
        return None;
    }
    let mut cursor = params.walk();
    // Parameters after `*` or `*args` are keyword-only: they have no position.
    let mut position = Some(0);
    for p in params.named_children(&mut cursor) {
        match p.kind_name() {
            "default_parameter" | "typed_default_parameter"
                if p.field(&fields::NAME)
                    .is_some_and(|n| model.text(n) == name) =>
            {
                return Some(DefaultParam {
                    name,
                    position,
                    default: p.field(&fields::VALUE)?,
                    function: home,
                });
            }
            "list_splat_pattern" | "keyword_separator" => position = None,
            "comment" | "positional_separator" => continue,
            _ => {}
        }
        position = position.map(|p| p + 1);
    }
    None
}

/// How many assignment hops [`assigned`] follows.
const MAX_HOPS: usize = 8;

/// How many expressions one value check visits at most (hostile files can make the graph
/// of conditional rebindings exponentially wide); past it the check gives up.
const MAX_VISITS: usize = 1024;

/// The expressions `node` may stand for: itself, or for a name, the values of the plain
/// assignments to it that reach here (transitively, a few hops). A name bound any other way
/// contributes nothing.
fn assigned<'t>(model: &Model<'t>, node: Node<'t>, scope: ScopeId) -> Vec<(Node<'t>, ScopeId)> {
    let mut out = Vec::new();
    let mut seen: std::collections::HashSet<usize> = std::collections::HashSet::new();
    let mut work = vec![(node, scope, node.start_byte(), 0usize)];
    while let Some((n, s, pos, hops)) = work.pop() {
        if !seen.insert(n.id()) || seen.len() > MAX_VISITS {
            continue;
        }
        if n.kind_name() != "identifier" {
            out.push((n, s));
            continue;
        }
        if hops >= MAX_HOPS {
            continue;
        }
        let Some((bindings, home)) = model.lookup(model.text(n), s, pos) else {
            continue;
        };
        for b in bindings {
            if let BindingKind::Assign(value) = b.kind {
                work.push((value, home, value.start_byte(), hops + 1));
            }
        }
    }
    out
}

fn children(node: Node<'_>) -> Vec<Node<'_>> {
    let mut cursor = node.walk();
    node.named_children(&mut cursor).collect()
}

/// The value under string key `key` of a dict display (or `dict(key=...)` call) the value
/// stands for. A `**` entry, or a value that is not such a display, may hold the key.
fn select_key<'t>(model: &Model<'t>, arg: ArgState<'t>, scope: ScopeId, key: &str) -> ArgState<'t> {
    let ArgState::Given(node) = arg else {
        return arg;
    };
    let mut state = ArgState::Absent;
    let candidates = assigned(model, node, scope);
    if candidates.is_empty() {
        return ArgState::Maybe;
    }
    for (n, _) in candidates {
        match n.kind_name() {
            "dictionary" => {
                for entry in children(n) {
                    match entry.kind_name() {
                        "pair" => {
                            let k = entry.field(&fields::KEY);
                            if k.and_then(|k| literal(k, model.source))
                                == Some(Literal::Str(key.to_string()))
                                && let Some(v) = entry.field(&fields::VALUE)
                            {
                                return ArgState::Given(v);
                            }
                        }
                        "dictionary_splat" => state = ArgState::Maybe,
                        _ => {}
                    }
                }
            }
            "call"
                if n.field(&fields::FUNCTION)
                    .is_some_and(|f| model.text(f) == "dict") =>
            {
                match find_arg(n, model.source, Some(key), None) {
                    ArgState::Absent => {}
                    found => return found,
                }
            }
            _ => state = ArgState::Maybe,
        }
    }
    state
}

/// The constant text an expression's string value starts with, and whether that is the
/// whole value: the literal parts of an f-string before its first `{...}`, the left operand
/// of `+` (and the right one when the left is wholly constant), the format string of `%` up
/// to its first `%`, and a name's value when one plain assignment reaches it.
fn constant_prefix<'t>(
    model: &Model<'t>,
    node: Node<'t>,
    scope: ScopeId,
    depth: usize,
) -> (String, bool) {
    if depth > 32 {
        return (String::new(), false);
    }
    match node.kind_name() {
        "string" => {
            let mut text = String::new();
            for part in children(node) {
                match part.kind_name() {
                    "string_start" | "string_end" => {}
                    "string_content" => text.push_str(model.text(part)),
                    _ => return (text, false),
                }
            }
            (text, true)
        }
        "concatenated_string" => {
            let mut text = String::new();
            for part in children(node) {
                let (p, whole) = constant_prefix(model, part, scope, depth + 1);
                text.push_str(&p);
                if !whole {
                    return (text, false);
                }
            }
            (text, true)
        }
        "parenthesized_expression" => match node.named_child(0) {
            Some(inner) => constant_prefix(model, inner, scope, depth + 1),
            None => (String::new(), false),
        },
        "binary_operator" => {
            let op = node.field(&fields::OPERATOR).map(|o| o.kind_name());
            let Some(left) = node.field(&fields::LEFT) else {
                return (String::new(), false);
            };
            let (mut text, whole) = constant_prefix(model, left, scope, depth + 1);
            match op {
                Some("+") if whole => {
                    let (rest, whole) = match node.field(&fields::RIGHT) {
                        Some(r) => constant_prefix(model, r, scope, depth + 1),
                        None => (String::new(), false),
                    };
                    text.push_str(&rest);
                    (text, whole)
                }
                Some("+") => (text, false),
                Some("%") => {
                    if let Some(i) = text.find('%') {
                        text.truncate(i);
                    }
                    (text, false)
                }
                _ => (String::new(), false),
            }
        }
        "identifier" => match assigned(model, node, scope).as_slice() {
            [(value, home)] => constant_prefix(model, *value, *home, depth + 1),
            _ => (String::new(), false),
        },
        _ => (String::new(), false),
    }
}

/// Whether `node`'s value is certainly a path of this site, which no browser takes for
/// another host: constant text `/x…` with `x` neither `/` nor `\` (`//host` and `/\host`
/// are other hosts), or a call of one of `calls` (a routed path, possibly just `/`) that
/// is the whole value or is followed by constant text not starting with `/` or `\`
/// (`reverse("list") + "?" + query`).
fn site_path<'t>(model: &Model<'t>, node: Node<'t>, scope: ScopeId, calls: &[String]) -> bool {
    let (text, whole) = constant_prefix(model, node, scope, 0);
    let opens_path = |t: &str| !t.starts_with(['/', '\\']);
    if let Some(rest) = text.strip_prefix('/') {
        return match rest.chars().next() {
            Some(_) => opens_path(rest),
            None => whole,
        };
    }
    if !text.is_empty() {
        return false;
    }
    match after_site_call(model, node, scope, calls, 0) {
        Some(None) => true,
        Some(Some(after)) => !after.is_empty() && opens_path(&after),
        None => false,
    }
}

/// When `node` starts with a call of one of `calls`: `Some(None)` if the call is the whole
/// value, else `Some(text)` with the constant text right after it (empty when a computed
/// part follows).
fn after_site_call<'t>(
    model: &Model<'t>,
    node: Node<'t>,
    scope: ScopeId,
    calls: &[String],
    depth: usize,
) -> Option<Option<String>> {
    if depth > 32 {
        return None;
    }
    match node.kind_name() {
        "call" => {
            let f = node.field(&fields::FUNCTION)?;
            let names = model.qualified_names(f, scope);
            names.iter().any(|n| calls.contains(n)).then_some(None)
        }
        "parenthesized_expression" => {
            after_site_call(model, node.named_child(0)?, scope, calls, depth + 1)
        }
        "binary_operator" => {
            if node.field(&fields::OPERATOR).map(|o| o.kind_name()) != Some("+") {
                return None;
            }
            let left = node.field(&fields::LEFT)?;
            match after_site_call(model, left, scope, calls, depth + 1)? {
                Some(text) => Some(Some(text)),
                None => {
                    let right = node.field(&fields::RIGHT)?;
                    Some(Some(constant_prefix(model, right, scope, depth + 1).0))
                }
            }
        }
        "string" => {
            // `f"{reverse('list')}?page={n}"`: the interpolation first, then its text.
            let parts: Vec<Node<'t>> = children(node)
                .into_iter()
                .filter(|p| !matches!(p.kind_name(), "string_start" | "string_end"))
                .collect();
            let first = parts.first()?;
            if first.kind_name() != "interpolation" {
                return None;
            }
            after_site_call(model, first.named_child(0)?, scope, calls, depth + 1)?;
            let mut text = String::new();
            for p in &parts[1..] {
                match p.kind_name() {
                    "string_content" => text.push_str(model.text(*p)),
                    _ => return Some(Some(text)),
                }
            }
            Some((!text.is_empty()).then_some(text))
        }
        "identifier" => match assigned(model, node, scope).as_slice() {
            [(value, home)] if value.id() != node.id() => {
                after_site_call(model, *value, *home, calls, depth + 1)
            }
            _ => None,
        },
        _ => None,
    }
}

/// Whether a constant expression spells a non-empty string: some string literal in it has
/// content.
fn nonempty_string<'t>(
    model: &Model<'t>,
    node: Node<'t>,
    scope: ScopeId,
    depth: usize,
    budget: &mut usize,
) -> bool {
    if depth > 32 || *budget == 0 {
        return false;
    }
    *budget -= 1;
    match node.kind_name() {
        "string" => matches!(literal(node, model.source), Some(Literal::Str(s)) if !s.is_empty()),
        "concatenated_string" | "parenthesized_expression" => children(node)
            .into_iter()
            .any(|k| nonempty_string(model, k, scope, depth + 1, budget)),
        "binary_operator" => [&fields::LEFT, &fields::RIGHT].iter().any(|f| {
            node.field(f)
                .is_some_and(|k| nonempty_string(model, k, scope, depth + 1, budget))
        }),
        "identifier" => {
            let values = assigned(model, node, scope);
            !values.is_empty()
                && values
                    .into_iter()
                    .all(|(v, s)| nonempty_string(model, v, s, depth + 1, budget))
        }
        _ => false,
    }
}

/// Whether `node` certainly evaluates to a constant: literals, and names, `+`, `%` and
/// implicit concatenations built only from them. Bounded in depth: deeper means "unknown".
pub fn is_constant<'t>(
    model: &Model<'t>,
    node: Node<'t>,
    scope: ScopeId,
    pos: usize,
    depth: usize,
) -> bool {
    let mut budget = MAX_VISITS;
    constant_within(model, node, scope, pos, depth, &mut budget)
}

/// [`is_constant`] within a budget of visited nodes: names rebound conditionally many times
/// over would otherwise make the check exponential in the nesting of their assignments.
fn constant_within<'t>(
    model: &Model<'t>,
    node: Node<'t>,
    scope: ScopeId,
    pos: usize,
    depth: usize,
    budget: &mut usize,
) -> bool {
    if depth > 32 || *budget == 0 {
        return false;
    }
    *budget -= 1;
    match node.kind_name() {
        "binary_operator" => {
            let (Some(l), Some(r)) = (node.field(&fields::LEFT), node.field(&fields::RIGHT)) else {
                return false;
            };
            constant_within(model, l, scope, pos, depth + 1, budget)
                && constant_within(model, r, scope, pos, depth + 1, budget)
        }
        "parenthesized_expression" | "concatenated_string" | "tuple" | "list" => {
            let mut cursor = node.walk();
            let kids: Vec<Node<'t>> = node.named_children(&mut cursor).collect();
            !kids.is_empty()
                && kids
                    .into_iter()
                    .all(|k| constant_within(model, k, scope, pos, depth + 1, budget))
        }
        "identifier" => {
            let name = model.text(node);
            match model.lookup(name, scope, pos) {
                Some((bindings, home)) => bindings.iter().all(|b| match b.kind {
                    crate::semantic::BindingKind::Assign(value) => {
                        constant_within(model, value, home, value.start_byte(), depth + 1, budget)
                    }
                    _ => false,
                }),
                None => false,
            }
        }
        _ => crate::semantic::literal(node, model.source).is_some(),
    }
}

fn literal_eq(have: &Literal, want: &Literal) -> bool {
    match (have, want) {
        // Python: True == 1 and False == 0.
        (Literal::Bool(b), Literal::Int(i)) | (Literal::Int(i), Literal::Bool(b)) => {
            i64::from(*b) == *i
        }
        _ => have == want,
    }
}
