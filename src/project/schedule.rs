//! Which files take part in whole-program analysis, and the order they are analysed in.
//!
//! A file takes part when it may hold a source, or lies on an import path from such a file
//! to one that may hold a sink. Those files are grouped into the strongly connected
//! components of the import graph and analysed bottom-up: a module after every module it
//! imports, so its calls into them use finished summaries; components whose dependencies
//! are done run in parallel. An import cycle is solved by rounds: every module of the cycle
//! is analysed with the previous round's summaries of the others, until no summary changes
//! (a fixpoint). After the first round only the modules that read a function summary which
//! changed are analysed again. The work is bounded by [`CYCLE_WORK_FACTOR`] analyses per
//! module of the cycle; a cycle that has not settled by then gives each of its modules a
//! diagnostic. Results do not depend on thread count or file order.

use super::index::{FileId, ProjectIndex, components};
use super::module_summary::ModuleSummary;
use super::resolve::{ProjectView, Read};
use rayon::prelude::*;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Analyses an import cycle may cost in all, per module of the cycle, before it is given up
/// as unsettled (its members get a diagnostic).
pub const CYCLE_WORK_FACTOR: usize = 8;
/// Scans with more participating files than this analyse every file on its own: the
/// whole-program pass does not yet scale to framework-sized trees at the speed required.
pub const MAX_PROJECT_FILES: usize = 400;
/// The environment variable that sets the participant limit instead of
/// [`MAX_PROJECT_FILES`], so that the benchmark can measure whole-program analysis of trees
/// over it. Not a user setting.
pub const PROJECT_FILES_VAR: &str = "PYAUDIT_PROJECT_FILES";

/// The participant limit in effect: [`PROJECT_FILES_VAR`] when set to a number, else
/// [`MAX_PROJECT_FILES`].
pub fn max_project_files() -> usize {
    limit_from_env(PROJECT_FILES_VAR, MAX_PROJECT_FILES)
}

/// The number in environment variable `var`, else `default`.
fn limit_from_env<T: std::str::FromStr>(var: &str, default: T) -> T {
    (std::env::var(var).ok())
        .and_then(|v| v.trim().parse::<T>().ok())
        .unwrap_or(default)
}

/// Scans whose participating files hold more bytes than this analyse every file on its
/// own, like [`MAX_PROJECT_FILES`]. The whole-program pass holds every participant's
/// summaries to the end of the scan: peak memory grows by about 13 MB per megabyte of
/// participating code (measured on django + sympy, Airflow and pandas, December 2026), so
/// this keeps a scan under 100 MB, at 1 to 1.5 s of CPU per megabyte on top of a
/// file-by-file scan. Web applications we checked have 0.1 to 0.8 MB of participating
/// code; Airflow's 3.6 MB and Django's 3.9 MB stay whole-program.
pub const MAX_PROJECT_BYTES: u64 = 4_500_000;
/// The environment variable that sets the byte limit instead of [`MAX_PROJECT_BYTES`], for
/// measuring. Not a user setting.
pub const PROJECT_BYTES_VAR: &str = "PYAUDIT_PROJECT_BYTES";

/// The participant byte limit in effect: [`PROJECT_BYTES_VAR`] when set to a number, else
/// [`MAX_PROJECT_BYTES`].
pub fn max_project_bytes() -> u64 {
    limit_from_env(PROJECT_BYTES_VAR, MAX_PROJECT_BYTES)
}

/// Which files take part, from each file's (may hold a source, may hold a sink) and the
/// import edges.
pub fn participants(edges: &[Vec<FileId>], roles: &[(bool, bool)]) -> Vec<bool> {
    let n = edges.len();
    let reverse = reversed(edges, &vec![true; n]);
    let from_sources = reach(edges, (0..n).filter(|&i| roles[i].0));
    let to_sinks = reach(&reverse, (0..n).filter(|&i| roles[i].1));
    (0..n)
        .map(|i| roles[i].0 || (from_sources[i] && to_sinks[i]))
        .collect()
}

