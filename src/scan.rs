//! A whole scan: discovery, parallel per-file analysis, deterministic ordering.

use crate::discover::{Candidate, DiscoverError, Excludes, Skipped, WalkOptions, discover_with};
use crate::engine::{Engine, FileOutcome};
use crate::finding::{Diagnostic, DiagnosticKind, Finding};
use crate::project::ModuleSummary;
use rayon::prelude::*;
use std::collections::{HashMap, HashSet};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Default size limit per file: generated files beyond this are reported, not analysed.
pub const DEFAULT_MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;

/// Source bytes of large files that may be under analysis at once. Analysis needs roughly
/// 40 to 70 times a file's size in memory (mostly the syntax tree), so this bounds the
/// memory that large files take together, whatever `--threads` says: a file larger than the
/// budget is analysed alone.
pub const ANALYSIS_BUDGET_BYTES: u64 = 16 * 1024 * 1024;

/// Files below this size do not take from the budget: each costs at most some tens of MB,
/// so they keep every thread busy while a large file is analysed.
const SMALL_FILE_BYTES: u64 = 1024 * 1024;

/// Files at least this large hand the memory their analysis freed back to the system.
const TRIM_AFTER_BYTES: u64 = 1024 * 1024;

/// Returns memory freed by the analysis just finished to the operating system. glibc keeps
/// freed memory in a per-thread arena, so without this each worker thread would keep the
/// peak of the largest file it analysed (three threads, three 11 MB modules: 2.3 GB instead
/// of 0.8 GB) and the byte budget would bound the work but not the memory.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn release_freed_memory() {
    unsafe extern "C" {
        fn malloc_trim(pad: usize) -> std::ffi::c_int;
    }
    // SAFETY: malloc_trim only returns free heap pages to the kernel; it is thread-safe
    // (glibc locks each arena) and has no preconditions.
    unsafe {
        malloc_trim(0);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn release_freed_memory() {}

/// A counting semaphore over bytes: [`ByteBudget::acquire`] waits until `n` bytes (capped at
/// the capacity) are free.
struct ByteBudget {
    capacity: u64,
    used: std::sync::Mutex<u64>,
    freed: std::sync::Condvar,
}

/// Bytes held from a [`ByteBudget`], given back on drop.
struct BudgetGuard<'a> {
    budget: &'a ByteBudget,
    n: u64,
}

impl ByteBudget {
    fn new(capacity: u64) -> ByteBudget {
        ByteBudget {
            capacity: capacity.max(1),
            used: std::sync::Mutex::new(0),
            freed: std::sync::Condvar::new(),
        }
    }

    fn acquire(&self, n: u64) -> BudgetGuard<'_> {
        if n < SMALL_FILE_BYTES {
            return BudgetGuard { budget: self, n: 0 };
        }
        let n = n.min(self.capacity);
        let mut used = self.used.lock().unwrap_or_else(|e| e.into_inner());
        while *used + n > self.capacity {
            used = self.freed.wait(used).unwrap_or_else(|e| e.into_inner());
        }
        *used += n;
        BudgetGuard { budget: self, n }
    }
}

impl Drop for BudgetGuard<'_> {
    fn drop(&mut self) {
        if self.n == 0 {
            return;
        }
        if self.n >= TRIM_AFTER_BYTES {
            release_freed_memory();
        }
        let mut used = self.budget.used.lock().unwrap_or_else(|e| e.into_inner());
        *used -= self.n;
        self.budget.freed.notify_all();
    }
}

/// What to scan and how.
#[derive(Debug, Clone)]
pub struct ScanOptions {
    pub paths: Vec<PathBuf>,
    /// Globs whose files are not analysed at all (the command line's, a `--config` file's).
    pub excludes: Vec<String>,
    /// Globs from the scanned repository's configuration: their files are analysed and
    /// their findings recorded as hidden ([`ScanResult::excluded`]).
    pub recorded_excludes: Vec<String>,
    /// Worker threads; 0 means one per core.
    pub threads: usize,
    pub max_file_bytes: u64,
    /// Honour `.gitignore` / `.ignore` for files git does not track.
    pub respect_ignore: bool,
    /// The result cache to read and fill, if any.
    pub cache: Option<std::sync::Arc<crate::cache::Cache>>,
    /// Text analysed instead of a file's contents on disk, by the path discovery reaches
    /// it at: the language server's open documents, as the editor holds them.
    pub overrides: Arc<Overrides>,
    /// When set, only these files' findings are wanted (the language server's open
    /// documents): other files are analysed only when the cross-module results of one of
    /// these depend on them, and the findings of those others are partial.
    pub focus: Option<Arc<HashSet<PathBuf>>>,
}

