//! The project index: which file each module name denotes, and the import graph.
//!
//! Module names come from paths. A file gets one name per directory above it that could be
//! an import root: any directory that is not itself a package (no `__init__.py` among the
//! scanned files). So `src/app/views.py` with `src/app/__init__.py` is `app.views` (the
//! `src/` layout) and `src.app.views`; a script directory without `__init__.py` makes its
//! files importable by their stem, and namespace packages work because every non-package
//! directory is tried. A directory holding `manage.py` is a root too, package or not
//! (Django puts it on `sys.path`). Several scan roots simply contribute their files. When one name
//! denotes several files, the one nearest the importer wins (then the first by path), so
//! resolution is deterministic.

use super::imports::ImportRef;
use std::collections::{HashMap, HashSet};
use std::path::{Component, Path, PathBuf};

/// Index of a file in [`ProjectIndex::files`].
pub type FileId = usize;

/// Deepest module name (in segments) given to a file.
const MAX_NAME_DEPTH: usize = 16;
/// Names of a module tried when following re-exports (`__init__` importing from a
/// submodule that imports from another): bounds chains and cycles of re-exports.
pub const MAX_REEXPORT_HOPS: usize = 8;

/// The files of one scan that take part in whole-program analysis.
#[derive(Debug, Default)]
pub struct ProjectIndex {
    files: Vec<PathBuf>,
    /// `files` without `.` components, computed once: import resolution compares them for
    /// every import of every file.
    normal_files: Vec<PathBuf>,
    by_path: HashMap<PathBuf, FileId>,
    by_name: HashMap<String, Vec<FileId>>,
}

impl ProjectIndex {
    /// Indexes `files` (any order; the index sorts them).
    pub fn new(mut files: Vec<PathBuf>) -> ProjectIndex {
        files.sort();
        files.dedup();
        let normal_files: Vec<PathBuf> = files.iter().map(|p| normal(p)).collect();
        let by_path: HashMap<PathBuf, FileId> = normal_files
            .iter()
            .enumerate()
            .map(|(i, p)| (p.clone(), i))
            .collect();
        let packages: HashSet<PathBuf> = files
            .iter()
            .filter(|p| p.file_name().is_some_and(|n| n == "__init__.py"))
            .filter_map(|p| p.parent().map(normal))
            .collect();
        // Django runs `manage.py` with its own directory on `sys.path`, so the modules
        // beside it import each other by short names (`from users import views`) even when
        // that directory is itself a package.
        let script_roots: HashSet<PathBuf> = files
            .iter()
            .filter(|p| p.file_name().is_some_and(|n| n == "manage.py"))
            .filter_map(|p| p.parent().map(normal))
            .collect();
        let mut by_name: HashMap<String, Vec<FileId>> = HashMap::new();
        for (id, p) in normal_files.iter().enumerate() {
            for name in module_names(p, &packages, &script_roots) {
                by_name.entry(name).or_default().push(id);
            }
        }
        ProjectIndex {
            files,
            normal_files,
            by_path,
            by_name,
        }
    }

    /// The indexed files, sorted.
    pub fn files(&self) -> &[PathBuf] {
        &self.files
    }

    /// The file id of `path`, if indexed.
    pub fn id(&self, path: &Path) -> Option<FileId> {
        self.by_path.get(&normal(path)).copied()
    }

    /// The file a module reference denotes for the importer `from`: `dots` leading dots
    /// (relative import) then a dotted `module` (may be empty after dots).
    pub fn resolve_module(&self, from: FileId, dots: usize, module: &str) -> Option<FileId> {
        if dots > 0 {
            let me = &self.normal_files[from];
            let mut base = me.parent()?.to_path_buf();
            for _ in 1..dots {
                base = base.parent()?.to_path_buf();
            }
            for seg in module.split('.').filter(|s| !s.is_empty()) {
                base.push(seg);
            }
            if module.is_empty() {
                return self.by_path.get(&base.join("__init__.py")).copied();
            }
            return self
                .by_path
                .get(&base.with_extension("py"))
                .or_else(|| self.by_path.get(&base.join("__init__.py")))
                .copied();
        }
        let candidates = self.by_name.get(module)?;
        let me = &self.normal_files[from];
        let nearest = match candidates.as_slice() {
            [only] => Some(*only),
            _ => candidates.iter().copied().max_by_key(|&c| {
                let shared = common_prefix(me, &self.normal_files[c]);
                // Nearest first, then the first by path (ids are in path order).
                (shared, std::cmp::Reverse(c))
            }),
        };
        nearest.filter(|&c| c != from || module.is_empty())
    }

