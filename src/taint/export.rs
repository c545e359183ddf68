//! Turning one module's analysis into its owned [`ModuleSummary`]: per function and
//! method, what each parameter reaches and what its own sources return, plus the imports,
//! classes and singletons other modules need to resolve names through it.

use super::external::ImportMap;
use super::flow::named;
use super::names::{def_name, dotted, params};
use super::trace::{Groups, Origin, Step};
use super::{Entry, FileCtx, Hit, Summary};
use crate::fields::{self, FieldExt};
use crate::finding::FlowStep;
use crate::project::module_summary::{
    CarrierFacts, Facts, FuncKind, FuncSummary, ModuleSummary, OwnedHit, SinkAt,
};
use crate::semantic::{BindingKind, Model, ScopeKind};
use crate::source::SourceText;
use std::cell::OnceCell;
use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::rc::Rc;

/// Functions larger than this that name no sink are not summarised per parameter (a
/// documented limit of the work spent for importers).
const MAX_RETURN_ONLY_BYTES: usize = 4096;

/// Attributes of `self` per method summarised one by one for importers; a method reading
/// more is summarised for its first ones (by name) only.
const MAX_FIELDS_READ: usize = 32;

/// The path steps of `steps` as owned flow steps of `path`.
pub(crate) fn owned_steps(
    path: &Path,
    source: &SourceText,
    steps: &[std::rc::Rc<Step>],
) -> Vec<FlowStep> {
    steps
        .iter()
        .map(|s| match &s.there {
            Some(t) => (**t).clone(),
            None => FlowStep {
                path: path.to_path_buf(),
                start: source.position(s.start),
                end: source.position(s.end),
                note: s.note.clone(),
            },
        })
        .collect()
}

/// The functions and methods other modules can call: top-level defs (`f`) and methods of
/// top-level classes (`C.m`), with their kind.
fn exported<'t>(cx: &FileCtx<'_, 't>) -> Vec<(String, FuncKind, tree_sitter::Node<'t>, usize)> {
    let model = cx.model;
    let mut out = Vec::new();
    for (i, s) in model.scopes.iter().enumerate() {
        if s.kind != ScopeKind::Function || s.node.kind_name() != "function_definition" {
            continue;
        }
        let Some(parent) = s.parent else { continue };
        let name = def_name(model, s.node);
        if parent == 0 {
            out.push((name.to_string(), FuncKind::Function, s.node, i));
            continue;
        }
        let ps = &model.scopes[parent];
        if ps.kind != ScopeKind::Class || ps.parent != Some(0) {
            continue;
        }
        let Some(cname) = ps.node.field(&fields::NAME) else {
            continue;
        };
        let decorators = s
            .node
            .parent()
            .filter(|p| p.kind_name() == "decorated_definition")
            .map(|p| {
                model
                    .text(p)
                    .split(" def ")
                    .next()
                    .unwrap_or("")
                    .to_string()
            })
            .unwrap_or_default();
        let kind = if decorators.contains("@staticmethod") {
            FuncKind::StaticMethod
        } else if decorators.contains("@classmethod") {
            FuncKind::ClassMethod
        } else {
            FuncKind::Method
        };
        out.push((format!("{}.{name}", model.text(cname)), kind, s.node, i));
    }
    out
}

/// Adds this pass's facts for every exported function to `summary`, for each active group
/// under the group's index (importers read the facts of each group apart). Real-source
/// hits met on the way were already reported by the file's own analysis; they are dropped.
pub(crate) fn add_pass(
    cx: &FileCtx,
    path: &Path,
    source: &SourceText,
    summary: &mut ModuleSummary,
    make_template: &mut dyn FnMut(&Hit) -> crate::finding::Finding,
) {
    let candidates = cx.candidates();
    let exported = exported(cx);
    let words = SinkWords::new(cx);
    let shapes: Vec<Shape> = (exported.iter())
        .map(|(_, _, def, _)| Shape {
            sinks: words.groups_in(cx, *def),
            fields: OnceCell::new(),
        })
        .collect();
    for bit in 0..cx.pass.group_index.len() {
        let group: Groups = 1 << bit;
        if cx.active & group == 0 {
            continue;
        }
        let g = Group {
            mask: group,
            index: cx.pass.group_index[bit],
            carriers: (cx.has_carriers & group != 0)
                .then(|| Rc::new(cx.pass.carrier_union[bit].clone())),
        };
        add_group(
            cx,
            &g,
            &exported,
            &shapes,
            &candidates,
            path,
            source,
            summary,
            make_template,
        );
    }
}