/// File contents by path that stand in for what is on disk; see [`ScanOptions::overrides`].
pub type Overrides = HashMap<PathBuf, Arc<[u8]>>;

impl Default for ScanOptions {
    fn default() -> Self {
        ScanOptions {
            paths: vec![PathBuf::from(".")],
            excludes: Vec::new(),
            recorded_excludes: Vec::new(),
            threads: 0,
            max_file_bytes: DEFAULT_MAX_FILE_BYTES,
            respect_ignore: true,
            cache: None,
            overrides: Arc::default(),
            focus: None,
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
    /// Python files discovery left out, with the reason, sorted by path.
    pub skipped: Vec<Skipped>,
    /// Files analysed although a recorded exclusion glob matches them (see
    /// [`ScanOptions::recorded_excludes`]), by displayed path, with the glob.
    pub excluded: Excluded,
    /// Remarks on how the files were listed (for example, git could not be used) and on
    /// how they were analysed (whole-program analysis switched off for a large tree).
    pub walk_notes: Vec<String>,
    /// Source lines reporters need besides each finding's first line (flow steps, ends of
    /// multi-line matches), taken while the file was in memory so that no reporter reads a
    /// scanned file again.
    pub lines: std::sync::Arc<LineTexts>,
}

/// Path (without `.` components) → the recorded exclusion glob that matches the file.
pub type Excluded = std::collections::BTreeMap<PathBuf, String>;

/// `path` as [`Excluded`] keys it: findings reported from other modules may spell the same
/// file with a leading `./`.
fn excluded_key(path: &Path) -> PathBuf {
    path.components()
        .filter(|c| !matches!(c, std::path::Component::CurDir))
        .collect()
}

/// The recorded exclusion glob that matches the file at `path`, if any.
pub fn excluded_by<'e>(excluded: &'e Excluded, path: &Path) -> Option<&'e str> {
    if excluded.is_empty() {
        return None;
    }
    excluded.get(&excluded_key(path)).map(String::as_str)
}

/// Lines of scanned files by (displayed path, 1-based line). A line longer than
/// [`crate::engine::MAX_LINE_TEXT_BYTES`] is absent.
pub type LineTexts = std::collections::HashMap<(PathBuf, usize), String>;

