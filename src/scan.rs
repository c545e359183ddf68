//! A whole scan: discovery, parallel per-file analysis, deterministic ordering.

use crate::discover::{Candidate, DiscoverError, Excludes, discover};
use crate::engine::Engine;
use crate::finding::{Diagnostic, DiagnosticKind, Finding};
use rayon::prelude::*;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Default size limit per file: generated files beyond this are reported, not analysed.
pub const DEFAULT_MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;

/// What to scan and how.
#[derive(Debug, Clone)]
pub struct ScanOptions {
    pub paths: Vec<PathBuf>,
    pub excludes: Vec<String>,
    /// Worker threads; 0 means one per core.
    pub threads: usize,
    pub max_file_bytes: u64,
}

impl Default for ScanOptions {
    fn default() -> Self {
        ScanOptions {
            paths: vec![PathBuf::from(".")],
            excludes: Vec::new(),
            threads: 0,
            max_file_bytes: DEFAULT_MAX_FILE_BYTES,
        }
    }
}

/// Everything a scan found, in a deterministic order.
#[derive(Debug, Default)]
pub struct ScanResult {
    /// Sorted by path, line, column, rule id.
    pub findings: Vec<Finding>,
    /// Sorted by path, then line.
    pub diagnostics: Vec<Diagnostic>,
    /// Files read and analysed (including those the prefilter cleared without parsing).
    pub files_scanned: usize,
    /// Files that were parsed because some rule could apply.
    pub files_parsed: usize,
    /// The paths the scan was asked to cover.
    pub roots: Vec<PathBuf>,
    pub elapsed: Duration,
    /// Set when the analysis of some file failed inside pyaudit (a bug): exit 2.
    pub internal_errors: usize,
    /// Suppression comments that silenced nothing, sorted by path and line.
    pub unused_suppressions: Vec<crate::suppress::UnusedSuppression>,
}

impl ScanResult {
    /// Distinct files with a diagnostic that means they were not fully scanned.
    pub fn files_with_errors(&self) -> usize {
        let mut paths: Vec<&Path> = self
            .diagnostics
            .iter()
            .filter(|d| d.kind.not_fully_scanned())
            .map(|d| d.path.as_path())
            .collect();
        paths.dedup();
        paths.len()
    }
}

/// An error that stops the scan as a whole.
#[derive(Debug)]
pub enum ScanError {
    Discover(DiscoverError),
    ThreadPool(String),
}

impl std::fmt::Display for ScanError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ScanError::Discover(e) => e.fmt(f),
            ScanError::ThreadPool(e) => write!(f, "cannot start worker threads: {e}"),
        }
    }
}

impl std::error::Error for ScanError {}

/// Strips a leading `./` so paths print the way users type them.
fn display_path(p: &Path) -> PathBuf {
    p.strip_prefix(".")
        .map(Path::to_path_buf)
        .unwrap_or_else(|_| p.to_path_buf())
}

/// The number of worker threads `threads` asks for (0 = one per core).
pub fn effective_threads(threads: usize) -> usize {
    if threads > 0 {
        threads
    } else {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    }
}

/// Runs a scan.
pub fn scan(engine: &Engine, opts: &ScanOptions) -> Result<ScanResult, ScanError> {
    let started = Instant::now();
    let threads = effective_threads(opts.threads);
    let excludes = Excludes::new(&opts.excludes).map_err(ScanError::Discover)?;
    let (candidates, diagnostics) =
        discover(&opts.paths, &excludes, threads).map_err(ScanError::Discover)?;
    let mut result = scan_candidates(engine, opts, &candidates, diagnostics)?;
    result.elapsed = started.elapsed();
    Ok(result)
}

