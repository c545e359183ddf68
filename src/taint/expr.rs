//! Expression-level propagation: which expressions carry taint, sources, sink checks,
//! sanitizers, propagators and calls to functions of the same file.

use super::binding::{self, shown, whole};
use super::flow::{Frame, MAX_DEPTH, named};
use super::names::{callee_names, def_in, dotted, is_super_call, params, sig};
use super::pass::Pass;
use super::trace::{Attrs, Groups, Taint, either};
use super::{Entry, Hit};
use crate::engine::{ArgState, find_arg, holds};
use crate::fields::{self, FieldExt};
use crate::semantic::BindingKind;
use std::rc::Rc;
use tree_sitter::Node;

/// A sink name with its (rule, sink) pairs, and whether it matched by method name alone.
type SinkCandidate<'a> = (String, &'a [(usize, usize)], bool);

/// Object-method calls deeper in an expression than this are not followed: their
/// constructor arguments are evaluated a second time.
const MAX_OBJECT_DEPTH: usize = 12;

/// Programs whose `-c` argument is a command line they run.
const SHELLS: &[&str] = &[
    "sh",
    "bash",
    "dash",
    "zsh",
    "ksh",
    "csh",
    "tcsh",
    "fish",
    "ash",
    "busybox",
    "cmd",
    "powershell",
    "pwsh",
];

/// Longest expression text quoted in a path step.
const MAX_QUOTE: usize = 60;

/// How an argument was passed.
#[derive(Debug, Clone)]
pub(super) enum ArgKey<'t> {
    Pos(usize),
    Kw(&'t str),
    /// `*xs` at this position, or a positional argument after one: it may fill any
    /// positional parameter from there on.
    Star(usize),
    /// `**d`: it may fill any parameter passed by keyword.
    DoubleStar,
}

/// One evaluated argument.
#[derive(Debug, Clone)]
pub(super) struct Arg<'t> {
    pub node: Node<'t>,
    pub key: ArgKey<'t>,
    pub taint: Option<Taint>,
    /// For a list or tuple display: the taint of its first element.
    head: Option<Taint>,
    /// The groups the argument is passed for (a raising checker keeps the argument it
    /// checks from the groups that trust checkers).
    pub groups: Groups,
}

impl Arg<'_> {
    /// The argument as passed for the groups in `keep` only.
    pub fn only(&self, keep: Groups) -> Self {
        Arg {
            taint: self.taint.as_ref().and_then(|t| t.only(keep)),
            head: self.head.as_ref().and_then(|t| t.only(keep)),
            groups: self.groups & keep,
            ..self.clone()
        }
    }
}

impl<'t> Frame<'_, '_, 't> {
    /// The taint of `e`'s value, evaluating nested calls for sinks on the way.
    /// Runs `f`, keeping the hits it records only for the rules of `groups`: work done for
    /// some groups alone (after a sanitizer of the others) reports for them alone.
    pub fn within<R>(&mut self, groups: Groups, f: impl FnOnce(&mut Self) -> R) -> R {
        let mark = self.hits.len();
        let r = f(self);
        if groups & self.cx.active != self.cx.active && self.hits.len() > mark {
            let pass = self.cx.pass;
            let kept: Vec<Hit<'t>> = (self.hits.drain(mark..))
                .filter(|h| pass.group_of(h.rule) & groups != 0)
                .collect();
            self.hits.extend(kept);
        }
        r
    }

    pub fn eval(&mut self, e: Node<'t>) -> Option<Taint> {
        if self.depth > MAX_DEPTH {
            if self.cx.too_deep.get().is_none() {
                self.cx.too_deep.set(Some(e.start_byte()));
            }
            return None;
        }
        self.depth += 1;
        let t = self.eval_inner(e);
        self.depth -= 1;
        t
    }