/// The lines of `bytes` (decoded as the engine decodes them) that `findings` touch beyond
/// their first line.
pub(crate) fn extra_lines<'f>(
    path: &Path,
    bytes: &[u8],
    findings: impl Iterator<Item = &'f Finding>,
) -> Vec<(usize, String)> {
    // Only lines of this file: a path may cross into other modules, whose reports hold
    // their own lines.
    let mut wanted: Vec<usize> = findings
        .flat_map(|f| {
            let here = f.path == path;
            let steps = f
                .flow
                .iter()
                .filter(move |s| s.path == path)
                .flat_map(|s| [s.start.line, s.end.line]);
            // Fix edits may fall on any line of a multi-line call.
            let edits = crate::fix::fixes_of(f)
                .filter(move |_| here)
                .flat_map(|x| &x.edits)
                .flat_map(|e| [e.from.line, e.to.line]);
            here.then_some(f.end.line)
                .into_iter()
                .chain(steps)
                .chain(edits)
                .filter(move |&l| !here || l != f.start.line || f.line_text.is_empty())
        })
        .collect();
    wanted.sort_unstable();
    wanted.dedup();
    if wanted.is_empty() {
        return Vec::new();
    }
    let Ok((src, _)) = crate::source::decode(bytes) else {
        return Vec::new();
    };
    wanted
        .into_iter()
        .filter(|&l| l >= 1 && l <= src.line_count())
        .map(|l| (l, src.line(l)))
        .filter(|(_, t)| t.len() <= crate::engine::MAX_LINE_TEXT_BYTES)
        .map(|(l, t)| (l, t.to_string()))
        .collect()
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
    let excludes = Excludes::new(&opts.excludes).map_err(ScanError::Discover)?;
    let walk = WalkOptions {
        respect_ignore: opts.respect_ignore,
        recorded: Excludes::new(&opts.recorded_excludes).map_err(ScanError::Discover)?,
    };
    let found = discover_with(&opts.paths, &excludes, &walk).map_err(ScanError::Discover)?;
    let mut result = scan_candidates(engine, opts, &found.candidates, found.diagnostics)?;
    result.excluded = found
        .candidates
        .iter()
        .filter_map(|c| Some((excluded_key(&c.path), c.excluded_by.clone()?)))
        .collect();
    // Excluded files are analysed for their findings only: a file a repository excludes
    // because it does not parse (Python 2 leftovers, templates) must not make the scan
    // incomplete.
    let excluded = &result.excluded;
    result
        .diagnostics
        .retain(|d| excluded_by(excluded, &d.path).is_none());
    result
        .unused_suppressions
        .retain(|u| excluded_by(excluded, &u.path).is_none());
    result.skipped = found.skipped;
    for s in &mut result.skipped {
        s.path = display_path(&s.path);
    }
    let mut notes = found.notes;
    notes.append(&mut result.walk_notes);
    result.walk_notes = notes;
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
    let budget = ByteBudget::new(ANALYSIS_BUDGET_BYTES);
    let mut notes = Vec::new();
    let outcomes: Vec<Option<FileReport>> = pool.install(|| {
        analyse_all(
            engine,
            candidates,
            Limits {
                max_bytes: opts.max_file_bytes,
                budget: &budget,
                cache: opts.cache.as_deref(),
                overrides: &opts.overrides,
                focus: opts.focus.as_deref(),
            },
            &mut diagnostics,
            &mut notes,
        )
    });
    let mut result = ScanResult {
        roots: opts.paths.clone(),
        walk_notes: notes,
        ..ScanResult::default()
    };
    let mut lines = LineTexts::new();
    for report in outcomes.into_iter().flatten() {
        let shown = display_path(&report.path);
        for (l, t) in report.lines {
            lines.insert((shown.clone(), l), t);
        }
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
    result.lines = std::sync::Arc::new(lines);
    result.elapsed = started.elapsed();
    Ok(result)
}

struct FileReport {
    path: PathBuf,
    lines: Vec<(usize, String)>,
    findings: Vec<Finding>,
    diagnostics: Vec<Diagnostic>,
    scanned: bool,
    parsed: bool,
    internal_error: bool,
    unused_suppressions: Vec<crate::suppress::UnusedSuppression>,
}

/// What every file's analysis shares: the size limit, the memory budget, the cache, the
/// texts that stand in for files and the files whose findings are wanted.
#[derive(Clone, Copy)]
struct Limits<'a> {
    max_bytes: u64,
    budget: &'a ByteBudget,
    cache: Option<&'a crate::cache::Cache>,
    overrides: &'a Overrides,
    focus: Option<&'a HashSet<PathBuf>>,
}

