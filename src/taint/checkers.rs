//! Raising checkers: a function of the scanned project that tests its argument and raises
//! when the test fails (`validate_upload_url(url)`, `check_avatar(files)`). A call that
//! returns normally proves the test passed, so for the rules that trust checkers (their
//! `checkers = true`) the argument is clean after the call and the call returns no taint
//! of it.
//!
//! A function counts for parameter `p` when its name starts with one of the
//! `checker_prefixes` (leading underscores ignored) and every normal way out of it (a
//! `return`, or the end of the body) comes after a passed test on `p`:
//! - an `if` (or `elif`) whose condition reads `p` or a local computed from it, and whose
//!   other branch always raises (`raise`, a call that never returns such as `abort(400)`)
//!   or, in the same module, calls a function that checks that value;
//! - `assert` of such a condition;
//! - or the branch where `p` is empty (`if not files: return None`: an empty value
//!   carries nothing), through `list(...)`, `.items()` and other conversions that keep
//!   emptiness.
//!
//! A test that only asks whether the value is present or of a type (`if not url`,
//! `x is None`, `isinstance`) validates nothing. A test inside a loop may not run; one
//! inside a branch on something else may not run either; a raise inside `try` whose
//! handler falls through is caught. Such functions are not checkers.

use super::binding::{bindings, owned_sig, whole};
use super::expr::Arg;
use super::flow::{Frame, is_unpacking, named};
use super::names::{callee_names, chain, dotted};
use super::trace::{Groups, Val};
use crate::fields::{self, FieldExt};
use crate::project::module_summary::ParamKind;
use crate::semantic::{BindingKind, Model, ScopeId};
use std::collections::HashSet;
use std::rc::Rc;
use tree_sitter::Node;

/// Nodes looked at per function before giving up (a checker is short).
const MAX_NODES: usize = 5_000;

/// Rounds of "a local computed from a value computed from the parameter".
const MAX_ROUNDS: usize = 8;

/// How deep checkers calling checkers of the same module are followed.
const MAX_HELPER_DEPTH: usize = 3;

/// Whether a function called `name` is named like a checker.
pub fn named_checker(name: &str, prefixes: &[String]) -> bool {
    let lower = name.trim_start_matches('_').to_ascii_lowercase();
    prefixes.iter().any(|p| lower.starts_with(p.as_str()))
}

/// The positions of the parameters `def` (a `function_definition` whose scope is `scope`)
/// checks, when its name is a checker's; `exits` are the calls that never return.
pub fn checked_params<'t>(
    model: &Model<'t>,
    def: Node<'t>,
    scope: ScopeId,
    prefixes: &[String],
    exits: &HashSet<String>,
) -> Vec<usize> {
    let Some(name) = def.field(&fields::NAME).map(|n| model.text(n)) else {
        return Vec::new();
    };
    if !named_checker(name, prefixes) {
        return Vec::new();
    }
    let params = super::names::params(model, def);
    params
        .iter()
        .enumerate()
        .filter(|(_, p)| p.name != "self" && p.name != "cls")
        .filter(|(i, _)| checks(model, def, scope, *i, exits, 0))
        .map(|(i, _)| i)
        .collect()
}

/// Whether every normal exit of `def` comes after a passed test on its parameter `index`.
fn checks<'t>(
    model: &Model<'t>,
    def: Node<'t>,
    scope: ScopeId,
    index: usize,
    exits: &HashSet<String>,
    depth: usize,
) -> bool {
    let params = super::names::params(model, def);
    let Some(p) = params.get(index) else {
        return false;
    };
    let Some(body) = def.field(&fields::BODY) else {
        return false;
    };
    let mut budget = MAX_NODES;
    let Some((derived, empty)) = derived_names(model, body, p.name, &mut budget) else {
        return false;
    };
    let mut w = Walk {
        model,
        scope,
        exits,
        derived,
        empty,
        depth,
        budget,
        exits_seen: 0,
        all_checked: true,
    };
    let end = w.block(body, Some(false));
    if let Some(checked) = end {
        w.exit(checked);
    }
    w.budget > 0 && w.exits_seen > 0 && w.all_checked
}

