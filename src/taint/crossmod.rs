//! Following tainted arguments into functions of other modules of the scanned project.
//!
//! When a tainted value is passed to a function imported from another module, the module's
//! file is located next to the importing file (`from app.utils import run` → `app/utils.py`
//! under the package root of the importing file; `from .utils import run` relative to it),
//! parsed, and the function summarised for that parameter with the same pass. The result is
//! owned data (the callee file's nodes do not outlive the lookup): whether the parameter
//! reaches the return value, and which sinks it reaches, with the callee's path as text.
//! One level only: the callee's own imports are not followed. Files are never executed.

use super::FileCtx;
use super::names::{def_in, params};
use super::pass::Pass;
use super::trace::Origin;
use crate::rules::RuleSet;
use crate::semantic::{BindingKind, Model};
use crate::source::{SourceText, decode};
use std::path::{Path, PathBuf};

/// Callee files larger than this are not read.
const MAX_CALLEE_BYTES: u64 = 2 * 1024 * 1024;
/// Package directories climbed to find the import root.
const MAX_PACKAGE_DEPTH: usize = 16;
/// Other modules one file may load: bounds the work a single hostile file can cause.
pub const MAX_LOADS_PER_FILE: usize = 8;

/// What a parameter of a function in another module reaches.
#[derive(Debug, Default)]
pub struct ExtSummary {
    /// The callee's path from the parameter to its return value, as text.
    pub returns: Option<String>,
    /// (rule index, sink index, sink callee, the callee's path to the sink as text).
    pub hits: Vec<(usize, usize, String, String)>,
}

/// A function of another module named by an import: relative dots, dotted module, name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ExtTarget {
    pub dots: usize,
    pub module: String,
    pub func: String,
}

/// The file a module name denotes for an importer at `importer`, if it exists in its tree.
pub fn module_file(importer: &Path, target: &ExtTarget) -> Option<PathBuf> {
    let dir = importer.parent().unwrap_or(Path::new(""));
    let rel: PathBuf = target.module.split('.').filter(|s| !s.is_empty()).collect();
    let mut bases = Vec::new();
    if target.dots > 0 {
        let mut base = dir.to_path_buf();
        for _ in 1..target.dots {
            base = base.parent()?.to_path_buf();
        }
        bases.push(base);
    } else {
        // The import root is the directory above the outermost package holding the
        // importer; a script's own directory also works for sibling imports.
        bases.push(dir.to_path_buf());
        let mut root = dir.to_path_buf();
        for _ in 0..MAX_PACKAGE_DEPTH {
            if !root.join("__init__.py").is_file() {
                break;
            }
            match root.parent() {
                Some(p) => root = p.to_path_buf(),
                None => break,
            }
        }
        if root != dir {
            bases.push(root);
        }
    }
    for base in bases {
        let stem = base.join(&rel);
        for candidate in [stem.with_extension("py"), stem.join("__init__.py")] {
            // Never follow symbolic links out of the tree; only regular files.
            if std::fs::symlink_metadata(&candidate)
                .is_ok_and(|m| m.file_type().is_file() && m.len() <= MAX_CALLEE_BYTES)
            {
                return Some(candidate);
            }
        }
    }
    None
}