/// One group of the pass, as [`add_group`] exports it.
struct Group {
    mask: Groups,
    /// The group's index in the engine.
    index: usize,
    /// Every request-object attribute of the group's sources, if it has any.
    carriers: Option<Rc<Vec<Vec<String>>>>,
}

/// A summary as the pass of `g`'s rules alone computes it.
fn project<'t>(s: &Summary<'t>, g: &Group, cx: &FileCtx) -> Summary<'t> {
    Summary {
        returns: s.returns.as_ref().and_then(|t| t.only(g.mask)),
        hits: (s.hits.iter())
            .filter(|h| cx.pass.group_of(h.rule) & g.mask != 0)
            .cloned()
            .collect(),
        fields: (s.fields.iter())
            .filter_map(|(f, t)| Some((f.clone(), t.only(g.mask)?)))
            .collect(),
    }
}

#[allow(clippy::too_many_arguments)]
fn add_group<'t>(
    cx: &FileCtx<'_, 't>,
    g: &Group,
    exported: &[(String, FuncKind, tree_sitter::Node<'t>, usize)],
    shapes: &[Shape],
    candidates: &HashMap<usize, (Groups, Groups)>,
    path: &Path,
    source: &SourceText,
    summary: &mut ModuleSummary,
    make_template: &mut dyn FnMut(&Hit) -> crate::finding::Finding,
) {
    let pi = g.index;
    let stored = stored_fields(cx, g, exported, shapes, candidates);
    let carrier_attrs: HashSet<&str> = (g.carriers.iter())
        .flat_map(|u| u.iter())
        .filter_map(|a| a.first())
        .map(String::as_str)
        .collect();
    for ((name, kind, def, scope), shape) in exported.iter().cloned().zip(shapes) {
        let plist = params(cx.model, def);
        let entry = summary.funcs.entry(name).or_insert_with(|| FuncSummary {
            kind,
            params: plist.iter().map(|p| p.name.to_string()).collect(),
            kinds: plist.iter().map(|p| p.kind).collect(),
            own: Vec::new(),
            by_param: Vec::new(),
            carriers: Vec::new(),
            by_field: Vec::new(),
            validator: super::validators::is_validator(cx.model, def, &cx.pass.validators),
            checks: cx.checked_params(def).to_vec(),
        });
        while entry.own.len() <= pi {
            entry.own.push(Facts::default());
            entry.by_param.push(Vec::new());
            entry.carriers.push(Vec::new());
            entry.by_field.push(Vec::new());
        }
        if cx.exhausted() {
            summary.partial = true;
            continue;
        }
        let own = cx.summary(def, scope, Entry::Own);
        if let Some(t) = own.returns.as_ref().and_then(|t| t.only(g.mask))
            && let Origin::Source(label) = t.origin()
        {
            entry.own[pi] = Facts {
                returns: Some(owned_steps(path, source, t.steps())),
                label: Some(label),
                ..Facts::default()
            };
        }
        let skip_first = matches!(kind, FuncKind::Method | FuncKind::ClassMethod);
        if !per_param(cx, g.mask, def, scope, shape.sinks, candidates) {
            entry.by_param[pi] = vec![Facts::default(); plist.len()];
            continue;
        }
        let mut by_param = Vec::with_capacity(plist.len());
        let mut carriers = Vec::new();
        for (i, param) in plist.iter().enumerate() {
            if (skip_first && i == 0) || cx.exhausted() {
                by_param.push(Facts::default());
                continue;
            }
            let s = project(&cx.summary(def, scope, Entry::Param(i)), g, cx);
            let facts = owned_facts(path, source, &mut summary.sinks, &s, make_template);
            // A request object passed whole taints less than a tainted value: when the
            // parameter reaches nothing as a value, it reaches nothing as a carrier either.
            // For importers, a request object passed whole taints through the attributes
            // of every framework's request at once: one summary per parameter, not one per
            // framework (an attribute another framework's request has does not exist on
            // this one, so reading it is no flow a real program has).
            if !facts.is_empty()
                && let Some(union) = &g.carriers
                && carrier_use(cx, def, param.name, &carrier_attrs)
            {
                let s = cx.summary(def, scope, Entry::Carrier(i, union.clone()));
                let s = project(&s, g, cx);
                let facts = owned_facts(path, source, &mut summary.sinks, &s, make_template);
                if !facts.is_empty() {
                    carriers.push(CarrierFacts { param: i, facts });
                }
            }
            by_param.push(facts);
        }
        let mut by_field = Vec::new();
        // Only the attributes some constructor of the module stores a parameter in: an
        // importer can taint no other.
        let read = if kind == FuncKind::Method && !stored.is_empty() && !cx.exhausted() {
            let (fields, returned) = shape.fields.get_or_init(|| method_fields(cx, def));
            let mut read = fields.clone();
            read.retain(|f| stored.contains(f));
            // A method naming no sink can only hand the attribute back to the caller.
            if shape.sinks & g.mask == 0 {
                read.retain(|f| returned.contains(f));
            }
            read
        } else {
            Vec::new()
        };
        if !read.is_empty() {
            // Every field tainted at once first: when that reaches nothing, no single
            // field does, and most methods are done with one summary.
            let all = project(
                &cx.summary(def, scope, Entry::Fields(Rc::new(read.clone()))),
                g,
                cx,
            );
            let reaches = !all.hits.is_empty() || all.returns.is_some();
            for field in read.iter().filter(|_| reaches) {
                if cx.exhausted() {
                    summary.partial = true;
                    break;
                }
                let s = if read.len() == 1 {
                    project(&all, g, cx)
                } else {
                    let s = cx.summary(def, scope, Entry::Fields(Rc::new(vec![field.clone()])));
                    project(&s, g, cx)
                };
                let facts = owned_facts(path, source, &mut summary.sinks, &s, make_template);
                if !facts.is_empty() {
                    by_field.push((field.clone(), facts));
                }
            }
        }
        entry.by_param[pi] = by_param;
        entry.carriers[pi] = carriers;
        entry.by_field[pi] = by_field;
    }
}

/// Whether `def` is summarised per parameter for importers, for the group `group`. A
/// parameter can only matter to them if the function may reach a sink (a sink call, or a
/// call that may lead to one) or returns; large bookkeeping functions are not summarised
/// per parameter. Small functions are, whatever they call: they are the forwarders and
/// helpers (`return delete_named(name.strip())`) a chain passes through.
fn per_param(
    cx: &FileCtx,
    group: Groups,
    def: tree_sitter::Node,
    scope: usize,
    sinks: Groups,
    candidates: &HashMap<usize, (Groups, Groups)>,
) -> bool {
    let may_sink = sinks & group != 0 && candidates.get(&scope).is_some_and(|c| c.1 & group != 0);
    may_sink || cx.model.text(def).len() <= MAX_RETURN_ONLY_BYTES
}

/// What [`add_group`] needs of one exported function whatever the group: found once, since
/// every group of the pass asks for it.
struct Shape {
    /// The groups of the sinks whose last name `def`'s text mentions as a whole word
    /// (`evalf` or `_eval_is_zero` does not name `eval`; calling a sink takes its name).
    sinks: Groups,
    /// For a method: the `self` attributes it reads, and those of them a `return` mentions.
    fields: OnceCell<(Vec<String>, HashSet<String>)>,
}

/// Where the module's text names a sink (by its last name) as a whole word, in text order:
/// one scan of the module instead of one search per sink name and function.
struct SinkWords {
    /// Byte offset of each such word, with the groups of the sinks of that name.
    at: Vec<(usize, Groups)>,
    /// Sink names searched for in each function's text instead: those that are not a
    /// single identifier, and every name when the module is not UTF-8.
    odd: Vec<(String, Groups)>,
}

impl SinkWords {
    fn new(cx: &FileCtx) -> Self {
        let mut named: HashMap<&str, Groups> = HashMap::new();
        let mut odd = Vec::new();
        for (n, g) in (cx.pass.sink_last.iter()).chain(cx.pass.sink_method_groups.iter()) {
            if !n.is_empty() && n.chars().all(is_ident) {
                *named.entry(n.as_str()).or_default() |= *g;
            } else {
                odd.push((n.clone(), *g));
            }
        }
        let Some(text) = cx.model.source_str else {
            odd.extend(named.iter().map(|(n, g)| (n.to_string(), *g)));
            return SinkWords {
                at: Vec::new(),
                odd,
            };
        };
        let mut at = Vec::new();
        let mut start = None;
        for (i, c) in text
            .char_indices()
            .chain(std::iter::once((text.len(), ' ')))
        {
            match (is_ident(c), start) {
                (true, None) => start = Some(i),
                (false, Some(s)) => {
                    if let Some(g) = named.get(&text[s..i]) {
                        at.push((s, *g));
                    }
                    start = None;
                }
                _ => {}
            }
        }
        SinkWords { at, odd }
    }

    /// The groups of the sinks `def`'s text names.
    fn groups_in(&self, cx: &FileCtx, def: tree_sitter::Node) -> Groups {
        let range = def.byte_range();
        let from = self.at.partition_point(|&(s, _)| s < range.start);
        let mut groups = (self.at[from..].iter())
            .take_while(|&&(s, _)| s < range.end)
            .fold(0, |acc, &(_, g)| acc | g);
        if !self.odd.is_empty() {
            let text = cx.model.text(def);
            for (n, g) in &self.odd {
                if groups & g != *g && mentions_word(text, n) {
                    groups |= g;
                }
            }
        }
        groups
    }
}

/// Whether `c` can be part of an identifier (for [`mentions_word`]'s whole-word test).
fn is_ident(c: char) -> bool {
    c == '_' || c.is_alphanumeric()
}

/// Whether `word` occurs in `text` with no identifier character on either side.
fn mentions_word(text: &str, word: &str) -> bool {
    text.match_indices(word).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + word.len()..].chars().next();
        !before.is_some_and(is_ident) && !after.is_some_and(is_ident)
    })
}