/// The names holding values computed from parameter `p` (`p` included), and those that are
/// empty exactly when `p` is (`images = list(files.items())`). `None` past the budget.
fn derived_names<'t>(
    model: &Model<'t>,
    body: Node<'t>,
    p: &'t str,
    budget: &mut usize,
) -> Option<(HashSet<&'t str>, HashSet<&'t str>)> {
    let mut binds: Vec<(Vec<&'t str>, Node<'t>)> = Vec::new();
    let mut stack = vec![body];
    while let Some(n) = stack.pop() {
        *budget = budget.checked_sub(1)?;
        let pair = match n.kind_name() {
            "function_definition" | "class_definition" | "lambda" => continue,
            "assignment" | "augmented_assignment" | "for_statement" => {
                n.field(&fields::LEFT).zip(n.field(&fields::RIGHT))
            }
            "named_expression" => n.field(&fields::NAME).zip(n.field(&fields::VALUE)),
            "as_pattern" => n.field(&fields::ALIAS).zip(n.named_child(0)),
            _ => None,
        };
        if let Some((target, value)) = pair {
            let mut names = Vec::new();
            target_names(model, target, &mut names);
            binds.push((names, value));
        }
        stack.extend(named(n));
    }
    let mut derived: HashSet<&'t str> = HashSet::from([p]);
    let mut empty: HashSet<&'t str> = HashSet::from([p]);
    for _ in 0..MAX_ROUNDS {
        let mut grew = false;
        for (names, value) in &binds {
            if mentions(model, *value, &derived, budget)? {
                for n in names {
                    grew |= derived.insert(n);
                }
            }
            if names.len() == 1 && keeps_emptiness(model, *value, &empty) {
                grew |= empty.insert(names[0]);
            }
        }
        if !grew {
            break;
        }
    }
    Some((derived, empty))
}

/// The plain names an assignment target binds.
fn target_names<'t>(model: &Model<'t>, t: Node<'t>, out: &mut Vec<&'t str>) {
    match t.kind_name() {
        "identifier" => out.push(model.text(t)),
        k if is_unpacking(k) => {
            for k in named(t) {
                target_names(model, k, out);
            }
        }
        _ => {}
    }
}

/// Whether `e` reads one of `names` (attribute names and keywords are not reads).
/// `None` past the budget.
fn mentions<'t>(
    model: &Model<'t>,
    e: Node<'t>,
    names: &HashSet<&str>,
    budget: &mut usize,
) -> Option<bool> {
    let mut stack = vec![e];
    while let Some(n) = stack.pop() {
        *budget = budget.checked_sub(1)?;
        match n.kind_name() {
            "identifier" if names.contains(model.text(n)) => return Some(true),
            "attribute" => stack.extend(n.field(&fields::OBJECT)),
            "keyword_argument" => stack.extend(n.field(&fields::VALUE)),
            "lambda" => {}
            _ => stack.extend(named(n)),
        }
    }
    Some(false)
}

/// Whether `e` is empty exactly when one of `names` is: the name itself, or a conversion
/// or view of such a value (`list(x)`, `x.items()`, `list(x.items())`, `len(x)`).
fn keeps_emptiness(model: &Model, e: Node, names: &HashSet<&str>) -> bool {
    match e.kind_name() {
        "identifier" => names.contains(model.text(e)),
        "parenthesized_expression" => e
            .named_child(0)
            .is_some_and(|x| keeps_emptiness(model, x, names)),
        "call" => {
            let Some(f) = e.field(&fields::FUNCTION) else {
                return false;
            };
            let args = e.field(&fields::ARGUMENTS).map(named).unwrap_or_default();
            match f.kind_name() {
                "identifier" => {
                    matches!(
                        model.text(f),
                        "list" | "tuple" | "set" | "frozenset" | "dict" | "sorted" | "len"
                    ) && args.len() == 1
                        && keeps_emptiness(model, args[0], names)
                }
                "attribute" => {
                    args.is_empty()
                        && f.field(&fields::ATTRIBUTE).is_some_and(|a| {
                            matches!(model.text(a), "items" | "keys" | "values" | "copy")
                        })
                        && f.field(&fields::OBJECT)
                            .is_some_and(|o| keeps_emptiness(model, o, names))
                }
                _ => false,
            }
        }
        _ => false,
    }
}