/// Analyses every candidate: files that can take part in a cross-module flow as one
/// project (see [`crate::project::schedule`]), the others one by one.
fn analyse_all(
    engine: &Engine,
    candidates: &[Candidate],
    limits: Limits,
    diagnostics: &mut Vec<Diagnostic>,
    notes: &mut Vec<String>,
) -> Vec<Option<FileReport>> {
    use crate::project::classes::ClassTable;
    use crate::project::registrations::{Handlers, NO_HANDLERS, ProjectHandlers, Registration};
    use crate::project::{FileId, ProjectIndex, ProjectView, depends, imports, schedule};
    let wanted = |c: &Candidate| limits.focus.is_none_or(|f| f.contains(&c.path));
    // A file analysed on its own depends on its bytes and on the handlers other files
    // register in it: that is its cache context.
    let analyse_alone = |c: &Candidate,
                         handlers: &Handlers,
                         probed: Option<blake3::Hash>,
                         classes: Option<(ProjectView, [u8; 32])>| {
        if !wanted(c) {
            return None;
        }
        let memo = limits.cache.map(|cache| Memo {
            cache,
            context: with_classes(depends::handlers_digest(handlers), classes.map(|c| c.1)),
            probed,
            project: None,
        });
        analyse_candidate(c, limits, memo.as_ref(), |p, b| {
            let classes = classes.map(|c| c.0);
            (
                engine.analyse_in(p, b, None, handlers, false, classes).0,
                None,
            )
        })
        .0
    };
    // Per candidate: (may hold a source, may hold a sink), its imports, the request
    // handlers it registers and, with a cache, the hash of its bytes (importers' cache
    // keys name it, and the file's own entry is looked up by it without reading the file
    // again). Besides, the outcome of a file no rule can match: unless whole-program
    // analysis needs it after all, it is done without a second read.
    type Probe = (
        (bool, bool),
        u64,
        Vec<imports::ImportRef>,
        Vec<Registration>,
        Option<blake3::Hash>,
        Option<crate::project::ModuleSummary>,
    );
    let (mut probes, mut cleared): (Vec<Option<Probe>>, Vec<Option<FileOutcome>>) = candidates
        .par_iter()
        .map(|c| {
            let Some((bytes, _held)) = read_candidate(c, limits).ok().flatten() else {
                return (None, None);
            };
            let triage = engine.triage(&c.path, &bytes);
            let Some(role) = triage.role else {
                return (None, None);
            };
            // Import statements quoted in docstrings are no edges.
            let imports = imports::scan(&triage.code);
            let registrations = engine.registrations(&bytes, &triage.code, &imports);
            let hash = limits.cache.map(|_| blake3::hash(&bytes));
            let classes = engine.class_facts(&c.path, &bytes, &triage.code);
            (
                Some((
                    role,
                    bytes.len() as u64,
                    imports,
                    registrations,
                    hash,
                    classes,
                )),
                triage.cleared,
            )
        })
        .unzip();
    let probed: Vec<usize> = (0..candidates.len())
        .filter(|&i| probes[i].is_some())
        .collect();
    if probed.is_empty() {
        return candidates
            .par_iter()
            .map(|c| analyse_alone(c, &NO_HANDLERS, None, None))
            .collect();
    }
    let index = ProjectIndex::new(probed.iter().map(|&i| candidates[i].path.clone()).collect());
    // Index ids are in path order; map them back to candidates.
    let mut cand_of = vec![0; index.files().len()];
    let mut roles = vec![(false, false); index.files().len()];
    let mut edges = vec![Vec::new(); index.files().len()];
    let mut hashes = vec![None; index.files().len()];
    let mut sizes = vec![0u64; index.files().len()];
    for &i in &probed {
        let Some(id) = index.id(&candidates[i].path) else {
            continue;
        };
        cand_of[id] = i;
        if let Some((role, size, imps, _, hash, _)) = &probes[i] {
            roles[id] = *role;
            sizes[id] = *size;
            hashes[id] = *hash;
            for imp in imps {
                edges[id].extend(index.dependencies(id, imp));
            }
            edges[id].sort_unstable();
            edges[id].dedup();
        }
    }
    let mut handlers = ProjectHandlers::new(
        &index,
        probed.iter().filter_map(|&i| {
            let id = index.id(&candidates[i].path)?;
            Some((id, probes[i].as_ref()?.3.as_slice()))
        }),
    );
    handlers.mark_view_imports(&edges);
    let classes = ClassTable::new(
        &index,
        probed
            .iter()
            .filter_map(|&i| {
                let id = index.id(&candidates[i].path)?;
                Some((id, probes[i].as_mut()?.5.take()?))
            })
            .collect(),
    );
    // Import lists and registrations are in the edges and handlers now; on a tree of
    // thousands of files they are megabytes the analysis does not need.
    drop(probes);
    let class_digest = classes.digest();
    let classes_of = |id: FileId| classes.view(&index, id).map(|v| (v, class_digest));
    let handlers_of = |c: &Candidate| index.id(&c.path).map_or(&NO_HANDLERS, |id| handlers.of(id));
    let hash_of = |c: &Candidate| index.id(&c.path).and_then(|id| hashes[id]);
    for (id, role) in roles.iter_mut().enumerate() {
        // A module with registered handlers holds sources, whatever its text says.
        role.0 |= !handlers.of(id).is_empty();
    }
    let mut member = schedule::participants(&edges, &roles);
    let participants = member.iter().filter(|&&m| m).count();
    let participant_bytes: u64 = (0..member.len())
        .filter(|&i| member[i])
        .map(|i| sizes[i])
        .sum();
    let (limit, byte_limit) = (schedule::max_project_files(), schedule::max_project_bytes());
    // A lone participant has no flow to cross modules: the byte limit is for trees.
    if participants > limit || (participants > 1 && participant_bytes > byte_limit) {
        // Whole-program analysis of very large trees is not yet fast enough: their files
        // are analysed one by one (documented in docs/taint.md). Said, never silent.
        member.iter_mut().for_each(|m| *m = false);
        notes.push(format!(
            "{participants} files ({}) could take part in cross-module flows, over the \
             limit of whole-program analysis ({limit} files, {}): each was analysed on its \
             own, so flows that cross modules are not followed in this scan",
            megabytes(participant_bytes),
            megabytes(byte_limit),
        ));
    }
    if limits.focus.is_some() {
        let focus: Vec<bool> = cand_of.iter().map(|&i| wanted(&candidates[i])).collect();
        let needed = schedule::needed(&edges, &member, &focus);
        member.iter_mut().zip(needed).for_each(|(m, n)| *m &= n);
    }
    let mut in_project = vec![false; candidates.len()];
    for (id, &m) in member.iter().enumerate() {
        in_project[cand_of[id]] = m;
    }
    let mut out: Vec<Option<FileReport>> = candidates
        .par_iter()
        .zip(&in_project)
        .zip(&mut cleared)
        .map(|((c, &p), done)| {
            if p {
                return None;
            }
            let handlers = handlers_of(c);
            // The probe's outcome is what the analysis would give (see `Triage::cleared`).
            match done.take() {
                Some(outcome) if handlers.is_empty() => {
                    wanted(c).then(|| FileReport::new(c, outcome, Vec::new()))
                }
                _ => analyse_alone(
                    c,
                    handlers,
                    hash_of(c),
                    index.id(&c.path).and_then(classes_of),
                ),
            }
        })
        .collect();
    drop(cleared);
    let contexts = match limits.cache {
        Some(_) => depends::contexts(&index, &edges, &member, &hashes, &handlers),
        None => Vec::new(),
    };
    let batch = crate::cache::Batch::default();
    let (solved, unsettled) = schedule::solve(&index, &edges, &member, |view, export| {
        let c = &candidates[cand_of[view.me]];
        let memo = limits
            .cache
            .zip(contexts.get(view.me).copied().flatten())
            .zip(hashes[view.me])
            .map(|((cache, context), probed)| Memo {
                cache,
                context: with_classes(context, classes_of(view.me).map(|c| c.1)),
                probed: Some(probed),
                project: Some(&batch),
            });
        analyse_candidate(c, limits, memo.as_ref(), |p, b| {
            let classes = classes_of(view.me).map(|c| c.0);
            engine.analyse_in(p, b, Some(view), handlers.of(view.me), export, classes)
        })
    });
    if let Some(cache) = limits.cache {
        // An unsettled cycle's results depend on where its budget ran out: computed again
        // next time, so its diagnostic is never lost to the cache.
        let lost: std::collections::HashSet<&Path> = (unsettled.iter())
            .map(|&id| candidates[cand_of[id]].path.as_path())
            .collect();
        batch.forget(|p| lost.contains(p));
        cache.commit(batch);
    }
    for (id, report) in solved {
        out[cand_of[id]] = report;
    }
    for id in unsettled {
        diagnostics.push(Diagnostic {
            path: candidates[cand_of[id]].path.clone(),
            kind: DiagnosticKind::Incomplete,
            line: None,
            message: format!(
                "this module is in an import cycle whose summaries did not settle within the \
                 cycle's budget ({} analyses per module); flows through the cycle may be missing",
                schedule::CYCLE_WORK_FACTOR
            ),
        });
    }
    out
}

