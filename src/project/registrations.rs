//! Request handlers found by registration: `path("orders/", views.order)` in a URL
//! configuration makes `order` of `views.py` a view, whatever its parameters are called,
//! while a helper of the same module whose first parameter happens to be `request` is not
//! one (it gets the view's taint through the call instead).
//!
//! Registrations are read in a cheap pre-pass over the files that mention a registration
//! call, before any module is analysed, because the registering module (`urls.py`) imports
//! the handler's module, not the reverse. Which calls register, and at which argument, is
//! data: the `registered_by` selectors of the taint models' parameter sources.

use super::index::{FileId, ProjectIndex};
use super::module_summary::ImportTarget;
use crate::fields::{self, FieldExt};
use crate::semantic::{BindingKind, Model};
use crate::taint::names::{callee_names, chain};
use std::collections::HashMap;
use tree_sitter::Node;

/// Wrapper calls around a handler (`login_required(views.f)`, `cache_page(60)(views.f)`)
/// unwrapped at most this deep.
const MAX_WRAPPERS: usize = 8;
/// Registrations read from one file at most: a URL configuration has hundreds, a generated
/// file could have millions.
pub const MAX_REGISTRATIONS_PER_FILE: usize = 10_000;

/// One kind of registration call: a handler passed to `calls` at `position` or as
/// `keyword`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registrar {
    pub calls: Vec<String>,
    pub position: usize,
    pub keyword: Option<String>,
}

/// A registration read from one file, before names are resolved across the project.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registration {
    /// The qualified name of the registration call (`django.urls.path`).
    pub via: String,
    pub target: HandlerRef,
    /// The route's typed parameters, (name, converter), when the first argument is a
    /// literal route (`"t/<int:pk>/"` gives `("pk", "int")`; an untyped `<pk>` is `str`).
    pub route_params: Vec<(String, String)>,
}

/// How the registering file names the handler.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HandlerRef {
    /// A module-level function of the registering file itself.
    Local(String),
    /// The first name is bound by an import; `rest` are the attributes after it
    /// (`views.order` after `from shop import views`).
    Imported {
        target: ImportTarget,
        rest: Vec<String>,
    },
}

/// A module-level function registered as a handler, as its own module sees it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Handler {
    /// The registration call that made it one.
    pub via: String,
    pub function: String,
    /// The route parameters of this registration (see [`Registration::route_params`]).
    pub route_params: Vec<(String, String)>,
}

/// The handlers of one module, and whether it is a helper module of views.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Handlers {
    pub list: Vec<Handler>,
    /// Some module with registered handlers imports this one: a module of helpers that
    /// views call, so the parameter-name fallback does not apply to it.
    pub imported_by_views: bool,
}

/// A module nothing is known about: no registered handler, not imported by views.
pub static NO_HANDLERS: Handlers = Handlers {
    list: Vec::new(),
    imported_by_views: false,
};

impl Handlers {
    /// Whether the module has no registered handler.
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// The registered handlers.
    pub fn iter(&self) -> std::slice::Iter<'_, Handler> {
        self.list.iter()
    }
}

/// Reads the registrations of one parsed file. `imports` maps the names its import
/// statements bind to what they import.
pub fn read(
    model: &Model,
    registrars: &[Registrar],
    imports: &HashMap<String, ImportTarget>,
) -> Vec<Registration> {
    let mut out = Vec::new();
    for site in &model.calls {
        let Some(f) = site.node.field(&fields::FUNCTION) else {
            continue;
        };
        let names = callee_names(model, f, site.scope);
        for r in registrars {
            let Some(via) = names.iter().find(|n| r.calls.contains(n)) else {
                continue;
            };
            let Some(arg) = handler_argument(model, site.node, r.position, r.keyword.as_deref())
            else {
                continue;
            };
            let Some(target) = reference(model, arg, site.scope, imports) else {
                continue;
            };
            out.push(Registration {
                via: via.clone(),
                target,
                route_params: route_params(model, site.node),
            });
            if out.len() >= MAX_REGISTRATIONS_PER_FILE {
                return out;
            }
        }
    }
    out
}

/// Route parameters at most read from one route: real routes have a handful.
const MAX_ROUTE_PARAMS: usize = 64;

/// The typed parameters of a registration call's literal route (its first argument):
/// `<conv:name>` or `<name>` (converter `str`), the syntax of Django's `path()`.
pub fn route_params(model: &Model, call: Node) -> Vec<(String, String)> {
    let Some(route) = call
        .field(&fields::ARGUMENTS)
        .and_then(|a| a.named_child(0))
        .filter(|r| r.kind_name() == "string")
    else {
        return Vec::new();
    };
    let mut cursor = route.walk();
    if route
        .named_children(&mut cursor)
        .any(|c| c.kind_name() == "interpolation")
    {
        return Vec::new();
    }
    let mut out = Vec::new();
    let text = model.text(route);
    for piece in text.split('<').skip(1) {
        let Some((inner, _)) = piece.split_once('>') else {
            continue;
        };
        let (conv, name) = inner.split_once(':').unwrap_or(("str", inner));
        let ident =
            |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
        if ident(conv) && ident(name) {
            out.push((name.to_string(), conv.to_string()));
        }
        if out.len() >= MAX_ROUTE_PARAMS {
            break;
        }
    }
    out
}