/// The `self` attributes method `def` reads ([`self_fields`]), and those of them that a
/// `return` of the method mentions (`self.<field>` in its text).
fn method_fields(cx: &FileCtx, def: tree_sitter::Node) -> (Vec<String>, HashSet<String>) {
    let fields = self_fields(cx, def);
    let model = cx.model;
    let Some(me) = params(model, def).first().map(|p| p.name) else {
        return (fields, HashSet::new());
    };
    let mut returns = Vec::new();
    let mut stack: Vec<tree_sitter::Node> = def.field(&fields::BODY).into_iter().collect();
    while let Some(n) = stack.pop() {
        match n.kind_name() {
            "return_statement" => returns.push(model.text(n)),
            "function_definition" | "class_definition" | "lambda" => continue,
            _ => {}
        }
        let mut c = n.walk();
        stack.extend(n.named_children(&mut c));
    }
    let returned = (fields.iter())
        .filter(|f| {
            let wanted = format!("{me}.{f}");
            returns.iter().any(|r| r.contains(&wanted))
        })
        .cloned()
        .collect();
    (fields, returned)
}

/// The `self` attributes the constructors (`__init__`) of the module's classes store a
/// parameter's data in, for group `g`: the only attributes an importer's object can have
/// tainted.
fn stored_fields<'t>(
    cx: &FileCtx<'_, 't>,
    g: &Group,
    exported: &[(String, FuncKind, tree_sitter::Node<'t>, usize)],
    shapes: &[Shape],
    candidates: &HashMap<usize, (Groups, Groups)>,
) -> HashSet<String> {
    let mut out = HashSet::new();
    for ((name, _, def, scope), shape) in exported.iter().zip(shapes) {
        if !name.ends_with(".__init__")
            || !per_param(cx, g.mask, *def, *scope, shape.sinks, candidates)
        {
            continue;
        }
        for i in 1..params(cx.model, *def).len() {
            if cx.exhausted() {
                return out;
            }
            let s = cx.summary(*def, *scope, Entry::Param(i));
            out.extend(
                (s.fields.iter())
                    .filter(|(_, t)| t.groups() & g.mask != 0)
                    .map(|(f, _)| f.clone()),
            );
        }
    }
    out
}

/// Whether parameter `name` of `def` is used as a request object could be: an attribute
/// of a carrier set read from it (`req.GET`), or the name passed on to a call.
fn carrier_use(cx: &FileCtx, def: tree_sitter::Node, name: &str, attrs: &HashSet<&str>) -> bool {
    let model = cx.model;
    let is_name = |n: tree_sitter::Node| n.kind_name() == "identifier" && model.text(n) == name;
    let mut stack: Vec<tree_sitter::Node> = def.field(&fields::BODY).into_iter().collect();
    while let Some(n) = stack.pop() {
        let used = match n.kind_name() {
            "attribute" => {
                n.field(&fields::OBJECT).is_some_and(is_name)
                    && n.field(&fields::ATTRIBUTE)
                        .is_some_and(|a| attrs.contains(model.text(a)))
            }
            "argument_list" => named(n).into_iter().any(|a| {
                is_name(a)
                    || (a.kind_name() == "keyword_argument"
                        && a.field(&fields::VALUE).is_some_and(is_name))
            }),
            _ => false,
        };
        if used {
            return true;
        }
        let mut c = n.walk();
        stack.extend(n.named_children(&mut c));
    }
    false
}

/// The attributes of `self` a method reads (`self.fmt`), sorted, at most
/// [`MAX_FIELDS_READ`].
fn self_fields(cx: &FileCtx, def: tree_sitter::Node) -> Vec<String> {
    let model = cx.model;
    let Some(me) = params(model, def).first().map(|p| p.name) else {
        return Vec::new();
    };
    let mut out = std::collections::BTreeSet::new();
    let mut stack: Vec<tree_sitter::Node> = def.field(&fields::BODY).into_iter().collect();
    while let Some(n) = stack.pop() {
        if n.kind_name() == "attribute"
            && let (Some(o), Some(a)) = (n.field(&fields::OBJECT), n.field(&fields::ATTRIBUTE))
            && o.kind_name() == "identifier"
            && model.text(o) == me
        {
            out.insert(model.text(a).to_string());
            if out.len() >= MAX_FIELDS_READ {
                break;
            }
        }
        let mut c = n.walk();
        stack.extend(n.named_children(&mut c));
    }
    out.into_iter().collect()
}

/// One summary as owned facts; sinks of this module become findings in `sinks`.
fn owned_facts(
    path: &Path,
    source: &SourceText,
    sinks: &mut Vec<crate::finding::Finding>,
    s: &Summary,
    make_template: &mut dyn FnMut(&Hit) -> crate::finding::Finding,
) -> Facts {
    let mut facts = Facts {
        returns: s
            .returns
            .as_ref()
            .map(|t| owned_steps(path, source, t.steps())),
        ..Facts::default()
    };
    for (field, t) in &s.fields {
        facts
            .fields
            .push((field.clone(), owned_steps(path, source, t.steps())));
    }
    for h in &s.hits {
        let mut steps = owned_steps(path, source, h.taint.steps());
        let at = match &h.remote {
            Some(r) => {
                steps.extend(r.steps.iter().cloned());
                SinkAt::Shared(r.at.clone())
            }
            None => {
                let template = make_template(h);
                steps.extend(template.flow.last().cloned());
                sinks.push(template);
                SinkAt::Local(sinks.len() - 1)
            }
        };
        facts.hits.push(OwnedHit {
            rule: h.rule,
            sink: h.sink,
            callee: h.callee.clone(),
            steps,
            at,
        });
    }
    facts
}

/// Imports, classes and module-level singletons of the module.
pub(crate) fn add_names(cx: &FileCtx, summary: &mut ModuleSummary) {
    let model = cx.model;
    add_classes(model, cx.imports, summary);
    for (name, bindings) in model.scopes[0].bindings.iter() {
        let ctor = bindings.iter().find_map(|b| match b.kind {
            BindingKind::Assign(v) if v.kind_name() == "call" => v.field(&fields::FUNCTION),
            _ => None,
        });
        if let Some(f) = ctor
            && let Some(d) = dotted(model, f)
        {
            summary.singletons.insert(name.to_string(), d);
        }
    }
}

/// Imports and module-level classes (with their bases as dotted text) of the module.
pub(crate) fn add_classes(model: &Model, imports: &ImportMap, summary: &mut ModuleSummary) {
    summary.imports = imports.module_level.iter().cloned().collect();
    summary.stars = imports.stars.clone();
    for s in &model.scopes {
        if s.kind != ScopeKind::Class || s.parent != Some(0) {
            continue;
        }
        let Some(name) = s.node.field(&fields::NAME) else {
            continue;
        };
        let mut bases = Vec::new();
        if let Some(list) = s.node.field(&fields::SUPERCLASSES) {
            let mut c = list.walk();
            for b in list.named_children(&mut c) {
                if let Some(d) = dotted(model, b) {
                    bases.push(d);
                }
            }
        }
        summary.classes.insert(model.text(name).to_string(), bases);
    }
}

#[cfg(test)]
mod tests {
    use super::mentions_word;

    #[test]
    fn a_sink_name_counts_only_as_a_whole_word() {
        assert!(mentions_word("return eval(x)", "eval"));
        assert!(mentions_word("os.system", "system"));
        assert!(mentions_word("eval", "eval"));
        // Names that merely contain it do not call it.
        assert!(!mentions_word("x.evalf() + _eval_is_zero(y)", "eval"));
        assert!(!mentions_word("reload(m); loads_ok = 1", "load"));
        // A later whole occurrence still counts.
        assert!(mentions_word("evalf(); eval(s)", "eval"));
        assert!(!mentions_word("évaluer", "valuer"));
    }
}
