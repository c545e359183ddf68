//! Statement-level interpretation of one function: assignments, branches, loops, `try`,
//! `with`, `match`, returns. Branches are analysed separately and joined (taint on any path
//! counts); loops run their body twice so loop-carried assignments are seen; code after a
//! `return`/`raise` is unreachable, which is what makes a failing guard sanitise.

use super::names::{callee_names, chain, dotted, params};
use super::trace::{Groups, Origin, State, Step, Taint, Val, either, join};
use super::{Entry, FileCtx, Hit};
use crate::fields::{self, FieldExt};
use crate::semantic::{ScopeId, ScopeKind};
use tree_sitter::Node;

/// Nesting of statements plus expressions that one frame follows; deeper code is skipped
/// (never a crash): real code stays far below it.
pub(super) const MAX_DEPTH: usize = 96;

/// The interpreter of one function body for one summary.
pub(crate) struct Frame<'c, 'a, 't> {
    pub cx: &'c FileCtx<'a, 't>,
    pub def: Node<'t>,
    pub scope: ScopeId,
    /// `None` when the current point is unreachable.
    pub state: Option<State>,
    pub returns: Option<Taint>,
    pub hits: Vec<Hit<'t>>,
    /// The joined states at every `return`, for the `self` attributes a method leaves.
    exits: Option<State>,
    /// For `self.method()` calls: the receiver name and the class scope.
    pub self_name: Option<&'t str>,
    pub class_scope: Option<ScopeId>,
    /// States at `break`/`continue` of the enclosing loops.
    loops: Vec<Vec<State>>,
    pub depth: usize,
    entry: Entry,
}

impl<'c, 'a, 't> Frame<'c, 'a, 't> {
    pub fn new(cx: &'c FileCtx<'a, 't>, def: Node<'t>, scope: ScopeId, entry: Entry) -> Self {
        let model = cx.model;
        let parent = model.scopes[scope].parent;
        let in_class = parent.filter(|p| model.scopes[*p].kind == ScopeKind::Class);
        let self_name = in_class.and_then(|_| params(model, def).first().map(|p| p.name));
        Frame {
            cx,
            def,
            scope,
            state: Some(State::new()),
            returns: None,
            hits: Vec::new(),
            exits: None,
            self_name,
            class_scope: in_class,
            loops: Vec::new(),
            depth: 0,
            entry,
        }
    }

    /// Sets up the entry state and interprets the body.
    pub fn run(&mut self) {
        let model = self.cx.model;
        if self.def.kind_name() != "function_definition" {
            // The module body: its statements, minus the bodies of defs and classes.
            self.block(self.def);
            return;
        }
        let mut entry = State::new();
        let (position, attrs) = match &self.entry {
            Entry::Own => {
                for (name, val) in self.cx.source_params(self.def, self.scope).iter() {
                    entry.insert(name.to_string(), val.clone());
                }
                (None, None)
            }
            Entry::Param(i) => (Some(*i), None),
            Entry::Carrier(i, attrs) => (Some(*i), Some(attrs.clone())),
            Entry::Fields(fields) => {
                if let Some(me) = self.self_name {
                    for f in fields.iter() {
                        let taint = Taint::new(Origin::Param(0), None, self.cx.active);
                        entry.insert(format!("{me}.{f}"), Val::tainted(taint));
                    }
                }
                (None, None)
            }
        };
        if let Some(i) = position
            && let Some(p) = params(model, self.def).get(i)
        {
            let taint = Taint::new(Origin::Param(i), None, self.cx.active);
            let val = match attrs {
                Some(attrs) => Val::carrier(attrs, taint),
                None => Val::tainted(taint),
            };
            entry.insert(p.name.to_string(), val);
        }
        self.state = Some(entry);
        if let Some(body) = self.def.field(&fields::BODY) {
            self.block(body);
        }
    }

    /// What the function returns and the sinks it reached.
    pub fn finish(self) -> (Option<Taint>, Vec<Hit<'t>>, Vec<(String, Taint)>) {
        let mut fields = Vec::new();
        if let Some(me) = self.self_name {
            let prefix = format!("{me}.");
            let exits = join(self.exits, self.state).unwrap_or_default();
            for (k, v) in exits {
                if let (Some(attr), Some(t)) = (k.strip_prefix(&prefix), v.plain) {
                    fields.push((attr.to_string(), t));
                }
            }
            fields.sort_by(|a, b| a.0.cmp(&b.0));
        }
        (self.returns, self.hits, fields)
    }

