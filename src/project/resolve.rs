//! Resolving names across modules with the summaries solved so far.

use super::index::{FileId, MAX_REEXPORT_HOPS, ProjectIndex};
use super::module_summary::{FuncKind, FuncSummary, ImportTarget, ModuleSummary};
use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::{Arc, Mutex};

/// Classes one inheritance lookup visits at most: far beyond real hierarchies, so only a
/// generated one can reach it; each class is visited once, so cycles end.
pub const MAX_CLASSES_SEARCHED: usize = 10_000;

/// What one module being analysed sees of the project: the index and the summaries of
/// the modules solved before it (its dependencies, or the previous round of its cycle).
#[derive(Debug, Clone, Copy)]
pub struct ProjectView<'a> {
    pub index: &'a ProjectIndex,
    pub me: FileId,
    pub solved: &'a HashMap<FileId, Arc<ModuleSummary>>,
    /// The previous round's summaries of the analysed module's import cycle.
    pub overlay: Option<&'a HashMap<FileId, Arc<ModuleSummary>>>,
    /// Records what of the cycle's summaries this analysis read, so that a later round
    /// re-analyses it only when one of those changed.
    pub reads: Option<&'a Mutex<Vec<Read>>>,
}

/// What one analysis read of another module's summary: one function's summary (by its
/// key in [`ModuleSummary::funcs`]), or, with `None`, the module as a whole (it was looked
/// up and not found: it has no summary yet). The rest of a summary (imports, classes,
/// singletons, which functions exist) follows from the module's syntax alone, so it is the
/// same in every round of a cycle and need not be recorded.
pub type Read = (FileId, Option<String>);

/// A function of another module a call resolves to.
#[derive(Debug, Clone, Copy)]
pub struct Callee<'a> {
    pub file: &'a Path,
    pub module: &'a ModuleSummary,
    pub func: &'a FuncSummary,
    /// Whether the first parameter is passed implicitly (`self` or `cls`).
    pub implicit_first: bool,
}