    fn eval_inner(&mut self, e: Node<'t>) -> Option<Taint> {
        match e.kind_name() {
            "identifier" => self
                .state
                .as_ref()?
                .get(self.cx.model.text(e))?
                .plain
                .clone(),
            "attribute" => self.attribute(e),
            "call" => self.call(e),
            "subscript" => {
                let base = e.field(&fields::VALUE).and_then(|v| self.eval(v));
                let mut cursor = e.walk();
                let subs: Vec<Node<'t>> =
                    e.children_by_field_name("subscript", &mut cursor).collect();
                for s in subs {
                    self.eval(s);
                }
                base
            }
            "comparison_operator" | "not_operator" | "lambda" => {
                self.eval_children(e);
                None
            }
            "conditional_expression" => {
                let kids = named(e);
                let mut t = None;
                for (i, k) in kids.into_iter().enumerate() {
                    let r = self.eval(k);
                    if i != 1 {
                        t = either(t, r);
                    }
                }
                t
            }
            "named_expression" => {
                let t = e.field(&fields::VALUE).and_then(|v| self.eval(v));
                if let Some(name) = e.field(&fields::NAME) {
                    self.bind(name, t.clone());
                }
                t
            }
            "list_comprehension"
            | "set_comprehension"
            | "generator_expression"
            | "dictionary_comprehension" => self.comprehension(e),
            "keyword_argument" => e.field(&fields::VALUE).and_then(|v| self.eval(v)),
            "string"
            | "concatenated_string"
            | "interpolation"
            | "binary_operator"
            | "boolean_operator"
            | "unary_operator"
            | "parenthesized_expression"
            | "await"
            | "list"
            | "tuple"
            | "set"
            | "dictionary"
            | "pair"
            | "expression_list"
            | "list_splat"
            | "dictionary_splat"
            | "slice"
            | "format_expression"
            | "yield" => self.eval_children(e),
            _ => None,
        }
    }

    /// For an argument list `[shell, "-c", command, …]` with a literal shell name, the
    /// index of the command element.
    /// The taint of a list or tuple literal and of the elements that choose the program
    /// when it is an argv (the first, and the command line after a shell's `-c`).
    fn list_taint(&mut self, value: Node<'t>) -> (Option<Taint>, Option<Taint>) {
        let mut taint = None;
        let mut head = None;
        let els = named(value);
        // `["sh", "-c", cmd]`: the element after the shell's `-c` is a command line
        // the shell runs, so it chooses the program as much as a first element.
        let command_at = self.shell_command_index(&els);
        for (i, el) in els.into_iter().enumerate() {
            let t = self.eval(el);
            if i == 0 || Some(i) == command_at {
                head = either(head, t.clone());
            }
            taint = either(taint, t);
        }
        (taint, head)
    }

    /// The non-empty list or tuple literal a local name is bound to, when that is the name's
    /// only binding in this function and no element is replaced or inserted in front
    /// (`cmd[0] = x`, `cmd.insert(0, x)`): then its first element is the literal's.
    fn fixed_list(&self, value: Node<'t>) -> Option<Node<'t>> {
        let model = self.cx.model;
        if value.kind_name() != "identifier" {
            return None;
        }
        let name = model.text(value);
        let (_, scope) = model.lookup(name, self.scope, value.start_byte())?;
        if scope != self.scope {
            return None;
        }
        let [binding] = model.scopes[scope].bindings.get(name)? else {
            return None;
        };
        let BindingKind::Assign(list) = binding.kind else {
            return None;
        };
        if !matches!(list.kind_name(), "list" | "tuple") || named(list).is_empty() {
            return None;
        }
        let body = model.scopes[scope].node;
        (!replaces_elements(model, body, name)).then_some(list)
    }

    fn shell_command_index(&self, els: &[Node<'t>]) -> Option<usize> {
        let lit = |n: &Node<'t>| {
            crate::semantic::literal(*n, self.cx.model.source).and_then(|l| match l {
                crate::rules::Literal::Str(s) => Some(s),
                _ => None,
            })
        };
        let shell = lit(els.first()?)?;
        let name = shell.rsplit(['/', '\\']).next().unwrap_or(&shell);
        let name = name
            .strip_suffix(".exe")
            .unwrap_or(name)
            .to_ascii_lowercase();
        let flag = lit(els.get(1)?)?;
        let is_shell = SHELLS.contains(&name.as_str());
        let runs = matches!(
            flag.as_str(),
            "-c" | "/c" | "-lc" | "-ic" | "-Command" | "-command"
        );
        (is_shell && runs && els.len() > 2).then_some(2)
    }

    pub(super) fn quote(&self, e: Node) -> String {
        let text = self.cx.model.text(e);
        let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
        if flat.chars().count() > MAX_QUOTE {
            let cut: String = flat.chars().take(MAX_QUOTE).collect();
            format!("{cut}…")
        } else {
            flat
        }
    }

    /// A source expression: an attribute or call whose qualified name is a source.
    fn source_at(&self, e: Node<'t>) -> Option<Taint> {
        self.source_named(e, self.cx.model.qualified_names(e, self.scope).iter(), "")
    }

    /// The source taint of `e`, per group from the first of `names` (each followed by
    /// `suffix`) that the group's model declares a source.
    fn source_named<'n>(
        &self,
        e: Node<'t>,
        names: impl Iterator<Item = &'n String>,
        suffix: &str,
    ) -> Option<Taint> {
        let pass = self.cx.pass;
        if pass.source_names.is_empty() {
            return None;
        }
        let all = self.cx.active;
        let mut out: Option<Taint> = None;
        for n in names {
            let covered = out.as_ref().map_or(0, Taint::groups);
            if covered == all {
                break;
            }
            let t = if suffix.is_empty() {
                pass.source_taint(n, all & !covered, |label| {
                    self.step(e, format!("source: `{}` ({label})", self.quote(e)))
                })
            } else {
                pass.source_taint(&format!("{n}{suffix}"), all & !covered, |label| {
                    self.step(e, format!("source: `{}` ({label})", self.quote(e)))
                })
            };
            out = either(out, t);
        }
        out
    }