    /// A step at `node` with `note`.
    pub fn step(&self, node: Node, note: String) -> Step {
        Step {
            start: node.start_byte(),
            end: node.end_byte(),
            note,
            there: None,
        }
    }

    pub fn block(&mut self, node: Node<'t>) {
        if self.depth > MAX_DEPTH {
            if self.cx.too_deep.get().is_none() {
                self.cx.too_deep.set(Some(node.start_byte()));
            }
            return;
        }
        self.depth += 1;
        let mut cursor = node.walk();
        let stmts: Vec<Node<'t>> = node.named_children(&mut cursor).collect();
        for s in stmts {
            if self.state.is_none() || !self.cx.tick() {
                break;
            }
            self.stmt(s);
        }
        self.depth -= 1;
    }

    fn stmt(&mut self, n: Node<'t>) {
        match n.kind_name() {
            "expression_statement" => {
                let mut cursor = n.walk();
                let kids: Vec<Node<'t>> = n.named_children(&mut cursor).collect();
                for k in kids {
                    match k.kind_name() {
                        "assignment" => self.assignment(k),
                        "augmented_assignment" => self.augmented(k),
                        _ => {
                            self.eval(k);
                            if self.never_returns(k) {
                                self.state = None;
                            }
                        }
                    }
                }
            }
            "return_statement" => {
                if let Some(e) = n.named_child(0) {
                    let t = self.eval(e);
                    self.returns = either(self.returns.take(), t);
                }
                self.exits = join(self.exits.take(), self.state.take());
            }
            "raise_statement" => {
                self.eval_children(n);
                self.state = None;
            }
            "if_statement" => self.if_stmt(n),
            "for_statement" => self.for_stmt(n),
            "while_statement" => self.while_stmt(n),
            "try_statement" => self.try_stmt(n),
            "with_statement" => self.with_stmt(n),
            "match_statement" => self.match_stmt(n),
            "break_statement" | "continue_statement" => {
                if let (Some(s), Some(l)) = (self.state.take(), self.loops.last_mut()) {
                    l.push(s);
                }
            }
            "assert_statement" => {
                self.eval_children(n);
                if let Some(c) = n.named_child(0) {
                    let (clean, _) = self.guard(c);
                    self.clean(&clean);
                }
            }
            "function_definition" | "class_definition" | "decorated_definition" => {
                // Analysed as units of their own; the name now denotes them, not data.
                let def = if n.kind_name() == "decorated_definition" {
                    n.field(&fields::DEFINITION)
                } else {
                    Some(n)
                };
                if let Some(name) = def.and_then(|d| d.field(&fields::NAME)) {
                    let name = self.cx.model.text(name).to_string();
                    self.kill(&name);
                }
            }
            "import_statement"
            | "import_from_statement"
            | "future_import_statement"
            | "global_statement"
            | "nonlocal_statement"
            | "pass_statement"
            | "comment" => {}
            _ => {
                self.eval_children(n);
            }
        }
    }

    /// Whether `e` is a call to a function declared never to return (`abort(400)`).
    fn never_returns(&self, e: Node<'t>) -> bool {
        let exits = &self.cx.pass.exits;
        !exits.is_empty()
            && e.kind_name() == "call"
            && e.field(&fields::FUNCTION).is_some_and(|f| {
                callee_names(self.cx.model, f, self.scope)
                    .iter()
                    .any(|n| exits.contains(n))
            })
    }

    /// Removes, for the groups `groups`, `key` and every path under it: what a guard or a
    /// checker of those groups proves clean.
    pub fn clean_for(&mut self, key: &str, groups: Groups) {
        if groups & self.cx.active == self.cx.active {
            self.kill(key);
            return;
        }
        let Some(s) = self.state.as_mut() else {
            return;
        };
        let under: Vec<String> = std::iter::once(key.to_string())
            .chain(
                s.range(format!("{key}.")..format!("{key}/"))
                    .map(|(k, _)| k.clone()),
            )
            .collect();
        for k in under {
            let Some(v) = s.get(&k) else {
                continue;
            };
            if v.groups() & groups == 0 {
                continue;
            }
            match v.only(!groups) {
                Some(rest) => {
                    s.insert(k, rest);
                }
                None => {
                    s.remove(&k);
                }
            }
        }
    }