/// Summarises `func`'s parameter (by position, or by keyword name) in `file`.
pub fn summarise(
    pass: &Pass,
    rules: &RuleSet,
    applicable: &[bool],
    file: &Path,
    func: &str,
    position: Option<usize>,
    keyword: Option<&str>,
) -> Option<ExtSummary> {
    let bytes = std::fs::read(file).ok()?;
    let (source, _) = decode(&bytes).ok()?;
    let tree = crate::engine::parse(&source.text)?;
    let model = Model::build(tree.root_node(), source.text.as_bytes());
    let def = def_in(&model, 0, func)?;
    let plist = params(&model, def);
    let idx = match (position, keyword) {
        (Some(p), _) => p,
        (None, Some(k)) => plist.iter().position(|p| p.name == k)?,
        _ => return None,
    };
    let pname = plist.get(idx)?.name;
    let cx = FileCtx::new(pass, rules, applicable, &model, None);
    let scope = cx.scope_of(def)?;
    let summary = cx.summary(def, scope, super::Entry::Param(idx));
    let shown = file.display().to_string();
    let describe = |steps: &[super::trace::Step], end: Option<(usize, String)>| {
        let mut parts = vec![format!("in {shown}: `{func}()` parameter `{pname}`")];
        for s in steps {
            parts.push(format!("line {}: {}", line(&source, s.start), s.note));
        }
        if let Some((at, note)) = end {
            parts.push(format!("line {}: {note}", line(&source, at)));
        }
        parts.join("; ")
    };
    let mut out = ExtSummary {
        returns: summary
            .returns
            .as_ref()
            .filter(|t| matches!(t.origin(), Origin::Param(_)))
            .map(|t| describe(t.steps(), None)),
        hits: Vec::new(),
    };
    for h in &summary.hits {
        let note = format!("reaches `{}()`", h.callee);
        let text = describe(h.taint.steps(), Some((h.call.start_byte(), note)));
        out.hits.push((h.rule, h.sink, h.callee.clone(), text));
    }
    Some(out)
}

fn line(source: &SourceText, byte: usize) -> usize {
    source.position(byte).line
}

/// The other-module function `f` (a callee expression in `model`) names, if any: through
/// an absolute import's qualified name, or a relative import at the top of the file.
pub fn target<'t>(model: &Model<'t>, scope: usize, f: tree_sitter::Node<'t>) -> Option<ExtTarget> {
    let (root, segs) = super::names::chain(model, f)?;
    let (bindings, home) = model.lookup(root, scope, f.start_byte())?;
    if home != 0 {
        return None;
    }
    let binding = bindings.first()?;
    match binding.kind {
        BindingKind::Import(_) => {
            let q = model.qualified_names(f, scope).into_iter().next()?;
            let (module, func) = q.rsplit_once('.')?;
            Some(ExtTarget {
                dots: 0,
                module: module.to_string(),
                func: func.to_string(),
            })
        }
        BindingKind::Other => {
            let (dots, module, name) = relative_import(model, root)?;
            // `from .m import f` then `f(...)`, or `from . import m` then `m.f(...)`.
            match segs.as_slice() {
                [] => Some(ExtTarget {
                    dots,
                    module,
                    func: name,
                }),
                [func] => Some(ExtTarget {
                    dots,
                    module: if module.is_empty() {
                        name
                    } else {
                        format!("{module}.{name}")
                    },
                    func: func.to_string(),
                }),
                _ => None,
            }
        }
        _ => None,
    }
}

/// For a name bound by a top-level `from .mod import name [as alias]`: (dots, mod, name).
fn relative_import(model: &Model, local: &str) -> Option<(usize, String, String)> {
    let root = model.scopes[0].node;
    let mut cursor = root.walk();
    for stmt in root.named_children(&mut cursor) {
        if stmt.kind() != "import_from_statement" {
            continue;
        }
        let Some(m) = stmt.child_by_field_name("module_name") else {
            continue;
        };
        if m.kind() != "relative_import" {
            continue;
        }
        let text: String = model
            .text(m)
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        let dots = text.chars().take_while(|&c| c == '.').count();
        let module = text[dots..].to_string();
        let mut c2 = stmt.walk();
        for n in stmt.children_by_field_name("name", &mut c2) {
            let (name, alias) = match n.kind() {
                "dotted_name" => (model.text(n), model.text(n)),
                "aliased_import" => match (
                    n.child_by_field_name("name"),
                    n.child_by_field_name("alias"),
                ) {
                    (Some(a), Some(b)) => (model.text(a), model.text(b)),
                    _ => continue,
                },
                _ => continue,
            };
            if alias == local {
                return Some((dots, module, name.to_string()));
            }
        }
    }
    None
}