/// A byte count for a note, in megabytes with one decimal (`4.0 MB`).
fn megabytes(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1e6)
}

/// A module's cache context extended by the class table's digest (when the scan has one):
/// an edit to a loader class in another module changes what its users report.
fn with_classes(context: [u8; 32], classes: Option<[u8; 32]>) -> [u8; 32] {
    match classes {
        None => context,
        Some(digest) => {
            let mut h = blake3::Hasher::new();
            h.update(&context);
            h.update(&digest);
            *h.finalize().as_bytes()
        }
    }
}

/// The bytes of a candidate (its override, else the file) with the budget they hold,
/// `Ok(None)` for a file the walk only admitted if it has a Python shebang and it has none,
/// or the report on why it cannot be read.
fn read_candidate<'b>(
    c: &Candidate,
    limits: Limits<'b>,
) -> Result<Option<(Vec<u8>, BudgetGuard<'b>)>, Box<FileReport>> {
    let Limits {
        max_bytes, budget, ..
    } = limits;
    let diag = |kind, message: String| Box::new(FileReport::diagnostic(c, kind, message));
    let too_large = |len: u64| {
        diag(
            DiagnosticKind::TooLarge,
            format!(
                "{len} bytes is over the {max_bytes}-byte limit (--max-file-size); not analysed"
            ),
        )
    };
    if let Some(text) = limits.overrides.get(&c.path) {
        if text.len() as u64 > max_bytes {
            return Err(too_large(text.len() as u64));
        }
        let held = budget.acquire(text.len() as u64);
        if c.needs_shebang && !c.explicit && !has_python_shebang(text) {
            return Ok(None);
        }
        return Ok(Some((text.to_vec(), held)));
    }
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
        return Err(too_large(len));
    }
    // Held until the analysis is done, so large files are not in memory side by side.
    let held = budget.acquire(len);
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
    Ok(Some((bytes, held)))
}