    fn attribute(&mut self, e: Node<'t>) -> Option<Taint> {
        let model = self.cx.model;
        let all = self.cx.active;
        let covered = |t: &Option<Taint>| t.as_ref().map_or(0, Taint::groups);
        let mut out: Option<Taint> = None;
        if let Some((root, segs)) = self.chain(e) {
            let state = self.state.as_ref()?;
            // A tracked path such as `self.cmd`, longest first.
            for n in (1..=segs.len()).rev() {
                let key = format!("{root}.{}", segs[..n].join("."));
                if let Some(t) = state.get(&key).and_then(|v| v.plain.as_ref()) {
                    out = either(out, Some(t.clone()));
                    if covered(&out) == all {
                        return out;
                    }
                }
            }
            if let Some(v) = state.get(root) {
                for (attrs, taint) in &v.carriers {
                    if taint.groups() & !covered(&out) != 0
                        && attrs.iter().any(|a| {
                            a.len() <= segs.len() && a.iter().zip(&segs).all(|(x, y)| x == y)
                        })
                    {
                        let t = taint.then(self.step(e, format!("reads `{}`", self.quote(e))));
                        out = either(out, Some(t));
                    }
                }
            }
        }
        if covered(&out) == all {
            return out;
        }
        out = either(out, self.source_at(e));
        let rest = all & !covered(&out);
        if rest == 0 {
            return out;
        }
        let _ = model;
        let object = self.within(rest, |me| e.field(&fields::OBJECT).and_then(|o| me.eval(o)));
        either(out, object.and_then(|t| t.only(rest)))
    }