/// The members whose analysis the results of the `focus` files depend on: the focus
/// members, every member importing one of them (directly or not, since its analysis may
/// report at a sink in a focus file), and everything those import (for their summaries).
/// A set closed under imports, so analysing only it gives the focus files the findings a
/// whole scan would.
pub fn needed(edges: &[Vec<FileId>], member: &[bool], focus: &[bool]) -> Vec<bool> {
    let n = edges.len();
    let inside: Vec<Vec<FileId>> = (0..n)
        .map(|i| {
            if member[i] {
                edges[i].iter().copied().filter(|&j| member[j]).collect()
            } else {
                Vec::new()
            }
        })
        .collect();
    let importers = reach(
        &reversed(&inside, member),
        (0..n).filter(|&i| member[i] && focus[i]),
    );
    reach(&inside, (0..n).filter(|&i| importers[i]))
}

/// The reverse of the import edges of the files where `keep` is set.
fn reversed(edges: &[Vec<FileId>], keep: &[bool]) -> Vec<Vec<FileId>> {
    let mut reverse = vec![Vec::new(); edges.len()];
    for (a, out) in edges.iter().enumerate().filter(|&(a, _)| keep[a]) {
        for &b in out {
            reverse[b].push(a);
        }
    }
    reverse
}

/// The files reachable along `adj` from `start` (included).
fn reach(adj: &[Vec<FileId>], start: impl Iterator<Item = FileId>) -> Vec<bool> {
    let mut seen = vec![false; adj.len()];
    let mut stack: Vec<FileId> = start.collect();
    for &i in &stack {
        seen[i] = true;
    }
    while let Some(v) = stack.pop() {
        for &w in &adj[v] {
            if !seen[w] {
                seen[w] = true;
                stack.push(w);
            }
        }
    }
    seen
}

/// Analyses the files where `member` is set, dependencies first. `analyse` gets the view
/// of the project for one file and whether its summary is wanted (some member imports
/// it). Returns each member's result and the files whose cycle did not settle.
pub fn solve<R, F>(
    index: &ProjectIndex,
    edges: &[Vec<FileId>],
    member: &[bool],
    analyse: F,
) -> (Vec<(FileId, R)>, Vec<FileId>)
where
    R: Send,
    F: Fn(ProjectView, bool) -> (R, Option<ModuleSummary>) + Sync,
{
    let n = edges.len();
    let edges: Vec<Vec<FileId>> = (0..n)
        .map(|i| {
            if !member[i] {
                return Vec::new();
            }
            edges[i].iter().copied().filter(|&j| member[j]).collect()
        })
        .collect();
    let mut imported = vec![false; n];
    for out in &edges {
        for &j in out {
            imported[j] = true;
        }
    }
    let comps: Vec<Vec<FileId>> = components(&edges)
        .into_iter()
        .filter(|c| member[c[0]])
        .collect();
    let mut comp_of = vec![usize::MAX; n];
    for (ci, c) in comps.iter().enumerate() {
        for &f in c {
            comp_of[f] = ci;
        }
    }
    // Components come dependencies first, so each level is known when it is needed.
    let mut level = vec![0usize; comps.len()];
    for (ci, c) in comps.iter().enumerate() {
        for &f in c {
            for &d in &edges[f] {
                let dc = comp_of[d];
                if dc != ci {
                    level[ci] = level[ci].max(level[dc] + 1);
                }
            }
        }
    }
    let depth = level.iter().copied().max().map_or(0, |m| m + 1);
    let mut by_level: Vec<Vec<usize>> = vec![Vec::new(); depth];
    for (ci, &l) in level.iter().enumerate() {
        by_level[l].push(ci);
    }
    let mut solved: HashMap<FileId, Arc<ModuleSummary>> = HashMap::new();
    let mut results = Vec::new();
    let mut unsettled = Vec::new();
    for comps_here in by_level {
        let done: Vec<Solved<R>> = comps_here
            .par_iter()
            .map(|&ci| {
                let c = &comps[ci];
                let cyclic = c.len() > 1 || edges[c[0]].contains(&c[0]);
                solve_component(index, &solved, c, cyclic, &imported, &analyse)
            })
            .collect();
        for (members, settled) in done {
            for (f, r, s) in members {
                if !settled {
                    unsettled.push(f);
                }
                if let Some(s) = s {
                    solved.insert(f, s);
                }
                results.push((f, r));
            }
        }
    }
    unsettled.sort_unstable();
    (results, unsettled)
}