impl FileReport {
    /// The report of an analysed file, with the `lines` beyond its findings' first that
    /// reporters need.
    fn new(c: &Candidate, outcome: FileOutcome, lines: Vec<(usize, String)>) -> FileReport {
        FileReport {
            path: c.path.clone(),
            lines,
            scanned: !outcome
                .diagnostics
                .iter()
                .any(|d| d.kind == DiagnosticKind::Binary),
            parsed: outcome.parsed,
            findings: outcome.findings,
            diagnostics: outcome.diagnostics,
            internal_error: false,
            unused_suppressions: outcome.unused_suppressions,
        }
    }

    /// A file that was not analysed, with why.
    fn diagnostic(c: &Candidate, kind: DiagnosticKind, message: String) -> FileReport {
        FileReport {
            path: c.path.clone(),
            lines: Vec::new(),
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

/// How a file's analysis is looked up in and kept in the result cache.
struct Memo<'a> {
    cache: &'a crate::cache::Cache,
    /// What the results depend on besides the file's own bytes (see [`crate::cache`]).
    context: [u8; 32],
    /// The hash of the file's bytes when the probe read them: an entry under it is looked
    /// up before the file is read again (for a module of whole-program analysis, its
    /// importers' keys name that hash too).
    probed: Option<blake3::Hash>,
    /// For a module of whole-program analysis: the batch its entry waits in.
    project: Option<&'a crate::cache::Batch>,
}

impl FileReport {
    fn from_entry(c: &Candidate, e: crate::cache::Entry) -> FileReport {
        FileReport {
            path: c.path.clone(),
            lines: e.lines,
            findings: e.findings,
            diagnostics: e.diagnostics,
            scanned: e.scanned,
            parsed: e.parsed,
            internal_error: false,
            unused_suppressions: e.unused_suppressions,
        }
    }

    fn entry<'a>(&'a self, summary: Option<&'a ModuleSummary>) -> crate::cache::EntryRef<'a> {
        crate::cache::EntryRef {
            lines: &self.lines,
            findings: &self.findings,
            diagnostics: &self.diagnostics,
            scanned: self.scanned,
            parsed: self.parsed,
            unused_suppressions: &self.unused_suppressions,
            summary,
        }
    }
}

/// Reads and analyses one candidate with `run`, or takes its results from the cache: the
/// report (`None` for a file that turned out not to be Python) and the module summary
/// `run` gave.
fn analyse_candidate(
    c: &Candidate,
    limits: Limits,
    memo: Option<&Memo>,
    run: impl FnOnce(&Path, &[u8]) -> (crate::engine::FileOutcome, Option<ModuleSummary>),
) -> (Option<FileReport>, Option<ModuleSummary>) {
    let diag = |kind, message: String| FileReport::diagnostic(c, kind, message);
    let hit = |m: &Memo, key: &crate::cache::Key| {
        let mut e = m.cache.load(&c.path, key)?;
        let summary = e.summary.take().map(|mut s| {
            s.seal();
            s
        });
        Some((Some(FileReport::from_entry(c, e)), summary))
    };
    // An entry for the bytes the probe read serves without reading the file again.
    let probed = memo.and_then(|m| Some((m, m.probed?)));
    if let Some((m, hash)) = probed
        && let Some(done) = hit(m, &m.cache.key(&c.path, &hash, &m.context))
    {
        return done;
    }
    let (bytes, _held) = match read_candidate(c, limits) {
        Ok(Some(b)) => b,
        Ok(None) => return (None, None),
        Err(report) => return (Some(*report), None),
    };
    let keyed = memo.map(|m| {
        let hash = blake3::hash(&bytes);
        let changed = m.probed.is_some_and(|p| p != hash);
        if let Some(batch) = m.project
            && changed
        {
            // Changed since the probe: importers were keyed with the old bytes.
            batch.spoil();
        }
        (m, m.cache.key(&c.path, &hash, &m.context), changed)
    });
    // Bytes the probe saw were looked up already.
    if let Some((m, key, changed)) = &keyed
        && (m.probed.is_none() || *changed)
        && let Some(done) = hit(m, key)
    {
        return done;
    }
    let analysed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run(&c.path, &bytes)));
    match analysed {
        Ok((outcome, summary)) => {
            let lines = extra_lines(
                &c.path,
                &bytes,
                outcome.findings.iter().chain(&outcome.exported_sinks),
            );
            let report = FileReport::new(c, outcome, lines);
            // A file the prefilter cleared costs less to clear again than to look up.
            if let Some((m, key, _)) = &keyed
                && report.parsed
            {
                let unsealed = summary.as_ref().map(ModuleSummary::unseal);
                let entry = report.entry(unsealed.as_ref());
                match m.project {
                    Some(batch) => batch.push(m.cache, &c.path, key, &entry),
                    None => m.cache.store(&c.path, key, &entry),
                }
            }
            (Some(report), summary)
        }
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
            (Some(r), None)
        }
    }
}