impl<'a> ProjectView<'a> {
    /// The function `rest` names under an import of the analysed module (`target`
    /// bound the first name of the callee expression; `rest` are the attributes after it).
    /// With `instance`, the last attribute is a method called on an instance of the class
    /// the others name.
    pub fn callee(
        &self,
        target: &ImportTarget,
        rest: &[&str],
        instance: bool,
    ) -> Option<Callee<'a>> {
        let segs: Vec<String> = rest.iter().map(|s| s.to_string()).collect();
        let (file, segs) = self.follow(self.me, target, &segs, 0)?;
        let mut c = self.interpret(file, &segs)?;
        if instance {
            c.implicit_first = c.func.kind != FuncKind::StaticMethod;
        }
        Some(c)
    }

    /// Whether an import of the analysed module can lead into the project at all: the
    /// module it names (or, for `from m import n`, the submodule `m.n`) is a project file.
    /// When neither is, [`ProjectView::callee`] finds nothing under it, whatever the rest.
    pub fn may_reach(&self, target: &ImportTarget) -> bool {
        let index = self.index;
        index
            .resolve_module(self.me, target.dots, &target.module)
            .is_some()
            || target.name.as_ref().is_some_and(|n| {
                let sub = if target.module.is_empty() {
                    n.clone()
                } else {
                    format!("{}.{n}", target.module)
                };
                index.resolve_module(self.me, target.dots, &sub).is_some()
            })
    }

    /// The summary of a solved module.
    fn module(&self, file: FileId) -> Option<&'a ModuleSummary> {
        let found = self
            .overlay
            .and_then(|o| o.get(&file))
            .or_else(|| self.solved.get(&file))
            .map(|m| m.as_ref());
        if found.is_none() {
            self.note_read(file, None);
        }
        found
    }

    /// Records a read for the cycle's rounds (see [`ProjectView::reads`]).
    fn note_read(&self, file: FileId, func: Option<&str>) {
        if let Some(reads) = self.reads {
            let mut reads = reads.lock().unwrap_or_else(|e| e.into_inner());
            reads.push((file, func.map(str::to_string)));
        }
    }

    /// The summary of function `name` of a solved module, the read recorded.
    fn func(&self, file: FileId, m: &'a ModuleSummary, name: &str) -> Option<&'a FuncSummary> {
        self.note_read(file, Some(name));
        m.funcs.get(name)
    }

    /// Follows an import of `from` to the module defining the name, with the rest.
    fn follow(
        &self,
        from: FileId,
        t: &ImportTarget,
        rest: &[String],
        hops: usize,
    ) -> Option<(FileId, Vec<String>)> {
        if hops > MAX_REEXPORT_HOPS {
            return None;
        }
        match &t.name {
            Some(n) => {
                // A name the package binds wins over a submodule of the same name
                // (`from .dao import dao` in `__init__`), as at run time.
                let base = self.index.resolve_module(from, t.dots, &t.module);
                let bound = base
                    .and_then(|b| self.module(b))
                    .is_some_and(|m| binds(m, n));
                if !bound {
                    let sub = if t.module.is_empty() {
                        n.clone()
                    } else {
                        format!("{}.{n}", t.module)
                    };
                    if let Some(f) = self.index.resolve_module(from, t.dots, &sub) {
                        return self.locate(f, rest, hops + 1);
                    }
                }
                let mut segs = vec![n.clone()];
                segs.extend_from_slice(rest);
                self.locate(base?, &segs, hops + 1)
            }
            None => {
                let base = self.index.resolve_module(from, t.dots, &t.module)?;
                self.locate(base, rest, hops + 1)
            }
        }
    }

    /// The module where `segs[0]` is defined, starting the search in `file`.
    fn locate(&self, file: FileId, segs: &[String], hops: usize) -> Option<(FileId, Vec<String>)> {
        let head = segs.first()?;
        if hops > MAX_REEXPORT_HOPS {
            return None;
        }
        let m = self.module(file)?;
        if defines(m, head) {
            return Some((file, segs.to_vec()));
        }
        if let Some(t) = m.imports.get(head) {
            return self.follow(file, t, &segs[1..], hops + 1);
        }
        let is_package = self.index.files()[file]
            .file_name()
            .is_some_and(|n| n == "__init__.py");
        if is_package
            && segs.len() > 1
            && let Some(sub) = self.index.resolve_module(file, 1, head)
        {
            return self.locate(sub, &segs[1..], hops + 1);
        }
        m.stars.iter().find_map(|t| {
            let f = self.index.resolve_module(file, t.dots, &t.module)?;
            self.locate(f, segs, hops + 1)
        })
    }

    /// The function a located name denotes.
    fn interpret(&self, file: FileId, segs: &[String]) -> Option<Callee<'a>> {
        let m = self.module(file)?;
        match segs {
            [f] => {
                let func = self.func(file, m, f)?;
                (func.kind == FuncKind::Function).then(|| self.make(file, m, func, false))
            }
            [owner, method] => {
                if m.classes.contains_key(owner) {
                    let (mf, mm, func) = self.method(file, owner, method)?;
                    let implicit = func.kind == FuncKind::ClassMethod;
                    return Some(self.make(mf, mm, func, implicit));
                }
                let class = m.singletons.get(owner)?;
                let (cf, cname) = self.class_ref(file, class)?;
                let (mf, mm, func) = self.method(cf, &cname, method)?;
                let implicit = func.kind != FuncKind::StaticMethod;
                Some(self.make(mf, mm, func, implicit))
            }
            _ => None,
        }
    }

    fn make(
        &self,
        file: FileId,
        module: &'a ModuleSummary,
        func: &'a FuncSummary,
        implicit: bool,
    ) -> Callee<'a> {
        Callee {
            file: &self.index.files()[file],
            module,
            func,
            implicit_first: implicit,
        }
    }

    /// `class.method` defined in the class or inherited from a project base class. Bases
    /// are searched depth-first in declaration order, each class once (an inheritance cycle
    /// ends), up to [`MAX_CLASSES_SEARCHED`] classes.
    fn method(
        &self,
        file: FileId,
        class: &str,
        method: &str,
    ) -> Option<(FileId, &'a ModuleSummary, &'a FuncSummary)> {
        let mut seen: HashSet<(FileId, String)> = HashSet::new();
        let mut work = vec![(file, class.to_string())];
        while let Some((f, c)) = work.pop() {
            if seen.len() >= MAX_CLASSES_SEARCHED || !seen.insert((f, c.clone())) {
                continue;
            }
            let Some(m) = self.module(f) else {
                continue;
            };
            if let Some(func) = self.func(f, m, &format!("{c}.{method}")) {
                return Some((f, m, func));
            }
            let Some(bases) = m.classes.get(&c) else {
                continue;
            };
            // Reversed, so the first base is searched first.
            for base in bases.iter().rev() {
                if let Some(next) = self.class_ref(f, base) {
                    work.push(next);
                }
            }
        }
        None
    }

    /// The project class a dotted name used in `file` denotes.
    pub fn class_ref(&self, file: FileId, text: &str) -> Option<(FileId, String)> {
        let segs: Vec<String> = text.split('.').map(str::to_string).collect();
        let (f, segs) = self.locate(file, &segs, 0)?;
        match segs.as_slice() {
            [c] if self.module(f)?.classes.contains_key(c) => Some((f, c.clone())),
            _ => None,
        }
    }

    /// The class a project class's bases reach, as dotted names that are not project
    /// classes (third-party bases by their text after import resolution), up the chain.
    pub fn external_bases(&self, file: FileId, class: &str) -> Vec<(FileId, String)> {
        let mut out = Vec::new();
        let mut seen: HashSet<(FileId, String)> = HashSet::new();
        let mut work = vec![(file, class.to_string())];
        while let Some((f, c)) = work.pop() {
            if seen.len() >= MAX_CLASSES_SEARCHED || out.len() > 64 {
                break;
            }
            if !seen.insert((f, c.clone())) {
                continue;
            }
            let Some(bases) = self.module(f).and_then(|m| m.classes.get(&c)) else {
                continue;
            };
            for b in bases {
                match self.class_ref(f, b) {
                    Some(next) => work.push(next),
                    None => out.push((f, b.clone())),
                }
            }
        }
        out
    }

    /// For a project class named by an absolute qualified name (`app.loaders.ConfigLoader`,
    /// as an import in the analysed module resolves it), the qualified names of the classes
    /// outside the project it derives from (`yaml.SafeLoader`), through any chain of project
    /// classes in other modules. `None` when the name is not a project class.
    pub fn class_ancestors(&self, qualified: &str) -> Option<Vec<String>> {
        let (file, rest) = self.index.resolve_qualified(self.me, qualified)?;
        let segs: Vec<String> = rest.iter().map(|s| s.to_string()).collect();
        let (f, segs) = self.locate(file, &segs, 0)?;
        self.ancestors_of(f, &segs)
    }

    /// [`ProjectView::class_ancestors`] for a name the analysed module imports with
    /// `target` (a relative import, say), followed by the attributes `rest`.
    pub fn class_ancestors_via(
        &self,
        target: &ImportTarget,
        rest: &[String],
    ) -> Option<Vec<String>> {
        let (f, segs) = self.follow(self.me, target, rest, 0)?;
        self.ancestors_of(f, &segs)
    }

    /// [`ProjectView::class_ancestors`] for a class the analysed module defines itself.
    pub fn own_class_ancestors(&self, class: &str) -> Option<Vec<String>> {
        self.ancestors_of(self.me, &[class.to_string()])
    }

    fn ancestors_of(&self, file: FileId, segs: &[String]) -> Option<Vec<String>> {
        let [class] = segs else {
            return None;
        };
        if !self.module(file)?.classes.contains_key(class) {
            return None;
        }
        let mut out: Vec<String> = self
            .external_bases(file, class)
            .into_iter()
            .filter_map(|(f, text)| self.qualify(f, &text))
            .collect();
        out.sort();
        out.dedup();
        Some(out)
    }

    /// For a name the analysed module imports with `target`: when it is a module-level
    /// object of another project module built by a class from outside the project
    /// (`app = Flask(__name__)` in `shop/__init__.py`, imported by `from shop import app`),
    /// that class's qualified name (`flask.Flask`).
    pub fn singleton_class_via(&self, target: &ImportTarget) -> Option<String> {
        let (f, segs) = self.follow(self.me, target, &[], 0)?;
        let [name] = segs.as_slice() else {
            return None;
        };
        let class = self.module(f)?.singletons.get(name)?;
        if self.class_ref(f, class).is_some() {
            return None;
        }
        self.qualify(f, class).filter(|q| q.contains('.'))
    }

    /// The qualified name the dotted `text` denotes in `file`, through the file's
    /// module-level imports (`yaml.SafeLoader` after `import yaml`, or after `from yaml
    /// import SafeLoader` for `SafeLoader`). A name the file does not import is a builtin
    /// (`object`) and stays as written; a relative import outside the project denotes
    /// nothing known.
    fn qualify(&self, file: FileId, text: &str) -> Option<String> {
        let (head, rest) = match text.split_once('.') {
            Some((h, r)) => (h, Some(r)),
            None => (text, None),
        };
        let Some(t) = self.module(file)?.imports.get(head) else {
            return Some(text.to_string());
        };
        if t.dots > 0 {
            return None;
        }
        let mut q = t.module.clone();
        for part in t.name.iter().map(String::as_str).chain(rest) {
            if !q.is_empty() {
                q.push('.');
            }
            q.push_str(part);
        }
        Some(q)
    }
}

/// Whether the module defines `name` itself.
fn defines(m: &ModuleSummary, name: &str) -> bool {
    m.funcs.contains_key(name) || m.classes.contains_key(name) || m.singletons.contains_key(name)
}

/// Whether the module binds `name` (defines or imports it).
fn binds(m: &ModuleSummary, name: &str) -> bool {
    defines(m, name) || m.imports.contains_key(name)
}