/// Whether every registration of `function` through one of `via` types its parameter
/// `param` with one of `converters`. A parameter missing from some route (passed through
/// `kwargs`, or a route that is not a literal) is not exempt.
pub fn typed_by_every_route(
    handlers: &Handlers,
    via: &[String],
    function: &str,
    param: &str,
    converters: &[String],
) -> bool {
    let mut routes = handlers
        .iter()
        .filter(|h| h.function == function && via.contains(&h.via))
        .peekable();
    routes.peek().is_some()
        && routes.all(|h| {
            h.route_params
                .iter()
                .any(|(n, c)| n == param && converters.contains(c))
        })
}

/// The handler expression of a registration call, with wrapper calls taken off.
fn handler_argument<'t>(
    model: &Model<'t>,
    call: Node<'t>,
    position: usize,
    keyword: Option<&str>,
) -> Option<Node<'t>> {
    let args = call.field(&fields::ARGUMENTS)?;
    let mut cursor = args.walk();
    let mut positional = 0;
    let mut found = None;
    for a in args.named_children(&mut cursor) {
        match a.kind_name() {
            "keyword_argument" => {
                if keyword
                    .is_some_and(|k| a.field(&fields::NAME).is_some_and(|n| model.text(n) == k))
                {
                    found = a.field(&fields::VALUE);
                }
            }
            "list_splat" | "dictionary_splat" | "comment" => {}
            _ => {
                if positional == position {
                    found = Some(a);
                }
                positional += 1;
            }
        }
    }
    let mut e = found?;
    for _ in 0..MAX_WRAPPERS {
        if e.kind_name() != "call" {
            return Some(e);
        }
        // `login_required(view)`: the handler is the wrapper's first argument.
        let args = e.field(&fields::ARGUMENTS)?;
        let mut cursor = args.walk();
        let first = args
            .named_children(&mut cursor)
            .find(|a| !matches!(a.kind_name(), "keyword_argument" | "comment"))?;
        e = first;
    }
    None
}

/// How `e` (a name or an attribute chain) names a function.
fn reference(
    model: &Model,
    e: Node,
    scope: usize,
    imports: &HashMap<String, ImportTarget>,
) -> Option<HandlerRef> {
    let (root, rest) = chain(model, e)?;
    let bound = model.lookup(root, scope, e.start_byte());
    let local_def =
        bound.is_some_and(|(bs, _)| bs.iter().any(|b| matches!(b.kind, BindingKind::Def(_))));
    if rest.is_empty() && local_def {
        return Some(HandlerRef::Local(root.to_string()));
    }
    let target = imports.get(root)?.clone();
    Some(HandlerRef::Imported {
        target,
        rest: rest.iter().map(|s| s.to_string()).collect(),
    })
}

/// The handlers of every module of a project.
#[derive(Debug, Default)]
pub struct ProjectHandlers {
    by_file: HashMap<FileId, Handlers>,
}

impl ProjectHandlers {
    /// Resolves each file's registrations to the module-level function they name.
    pub fn new<'r>(
        index: &ProjectIndex,
        registrations: impl IntoIterator<Item = (FileId, &'r [Registration])>,
    ) -> ProjectHandlers {
        let mut by_file: HashMap<FileId, Handlers> = HashMap::new();
        for (from, regs) in registrations {
            for r in regs {
                let Some((file, function)) = resolve(index, from, &r.target) else {
                    continue;
                };
                by_file.entry(file).or_default().list.push(Handler {
                    via: r.via.clone(),
                    function,
                    route_params: r.route_params.clone(),
                });
            }
        }
        for h in by_file.values_mut() {
            h.list.sort();
            h.list.dedup();
        }
        ProjectHandlers { by_file }
    }

    /// Marks the modules that a module with registered handlers imports (`edges[a]` are
    /// the modules `a` imports) as helper modules of views.
    pub fn mark_view_imports(&mut self, edges: &[Vec<FileId>]) {
        let mut helpers: Vec<FileId> = Vec::new();
        for (a, out) in edges.iter().enumerate() {
            if self.by_file.get(&a).is_some_and(|h| !h.is_empty()) {
                helpers.extend(out.iter().copied().filter(|&b| b != a));
            }
        }
        for b in helpers {
            self.by_file.entry(b).or_default().imported_by_views = true;
        }
    }

    /// The registered handlers of `file`.
    pub fn of(&self, file: FileId) -> &Handlers {
        self.by_file.get(&file).unwrap_or(&NO_HANDLERS)
    }
}

/// The file and function name a handler reference denotes. Re-exports are not followed
/// here (no module is summarised yet): a handler reached through one counts for the
/// re-exporting module, and its own module falls back to the parameter-name rule.
fn resolve(index: &ProjectIndex, from: FileId, r: &HandlerRef) -> Option<(FileId, String)> {
    match r {
        HandlerRef::Local(name) => Some((from, name.clone())),
        HandlerRef::Imported { target, rest } => match &target.name {
            Some(n) => {
                let sub = if target.module.is_empty() {
                    n.clone()
                } else {
                    format!("{}.{n}", target.module)
                };
                // `from shop import views` … `views.order`: `views` is a submodule.
                if let [func] = rest.as_slice()
                    && let Some(f) = index.resolve_module(from, target.dots, &sub)
                {
                    return Some((f, func.clone()));
                }
                // `from shop.views import order`.
                if rest.is_empty() {
                    let f = index.resolve_module(from, target.dots, &target.module)?;
                    return Some((f, n.clone()));
                }
                None
            }
            None => {
                // `import shop.views` … `shop.views.order`.
                let mut q = target.module.clone();
                for seg in rest {
                    q.push('.');
                    q.push_str(seg);
                }
                let (f, segs) = index.resolve_qualified(from, &q)?;
                match segs.as_slice() {
                    [func] => Some((f, func.to_string())),
                    _ => None,
                }
            }
        },
    }
}