type Solved<R> = (Vec<(FileId, R, Option<Arc<ModuleSummary>>)>, bool);
/// One cycle member's latest result, summary and what of the members' summaries it read.
type Analysed<R> = (R, Option<Arc<ModuleSummary>>, Vec<Read>);

fn solve_component<R, F>(
    index: &ProjectIndex,
    solved: &HashMap<FileId, Arc<ModuleSummary>>,
    comp: &[FileId],
    cyclic: bool,
    imported: &[bool],
    analyse: &F,
) -> Solved<R>
where
    R: Send,
    F: Fn(ProjectView, bool) -> (R, Option<ModuleSummary>) + Sync,
{
    // Each analysis of a cycle member records which functions' summaries of the members it
    // read, so a round re-analyses only the members that read a function whose summary
    // changed in the round before: an analysis that read the same summaries again would
    // give the same result. A large module changes some summaries in most rounds; its
    // importers that call none of those are done.
    let run = |files: &[FileId], overlay: Option<&HashMap<FileId, Arc<ModuleSummary>>>| {
        files
            .par_iter()
            .map(|&f| {
                let reads = Mutex::new(Vec::new());
                let view = ProjectView {
                    index,
                    me: f,
                    solved,
                    overlay,
                    reads: overlay.is_some().then_some(&reads),
                };
                let (r, s) = analyse(view, imported[f]);
                let mut reads = reads.into_inner().unwrap_or_else(|e| e.into_inner());
                reads.sort_unstable();
                reads.dedup();
                (f, r, s.map(Arc::new), reads)
            })
            .collect::<Vec<_>>()
    };
    if !cyclic {
        let done = run(comp, None)
            .into_iter()
            .map(|(f, r, s, _)| (f, r, s))
            .collect();
        return (done, true);
    }
    // Rounds go on until no summary changes (a fixpoint); the budget bounds the analyses a
    // cycle may cost in all, so a cycle whose summaries never settle ends with a diagnostic.
    let budget = comp.len() * CYCLE_WORK_FACTOR;
    let mut spent = 0;
    let mut overlay: HashMap<FileId, Arc<ModuleSummary>> = HashMap::new();
    let mut latest: HashMap<FileId, Analysed<R>> = HashMap::new();
    let mut dirty: Vec<FileId> = comp.to_vec();
    let mut settled = false;
    while spent + dirty.len() <= budget {
        spent += dirty.len();
        let done = run(&dirty, Some(&overlay));
        let mut changed: Vec<Read> = Vec::new();
        // Set when a summary changed beyond its functions' (which syntax alone decides, so
        // not expected): reads of that part are not recorded, so every member runs again.
        let mut reshaped = false;
        for (f, r, s, reads) in done {
            reshaped |= changes(f, overlay.get(&f), s.as_ref(), &mut changed);
            latest.insert(f, (r, s, reads));
        }
        if changed.is_empty() {
            settled = true;
            break;
        }
        changed.sort_unstable();
        changed.dedup();
        let mut files: Vec<FileId> = changed.iter().map(|c| c.0).collect();
        files.dedup();
        for f in files {
            match &latest[&f].1 {
                Some(s) => overlay.insert(f, s.clone()),
                None => overlay.remove(&f),
            };
        }
        let hit = |r: &Read| {
            let whole = (r.0, None);
            changed.binary_search(&whole).is_ok()
                || (r.1.is_some() && changed.binary_search(r).is_ok())
                || (r.1.is_none() && changed.iter().any(|c| c.0 == r.0))
        };
        dirty = comp
            .iter()
            .copied()
            .filter(|f| reshaped || latest[f].2.iter().any(hit))
            .collect();
        if dirty.is_empty() {
            settled = true;
            break;
        }
    }
    let done = comp
        .iter()
        .filter_map(|f| {
            let (r, s, _) = latest.remove(f)?;
            Some((*f, r, s))
        })
        .collect();
    (done, settled)
}

