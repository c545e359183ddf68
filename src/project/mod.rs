//! The project model: every scanned module, how modules import each other, and the owned
//! summaries that let one module's analysis use another's without re-parsing it.
//!
//! [`imports`] reads a file's imports from its text, [`index`] names the modules and
//! orders them (dependencies first, import cycles as one component), [`module_summary`]
//! holds what a module offers its importers, [`registrations`] finds request handlers by
//! how the project registers them, and [`resolve`] follows a name through
//! imports, re-exports and class hierarchies to a function summary.

pub mod classes;
pub mod depends;
pub mod findings;
pub mod imports;
pub mod index;
pub mod module_summary;
pub mod registrations;
pub mod resolve;
pub mod schedule;

pub use index::{FileId, ProjectIndex};
pub use module_summary::ModuleSummary;
pub use resolve::ProjectView;
