//! The project's class table: the imports and module-level classes of the modules that may
//! define or re-export a class some rule condition names (`engine::class_facts` chooses
//! them in the scan's probe). Through it, a condition on `Loader=ConfigLoader` sees the
//! PyYAML loader that `ConfigLoader`, defined in another module, derives from.

use super::index::{FileId, ProjectIndex};
use super::module_summary::ModuleSummary;
use super::resolve::ProjectView;
use std::collections::HashMap;
use std::sync::Arc;

/// The class facts of the scan's modules, by file.
#[derive(Debug, Default)]
pub struct ClassTable {
    modules: HashMap<FileId, Arc<ModuleSummary>>,
    /// Some module defines a class (packages' re-exports alone resolve nothing).
    has_classes: bool,
    digest: [u8; 32],
}

impl ClassTable {
    /// The table of `entries` (any order).
    pub fn new(index: &ProjectIndex, entries: Vec<(FileId, ModuleSummary)>) -> ClassTable {
        let mut entries = entries;
        entries.sort_by_key(|(id, _)| *id);
        let mut h = blake3::Hasher::new();
        h.update(b"classes\0");
        for (id, m) in &entries {
            // `Debug` of the summary's ordered maps is the same in every run of one build.
            h.update(format!("{:?}\0{:?}\0", index.files()[*id], m).as_bytes());
        }
        ClassTable {
            has_classes: entries.iter().any(|(_, m)| !m.classes.is_empty()),
            digest: *h.finalize().as_bytes(),
            modules: entries
                .into_iter()
                .map(|(id, m)| (id, Arc::new(m)))
                .collect(),
        }
    }

    /// Whether no module defines a class of interest (conditions then need no table).
    pub fn is_empty(&self) -> bool {
        !self.has_classes
    }

    /// What the module `me` sees of the table; `None` for an empty table.
    pub fn view<'a>(&'a self, index: &'a ProjectIndex, me: FileId) -> Option<ProjectView<'a>> {
        (!self.is_empty()).then_some(ProjectView {
            index,
            me,
            solved: &self.modules,
            overlay: None,
            reads: None,
        })
    }

    /// A digest of the table, for the cache context of every module (each one's
    /// conditions may read any entry); all zero for an empty table.
    pub fn digest(&self) -> [u8; 32] {
        if self.is_empty() {
            [0; 32]
        } else {
            self.digest
        }
    }
}