    /// Removes `key` and every path under it (`self.x` kills `self.x.y`).
    pub fn kill(&mut self, key: &str) {
        if let Some(s) = self.state.as_mut() {
            s.remove(key);
            // `key.` … `key/` (the byte after `.`) holds exactly the paths under `key`.
            let under: Vec<String> = s
                .range(format!("{key}.")..format!("{key}/"))
                .map(|(k, _)| k.clone())
                .collect();
            for k in under {
                s.remove(&k);
            }
        }
    }

    /// Binds `key` to `t` (or kills it when clean), noting the assignment at `at`.
    pub fn set(&mut self, key: String, t: Option<Taint>, at: Node<'t>) {
        self.kill(&key);
        if let (Some(t), Some(s)) = (t, self.state.as_ref()) {
            let _ = s;
            let t = t.then(self.step(at, format!("assigned to `{key}`")));
            if let Some(s) = self.state.as_mut() {
                s.insert(key, Val::tainted(t));
            }
        }
    }

    /// Marks `key` tainted without killing what it held (a container that received data):
    /// for the groups where it held tainted data already, it keeps that path.
    pub fn taint_weakly(&mut self, key: String, t: Taint, at: Node<'t>, note: &str) {
        let Some(s) = self.state.as_ref() else {
            return;
        };
        let old = s.get(&key);
        let already = old.and_then(|v| v.plain.as_ref()).map_or(0, Taint::groups);
        let Some(t) = t.only(!already) else {
            return;
        };
        let t = t.then(self.step(at, format!("{note} `{key}`")));
        let added = t.groups();
        // A request object of the groups now holding data becomes that data.
        let val = match old {
            None => Val::tainted(t),
            Some(v) => Val {
                plain: either(v.plain.clone(), Some(t)),
                carriers: (v.carriers.iter())
                    .filter_map(|(a, c)| Some((a.clone(), c.only(!added)?)))
                    .collect(),
            },
        };
        if let Some(s) = self.state.as_mut() {
            s.insert(key, val);
        }
    }

    fn clean(&mut self, keys: &[(String, Groups)]) {
        for (k, g) in keys {
            self.clean_for(k, *g);
        }
    }

    fn assignment(&mut self, n: Node<'t>) {
        let mut targets = Vec::new();
        let mut cur = n;
        let mut value = None;
        for _ in 0..64 {
            if let Some(l) = cur.field(&fields::LEFT) {
                targets.push(l);
            }
            match cur.field(&fields::RIGHT) {
                Some(r) if r.kind_name() == "assignment" => cur = r,
                other => {
                    value = other;
                    break;
                }
            }
        }
        let Some(value) = value else {
            return;
        };
        // `a, b = x, y` pairs elements; evaluate each element once.
        if targets.len() == 1 && is_sequence(targets[0]) && is_sequence(value) {
            let ts = named(targets[0]);
            let vs = named(value);
            if ts.len() == vs.len() && !vs.iter().any(|v| v.kind_name() == "list_splat") {
                for (t, v) in ts.into_iter().zip(vs) {
                    let taint = self.eval(v);
                    self.bind(t, taint);
                }
                return;
            }
        }
        let taint = self.eval(value);
        for t in targets {
            self.bind(t, taint.clone());
        }
    }

    fn augmented(&mut self, n: Node<'t>) {
        let (Some(l), Some(r)) = (n.field(&fields::LEFT), n.field(&fields::RIGHT)) else {
            return;
        };
        let old = self.eval(l);
        let new = self.eval(r);
        let t = either(old, new);
        if t.is_some() {
            self.bind(l, t);
        }
    }

    /// Assigns taint `t` to an assignment target.
    pub fn bind(&mut self, target: Node<'t>, t: Option<Taint>) {
        match target.kind_name() {
            "identifier" | "attribute" => {
                if let Some(key) = dotted(self.cx.model, target) {
                    self.set(key, t, target);
                }
            }
            "subscript" => {
                // `d[k] = v`: the container now holds tainted data.
                if let (Some(t), Some(base)) = (t, target.field(&fields::VALUE))
                    && let Some(key) = dotted(self.cx.model, base)
                {
                    self.taint_weakly(key, t, target, "stored into");
                }
            }
            k if is_unpacking(k) => {
                for k in named(target) {
                    self.bind(k, t.clone());
                }
            }
            _ => {}
        }
    }