/// Analyses already-discovered `candidates` (walk diagnostics passed in are merged into the
/// result). The result does not depend on the order of `candidates`; tests use this to
/// check that, and to scan a candidate that vanished after the walk.
pub fn scan_candidates(
    engine: &Engine,
    opts: &ScanOptions,
    candidates: &[Candidate],
    mut diagnostics: Vec<Diagnostic>,
) -> Result<ScanResult, ScanError> {
    let started = Instant::now();
    let threads = effective_threads(opts.threads);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        // Analysis is iterative, but tree-sitter and the OS get a comfortable margin.
        .stack_size(8 * 1024 * 1024)
        .build()
        .map_err(|e| ScanError::ThreadPool(e.to_string()))?;
    let outcomes: Vec<Option<FileReport>> =
        pool.install(|| analyse_all(engine, candidates, opts.max_file_bytes, &mut diagnostics));
    let mut result = ScanResult {
        roots: opts.paths.clone(),
        ..ScanResult::default()
    };
    for report in outcomes.into_iter().flatten() {
        result.files_scanned += usize::from(report.scanned);
        result.files_parsed += usize::from(report.parsed);
        result.internal_errors += usize::from(report.internal_error);
        result.findings.extend(report.findings);
        diagnostics.extend(report.diagnostics);
        result
            .unused_suppressions
            .extend(report.unused_suppressions);
    }
    crate::project::findings::merge(&mut result.findings, engine.rules());
    for f in &mut result.findings {
        f.path = display_path(&f.path);
        for step in &mut f.flow {
            step.path = display_path(&step.path);
        }
    }
    for d in &mut diagnostics {
        d.path = display_path(&d.path);
    }
    for u in &mut result.unused_suppressions {
        u.path = display_path(&u.path);
    }
    result.unused_suppressions.sort();
    result
        .findings
        .sort_by(|a, b| (&a.path, a.start, &a.rule_id).cmp(&(&b.path, b.start, &b.rule_id)));
    diagnostics.sort_by(|a, b| {
        (&a.path, a.line, a.kind, &a.message).cmp(&(&b.path, b.line, b.kind, &b.message))
    });
    result.diagnostics = diagnostics;
    result.elapsed = started.elapsed();
    Ok(result)
}

struct FileReport {
    findings: Vec<Finding>,
    diagnostics: Vec<Diagnostic>,
    scanned: bool,
    parsed: bool,
    internal_error: bool,
    unused_suppressions: Vec<crate::suppress::UnusedSuppression>,
}

/// Analyses every candidate: files that can take part in a cross-module flow as one
/// project (see [`crate::project::schedule`]), the others one by one.
fn analyse_all(
    engine: &Engine,
    candidates: &[Candidate],
    max_bytes: u64,
    diagnostics: &mut Vec<Diagnostic>,
) -> Vec<Option<FileReport>> {
    use crate::project::{ProjectIndex, imports, schedule};
    // Per candidate: (may hold a source, may hold a sink) and its imports.
    type Probe = ((bool, bool), Vec<imports::ImportRef>);
    let probes: Vec<Option<Probe>> = candidates
        .par_iter()
        .map(|c| {
            let bytes = read_candidate(c, max_bytes).ok()??;
            let role = engine.taint_role(&bytes)?;
            Some((role, imports::scan(&bytes)))
        })
        .collect();
    let probed: Vec<usize> = (0..candidates.len())
        .filter(|&i| probes[i].is_some())
        .collect();
    if probed.is_empty() {
        return candidates
            .par_iter()
            .map(|c| analyse_candidate(c, max_bytes, |p, b| engine.analyse(p, b)))
            .collect();
    }
    let index = ProjectIndex::new(probed.iter().map(|&i| candidates[i].path.clone()).collect());
    // Index ids are in path order; map them back to candidates.
    let mut cand_of = vec![0; index.files().len()];
    let mut roles = vec![(false, false); index.files().len()];
    let mut edges = vec![Vec::new(); index.files().len()];
    for &i in &probed {
        let Some(id) = index.id(&candidates[i].path) else {
            continue;
        };
        cand_of[id] = i;
        if let Some((role, imps)) = &probes[i] {
            roles[id] = *role;
            for imp in imps {
                edges[id].extend(index.dependencies(id, imp));
            }
            edges[id].sort_unstable();
            edges[id].dedup();
        }
    }
    let member = schedule::participants(&edges, &roles);
    let mut in_project = vec![false; candidates.len()];
    for (id, &m) in member.iter().enumerate() {
        in_project[cand_of[id]] = m;
    }
    let mut out: Vec<Option<FileReport>> = candidates
        .par_iter()
        .zip(&in_project)
        .map(|(c, &p)| {
            (!p).then(|| analyse_candidate(c, max_bytes, |p, b| engine.analyse(p, b)))
                .flatten()
        })
        .collect();
    let (solved, unsettled) = schedule::solve(&index, &edges, &member, |view, export| {
        let c = &candidates[cand_of[view.me]];
        let mut summary = None;
        let report = analyse_candidate(c, max_bytes, |p, b| {
            let (o, s) = engine.analyse_in(p, b, Some(view), export);
            summary = s;
            o
        });
        (report, summary)
    });
    for (id, report) in solved {
        out[cand_of[id]] = report;
    }
    for id in unsettled {
        diagnostics.push(Diagnostic {
            path: candidates[cand_of[id]].path.clone(),
            kind: DiagnosticKind::Incomplete,
            line: None,
            message: format!(
                "this module is in an import cycle whose summaries did not settle within {} \
                 rounds; flows through the cycle may be missing",
                schedule::MAX_CYCLE_ROUNDS
            ),
        });
    }
    out
}

