//! pyaudit: a static analyser for unsafe deserialization and insecure input handling in
//! Python code.
//!
//! The pipeline: [`discover`] walks the paths, [`engine`] prefilters, parses (tree-sitter)
//! and matches each file against the declarative [`rules`] using the [`semantic`] layer's
//! name resolution, [`scan`] runs it in parallel and orders the results, and [`report`]
//! prints them. [`settings`] merges flags with [`config`] files; [`suppress`] reads
//! `# pyaudit: ignore` comments; [`gate`] applies the [`baseline`] and decides the exit code.

pub mod baseline;
pub mod baseline_ref;
pub mod bounded_read;
pub mod cache;
pub mod cli;
pub mod config;
pub mod dedup;
pub mod discover;
pub mod engine;
pub mod explain;
pub mod fields;
pub mod finding;
pub mod fix;
pub mod fixer;
pub mod gate;
pub mod lsp;
pub mod project;
pub mod report;
pub mod rule_docs;
pub mod rules;
pub mod ruletest;
pub mod scan;
pub mod semantic;
pub mod settings;
pub mod source;
pub mod stdin;
pub mod suppress;
pub mod taint;