/// The walk over one function body for one parameter: the state is whether the current
/// path has passed a test on it (`None`: unreachable).
struct Walk<'m, 't> {
    model: &'m Model<'t>,
    scope: ScopeId,
    exits: &'m HashSet<String>,
    derived: HashSet<&'t str>,
    empty: HashSet<&'t str>,
    depth: usize,
    budget: usize,
    exits_seen: usize,
    all_checked: bool,
}

/// Paths meet: checked only when checked on each reachable one.
fn meet(a: Option<bool>, b: Option<bool>) -> Option<bool> {
    match (a, b) {
        (None, x) | (x, None) => x,
        (Some(a), Some(b)) => Some(a && b),
    }
}

impl<'t> Walk<'_, 't> {
    fn exit(&mut self, checked: bool) {
        self.exits_seen += 1;
        self.all_checked &= checked;
    }

    fn tick(&mut self) -> bool {
        match self.budget.checked_sub(1) {
            Some(b) => {
                self.budget = b;
                true
            }
            None => false,
        }
    }

    fn block(&mut self, node: Node<'t>, mut st: Option<bool>) -> Option<bool> {
        for s in named(node) {
            let Some(checked) = st else { break };
            if !self.tick() {
                self.all_checked = false;
                return None;
            }
            st = self.stmt(s, checked);
        }
        st
    }

    fn stmt(&mut self, n: Node<'t>, st: bool) -> Option<bool> {
        match n.kind_name() {
            "return_statement" => {
                self.exit(st);
                None
            }
            "raise_statement" => None,
            "expression_statement" => {
                let e = n.named_child(0)?;
                if self.never_returns(e) {
                    return None;
                }
                Some(st || self.calls_checker(e))
            }
            "assert_statement" => {
                let proves = n.named_child(0).is_some_and(|c| self.validates(c));
                Some(st || proves)
            }
            "if_statement" => {
                let mut cursor = n.walk();
                let alts: Vec<Node<'t>> = n
                    .children_by_field_name("alternative", &mut cursor)
                    .collect();
                self.branches(
                    n.field(&fields::CONDITION),
                    n.field(&fields::CONSEQUENCE),
                    &alts,
                    st,
                )
            }
            "for_statement" | "while_statement" => {
                // The body may run no time: what it tests proves nothing after the loop,
                // but its returns are exits.
                if let Some(body) = n.field(&fields::BODY) {
                    self.block(body, Some(st));
                }
                if let Some(alt) = n
                    .field(&fields::ALTERNATIVE)
                    .and_then(|a| a.field(&fields::BODY))
                {
                    self.block(alt, Some(st));
                }
                Some(st)
            }
            "try_statement" => self.try_stmt(n, st),
            "with_statement" => match n.field(&fields::BODY) {
                Some(body) => self.block(body, Some(st)),
                None => Some(st),
            },
            "match_statement" => {
                let mut out = Some(st);
                if let Some(body) = n.field(&fields::BODY) {
                    for case in named(body) {
                        if let Some(b) = case.field(&fields::CONSEQUENCE) {
                            let end = self.block(b, Some(st));
                            out = meet(out, end);
                        }
                    }
                }
                out
            }
            // `break`/`continue` leave the loop, which ends as it started (see above).
            "break_statement" | "continue_statement" => None,
            _ => Some(st),
        }
    }

    /// An `if` with its `elif`/`else` alternatives (`alts`), from state `st`.
    fn branches(
        &mut self,
        cond: Option<Node<'t>>,
        then: Option<Node<'t>>,
        alts: &[Node<'t>],
        st: bool,
    ) -> Option<bool> {
        let (Some(cond), Some(then)) = (cond, then) else {
            return Some(st);
        };
        let validates = self.validates(cond);
        let empty_side = self.empty_side(cond);
        let else_raises = match alts.first() {
            Some(a) if a.kind_name() == "else_clause" => a
                .field(&fields::BODY)
                .is_some_and(|b| self.always_raises(b)),
            _ => false,
        };
        let then_raises = self.always_raises(then);
        let then_entry = st || (validates && else_raises) || empty_side == Some(true);
        let other_entry = st || (validates && then_raises) || empty_side == Some(false);
        let end = self.block(then, Some(then_entry));
        let rest = match alts.split_first() {
            None => Some(other_entry),
            Some((a, more)) if a.kind_name() == "elif_clause" => self.branches(
                a.field(&fields::CONDITION),
                a.field(&fields::CONSEQUENCE),
                more,
                other_entry,
            ),
            Some((a, _)) => match a.field(&fields::BODY) {
                Some(b) => self.block(b, Some(other_entry)),
                None => Some(other_entry),
            },
        };
        meet(end, rest)
    }

    fn try_stmt(&mut self, n: Node<'t>, st: bool) -> Option<bool> {
        let mut end = n
            .field(&fields::BODY)
            .map_or(Some(st), |b| self.block(b, Some(st)));
        let kids = named(n);
        for k in &kids {
            if k.kind_name() == "else_clause"
                && let Some(b) = k.field(&fields::BODY)
            {
                end = self.block(b, end);
            }
        }
        for k in &kids {
            if matches!(k.kind_name(), "except_clause" | "except_group_clause") {
                // A handler may start before any test of the body ran.
                for b in named(*k).into_iter().filter(|b| b.kind_name() == "block") {
                    let h = self.block(b, Some(st));
                    end = meet(end, h);
                }
            }
        }
        for k in &kids {
            if k.kind_name() == "finally_clause" {
                for b in named(*k).into_iter().filter(|b| b.kind_name() == "block") {
                    match end {
                        Some(_) => end = self.block(b, end),
                        None => {
                            self.block(b, Some(st));
                        }
                    }
                }
            }
        }
        end
    }

    /// Whether every way through `block` raises (no return, break or continue in it, and
    /// it ends in a raise, a call that never returns, or an `if`/`else` each of whose
    /// branches does).
    fn always_raises(&self, block: Node<'t>) -> bool {
        let mut stack = vec![block];
        let mut seen = 0;
        while let Some(n) = stack.pop() {
            seen += 1;
            if seen > MAX_NODES {
                return false;
            }
            match n.kind_name() {
                "return_statement" | "break_statement" | "continue_statement" => return false,
                "function_definition" | "class_definition" | "lambda" => {}
                _ => stack.extend(named(n)),
            }
        }
        self.ends_in_raise(block, 0)
    }

    fn ends_in_raise(&self, block: Node<'t>, depth: usize) -> bool {
        if depth > 16 {
            return false;
        }
        let Some(last) = named(block)
            .into_iter()
            .rev()
            .find(|s| s.kind_name() != "comment")
        else {
            return false;
        };
        match last.kind_name() {
            "raise_statement" => true,
            "expression_statement" => last.named_child(0).is_some_and(|e| self.never_returns(e)),
            "if_statement" => {
                let mut cursor = last.walk();
                let alts: Vec<Node<'t>> = last
                    .children_by_field_name("alternative", &mut cursor)
                    .collect();
                alts.iter().any(|a| a.kind_name() == "else_clause")
                    && last
                        .field(&fields::CONSEQUENCE)
                        .is_some_and(|b| self.ends_in_raise(b, depth + 1))
                    && alts.iter().all(|a| {
                        let body = match a.kind_name() {
                            "elif_clause" => a.field(&fields::CONSEQUENCE),
                            _ => a.field(&fields::BODY),
                        };
                        body.is_some_and(|b| self.ends_in_raise(b, depth + 1))
                    })
            }
            _ => false,
        }
    }

    fn never_returns(&self, e: Node<'t>) -> bool {
        !self.exits.is_empty()
            && e.kind_name() == "call"
            && e.field(&fields::FUNCTION).is_some_and(|f| {
                callee_names(self.model, f, self.scope)
                    .iter()
                    .any(|n| self.exits.contains(n))
            })
    }

    /// `helper(v)` with `v` computed from the parameter and `helper` a function of this
    /// module that checks the argument it is given there (`validate_ip(ip)`).
    fn calls_checker(&mut self, e: Node<'t>) -> bool {
        if e.kind_name() != "call" || self.depth >= MAX_HELPER_DEPTH {
            return false;
        }
        let Some(f) = e
            .field(&fields::FUNCTION)
            .filter(|f| f.kind_name() == "identifier")
        else {
            return false;
        };
        let model = self.model;
        let Some((bindings, _)) = model.lookup(model.text(f), self.scope, f.start_byte()) else {
            return false;
        };
        let Some(def) = bindings.iter().find_map(|b| match b.kind {
            BindingKind::Def(d) => Some(d),
            _ => None,
        }) else {
            return false;
        };
        let Some(scope) = model.scopes.iter().position(|s| s.node.id() == def.id()) else {
            return false;
        };
        let plist = super::names::params(model, def);
        let args = e.field(&fields::ARGUMENTS).map(named).unwrap_or_default();
        let mut pos = 0;
        for a in args {
            let (idx, value) = match a.kind_name() {
                "keyword_argument" => {
                    let name = a.field(&fields::NAME).map(|n| model.text(n));
                    (
                        plist.iter().position(|p| Some(p.name) == name),
                        a.field(&fields::VALUE),
                    )
                }
                "list_splat" | "dictionary_splat" => return false,
                "comment" => continue,
                _ => {
                    pos += 1;
                    (Some(pos - 1), Some(a))
                }
            };
            let (Some(idx), Some(value)) = (idx, value) else {
                continue;
            };
            let mut budget = self.budget;
            let reads = mentions(model, value, &self.derived, &mut budget) == Some(true);
            self.budget = budget;
            if reads && checks(model, def, scope, idx, self.exits, self.depth + 1) {
                return true;
            }
        }
        false
    }

    /// Whether `cond` tests a value computed from the parameter by more than its presence
    /// or type.
    fn validates(&mut self, cond: Node<'t>) -> bool {
        match cond.kind_name() {
            "parenthesized_expression" | "not_operator" => {
                named(cond).into_iter().any(|c| self.validates(c))
            }
            "boolean_operator" => [&fields::LEFT, &fields::RIGHT]
                .iter()
                .filter_map(|f| cond.field(f))
                .any(|c| self.validates(c)),
            "identifier" | "attribute" | "subscript" => false,
            "comparison_operator" => {
                let ops = named(cond);
                let none_test = ops.iter().any(|o| o.kind_name() == "none");
                !none_test && self.reads(cond)
            }
            "call" => {
                let f = cond.field(&fields::FUNCTION);
                let name = f
                    .filter(|f| f.kind_name() == "identifier")
                    .map(|f| self.model.text(f));
                !matches!(
                    name,
                    Some("isinstance" | "issubclass" | "callable" | "hasattr" | "bool" | "len")
                ) && self.reads(cond)
            }
            _ => self.reads(cond),
        }
    }

    fn reads(&mut self, e: Node<'t>) -> bool {
        let mut budget = self.budget;
        let r = mentions(self.model, e, &self.derived, &mut budget) == Some(true);
        self.budget = budget;
        r
    }

    /// Which way of `cond` proves the parameter empty: `Some(true)` for `if not files:`,
    /// `Some(false)` for `if files:`.
    fn empty_side(&self, cond: Node<'t>) -> Option<bool> {
        match cond.kind_name() {
            "parenthesized_expression" => cond.named_child(0).and_then(|c| self.empty_side(c)),
            "not_operator" => cond
                .field(&fields::ARGUMENT)
                .and_then(|c| self.empty_side(c))
                .map(|s| !s),
            "boolean_operator" => {
                let l = cond.field(&fields::LEFT).and_then(|c| self.empty_side(c));
                let r = cond.field(&fields::RIGHT).and_then(|c| self.empty_side(c));
                let and = cond
                    .field(&fields::OPERATOR)
                    .is_some_and(|o| o.kind_name() == "and");
                // `a and b` true proves either side's truth; false proves only what
                // both falsehoods prove (and `or` mirrors it).
                match (and, l, r) {
                    (true, Some(true), _) | (true, _, Some(true)) => Some(true),
                    (true, Some(false), Some(false)) => Some(false),
                    (false, Some(false), _) | (false, _, Some(false)) => Some(false),
                    (false, Some(true), Some(true)) => Some(true),
                    _ => None,
                }
            }
            "comparison_operator" => {
                let ops = named(cond);
                let mut cursor = cond.walk();
                let kinds: Vec<&str> = cond
                    .children_by_field_name("operators", &mut cursor)
                    .map(|o| o.kind_name())
                    .collect();
                match (ops.as_slice(), kinds.as_slice()) {
                    ([x, n], ["is"]) if n.kind_name() == "none" && self.is_empty_alias(*x) => {
                        Some(true)
                    }
                    ([x, n], ["is not"]) if n.kind_name() == "none" && self.is_empty_alias(*x) => {
                        Some(false)
                    }
                    _ => None,
                }
            }
            _ => self.is_empty_alias(cond).then_some(false),
        }
    }

    fn is_empty_alias(&self, e: Node<'t>) -> bool {
        keeps_emptiness(self.model, e, &self.empty)
    }
}