    pub(super) fn args(&mut self, call: Node<'t>) -> Vec<Arg<'t>> {
        let Some(list) = call.field(&fields::ARGUMENTS) else {
            return Vec::new();
        };
        if list.kind_name() == "generator_expression" {
            let taint = self.eval(list);
            return vec![Arg {
                node: list,
                key: ArgKey::Pos(0),
                taint,
                head: None,
                groups: self.cx.active,
            }];
        }
        let mut out = Vec::new();
        let mut pos = 0;
        let mut starred = false;
        for a in named(list) {
            let key = match a.kind_name() {
                "keyword_argument" => match a.field(&fields::NAME) {
                    Some(n) => ArgKey::Kw(self.cx.model.text(n)),
                    None => continue,
                },
                "list_splat" => {
                    starred = true;
                    ArgKey::Star(pos)
                }
                "dictionary_splat" => ArgKey::DoubleStar,
                "comment" => continue,
                // Positions after a `*xs` are unknown.
                _ if starred => ArgKey::Star(pos),
                _ => {
                    pos += 1;
                    ArgKey::Pos(pos - 1)
                }
            };
            let value = if a.kind_name() == "keyword_argument" {
                a.field(&fields::VALUE).unwrap_or(a)
            } else {
                a
            };
            let (taint, head) = if matches!(value.kind_name(), "list" | "tuple") {
                self.list_taint(value)
            } else if let Some(list) = self.fixed_list(value) {
                // `cmd = ["rg", "--json", query]` … `run(cmd)`: the variable's elements
                // are the literal's, so its first one still decides the program.
                let t = self.eval(value);
                let head = t.as_ref().and_then(|t| {
                    let g = t.groups();
                    let head = self.within(g, |me| me.list_taint(list).1);
                    head.and_then(|h| h.only(g))
                });
                (t, head)
            } else {
                let t = self.eval(value);
                (t.clone(), t)
            };
            out.push(Arg {
                node: value,
                key,
                taint,
                head,
                groups: self.cx.active,
            });
        }
        out
    }

    fn call(&mut self, e: Node<'t>) -> Option<Taint> {
        if !self.cx.tick() {
            return None;
        }
        let f = e.field(&fields::FUNCTION)?;
        let args = self.args(e);
        let model = self.cx.model;
        let pass = self.cx.pass;
        let all = self.cx.active;
        let names = callee_names(model, f, self.scope);
        let result = self.source_named(e, names.iter(), "()");
        // The receiver (`x` of `x.m()`), evaluated once: a sink may test it, and it taints
        // the result.
        let receiver = if f.kind_name() == "attribute" {
            self.eval(f)
        } else {
            None
        };
        self.check_sinks(e, &names, &args, receiver.as_ref());
        self.check_persist(e, f);
        let sanitized = (Pass::named(&pass.sanitizers, &names) | self.converts(e)) & all;
        if sanitized == all {
            return None;
        }
        // For the groups whose model sanitizes the call, it returns nothing and does
        // nothing more.
        let rest = all & !sanitized;
        let result = self.within(rest, |me| {
            me.call_rest(e, f, &names, &args, receiver, result, rest)
        });
        result.and_then(|t| t.only(rest))
    }

    /// [`Frame::call`] after the sanitizers, for the groups `rest`.
    #[allow(clippy::too_many_arguments)]
    fn call_rest(
        &mut self,
        e: Node<'t>,
        f: Node<'t>,
        names: &[String],
        args: &[Arg<'t>],
        receiver: Option<Taint>,
        mut result: Option<Taint>,
        rest: Groups,
    ) -> Option<Taint> {
        let model = self.cx.model;
        let pass = self.cx.pass;
        let callee = names.first().cloned().unwrap_or_else(|| self.quote(f));
        // Arguments a raising checker tests are not passed on (for the groups that trust
        // checkers): their data returns only after the check, and they are clean once the
        // call returns.
        let (checked, trusting) = self.checked_args(f, args);
        let passed: Vec<Arg<'t>> = match checked.is_empty() {
            true => args.to_vec(),
            false => (args.iter().enumerate())
                .map(|(i, a)| match checked.contains(&i) {
                    true => a.only(!trusting),
                    false => a.clone(),
                })
                .collect(),
        };
        if let Some((def, offset)) = self.local_callee(f) {
            let t = self.apply_summary(e, def, offset, &passed);
            result = either(result, t);
            // A method of an object whose constructor stored tainted data in it also
            // sees that data (`Runner(cmd).run()`).
            if let Some(t) = self.apply_object_method(e, f) {
                result = either(result, Some(t));
            }
        } else if let Some((init, offset)) =
            super::methods::constructor(self.cx.model, self.scope, e)
        {
            // `Job(x)`: the sinks `Job.__init__` sends `x` to. The call's value is the new
            // object, not what `__init__` returns; its stores into `self` are followed by
            // the methods called on the object (above).
            let _ = self.apply_summary(e, init, offset, &passed);
        } else if let Some(t) = self.indirect_call(e, f, args) {
            result = either(result, t);
        } else if let Some(t) = self.apply_object_method(e, f) {
            result = either(result, Some(t));
        } else if self.cx.project.is_some() {
            let t = self.apply_external(e, f, &passed);
            result = either(result, t);
        }
        for &i in &checked {
            self.clean_checked(args[i].node, trusting & rest);
        }
        let method = (f.kind_name() == "attribute")
            .then(|| f.field(&fields::ATTRIBUTE).map(|a| model.text(a)))
            .flatten();
        result = either(result, receiver);
        let from_args = (args.iter())
            .fold(None, |acc, a| either(acc, a.taint.clone()))
            .and_then(|t| t.only(rest));
        if let Some(t) = from_args {
            let propagates = names.iter().any(|n| pass.prop_calls.contains(n))
                || method.is_some_and(|m| pass.prop_methods.contains(m));
            let mut t = Some(t);
            if propagates && let Some(from) = &t {
                // Per group: a result of its own wins over the arguments' data.
                let resolved = result.as_ref().map_or(0, Taint::groups);
                if let Some(u) = from.only(!resolved) {
                    result = either(
                        result,
                        Some(u.then(self.step(e, format!("through `{callee}()`")))),
                    );
                }
                t = from.only(resolved);
            }
            if let Some(t) = t
                && let Some(m) = method
                && pass.into_receiver.contains(m)
                && let Some(key) = f.field(&fields::OBJECT).and_then(|o| dotted(model, o))
            {
                self.taint_weakly(key, t, e, "stored into");
            }
        }
        result
    }

    /// Whether a converter keyword of `call` (`type=int`) names a sanitizing callable, so
    /// the call returns that callable's clean result.
    fn converts(&self, call: Node<'t>) -> Groups {
        let pass = self.cx.pass;
        if pass.converter_args.is_empty() {
            return 0;
        }
        let model = self.cx.model;
        let Some(list) = call.field(&fields::ARGUMENTS) else {
            return 0;
        };
        let mut cursor = list.walk();
        let kw: Vec<Node<'t>> = list
            .named_children(&mut cursor)
            .filter(|a| a.kind_name() == "keyword_argument")
            .collect();
        kw.into_iter()
            .filter(|a| {
                a.field(&fields::NAME)
                    .is_some_and(|n| pass.converter_args.contains(model.text(n)))
            })
            .filter_map(|a| a.field(&fields::VALUE))
            .filter(|v| matches!(v.kind_name(), "identifier" | "attribute"))
            .fold(0, |g, v| {
                g | Pass::named(&pass.sanitizers, &callee_names(model, v, self.scope))
            })
    }

    fn check_sinks(
        &mut self,
        call: Node<'t>,
        names: &[String],
        args: &[Arg<'t>],
        receiver: Option<&Taint>,
    ) {
        let cx = self.cx;
        let mut fired: Vec<usize> = Vec::new();
        let mut candidates: Vec<SinkCandidate> = names
            .iter()
            .filter_map(|n| Some((n.clone(), cx.pass.sinks.get(n)?.as_slice(), false)))
            .collect();
        candidates.extend(
            self.method_sinks(call)
                .into_iter()
                .map(|(n, list)| (n, list, true)),
        );
        let mut on_class: Option<bool> = None;
        for (name, list, by_method) in candidates {
            for &(ri, si) in list {
                if !cx.applicable[ri] || fired.contains(&ri) {
                    continue;
                }
                let Some(taint_rule) = &cx.rules.rules()[ri].taint else {
                    continue;
                };
                let sink = &taint_rule.sinks[si];
                if by_method
                    && sink.objects_only
                    && *on_class.get_or_insert_with(|| self.receiver_is_class(call))
                {
                    continue;
                }
                if !sink
                    .conditions
                    .iter()
                    .all(|c| holds(cx.model, call, self.scope, c))
                {
                    continue;
                }
                // Only the rule's group's taint fires its sink.
                let group = cx.pass.group_of(ri);
                let pick = |t: Option<&Taint>| t.and_then(|t| t.only(group));
                // A rule names a sink's argument by position and by its keywords apart
                // (`{ position = 0 }, { arg = "url" }`): once the position is given, a
                // `**d` cannot pass that argument again (Python raises), so it is taken to
                // fill a keyword only when no listed position is given.
                let position_given = || {
                    (sink.args.iter()).any(|w| {
                        !w.receiver
                            && w.position.is_some()
                            && matches!(
                                find_arg(call, cx.model.source, w.arg.as_deref(), w.position),
                                ArgState::Given(_)
                            )
                    })
                };
                let t = if sink.args.is_empty() {
                    args.iter().find_map(|a| pick(a.taint.as_ref()))
                } else {
                    sink.args.iter().find_map(|want| {
                        if want.receiver {
                            return pick(receiver);
                        }
                        if want.splat {
                            return args
                                .iter()
                                .filter(|a| matches!(a.key, ArgKey::DoubleStar))
                                .find_map(|a| pick(a.taint.as_ref()));
                        }
                        match find_arg(call, cx.model.source, want.arg.as_deref(), want.position) {
                            ArgState::Given(node) => {
                                let a = args.iter().find(|a| a.node == node)?;
                                if want.head {
                                    pick(a.head.as_ref())
                                } else {
                                    pick(a.taint.as_ref())
                                }
                            }
                            // Perhaps passed through `*xs` or `**d`: a forwarder's
                            // `subprocess.run(*args, shell=True, **kwargs)` sends on
                            // what it was given.
                            ArgState::Maybe => (args.iter())
                                .filter(|a| match a.key {
                                    ArgKey::Star(_) => want.position.is_some(),
                                    ArgKey::DoubleStar => {
                                        want.arg.is_some()
                                            && (want.position.is_some() || !position_given())
                                    }
                                    _ => false,
                                })
                                .find_map(|a| pick(a.taint.as_ref())),
                            ArgState::Absent => None,
                        }
                    })
                };
                if let Some(t) = t {
                    fired.push(ri);
                    self.hits.push(Hit {
                        rule: ri,
                        sink: si,
                        call,
                        callee: name.clone(),
                        taint: t,
                        remote: None,
                    });
                }
            }
        }
    }

    /// A function of this file that `f` calls: a plain name bound by `def`, or
    /// `self.method` inside a method. The offset is 1 when `self` is passed implicitly.
    pub(super) fn local_callee(&self, f: Node<'t>) -> Option<(Node<'t>, usize)> {
        let model = self.cx.model;
        match f.kind_name() {
            "identifier" => {
                let (bindings, _) = model.lookup(model.text(f), self.scope, f.start_byte())?;
                bindings.iter().find_map(|b| match b.kind {
                    BindingKind::Def(d) => Some((d, 0)),
                    _ => None,
                })
            }
            "attribute" => {
                let obj = f.field(&fields::OBJECT)?;
                let attr = model.text(f.field(&fields::ATTRIBUTE)?);
                let in_class = self.class_scope;
                let def = if let Some(class) = in_class.filter(|_| is_super_call(model, obj)) {
                    // `super().m(...)`: `m` of a base class of the file.
                    super::methods::base_def(self.cx.model, class, attr)?
                } else if let Some(class) = in_class.filter(|_| self.is_self(obj)) {
                    def_in(model, class, attr)?
                } else {
                    return super::methods::class_method(self.cx.model, self.scope, obj, attr);
                };
                let is_static =
                    super::methods::decorated_as(self.cx.model, def) == Some("staticmethod");
                Some((def, usize::from(!is_static)))
            }
            _ => None,
        }
    }

    /// `C(x).m()` or `o = C(x)` … `o.m()` with `C` a class of this file: the attributes
    /// `C.__init__` stores tainted arguments in are tainted `self` attributes inside `m`.
    fn apply_object_method(&mut self, call: Node<'t>, f: Node<'t>) -> Option<Taint> {
        let cx = self.cx;
        let model = cx.model;
        if f.kind_name() != "attribute" || self.depth > MAX_OBJECT_DEPTH {
            return None;
        }
        let obj = f.field(&fields::OBJECT)?;
        let method = model.text(f.field(&fields::ATTRIBUTE)?);
        // The constructor call: `C(...)` itself, or what a plain name was assigned.
        let ctor = match obj.kind_name() {
            "call" => obj,
            "identifier" => {
                let (bindings, _) = model.lookup(model.text(obj), self.scope, obj.start_byte())?;
                bindings.iter().find_map(|b| match b.kind {
                    BindingKind::Assign(v) if v.kind_name() == "call" => Some(v),
                    _ => None,
                })?
            }
            _ => return None,
        };
        let cf = ctor.field(&fields::FUNCTION)?;
        if cf.kind_name() != "identifier" {
            return None;
        }
        let cname = model.text(cf);
        let (bindings, _) = model.lookup(cname, self.scope, cf.start_byte())?;
        let class = bindings.iter().find_map(|b| match b.kind {
            BindingKind::Class(c) => Some(c),
            _ => None,
        })?;
        let class_scope = cx.scope_of(class)?;
        let init = def_in(model, class_scope, "__init__")?;
        let def = def_in(model, class_scope, method)?;
        let init_scope = cx.scope_of(init)?;
        let plist = params(model, init);
        let init_sig = sig(&plist);
        // The constructor's arguments are evaluated again here (bounded by the depth test).
        let args = self.args(ctor);
        // Per field, the groups for which the constructor stores tainted data in it.
        let mut fields: Vec<(String, Groups)> = Vec::new();
        let mut into: Option<Taint> = None;
        for (ai, idx) in binding::bindings(&args, 1, 1, &init_sig) {
            let a = &args[ai];
            let Some(t) = &a.taint else {
                continue;
            };
            let summary = cx.summary(init, init_scope, Entry::Param(idx));
            for (field, ft) in &summary.fields {
                let Some(got) = t.through(ft) else {
                    continue;
                };
                match fields.iter_mut().find(|(f, _)| f == field) {
                    Some((_, g)) => *g |= got.groups(),
                    None => fields.push((field.clone(), got.groups())),
                }
                let new = got.groups() & !into.as_ref().map_or(0, Taint::groups);
                if new != 0 {
                    let passed = self.step(
                        a.node,
                        format!("passed to `{cname}()` as `{}`", shown(&init_sig, idx)),
                    );
                    let stored = self.step(
                        ctor,
                        format!("kept in `self.{field}` of the `{cname}` object"),
                    );
                    let path = t.then(passed).through(ft).map(|x| x.then(stored));
                    into = either(into, path.and_then(|x| x.only(new)));
                }
            }
        }
        let into = into?;
        fields.sort();
        // Groups whose constructor stored the same fields share one summary of the method.
        let mut sets: Vec<(Vec<String>, Groups)> = Vec::new();
        for bit in 0..Groups::BITS {
            let g: Groups = 1 << bit;
            if into.groups() & g == 0 {
                continue;
            }
            let set: Vec<String> = (fields.iter())
                .filter(|(_, m)| m & g != 0)
                .map(|(f, _)| f.clone())
                .collect();
            match sets.iter_mut().find(|(s, _)| *s == set) {
                Some((_, m)) => *m |= g,
                None => sets.push((set, g)),
            }
        }
        let scope = cx.scope_of(def)?;
        let mut result = None;
        for (set, groups) in sets {
            let Some(into) = into.only(groups) else {
                continue;
            };
            let summary = cx.summary(def, scope, Entry::Fields(Rc::new(set)));
            for h in &summary.hits {
                if let Some(taint) = into.through(&h.taint) {
                    self.hits.push(Hit { taint, ..h.clone() });
                }
            }
            let back = summary.returns.as_ref().and_then(|rt| {
                into.through(rt)
                    .map(|x| x.then(self.step(call, format!("returned by `{cname}.{method}()`"))))
            });
            result = either(result, back);
        }
        result
    }

    pub(super) fn apply_summary(
        &mut self,
        call: Node<'t>,
        def: Node<'t>,
        offset: usize,
        args: &[Arg<'t>],
    ) -> Option<Taint> {
        let cx = self.cx;
        let scope = cx.scope_of(def)?;
        let name = super::names::def_name(cx.model, def);
        let mut result = None;
        let own = cx.summary(def, scope, Entry::Own);
        if let Some(t) = &own.returns {
            result = Some(t.then(self.step(call, format!("returned by `{name}()`"))));
        }
        let sig = sig(&params(cx.model, def));
        for (ai, idx) in binding::bindings(args, offset, offset, &sig) {
            let a = &args[ai];
            let as_name = shown(&sig, idx);
            // A tainted value, or (for the other groups) a request object passed whole
            // (`helper(request)`), when it fills a parameter of its own.
            let carriers = match whole(&a.key, sig[idx].1) {
                true => self.carrier_arg(a),
                false => Vec::new(),
            };
            let entries = (a.taint.iter().map(|t| (t.clone(), Entry::Param(idx))))
                .chain((carriers.into_iter()).map(|(t, attrs)| (t, Entry::Carrier(idx, attrs))));
            let entries: Vec<(Taint, Entry)> = entries.collect();
            for (t, entry) in entries {
                let summary = cx.summary(def, scope, entry);
                let into =
                    t.then(self.step(a.node, format!("passed to `{name}()` as `{as_name}`")));
                if let Some(rt) = &summary.returns
                    && let Some(back) = into.through(rt)
                {
                    let back = back.then(self.step(call, format!("returned by `{name}()`")));
                    result = either(result, Some(back));
                }
                for h in &summary.hits {
                    if let Some(taint) = into.through(&h.taint) {
                        self.hits.push(Hit { taint, ..h.clone() });
                    }
                }
            }
        }
        result
    }

    /// For an argument that is a request object passed whole (`helper(request)`): per
    /// part, its taint and the attributes through which it taints (for the groups the
    /// argument holds no tainted value for).
    pub(super) fn carrier_arg(&self, a: &Arg<'t>) -> Vec<(Taint, Attrs)> {
        if a.node.kind_name() != "identifier" {
            return Vec::new();
        }
        let Some(v) = self
            .state
            .as_ref()
            .and_then(|s| s.get(self.cx.model.text(a.node)))
        else {
            return Vec::new();
        };
        let plain = a.taint.as_ref().map_or(0, Taint::groups);
        (v.carriers.iter())
            .filter_map(|(attrs, t)| Some((t.only(a.groups & !plain)?, attrs.clone())))
            .collect()
    }

    fn comprehension(&mut self, e: Node<'t>) -> Option<Taint> {
        // Comprehension variables live in their own scope: restore the state afterwards.
        let saved = self.state.clone();
        for clause in named(e) {
            match clause.kind_name() {
                "for_in_clause" => {
                    let t = clause.field(&fields::RIGHT).and_then(|r| self.eval(r));
                    if let Some(l) = clause.field(&fields::LEFT) {
                        self.bind(l, t);
                    }
                }
                "if_clause" => {
                    self.eval_children(clause);
                }
                _ => {}
            }
        }
        let t = e.field(&fields::BODY).and_then(|b| self.eval(b));
        if self.state.is_some() {
            self.state = saved;
        }
        t
    }
}

/// Whether `body` assigns to an element of `name` (`name[i] = …`) or calls
/// `name.insert(…)`, either of which can change which element comes first.
fn replaces_elements(model: &crate::semantic::Model, body: Node, name: &str) -> bool {
    let mut stack = vec![body];
    while let Some(n) = stack.pop() {
        let hit = match n.kind_name() {
            "assignment" | "augmented_assignment" => n.field(&fields::LEFT).is_some_and(|l| {
                l.kind_name() == "subscript"
                    && l.field(&fields::VALUE)
                        .is_some_and(|v| v.kind_name() == "identifier" && model.text(v) == name)
            }),
            "call" => n.field(&fields::FUNCTION).is_some_and(|f| {
                f.kind_name() == "attribute"
                    && f.field(&fields::ATTRIBUTE)
                        .is_some_and(|a| model.text(a) == "insert")
                    && f.field(&fields::OBJECT)
                        .is_some_and(|o| o.kind_name() == "identifier" && model.text(o) == name)
            }),
            _ => false,
        };
        if hit {
            return true;
        }
        let mut c = n.walk();
        stack.extend(n.named_children(&mut c));
    }
    false
}