fn has_python_shebang(bytes: &[u8]) -> bool {
    let first = bytes.split(|&b| b == b'\n').next().unwrap_or(&[]);
    first.starts_with(b"#!") && first.windows(6).any(|w| w == b"python")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU64, Ordering};

    #[test]
    fn byte_budget_bounds_bytes_in_flight() {
        const M: u64 = SMALL_FILE_BYTES;
        let budget = ByteBudget::new(100 * M);
        let in_flight = AtomicU64::new(0);
        let peak = AtomicU64::new(0);
        std::thread::scope(|s| {
            for i in 0..10u64 {
                let (budget, in_flight, peak) = (&budget, &in_flight, &peak);
                s.spawn(move || {
                    // Sizes over the capacity count as the whole capacity.
                    // Small files take nothing from it.
                    let n = [30 * M, 60 * M, 250 * M, 10 * M, M / 2][i as usize % 5];
                    let _g = budget.acquire(n);
                    let held = if n < M { 0 } else { n.min(100 * M) };
                    let now = in_flight.fetch_add(held, Ordering::SeqCst) + held;
                    peak.fetch_max(now, Ordering::SeqCst);
                    std::thread::sleep(std::time::Duration::from_millis(5));
                    in_flight.fetch_sub(held, Ordering::SeqCst);
                });
            }
        });
        assert!(peak.load(Ordering::SeqCst) <= 100 * M);
        assert_eq!(*budget.used.lock().unwrap(), 0);
    }
}