/// Adds to `out` what changed from `old` to `new`, the summaries of member `f` in two
/// rounds: the functions whose summaries differ, or the module as a whole (`None`) when it
/// gained or lost its summary. Returns whether anything besides function summaries differs
/// (then `(f, None)` is added too).
fn changes(
    f: FileId,
    old: Option<&Arc<ModuleSummary>>,
    new: Option<&Arc<ModuleSummary>>,
    out: &mut Vec<Read>,
) -> bool {
    let (Some(old), Some(new)) = (old, new) else {
        if old.is_some() || new.is_some() {
            out.push((f, None));
        }
        return false;
    };
    if old == new {
        return false;
    }
    let same_rest = old.imports == new.imports
        && old.stars == new.stars
        && old.classes == new.classes
        && old.singletons == new.singletons
        && old.funcs.len() == new.funcs.len()
        && old.funcs.keys().eq(new.funcs.keys());
    if !same_rest {
        out.push((f, None));
        return true;
    }
    for (name, func) in &new.funcs {
        if old.funcs.get(name) != Some(func) {
            out.push((f, Some(name.clone())));
        }
    }
    // Only `partial` or the sealed `sinks` differ: nothing an importer reads changed, but
    // the newer summary is the one kept.
    if !out.iter().any(|c| c.0 == f) {
        out.push((f, Some(String::new())));
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::project::module_summary::{FuncKind, FuncSummary};

    fn with_funcs(funcs: &[(&str, usize)]) -> Arc<ModuleSummary> {
        let mut m = ModuleSummary::default();
        for (name, checks) in funcs {
            m.funcs.insert(
                name.to_string(),
                FuncSummary {
                    kind: FuncKind::Function,
                    params: vec!["x".into()],
                    kinds: Vec::new(),
                    own: Vec::new(),
                    by_param: Vec::new(),
                    carriers: Vec::new(),
                    by_field: Vec::new(),
                    validator: false,
                    checks: vec![*checks],
                },
            );
        }
        Arc::new(m)
    }

    #[test]
    fn a_round_changes_only_the_functions_whose_summaries_differ() {
        let old = with_funcs(&[("f", 0), ("g", 0)]);
        let new = with_funcs(&[("f", 0), ("g", 1)]);
        let mut out = Vec::new();
        assert!(!changes(7, Some(&old), Some(&new), &mut out));
        assert_eq!(out, vec![(7, Some("g".to_string()))]);
        // A summary that appears changes the module as a whole.
        let mut out = Vec::new();
        assert!(!changes(7, None, Some(&new), &mut out));
        assert_eq!(out, vec![(7, None)]);
        // Unchanged: nothing.
        let mut out = Vec::new();
        assert!(!changes(7, Some(&old), Some(&old.clone()), &mut out));
        assert!(out.is_empty());
        // Another set of functions is a change beyond function summaries.
        let mut out = Vec::new();
        assert!(changes(
            7,
            Some(&old),
            Some(&with_funcs(&[("f", 0)])),
            &mut out
        ));
        assert_eq!(out, vec![(7, None)]);
    }

    #[test]
    fn needed_is_focus_importers_and_their_imports() {
        // 0 imports 1, 1 imports 2, 3 imports 2, 4 imports 0; 5 is on its own; 6 is not a
        // member but imports 1.
        let edges = vec![vec![1], vec![2], vec![], vec![2], vec![0], vec![], vec![1]];
        let member = [true, true, true, true, true, true, false];
        let focus = [false, true, false, false, false, false, false];
        let got = needed(&edges, &member, &focus);
        // 1, its importers 0 and 4 (through 0), and what they import (2); not 3, 5 or 6.
        assert_eq!(got, [true, true, true, false, true, false, false]);
        // A focus file that is not a member needs nothing.
        let none = needed(
            &edges,
            &member,
            &[false, false, false, false, false, false, true],
        );
        assert!(none.iter().all(|&b| !b));
    }
}