    /// Runs `body` under `cond` (evaluated for its effects first) with what the condition
    /// validates cleaned; returns the state at the end of the body and leaves the state
    /// for the other way (condition false) current.
    fn guarded(&mut self, cond: Node<'t>, body: Option<Node<'t>>) -> Option<State> {
        self.eval(cond);
        let (when_true, when_false) = self.guard(cond);
        let base = self.state.take();
        self.state = base.clone();
        self.clean(&when_true);
        if let Some(body) = body {
            self.block(body);
        }
        let out = self.state.take();
        self.state = base;
        self.clean(&when_false);
        out
    }

    fn if_stmt(&mut self, n: Node<'t>) {
        let Some(cond) = n.field(&fields::CONDITION) else {
            return;
        };
        let mut out = self.guarded(cond, n.field(&fields::CONSEQUENCE));
        let mut cursor = n.walk();
        let alts: Vec<Node<'t>> = n
            .children_by_field_name("alternative", &mut cursor)
            .collect();
        for alt in alts {
            match alt.kind_name() {
                "elif_clause" => {
                    if let Some(c) = alt.field(&fields::CONDITION) {
                        let end = self.guarded(c, alt.field(&fields::CONSEQUENCE));
                        out = join(out, end);
                    }
                }
                "else_clause" => {
                    if let Some(body) = alt.field(&fields::BODY) {
                        self.block(body);
                    }
                }
                _ => {}
            }
        }
        self.state = join(out, self.state.take());
    }

    /// Runs a loop body twice from `pre`, joining every way out of it.
    fn loop_body(&mut self, body: Node<'t>, mut each: impl FnMut(&mut Self)) {
        let mut acc = self.state.take();
        self.loops.push(Vec::new());
        for _ in 0..2 {
            self.state = acc.clone();
            each(self);
            self.block(body);
            acc = join(acc, self.state.take());
            for s in self
                .loops
                .last_mut()
                .map(std::mem::take)
                .unwrap_or_default()
            {
                acc = join(acc, Some(s));
            }
        }
        self.loops.pop();
        self.state = acc;
    }

    fn for_stmt(&mut self, n: Node<'t>) {
        let iter = n.field(&fields::RIGHT).and_then(|r| self.eval(r));
        let left = n.field(&fields::LEFT);
        let note = left.map(|l| self.step(l, "iterated into loop variable".into()));
        let Some(body) = n.field(&fields::BODY) else {
            return;
        };
        self.loop_body(body, |f| {
            if let Some(l) = left {
                let t = iter.clone().zip(note.clone()).map(|(t, s)| t.then(s));
                f.bind(l, t);
            }
        });
        if let Some(alt) = n
            .field(&fields::ALTERNATIVE)
            .and_then(|a| a.field(&fields::BODY))
        {
            self.block(alt);
        }
    }

    fn while_stmt(&mut self, n: Node<'t>) {
        let cond = n.field(&fields::CONDITION);
        let Some(body) = n.field(&fields::BODY) else {
            return;
        };
        self.loop_body(body, |f| {
            if let Some(c) = cond {
                f.eval(c);
            }
        });
        if let Some(alt) = n
            .field(&fields::ALTERNATIVE)
            .and_then(|a| a.field(&fields::BODY))
        {
            self.block(alt);
        }
    }