    /// Splits a qualified name into the longest module prefix that is a project file and
    /// the rest (`app.models.Order.save` → (`app/models.py`, ["Order", "save"])).
    pub fn resolve_qualified<'q>(
        &self,
        from: FileId,
        q: &'q str,
    ) -> Option<(FileId, Vec<&'q str>)> {
        let segs: Vec<&str> = q.split('.').collect();
        for n in (1..segs.len()).rev() {
            if let Some(f) = self.resolve_module(from, 0, &segs[..n].join(".")) {
                return Some((f, segs[n..].to_vec()));
            }
        }
        None
    }

    /// The project files an import statement of `from` depends on: the module, each
    /// package on its way (whose `__init__` runs and may re-export), and imported names
    /// that are submodules.
    pub fn dependencies(&self, from: FileId, imp: &ImportRef) -> Vec<FileId> {
        let mut out = Vec::new();
        let segs: Vec<&str> = imp.module.split('.').filter(|s| !s.is_empty()).collect();
        for n in 1..=segs.len() {
            if let Some(f) = self.resolve_module(from, imp.dots, &segs[..n].join(".")) {
                out.push(f);
            }
        }
        if imp.dots > 0
            && segs.is_empty()
            && let Some(f) = self.resolve_module(from, imp.dots, "")
        {
            out.push(f);
        }
        for name in &imp.names {
            if name == "*" {
                continue;
            }
            let sub = if imp.module.is_empty() {
                name.clone()
            } else {
                format!("{}.{name}", imp.module)
            };
            if let Some(f) = self.resolve_module(from, imp.dots, &sub) {
                out.push(f);
            }
        }
        out.retain(|&f| f != from);
        out.sort_unstable();
        out.dedup();
        out
    }
}

/// A path without `.` components, so `./a/b.py` and `a/b.py` are one key.
fn normal(p: &Path) -> PathBuf {
    p.components()
        .filter(|c| !matches!(c, Component::CurDir))
        .collect()
}

fn common_prefix(a: &Path, b: &Path) -> usize {
    a.components()
        .zip(b.components())
        .take_while(|(x, y)| x == y)
        .count()
}

/// Every name `path` can be imported by (see the module docs). `script_roots` are
/// package directories that are import roots all the same (they hold `manage.py`).
fn module_names(
    path: &Path,
    packages: &HashSet<PathBuf>,
    script_roots: &HashSet<PathBuf>,
) -> Vec<String> {
    let is_init = path.file_name().is_some_and(|n| n == "__init__.py");
    let module_path = if is_init {
        path.parent().map(Path::to_path_buf).unwrap_or_default()
    } else {
        path.with_extension("")
    };
    let segs: Vec<String> = module_path
        .components()
        .filter_map(|c| match c {
            Component::Normal(s) => s.to_str().map(str::to_string),
            _ => None,
        })
        .collect();
    if segs.is_empty() {
        return Vec::new();
    }
    let mut names = Vec::new();
    let n = segs.len();
    for k in (n.saturating_sub(MAX_NAME_DEPTH)..n).rev() {
        // The directory holding segment k is the candidate root.
        let root: PathBuf = path
            .components()
            .take_while(|c| !matches!(c, Component::Normal(_)))
            .chain(
                path.components()
                    .filter(|c| matches!(c, Component::Normal(_)))
                    .take(k),
            )
            .collect();
        let root_is_package = packages.contains(&root) && !script_roots.contains(&root);
        let valid = segs[k..].iter().all(|s| is_identifier(s));
        if valid && !root_is_package {
            names.push(segs[k..].join("."));
        }
        if !valid {
            break;
        }
    }
    names
}

fn is_identifier(s: &str) -> bool {
    !s.is_empty()
        && s.chars().all(|c| c == '_' || c.is_alphanumeric())
        && !s.starts_with(|c: char| c.is_ascii_digit())
}