impl<'t> Frame<'_, '_, 't> {
    /// The indices in `args` of the arguments the callee `f` checks, with the groups that
    /// trust raising checkers: a function of this file, or of another module by its
    /// summary.
    pub(super) fn checked_args(&self, f: Node<'t>, args: &[Arg<'t>]) -> (Vec<usize>, Groups) {
        let cx = self.cx;
        let trusting = cx.pass.checkers & cx.active;
        if trusting == 0 || cx.pass.checker_prefixes.is_empty() {
            return (Vec::new(), 0);
        }
        (self.checked_indices(f, args), trusting)
    }

    fn checked_indices(&self, f: Node<'t>, args: &[Arg<'t>]) -> Vec<usize> {
        let cx = self.cx;
        if let Some((def, offset)) = self.local_callee(f) {
            let checked = cx.checked_params(def);
            if checked.is_empty() {
                return Vec::new();
            }
            let sig = super::names::sig(&super::names::params(cx.model, def));
            return checked_by(args, offset, &sig, &checked);
        }
        let Some(view) = cx.project else {
            return Vec::new();
        };
        let Some((t, segs, instance)) = super::external::target(cx, self.scope, f) else {
            return Vec::new();
        };
        let segs: Vec<&str> = segs.iter().map(String::as_str).collect();
        let Some(callee) = view.callee(t, &segs, instance.is_some()) else {
            return Vec::new();
        };
        let offset = usize::from(callee.implicit_first);
        let sig = owned_sig(&callee.func.params, &callee.func.kinds);
        checked_by(args, offset, &sig, &callee.func.checks)
    }

    /// After a checker returned, for the groups `groups`: the checked value is clean, and
    /// so is the checked attribute of a request object (`check_avatar(request.FILES)`
    /// leaves `request.FILES` clean, `request.GET` not).
    pub(super) fn clean_checked(&mut self, arg: Node<'t>, groups: Groups) {
        let model = self.cx.model;
        if groups == 0 {
            return;
        }
        let Some(key) = dotted(model, arg) else {
            return;
        };
        let Some(state) = self.state.as_mut() else {
            return;
        };
        // The value itself, not what was stored under it: a check of `user` says nothing
        // of the `user.bio` set before.
        if let Some(v) = state.get(&key) {
            match v.only(!groups) {
                Some(rest) => state.insert(key, rest),
                None => state.remove(&key),
            };
        }
        let Some((root, segs)) = chain(model, arg) else {
            return;
        };
        if segs.is_empty() {
            return;
        }
        let Some(v) = state.get(root) else {
            return;
        };
        let mut carriers = Vec::new();
        let mut changed = false;
        for (attrs, taint) in &v.carriers {
            let kept: Vec<Vec<String>> = attrs
                .iter()
                .filter(|a| !(a.len() >= segs.len() && a.iter().zip(&segs).all(|(x, y)| x == y)))
                .cloned()
                .collect();
            if kept.len() < attrs.len() && taint.groups() & groups != 0 {
                changed = true;
                if let Some(t) = taint.only(groups) {
                    carriers.push((Rc::new(kept), t));
                }
                if let Some(t) = taint.only(!groups) {
                    carriers.push((attrs.clone(), t));
                }
            } else {
                carriers.push((attrs.clone(), taint.clone()));
            }
        }
        if changed {
            let val = Val {
                plain: v.plain.clone(),
                carriers,
            };
            state.insert(root.to_string(), val);
        }
    }
}

/// The indices of the arguments that are, whole, a parameter a checker checks (`*args` and
/// `**kwargs` hold more than the one value checked, and a splat may fill another one).
fn checked_by(
    args: &[Arg],
    offset: usize,
    sig: &[(&str, ParamKind)],
    checked: &[usize],
) -> Vec<usize> {
    let bound = bindings(args, offset, offset, sig);
    let mut out: Vec<usize> = (bound.iter())
        .filter(|&&(ai, i)| checked.contains(&i) && whole(&args[ai].key, sig[i].1))
        .map(|&(ai, _)| ai)
        .collect();
    out.dedup();
    out
}