/// The bytes of a candidate, `Ok(None)` for a file the walk only admitted if it has a
/// Python shebang and it has none, or the report on why it cannot be read.
fn read_candidate(c: &Candidate, max_bytes: u64) -> Result<Option<Vec<u8>>, FileReport> {
    let diag = |kind, message: String| FileReport::diagnostic(c, kind, message);
    // Opening a FIFO or device named on the command line could block forever.
    if let Ok(meta) = std::fs::metadata(&c.path)
        && !meta.is_file()
    {
        return Err(diag(
            DiagnosticKind::Unreadable,
            "not a regular file; not analysed".into(),
        ));
    }
    let file = match std::fs::File::open(&c.path) {
        Ok(f) => f,
        Err(e) => {
            return Err(diag(
                DiagnosticKind::Unreadable,
                format!("cannot read: {e}"),
            ));
        }
    };
    let len = file.metadata().map(|m| m.len()).unwrap_or(0);
    if len > max_bytes {
        return Err(diag(
            DiagnosticKind::TooLarge,
            format!(
                "{len} bytes is over the {max_bytes}-byte limit (--max-file-size); not analysed"
            ),
        ));
    }
    let mut bytes = Vec::with_capacity(len as usize);
    // `take` guards against a file that grows while we read it.
    if let Err(e) = file.take(max_bytes + 1).read_to_end(&mut bytes) {
        return Err(diag(
            DiagnosticKind::Unreadable,
            format!("cannot read: {e}"),
        ));
    }
    if bytes.len() as u64 > max_bytes {
        return Err(diag(
            DiagnosticKind::TooLarge,
            format!("over the {max_bytes}-byte limit (--max-file-size); not analysed"),
        ));
    }
    if c.needs_shebang && !c.explicit && !has_python_shebang(&bytes) {
        return Ok(None);
    }
    Ok(Some(bytes))
}

impl FileReport {
    /// A file that was not analysed, with why.
    fn diagnostic(c: &Candidate, kind: DiagnosticKind, message: String) -> FileReport {
        FileReport {
            findings: Vec::new(),
            diagnostics: vec![Diagnostic {
                path: c.path.clone(),
                kind,
                line: None,
                message,
            }],
            scanned: false,
            parsed: false,
            internal_error: false,
            unused_suppressions: Vec::new(),
        }
    }
}

fn analyse_candidate(
    c: &Candidate,
    max_bytes: u64,
    run: impl FnOnce(&Path, &[u8]) -> crate::engine::FileOutcome,
) -> Option<FileReport> {
    let diag = |kind, message: String| FileReport::diagnostic(c, kind, message);
    let bytes = match read_candidate(c, max_bytes) {
        Ok(Some(b)) => b,
        Ok(None) => return None,
        Err(report) => return Some(report),
    };
    let analysed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run(&c.path, &bytes)));
    Some(match analysed {
        Ok(outcome) => FileReport {
            scanned: !outcome
                .diagnostics
                .iter()
                .any(|d| d.kind == DiagnosticKind::Binary),
            parsed: outcome.parsed,
            findings: outcome.findings,
            diagnostics: outcome.diagnostics,
            internal_error: false,
            unused_suppressions: outcome.unused_suppressions,
        },
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into());
            let mut r = diag(
                DiagnosticKind::Incomplete,
                format!("internal error while analysing this file (please report it): {what}"),
            );
            r.internal_error = true;
            r
        }
    })
}

fn has_python_shebang(bytes: &[u8]) -> bool {
    let first = bytes.split(|&b| b == b'\n').next().unwrap_or(&[]);
    first.starts_with(b"#!") && first.windows(6).any(|w| w == b"python")
}