    fn try_stmt(&mut self, n: Node<'t>) {
        let pre = self.state.clone();
        if let Some(body) = n.field(&fields::BODY) {
            self.block(body);
        }
        let after_body = self.state.take();
        // A handler may start anywhere in the body: before it, or after it.
        let handler_entry = join(pre, after_body.clone());
        let mut out = None;
        let mut finally = None;
        self.state = after_body;
        let mut cursor = n.walk();
        let kids: Vec<Node<'t>> = n.named_children(&mut cursor).collect();
        for k in &kids {
            if k.kind_name() == "else_clause"
                && let Some(b) = k.field(&fields::BODY)
            {
                self.block(b);
            }
        }
        out = join(out, self.state.take());
        for k in kids {
            match k.kind_name() {
                "except_clause" | "except_group_clause" => {
                    self.state = handler_entry.clone();
                    if let Some(alias) = k.field(&fields::ALIAS)
                        && let Some(key) = dotted(self.cx.model, alias)
                    {
                        self.kill(&key);
                    }
                    let mut c = k.walk();
                    let blocks: Vec<Node<'t>> = k
                        .named_children(&mut c)
                        .filter(|b| b.kind_name() == "block")
                        .collect();
                    for b in blocks {
                        self.block(b);
                    }
                    out = join(out, self.state.take());
                }
                "finally_clause" => finally = Some(k),
                _ => {}
            }
        }
        self.state = out;
        if let Some(f) = finally {
            let mut c = f.walk();
            let blocks: Vec<Node<'t>> = f
                .named_children(&mut c)
                .filter(|b| b.kind_name() == "block")
                .collect();
            if self.state.is_none() {
                // The finally block runs on the way out of returns and raises too.
                self.state = handler_entry;
                for b in blocks {
                    self.block(b);
                }
                self.state = None;
            } else {
                for b in blocks {
                    self.block(b);
                }
            }
        }
    }

    fn with_stmt(&mut self, n: Node<'t>) {
        let mut cursor = n.walk();
        let clauses: Vec<Node<'t>> = n
            .named_children(&mut cursor)
            .filter(|c| c.kind_name() == "with_clause")
            .collect();
        for clause in clauses {
            for item in named(clause) {
                let Some(value) = item.field(&fields::VALUE) else {
                    continue;
                };
                if value.kind_name() == "as_pattern" {
                    let expr = value.named_child(0);
                    let t = expr.and_then(|e| self.eval(e));
                    if let Some(alias) = value.field(&fields::ALIAS) {
                        self.bind(alias, t);
                    }
                } else {
                    self.eval(value);
                }
            }
        }
        if let Some(body) = n.field(&fields::BODY) {
            self.block(body);
        }
    }

    fn match_stmt(&mut self, n: Node<'t>) {
        if let Some(s) = n.field(&fields::SUBJECT) {
            self.eval(s);
        }
        let pre = self.state.clone();
        let mut out = pre.clone();
        if let Some(body) = n.field(&fields::BODY) {
            for case in named(body)
                .into_iter()
                .filter(|c| c.kind_name() == "case_clause")
            {
                self.state = pre.clone();
                if let Some(b) = case.field(&fields::CONSEQUENCE) {
                    self.block(b);
                }
                out = join(out, self.state.take());
            }
        }
        self.state = out;
    }

    /// Evaluates every named child of `n` for its effects (sinks, walrus).
    pub fn eval_children(&mut self, n: Node<'t>) -> Option<Taint> {
        let mut t = None;
        for k in named(n) {
            let r = self.eval(k);
            t = either(t, r);
        }
        t
    }

    /// For `self.method(...)`: the receiver name of this method.
    pub fn is_self(&self, e: Node<'t>) -> bool {
        self.self_name
            .is_some_and(|s| e.kind_name() == "identifier" && self.cx.model.text(e) == s)
    }

    /// The attribute chain of `e` with its root, if plain.
    pub fn chain(&self, e: Node<'t>) -> Option<(&'t str, Vec<&'t str>)> {
        chain(self.cx.model, e)
    }
}

/// Named children of a node.
pub(super) fn named(n: Node) -> Vec<Node> {
    let mut cursor = n.walk();
    n.named_children(&mut cursor).collect()
}

/// Assignment targets that bind each of their elements (`a, (b, *c) = …`).
pub(super) fn is_unpacking(kind: &str) -> bool {
    matches!(
        kind,
        "pattern_list"
            | "tuple_pattern"
            | "list_pattern"
            | "tuple"
            | "list"
            | "expression_list"
            | "list_splat_pattern"
            | "list_splat"
            | "parenthesized_expression"
            | "as_pattern_target"
    )
}

fn is_sequence(n: Node) -> bool {
    matches!(
        n.kind_name(),
        "pattern_list" | "tuple_pattern" | "list_pattern" | "tuple" | "list" | "expression_list"
    )
}
