//! Analysing the open documents as modules of their project, so that flows crossing
//! modules reach the editor.
//!
//! The project under the workspace root is discovered and analysed as `pyaudit scan` would
//! (same excludes, limits and whole-program schedule), except that open documents are read
//! from the editor's text instead of the disk, and only the files the open documents'
//! results depend on are analysed ([`crate::scan::ScanOptions::focus`]). Open documents
//! outside the root, or with no root at all, are analysed on their own.

use crate::discover::{Candidate, Excludes, WalkOptions, discover_with};
use crate::engine::Engine;
use crate::finding::Finding;
use crate::scan::{LineTexts, Overrides, ScanOptions, scan_candidates};
use crate::settings::Settings;
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// What one analysis of the open documents found.
#[derive(Default)]
pub struct Analysis {
    /// The findings of the open documents (with those of other files the analysis
    /// produced on the way) that the project's report would show.
    pub findings: Vec<Finding>,
    /// Lines of analysed files beyond each finding's first (for related information in
    /// files that are not open).
    pub lines: Arc<LineTexts>,
    /// Why the project could not be analysed as a whole, if it could not.
    pub problem: Option<String>,
}

/// Analyses the open documents `docs` (path and text), those under `root` as part of the
/// project there.
pub fn analyse(
    engine: &Engine,
    settings: &Settings,
    root: Option<&Path>,
    docs: &[(PathBuf, &str)],
) -> Analysis {
    type Docs<'d, 't> = Vec<&'d (PathBuf, &'t str)>;
    let (inside, outside): (Docs, Docs) = docs
        .iter()
        .partition(|(p, _)| root.is_some_and(|r| p.starts_with(r)));
    let mut analysis = Analysis::default();
    let mut alone = outside;
    if let Some(root) = root
        && !inside.is_empty()
    {
        match analyse_project(engine, settings, root, &inside) {
            Ok((findings, lines)) => {
                analysis.findings = findings;
                analysis.lines = lines;
            }
            Err(e) => {
                analysis.problem = Some(format!(
                    "{e}; open files are analysed one by one, without cross-module flows"
                ));
                alone.extend(inside);
            }
        }
    }
    for (path, text) in alone {
        analysis
            .findings
            .extend(engine.analyse(path, text.as_bytes()).findings);
    }
    match reported(engine, settings, &analysis.findings) {
        Ok(shown) => analysis.findings = shown,
        Err(e) => {
            analysis.findings.clear();
            analysis.problem.get_or_insert(e);
        }
    }
    analysis
}

/// The findings of `text` (the file `path`) analysed on its own, as the report would show
/// them: what an open document shows until the project analysis of its text is done.
pub fn alone(engine: &Engine, settings: &Settings, path: &Path, text: &str) -> Vec<Finding> {
    let findings = engine.analyse(path, text.as_bytes()).findings;
    reported(engine, settings, &findings).unwrap_or_default()
}

/// Only what `pyaudit scan` would report: select/ignore, per-file ignores, the profile,
/// min-confidence, the baseline file, suppressions.
fn reported(
    engine: &Engine,
    settings: &Settings,
    findings: &[Finding],
) -> Result<Vec<Finding>, String> {
    // The walk skipped the files a configuration excludes: none is recorded as excluded.
    crate::gate::reported(findings, &Default::default(), settings, engine.rules())
}

fn analyse_project(
    engine: &Engine,
    settings: &Settings,
    root: &Path,
    docs: &[&(PathBuf, &str)],
) -> Result<(Vec<Finding>, Arc<LineTexts>), String> {
    let excludes = settings.all_excludes();
    let compiled = Excludes::new(&excludes).map_err(|e| e.to_string())?;
    // The editor shows what a scan reports: files a configuration excludes are skipped
    // here, as their findings would be hidden anyway.
    let walk = WalkOptions::default();
    let found =
        discover_with(&[root.to_path_buf()], &compiled, &walk).map_err(|e| e.to_string())?;
    let mut candidates = found.candidates;
    let known: HashSet<PathBuf> = candidates.iter().map(|c| c.path.clone()).collect();
    // An open document the walk leaves out (new and unsaved, excluded, ignored) is still
    // the one the user is looking at: it is analysed, as a file named on the command line.
    for (path, _) in docs {
        if !known.contains(path) {
            candidates.push(Candidate {
                path: path.clone(),
                explicit: true,
                needs_shebang: false,
                excluded_by: None,
            });
        }
    }
    candidates.sort_by(|a, b| a.path.cmp(&b.path));
    let overrides: Overrides = docs
        .iter()
        .map(|(p, t)| (p.clone(), Arc::from(t.as_bytes())))
        .collect();
    let opts = ScanOptions {
        paths: vec![root.to_path_buf()],
        excludes,
        overrides: Arc::new(overrides),
        focus: Some(Arc::new(docs.iter().map(|(p, _)| p.clone()).collect())),
        ..ScanOptions::default()
    };
    let result =
        scan_candidates(engine, &opts, &candidates, Vec::new()).map_err(|e| e.to_string())?;
    Ok((result.findings, result.lines))
}