/// Strongly connected components of a graph given as adjacency lists, dependencies
/// first (an edge `a → b` puts `b`'s component before `a`'s); iterative, so deep import
/// chains cannot overflow the stack.
pub fn components(edges: &[Vec<FileId>]) -> Vec<Vec<FileId>> {
    let n = edges.len();
    let mut index = vec![usize::MAX; n];
    let mut low = vec![0; n];
    let mut on_stack = vec![false; n];
    let mut stack: Vec<usize> = Vec::new();
    let mut out = Vec::new();
    let mut next = 0;
    for start in 0..n {
        if index[start] != usize::MAX {
            continue;
        }
        let mut work: Vec<(usize, usize)> = vec![(start, 0)];
        index[start] = next;
        low[start] = next;
        next += 1;
        stack.push(start);
        on_stack[start] = true;
        while let Some(&mut (v, ref mut i)) = work.last_mut() {
            if *i < edges[v].len() {
                let w = edges[v][*i];
                *i += 1;
                if index[w] == usize::MAX {
                    index[w] = next;
                    low[w] = next;
                    next += 1;
                    stack.push(w);
                    on_stack[w] = true;
                    work.push((w, 0));
                } else if on_stack[w] {
                    low[v] = low[v].min(index[w]);
                }
                continue;
            }
            work.pop();
            if let Some(&(parent, _)) = work.last() {
                low[parent] = low[parent].min(low[v]);
            }
            if low[v] == index[v] {
                let mut comp = Vec::new();
                while let Some(w) = stack.pop() {
                    on_stack[w] = false;
                    comp.push(w);
                    if w == v {
                        break;
                    }
                }
                comp.sort_unstable();
                out.push(comp);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_packages_and_src_layouts() {
        let idx = ProjectIndex::new(vec![
            "p/src/app/__init__.py".into(),
            "p/src/app/views.py".into(),
            "p/src/app/db/__init__.py".into(),
            "p/src/app/db/dao.py".into(),
            "p/scripts/job.py".into(),
        ]);
        let views = idx.id(Path::new("p/src/app/views.py")).unwrap();
        let dao = idx.id(Path::new("p/src/app/db/dao.py")).unwrap();
        assert_eq!(idx.resolve_module(views, 0, "app.db.dao"), Some(dao));
        assert_eq!(idx.resolve_module(views, 1, "db.dao"), Some(dao));
        assert_eq!(idx.resolve_module(dao, 2, "views"), Some(views));
        assert_eq!(idx.resolve_module(views, 0, "dao"), None);
        let job = idx.id(Path::new("p/scripts/job.py")).unwrap();
        assert_eq!(idx.resolve_module(views, 0, "job"), Some(job));
        let (f, rest) = idx.resolve_qualified(views, "app.db.dao.Dao.run").unwrap();
        assert_eq!((f, rest), (dao, vec!["Dao", "run"]));
    }

    #[test]
    fn a_manage_py_directory_is_a_root_even_as_a_package() {
        let idx = ProjectIndex::new(vec![
            "ls/label_studio/__init__.py".into(),
            "ls/label_studio/manage.py".into(),
            "ls/label_studio/users/__init__.py".into(),
            "ls/label_studio/users/views.py".into(),
            "ls/label_studio/users/functions.py".into(),
            "other/pkg/__init__.py".into(),
            "other/pkg/users/__init__.py".into(),
            "other/pkg/users/functions.py".into(),
        ]);
        let views = idx.id(Path::new("ls/label_studio/users/views.py")).unwrap();
        let functions = idx
            .id(Path::new("ls/label_studio/users/functions.py"))
            .unwrap();
        assert_eq!(
            idx.resolve_module(views, 0, "users.functions"),
            Some(functions)
        );
        assert_eq!(
            idx.resolve_module(views, 0, "label_studio.users.functions"),
            Some(functions)
        );
        // A package without manage.py stays a package: its subpackage has no short name.
        let other = idx.id(Path::new("other/pkg/users/functions.py")).unwrap();
        assert_ne!(idx.resolve_module(other, 0, "users.functions"), Some(other));
    }

    #[test]
    fn components_put_dependencies_first() {
        // 0 → 1 → 2 → 1, 3 alone.
        let comps = components(&[vec![1], vec![2], vec![1], vec![]]);
        assert_eq!(comps, vec![vec![1, 2], vec![0], vec![3]]);
    }
}
